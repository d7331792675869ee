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

/// A checklist item's id across the catalog, answers and evidence: `r7.facility.2.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct ItemId(String);

/// An edition's id: `r7`, or an imported edition's `r8`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct EditionId(String);

/// The shared behaviour of the text ids: read as `&str`, compared with text, made from text.
macro_rules! text_id {
    ($name:ident) => {
        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name(s.to_string())
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name(s)
            }
        }
        impl From<&String> for $name {
            fn from(s: &String) -> $name {
                $name(s.clone())
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

text_id!(ItemId);
text_id!(EditionId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ids_read_and_compare_as_their_text() {
        let item = ItemId::new("r7.facility.2.1");
        assert_eq!(item, "r7.facility.2.1");
        assert_eq!(item.as_str(), "r7.facility.2.1");
        assert!(item.starts_with("r7."));
        assert_eq!(serde_json::to_string(&item).unwrap(), "\"r7.facility.2.1\"");
        let back: EditionId = serde_json::from_str("\"r8\"").unwrap();
        assert_eq!(back, EditionId::from("r8"));
        assert_eq!(back.to_string(), "r8");
    }
}
