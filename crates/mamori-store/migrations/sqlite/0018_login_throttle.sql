-- Failed sign-ins counted in the database, so that several app instances share them: per client address
-- (`ip:…`, a rate per minute) and per login name that is no account (`name:…`, locked as an account is).
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT NOT NULL DEFAULT ''
);
