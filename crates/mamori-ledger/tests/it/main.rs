//! Ledger files as offices have them: CP932 and UTF-8 CSV with Japanese headers, bad rows named by row and
//! column, xlsx round trips, and property tests of the CSV reader and writer.

mod files;
mod hostile;
mod hostile_workbooks;
