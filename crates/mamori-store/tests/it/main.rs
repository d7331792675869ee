//! Conformance suite: the same story against SQLite (always) and PostgreSQL (when `MAMORI_TEST_PG_URL`
//! names a server where the test may create databases; CI sets it and fails if it cannot connect).

mod access;
mod agents;
mod backup;
mod bcp;
mod editions;
mod helpers;
mod hosting;
mod ledger;
mod mail;
mod stories;
mod vendor_side;
mod years;
