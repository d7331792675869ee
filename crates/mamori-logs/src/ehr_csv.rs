//! EHR/レセコン access-log CSV, UTF-8 or CP932 (Shift_JIS), read as a stream: a column mapping (a preset
//! or a mapping file) says which columns hold the user ID, name, time, category, operation, patient ID
//! and terminal. A row that cannot be read is named with its row number and skipped; the rest go on.

use std::io::Read;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::event::{Event, Kind, Origin};

/// Which header holds each field. Empty: the preset's usual headers are tried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    pub user_id: String,
    pub name: String,
    pub time: String,
    /// When date and time are two columns.
    pub date: String,
    pub category: String,
    pub operation: String,
    pub patient: String,
    pub terminal: String,
    /// A chrono format for the time column (「%Y/%m/%d %H:%M:%S」); the usual forms are tried without it.
    pub time_format: String,
}

/// The usual headers of each field (Japanese EHR and レセコン exports, and English ones).
const USUAL: &[(&str, &[&str])] = &[
    (
        "user_id",
        &[
            "ユーザID",
            "ユーザーID",
            "利用者ID",
            "職員ID",
            "職員コード",
            "職員番号",
            "利用者コード",
            "担当者コード",
            "ログインID",
            "操作者ID",
            "操作者コード",
            "user_id",
            "userid",
            "user",
        ],
    ),
    (
        "name",
        &[
            "氏名",
            "利用者名",
            "職員名",
            "職員氏名",
            "担当者名",
            "操作者",
            "操作者名",
            "name",
            "user_name",
        ],
    ),
    (
        "time",
        &[
            "日時",
            "アクセス日時",
            "操作日時",
            "記録日時",
            "ログ日時",
            "発生日時",
            "時刻",
            "時間",
            "アクセス時刻",
            "操作時刻",
            "time",
            "timestamp",
            "datetime",
        ],
    ),
    ("date", &["日付", "操作日", "アクセス日", "年月日", "date"]),
    (
        "category",
        &["区分", "カテゴリ", "種別", "機能", "category"],
    ),
    (
        "operation",
        &[
            "操作",
            "操作内容",
            "操作情報",
            "操作種別",
            "処理",
            "処理内容",
            "operation",
            "action",
        ],
    ),
    (
        "patient",
        &[
            "患者ID",
            "患者番号",
            "患者コード",
            "カルテ番号",
            "patient_id",
            "patient",
        ],
    ),
    (
        "terminal",
        &[
            "端末",
            "端末名",
            "端末ID",
            "端末IP",
            "terminal",
            "host",
            "ip",
        ],
    ),
];

/// The presets `--csv-map NAME` knows: 「auto」 (the usual headers) and 「mamori」 (Mamori's own export
/// headers in English).
pub fn preset(name: &str) -> Option<Mapping> {
    match name {
        "auto" | "" => Some(Mapping::default()),
        "mamori" => Some(Mapping {
            user_id: "user_id".into(),
            name: "name".into(),
            time: "time".into(),
            category: "category".into(),
            operation: "operation".into(),
            patient: "patient_id".into(),
            terminal: "terminal".into(),
            ..Mapping::default()
        }),
        _ => None,
    }
}

/// A mapping file (JSON: `{"user_id": "利用者コード", "time": "日時", …}`).
pub fn mapping_from_json(text: &str) -> Result<Mapping, String> {
    serde_json::from_str(text).map_err(|e| format!("列の対応づけファイルを読めません: {e}"))
}

/// Column positions found for a header row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub user_id: Option<usize>,
    pub name: Option<usize>,
    pub time: Option<usize>,
    pub date: Option<usize>,
    pub category: Option<usize>,
    pub operation: Option<usize>,
    pub patient: Option<usize>,
    pub terminal: Option<usize>,
}

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
        .replace('ｉ', "i")
        .replace('ｄ', "d")
}

/// Finds each field's column in the header row: the mapping's header, else a usual one.
pub fn columns(headers: &[String], m: &Mapping) -> Result<Columns, String> {
    let find = |key: &str, given: &str| -> Option<usize> {
        let pos = |h: &str| headers.iter().position(|x| norm(x) == norm(h));
        if !given.is_empty() {
            return pos(given);
        }
        USUAL
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, names)| names.iter().find_map(|n| pos(n)))
    };
    let c = Columns {
        user_id: find("user_id", &m.user_id),
        name: find("name", &m.name),
        time: find("time", &m.time),
        date: find("date", &m.date),
        category: find("category", &m.category),
        operation: find("operation", &m.operation),
        patient: find("patient", &m.patient),
        terminal: find("terminal", &m.terminal),
    };
    let mut missing = Vec::new();
    if c.user_id.is_none() {
        missing.push(if m.user_id.is_empty() {
            "ユーザID"
        } else {
            m.user_id.as_str()
        });
    }
    if c.time.is_none() {
        missing.push(if m.time.is_empty() {
            "日時"
        } else {
            m.time.as_str()
        });
    }
    if !missing.is_empty() {
        // The mapping to write, with the columns found filled in and the missing ones to choose.
        let shown = |i: Option<usize>, placeholder: &str| {
            i.map_or(format!("（{placeholder}）"), |i| {
                headers[i].trim().to_string()
            })
        };
        let template = serde_json::json!({
            "user_id": shown(c.user_id, "利用者IDの列の見出し"),
            "time": shown(c.time, "日時の列の見出し"),
            "patient": shown(c.patient, "患者IDの列の見出し"),
            "operation": shown(c.operation, "操作の列の見出し"),
        });
        return Err(format!(
            "アクセスログの列「{}」が見出しにありません（見出し: {}）。列の対応づけを書いたファイル（例: {template}）を --csv-map に指定してください。日付と時刻が別の列なら \"date\" に日付の列を書きます",
            missing.join("」「"),
            headers
                .iter()
                .map(|h| format!("「{}」", h.trim()))
                .collect::<Vec<_>>()
                .join("")
        ));
    }
    Ok(c)
}

/// Japan time: the EHR logs of Japanese offices are in local time without a zone.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// 「2025/06/02 09:15:00」「2025-06-02 09:15」 (and 「T」 between): the forms nearly every export writes,
/// read by position (chrono's format parser was most of a row's cost). Anything else: None.
fn fast_local(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let sep = b[4];
    if !(sep == b'/' || sep == b'-')
        || b[7] != sep
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
    {
        return None;
    }
    let sec = if b.len() == 19 {
        if b[16] != b':' {
            return None;
        }
        num(17..19)?
    } else {
        0
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    date.and_hms_opt(num(11..13)?, num(14..16)?, sec)
}

/// A time as written in access logs: with a zone (RFC 3339), or local (JST) in the usual forms.
pub fn parse_time(s: &str, format: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if format.is_empty()
        && let Some(n) = fast_local(s)
    {
        return jst().from_local_datetime(&n).single().map(|t| t.to_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    let local = |n: NaiveDateTime| jst().from_local_datetime(&n).single().map(|t| t.to_utc());
    if !format.is_empty() {
        return NaiveDateTime::parse_from_str(s, format)
            .ok()
            .and_then(local);
    }
    for f in [
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y%m%d%H%M%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n);
        }
    }
    None
}

/// Which encoding a file's first bytes are in: UTF-8 (with or without BOM) or CP932.
pub fn sniff_encoding(head: &[u8]) -> &'static encoding_rs::Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return encoding_rs::UTF_8;
    }
    // A multi-byte character cut at the end of the sample is still UTF-8.
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::SHIFT_JIS,
    }
}

/// Reads an access log: `on_event` gets each row; returns (rows, errors, encoding label). The file
/// is decoded and parsed on a thread of its own while this one runs `on_event`.
pub fn read(
    input: impl Read + Send,
    mapping: &Mapping,
    on_event: &mut dyn FnMut(Event),
    on_progress: &mut dyn FnMut(u64),
) -> (u64, Vec<String>, &'static str) {
    std::thread::scope(|s| {
        // Rows go over in batches (a channel message a row would cost more than the row).
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(8);
        let parser = s.spawn(move || parse(input, mapping, &mut |batch| tx.send(batch).is_ok()));
        let mut rows = 0u64;
        for batch in rx {
            for e in batch {
                rows += 1;
                on_event(e);
                if rows.is_multiple_of(65_536) {
                    on_progress(rows);
                }
            }
        }
        on_progress(rows);
        parser.join().expect("the CSV reader does not panic")
    })
}

/// Rows in a batch sent from the parser.
const BATCH: usize = 2048;

/// [`read`]'s parsing: events go to `send` in batches (`false`: nobody takes them any more).
fn parse(
    input: impl Read,
    mapping: &Mapping,
    send: &mut dyn FnMut(Vec<Event>) -> bool,
) -> (u64, Vec<String>, &'static str) {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let mut errors = Vec::new();
    let head = {
        use std::io::BufRead;
        match input.fill_buf() {
            Ok(b) => b.to_vec(),
            Err(e) => {
                errors.push(format!("読めません: {e}"));
                return (0, errors, "");
            }
        }
    };
    let enc = sniff_encoding(&head);
    let label = if enc == encoding_rs::UTF_8 {
        "UTF-8"
    } else {
        "Shift_JIS (CP932)"
    };
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(enc))
        .bom_override(true)
        .build(input);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut when = String::new();
    let mut rows = 0u64;
    let mut cols: Option<Columns> = None;
    let mut bad = 0u64;
    let mut line = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                bad += 1;
                if errors.len() < crate::evtx_source::MAX_MESSAGES {
                    errors.push(format!("{}行目: CSV として読めません（{e}）", line + 1));
                }
                line += 1;
                // An I/O error (a torn file) ends the file; a malformed row does not.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        line += 1;
        let Some(c) = &cols else {
            let headers: Vec<String> = record.iter().map(String::from).collect();
            match columns(&headers, mapping) {
                Ok(c) => cols = Some(c),
                Err(m) => {
                    errors.push(m);
                    return (0, errors, label);
                }
            }
            continue;
        };
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let user = get(c.user_id);
        when.clear();
        if c.date.is_some() {
            when.push_str(get(c.date));
            when.push(' ');
        }
        when.push_str(get(c.time));
        let time = parse_time(&when, &mapping.time_format);
        if user.is_empty() || time.is_none() {
            bad += 1;
            if errors.len() < crate::evtx_source::MAX_MESSAGES {
                errors.push(format!(
                    "{line}行目: {}",
                    if user.is_empty() {
                        "ユーザIDが空です".to_string()
                    } else {
                        format!("日時「{when}」を読めません")
                    }
                ));
            }
            continue;
        }
        rows += 1;
        let mut e = Event::new(Kind::EhrAccess {
            patient: get(c.patient).to_string(),
            operation: get(c.operation).to_string(),
            category: get(c.category).to_string(),
        });
        e.origin = Origin::Ehr;
        e.time = time;
        e.account = user.to_string();
        e.actor = get(c.name).to_string();
        e.source = get(c.terminal).to_string();
        batch.push(e);
        if batch.len() == BATCH && !send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))) {
            break;
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    if bad as usize > errors.len() {
        errors.push(format!("読めない行は合計 {bad} 行"));
    }
    (rows, errors, label)
}
