//! EVTX: counts equal evtx_dump's, the BinXML reader equals the rendering, truncated files, the event table.

use mamori_logs::Options;
use mamori_logs::event::{Event, Kind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::*;

/// `evtx_dump` from crates.io (`cargo install evtx`): PATH, or MAMORI_EVTX_DUMP.
pub(crate) fn evtx_dump() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("MAMORI_EVTX_DUMP") {
        return Some(p.into());
    }
    Command::new("evtx_dump")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "evtx_dump".into())
}

/// Logons per account: (successes, failures).
pub(crate) type LogonCounts = BTreeMap<String, (u64, u64)>;

/// Counted by hand from evtx_dump's JSON lines: records, EventIDs, 4624/4625 by TargetUserName.
pub(crate) fn dump_counts(dump: &Path, file: &Path) -> (u64, BTreeMap<u32, u64>, LogonCounts) {
    let out = Command::new(dump)
        .args(["-o", "jsonl"])
        .arg(file)
        .output()
        .expect("evtx_dump runs");
    let (mut records, mut ids, mut logons) = (0u64, BTreeMap::new(), BTreeMap::new());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        records += 1;
        let id = &v["Event"]["System"]["EventID"];
        let id = id.as_u64().or_else(|| id["#text"].as_u64()).unwrap() as u32;
        *ids.entry(id).or_insert(0u64) += 1;
        let system = &v["Event"]["System"];
        let auditing = system["Channel"] == "Security"
            && system["Provider"]["#attributes"]["Name"] == "Microsoft-Windows-Security-Auditing";
        let data = &v["Event"]["EventData"];
        // Logons and Kerberos authentications (4768 succeeds with Status 0x0; 4771 always fails).
        let success = match id {
            4624 => Some(true),
            4625 | 4771 => Some(false),
            4768 => Some(data["Status"] == "0x0"),
            _ => None,
        };
        if let (true, Some(success)) = (auditing, success) {
            let user = data["TargetUserName"].as_str().unwrap_or("").to_string();
            let e: &mut (u64, u64) = logons.entry(user).or_default();
            if success { e.0 += 1 } else { e.1 += 1 }
        }
    }
    (records, ids, logons)
}

#[test]
fn evtx_counts_equal_evtx_dumps() {
    let Some(dir) = shared("evtx") else {
        println!("SKIP: ../shared/data/evtx is not here; EVTX counts not compared");
        return;
    };
    let Some(dump) = evtx_dump() else {
        println!("SKIP: evtx_dump is not installed (cargo install evtx); EVTX counts not compared");
        return;
    };
    for file in files_in(&dir, "evtx") {
        let r = run(
            std::slice::from_ref(&file),
            &Options::at(&mamori_core::Clock::system()),
        );
        let (records, ids, logons) = dump_counts(&dump, &file);
        assert_eq!(r.files[0].records, records, "{}", file.display());
        assert_eq!(r.event_counts, ids, "{}", file.display());
        let ours: BTreeMap<String, (u64, u64)> = r
            .logons
            .iter()
            .map(|l| (l.account.clone(), (l.success, l.failure)))
            .collect();
        assert_eq!(ours, logons, "{}", file.display());
        assert!(r.files[0].errors.is_empty(), "{:?}", r.files[0].errors);
    }
}

/// Every chunk of every sample: the events read straight from BinXML are the rendering's, record by
/// record, and most chunks are read that way (the rendering is the slow path).
#[test]
fn evtx_binxml_events_are_the_renderings_on_every_sample() {
    use mamori_logs::evtx_source::{chunk_items, chunk_items_by_rendering};
    let Some(dir) = shared("evtx") else {
        println!("SKIP: ../shared/data/evtx is not here; BinXML reading not compared");
        return;
    };
    let settings = std::sync::Arc::new(evtx::ParserSettings::new().num_threads(1));
    let (mut chunks, mut fast, mut events) = (0, 0, 0);
    for file in files_in(&dir, "evtx") {
        let parser = evtx::EvtxParser::from_path(&file).unwrap();
        for chunk in parser.into_chunks() {
            let Ok(mut chunk) = chunk else { continue };
            chunks += 1;
            let rendered = chunk_items_by_rendering(&mut chunk, &settings);
            events += rendered.len();
            let mut direct = Vec::new();
            let read = mamori_logs::evtx_binxml::read_chunk(&chunk.data, &mut |_| Ok(()));
            if let Err(u) = read {
                println!("{}: a chunk is rendered ({u:?})", file.display());
            }
            if read.is_ok() {
                fast += 1;
                direct = chunk_items(&mut chunk, &settings);
                assert_eq!(direct.len(), rendered.len(), "{}", file.display());
                for (d, r) in direct.iter().zip(&rendered) {
                    assert_eq!(d, r, "{}", file.display());
                }
            }
            drop(direct);
        }
    }
    println!("{fast} of {chunks} chunks ({events} records) read straight from BinXML");
    assert!(events > 0);
    assert!(
        fast * 10 >= chunks * 9,
        "only {fast} of {chunks} chunks read from BinXML"
    );
}

#[test]
fn a_truncated_evtx_gives_the_records_before_the_damage() {
    let Some(dir) = shared("evtx") else {
        println!("SKIP: ../shared/data/evtx is not here");
        return;
    };
    let whole = std::fs::read(dir.join("smb-password-guessing-security.evtx")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut.evtx");
    std::fs::write(&cut, &whole[..whole.len() / 2 + 777]).unwrap();
    let r = run(&[cut], &Options::at(&mamori_core::Clock::system()));
    let all = run(
        &[dir.join("smb-password-guessing-security.evtx")],
        &Options::at(&mamori_core::Clock::system()),
    );
    assert!(
        r.files[0].records > 0 && r.files[0].records < all.files[0].records,
        "{:?}",
        r.files[0]
    );
    // Garbage with the signature: a message, no records, no panic.
    let junk = tmp.path().join("junk.evtx");
    std::fs::write(&junk, b"ElfFile\0garbage").unwrap();
    let r = run(&[junk], &Options::at(&mamori_core::Clock::system()));
    assert_eq!(r.files[0].records, 0);
    assert!(!r.files[0].errors.is_empty());
}

/// A record as evtx_dump writes it, with the given EventID, channel and provider.
pub(crate) fn record_json(id: u32, channel: &str, provider: &str) -> String {
    let data = serde_json::json!({
        "TargetUserName": "yamada", "SubjectUserName": "admin", "IpAddress": "::ffff:10.0.0.7",
        "Status": "0x18", "MemberName": "CN=yamada,CN=Users", "ServiceName": "evil",
        "AccountName": "yamada", "ClientAddress": "10.0.0.7",
    });
    let user_data = serde_json::json!({"EventXML": {"Param1": "yamada", "Param2": "CLINIC", "Param3": "10.0.0.7"}});
    serde_json::json!({"Event": {
        "System": {
            "EventID": id,
            "Provider": {"#attributes": {"Name": provider}},
            "Channel": channel,
            "TimeCreated": {"#attributes": {"SystemTime": "2025-06-02T01:00:00Z"}},
        },
        "EventData": if id == 1149 { serde_json::Value::Null } else { data },
        "UserData": if id == 1149 { user_data } else { serde_json::Value::Null },
    }})
    .to_string()
}

#[test]
fn every_row_of_the_event_table_counts_from_its_source_only() {
    use mamori_logs::evtx_meaning::RULES;
    use mamori_logs::evtx_source::event_of_json;
    for r in RULES {
        let (id, e) = event_of_json(&record_json(r.id, r.channel, r.provider)).unwrap();
        assert_eq!(id, r.id);
        assert_ne!(e.kind, Kind::Other, "{r:?} from its own source");
        assert!(!e.account.is_empty(), "{r:?}: {e:?}");
        for (channel, provider) in [
            ("Application", r.provider),
            (r.channel, "Microsoft-Windows-Security-SPP"),
            (
                "Microsoft-Windows-PowerShell/Operational",
                "Microsoft-Windows-PowerShell",
            ),
        ] {
            let (id, e) = event_of_json(&record_json(r.id, channel, provider)).unwrap();
            assert_eq!(id, r.id, "still counted in the histogram");
            assert_eq!(e.kind, Kind::Other, "{r:?} from {channel} / {provider}");
        }
    }
}

#[test]
fn application_4625_and_a_non_eventlog_104_are_not_logon_failures_or_clears() {
    let tmp = tempfile::tempdir().unwrap();
    // The same records through the whole analysis: only the Security-Auditing 4625s count.
    let mut events = Vec::new();
    for i in 0..12 {
        let (_, mut e) = mamori_logs::evtx_source::event_of_json(&record_json(
            4625,
            "Application",
            "MyBackupApp",
        ))
        .unwrap();
        e.time = Some(chrono::Utc::now() + chrono::Duration::seconds(i));
        events.push(e);
    }
    let (_, e) = mamori_logs::evtx_source::event_of_json(&record_json(
        104,
        "System",
        "Microsoft-Windows-Kernel-General",
    ))
    .unwrap();
    events.push(e);
    assert!(
        detect(&events, None).is_empty(),
        "{:?}",
        detect(&events, None)
    );
    let (_, e) = mamori_logs::evtx_source::event_of_json(&record_json(
        104,
        "System",
        "Microsoft-Windows-Eventlog",
    ))
    .unwrap();
    assert_eq!(e.kind, Kind::LogCleared);
    let (_, e) = mamori_logs::evtx_source::event_of_json(&record_json(
        4625,
        "Security",
        "Microsoft-Windows-Security-Auditing",
    ))
    .unwrap();
    assert_eq!(
        (e.kind, e.source.as_str()),
        (Kind::LogonFailure, "10.0.0.7")
    );
    drop(tmp);
}

#[test]
fn kerberos_failures_then_a_ticket_is_success_after_failures_and_spraying() {
    use mamori_logs::evtx_source::event_of_json;
    let t0 = chrono::Utc::now();
    let kerberos = |id: u32, user: &str, status: &str, i: i64| {
        let json = record_json(id, "Security", "Microsoft-Windows-Security-Auditing")
            .replace("\"yamada\"", &format!("\"{user}\""))
            .replace("0x18", status);
        let (_, mut e) = event_of_json(&json).unwrap();
        e.time = Some(t0 + chrono::Duration::seconds(i));
        e
    };
    let mut events: Vec<Event> = (0..6)
        .map(|i| kerberos(4771, "yamada", "0x18", i))
        .collect();
    events.push(kerberos(4768, "yamada", "0x0", 7));
    assert_eq!(events[6].kind, Kind::LogonSuccess);
    // One address asking tickets for many names that do not exist (0x6).
    for (i, user) in ["a1", "a2", "a3", "a4", "a5", "a6"].iter().enumerate() {
        events.push(kerberos(4768, user, "0x6", 10 + i as i64));
    }
    let found = detect(&events, None);
    assert!(
        found.contains(&("success_after_failures".into(), "yamada".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("password_spray".into(), String::new())),
        "{found:?}"
    );
}
