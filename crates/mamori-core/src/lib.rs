//! Mamori's domain: the MHLW checklist catalog (editions as data), answers and the form's rules, and
//! Japanese dates. No IO, no async: everything here is tested without a database or a server.

pub mod answers;
pub mod bcp;
pub mod catalog;
pub mod dates;
pub mod edition_import;
pub mod guideline;
pub mod ids;
pub mod roles;
pub mod topic;

pub use answers::{
    Answer, AnswerInput, AnswerKey, AnswerSet, Choice, FieldError, RowStatus, RuleContext, Summary,
};
pub use catalog::{Catalog, CatalogError, Confidence, Form, Item, Target, Variant};
pub use dates::{Clock, FiscalYear};
pub use ids::{EditionId, ItemId, OrgId};
pub use roles::{Action, Role};
pub use topic::Topic;
