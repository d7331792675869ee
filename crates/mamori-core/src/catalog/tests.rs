//! Unit tests of `catalog`.

use super::*;
use chrono::NaiveDate;

#[test]
fn builtin_catalog_loads_and_validates() {
    let c = Catalog::builtin().unwrap();
    assert_eq!(c.editions().len(), 3);
    assert_eq!(c.forms().len(), 9);
    let f = c.form("r7", Variant::Facility).unwrap();
    assert_eq!(
        f.item("r7.facility.2.6").unwrap().topic,
        crate::Topic::Patches
    );
    assert!(!f.item("r7.facility.2.6").unwrap().guidance.is_empty());
}

#[test]
fn successor_follows_the_mapping() {
    let c = Catalog::builtin().unwrap();
    assert_eq!(
        c.successor("r6.facility.2.7").as_deref(),
        Some("r7.facility.2.6")
    );
    assert_eq!(
        c.successor("r5.vendor.2.3").as_deref(),
        Some("r6.vendor.2.3")
    );
    assert_eq!(c.successor("r7.facility.2.6"), None);
}

#[test]
fn edition_for_a_later_year_falls_back_and_says_so() {
    let c = Catalog::builtin().unwrap();
    let ch = c.edition_for(FiscalYear::new(2026)).unwrap();
    assert_eq!(ch.edition, "r7");
    let notice = ch.fallback_notice.unwrap();
    assert!(
        notice.contains("令和8年度の版はまだ取り込まれていない"),
        "{notice}"
    );
    assert!(
        notice.contains("厚生労働省は令和8年度版のチェックリスト"),
        "{notice}"
    );
    assert!(notice.contains("「版の取り込み」画面"), "{notice}");
    assert!(!notice.contains("公表されたら"), "{notice}");
    let ch = c.edition_for(FiscalYear::new(2024)).unwrap();
    assert_eq!(ch.edition, "r6");
    assert_eq!(ch.fallback_notice, None);
    assert_eq!(c.edition_for(FiscalYear::new(2022)), None);
}

#[test]
fn fiscal_year_of_newest_edition_follows_today() {
    let c = Catalog::builtin().unwrap();
    let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2026));
    assert_eq!(c.fiscal_year_of("r6", d).unwrap(), FiscalYear::new(2024));
    let d = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2025));
    assert!(c.fiscal_year_of("r9", d).is_err());
}

#[test]
fn section_two_is_grouped_by_target() {
    let c = Catalog::builtin().unwrap();
    let f = c.form("r6", Variant::Facility).unwrap();
    let layout = f.layout();
    let s2 = layout.iter().find(|s| s.section == "2").unwrap();
    let groups: Vec<_> = s2.groups.iter().map(|g| g.target.unwrap()).collect();
    assert_eq!(groups, Target::ALL.to_vec());
    let server: Vec<_> = s2.groups[1].items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(server, ["2.4", "2.5", "2.6", "2.7", "2.9"]);
}
