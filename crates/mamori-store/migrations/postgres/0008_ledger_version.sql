-- Bumped by every ledger change, so that what is computed from the ledgers (the evidence) can be cached
-- and is recomputed when any process changes them.
ALTER TABLE orgs ADD COLUMN ledger_version BIGINT NOT NULL DEFAULT 0;
