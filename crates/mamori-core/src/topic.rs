//! The topic of a checklist item across editions: what the guidance, the evidence rules, the
//! reconciliation and the log findings hang on. One Japanese name each, used everywhere it is shown.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// 「医療情報システムを導入、運用している。」
    Gate,
    Officer,
    DeviceLedger,
    RemoteMaintenance,
    MdsSds,
    AccessRights,
    UnusedAccounts,
    AccessLog,
    Patches,
    UnneededServices,
    SourceRestriction,
    ContactChart,
    Backup,
    Bcp,
    PasswordLength,
    PasswordReuse,
    ExternalMedia,
    TwoFactor,
    OperationRules,
    /// An item of an imported edition that continues no earlier item: no guidance or rule yet.
    New,
}

impl Topic {
    pub const ALL: [Topic; 20] = [
        Topic::Gate,
        Topic::Officer,
        Topic::DeviceLedger,
        Topic::RemoteMaintenance,
        Topic::MdsSds,
        Topic::AccessRights,
        Topic::UnusedAccounts,
        Topic::AccessLog,
        Topic::Patches,
        Topic::UnneededServices,
        Topic::SourceRestriction,
        Topic::ContactChart,
        Topic::Backup,
        Topic::Bcp,
        Topic::PasswordLength,
        Topic::PasswordReuse,
        Topic::ExternalMedia,
        Topic::TwoFactor,
        Topic::OperationRules,
        Topic::New,
    ];

    /// The id in the catalog files, the JSON and the stored reports (`access_log`).
    pub fn id(self) -> &'static str {
        match self {
            Topic::Gate => "gate",
            Topic::Officer => "officer",
            Topic::DeviceLedger => "device_ledger",
            Topic::RemoteMaintenance => "remote_maintenance",
            Topic::MdsSds => "mds_sds",
            Topic::AccessRights => "access_rights",
            Topic::UnusedAccounts => "unused_accounts",
            Topic::AccessLog => "access_log",
            Topic::Patches => "patches",
            Topic::UnneededServices => "unneeded_services",
            Topic::SourceRestriction => "source_restriction",
            Topic::ContactChart => "contact_chart",
            Topic::Backup => "backup",
            Topic::Bcp => "bcp",
            Topic::PasswordLength => "password_length",
            Topic::PasswordReuse => "password_reuse",
            Topic::ExternalMedia => "external_media",
            Topic::TwoFactor => "two_factor",
            Topic::OperationRules => "operation_rules",
            Topic::New => "new",
        }
    }

    /// The one Japanese name of the topic.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Gate => "医療情報システムの有無",
            Topic::Officer => "医療情報システム安全管理責任者",
            Topic::DeviceLedger => "台帳管理",
            Topic::RemoteMaintenance => "リモートメンテナンス",
            Topic::MdsSds => "MDS/SDS",
            Topic::AccessRights => "アクセス利用権限",
            Topic::UnusedAccounts => "退職者・不要アカウントの削除",
            Topic::AccessLog => "アクセスログの管理",
            Topic::Patches => "セキュリティパッチの適用",
            Topic::UnneededServices => "不要なサービスの停止",
            Topic::SourceRestriction => "接続元の制限",
            Topic::ContactChart => "連絡体制",
            Topic::Backup => "バックアップと復旧手順",
            Topic::Bcp => "BCP",
            Topic::PasswordLength => "パスワードの長さ",
            Topic::PasswordReuse => "パスワードの使い回しの禁止",
            Topic::ExternalMedia => "外部記録媒体の制限",
            Topic::TwoFactor => "二要素認証",
            Topic::OperationRules => "運用管理規程",
            Topic::New => "新しい項目",
        }
    }

    pub fn parse(id: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// A topic equals its id (`"access_log"`), as written in reports and files.
impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_serialise_as_themselves_and_labels_are_unique() {
        let mut labels = std::collections::BTreeSet::new();
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.id()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.id())
            );
            assert!(labels.insert(t.label()), "{} shares its label", t.id());
        }
        assert_eq!(Topic::parse("nothing"), None);
    }
}
