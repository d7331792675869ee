//! The use cases on a real SQLite database, without HTTP: saving answers against the evidence, the
//! checklist workbook read back as answers, inventories merged into the 機器台帳.

mod answers;
mod helpers;
mod inventory;
mod mail;
mod users;
mod workbooks;
mod year;
