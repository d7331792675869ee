-- Log analyses run from the web page: the files read, the result (mamori-logs' report as JSON), the
-- accounts of retired or disabled staff found in use (read by the 2(5) evidence), and the period covered.
CREATE TABLE log_analyses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    files TEXT NOT NULL,
    status TEXT NOT NULL,
    report TEXT,
    retired_accounts TEXT NOT NULL DEFAULT '[]',
    period_first TEXT,
    period_last TEXT,
    finished_at TEXT
);
CREATE INDEX log_analyses_org ON log_analyses (org_id, id);
