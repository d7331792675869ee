//! The 利用者台帳 (Mamori's accounts ledger file, CSV or xlsx) as the detections read it: whether an
//! account that appears in a log is in use, retired (削除・無効, or past its 退職日・利用終了日) or unknown.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_ledger::{FieldType, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffState {
    Active,
    /// Why: the status as written (「退職」「無効」) or 「退職日・利用終了日（2025-03-31）を過ぎた」.
    Retired(String),
    Unknown,
}

#[derive(Debug, Clone, Default)]
pub struct Staff {
    /// Lower-cased user ID → (状態, 退職日・利用終了日).
    accounts: HashMap<String, (String, Option<NaiveDate>)>,
}

impl Staff {
    /// Reads an accounts ledger file (the columns Mamori's ledger import reads).
    pub fn from_file(bytes: &[u8]) -> Result<Staff, String> {
        let parsed = mamori_ledger::parse_file(Kind::Accounts, bytes).map_err(|errors| {
            format!(
                "利用者台帳として読めません: {}",
                errors
                    .iter()
                    .take(5)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(" / ")
            )
        })?;
        Ok(Staff::from_rows(parsed.rows.iter().map(|(_, r)| r)))
    }

    /// From rows of the 利用者台帳 (user_id, status, end_date).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a mamori_ledger::Row>) -> Staff {
        let mut staff = Staff::default();
        for row in rows {
            let Some(id) = row.get("user_id") else {
                continue;
            };
            staff.accounts.insert(
                id.trim().to_lowercase(),
                (
                    row.get("status").cloned().unwrap_or_default(),
                    row.get("end_date").and_then(|d| d.parse().ok()),
                ),
            );
        }
        staff
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The account's state on `day` (the day of the event, JST).
    pub fn state(&self, account: &str, day: Option<NaiveDate>) -> StaffState {
        // 「DOMAIN\\user」 and 「user@domain」 are the user.
        let bare = account
            .rsplit('\\')
            .next()
            .unwrap_or(account)
            .split('@')
            .next()
            .unwrap_or(account);
        let Some((status, end)) = self.accounts.get(&bare.trim().to_lowercase()) else {
            return StaffState::Unknown;
        };
        let field = Kind::Accounts.field("status").expect("status column");
        let FieldType::Choice(options) = field.ty else {
            unreachable!("状態 is a choice")
        };
        match mamori_ledger::meaning(options, status) {
            Some("削除") | Some("無効") => {
                return StaffState::Retired(format!("「{status}」"));
            }
            _ => {}
        }
        if let (Some(end), Some(day)) = (end, day)
            && day > *end
        {
            return StaffState::Retired(format!("退職日・利用終了日（{end}）を過ぎた"));
        }
        StaffState::Active
    }
}
