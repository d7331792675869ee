//! What a finding is (`failed_logon_burst`, `retired_account_used` …): the `kind` of the JSON report, as a
//! closed set the detections, the stored reports and the pages share.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    FailedLogonBurst,
    FailedLogonBurstSource,
    PasswordSpray,
    SuccessAfterFailures,
    SuccessAfterAttackSource,
    LogCleared,
    AccountCreated,
    AccountEnabled,
    AccountDisabled,
    AccountDeleted,
    AccountRenamed,
    PasswordChanged,
    GroupCreated,
    PrivilegedGroupChange,
    GroupChange,
    ServiceInstalled,
    RdpLogon,
    RdpSession,
    RdpAuthenticated,
    ExplicitCredentials,
    SshInvalidUser,
    SshRootLogin,
    Sudo,
    RetiredAccountUsed,
    UnknownAccountUsed,
    EhrAfterHours,
    EhrManyPatients,
    EhrExportBurst,
    VendorOutsideWindow,
}

impl FindingKind {
    pub const ALL: [FindingKind; 29] = [
        FindingKind::FailedLogonBurst,
        FindingKind::FailedLogonBurstSource,
        FindingKind::PasswordSpray,
        FindingKind::SuccessAfterFailures,
        FindingKind::SuccessAfterAttackSource,
        FindingKind::LogCleared,
        FindingKind::AccountCreated,
        FindingKind::AccountEnabled,
        FindingKind::AccountDisabled,
        FindingKind::AccountDeleted,
        FindingKind::AccountRenamed,
        FindingKind::PasswordChanged,
        FindingKind::GroupCreated,
        FindingKind::PrivilegedGroupChange,
        FindingKind::GroupChange,
        FindingKind::ServiceInstalled,
        FindingKind::RdpLogon,
        FindingKind::RdpSession,
        FindingKind::RdpAuthenticated,
        FindingKind::ExplicitCredentials,
        FindingKind::SshInvalidUser,
        FindingKind::SshRootLogin,
        FindingKind::Sudo,
        FindingKind::RetiredAccountUsed,
        FindingKind::UnknownAccountUsed,
        FindingKind::EhrAfterHours,
        FindingKind::EhrManyPatients,
        FindingKind::EhrExportBurst,
        FindingKind::VendorOutsideWindow,
    ];

    /// The id in the JSON report (`failed_logon_burst`).
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::FailedLogonBurst => "failed_logon_burst",
            FindingKind::FailedLogonBurstSource => "failed_logon_burst_source",
            FindingKind::PasswordSpray => "password_spray",
            FindingKind::SuccessAfterFailures => "success_after_failures",
            FindingKind::SuccessAfterAttackSource => "success_after_attack_source",
            FindingKind::LogCleared => "log_cleared",
            FindingKind::AccountCreated => "account_created",
            FindingKind::AccountEnabled => "account_enabled",
            FindingKind::AccountDisabled => "account_disabled",
            FindingKind::AccountDeleted => "account_deleted",
            FindingKind::AccountRenamed => "account_renamed",
            FindingKind::PasswordChanged => "password_changed",
            FindingKind::GroupCreated => "group_created",
            FindingKind::PrivilegedGroupChange => "privileged_group_change",
            FindingKind::GroupChange => "group_change",
            FindingKind::ServiceInstalled => "service_installed",
            FindingKind::RdpLogon => "rdp_logon",
            FindingKind::RdpSession => "rdp_session",
            FindingKind::RdpAuthenticated => "rdp_authenticated",
            FindingKind::ExplicitCredentials => "explicit_credentials",
            FindingKind::SshInvalidUser => "ssh_invalid_user",
            FindingKind::SshRootLogin => "ssh_root_login",
            FindingKind::Sudo => "sudo",
            FindingKind::RetiredAccountUsed => "retired_account_used",
            FindingKind::UnknownAccountUsed => "unknown_account_used",
            FindingKind::EhrAfterHours => "ehr_after_hours",
            FindingKind::EhrManyPatients => "ehr_many_patients",
            FindingKind::EhrExportBurst => "ehr_export_burst",
            FindingKind::VendorOutsideWindow => "vendor_outside_window",
        }
    }

    pub fn parse(id: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// A kind equals its id (`"access_log"`), as written in reports and files.
impl PartialEq<&str> for FindingKind {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl PartialEq<str> for FindingKind {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_and_serialise_as_themselves() {
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::parse(k.id()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.id())
            );
        }
    }
}
