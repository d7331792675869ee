//! EHR/レセコン habits learnt from the period analysed: each user's (and the clinic's) working hours,
//! patients opened per 30 minutes, and exports/prints per 30 minutes. A finding says which baseline it
//! broke. Doctors' evening clinics and Sunday duty recur, so they become part of the baseline; what is
//! flagged is what the user and the clinic as a whole do not do. A period too short for baselines is
//! judged by the fixed rule (so many patients within so many minutes), kept here per user too.
//!
//! Memory: per user, 24 hours × the days seen, per 30-minute slot with activity the patients'
//! numbers, and the patients of the fixed window; a month of a clinic's log is a few MB.

use mamori_core::Topic;

use crate::finding_kind::FindingKind;
use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::detect::{DistinctWindow, Finding, Map};

/// Sets of days and patients' hashes, hashed quickly (they are numbers, not names).
type Set<T> = HashSet<T, foldhash::fast::RandomState>;

/// Days of EHR data needed before baselines replace the fixed clock and counts.
pub const MIN_DAYS: usize = 7;
/// An hour is normal for a user (or the clinic) when worked on at least this many days.
const NORMAL_DAYS: usize = 2;
/// A user's own baseline needs this many active 30-minute slots.
const MIN_SLOTS: usize = 10;
const SLOT_MINUTES: i64 = 30;

/// Words in the operation (or category) column that mean data left the system.
const EXPORT_WORDS: &[&str] = &[
    "CSV出力",
    "ＣＳＶ出力",
    "出力",
    "印刷",
    "ダウンロード",
    "エクスポート",
    "export",
    "download",
    "print",
];

pub fn is_export(operation: &str, category: &str) -> bool {
    // The English words compared without ASCII case (as a lower-case copy would, without the copy).
    let has = |s: &str| {
        EXPORT_WORDS.iter().any(|w| {
            if w.is_ascii() {
                s.as_bytes()
                    .windows(w.len())
                    .any(|b| b.eq_ignore_ascii_case(w.as_bytes()))
            } else {
                s.contains(w)
            }
        })
    };
    has(operation) || has(category)
}

#[derive(Default)]
struct Slot {
    patients: Set<u64>,
    exports: u32,
    source: String,
}

#[derive(Default)]
struct Hour {
    days: Set<i32>,
    /// The day last added to `days` (rows come in time order, so most are on it).
    last_day: Option<i32>,
    rows: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct User {
    hours: [Hour; 24],
    slots: Map<i64, Slot>,
    /// The patients opened within the fixed window (the rule used before there are days enough for
    /// baselines), and the rows at which they were the fixed count or more: how many, first and last.
    recent: DistinctWindow<u64>,
    over: Option<(u64, DateTime<Utc>, DateTime<Utc>)>,
}

pub struct EhrHabits {
    users: Map<String, User>,
    days: Set<i32>,
    last_day: Option<i32>,
    /// The fixed rule: this many patients within this span.
    patients_span: Duration,
    patients_count: usize,
}

/// The 95th percentile, rounded up to a whole count (0 for none).
fn p95(mut v: Vec<u32>) -> u32 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64) * 0.95).ceil() as usize;
    v[i.clamp(1, v.len()) - 1]
}

/// Far above a baseline: more than twice it and at least `floor` more.
fn far_above(n: u32, normal: u32, floor: u32) -> bool {
    n > normal.saturating_mul(2) && n >= normal + floor
}

/// 「8〜19時、22時」 from a set of hours.
pub fn hours_text(hours: &BTreeSet<u32>) -> String {
    if hours.is_empty() {
        return "なし".into();
    }
    let mut parts = Vec::new();
    let v: Vec<u32> = hours.iter().copied().collect();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            format!("{}時台", v[i])
        } else {
            format!("{}〜{}時台", v[i], v[j])
        });
        i = j + 1;
    }
    parts.join("、")
}

/// A finding about 30-minute slots (many patients, exports): counted and extended per slot.
fn slot_finding(
    kind: FindingKind,
    severity: &str,
    account: &str,
    source: &str,
    t: Option<DateTime<Utc>>,
    message: String,
) -> Finding {
    Finding {
        kind,
        severity: severity.into(),
        account: account.into(),
        source: source.into(),
        first: t,
        last: t,
        count: 0,
        message,
        items: vec![Topic::AccessLog, Topic::AccessRights],
    }
}

impl EhrHabits {
    /// Habits to learn, with the fixed rule for short periods: `patients_count` patients within
    /// `patients_span` is a finding.
    pub fn new(patients_span: Duration, patients_count: usize) -> EhrHabits {
        EhrHabits {
            users: Map::default(),
            days: Set::default(),
            last_day: None,
            patients_span,
            patients_count,
        }
    }

    pub fn push(
        &mut self,
        user: &str,
        t: DateTime<Utc>,
        patient: Option<u64>,
        export: bool,
        source: &str,
    ) {
        // Day (since 1970-01-01) and hour in Japan time, as numbers.
        let local = t.timestamp() + i64::from(crate::ehr_csv::jst().local_minus_utc());
        let day = local.div_euclid(86_400) as i32;
        let hour = local.rem_euclid(86_400) / 3600;
        if self.last_day != Some(day) {
            self.days.insert(day);
            self.last_day = Some(day);
        }
        let Some(u) = crate::detect::capped_slot(&mut self.users, user, 100_000, User::default)
        else {
            return;
        };
        let h = &mut u.hours[hour as usize];
        if h.last_day != Some(day) {
            h.days.insert(day);
            h.last_day = Some(day);
        }
        h.rows += 1;
        h.first = Some(h.first.map_or(t, |x| x.min(t)));
        h.last = Some(h.last.map_or(t, |x| x.max(t)));
        let slot = u
            .slots
            .entry(t.timestamp().div_euclid(SLOT_MINUTES * 60))
            .or_default();
        if let Some(p) = patient {
            slot.patients.insert(p);
            if u.recent.push(t, &p, self.patients_span, 10_000) >= self.patients_count {
                let (n, first, last) = u.over.get_or_insert((0, t, t));
                *n += 1;
                *first = (*first).min(t);
                *last = (*last).max(t);
            }
        }
        if export {
            slot.exports += 1;
        }
        if slot.source.is_empty() {
            slot.source = source.to_string();
        }
    }

    /// The fixed rule's findings (for a period too short for baselines): one per user who opened the
    /// fixed count of patients within the span, counting the rows at which they had.
    pub fn fixed_findings(&self) -> Vec<Finding> {
        let (n, m) = (self.patients_count, self.patients_span.num_minutes());
        self.users
            .iter()
            .filter_map(|(name, u)| {
                let (count, first, last) = u.over?;
                Some(Finding {
                    kind: FindingKind::EhrManyPatients,
                    severity: "high".into(),
                    account: name.clone(),
                    source: String::new(),
                    first: Some(first),
                    last: Some(last),
                    count,
                    message: format!("「{name}」が{m}分間に{n}人以上の患者の記録を開いています（持ち出しや、のぞき見の可能性。分析した期間が{MIN_DAYS}日未満のため、決まった件数で判断しています）"),
                    items: vec![Topic::AccessLog, Topic::AccessRights],
                })
            })
            .collect()
    }

    /// Whether the period is long enough for baselines.
    pub fn usable(&self) -> bool {
        self.days.len() >= MIN_DAYS
    }

    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        // The clinic's hours: worked by anyone on NORMAL_DAYS days.
        let clinic_hours: BTreeSet<u32> = (0..24u32)
            .filter(|h| {
                let days: HashSet<i32> = self
                    .users
                    .values()
                    .flat_map(|u| u.hours[*h as usize].days.iter().copied())
                    .collect();
                days.len() >= NORMAL_DAYS
            })
            .collect();
        let all_patients: Vec<u32> = self
            .users
            .values()
            .flat_map(|u| u.slots.values().map(|s| s.patients.len() as u32))
            .collect();
        let all_exports: Vec<u32> = self
            .users
            .values()
            .flat_map(|u| u.slots.values().map(|s| s.exports))
            .collect();
        let (clinic_patients, clinic_exports) = (p95(all_patients), p95(all_exports));
        let mut names: Vec<&String> = self.users.keys().collect();
        names.sort();
        for name in names {
            let u = &self.users[name];
            let own_hours: BTreeSet<u32> = (0..24u32)
                .filter(|h| u.hours[*h as usize].days.len() >= NORMAL_DAYS)
                .collect();
            let odd: Vec<u32> = (0..24u32)
                .filter(|h| {
                    u.hours[*h as usize].rows > 0
                        && !own_hours.contains(h)
                        && !clinic_hours.contains(h)
                })
                .collect();
            if !odd.is_empty() {
                let hs = odd.iter().map(|h| &u.hours[*h as usize]);
                let rows = hs.clone().map(|h| h.rows).sum();
                let first = hs.clone().filter_map(|h| h.first).min();
                let last = hs.filter_map(|h| h.last).max();
                let odd_text = hours_text(&odd.iter().copied().collect());
                out.push(Finding {
                    kind: FindingKind::EhrAfterHours,
                    severity: "medium".into(),
                    account: name.clone(),
                    source: String::new(),
                    first,
                    last,
                    count: rows,
                    message: format!(
                        "「{name}」が、本人も診療所のほかの誰も普段は使わない時間帯（{odd_text}）に電子カルテ・レセコンを使っています。この利用者の通常の時間帯は {}、診療所全体は {} です（分析した期間から算出）",
                        hours_text(&own_hours),
                        hours_text(&clinic_hours)
                    ),
                    items: vec![Topic::AccessLog],
                });
            }
            let own = u.slots.len() >= MIN_SLOTS;
            let own_patients = p95(u.slots.values().map(|s| s.patients.len() as u32).collect());
            let own_exports = p95(u.slots.values().map(|s| s.exports).collect());
            let mut slots: Vec<(&i64, &Slot)> = u.slots.iter().collect();
            slots.sort_by_key(|(k, _)| **k);
            let mut many: Option<Finding> = None;
            let mut exports: Option<Finding> = None;
            for (k, s) in slots {
                let t = DateTime::from_timestamp(k * SLOT_MINUTES * 60, 0);
                let n = s.patients.len() as u32;
                let many_here =
                    far_above(n, clinic_patients, 20) && (!own || far_above(n, own_patients, 20));
                let baseline = |unit: &str, own_n: u32, clinic_n: u32| {
                    if own {
                        format!(
                            "この利用者の通常は最大 {own_n} {unit}/30分、診療所全体では最大 {clinic_n} {unit}/30分"
                        )
                    } else {
                        format!(
                            "診療所全体の通常は最大 {clinic_n} {unit}/30分（この利用者は記録が少なく、本人の通常は算出していません）"
                        )
                    }
                };
                if many_here {
                    let f = many.get_or_insert_with(|| {
                        slot_finding(FindingKind::EhrManyPatients, "high", name, &s.source, t, format!(
                            "「{name}」が30分間に{n}名の患者の記録を開いています。{}です（持ち出しや、のぞき見の可能性）",
                            baseline("名", own_patients, clinic_patients)
                        ))
                    });
                    f.count += 1;
                    f.last = t;
                }
                if far_above(s.exports, clinic_exports, 10)
                    && (!own || far_above(s.exports, own_exports, 10))
                {
                    let f = exports.get_or_insert_with(|| {
                        slot_finding(FindingKind::EhrExportBurst, "medium", name, &s.source, t, format!(
                            "「{name}」が30分間に{}件の出力（CSV出力・印刷・ダウンロード・エクスポート）をしています。{}です",
                            s.exports,
                            baseline("件", own_exports, clinic_exports)
                        ))
                    });
                    f.count += 1;
                    f.last = t;
                    if many_here && f.severity != "high" {
                        f.severity = "high".into();
                        f.message.push_str("。同じ30分間に多数の患者の記録も開いており、患者情報の持ち出しの可能性が高いので、すぐに本人に確認してください");
                    }
                }
            }
            out.extend(many);
            out.extend(exports);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_are_high_percentiles_and_far_above_needs_a_margin() {
        assert_eq!(p95(vec![]), 0);
        assert_eq!(p95((1..=100).collect()), 95);
        assert_eq!(p95(vec![3]), 3);
        assert!(far_above(45, 12, 20));
        assert!(!far_above(25, 12, 20), "twice, but not by 20");
        assert!(!far_above(30, 20, 5), "by 10, but not twice");
    }

    #[test]
    fn hours_are_written_as_ranges() {
        let h: BTreeSet<u32> = [8, 9, 10, 11, 18, 19, 23].into_iter().collect();
        assert_eq!(hours_text(&h), "8〜11時台、18〜19時台、23時台");
        assert_eq!(hours_text(&BTreeSet::new()), "なし");
    }

    #[test]
    fn export_words_are_found_in_the_operation_or_category() {
        assert!(is_export("CSV出力", ""));
        assert!(is_export("処方箋印刷", ""));
        assert!(is_export("", "ダウンロード"));
        assert!(is_export("Export", ""));
        assert!(!is_export("参照", "カルテ"));
    }
}
