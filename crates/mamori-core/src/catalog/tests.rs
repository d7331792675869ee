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
    let server: Vec<_> = s2.groups[1]
        .rows
        .iter()
        .map(|(i, _)| i.key.as_str())
        .collect();
    assert_eq!(server, ["2.4", "2.5", "2.6", "2.7", "2.9"]);
}

#[test]
fn counterpart_follows_key_map_and_topic() {
    let c = Catalog::builtin().unwrap();
    let r6 = c.form("r6", Variant::Facility).unwrap();
    let r7 = c.form("r7", Variant::Facility).unwrap();
    let r5 = c.form("r5", Variant::Facility).unwrap();
    let r7p = c.form("r7", Variant::Pharmacy).unwrap();
    let id = |i: Option<&Item>| i.map(|i| i.id.to_string());
    let patches = r7.item("r7.facility.2.6").unwrap();
    // The edition map: r6's 2.7 became r7's 2.6.
    assert_eq!(
        id(c.counterpart(patches, r6)).as_deref(),
        Some("r6.facility.2.7")
    );
    // Two editions apart: by topic.
    assert_eq!(
        id(c.counterpart(patches, r5)).as_deref(),
        Some("r5.facility.2.7")
    );
    // The same edition: by key, whatever the variant.
    assert_eq!(
        id(c.counterpart(patches, r7p)).as_deref(),
        Some("r7.pharmacy.2.6")
    );
    // New in r7: nothing before.
    let two_factor = r7.item("r7.facility.2.11").unwrap();
    assert!(c.counterpart(two_factor, r6).is_none());
}

#[test]
fn a_chosen_edition_decides_its_year() {
    let c = Catalog::builtin().unwrap().with_year_choices(&[
        (2025, "r7".into()),
        (2026, "r6".into()),
        (2027, "r9".into()),
    ]);
    // The choice wins over the calendar; a choice of an unknown edition is left out.
    assert_eq!(c.edition_for(FiscalYear::new(2026)).unwrap().edition, "r6");
    assert_eq!(c.year_choice(FiscalYear::new(2027)), None);
    let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    assert_eq!(c.fiscal_year_of("r6", d).unwrap(), FiscalYear::new(2026));
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2025));
    // r7 again in 2027 (no newer edition yet): that year.
    let c = c.with_year_choices(&[(2025, "r7".into()), (2026, "r7".into())]);
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2026));
    // 2026 not started yet: the newest edition stays with the calendar.
    let c = c.with_year_choices(&[(2025, "r7".into())]);
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2026));
    let d = NaiveDate::from_ymd_opt(2025, 11, 23).unwrap();
    assert_eq!(c.fiscal_year_of("r7", d).unwrap(), FiscalYear::new(2025));
}

#[test]
fn pharmacy_forms_speak_of_a_pharmacy() {
    let c = Catalog::builtin().unwrap();
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for edition in ["r5", "r6", "r7"] {
        let f = c.form(edition, Variant::Pharmacy).unwrap();
        for item in &f.items {
            for on in [day(2025, 6, 1), day(2026, 12, 7)] {
                let g = c.guidance(item, on).unwrap();
                for clinic in ["電子カルテ", "院長", "院内", "診療を続ける"] {
                    assert!(!g.text.contains(clinic), "{} {on}: {clinic}", item.id);
                }
            }
        }
    }
    // The clinic's form keeps its own examples.
    let gate = c
        .form("r7", Variant::Facility)
        .unwrap()
        .gate_item()
        .unwrap();
    assert!(
        c.guidance(gate, day(2025, 6, 1))
            .unwrap()
            .text
            .contains("電子カルテ")
    );
    let gate = c
        .form("r7", Variant::Pharmacy)
        .unwrap()
        .gate_item()
        .unwrap();
    assert!(
        c.guidance(gate, day(2025, 6, 1))
            .unwrap()
            .text
            .contains("電子薬歴")
    );
}

#[test]
fn explanations_are_labelled_as_mamoris_with_japanese_sources() {
    let c = Catalog::builtin().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    for f in c.forms() {
        for item in &f.items {
            let g = c.guidance(item, day).unwrap();
            assert!(g.label.starts_with("Mamori による解説"), "{}", item.id);
            assert!(!g.label.contains("マニュアルの要点"));
            assert!(!g.sources.is_empty(), "{}", item.id);
            // 出典 in Japanese: no English developer notes.
            for english in ["not seen", "manual", "deck", "draft", "as R6"] {
                assert!(
                    !item.source.contains(english),
                    "{}: {}",
                    item.id,
                    item.source
                );
                assert!(!g.sources.contains(english), "{}: {}", item.id, g.sources);
            }
        }
    }
    // The one-month patch figure is the deck's PCI DSS example, not the manual's.
    let patches = c
        .form("r7", Variant::Facility)
        .unwrap()
        .item_by_key("2.6")
        .unwrap();
    let g = c.guidance(patches, day).unwrap();
    assert!(g.text.contains("PCI DSS") && g.sources.contains("PCI DSS"));
}

#[test]
fn r7_prints_in_its_own_order_with_scope_labels() {
    let c = Catalog::builtin().unwrap();
    let f = c.form("r7", Variant::Facility).unwrap();
    assert!(f.in_order && f.layout_unverified);
    let layout = f.layout();
    let section2 = layout.iter().find(|s| s.section == "2").unwrap();
    assert_eq!(section2.groups.len(), 1);
    let numbers: Vec<&str> = section2.groups[0]
        .rows
        .iter()
        .map(|(i, _)| i.number.as_str())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for n in numbers {
        if seen.last() != Some(&n) {
            seen.push(n);
        }
    }
    let expected: Vec<String> = (1..=13).map(|n| format!("({n})")).collect();
    assert_eq!(seen, expected);
    let access = f.item_by_key("2.4").unwrap();
    assert_eq!(access.scope_label(), "（サーバ、端末PC）");
    assert_eq!(
        f.item_by_key("2.6").unwrap().scope_label(),
        "（医療情報システム全般）"
    );
    // R6 keeps its grouping by target; the R7 vendor form runs 3(1)(2)(3) without a gap.
    let r6 = c.form("r6", Variant::Facility).unwrap();
    assert!(
        r6.layout()
            .iter()
            .find(|s| s.section == "2")
            .unwrap()
            .groups
            .len()
            > 1
    );
    let vendor = c.form("r7", Variant::Vendor).unwrap();
    let s3: Vec<&str> = vendor
        .items
        .iter()
        .filter(|i| i.section == "3")
        .map(|i| i.number.as_str())
        .collect();
    assert_eq!(s3, ["(1)", "(2)", "(3)"]);
}
