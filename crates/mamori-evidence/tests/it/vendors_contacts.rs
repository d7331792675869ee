//! Vendors' MDS/SDS and the contact chart.

use mamori_evidence::Verdict;
use mamori_ledger::Kind;

use crate::helpers::*;

#[test]
fn mds_sds_received_from_every_vendor() {
    let got = row(&[("name", "A社"), ("mds_sds_received_on", "2025-04-10")]);
    assert_eq!(
        on("mds_sds", &facts(&[(Kind::Vendors, vec![got.clone()])])).verdict,
        Verdict::Yes
    );
    let s = on(
        "mds_sds",
        &facts(&[(Kind::Vendors, vec![got, row(&[("name", "B社")])])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        ["2社中1社からMDS/SDSを受け取った記録がありません"]
    );
}

#[test]
fn contact_chart_needs_phones_vendors_and_public_bodies() {
    let police = row(&[
        ("category", "公的機関"),
        ("organisation", "警察"),
        ("phone", "110"),
    ]);
    let vendor = row(&[
        ("category", "事業者"),
        ("organisation", "A社"),
        ("phone", "03-0000-0000"),
    ]);
    assert_eq!(
        on(
            "contact_chart",
            &facts(&[(Kind::Contacts, vec![police.clone(), vendor.clone()])])
        )
        .verdict,
        Verdict::Yes
    );
    let no_phone = row(&[("category", "院内"), ("organisation", "事務長")]);
    let s = on(
        "contact_chart",
        &facts(&[(Kind::Contacts, vec![police, no_phone])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "連絡先の電話番号が未記入の行があります（1行）",
            "事業者の連絡先がありません"
        ]
    );
}

/// Guideline 第7.0版 保守委託機関編 別紙: the 99 MDS/SDS 確認事項 reviewed per vendor (all はい/対象外, or
/// the facility's own risk note).
#[test]
fn the_mds_sds_review_is_recorded_per_vendor_once_guideline_7_is_in_force() {
    let at = |rows: Vec<mamori_ledger::Row>, day: (i32, u32, u32)| {
        let mut f = facts(&[(Kind::Vendors, rows)]);
        f.today = chrono::NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
        on("mds_sds", &f)
    };
    let received = |review: &str, note: &str| {
        let mut r = row(&[("name", "A社"), ("mds_sds_received_on", "2026-04-10")]);
        for (k, v) in [("mds_sds_review", review), ("mds_sds_risk_note", note)] {
            if !v.is_empty() {
                r.insert(k.into(), v.into());
            }
        }
        r
    };
    assert_eq!(
        at(vec![received("", "")], (2026, 6, 1)).verdict,
        Verdict::Yes
    );
    let s = at(vec![received("", "")], (2026, 12, 7));
    assert_eq!(s.verdict, Verdict::No);
    assert!(s.reasons[0].contains("99項目"), "{:?}", s.reasons);
    assert_eq!(
        at(vec![received("すべてはい・対象外", "")], (2026, 12, 7)).verdict,
        Verdict::Yes
    );
    let s = at(vec![received("リスクを評価済み", "")], (2026, 12, 7));
    assert!(s.reasons[0].contains("リスク評価の内容が未記入"));
    assert_eq!(
        at(
            vec![received(
                "リスクを評価済み",
                "暗号化の項目が対象外の理由を確認し、院内LANに限定して受容"
            )],
            (2026, 12, 7)
        )
        .verdict,
        Verdict::Yes
    );
}
