-- Tamper-evident audit trail: each record carries the SHA-256 of the previous one and its own.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- The head of the chain, one row: updating it first serialises writers of the trail (PostgreSQL row lock).
CREATE TABLE audit_head (id BIGINT PRIMARY KEY, hash TEXT NOT NULL);
INSERT INTO audit_head (id, hash) VALUES (1, '');
