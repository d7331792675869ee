//! Log analysis for checklist 2(5) and 2(6): one streaming engine over Windows EVTX, Linux auth logs and
//! EHR/レセコン access-log CSV. Each file is read once, record by record (memory stays bounded whatever its
//! size); a damaged file gives the records before the damage and a message. The result is the documented
//! JSON of `mamori logs analyze` ([`Report`]): per file what was read, event counts by EventID, a logon
//! summary per account, and findings with Japanese explanations and the checklist topics they bear on.

pub mod detect;
pub mod ehr_csv;
pub mod ehr_habits;
pub mod event;
pub mod evtx_binxml;
pub mod evtx_meaning;
pub mod evtx_source;
pub mod finding_kind;
pub mod staff;
pub mod syslog;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

pub use detect::{Finding, Thresholds};
use event::{Event, Kind, Origin};
pub use finding_kind::FindingKind;
pub use staff::{Staff, StaffState};

/// The kinds of file the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Evtx,
    AuthLog,
    EhrCsv,
}

impl Format {
    pub fn id(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::AuthLog => "auth_log",
            Format::EhrCsv => "ehr_csv",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Format::Evtx => "Windows イベントログ（EVTX）",
            Format::AuthLog => "Linux 認証ログ（auth.log / secure / syslog）",
            Format::EhrCsv => "電子カルテ・レセコンのアクセスログ（CSV）",
        }
    }
}

/// What a file is, from its first bytes: the EVTX signature, a syslog line, or else CSV.
pub fn detect_format(head: &[u8]) -> Format {
    if head.starts_with(b"ElfFile\0") {
        return Format::Evtx;
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let zone = FixedOffset::east_opt(0).expect("utc");
    if syslog::parse_line(first, 2000, zone).is_some() {
        Format::AuthLog
    } else {
        Format::EhrCsv
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub thresholds: Thresholds,
    pub staff: Option<Staff>,
    pub csv_mapping: ehr_csv::Mapping,
    /// The year and zone of RFC 3164 lines (they carry neither).
    pub year: i32,
    pub zone: FixedOffset,
    /// EVTX parser threads (0: every core).
    pub threads: usize,
}

impl Options {
    /// The default thresholds, Japan time, and this year (by `clock`) for lines that carry no year.
    pub fn at(clock: &mamori_core::Clock) -> Self {
        Options {
            thresholds: Thresholds::default(),
            staff: None,
            csv_mapping: ehr_csv::Mapping::default(),
            year: chrono::Datelike::year(&clock.today_jst()),
            zone: mamori_core::dates::jst(),
            threads: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub records: u64,
    /// What could not be read (at most 20 messages, then the total).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logon {
    pub account: String,
    pub success: u64,
    pub failure: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Where from (at most 10).
    pub sources: Vec<String>,
}

/// The documented result (`mamori logs analyze --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub event_counts: BTreeMap<u32, u64>,
    pub logons: Vec<Logon>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Records read from all the files.
    pub fn records_read(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }

    /// Why the analysis says nothing about the logs, when it read no record at all (a truncated EVTX, a
    /// file of another format): then "no findings" means nothing and is not a log review.
    pub fn nothing_read(&self) -> Option<String> {
        if self.records_read() > 0 {
            return None;
        }
        let reasons: Vec<String> = self
            .files
            .iter()
            .flat_map(|f| {
                f.errors
                    .iter()
                    .take(3)
                    .map(move |e| format!("{}: {e}", f.path))
            })
            .take(5)
            .collect();
        Some(if reasons.is_empty() {
            "ファイルに記録が1件もありませんでした".to_string()
        } else {
            reasons.join("／")
        })
    }
}

#[derive(Default)]
struct LogonAcc {
    success: u64,
    failure: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    sources: BTreeSet<String>,
}

/// Logon counting: EVTX 4624/4625 by TargetUserName, auth-log Accepted/Failed password by user, EHR
/// rows as successes of their user.
fn count_logon(map: &mut detect::Map<String, LogonAcc>, e: &Event) {
    let success = match (&e.kind, e.origin) {
        (Kind::LogonSuccess, _) | (Kind::EhrAccess { .. }, Origin::Ehr) => true,
        (Kind::LogonFailure, _) => false,
        _ => return,
    };
    let Some(a) = detect::capped_slot(map, &e.account, 1_000_000, LogonAcc::default) else {
        return;
    };
    if success {
        a.success += 1;
    } else {
        a.failure += 1;
    }
    if let Some(t) = e.time {
        a.first = Some(a.first.map_or(t, |f| f.min(t)));
        a.last = Some(a.last.map_or(t, |l| l.max(t)));
    }
    if !e.source.is_empty() && a.sources.len() < 10 && !a.sources.contains(e.source.as_str()) {
        a.sources.insert(e.source.clone());
    }
}

/// Progress of the file being read: (file index, records so far).
pub type Progress<'a> = &'a mut dyn FnMut(usize, u64);

/// Reads every file and runs the detections over all of them together.
pub fn analyze(paths: &[PathBuf], options: &Options, progress: Progress) -> Report {
    let mut detector = detect::Detector::new(options.thresholds.clone(), options.staff.clone());
    let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut logons: detect::Map<String, LogonAcc> = detect::Map::default();
    let mut files = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        files.push(analyze_file(
            path,
            options,
            &mut |id, e| {
                if let Some(id) = id {
                    *counts.entry(id).or_default() += 1;
                }
                count_logon(&mut logons, e);
                detector.push(e);
            },
            &mut |n| progress(i, n),
        ));
    }
    let mut logons: Vec<(String, LogonAcc)> = logons.into_iter().collect();
    logons.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Report {
        files,
        event_counts: counts,
        logons: logons
            .into_iter()
            .map(|(account, a)| Logon {
                account,
                success: a.success,
                failure: a.failure,
                first: a.first,
                last: a.last,
                sources: a.sources.into_iter().collect(),
            })
            .collect(),
        findings: detector.finish(),
    }
}

/// One file: its events go to `on_event` with their EventID (EVTX only).
pub fn analyze_file(
    path: &Path,
    options: &Options,
    on_event: &mut dyn FnMut(Option<u32>, &Event),
    on_progress: &mut dyn FnMut(u64),
) -> FileReport {
    let shown = path.display().to_string();
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return FileReport {
                path: shown,
                format: String::new(),
                records: 0,
                errors: vec![format!("開けません: {e}")],
            };
        }
    };
    let mut head = vec![0u8; 4096];
    let n = read_up_to(&mut file, &mut head);
    head.truncate(n);
    let format = detect_format(&head);
    drop(file);
    if format != Format::Evtx
        && let Some(why) = not_text(&head, path)
    {
        return FileReport {
            path: shown,
            format: String::new(),
            records: 0,
            errors: vec![why],
        };
    }
    let (records, errors) = match format {
        Format::Evtx => evtx_source::read(
            path,
            options.threads,
            &mut |id, e| on_event(Some(id), &e),
            on_progress,
        ),
        Format::AuthLog => match std::fs::File::open(path) {
            Ok(f) => read_auth_log(f, options, &mut |e| on_event(None, &e), on_progress),
            Err(e) => (0, vec![format!("開けません: {e}")]),
        },
        Format::EhrCsv => match std::fs::File::open(path) {
            Ok(f) => {
                let (rows, errors, _) = ehr_csv::read(
                    f,
                    &options.csv_mapping,
                    &mut |e| on_event(None, e),
                    on_progress,
                );
                (rows, errors)
            }
            Err(e) => (0, vec![format!("開けません: {e}")]),
        },
    };
    FileReport {
        path: shown,
        format: format.id().to_string(),
        records,
        errors,
    }
}

/// Why a file without the EVTX signature cannot be read as a text log either (NUL bytes or mostly control
/// characters in its first 4 KiB), naming what was tried; `None` for text.
pub fn not_text(head: &[u8], path: &Path) -> Option<String> {
    let controls = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1a))
        .count();
    // UTF-16 text (some Windows exports) has NUL bytes and a byte-order mark; the CSV reader decodes it.
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if head.is_empty() || utf16 || (!head.contains(&0) && controls * 10 < head.len()) {
        return None;
    }
    let evtx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
    let first: String = head
        .iter()
        .take(8)
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ");
    Some(if evtx {
        format!(
            "Windows イベントログ（EVTX）として読めません: 先頭が EVTX の署名「ElfFile」ではありません（先頭 8 バイト {first}）。ファイルが壊れているか、別の形式です。イベント ビューアーで「名前を付けてイベントを保存」した .evtx を選んでください"
        )
    } else {
        format!(
            "読めない形式です: EVTX の署名「ElfFile」がなく（先頭 8 バイト {first}）、テキストのログ（CSV・auth.log・syslog）でもありません（制御文字を含むバイナリのデータです）"
        )
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// An auth log, line by line (invalid UTF-8 replaced, a line longer than 64 KiB cut).
/// A 「message repeated N times」 line counts as at most this many events (a forged N cannot stall the reader).
const MAX_REPEATED: u64 = 100_000;

pub fn read_auth_log(
    input: impl Read,
    options: &Options,
    on_event: &mut dyn FnMut(Event),
    on_progress: &mut dyn FnMut(u64),
) -> (u64, Vec<String>) {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut clock = syslog::Reader::new(options.year, options.zone);
    let mut buf = Vec::new();
    let (mut records, mut bad, mut line_no) = (0u64, 0u64, 0u64);
    let mut errors = Vec::new();
    loop {
        buf.clear();
        match reader.by_ref().take(64 * 1024).read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                errors.push(format!("{}行目の後で読めなくなりました: {e}", line_no));
                break;
            }
        }
        // The rest of an over-long line.
        if !buf.ends_with(b"\n") && buf.len() == 64 * 1024 {
            let mut skip = Vec::new();
            let _ = reader.read_until(b'\n', &mut skip);
        }
        line_no += 1;
        let text = String::from_utf8_lossy(&buf);
        if text.trim().is_empty() {
            continue;
        }
        match clock.line(&text) {
            Some(line) => {
                records += 1;
                // rsyslog folds identical lines: 「message repeated 5 times: [ Failed password …]」 is five.
                match syslog::repeated(line.message) {
                    Some((n, inner)) => {
                        let inner = syslog::Line {
                            message: inner,
                            ..line
                        };
                        if let Some(e) = syslog::event_of(&inner) {
                            for _ in 1..n.min(MAX_REPEATED) {
                                on_event(e.clone());
                            }
                            on_event(e);
                        }
                    }
                    None => {
                        if let Some(e) = syslog::event_of(&line) {
                            on_event(e);
                        }
                    }
                }
            }
            None => {
                bad += 1;
                if errors.len() < evtx_source::MAX_MESSAGES {
                    errors.push(format!("{line_no}行目: syslog の行として読めません"));
                }
            }
        }
        if records.is_multiple_of(65_536) {
            on_progress(records);
        }
    }
    on_progress(records);
    if bad as usize > errors.len() {
        errors.push(format!("読めない行は合計 {bad} 行"));
    }
    (records, errors)
}

/// The report as text for a terminal, in Japanese.
pub fn to_text(r: &Report) -> String {
    let mut out = String::new();
    let t = |d: &Option<DateTime<Utc>>| {
        d.map(|d| {
            mamori_core::dates::to_jst(d)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
    };
    out.push_str("■ ファイル\n");
    for f in &r.files {
        out.push_str(&format!("  {}（{}）: {} 件\n", f.path, f.format, f.records));
        for e in &f.errors {
            out.push_str(&format!("    注意: {e}\n"));
        }
    }
    if !r.event_counts.is_empty() {
        out.push_str("■ イベントID別の件数\n  ");
        out.push_str(
            &r.event_counts
                .iter()
                .map(|(id, n)| format!("{id}: {n}"))
                .collect::<Vec<_>>()
                .join("、"),
        );
        out.push('\n');
    }
    out.push_str(&format!(
        "■ アカウント別のログオン（{} アカウント）\n",
        r.logons.len()
    ));
    for l in r.logons.iter().take(50) {
        out.push_str(&format!(
            "  {}: 成功 {}、失敗 {}（{} 〜 {}）{}\n",
            if l.account.is_empty() {
                "（名前なし）"
            } else {
                &l.account
            },
            l.success,
            l.failure,
            t(&l.first),
            t(&l.last),
            if l.sources.is_empty() {
                String::new()
            } else {
                format!(" 接続元: {}", l.sources.join(", "))
            }
        ));
    }
    if r.logons.len() > 50 {
        out.push_str(&format!(
            "  …ほか {} アカウント（--format json ですべて）\n",
            r.logons.len() - 50
        ));
    }
    out.push_str(&format!("■ 検出（{} 件）\n", r.findings.len()));
    for f in &r.findings {
        let sev = match f.severity.as_str() {
            "high" => "高",
            "medium" => "中",
            _ => "低",
        };
        out.push_str(&format!(
            "  [{sev}] {}（{} 件、{} 〜 {}）\n",
            f.message,
            f.count,
            t(&f.first),
            t(&f.last)
        ));
    }
    out
}
