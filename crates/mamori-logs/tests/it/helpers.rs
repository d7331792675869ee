//! What the log tests share: the shared samples, evtx_dump, running the engine, fixtures and findings.

use chrono::{FixedOffset, TimeZone, Utc};
use mamori_logs::event::{Event, Kind};
use mamori_logs::{Options, Report, Thresholds, analyze};
use std::path::{Path, PathBuf};

pub(crate) fn shared(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub);
    p.exists().then_some(p)
}

pub(crate) fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

pub(crate) fn run(paths: &[PathBuf], options: &Options) -> Report {
    analyze(paths, options, &mut |_, _| {})
}

pub(crate) fn kinds(r: &Report) -> Vec<(&str, String, String)> {
    r.findings
        .iter()
        .map(|f| (f.kind.id(), f.account.clone(), f.source.clone()))
        .collect()
}

pub(crate) fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap()
}

pub(crate) fn ev(kind: Kind, account: &str, source: &str, minute: i64) -> Event {
    let mut e = Event::new(kind);
    e.time = Some(
        Utc.with_ymd_and_hms(2025, 6, 2, 1, 0, 0).unwrap() + chrono::Duration::minutes(minute),
    );
    e.account = account.into();
    e.source = source.into();
    e
}

pub(crate) fn detect(events: &[Event], staff: Option<mamori_logs::Staff>) -> Vec<(String, String)> {
    let mut d = mamori_logs::detect::Detector::new(Thresholds::default(), staff);
    for e in events {
        d.push(e);
    }
    d.finish()
        .into_iter()
        .map(|f| (f.kind.id().to_string(), f.account))
        .collect()
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
