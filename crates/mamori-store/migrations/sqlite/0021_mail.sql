-- E-mail digests of reminders: each person's address, hour (Japan time) and the kinds they stopped; one
-- digest a person, organisation and day (the row is taken before the mail goes, so two instances never
-- both send it).
CREATE TABLE mail_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    email TEXT NOT NULL,
    hour INTEGER NOT NULL,
    off_kinds TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE mail_digests (
    user_id INTEGER NOT NULL REFERENCES users(id),
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    day TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id, day)
);
