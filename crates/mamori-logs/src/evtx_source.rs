//! Windows EVTX (Security, System; other channels counted) through the `evtx` crate, its chunks parsed
//! on every core. A record that cannot be read is counted as an error and the rest go on; a file whose
//! header is damaged gives what could be read and a message. Records are read as JSON text into just the
//! fields the detections use (building a whole JSON tree per record took three quarters of the time).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::event::{Event, Kind};
use crate::evtx_meaning::{self, Meaning};

/// A JSON value read as text: a string, a number, or an element's 「#text」 (anything else: nothing).
#[derive(Debug, Default, Clone)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            S(String),
            N(serde_json::Number),
            B(bool),
            E {
                #[serde(rename = "#text")]
                text: Box<Text>,
            },
            Other(serde::de::IgnoredAny),
        }
        Ok(Text(match Any::deserialize(d)? {
            Any::S(s) => Some(s),
            Any::N(n) => Some(n.to_string()),
            Any::B(b) => Some(b.to_string()),
            Any::E { text } => text.0,
            Any::Other(_) => None,
        }))
    }
}

/// The EventData (or UserData element) fields the detections read; the others are skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(non_snake_case)]
struct Data {
    TargetUserName: Text,
    SubjectUserName: Text,
    IpAddress: Text,
    WorkstationName: Text,
    LogonType: Text,
    NewTargetUserName: Text,
    MemberName: Text,
    MemberSid: Text,
    ServiceName: Text,
    AccountName: Text,
    ClientAddress: Text,
    /// Kerberos result code (4768, 4771): 0x0 is a success.
    Status: Text,
    /// 1149 (RemoteConnectionManager): user, domain, source address.
    Param1: Text,
    Param3: Text,
}

/// An element read for its attributes only (TimeCreated, Provider).
#[derive(Debug, Deserialize)]
struct Attributes {
    #[serde(rename = "#attributes")]
    attributes: Option<HashMap<String, Text>>,
}

/// One attribute of an element, as text.
fn attribute(element: Option<Attributes>, name: &str) -> Option<String> {
    element?.attributes?.remove(name)?.0
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct System {
    EventID: Text,
    #[serde(default)]
    Provider: Option<Attributes>,
    #[serde(default)]
    TimeCreated: Option<Attributes>,
    #[serde(default)]
    Channel: Text,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct Inner {
    System: System,
    #[serde(default)]
    EventData: Option<Data>,
    #[serde(default)]
    UserData: Option<HashMap<String, Data>>,
}

#[derive(Debug, Deserialize)]
struct Record {
    #[serde(rename = "Event")]
    event: Inner,
}

/// A record's JSON (as the `evtx` crate writes it) as its EventID and an event.
pub fn event_of_json(json: &str) -> Option<(u32, Event)> {
    let rec: Record = serde_json::from_str(json).ok()?;
    let ev = rec.event;
    let id: u32 = ev.System.EventID.0.as_deref()?.parse().ok()?;
    let time = attribute(ev.System.TimeCreated, "SystemTime")
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.to_utc());
    let channel = ev.System.Channel.0.unwrap_or_default();
    let provider = attribute(ev.System.Provider, "Name").unwrap_or_default();
    let data = ev
        .EventData
        .or_else(|| ev.UserData.and_then(|u| u.into_values().next()))
        .unwrap_or_default();
    let f = |t: &Text| t.0.clone().unwrap_or_default();
    let mut e = Event::new(Kind::Other);
    e.time = time;
    let meaning = evtx_meaning::meaning(id, &channel, &provider);
    use Meaning as M;
    e.kind = match meaning {
        None => Kind::Other,
        Some(m) => kind_of(m, &data),
    };
    match meaning {
        // Group changes: the member is the account (its name, or its SID when the name is empty).
        Some(M::GroupMemberAdded | M::GroupMemberRemoved) => {
            let name = f(&data.MemberName);
            e.account = if name.is_empty() || name == "-" {
                f(&data.MemberSid)
            } else {
                // 「CN=yamada,CN=Users,DC=…」 → yamada
                name.strip_prefix("CN=")
                    .and_then(|n| n.split(',').next())
                    .unwrap_or(&name)
                    .to_string()
            };
        }
        Some(M::RdpReconnected | M::RdpDisconnected) => {
            e.account = f(&data.AccountName);
            e.source = f(&data.ClientAddress);
        }
        Some(M::RdpAuthenticated) => {
            e.account = f(&data.Param1);
            e.source = f(&data.Param3);
        }
        Some(M::LogCleared | M::ServiceInstalled) => e.account = f(&data.SubjectUserName),
        _ => e.account = f(&data.TargetUserName),
    }
    e.actor = f(&data.SubjectUserName);
    if e.source.is_empty() {
        let ip = f(&data.IpAddress);
        // Kerberos writes IPv4 sources as 「::ffff:10.0.0.5」.
        let ip = ip.strip_prefix("::ffff:").map(str::to_string).unwrap_or(ip);
        e.source = if ip.is_empty() || ip == "-" {
            let ws = f(&data.WorkstationName);
            if ws == "-" { String::new() } else { ws }
        } else {
            ip
        };
    }
    e.logon_type = f(&data.LogonType).parse().ok();
    Some((id, e))
}

/// The event kind for a meaning, with the fields it names.
fn kind_of(meaning: Meaning, data: &Data) -> Kind {
    use Meaning as M;
    let f = |t: &Text| t.0.clone().unwrap_or_default();
    match meaning {
        M::LogonSuccess => Kind::LogonSuccess,
        M::LogonFailure | M::KerberosPreauthFailed => Kind::LogonFailure,
        M::KerberosTicket => match f(&data.Status).as_str() {
            "0x0" | "0" => Kind::LogonSuccess,
            _ => Kind::LogonFailure,
        },
        M::ExplicitCredentials => Kind::ExplicitCredentials,
        M::LogCleared => Kind::LogCleared,
        M::AccountCreated => Kind::AccountCreated,
        M::AccountEnabled => Kind::AccountEnabled,
        M::AccountDisabled => Kind::AccountDisabled,
        M::AccountDeleted => Kind::AccountDeleted,
        M::AccountRenamed => Kind::AccountRenamed {
            new_name: f(&data.NewTargetUserName),
        },
        M::GroupMemberAdded => Kind::GroupMemberAdded {
            group: f(&data.TargetUserName),
        },
        M::GroupMemberRemoved => Kind::GroupMemberRemoved {
            group: f(&data.TargetUserName),
        },
        M::ServiceInstalled => Kind::ServiceInstalled {
            service: f(&data.ServiceName),
        },
        M::RdpReconnected => Kind::RdpSession { reconnected: true },
        M::RdpDisconnected => Kind::RdpSession { reconnected: false },
        M::RdpAuthenticated => Kind::RdpAuthenticated,
    }
}

/// Reads an EVTX file: `on_event` gets each record's EventID and event; returns (records, errors).
pub fn read(
    path: &Path,
    threads: usize,
    on_event: &mut dyn FnMut(u32, Event),
    on_progress: &mut dyn FnMut(u64),
) -> (u64, Vec<String>) {
    let mut errors = Vec::new();
    let mut parser = match evtx::EvtxParser::from_path(path) {
        Ok(p) => p.with_configuration(evtx::ParserSettings::new().num_threads(threads)),
        Err(e) => {
            errors.push(format!("EVTX として読めません: {e}"));
            return (0, errors);
        }
    };
    let mut records = 0u64;
    let mut bad = 0u64;
    // Each record is rendered and read into an event on the parser's worker threads (in parallel);
    // this thread only runs the detections, in file order.
    let records_as_events = parser.serialized_records(|r| {
        r.and_then(|rec| rec.into_json())
            .map(|rec| event_of_json(&rec.data))
    });
    for r in records_as_events {
        match r {
            Ok(event) => {
                records += 1;
                match event {
                    Some((id, e)) => on_event(id, e),
                    None => bad += 1,
                }
                if records.is_multiple_of(4096) {
                    on_progress(records);
                }
            }
            Err(e) => {
                bad += 1;
                if errors.len() < MAX_MESSAGES {
                    errors.push(format!("読めないレコード: {e}"));
                }
            }
        }
    }
    on_progress(records);
    if bad as usize > errors.len() {
        errors.push(format!("読めないレコードは合計 {bad} 件"));
    }
    (records, errors)
}

/// At most this many messages per file (the rest are counted).
pub const MAX_MESSAGES: usize = 20;
