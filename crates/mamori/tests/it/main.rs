//! The command line as a user runs it: init, token, export, serve and healthcheck.

mod agent;
mod backup;
mod exports;
mod helpers;
mod imports;
mod logs;
mod serve;
mod setup;
