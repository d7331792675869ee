-- One row rewritten by /readyz after a write failed for want of disk space: whether the database can
-- write again (a commit of a few pages) tells monitoring, and the dashboard, that space is back.
CREATE TABLE health_probe (id BIGINT PRIMARY KEY, at TEXT NOT NULL, pad TEXT NOT NULL);
