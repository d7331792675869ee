-- Per-organisation setting: two-factor sign-in required for everyone (administrators always need it).
ALTER TABLE orgs ADD COLUMN require_totp INTEGER NOT NULL DEFAULT 0;
-- Every backup attempt (CLI or scheduled), so the dashboard can show the last backup's age.
CREATE TABLE backup_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    generation TEXT NOT NULL DEFAULT '',
    dir TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);
