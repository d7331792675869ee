-- Many organisations in one deployment. Organisations may be facilities, vendors (事業者) or groups, may
-- belong to a group, and may be suspended by the hosting operator. A user belongs to one or more
-- organisations with a role in each (users.org_id and users.role stay the user's own organisation and
-- role there); a session works in one organisation at a time; an API token is bound to one.
ALTER TABLE orgs ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE orgs ADD COLUMN group_id BIGINT REFERENCES orgs(id);
CREATE INDEX orgs_group ON orgs (group_id);

CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id, user_id);
INSERT INTO memberships (user_id, org_id, role, created_at) SELECT id, org_id, role, created_at FROM users;

-- NULL: the user's own organisation.
ALTER TABLE sessions ADD COLUMN org_id BIGINT REFERENCES orgs(id);
ALTER TABLE api_tokens ADD COLUMN org_id BIGINT REFERENCES orgs(id);
UPDATE api_tokens SET org_id = (SELECT org_id FROM users WHERE users.id = api_tokens.user_id);

-- The hosting operator (運用管理者): creates and suspends organisations, sees usage and health, and has
-- no way into any organisation's answers, ledgers or logs (no membership, a sign-in of its own).
CREATE TABLE operators (
    id BIGSERIAL PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
