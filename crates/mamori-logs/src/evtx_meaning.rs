//! What a Windows event means, from its EventID together with the channel and provider that wrote it.
//! An EventID alone means nothing: 4625 in an Application log is some program's own number, and a
//! 104 from any provider but Eventlog is not a log clear. Every detection reads its events through
//! this one table; `event_counts` stays a plain histogram of every record.

/// What the detections take an event to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    LogonSuccess,
    LogonFailure,
    ExplicitCredentials,
    /// Kerberos TGT request (4768): a success when Status is 0x0, otherwise a failure.
    KerberosTicket,
    /// Kerberos pre-authentication failed (4771): always a failure (0x18 is a wrong password).
    KerberosPreauthFailed,
    LogCleared,
    AccountCreated,
    AccountEnabled,
    AccountDisabled,
    AccountDeleted,
    AccountRenamed,
    GroupMemberAdded,
    GroupMemberRemoved,
    ServiceInstalled,
    RdpReconnected,
    RdpDisconnected,
    /// Remote Desktop user authentication succeeded (1149, RemoteConnectionManager).
    RdpAuthenticated,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: u32,
    pub channel: &'static str,
    pub provider: &'static str,
    pub meaning: Meaning,
}

const SECURITY: &str = "Security";
const SYSTEM: &str = "System";
const AUDITING: &str = "Microsoft-Windows-Security-Auditing";
const EVENTLOG: &str = "Microsoft-Windows-Eventlog";
const SCM: &str = "Service Control Manager";
const RCM_CHANNEL: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";

const fn rule(id: u32, channel: &'static str, provider: &'static str, meaning: Meaning) -> Rule {
    Rule {
        id,
        channel,
        provider,
        meaning,
    }
}

/// The table: every (EventID, channel, provider) the detections read.
pub const RULES: &[Rule] = {
    use Meaning::*;
    &[
        rule(4624, SECURITY, AUDITING, LogonSuccess),
        rule(4625, SECURITY, AUDITING, LogonFailure),
        rule(4648, SECURITY, AUDITING, ExplicitCredentials),
        rule(4768, SECURITY, AUDITING, KerberosTicket),
        rule(4771, SECURITY, AUDITING, KerberosPreauthFailed),
        rule(1102, SECURITY, EVENTLOG, LogCleared),
        rule(104, SYSTEM, EVENTLOG, LogCleared),
        rule(4720, SECURITY, AUDITING, AccountCreated),
        rule(4722, SECURITY, AUDITING, AccountEnabled),
        rule(4725, SECURITY, AUDITING, AccountDisabled),
        rule(4726, SECURITY, AUDITING, AccountDeleted),
        rule(4781, SECURITY, AUDITING, AccountRenamed),
        rule(4728, SECURITY, AUDITING, GroupMemberAdded),
        rule(4732, SECURITY, AUDITING, GroupMemberAdded),
        rule(4756, SECURITY, AUDITING, GroupMemberAdded),
        rule(4729, SECURITY, AUDITING, GroupMemberRemoved),
        rule(4733, SECURITY, AUDITING, GroupMemberRemoved),
        rule(4757, SECURITY, AUDITING, GroupMemberRemoved),
        rule(4697, SECURITY, AUDITING, ServiceInstalled),
        rule(7045, SYSTEM, SCM, ServiceInstalled),
        rule(4778, SECURITY, AUDITING, RdpReconnected),
        rule(4779, SECURITY, AUDITING, RdpDisconnected),
        rule(1149, RCM_CHANNEL, RCM, RdpAuthenticated),
    ]
};

/// The meaning of an event, or None when no rule has this EventID from this channel and provider.
/// Names are compared without regard to ASCII case (exports differ in case, never in spelling).
/// [`meaning`] with the channel and provider as tests (for text not yet decoded): each is given a
/// rule's name and says whether the record's is that, ignoring ASCII case.
pub fn meaning_where(
    id: u32,
    channel_is: &mut dyn FnMut(&str) -> bool,
    provider_is: &mut dyn FnMut(&str) -> bool,
) -> Option<Meaning> {
    RULES
        .iter()
        .find(|r| r.id == id && channel_is(r.channel) && provider_is(r.provider))
        .map(|r| r.meaning)
}

pub fn meaning(id: u32, channel: &str, provider: &str) -> Option<Meaning> {
    RULES
        .iter()
        .find(|r| {
            r.id == id
                && r.channel.eq_ignore_ascii_case(channel)
                && r.provider.eq_ignore_ascii_case(provider)
        })
        .map(|r| r.meaning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_per_event_id_channel_and_provider() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    (a.id, a.channel, a.provider) != (b.id, b.channel, b.provider),
                    "{a:?}"
                );
            }
        }
    }

    #[test]
    fn every_rule_needs_both_its_channel_and_its_provider() {
        for r in RULES {
            assert_eq!(meaning(r.id, r.channel, r.provider), Some(r.meaning));
            assert_eq!(
                meaning(r.id, &r.channel.to_lowercase(), r.provider),
                Some(r.meaning)
            );
            assert_eq!(meaning(r.id, "Application", r.provider), None, "{r:?}");
            assert_eq!(meaning(r.id, r.channel, "SomeApplication"), None, "{r:?}");
            assert_eq!(meaning(r.id + 100_000, r.channel, r.provider), None);
        }
    }
}
