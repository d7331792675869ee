-- The BCP 確認表's answers (はい/いいえ, 確認日, 備考) per organisation and table edition; the facility's own
-- texts of its BCP (想定する事象, 代替手順 …) for the document; and the incidents with their timeline
-- and evidence files.
CREATE TABLE bcp_answers (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    catalog TEXT NOT NULL,
    item TEXT NOT NULL,
    answer TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    note TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, catalog, item)
);
CREATE TABLE bcp_texts (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, section)
);
CREATE TABLE incidents (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    facts TEXT NOT NULL,
    devices TEXT NOT NULL,
    closed_at TEXT,
    summary TEXT
);
CREATE INDEX incidents_org ON incidents (org_id, id);
CREATE TABLE incident_entries (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    file_name TEXT,
    content_type TEXT,
    sha256 TEXT,
    size BIGINT,
    content TEXT
);
CREATE INDEX incident_entries_incident ON incident_entries (org_id, incident_id, id);
