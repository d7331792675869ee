-- Large ledger imports are written here in short batches (each row with its audit record, already
-- chained from the import's own anchor), then moved into ledger_rows and audit_log by one short
-- transaction: other writers are not kept waiting, and users see the whole import or none of it.
CREATE TABLE ledger_import_rows (
    import_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    is_update BIGINT NOT NULL,
    data TEXT NOT NULL,
    search TEXT NOT NULL,
    s0 TEXT, s1 TEXT, s2 TEXT, s3 TEXT, s4 TEXT, s5 TEXT, s6 TEXT, s7 TEXT, s8 TEXT, s9 TEXT,
    facts TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
CREATE INDEX ledger_import_rows_started ON ledger_import_rows (started_at);
