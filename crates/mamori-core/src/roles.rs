//! Who may do what: the one policy that pages, the API and the CLI all ask.

use serde::{Deserialize, Serialize};

use crate::catalog::Variant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 管理者: everything.
    Admin,
    /// 編集者: answers and ledgers.
    Editor,
    /// 閲覧者: read and export.
    Viewer,
    /// 事業者: a vendor's staff, limited to the vendor form.
    Vendor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Viewer, Role::Vendor];
    pub fn id(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Vendor => "vendor",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::Editor => "編集者",
            Role::Viewer => "閲覧者",
            Role::Vendor => "事業者",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == s)
    }
    /// True when everything `other` may do, this role may do too (API tokens may not exceed their user).
    pub fn covers(self, other: Role) -> bool {
        self == other || self == Role::Admin || (self == Role::Editor && other == Role::Viewer)
    }
}

/// Things a person or a token asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewForm(Variant),
    AnswerForm(Variant),
    ExportForm(Variant),
    ViewHistory,
    ManageUsers,
    ManageSettings,
    /// Read and export the ledgers (機器台帳, 利用者台帳 …).
    ViewLedgers,
    /// Change and import the ledgers.
    EditLedgers,
    /// See what the facility's ledgers and logs say about its answers (suggestions, their reasons, the
    /// judgement saved with an answer): the facility's own people, not a vendor's staff.
    ViewEvidence,
}

impl Action {
    /// The Japanese refusal shown when a role may not do this.
    pub fn refusal(self) -> &'static str {
        match self {
            Action::ViewForm(_) | Action::ExportForm(_) => "この様式を見る権限がありません",
            Action::AnswerForm(_) => "回答を変更する権限がありません（閲覧のみ）",
            Action::ViewHistory => "変更履歴を見る権限がありません",
            Action::ManageUsers => "利用者を管理する権限がありません（管理者のみ）",
            Action::ManageSettings => "設定を変更する権限がありません（管理者のみ）",
            Action::ViewLedgers => "台帳を見る権限がありません",
            Action::EditLedgers => "台帳を変更する権限がありません（閲覧のみ）",
            Action::ViewEvidence => "施設の台帳からの判断を見る権限がありません",
        }
    }
}

pub fn allowed(role: Role, action: Action) -> bool {
    match (role, action) {
        (Role::Admin, _) => true,
        (_, Action::ManageUsers | Action::ManageSettings) => false,
        (Role::Editor, _) => true,
        (Role::Viewer, Action::AnswerForm(_) | Action::EditLedgers) => false,
        (Role::Viewer, _) => true,
        (Role::Vendor, Action::ViewForm(v) | Action::AnswerForm(v) | Action::ExportForm(v)) => {
            v == Variant::Vendor
        }
        (
            Role::Vendor,
            Action::ViewHistory | Action::ViewLedgers | Action::EditLedgers | Action::ViewEvidence,
        ) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_matrix() {
        use Action::*;
        let f = Variant::Facility;
        let v = Variant::Vendor;
        let table = [
            (ViewForm(f), [true, true, true, false]),
            (AnswerForm(f), [true, true, false, false]),
            (ExportForm(f), [true, true, true, false]),
            (ViewForm(v), [true, true, true, true]),
            (AnswerForm(v), [true, true, false, true]),
            (ViewHistory, [true, true, true, false]),
            (ManageUsers, [true, false, false, false]),
            (ManageSettings, [true, false, false, false]),
            (ViewLedgers, [true, true, true, false]),
            (EditLedgers, [true, true, false, false]),
            (ViewEvidence, [true, true, true, false]),
        ];
        for (action, expect) in table {
            for (role, ok) in Role::ALL.into_iter().zip(expect) {
                assert_eq!(allowed(role, action), ok, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn tokens_may_not_exceed_their_user() {
        assert!(Role::Admin.covers(Role::Vendor));
        assert!(Role::Editor.covers(Role::Viewer));
        assert!(!Role::Viewer.covers(Role::Editor));
        assert!(!Role::Vendor.covers(Role::Viewer));
        assert!(!Role::Editor.covers(Role::Vendor));
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("root"), None);
    }
}
