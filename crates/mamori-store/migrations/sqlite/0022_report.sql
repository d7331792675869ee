-- The management report (経営層への報告): a daily snapshot of the answers' counts, so the year shows as a
-- line; and the record that management received a report (who, when, decision or comment).
CREATE TABLE answer_counts (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    edition TEXT NOT NULL,
    day TEXT NOT NULL,
    yes INTEGER NOT NULL,
    no INTEGER NOT NULL,
    unanswered INTEGER NOT NULL,
    PRIMARY KEY (org_id, edition, day)
);
CREATE TABLE report_signoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    edition TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_on TEXT NOT NULL,
    decision TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX report_signoffs_org ON report_signoffs (org_id, edition, id);
