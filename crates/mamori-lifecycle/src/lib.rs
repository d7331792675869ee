//! Support-end and patch status of devices (checklist 2(7)) and the baseline of services and software
//! that should not run (2(9)).
//!
//! A device row names its OS and software; [`identify`] finds the products Mamori knows among them
//! (Windows builds, Office, browsers, Java, Linux releases, databases, web servers: `data/lifecycle.json`,
//! from endoflife.date) and the facility's own entries (ORCA, 電子カルテ, PACS, routers …). [`assess`]
//! turns them into the earliest support end and the updates known to exist, written into the row when it
//! is saved; [`status`] reads the row on a given day: サポート切れ / まもなく終了 / 更新あり / サポート中 / 不明,
//! each with its reasons. Linux packages are supported by their distribution, so on Linux only the
//! release itself (and the facility's entries) are judged.

pub mod baseline;
mod identify;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use mamori_ledger::Row;
use serde::Deserialize;

pub use identify::{Found, identify};

/// Support ending within this many days is 「まもなく終了」.
pub const SOON_DAYS: i64 = 180;
/// No update installed for this many days (更新プログラム適用日) is 「更新あり」.
pub const PATCH_DAYS: i64 = 60;
/// Virus definitions older than this many days are 「更新あり」.
pub const SIGNATURE_DAYS: i64 = 7;

#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub cycle: String,
    /// A date, `false` (supported, no end announced) or `true` (ended, date unknown).
    pub eol: serde_json::Value,
    #[serde(default)]
    pub extended: Option<serde_json::Value>,
    #[serde(default)]
    pub latest: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub title: String,
    pub source: String,
    pub verified: bool,
    #[serde(default)]
    pub extended_is_default: bool,
    pub releases: Vec<Release>,
}

#[derive(Debug, Deserialize)]
pub struct Data {
    pub source: String,
    pub license: String,
    pub products: BTreeMap<String, Product>,
}

/// The lifecycle data built into Mamori.
pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../data/lifecycle.json"))
            .expect("lifecycle.json is valid")
    })
}

/// When support ends: a day, never announced, or already (day unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    On(NaiveDate),
    NotAnnounced,
    Ended,
}

fn end_of(v: &serde_json::Value) -> Option<End> {
    match v {
        serde_json::Value::Bool(false) => Some(End::NotAnnounced),
        serde_json::Value::Bool(true) => Some(End::Ended),
        serde_json::Value::String(s) => s.parse().ok().map(End::On),
        _ => None,
    }
}

impl Release {
    /// The end that counts: regular support, or the extended one where that comes free (Debian LTS).
    pub fn end(&self, product: &Product) -> Option<End> {
        let regular = end_of(&self.eol)?;
        if product.extended_is_default
            && let Some(ext) = self.extended.as_ref().and_then(end_of)
        {
            return Some(ext);
        }
        Some(regular)
    }
}

/// A support end the facility registered (サポート期限 ledger): a product name or word found in the
/// device's software, OS or maker/model, optionally one version, and its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityEntry {
    pub product: String,
    pub version: String,
    pub end: NaiveDate,
    pub source: String,
}

impl FacilityEntry {
    /// From a row of the サポート期限 ledger (product, version, support_end, source).
    pub fn from_row(row: &Row) -> Option<FacilityEntry> {
        Some(FacilityEntry {
            product: row.get("product")?.trim().to_string(),
            version: row
                .get("version")
                .map(|v| v.trim().to_string())
                .unwrap_or_default(),
            end: row.get("support_end")?.parse().ok()?,
            source: row.get("source").cloned().unwrap_or_default(),
        })
        .filter(|e| !e.product.is_empty())
    }
}

/// What a device's products say, to be kept in its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// The earliest support end among the products found (None: none found with a date).
    pub end: Option<NaiveDate>,
    /// One line per product: what it is, its end, where the date comes from.
    pub basis: Vec<String>,
    /// Newer versions within the same release: 「Debian 12.8 → 12.15」.
    pub updates: Vec<String>,
}

/// Compares dotted versions by their numbers, as far as the shorter goes: is `installed` older?
pub fn older(installed: &str, latest: &str) -> bool {
    let nums = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let (a, b) = (nums(installed), nums(latest));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    for (x, y) in a.iter().zip(&b) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// The support end and known updates of a device row.
pub fn assess(row: &Row, facility: &[FacilityEntry]) -> Assessment {
    let mut out = Assessment::default();
    let earliest = |d: NaiveDate, out: &mut Assessment| {
        out.end = Some(out.end.map_or(d, |e| e.min(d)));
    };
    for f in identify(row, facility) {
        match f {
            Found::Known {
                product,
                cycle,
                installed,
                what,
            } => {
                let Some(p) = data().products.get(product) else {
                    continue;
                };
                let Some(r) = p.releases.iter().find(|r| r.cycle == cycle) else {
                    continue;
                };
                let source = if p.verified {
                    format!("出典: {}", p.source)
                } else {
                    format!("出典（未確認）: {}", p.source)
                };
                match r.end(p) {
                    Some(End::On(d)) => {
                        earliest(d, &mut out);
                        out.basis
                            .push(format!("{what}: サポート終了 {d}（{source}）"));
                    }
                    Some(End::Ended) => {
                        earliest(NaiveDate::MIN, &mut out);
                        out.basis
                            .push(format!("{what}: サポート終了済み（{source}）"));
                    }
                    Some(End::NotAnnounced) | None => out
                        .basis
                        .push(format!("{what}: サポート中、終了日は未発表（{source}）")),
                }
                if let Some(latest) = &r.latest
                    && !installed.is_empty()
                    && older(&installed, latest)
                {
                    out.updates.push(format!("{what}: {installed} → {latest}"));
                }
            }
            Found::Facility { entry, what } => {
                earliest(entry.end, &mut out);
                let source = if entry.source.is_empty() {
                    "施設の登録".to_string()
                } else {
                    format!("施設の登録、出典: {}", entry.source)
                };
                out.basis
                    .push(format!("{what}: サポート終了 {}（{source}）", entry.end));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Ended,
    EndingSoon,
    UpdateAvailable,
    Supported,
    Unknown,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ended => "サポート切れ",
            Status::EndingSoon => "まもなく終了",
            Status::UpdateAvailable => "更新あり",
            Status::Supported => "サポート中",
            Status::Unknown => "不明",
        }
    }
}

fn date(row: &Row, key: &str) -> Option<NaiveDate> {
    row.get(key).and_then(|d| d.parse().ok())
}

/// A device's support status on `today`, from its row: the facility's サポート終了日 and the one Mamori
/// found (the earlier counts), the updates found, the last update installed and the virus definitions.
pub fn status(row: &Row, today: NaiveDate) -> (Status, Vec<String>) {
    let typed = date(row, "support_end");
    let found = date(row, "lifecycle_end");
    let end = match (typed, found) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut reasons = Vec::new();
    let show = |d: NaiveDate| {
        if d == NaiveDate::MIN {
            "終了済み".to_string()
        } else {
            d.to_string()
        }
    };
    let mut status = Status::Unknown;
    if let Some(end) = end {
        let days = (end - today).num_days();
        if end < today {
            status = Status::Ended;
            reasons.push(format!("サポートが終了しています（{}）", show(end)));
        } else if days <= SOON_DAYS {
            status = Status::EndingSoon;
            reasons.push(format!("サポートがあと{days}日で終了します（{end}）"));
        } else {
            status = Status::Supported;
            reasons.push(format!("サポート期間内です（{end} まで）"));
        }
    }
    let mut updates: Vec<String> = row
        .get("updates")
        .map(|u| {
            u.split("; ")
                .filter(|s| !s.is_empty())
                .map(|s| format!("新しい版があります: {s}"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(d) = date(row, "patched_on") {
        let days = (today - d).num_days();
        if days > PATCH_DAYS {
            updates.push(format!(
                "最後の更新プログラムの適用から{days}日経っています（{d}）"
            ));
        }
    }
    if let Some(d) = date(row, "av_updated_on") {
        let days = (today - d).num_days();
        if days > SIGNATURE_DAYS {
            updates.push(format!("ウイルス定義が{days}日前のままです（{d}）"));
        }
    }
    if !updates.is_empty() && matches!(status, Status::Supported | Status::Unknown) {
        status = Status::UpdateAvailable;
    }
    reasons.extend(updates);
    if status == Status::Unknown {
        reasons.push(
            if row.get("os").is_some_and(|o| !o.is_empty()) || row.get("software").is_some() {
                "OS・ソフトウェアからサポート期限のわかる製品を特定できません。サポート終了日を記入するか、サポート期限に製品を登録してください".to_string()
            } else {
                "OS もソフトウェアも記入がなく、サポート期限を判断できません".to_string()
            },
        );
    }
    (status, reasons)
}
