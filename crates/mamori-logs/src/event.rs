//! One event, whatever log it came from: when, who, from where, and what it means for the checklist.

use chrono::{DateTime, Utc};

/// What happened, as far as the detections care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    LogonSuccess,
    LogonFailure,
    /// A logon with explicitly given credentials (4648): `target` is the account whose credentials were used.
    ExplicitCredentials,
    LogCleared,
    AccountCreated,
    AccountEnabled,
    AccountDisabled,
    AccountDeleted,
    AccountRenamed {
        new_name: String,
    },
    GroupMemberAdded {
        group: String,
    },
    GroupMemberRemoved {
        group: String,
    },
    /// A group created (groupadd): `account` is the group.
    GroupCreated {
        group: String,
    },
    /// An account's password set or changed (passwd, chpasswd, usermod -p).
    PasswordChanged,
    ServiceInstalled {
        service: String,
    },
    /// RDP session reconnected (4778) or disconnected (4779).
    RdpSession {
        reconnected: bool,
    },
    /// Remote Desktop user authentication succeeded (1149).
    RdpAuthenticated,
    SshInvalidUser,
    Sudo {
        command: String,
    },
    /// A row of an EHR/レセコン access log: the patient as a number ([`patient_key`]; the ID itself is
    /// not kept, so no patient data reaches a finding or a log) and whether data left the system
    /// (a print or an export, from the operation or category column).
    EhrAccess {
        patient: Option<u64>,
        export: bool,
    },
    Other,
}

/// A patient ID as a number: the same in every run (so counts are), `None` for an empty ID.
pub fn patient_key(id: &str) -> Option<u64> {
    use std::hash::BuildHasher;
    (!id.is_empty())
        .then(|| foldhash::quality::FixedState::with_seed(0x6d61_6d6f_7269).hash_one(id))
}

/// Which kind of log an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    Evtx,
    AuthLog,
    Ehr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub origin: Origin,
    pub time: Option<DateTime<Utc>>,
    pub kind: Kind,
    /// The account the event is about (TargetUserName, the sshd user, the EHR user ID).
    pub account: String,
    /// Who did it, when not the account itself (SubjectUserName).
    pub actor: String,
    /// Where from: an IP address, a workstation or a terminal.
    pub source: String,
    /// Windows logon type (2 interactive, 3 network, 10 remote interactive …).
    pub logon_type: Option<u32>,
}

impl Event {
    pub fn new(kind: Kind) -> Event {
        Event {
            origin: Origin::Evtx,
            time: None,
            kind,
            account: String::new(),
            actor: String::new(),
            source: String::new(),
            logon_type: None,
        }
    }
}
