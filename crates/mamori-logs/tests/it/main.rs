//! The engine on the shared real samples (counts compared with `evtx_dump -o jsonl` and with plain line
//! scanning; findings asserted), and on generated syslog lines, CSV files (UTF-8 and CP932) and events.

mod auth_log;
mod detections;
mod ehr_csv;
mod evtx;
mod formats;
mod helpers;
mod never_panic;
