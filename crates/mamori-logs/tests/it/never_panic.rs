//! Property tests: no input makes the readers panic, and generated lines and rows read back.

use crate::ehr_csv::{ehr_rows, read_csv};
use crate::helpers::*;
use chrono::TimeZone;
use mamori_logs::event::{Kind, patient_key};
use mamori_logs::{Options, ehr_csv, syslog};
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
