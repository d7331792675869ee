-- Ledger rows of every kind (devices, accounts, vendors, contacts, loglist, backups): the fields as a JSON
-- object, a lower-cased text for search, and a disabled flag (rows are disabled, not deleted, so that their
-- history stays readable).
CREATE TABLE ledger_rows (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    search TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ledger_rows_org_kind ON ledger_rows (org_id, kind, id);
