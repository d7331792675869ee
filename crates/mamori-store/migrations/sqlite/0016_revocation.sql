-- A user can be disabled (their sessions end and their tokens stop at once) and a token revoked.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
