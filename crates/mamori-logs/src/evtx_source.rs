//! Windows EVTX (Security, System; other channels counted) through the `evtx` crate, its chunks parsed
//! on every core. A record that cannot be read is counted as an error and the rest go on; a file whose
//! header is damaged gives what could be read and a message.

use std::path::Path;

use serde_json::Value;

use crate::event::{Event, Kind};

/// A field of EventData (or UserData's first element), as text.
fn data_field(event: &Value, name: &str) -> String {
    let from = |v: &Value| -> Option<String> {
        match v.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Object(o) => o.get("#text").map(|t| match t {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            _ => None,
        }
    };
    if let Some(s) = event.get("EventData").and_then(from) {
        return s;
    }
    // UserData holds one element named after the event (LogFileCleared …).
    event
        .get("UserData")
        .and_then(Value::as_object)
        .and_then(|o| o.values().find_map(from))
        .unwrap_or_default()
}

/// The EventID of a record's JSON (a number, or `{"#text": n}` when it has qualifiers).
pub fn event_id(record: &Value) -> Option<u32> {
    let id = record.get("Event")?.get("System")?.get("EventID")?;
    match id {
        Value::Number(n) => n.as_u64().map(|n| n as u32),
        Value::Object(o) => o.get("#text").and_then(|t| match t {
            Value::Number(n) => n.as_u64().map(|n| n as u32),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A record's JSON as an event.
pub fn event_of(record: &Value) -> Option<(u32, Event)> {
    let id = event_id(record)?;
    let ev = record.get("Event")?;
    let time = ev
        .get("System")
        .and_then(|s| s.get("TimeCreated"))
        .and_then(|t| t.get("#attributes"))
        .and_then(|a| a.get("SystemTime"))
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc());
    let f = |name: &str| data_field(ev, name);
    let channel = ev
        .get("System")
        .and_then(|s| s.get("Channel"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = match id {
        4624 => Kind::LogonSuccess,
        4625 => Kind::LogonFailure,
        4648 => Kind::ExplicitCredentials,
        1102 => Kind::LogCleared,
        104 if channel == "System" => Kind::LogCleared,
        4720 => Kind::AccountCreated,
        4722 => Kind::AccountEnabled,
        4725 => Kind::AccountDisabled,
        4726 => Kind::AccountDeleted,
        4781 => Kind::AccountRenamed {
            new_name: f("NewTargetUserName"),
        },
        4728 | 4732 | 4756 => Kind::GroupMemberAdded {
            group: f("TargetUserName"),
        },
        4729 | 4733 | 4757 => Kind::GroupMemberRemoved {
            group: f("TargetUserName"),
        },
        4697 | 7045 => Kind::ServiceInstalled {
            service: f("ServiceName"),
        },
        4778 => Kind::RdpSession { reconnected: true },
        4779 => Kind::RdpSession { reconnected: false },
        _ => Kind::Other,
    };
    let mut e = Event::new(kind);
    e.time = time;
    match id {
        // Group changes: the member is the account (its name, or its SID when the name is empty).
        4728 | 4732 | 4756 | 4729 | 4733 | 4757 => {
            let name = f("MemberName");
            e.account = if name.is_empty() || name == "-" {
                f("MemberSid")
            } else {
                // 「CN=yamada,CN=Users,DC=…」 → yamada
                name.strip_prefix("CN=")
                    .and_then(|n| n.split(',').next())
                    .unwrap_or(&name)
                    .to_string()
            };
        }
        4778 | 4779 => {
            e.account = f("AccountName");
            e.source = f("ClientAddress");
        }
        1102 | 104 => e.account = f("SubjectUserName"),
        4697 | 7045 => e.account = f("SubjectUserName"),
        _ => e.account = f("TargetUserName"),
    }
    e.actor = f("SubjectUserName");
    if e.source.is_empty() {
        let ip = f("IpAddress");
        e.source = if ip.is_empty() || ip == "-" {
            let ws = f("WorkstationName");
            if ws == "-" { String::new() } else { ws }
        } else {
            ip
        };
    }
    e.logon_type = f("LogonType").parse().ok();
    Some((id, e))
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
    for r in parser.records_json_value() {
        match r {
            Ok(rec) => {
                records += 1;
                match event_of(&rec.data) {
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
