-- The yearly cycle: which edition an organisation answers in each fiscal year (chosen when it starts the
-- year) and whose answers it carries as proposals; and last year's answers kept as they were when the new
-- year reuses the same edition (the live answers then start empty).
CREATE TABLE fiscal_years (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    fiscal_year INTEGER NOT NULL,
    edition TEXT NOT NULL,
    carried_from TEXT,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    UNIQUE (org_id, fiscal_year)
);
CREATE TABLE archived_answers (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    fiscal_year INTEGER NOT NULL,
    edition TEXT NOT NULL,
    variant TEXT NOT NULL,
    answers TEXT NOT NULL,
    evidence TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    PRIMARY KEY (org_id, fiscal_year, edition, variant)
);
