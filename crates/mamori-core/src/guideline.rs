//! The guideline in force on a date (医療情報システムの安全管理に関するガイドライン), and what Mamori's
//! explanations and evidence rules take from it. Facts from shared/reference/current-editions.md (B).

use chrono::NaiveDate;

/// 第7.0版 (産情発0629第1号, 令和8年6月29日).
pub fn v7_in_force_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 29).expect("valid date")
}

/// The reference date for two-factor authentication on client terminals and servers (第7.0版).
pub fn two_factor_by() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 4, 1).expect("valid date")
}

/// Which guideline is in force on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Guideline {
    V6,
    V7,
}

impl Guideline {
    pub fn on(day: NaiveDate) -> Guideline {
        if day >= v7_in_force_from() {
            Guideline::V7
        } else {
            Guideline::V6
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Guideline::V6 => "ガイドライン第6.0版",
            Guideline::V7 => "ガイドライン第7.0版（令和8年6月）",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guideline_changes_on_the_day_of_the_notice() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Guideline::on(d(2026, 6, 28)), Guideline::V6);
        assert_eq!(Guideline::on(d(2026, 6, 29)), Guideline::V7);
        assert_eq!(Guideline::on(d(2026, 4, 1)), Guideline::V6);
    }
}
