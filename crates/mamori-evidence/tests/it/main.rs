//! Each rule's はい, いいえ and 判断材料不足, with its reasons, on small fixtures.

mod accounts;
mod backups_logs;
mod bcp;
mod devices;
mod general;
mod helpers;
mod reconciliation;
mod vendors_contacts;
