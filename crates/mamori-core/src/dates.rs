//! Japanese dates: fiscal years (April–March), 和暦, and the one clock everything reads.

use chrono::{Datelike, NaiveDate};
use std::sync::Arc;

/// A Japanese fiscal year: April 1 of `start_year` to March 31 of the next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiscalYear(i32);

impl FiscalYear {
    pub fn new(start_year: i32) -> Self {
        FiscalYear(start_year)
    }
    pub fn containing(d: NaiveDate) -> Self {
        FiscalYear(if d.month() >= 4 {
            d.year()
        } else {
            d.year() - 1
        })
    }
    pub fn start_year(self) -> i32 {
        self.0
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).expect("April 1 exists")
    }
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).expect("March 31 exists")
    }
    pub fn contains(self, d: NaiveDate) -> bool {
        d >= self.first_day() && d <= self.last_day()
    }
    /// 「令和8年度」. A year in which the era changed takes the new era (2019 → 令和元年度).
    pub fn label(self) -> String {
        let year_end = NaiveDate::from_ymd_opt(self.0, 12, 31).expect("December 31 exists");
        format!("{}度", era_year(year_end))
    }
}

/// Era boundaries (first day of each era), newest first.
const ERAS: &[(&str, i32, u32, u32)] = &[
    ("令和", 2019, 5, 1),
    ("平成", 1989, 1, 8),
    ("昭和", 1926, 12, 25),
];

/// 「令和7年」 for a date (元年 for the first year of an era).
pub fn era_year(d: NaiveDate) -> String {
    for (name, y, m, day) in ERAS {
        let start = NaiveDate::from_ymd_opt(*y, *m, *day).expect("valid era start");
        if d >= start {
            let n = d.year() - y + 1;
            return if n == 1 {
                format!("{name}元年")
            } else {
                format!("{name}{n}年")
            };
        }
    }
    format!("{}年", d.year())
}

/// 「令和7年5月16日」.
pub fn wareki(d: NaiveDate) -> String {
    format!("{}{}月{}日", era_year(d), d.month(), d.day())
}

/// 「R7.5.16」: the short form used in narrow cells.
pub fn wareki_short(d: NaiveDate) -> String {
    let full = era_year(d);
    let (letter, rest) = if let Some(r) = full.strip_prefix("令和") {
        ("R", r)
    } else if let Some(r) = full.strip_prefix("平成") {
        ("H", r)
    } else if let Some(r) = full.strip_prefix("昭和") {
        ("S", r)
    } else {
        return d.format("%Y/%m/%d").to_string();
    };
    let n = rest.trim_end_matches('年').replace("元", "1");
    format!("{letter}{n}.{}.{}", d.month(), d.day())
}

/// Japan's time zone (UTC+9, no daylight saving): the dates on the forms and in the ledgers are its dates.
pub fn jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// An instant as Japan's local date and time.
pub fn to_jst(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&jst()).naive_local()
}

/// The Japanese date of an instant.
pub fn jst_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    to_jst(t).date()
}

/// The instant at which a Japanese local date and time falls.
pub fn from_jst(local: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    (local - chrono::Duration::hours(9)).and_utc()
}

/// The one source of "now". Tests use [`Clock::fixed`].
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(chrono::Utc::now))
    }
    pub fn fixed(at: chrono::DateTime<chrono::Utc>) -> Self {
        Clock(Arc::new(move || at))
    }
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.0)()
    }
    /// Today in Japan (JST, UTC+9): dates on the forms are Japanese dates.
    pub fn today_jst(&self) -> NaiveDate {
        jst_date(self.now())
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn fiscal_year_runs_april_to_march() {
        assert_eq!(
            FiscalYear::containing(d(2026, 3, 31)),
            FiscalYear::new(2025)
        );
        assert_eq!(FiscalYear::containing(d(2026, 4, 1)), FiscalYear::new(2026));
        let fy = FiscalYear::new(2025);
        assert!(fy.contains(d(2025, 4, 1)) && fy.contains(d(2026, 3, 31)));
        assert!(!fy.contains(d(2025, 3, 31)) && !fy.contains(d(2026, 4, 1)));
        assert_eq!(fy.label(), "令和7年度");
        assert_eq!(FiscalYear::new(2019).label(), "令和元年度");
        assert_eq!(FiscalYear::new(2018).label(), "平成30年度");
    }

    #[test]
    fn wareki_dates() {
        assert_eq!(wareki(d(2025, 5, 16)), "令和7年5月16日");
        assert_eq!(wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(wareki_short(d(2026, 3, 31)), "R8.3.31");
        assert_eq!(wareki_short(d(2019, 6, 1)), "R1.6.1");
    }

    #[test]
    fn today_is_japanese_date() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-31T15:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(Clock::fixed(at).today_jst(), d(2026, 4, 1));
    }
}
