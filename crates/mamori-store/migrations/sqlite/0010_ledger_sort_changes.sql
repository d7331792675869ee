-- A sortable copy of each list column (s0..s9, in the order of the ledger's list columns; NULL when empty),
-- so that sorted and filtered list pages need not read every row's JSON; `sort_version` says which column
-- mapping wrote them (rows of an older mapping are rewritten at start-up). `version` is the organisation's
-- ledger_version at the row's last change, so that a reader can fetch just the rows changed since it last looked.
-- `facts` holds just the fields the checklist's evidence rules read (JSON), so they need not parse whole rows.
ALTER TABLE ledger_rows ADD COLUMN s0 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s1 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s2 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s3 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s4 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s5 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s6 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s7 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s8 TEXT;
ALTER TABLE ledger_rows ADD COLUMN s9 TEXT;
ALTER TABLE ledger_rows ADD COLUMN facts TEXT;
ALTER TABLE ledger_rows ADD COLUMN sort_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_rows ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ledger_rows_org_kind_version ON ledger_rows (org_id, kind, version);
-- Lists and their counts of enabled rows, without reading the rows.
CREATE INDEX ledger_rows_org_kind_enabled ON ledger_rows (org_id, kind, disabled, id);
