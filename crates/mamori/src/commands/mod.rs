//! One module per subcommand of `mamori`: its arguments and what it does.

pub(crate) mod agent;
pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod catalog;
pub(crate) mod dev;
pub(crate) mod export;
pub(crate) mod healthcheck;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod logs;
pub(crate) mod org;
pub(crate) mod serve;
pub(crate) mod service;
pub(crate) mod token;
pub(crate) mod user;
