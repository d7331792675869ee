//! Ids that say what they are: an organisation's id is not a row's id.

use serde::{Deserialize, Serialize};

/// An organisation's id: the scope of every query that reads or writes facility data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(i64);

impl OrgId {
    pub const fn new(id: i64) -> OrgId {
        OrgId(id)
    }

    /// The number stored in the database.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
