//! EHR/レセコン access-log CSV, UTF-8 or CP932 (Shift_JIS), read as a stream: a column mapping (a preset
//! or a mapping file) says which columns hold the user ID, name, time, category, operation, patient ID
//! and terminal. A row that cannot be read is named with its row number and skipped; the rest go on.

use std::io::Read;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
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
        // A file of one huge line is all "headers": the message names a few, each cut short.
        let clip = |h: &str| -> String {
            let h = h.trim();
            if h.chars().count() > 40 {
                format!("{}…", h.chars().take(40).collect::<String>())
            } else {
                h.to_string()
            }
        };
        let shown = |i: Option<usize>, placeholder: &str| {
            i.map_or(format!("（{placeholder}）"), |i| clip(&headers[i]))
        };
        let mut listed: String = headers
            .iter()
            .take(20)
            .map(|h| format!("「{}」", clip(h)))
            .collect();
        if headers.len() > 20 {
            listed.push_str(&format!("ほか {} 列", headers.len() - 20));
        }
        let template = serde_json::json!({
            "user_id": shown(c.user_id, "利用者IDの列の見出し"),
            "time": shown(c.time, "日時の列の見出し"),
            "patient": shown(c.patient, "患者IDの列の見出し"),
            "operation": shown(c.operation, "操作の列の見出し"),
        });
        return Err(format!(
            "アクセスログの列「{}」が見出しにありません（見出し: {}）。列の対応づけを書いたファイル（例: {template}）を --csv-map に指定してください。日付と時刻が別の列なら \"date\" に日付の列を書きます",
            missing.join("」「"),
            listed
        ));
    }
    Ok(c)
}

/// Japan time: the EHR logs of Japanese offices are in local time without a zone.
pub use mamori_core::dates::jst;

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
/// is parsed on a thread of its own while this one runs `on_event`.
pub fn read(
    input: impl Read + Send,
    mapping: &Mapping,
    on_event: &mut dyn FnMut(&Event),
    on_progress: &mut dyn FnMut(u64),
) -> (u64, Vec<String>, &'static str) {
    std::thread::scope(|s| {
        // Rows go over in batches (a channel message a row would cost more than the row), and the
        // batches come back to be filled again: their strings keep their room, so a row allocates nothing.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(4);
        let (back, returned) = std::sync::mpsc::sync_channel::<Vec<Event>>(8);
        let parser = s.spawn(move || {
            let mut batches = Batches {
                returned,
                full: &mut |batch| tx.send(batch).is_ok(),
            };
            parse(input, mapping, &mut batches)
        });
        let mut rows = 0u64;
        for batch in rx {
            for e in &batch {
                rows += 1;
                on_event(e);
                if rows.is_multiple_of(65_536) {
                    on_progress(rows);
                }
            }
            // Full (the parser has enough) or closed (it has finished): the batch is dropped.
            let _ = back.try_send(batch);
        }
        on_progress(rows);
        parser.join().expect("the CSV reader does not panic")
    })
}

/// The most columns, and bytes, a header row of an access log may have.
const MAX_COLUMNS: usize = 1_000;
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Rows in a batch sent from the parser.
const BATCH: usize = 2048;

/// Where the parser's batches come from and go to.
struct Batches<'a> {
    returned: std::sync::mpsc::Receiver<Vec<Event>>,
    /// `false`: nobody takes them any more.
    full: &'a mut dyn FnMut(Vec<Event>) -> bool,
}

impl Batches<'_> {
    fn empty(&self) -> Vec<Event> {
        self.returned
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH))
    }
}

/// Decodes one field into `out` (cleared first; its room is kept), trimmed as `str::trim` would.
fn decode_field(enc: &'static encoding_rs::Encoding, field: &[u8], out: &mut String) {
    out.clear();
    match std::str::from_utf8(field) {
        // ASCII (IDs, times) and UTF-8 files: no decoding.
        Ok(s) if enc == encoding_rs::UTF_8 || s.is_ascii() => out.push_str(s),
        _ if enc == encoding_rs::UTF_8 => out.push_str(&String::from_utf8_lossy(field)),
        _ => {
            let mut decoder = enc.new_decoder_without_bom_handling();
            out.reserve(
                decoder
                    .max_utf8_buffer_length(field.len())
                    .unwrap_or(field.len() * 3),
            );
            let _ = decoder.decode_to_string(field, out, true);
        }
    }
    let trimmed = out.trim();
    if trimmed.len() != out.len() {
        let start = trimmed.as_ptr() as usize - out.as_ptr() as usize;
        let end = start + trimmed.len();
        out.truncate(end);
        out.drain(..start);
    }
}

/// Whether an (operation, category) pair means an export, remembered for the few pairs a log has.
#[derive(Default)]
struct ExportWords {
    known: crate::detect::Map<String, bool>,
    key: String,
}

impl ExportWords {
    fn is_export(&mut self, operation: &str, category: &str) -> bool {
        self.key.clear();
        self.key.push_str(operation);
        self.key.push('\u{1f}');
        self.key.push_str(category);
        if let Some(&e) = self.known.get(self.key.as_str()) {
            return e;
        }
        let e = crate::ehr_habits::is_export(operation, category);
        if self.known.len() < 4096 {
            self.known.insert(self.key.clone(), e);
        }
        e
    }
}

/// [`read`]'s parsing. The CSV is split as bytes: in CP932 the bytes of `,` `"` CR and LF never occur
/// inside a character, so only the fields used are decoded, each into a reused string. UTF-16 files
/// (some Windows exports) are turned into UTF-8 first.
fn parse(
    input: impl Read,
    mapping: &Mapping,
    out: &mut Batches,
) -> (u64, Vec<String>, &'static str) {
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let mut errors = Vec::new();
    let head = match input.fill_buf() {
        Ok(b) => b[..b.len().min(4096)].to_vec(),
        Err(e) => {
            errors.push(format!("読めません: {e}"));
            return (0, errors, "");
        }
    };
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    let (enc, label) = if utf16 {
        (encoding_rs::UTF_8, "UTF-16")
    } else if sniff_encoding(&head) == encoding_rs::UTF_8 {
        (encoding_rs::UTF_8, "UTF-8")
    } else {
        (encoding_rs::SHIFT_JIS, "Shift_JIS (CP932)")
    };
    let source: Box<dyn Read + '_> = if utf16 {
        // The encoding named, not only sniffed: a file too short to sniff is still read as UTF-16.
        let wide = if head.starts_with(&[0xFF, 0xFE]) {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(wide))
                .build(input),
        )
    } else {
        if head.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        Box::new(input)
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(source);
    let mut record = csv::ByteRecord::new();
    let mut batch = out.empty();
    let mut filled = 0;
    let (mut when, mut patient, mut operation, mut category) =
        (String::new(), String::new(), String::new(), String::new());
    let mut export_words = ExportWords::default();
    let mut rows = 0u64;
    let mut cols: Option<Columns> = None;
    let mut bad = 0u64;
    let mut line = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
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
            // No access log has a thousand columns; a file of one huge line (or another kind of file)
            // is named as such before its "headers" are decoded and compared.
            if record.len() > MAX_COLUMNS || record.as_slice().len() > MAX_HEADER_BYTES {
                errors.push(format!(
                    "1行目（見出し）が長すぎます（{} 列、{} バイト）。改行のない1行だけのファイルか、アクセスログ以外のファイルではありませんか",
                    record.len(),
                    record.as_slice().len()
                ));
                return (0, errors, label);
            }
            let headers: Vec<String> = record
                .iter()
                .map(|h| {
                    let mut s = String::new();
                    decode_field(enc, h, &mut s);
                    s
                })
                .collect();
            match columns(&headers, mapping) {
                Ok(c) => cols = Some(c),
                Err(m) => {
                    errors.push(m);
                    return (0, errors, label);
                }
            }
            continue;
        };
        let field = |i: Option<usize>, out: &mut String| {
            decode_field(enc, i.and_then(|i| record.get(i)).unwrap_or(b""), out)
        };
        if filled == batch.len() {
            batch.push(Event::new(Kind::Other));
        }
        let e = &mut batch[filled];
        field(c.user_id, &mut e.account);
        when.clear();
        if c.date.is_some() {
            field(c.date, &mut when);
            when.push(' ');
            field(c.time, &mut patient);
            when.push_str(&patient);
        } else {
            field(c.time, &mut when);
        }
        let time = parse_time(&when, &mapping.time_format);
        if e.account.is_empty() || time.is_none() {
            bad += 1;
            if errors.len() < crate::evtx_source::MAX_MESSAGES {
                errors.push(format!(
                    "{line}行目: {}",
                    if e.account.is_empty() {
                        "ユーザIDが空です".to_string()
                    } else {
                        format!("日時「{when}」を読めません")
                    }
                ));
            }
            continue;
        }
        rows += 1;
        field(c.patient, &mut patient);
        field(c.operation, &mut operation);
        field(c.category, &mut category);
        e.kind = Kind::EhrAccess {
            patient: crate::event::patient_key(&patient),
            export: export_words.is_export(&operation, &category),
        };
        e.origin = Origin::Ehr;
        e.time = time;
        e.logon_type = None;
        field(c.name, &mut e.actor);
        field(c.terminal, &mut e.source);
        filled += 1;
        if filled == BATCH {
            batch.truncate(filled);
            let next = out.empty();
            if !(out.full)(std::mem::replace(&mut batch, next)) {
                break;
            }
            filled = 0;
        }
    }
    if filled > 0 {
        batch.truncate(filled);
        (out.full)(batch);
    }
    if cols.is_none() && errors.is_empty() {
        errors.push("見出しの行がありません（空のファイルです）".to_string());
    }
    if bad as usize > errors.len() {
        errors.push(format!("読めない行は合計 {bad} 行"));
    }
    (rows, errors, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 35 (6): a file of one huge line is refused at its first line, cheaply.
    #[test]
    fn a_one_line_file_is_refused_at_its_header() {
        let line: String = (0..200_000).map(|i| format!("v{i},")).collect();
        let (rows, errors, _) = read(
            line.as_bytes(),
            &Mapping::default(),
            &mut |_| {},
            &mut |_| {},
        );
        assert_eq!(rows, 0);
        assert!(errors[0].contains("長すぎます"), "{errors:?}");
    }

    /// Issue 35 (9): a file of one huge line (all "headers") gives a short message, not every column.
    #[test]
    fn a_missing_column_message_names_a_few_headers_cut_short() {
        let headers: Vec<String> = (0..100_000)
            .map(|i| format!("{i}{}", "x".repeat(100)))
            .collect();
        let e = columns(&headers, &Mapping::default()).err().unwrap();
        assert!(e.len() < 4_000, "{} bytes", e.len());
        assert!(e.contains("ほか 99980 列"), "{e}");
    }
}
