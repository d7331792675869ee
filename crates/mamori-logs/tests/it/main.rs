//! The engine on the shared real samples (counts compared with `evtx_dump -o jsonl` and with plain line
//! scanning; findings asserted), and on generated syslog lines, CSV files (UTF-8 and CP932) and events.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{FixedOffset, TimeZone, Utc};
use mamori_logs::event::{Event, Kind, Origin, patient_key};
use mamori_logs::{Options, Report, Thresholds, analyze, ehr_csv, syslog};

fn shared(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub);
    p.exists().then_some(p)
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

fn run(paths: &[PathBuf], options: &Options) -> Report {
    analyze(paths, options, &mut |_, _| {})
}

/// `evtx_dump` from crates.io (`cargo install evtx`): PATH, or MAMORI_EVTX_DUMP.
fn evtx_dump() -> Option<PathBuf> {
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
type LogonCounts = BTreeMap<String, (u64, u64)>;

/// Counted by hand from evtx_dump's JSON lines: records, EventIDs, 4624/4625 by TargetUserName.
fn dump_counts(dump: &Path, file: &Path) -> (u64, BTreeMap<u32, u64>, LogonCounts) {
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

/// Accepted / Failed password lines counted by plain string scanning.
#[test]
fn auth_log_logons_equal_a_plain_count() {
    let Some(dir) = shared("syslog") else {
        println!("SKIP: ../shared/data/syslog is not here; auth-log counts not compared");
        return;
    };
    for file in files_in(&dir, "log") {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for line in text.lines() {
            let Some(i) = line.find(": ") else { continue };
            if !line[..i].contains(" sshd[") {
                continue;
            }
            let mut msg = &line[i + 2..];
            // 「message repeated 5 times: [ Failed password …]」 is five lines.
            let mut times = 1;
            if let Some(rest) = msg.strip_prefix("message repeated ") {
                let (n, inner) = rest.split_once(" times: [ ").unwrap();
                times = n.parse().unwrap();
                msg = inner.trim_end_matches(']');
            }
            let words: Vec<&str> = msg.split(' ').collect();
            if msg.starts_with("Accepted ") {
                want.entry(words[3].to_string()).or_default().0 += times;
            } else if let Some(rest) = msg.strip_prefix("Failed password for invalid user ") {
                // sshd prints the name as sent: 「invalid user  0101 from」 is the user 0101.
                let user = rest.rsplit_once(" from ").unwrap().0.trim();
                want.entry(user.to_string()).or_default().1 += times;
            } else if msg.starts_with("Failed password for ") {
                want.entry(words[3].to_string()).or_default().1 += times;
            }
        }
        let r = run(
            std::slice::from_ref(&file),
            &Options {
                year: 2015,
                ..Options::at(&mamori_core::Clock::system())
            },
        );
        let got: BTreeMap<String, (u64, u64)> = r
            .logons
            .iter()
            .map(|l| (l.account.clone(), (l.success, l.failure)))
            .collect();
        assert_eq!(got, want, "{}", file.display());
        assert_eq!(
            r.files[0].records as usize,
            text.lines().count(),
            "every line read: {:?}",
            r.files[0].errors
        );
    }
}

fn kinds(r: &Report) -> Vec<(&str, String, String)> {
    r.findings
        .iter()
        .map(|f| (f.kind.as_str(), f.account.clone(), f.source.clone()))
        .collect()
}

#[test]
fn findings_on_the_attack_samples() {
    let Some(dir) = shared("evtx") else {
        println!("SKIP: ../shared/data/evtx is not here; findings not checked");
        return;
    };
    let one = |name: &str| {
        run(
            &[dir.join(name)],
            &Options::at(&mamori_core::Clock::system()),
        )
    };
    let smb = one("smb-password-guessing-security.evtx");
    let k = kinds(&smb);
    assert!(
        k.contains(&("failed_logon_burst", "Administrator".into(), String::new())),
        "{k:?}"
    );
    assert!(
        k.iter()
            .any(|(kind, _, src)| *kind == "failed_logon_burst_source" && src == "192.168.198.149")
    );
    let burst = smb
        .findings
        .iter()
        .find(|f| f.kind == "failed_logon_burst")
        .unwrap();
    assert_eq!(
        (burst.severity.as_str(), burst.items.join(",")),
        ("high", "access_log,password_length".to_string())
    );
    assert!(burst.message.contains("Administrator"));

    let spray = one("password-spray.evtx");
    let f = spray
        .findings
        .iter()
        .find(|f| f.kind == "password_spray")
        .expect("spray found");
    assert_eq!(f.source, "jwrig");
    assert!(f.message.contains("試されたアカウント"), "{}", f.message);
    assert!(kinds(&spray).iter().any(|(k, _, _)| *k == "log_cleared"));

    let new_user = one("new-user-security.evtx");
    let k = kinds(&new_user);
    assert!(
        k.contains(&(
            "account_created",
            "IEUser".into(),
            "WIN-QALA5Q3KJ43$".into()
        )),
        "{k:?}"
    );
    assert!(k.iter().any(|(kind, _, group)| *kind == "privileged_group_change" && group == "Administrators"));

    let rdp = one("T1563.002_RDP-Hijacking_Security.evtx");
    assert!(
        kinds(&rdp)
            .iter()
            .any(|(k, _, _)| *k == "service_installed")
    );
    assert!(kinds(&rdp).iter().any(|(k, _, _)| *k == "rdp_session"));
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

fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap()
}

#[test]
fn syslog_line_forms() {
    let l = syslog::parse_line(
        "Jun  9 06:06:20 combo sshd(pam_unix)[19939]: check pass; user unknown",
        2024,
        jst(),
    )
    .unwrap();
    assert_eq!(
        (l.host, l.program, l.pid, l.message),
        (
            "combo",
            "sshd(pam_unix)",
            Some("19939"),
            "check pass; user unknown"
        )
    );
    assert_eq!(
        l.time,
        Some(Utc.with_ymd_and_hms(2024, 6, 8, 21, 6, 20).unwrap())
    );
    let l = syslog::parse_line("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8", 1999, jst()).unwrap();
    assert_eq!(
        (l.host, l.program, l.pid),
        ("mymachine.example.com", "su", None)
    );
    assert_eq!(l.message, "'su root' failed for lonvick on /dev/pts/8");
    let l = syslog::parse_line(r#"<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application \] x"][b@1 c="d"] An application event"#, 1999, jst()).unwrap();
    assert_eq!(l.message, "An application event");
    let l = syslog::parse_line("2024-01-15T10:00:00.123456+09:00 srv sshd[77]: Accepted publickey for yamada from 192.168.1.5 port 50000 ssh2", 1999, jst()).unwrap();
    assert_eq!(
        l.time,
        Some(
            Utc.with_ymd_and_hms(2024, 1, 15, 1, 0, 0).unwrap()
                + chrono::Duration::microseconds(123456)
        )
    );
    let e = syslog::event_of(&l).unwrap();
    assert_eq!(
        (e.kind, e.account.as_str(), e.source.as_str()),
        (Kind::LogonSuccess, "yamada", "192.168.1.5")
    );
    let l =
        syslog::parse_line("Jun 19 04:09:11 combo syslogd 1.4.1: restart.", 2005, jst()).unwrap();
    assert_eq!(l.program, "syslogd");
    let l = syslog::parse_line("Jan  5 10:00:00 srv sudo:   yamada : TTY=pts/0 ; PWD=/home/yamada ; USER=root ; COMMAND=/usr/bin/apt upgrade", 2024, jst()).unwrap();
    let e = syslog::event_of(&l).unwrap();
    assert_eq!(
        e.kind,
        Kind::Sudo {
            command: "/usr/bin/apt upgrade".into()
        }
    );
    assert_eq!(e.account, "yamada");
    assert!(syslog::parse_line("ユーザID,日時", 2024, jst()).is_none());
    assert!(
        syslog::parse_line("Feb 30 10:00:00 h p: x", 2024, jst()).is_none(),
        "no such day"
    );
}

#[test]
fn the_year_turns_in_a_log_from_december_to_january() {
    let mut r = syslog::Reader::new(2024, jst());
    let dec = r.line("Dec 31 23:59:59 h sshd[1]: x").unwrap();
    let jan = r.line("Jan  1 00:00:01 h sshd[1]: y").unwrap();
    assert_eq!(dec.time.unwrap().to_string(), "2024-12-31 14:59:59 UTC");
    assert_eq!(jan.time.unwrap().to_string(), "2024-12-31 15:00:01 UTC");
}

fn ehr_rows(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("ユーザID,氏名,アクセス日時,区分,操作内容,患者ID,端末名\r\n");
    for (u, t, p) in rows {
        s.push_str(&format!("{u},山田,{t},カルテ,参照,{p},受付PC\r\n"));
    }
    s
}

fn read_csv(bytes: &[u8], m: &ehr_csv::Mapping) -> (u64, Vec<String>, &'static str, Vec<Event>) {
    let mut events = Vec::new();
    let (n, e, enc) = ehr_csv::read(bytes, m, &mut |ev| events.push(ev.clone()), &mut |_| {});
    (n, e, enc, events)
}

#[test]
fn ehr_csv_fields_split_as_bytes_decode_like_the_whole_file() {
    // CP932 characters whose second byte is 「\\」 or in the ASCII range (ソ 表 能), a quoted field with a
    // comma and a quote, full-width and ASCII spaces around fields, a BOM on UTF-8, and UTF-16 with its BOM:
    // each field reads as the file decoded whole would.
    let text = "ユーザID,氏名,アクセス日時,区分,操作内容,患者ID,端末名\r\n\u{3000}u001 ,\"ソ表,能\"\"太郎\",2025/06/02 09:15:00,カルテ, 処方箋印刷 ,P-1,\u{3000}受付ＰＣ\r\nu002,十,2025/06/02 09:16:00,カルテ,参照,,予\r\n";
    let check = |ev: &[Event], label: &str| {
        assert_eq!(ev.len(), 2, "{label}");
        assert_eq!(
            (
                ev[0].account.as_str(),
                ev[0].actor.as_str(),
                ev[0].source.as_str()
            ),
            ("u001", "ソ表,能\"太郎", "受付ＰＣ"),
            "{label}"
        );
        assert_eq!(
            ev[0].kind,
            Kind::EhrAccess {
                patient: patient_key("P-1"),
                export: true
            },
            "{label}"
        );
        assert_eq!(
            ev[1].kind,
            Kind::EhrAccess {
                patient: None,
                export: false
            },
            "{label}"
        );
        assert_eq!(
            (ev[1].actor.as_str(), ev[1].source.as_str()),
            ("十", "予"),
            "{label}"
        );
    };
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    let (n, errors, enc, ev) = read_csv(&sjis, &ehr_csv::Mapping::default());
    assert_eq!((n, errors.len(), enc), (2, 0, "Shift_JIS (CP932)"));
    check(&ev, "CP932");
    let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let (_, errors, enc, ev) = read_csv(&bom, &ehr_csv::Mapping::default());
    assert_eq!((errors.len(), enc), (0, "UTF-8"));
    check(&ev, "UTF-8 with BOM");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let (_, errors, enc, ev) = read_csv(&utf16, &ehr_csv::Mapping::default());
    assert_eq!((errors.len(), enc), (0, "UTF-16"));
    check(&ev, "UTF-16LE");
    // A UTF-16 file with nothing after its BOM is empty, not a header of stray bytes.
    let (n, errors, enc, _) = read_csv(&[0xFF, 0xFE], &ehr_csv::Mapping::default());
    assert_eq!((n, enc), (0, "UTF-16"));
    assert_eq!(errors, ["見出しの行がありません（空のファイルです）"]);
}

#[test]
fn ehr_csv_rows_beyond_many_batches_keep_their_own_fields() {
    // Batches are refilled after use: every row must still carry its own values, a short row none of
    // the row before it.
    let mut text = String::from("ユーザID,氏名,アクセス日時,区分,操作内容,患者ID,端末名\r\n");
    for i in 0..10_000 {
        if i % 3 == 0 {
            text.push_str(&format!("u{i},,2025/06/02 09:{:02}:00\r\n", i % 60));
        } else {
            text.push_str(&format!(
                "u{i},名{i},2025/06/02 09:{:02}:00,カルテ,{},P{i},端末{i}\r\n",
                i % 60,
                if i % 2 == 0 { "印刷" } else { "参照" }
            ));
        }
    }
    let (n, errors, _, ev) = read_csv(text.as_bytes(), &ehr_csv::Mapping::default());
    assert_eq!((n, errors.len()), (10_000, 0));
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.account, format!("u{i}"));
        if i % 3 == 0 {
            assert_eq!((e.actor.as_str(), e.source.as_str()), ("", ""), "row {i}");
            assert_eq!(
                e.kind,
                Kind::EhrAccess {
                    patient: None,
                    export: false
                },
                "row {i}"
            );
        } else {
            assert_eq!(
                (e.actor.clone(), e.source.clone()),
                (format!("名{i}"), format!("端末{i}"))
            );
            assert_eq!(
                e.kind,
                Kind::EhrAccess {
                    patient: patient_key(&format!("P{i}")),
                    export: i % 2 == 0
                },
                "row {i}"
            );
        }
    }
}

#[test]
fn ehr_csv_in_utf8_and_cp932_with_mappings() {
    let text = ehr_rows(&[
        ("u001", "2025/06/02 09:15:00", "P-1"),
        ("u002", "2025-06-02 22:30", "P-2"),
    ]);
    let (n, errors, enc, ev) = read_csv(text.as_bytes(), &ehr_csv::Mapping::default());
    assert_eq!((n, errors.len(), enc), (2, 0, "UTF-8"));
    assert_eq!(
        ev[0].time,
        Some(Utc.with_ymd_and_hms(2025, 6, 2, 0, 15, 0).unwrap()),
        "JST"
    );
    assert_eq!(
        ev[0].kind,
        Kind::EhrAccess {
            patient: patient_key("P-1"),
            export: false
        }
    );
    assert_eq!(
        (ev[0].account.as_str(), ev[0].source.as_str(), ev[0].origin),
        ("u001", "受付PC", Origin::Ehr)
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    let (n, errors, enc, ev2) = read_csv(&sjis, &ehr_csv::Mapping::default());
    assert_eq!((n, errors.len(), enc), (2, 0, "Shift_JIS (CP932)"));
    assert_eq!(ev2, ev);
    // A mapping file for other headers, and two columns for date and time.
    let other = "職員コード,日付,時刻,患者番号\r\nk9,2025/06/02,08:00:00,123\r\nk9,2025/06/02,25:00:00,124\r\n,2025/06/02,08:00:00,125\r\n";
    let m =
        ehr_csv::mapping_from_json(r#"{"user_id": "職員コード", "date": "日付", "time": "時刻"}"#)
            .unwrap();
    let (n, errors, _, ev) = read_csv(other.as_bytes(), &m);
    assert_eq!(n, 1);
    assert_eq!(
        errors,
        [
            "3行目: 日時「2025/06/02 25:00:00」を読めません",
            "4行目: ユーザIDが空です"
        ]
    );
    assert_eq!(
        ev[0].kind,
        Kind::EhrAccess {
            patient: patient_key("123"),
            export: false
        }
    );
    // Headers the mapping cannot find: said so, nothing read.
    let (n, errors, _, _) = read_csv("a,b\r\n1,2\r\n".as_bytes(), &ehr_csv::Mapping::default());
    assert_eq!(n, 0);
    assert!(errors[0].contains("--csv-map"), "{errors:?}");
    assert!(
        ehr_csv::mapping_from_json(r#"{"usr": "x"}"#).is_err(),
        "unknown keys refused"
    );
}

fn ev(kind: Kind, account: &str, source: &str, minute: i64) -> Event {
    let mut e = Event::new(kind);
    e.time = Some(
        Utc.with_ymd_and_hms(2025, 6, 2, 1, 0, 0).unwrap() + chrono::Duration::minutes(minute),
    );
    e.account = account.into();
    e.source = source.into();
    e
}

fn detect(events: &[Event], staff: Option<mamori_logs::Staff>) -> Vec<(String, String)> {
    let mut d = mamori_logs::detect::Detector::new(Thresholds::default(), staff);
    for e in events {
        d.push(e);
    }
    d.finish()
        .into_iter()
        .map(|f| (f.kind, f.account))
        .collect()
}

#[test]
fn detections_with_the_staff_ledger() {
    let staff = mamori_logs::Staff::from_file(
        "ユーザID,状態,退職日\r\nyamada,使用可,\r\nsato,使用可,2025-03-31\r\nsuzuki,無効,\r\n"
            .as_bytes(),
    )
    .unwrap();
    let mut events = Vec::new();
    for (who, origin) in [
        ("yamada", Origin::Evtx),
        ("sato", Origin::Evtx),
        ("CLINIC\\suzuki", Origin::Evtx),
        ("tanaka", Origin::Ehr),
        ("SYSTEM", Origin::Evtx),
    ] {
        let mut e = ev(
            if origin == Origin::Ehr {
                Kind::EhrAccess {
                    patient: patient_key("P"),
                    export: false,
                }
            } else {
                Kind::LogonSuccess
            },
            who,
            "",
            0,
        );
        e.origin = origin;
        events.push(e);
    }
    let found = detect(&events, Some(staff));
    assert_eq!(
        found,
        [
            (
                "retired_account_used".to_string(),
                "CLINIC\\suzuki".to_string()
            ),
            ("retired_account_used".to_string(), "sato".to_string()),
            ("unknown_account_used".to_string(), "tanaka".to_string()),
        ]
    );
}

/// A record as evtx_dump writes it, with the given EventID, channel and provider.
fn record_json(id: u32, channel: &str, provider: &str) -> String {
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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn finding<'a>(r: &'a Report, kind: &str) -> &'a mamori_logs::Finding {
    r.findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind}: {:?}", kinds(r)))
}

#[test]
fn auth_log_after_a_break_in_shows_the_login_and_what_came_next() {
    let r = run(
        &[fixture("auth-after-break-in.log")],
        &Options {
            year: 2025,
            ..Options::at(&mamori_core::Clock::system())
        },
    );
    // 「message repeated 5 times」 is five failures: 1 + 5 for admin, 1 for oracle.
    let admin = r.logons.iter().find(|l| l.account == "admin").unwrap();
    assert_eq!((admin.success, admin.failure), (1, 6));
    // The login from the address that was guessing passwords: high, of its own.
    let hit = finding(&r, "success_after_attack_source");
    assert_eq!(hit.severity, "high");
    assert_eq!(
        (hit.account.as_str(), hit.source.as_str()),
        ("admin", "203.0.113.9")
    );
    assert!(hit.message.contains("最も重要な行"), "{}", hit.message);
    // yamada's key login from the office network is not one.
    assert!(
        !r.findings
            .iter()
            .any(|f| f.kind == "success_after_attack_source" && f.account == "yamada")
    );
    let k = kinds(&r);
    for want in [
        ("account_created", "backup2", ""),
        ("privileged_group_change", "backup2", "sudo"),
        ("privileged_group_change", "www-data", "wheel"),
        ("privileged_group_change", "backup2", "admin"),
        ("privileged_group_change", "yamada", "sudo"),
        ("group_created", "ops", ""),
        ("password_changed", "backup2", ""),
        ("account_renamed", "tanaka", ""),
        ("account_deleted", "sato", ""),
    ] {
        assert!(
            k.contains(&(want.0, want.1.to_string(), want.2.to_string())),
            "{want:?} in {k:?}"
        );
    }
    // The shadow-group line repeats the group line and useradd's own per-user group is not a finding.
    let sudo = r
        .findings
        .iter()
        .find(|f| {
            f.kind == "privileged_group_change" && f.account == "backup2" && f.source == "sudo"
        })
        .unwrap();
    assert_eq!(sudo.count, 1);
    assert!(
        !k.iter()
            .any(|(kind, a, _)| *kind == "group_created" && a == "backup2")
    );
    let created = finding(&r, "account_created");
    assert_eq!(created.items, ["unused_accounts", "access_rights"]);
    assert!(
        !created.message.contains("操作したアカウント「」"),
        "{}",
        created.message
    );
    let renamed = finding(&r, "account_renamed");
    assert!(
        renamed.message.contains("tanaka_old"),
        "{}",
        renamed.message
    );
}

#[test]
fn many_addresses_each_trying_one_name_are_one_finding() {
    let mut log = String::new();
    for i in 0..120 {
        log.push_str(&format!(
            "Jun  3 03:{:02}:{:02} srv sshd[{}]: Invalid user guest{i} from 198.51.100.{} port 5{i:04}\n",
            i / 60,
            i % 60,
            7000 + i,
            i + 1
        ));
    }
    // One address tries three times more: it leads the list.
    for s in 0..3 {
        log.push_str(&format!(
            "Jun  3 04:00:0{s} srv sshd[8000]: Invalid user test from 198.51.100.1 port 6000{s}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("auth.log");
    std::fs::write(&p, log).unwrap();
    let r = run(
        &[p],
        &Options {
            year: 2025,
            ..Options::at(&mamori_core::Clock::system())
        },
    );
    let invalid: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind == "ssh_invalid_user")
        .collect();
    assert_eq!(invalid.len(), 1, "{:?}", kinds(&r));
    let f = invalid[0];
    assert_eq!(f.count, 123);
    assert_eq!(f.source, "198.51.100.1 ほか119か所");
    assert!(
        f.message
            .contains("接続元 120か所（多い順）: 198.51.100.1（4件）、"),
        "{}",
        f.message
    );
    assert!(f.message.contains("ほか110か所"), "{}", f.message);
    let at = |h, m, s| {
        jst()
            .with_ymd_and_hms(2025, 6, 3, h, m, s)
            .unwrap()
            .to_utc()
    };
    assert_eq!((f.first, f.last), (Some(at(3, 0, 0)), Some(at(4, 0, 2))));
}

#[test]
fn cp932_access_logs_with_each_set_of_real_headers() {
    // (headers, the time as written): each export's own words, one file each, in CP932.
    let sets: &[(&[&str], &str)] = &[
        (
            &["時刻", "利用者ID", "氏名", "患者ID", "区分", "操作", "端末"],
            "2025/06/02 09:15:00",
        ),
        (
            &[
                "日時",
                "ユーザーID",
                "利用者名",
                "患者番号",
                "カテゴリ",
                "操作内容",
                "端末名",
            ],
            "2025-06-02 09:15",
        ),
        (
            &[
                "アクセス日時",
                "ユーザID",
                "氏名",
                "カルテ番号",
                "区分",
                "操作情報",
                "端末",
            ],
            "2025/06/02 09:15",
        ),
        (
            &[
                "操作日時",
                "職員ID",
                "利用者名",
                "患者ID",
                "カテゴリ",
                "操作",
                "端末名",
            ],
            "20250602091500",
        ),
        (
            &[
                "アクセス日時",
                "職員コード",
                "氏名",
                "患者番号",
                "区分",
                "操作内容",
                "端末",
            ],
            "2025/06/02 09:15:00",
        ),
        (
            &[
                "日時",
                "ログインID",
                "利用者名",
                "カルテ番号",
                "区分",
                "操作",
                "端末名",
            ],
            "2025-06-02T09:15:00",
        ),
    ];
    for (headers, time) in sets {
        let mut text = headers.join(",") + "\r\n";
        let row = |t: &str, p: &str, op: &str| {
            headers
                .iter()
                .map(|h| match *h {
                    "氏名" | "利用者名" => "看護 花子".to_string(),
                    "患者ID" | "患者番号" | "カルテ番号" => p.to_string(),
                    "区分" | "カテゴリ" => "カルテ".to_string(),
                    "操作" | "操作内容" | "操作情報" => op.to_string(),
                    "端末" | "端末名" => "診察室１".to_string(),
                    h if h.contains("ID") || h.contains("コード") => "N0012".to_string(),
                    _ => t.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
                + "\r\n"
        };
        text.push_str(&row(time, "000123", "参照"));
        text.push_str(&row(time, "000124", "印刷"));
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let (n, errors, enc, ev) = read_csv(&bytes, &ehr_csv::Mapping::default());
        assert_eq!(
            (n, enc),
            (2, "Shift_JIS (CP932)"),
            "{headers:?}: {errors:?}"
        );
        assert!(errors.is_empty(), "{headers:?}: {errors:?}");
        let e = &ev[1];
        assert_eq!(e.account, "N0012", "{headers:?}");
        assert_eq!(e.actor, "看護 花子", "{headers:?}");
        assert_eq!(e.source, "診察室１", "{headers:?}");
        assert_eq!(
            e.time,
            Some(Utc.with_ymd_and_hms(2025, 6, 2, 0, 15, 0).unwrap()),
            "{headers:?}"
        );
        assert_eq!(
            e.kind,
            Kind::EhrAccess {
                patient: patient_key("000124"),
                export: true
            },
            "{headers:?}"
        );
    }
    // Date and time in two columns (日付 + 時刻), from the committed CP932 file.
    let bytes = std::fs::read(fixture("access-cp932-date-and-time.csv")).unwrap();
    let (n, errors, enc, ev) = read_csv(&bytes, &ehr_csv::Mapping::default());
    assert_eq!((n, enc), (2, "Shift_JIS (CP932)"), "{errors:?}");
    assert_eq!(
        ev[1].time,
        Some(Utc.with_ymd_and_hms(2025, 6, 2, 0, 16, 30).unwrap())
    );
    assert_eq!(
        (ev[1].account.as_str(), ev[1].actor.as_str()),
        ("N0012", "看護 花子")
    );
    // Columns that still cannot be found: the headers seen and the mapping to write.
    let (n, errors, _, _) = read_csv(
        "記録番号,者,いつ\r\n1,a,b\r\n".as_bytes(),
        &ehr_csv::Mapping::default(),
    );
    assert_eq!(n, 0);
    assert!(
        errors[0].contains("見出し: 「記録番号」「者」「いつ」"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("\"time\":\"（日時の列の見出し）\""),
        "{}",
        errors[0]
    );
}

/// A month of a clinic's EHR log: 8:30–18:00 Monday to Saturday, Dr. Sato's evening clinic on Tuesday
/// and Thursday until 20:00, Dr. Kato's Sunday duty, reception printing a receipt for every patient.
fn clinic_month(anomalies: bool) -> Vec<Event> {
    let mut seed = 12345u64;
    let mut rand = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut events = Vec::new();
    let mut push = |user: &str, t: chrono::DateTime<Utc>, patient: String, op: &str| {
        let mut e = Event::new(Kind::EhrAccess {
            patient: patient_key(&patient),
            export: mamori_logs::ehr_habits::is_export(op, "カルテ"),
        });
        e.origin = Origin::Ehr;
        e.time = Some(t);
        e.account = user.into();
        events.push(e);
    };
    let at = |d: u32, h: u32, m: u32| {
        jst()
            .with_ymd_and_hms(2025, 6, d, h, m, 0)
            .unwrap()
            .to_utc()
    };
    for day in 1..=30u32 {
        let weekday = at(day, 12, 0)
            .with_timezone(&jst())
            .format("%u")
            .to_string();
        let (open, close) = match weekday.as_str() {
            "7" => (9 * 60, 17 * 60),
            "6" => (8 * 60 + 30, 13 * 60),
            _ => (8 * 60 + 30, 18 * 60),
        };
        let users: Vec<(&str, u32)> = match weekday.as_str() {
            // Sunday: Dr. Kato on duty, a handful of patients.
            "7" => vec![("dr_kato", 2)],
            _ => vec![
                ("dr_sato", 10),
                ("dr_kato", 9),
                ("nurse1", 12),
                ("nurse2", 11),
                ("clerk", 14),
            ],
        };
        let mut minute = open;
        while minute < close {
            for (user, per_slot) in &users {
                for _ in 0..(1 + rand(*per_slot as u64)) {
                    let m = minute + rand(30) as u32;
                    let p = format!("P{:05}", rand(3000));
                    let op = if *user == "clerk" {
                        if rand(2) == 0 {
                            "領収書印刷"
                        } else {
                            "受付"
                        }
                    } else {
                        "参照"
                    };
                    push(user, at(day, m / 60, m % 60), p, op);
                }
            }
            minute += 30;
        }
        if weekday == "2" || weekday == "4" {
            for m in (18 * 60..20 * 60).step_by(7) {
                push(
                    "dr_sato",
                    at(day, m / 60, m % 60),
                    format!("P{:05}", rand(3000)),
                    "参照",
                );
            }
        }
    }
    if anomalies {
        // nurse2 opens 150 records between 12:00 and 12:30 on the 20th.
        for i in 0..150u32 {
            push("nurse2", at(20, 12, i / 5), format!("Q{i:05}"), "参照");
        }
        // clerk exports 60 records as CSV in 30 minutes on the 21st (a Saturday morning).
        for i in 0..60u32 {
            push("clerk", at(21, 10, i / 2), format!("R{i:05}"), "CSV出力");
        }
        // dr_kato at 02:00 on the 14th.
        push("dr_kato", at(14, 2, 5), "P00001".into(), "参照");
        push("dr_kato", at(14, 2, 9), "P00002".into(), "参照");
    }
    events
}

fn findings_of(events: &[Event]) -> Vec<mamori_logs::Finding> {
    let mut d = mamori_logs::detect::Detector::new(Thresholds::default(), None);
    for e in events {
        d.push(e);
    }
    d.finish()
}

#[test]
fn a_normal_clinic_month_is_quiet_and_planted_anomalies_stand_out() {
    let normal = clinic_month(false);
    assert!(normal.len() > 10_000, "{} rows", normal.len());
    let quiet = findings_of(&normal);
    assert!(quiet.len() <= 1, "a normal month: {quiet:#?}");
    let found = findings_of(&clinic_month(true));
    let get = |kind: &str, user: &str| {
        found
            .iter()
            .find(|f| f.kind == kind && f.account == user)
            .unwrap_or_else(|| panic!("{kind} {user}: {found:#?}"))
    };
    let many = get("ehr_many_patients", "nurse2");
    assert_eq!(many.severity, "high");
    assert!(many.message.contains("30分間に"), "{}", many.message);
    assert!(
        many.message.contains("この利用者の通常は最大 "),
        "{}",
        many.message
    );
    let export = get("ehr_export_burst", "clerk");
    assert_eq!(
        export.severity, "high",
        "60 CSV exports with 60+ patients: {}",
        export.message
    );
    assert!(export.message.contains("件/30分"), "{}", export.message);
    let night = get("ehr_after_hours", "dr_kato");
    assert!(night.message.contains("（2時台）"), "{}", night.message);
    assert_eq!(night.count, 2);
    // The evening clinic and Sunday duty are their baseline, not findings.
    assert!(
        !found
            .iter()
            .any(|f| f.kind == "ehr_after_hours" && f.account == "dr_sato"),
        "{found:#?}"
    );
    assert!(found.len() <= 4, "{found:#?}");
}

#[test]
fn staff_ledger_in_an_office_s_own_words_flags_retired_accounts() {
    // 退職 and 休職 are what offices write; they mean 無効 and are kept as written.
    let staff = mamori_logs::Staff::from_file(
        "職員コード,氏名,状態\r\nkato,加藤,退職\r\nito,伊藤,休職\r\nmori,森,在職\r\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(
        staff.state("kato", None),
        mamori_logs::StaffState::Retired("「退職」".into())
    );
    assert_eq!(
        staff.state("ito", None),
        mamori_logs::StaffState::Retired("「休職」".into())
    );
    assert_eq!(staff.state("mori", None), mamori_logs::StaffState::Active);
    let events: Vec<Event> = ["kato", "mori"]
        .iter()
        .map(|who| ev(Kind::LogonSuccess, who, "", 0))
        .collect();
    let mut d = mamori_logs::detect::Detector::new(Thresholds::default(), Some(staff));
    for e in &events {
        d.push(e);
    }
    let found = d.finish();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, "retired_account_used");
    assert!(
        found[0]
            .message
            .contains("利用者台帳で「退職」のアカウント「kato」"),
        "{}",
        found[0].message
    );
}

#[test]
fn detections_of_bursts_success_after_failures_root_and_ehr_habits() {
    let mut events: Vec<Event> = (0..6)
        .map(|i| ev(Kind::LogonFailure, "yamada", "10.0.0.9", i))
        .collect();
    events.push(ev(Kind::LogonSuccess, "yamada", "10.0.0.9", 7));
    let mut root = ev(Kind::LogonSuccess, "root", "203.0.113.5", 8);
    root.origin = Origin::AuthLog;
    events.push(root);
    // After hours (23:30 JST) and 120 patients in an hour.
    let night = |m: i64, p: usize| {
        let mut e = ev(
            Kind::EhrAccess {
                patient: patient_key(&format!("P{p}")),
                export: false,
            },
            "nurse1",
            "",
            m,
        );
        e.origin = Origin::Ehr;
        e
    };
    events.push(night(14 * 60 + 30, 0));
    for p in 0..120 {
        events.push(night(60 + p as i64 / 4, p));
    }
    let found = detect(&events, None);
    assert!(
        found.contains(&("success_after_failures".into(), "yamada".into())),
        "{found:?}"
    );
    assert!(found.contains(&("ssh_root_login".into(), "root".into())));
    assert!(found.contains(&("ehr_after_hours".into(), "nurse1".into())));
    assert!(found.contains(&("ehr_many_patients".into(), "nurse1".into())));
    assert!(
        !found.iter().any(|(k, _)| *k == "failed_logon_burst"),
        "6 failures are not a burst"
    );
}

#[test]
fn vendor_accounts_outside_their_approved_hours() {
    use mamori_logs::detect::VendorWindow;
    let w = VendorWindow::parse("Vendor01=13:00-17:00").unwrap();
    assert_eq!(
        (w.account.as_str(), w.start, w.end),
        ("vendor01", 780, 1020)
    );
    for bad in [
        "vendor01",
        "v=17:00-13:00",
        "=13:00-14:00",
        "v=25:00-26:00",
        "v=13-14",
    ] {
        assert!(VendorWindow::parse(bad).is_err(), "{bad}");
    }
    let th = Thresholds {
        vendor_windows: vec![w],
        ..Thresholds::default()
    };
    let mut d = mamori_logs::detect::Detector::new(th, None);
    // 01:00 UTC = 10:00 JST (outside); 05:00 UTC = 14:00 JST (inside).
    d.push(&ev(Kind::LogonSuccess, "VENDOR01", "10.0.0.5", 0));
    d.push(&ev(Kind::LogonSuccess, "vendor01", "10.0.0.5", 240));
    let found = d.finish();
    let f = found
        .iter()
        .find(|f| f.kind == "vendor_outside_window")
        .unwrap();
    assert_eq!(f.count, 1);
    assert!(f.message.contains("13:00〜17:00"), "{}", f.message);
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;
    proptest! {
        #[test]
        fn any_syslog_text(s in "\\PC{0,200}") {
            let _ = syslog::parse_line(&s, 2024, jst()).map(|l| syslog::event_of(&l));
        }
        #[test]
        fn generated_3164_lines_read_back(m in 0usize..12, d in 1u32..29, h in 0u32..24, mi in 0u32..60,
                                          host in "[a-z][a-z0-9-]{0,10}", prog in "[a-z]{1,8}", pid in 1u32..99999,
                                          msg in "[ -~]{0,80}") {
            const MON: [&str; 12] = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
            let line = format!("{} {d:>2} {h:02}:{mi:02}:07 {host} {prog}[{pid}]: {msg}", MON[m]);
            let l = syslog::parse_line(&line, 2024, jst()).unwrap();
            let pid = pid.to_string();
            prop_assert_eq!((l.host, l.program, l.pid), (host.as_str(), prog.as_str(), Some(pid.as_str())));
            prop_assert_eq!(l.message, msg.as_str());
            let want = jst().with_ymd_and_hms(2024, m as u32 + 1, d, h, mi, 7).unwrap().to_utc();
            prop_assert_eq!(l.time, Some(want));
        }
        #[test]
        fn access_log_times_read_by_position_agree_with_chrono(y in 1990i32..2100, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..61, s in 0u32..60, slash in any::<bool>(), t in any::<bool>(), secs in any::<bool>()) {
            let sep = if slash { '/' } else { '-' };
            let mid = if t { 'T' } else { ' ' };
            let text = if secs {
                format!("{y:04}{sep}{mo:02}{sep}{d:02}{mid}{h:02}:{mi:02}:{s:02}")
            } else {
                format!("{y:04}{sep}{mo:02}{sep}{d:02}{mid}{h:02}:{mi:02}")
            };
            let format = format!("%Y{sep}%m{sep}%d{mid}%H:%M{}", if secs { ":%S" } else { "" });
            let want = chrono::NaiveDateTime::parse_from_str(&text, &format)
                .ok()
                .and_then(|n| jst().from_local_datetime(&n).single())
                .map(|t| t.to_utc());
            prop_assert_eq!(ehr_csv::parse_time(&text, ""), want, "{}", text);
        }
        #[test]
        fn an_attacker_chosen_user_name_never_changes_the_source(user in "\\PC{0,40}", invalid in any::<bool>(), octet in 1u8..255, port in 1u16..65535) {
            let source = format!("10.1.2.{octet}");
            let invalid = if invalid { "invalid user " } else { "" };
            for msg in [
                format!("Failed password for {invalid}{user} from {source} port {port} ssh2"),
                format!("Accepted password for {user} from {source} port {port} ssh2"),
                format!("Invalid user {user} from {source} port {port}"),
            ] {
                let line = format!("Jun  2 02:10:01 srv sshd[4101]: {msg}");
                let l = syslog::parse_line(&line, 2025, jst()).unwrap();
                if let Some(e) = syslog::event_of(&l) {
                    prop_assert_eq!(&e.source, &source, "{}", msg);
                }
            }
        }
        #[test]
        fn any_evtx_record_json(s in "\\PC{0,300}") {
            let _ = mamori_logs::evtx_source::event_of_json(&s);
        }
        #[test]
        fn generated_evtx_record_json(id in 0u32..10000, user in "[A-Za-z0-9$ -]{0,12}", qualifiers in any::<bool>()) {
            let event_id = if qualifiers { format!(r##"{{"#attributes": {{"Qualifiers": 16384}}, "#text": {id}}}"##) } else { id.to_string() };
            let json = format!(r##"{{"Event": {{"System": {{"EventID": {event_id}, "TimeCreated": {{"#attributes": {{"SystemTime": "2024-01-15T00:00:00.123456Z"}}}}, "Channel": "Security", "Provider": {{"#attributes": {{"Name": "Microsoft-Windows-Security-Auditing"}}}}}}, "EventData": {{"TargetUserName": {}, "LogonType": 10}}}}}}"##, serde_json::to_string(&user).unwrap());
            let (got, e) = mamori_logs::evtx_source::event_of_json(&json).unwrap();
            prop_assert_eq!(got, id);
            if mamori_logs::evtx_meaning::meaning(id, "Security", "Microsoft-Windows-Security-Auditing").is_none() {
                // An event the detections do not read keeps only its time.
                prop_assert_eq!(e.kind, Kind::Other);
                prop_assert!(e.account.is_empty() && e.logon_type.is_none());
            } else {
                prop_assert_eq!(e.logon_type, Some(10));
                if ![4697, 4728, 4732, 4756, 4729, 4733, 4757, 4778, 4779].contains(&id) {
                    prop_assert_eq!(e.account, user);
                }
            }
            prop_assert!(e.time.is_some());
        }
        #[test]
        fn any_bytes_after_the_evtx_signature(b in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.evtx");
            let mut bytes = b"ElfFile\0".to_vec();
            bytes.extend(b);
            std::fs::write(&p, bytes).unwrap();
            let r = run(&[p], &Options { threads: 1, ..Options::at(&mamori_core::Clock::system()) });
            prop_assert_eq!(r.files.len(), 1);
        }
        #[test]
        fn any_csv_bytes(b in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = read_csv(&b, &ehr_csv::Mapping::default());
        }
        #[test]
        fn generated_csv_rows_read_back(rows in proptest::collection::vec(("[a-z0-9]{1,8}", 0u32..24, 0u32..60, "[A-Z0-9-]{0,8}"), 0..30)) {
            let text = ehr_rows(&rows.iter().map(|(u, h, m, p)| (u.as_str(), format!("2025/06/02 {h:02}:{m:02}:00"), p.as_str())).collect::<Vec<_>>().iter().map(|(u, t, p)| (*u, t.as_str(), *p)).collect::<Vec<_>>());
            let (n, errors, _, ev) = read_csv(text.as_bytes(), &ehr_csv::Mapping::default());
            prop_assert_eq!(n as usize, rows.len());
            prop_assert!(errors.is_empty());
            for ((u, _, _, p), e) in rows.iter().zip(&ev) {
                prop_assert_eq!(&e.account, u);
                prop_assert_eq!(&e.kind, &Kind::EhrAccess { patient: patient_key(p), export: false });
            }
        }
    }
}

#[test]
fn random_bytes_name_the_format_tried_and_why() {
    // Issue 23 (11): random bytes given as EVTX were reported as CSV garbage.
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Vec::with_capacity(64 * 1024);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..64 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push((x & 0xFF) as u8);
    }
    let evtx = dir.path().join("Security.evtx");
    std::fs::write(&evtx, &noise).unwrap();
    let other = dir.path().join("export.dat");
    std::fs::write(&other, &noise).unwrap();
    let report = run(&[evtx, other], &Options::at(&mamori_core::Clock::system()));
    let e = &report.files[0].errors;
    assert_eq!(report.files[0].records, 0);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("EVTX") && e[0].contains("ElfFile") && e[0].contains("先頭 8 バイト"),
        "{}",
        e[0]
    );
    let e = &report.files[1].errors;
    assert!(
        e[0].contains("テキストのログ") && e[0].contains("バイナリ"),
        "{}",
        e[0]
    );
    // A text file is still read as text.
    let text = dir.path().join("auth.log");
    std::fs::write(
        &text,
        "Nov 28 03:12:01 host sshd[1]: Failed password for root from 10.0.0.9 port 2 ssh2\n",
    )
    .unwrap();
    assert!(
        run(&[text], &Options::at(&mamori_core::Clock::system())).files[0]
            .errors
            .is_empty()
    );
}
