//! Windows EVTX (Security, System; other channels counted): the `evtx` crate finds the chunks (in
//! record order, past damage), and each chunk is read on a worker thread into events, by
//! [`evtx_binxml`] straight from its BinXML, or, for a chunk that reader does not know, by the crate's
//! rendering as JSON text read into just the fields the detections use. A record that cannot be read
//! is counted as an error and the rest go on; a file whose header is damaged gives what could be read
//! and a message.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::event::{Event, Kind};
use crate::evtx_binxml::{self, Field};
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

impl Data {
    fn get(&self, f: Field) -> String {
        let t = match f {
            Field::TargetUserName => &self.TargetUserName,
            Field::SubjectUserName => &self.SubjectUserName,
            Field::IpAddress => &self.IpAddress,
            Field::WorkstationName => &self.WorkstationName,
            Field::LogonType => &self.LogonType,
            Field::NewTargetUserName => &self.NewTargetUserName,
            Field::MemberName => &self.MemberName,
            Field::MemberSid => &self.MemberSid,
            Field::ServiceName => &self.ServiceName,
            Field::AccountName => &self.AccountName,
            Field::ClientAddress => &self.ClientAddress,
            Field::Status => &self.Status,
            Field::Param1 => &self.Param1,
            Field::Param3 => &self.Param3,
        };
        t.0.clone().unwrap_or_default()
    }
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
    let meaning = evtx_meaning::meaning(id, &channel, &provider);
    Some((id, event_from(time, meaning, &mut |f| data.get(f))))
}

/// The event of a record of this meaning (from its EventID, channel and provider); `field` gives
/// its EventData (or UserData) fields, empty when absent. Only what the meaning names is read.
fn event_from(
    time: Option<DateTime<Utc>>,
    meaning: Option<Meaning>,
    field: &mut dyn FnMut(Field) -> String,
) -> Event {
    use Field as F;
    use Meaning as M;
    let mut e = Event::new(Kind::Other);
    e.time = time;
    let Some(meaning) = meaning else {
        return e;
    };
    e.kind = kind_of(meaning, field);
    match meaning {
        // Group changes: the member is the account (its name, or its SID when the name is empty).
        M::GroupMemberAdded | M::GroupMemberRemoved => {
            let name = field(F::MemberName);
            e.account = if name.is_empty() || name == "-" {
                field(F::MemberSid)
            } else {
                // 「CN=yamada,CN=Users,DC=…」 → yamada
                name.strip_prefix("CN=")
                    .and_then(|n| n.split(',').next())
                    .unwrap_or(&name)
                    .to_string()
            };
        }
        M::RdpReconnected | M::RdpDisconnected => {
            e.account = field(F::AccountName);
            e.source = field(F::ClientAddress);
        }
        M::RdpAuthenticated => {
            e.account = field(F::Param1);
            e.source = field(F::Param3);
        }
        M::LogCleared | M::ServiceInstalled => e.account = field(F::SubjectUserName),
        _ => e.account = field(F::TargetUserName),
    }
    e.actor = field(F::SubjectUserName);
    if e.source.is_empty() {
        let ip = field(F::IpAddress);
        // Kerberos writes IPv4 sources as 「::ffff:10.0.0.5」.
        let ip = ip.strip_prefix("::ffff:").map(str::to_string).unwrap_or(ip);
        e.source = if ip.is_empty() || ip == "-" {
            let ws = field(F::WorkstationName);
            if ws == "-" { String::new() } else { ws }
        } else {
            ip
        };
    }
    e.logon_type = field(F::LogonType).parse().ok();
    e
}

/// The event kind for a meaning, with the fields it names.
fn kind_of(meaning: Meaning, field: &mut dyn FnMut(Field) -> String) -> Kind {
    use Field as F;
    use Meaning as M;
    match meaning {
        M::LogonSuccess => Kind::LogonSuccess,
        M::LogonFailure | M::KerberosPreauthFailed => Kind::LogonFailure,
        M::KerberosTicket => match field(F::Status).as_str() {
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
            new_name: field(F::NewTargetUserName),
        },
        M::GroupMemberAdded => Kind::GroupMemberAdded {
            group: field(F::TargetUserName),
        },
        M::GroupMemberRemoved => Kind::GroupMemberRemoved {
            group: field(F::TargetUserName),
        },
        M::ServiceInstalled => Kind::ServiceInstalled {
            service: field(F::ServiceName),
        },
        M::RdpReconnected => Kind::RdpSession { reconnected: true },
        M::RdpDisconnected => Kind::RdpSession { reconnected: false },
        M::RdpAuthenticated => Kind::RdpAuthenticated,
    }
}

/// One record of a chunk, read.
#[derive(Debug, PartialEq)]
pub enum Item {
    Event(u32, Event),
    /// A record without a readable EventID (`None`), or one that could not be read at all.
    Unreadable(Option<String>),
}

/// A record read by [`evtx_binxml`] as its item.
fn item_of_binxml(rec: &evtx_binxml::Record) -> Result<Item, evtx_binxml::Unsupported> {
    let Some(id) = rec.event_id()? else {
        return Ok(Item::Unreadable(None));
    };
    let time = rec.time()?;
    let unsupported = std::cell::Cell::new(None);
    let check = |r: Result<bool, evtx_binxml::Unsupported>| {
        r.unwrap_or_else(|u| {
            unsupported.set(Some(u));
            false
        })
    };
    let meaning = evtx_meaning::meaning_where(id, &mut |c| check(rec.channel_is(c)), &mut |p| {
        check(rec.provider_is(p))
    });
    if let Some(u) = unsupported.get() {
        return Err(u);
    }
    let e = event_from(time, meaning, &mut |f| match rec.field(f) {
        Ok(v) => v.unwrap_or_default(),
        Err(u) => {
            unsupported.set(Some(u));
            String::new()
        }
    });
    match unsupported.get() {
        Some(u) => Err(u),
        None => Ok(Item::Event(id, e)),
    }
}

/// A chunk's records through the `evtx` crate's JSON rendering.
pub fn chunk_items_by_rendering(
    chunk: &mut evtx::EvtxChunkData,
    settings: &Arc<evtx::ParserSettings>,
) -> Vec<Item> {
    let mut chunk = match chunk.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => return vec![Item::Unreadable(Some(format!("読めないチャンク: {e}")))],
    };
    chunk
        .iter()
        .map(|r| match r.and_then(|rec| rec.into_json()) {
            Ok(rec) => match event_of_json(&rec.data) {
                Some((id, e)) => Item::Event(id, e),
                None => Item::Unreadable(None),
            },
            Err(e) => Item::Unreadable(Some(format!("読めないレコード: {e}"))),
        })
        .collect()
}

/// A chunk's records: read from its BinXML where [`evtx_binxml`] can, rendered otherwise.
pub fn chunk_items(
    chunk: &mut evtx::EvtxChunkData,
    settings: &Arc<evtx::ParserSettings>,
) -> Vec<Item> {
    let mut items = Vec::with_capacity(256);
    let read = evtx_binxml::read_chunk(&chunk.data, &mut |rec| {
        items.push(item_of_binxml(rec)?);
        Ok(())
    });
    match read {
        Ok(_) => items,
        Err(_) => chunk_items_by_rendering(chunk, settings),
    }
}

/// Reads an EVTX file: `on_event` gets each record's EventID and event, in record order; returns
/// (records, errors). `threads` chunks are read at once (0: one a core); this thread runs `on_event`.
pub fn read(
    path: &Path,
    threads: usize,
    on_event: &mut dyn FnMut(u32, Event),
    on_progress: &mut dyn FnMut(u64),
) -> (u64, Vec<String>) {
    let mut errors = Vec::new();
    let settings = Arc::new(evtx::ParserSettings::new().num_threads(1));
    let parser = match evtx::EvtxParser::from_path(path) {
        Ok(p) => p.with_configuration((*settings).clone()),
        Err(e) => {
            errors.push(format!("EVTX として読めません: {e}"));
            return (0, errors);
        }
    };
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut records = 0u64;
    let mut bad = 0u64;
    std::thread::scope(|s| {
        // Chunks go out numbered to the workers; their items come back in any order and are
        // taken in chunk order. Both queues are bounded, so memory stays a few chunks.
        let (chunk_tx, chunk_rx) = mpsc::sync_channel(threads * 2);
        let chunk_rx = Arc::new(Mutex::new(chunk_rx));
        let (items_tx, items_rx) = mpsc::sync_channel::<(usize, Vec<Item>)>(threads * 2);
        s.spawn(move || {
            for (n, chunk) in parser.into_chunks().enumerate() {
                if chunk_tx.send((n, chunk)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..threads {
            let (chunk_rx, items_tx, settings) = (
                Arc::clone(&chunk_rx),
                items_tx.clone(),
                Arc::clone(&settings),
            );
            s.spawn(move || {
                loop {
                    let next = chunk_rx.lock().expect("chunk queue").recv();
                    let Ok((n, chunk)) = next else { break };
                    let items = match chunk {
                        Ok(mut chunk) => chunk_items(&mut chunk, &settings),
                        Err(e) => vec![Item::Unreadable(Some(format!("読めないチャンク: {e}")))],
                    };
                    if items_tx.send((n, items)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(items_tx);
        let mut waiting: BTreeMap<usize, Vec<Item>> = BTreeMap::new();
        let mut next = 0;
        for (n, items) in items_rx {
            waiting.insert(n, items);
            while let Some(items) = waiting.remove(&next) {
                next += 1;
                for item in items {
                    // A record that could not be read at all is an error, not a record.
                    match item {
                        Item::Event(id, e) => {
                            records += 1;
                            on_event(id, e);
                        }
                        Item::Unreadable(None) => {
                            records += 1;
                            bad += 1;
                        }
                        Item::Unreadable(Some(why)) => {
                            bad += 1;
                            if errors.len() < MAX_MESSAGES {
                                errors.push(why);
                            }
                        }
                    }
                    if records.is_multiple_of(4096) {
                        on_progress(records);
                    }
                }
            }
        }
    });
    on_progress(records);
    if bad as usize > errors.len() {
        errors.push(format!("読めないレコードは合計 {bad} 件"));
    }
    (records, errors)
}

/// At most this many messages per file (the rest are counted).
pub const MAX_MESSAGES: usize = 20;
