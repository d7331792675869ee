-- Account lockout after repeated failed logins, and the idle timeout of sessions.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen TEXT NOT NULL DEFAULT '';
