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
