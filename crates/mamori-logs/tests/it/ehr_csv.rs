//! Access logs of 電子カルテ and レセコン as CSV: fields, encodings, real headers, and the habits of a clinic month.

use chrono::{TimeZone, Utc};
use mamori_logs::event::{Event, Kind, Origin, patient_key};
use mamori_logs::{Thresholds, ehr_csv};

use crate::helpers::*;

pub(crate) fn ehr_rows(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("ユーザID,氏名,アクセス日時,区分,操作内容,患者ID,端末名\r\n");
    for (u, t, p) in rows {
        s.push_str(&format!("{u},山田,{t},カルテ,参照,{p},受付PC\r\n"));
    }
    s
}

pub(crate) fn read_csv(
    bytes: &[u8],
    m: &ehr_csv::Mapping,
) -> (u64, Vec<String>, &'static str, Vec<Event>) {
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
pub(crate) fn clinic_month(anomalies: bool) -> Vec<Event> {
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

pub(crate) fn findings_of(events: &[Event]) -> Vec<mamori_logs::Finding> {
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
