//! Empty ledgers, the officer from the settings, and projected rows giving the same suggestions.

use mamori_core::Catalog;
use mamori_evidence::{Facts, Verdict, suggest_form};
use mamori_ledger::Kind;

use crate::helpers::*;

#[test]
fn empty_ledgers_give_no_verdict_but_say_what_to_register() {
    let f = facts(&[]);
    for topic in [
        "device_ledger",
        "remote_maintenance",
        "mds_sds",
        "access_rights",
        "unused_accounts",
        "access_log",
        "patches",
        "contact_chart",
        "backup",
        "two_factor",
    ] {
        let s = on(topic, &f);
        assert_eq!(s.verdict, Verdict::Unknown, "{topic}");
        assert!(
            s.reasons[0].contains("が登録されていません"),
            "{topic}: {:?}",
            s.reasons
        );
    }
    let s = on("source_restriction", &f);
    assert_eq!(s.verdict, Verdict::Unknown);
    assert!(s.reasons[0].contains("接続元の制限"));
    // Every item of every form gets a suggestion.
    let catalog = Catalog::builtin().unwrap();
    for form in catalog.forms() {
        assert_eq!(suggest_form(form, &f).len(), form.items.len());
    }
}

#[test]
fn officer_from_the_facility_settings() {
    let mut f = facts(&[]);
    assert_eq!(on("officer", &f).verdict, Verdict::Yes);
    assert!(on("officer", &f).reasons[0].contains("山田 太郎"));
    f.security_officer.clear();
    assert_eq!(on("officer", &f).verdict, Verdict::No);
}

/// The cache keeps only the fields the rules read: on sample ledgers with problems of every kind, the
/// suggestions from projected rows are the suggestions from whole rows.
#[test]
fn projected_rows_give_the_same_suggestions() {
    use mamori_ledger::sample;
    let whole = facts(&[
        (Kind::Devices, (0..400).map(sample::device).collect()),
        (Kind::Accounts, (0..400).map(sample::account).collect()),
        (
            Kind::Loglist,
            vec![
                log_list_row(),
                row(&[("target", "FW"), ("log_kind", "通信")]),
            ],
        ),
        (
            Kind::LogReviews,
            vec![
                review("2025-01-01", "異常あり", ""),
                review("2025-02-01", "異常なし", ""),
            ],
        ),
        (
            Kind::Backups,
            vec![row(&[
                ("system", "電子カルテ"),
                ("offline", "はい"),
                ("restore_tested_on", "2025-01-10"),
            ])],
        ),
        (
            Kind::Contacts,
            vec![row(&[("category", "公的機関"), ("organisation", "警察")])],
        ),
        (
            Kind::Vendors,
            vec![row(&[
                ("name", "A社"),
                ("mds_sds_followup", "未記入欄を照会中"),
            ])],
        ),
    ]);
    let projected = Facts {
        ledgers: std::sync::Arc::new(
            whole
                .ledgers
                .iter()
                .map(|(k, rows)| {
                    let kind = Kind::parse(k).unwrap();
                    (
                        *k,
                        rows.iter()
                            .map(|(id, r)| (*id, mamori_evidence::project(kind, r)))
                            .collect(),
                    )
                })
                .collect(),
        ),
        ..whole.clone()
    };
    let catalog = Catalog::builtin().unwrap();
    let mut seen = std::collections::HashSet::new();
    for form in catalog.forms() {
        let a = suggest_form(form, &whole);
        seen.extend(a.iter().map(|s| s.verdict));
        assert_eq!(a, suggest_form(form, &projected), "{}", form.edition);
    }
    assert!(seen.contains(&Verdict::No) && seen.contains(&Verdict::Unknown));
}
