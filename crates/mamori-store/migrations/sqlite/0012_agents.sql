-- Endpoint agents. An administrator issues an enrolment token (many machines may enrol with it until it
-- expires); each machine that enrols gets its own credential, which may only post inventories.
CREATE TABLE agent_enrollments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    token_hash TEXT NOT NULL UNIQUE,
    hostname TEXT NOT NULL,
    machine_id TEXT NOT NULL,
    enrollment_id INTEGER NOT NULL REFERENCES agent_enrollments(id),
    enrolled_at TEXT NOT NULL,
    last_seen TEXT,
    revoked_at TEXT
);
CREATE INDEX agents_org ON agents (org_id, machine_id);
-- What each inventory changed in a device's row (JSON array of Japanese lines), newest last.
CREATE TABLE inventory_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    device_id INTEGER NOT NULL REFERENCES ledger_rows(id),
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX inventory_history_device ON inventory_history (org_id, device_id, id);
-- Inventories whose machine matches more than one device (or a device of another machine-id): held
-- until someone says which device they describe.
CREATE TABLE inventory_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    inventory TEXT NOT NULL,
    candidates TEXT NOT NULL,
    reason TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution TEXT
);
CREATE INDEX inventory_reviews_org ON inventory_reviews (org_id, resolved_at, id);
