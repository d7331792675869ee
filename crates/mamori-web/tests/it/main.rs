//! In-process tests of the router: API rules (422 and nothing stored), auth, CSRF, pages, xlsx, and the
//! OpenAPI document kept in step with the routes.

mod agents;
mod api;
mod auth;
mod bcp;
mod checklist;
mod csrf;
mod dashboard;
mod documents;
mod editions;
mod helpers;
mod history;
mod hostile;
mod hosting;
mod isolation;
mod ledgers;
mod logs;
mod official_form;
mod operations;
mod operator;
mod products;
mod reminders;
mod report;
mod request_log;
mod roles;
mod vendor_forms;
mod vendor_side;
mod years;
