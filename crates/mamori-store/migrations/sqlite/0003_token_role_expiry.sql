-- API tokens carry their own role (never above their user's) and an expiry.
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '9999-12-31T00:00:00Z';
