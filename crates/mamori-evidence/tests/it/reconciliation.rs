//! The reconciliation of the facility's answers, the vendors' forms and the ledgers.

use crate::helpers::*;
use chrono::NaiveDate;
use mamori_core::{Answer, AnswerSet, Choice};
use mamori_core::{Catalog, Variant};
use mamori_evidence::reconcile::{VendorForm, reconcile};
use mamori_ledger::{Kind, Row};

fn yes_no(form: &mamori_core::Form, answers: &[(&str, Choice)]) -> AnswerSet {
    AnswerSet::new(answers.iter().flat_map(|(topic, choice)| {
        form.rows()
            .filter(|(i, _)| i.topic.id() == *topic)
            .map(|(i, t)| Answer {
                item: i.id.clone(),
                target: t,
                round: 1,
                answer: *choice,
                checked_on: NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
                target_date: (*choice == Choice::No)
                    .then(|| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
                note: String::new(),
            })
            .collect::<Vec<_>>()
    }))
}

fn vendor(name: &str, remote: &str, mds: bool) -> Row {
    let mut r = row(&[("name", name), ("remote_contract", remote)]);
    if mds {
        r.insert("mds_sds_received_on".into(), "2025-04-01".into());
    }
    r
}

fn device_of(vendor: &str, remote: &str) -> Row {
    row(&[
        ("vendor", vendor),
        ("remote_maintenance", remote),
        ("computer_name", "PC"),
    ])
}

#[test]
fn each_kind_of_contradiction_with_what_to_do() {
    let catalog = Catalog::builtin().unwrap();
    let facility_form = catalog.form("r7", Variant::Facility).unwrap();
    let vendor_form = catalog.form("r7", Variant::Vendor).unwrap();
    let f = facts(&[
        (
            Kind::Vendors,
            vec![
                vendor("A社", "有", true),
                vendor("B社", "無", false),
                vendor("C社", "無", false),
            ],
        ),
        (
            Kind::Devices,
            vec![
                device_of("A社", "無"),
                device_of("A社", "無"),
                device_of("B社", "有"),
            ],
        ),
    ]);
    let facility = yes_no(
        facility_form,
        &[("patches", Choice::Yes), ("backup", Choice::Yes)],
    );
    // A社 says it did not submit MDS/SDS (the ledger says received) and that patches are not applied.
    let a = yes_no(
        vendor_form,
        &[
            ("mds_sds", Choice::No),
            ("patches", Choice::No),
            ("backup", Choice::Yes),
        ],
    );
    // B社 says it submitted MDS/SDS (the ledger has no date).
    let b = yes_no(vendor_form, &[("mds_sds", Choice::Yes)]);
    let vendors = [
        VendorForm {
            product: None,
            vendor_id: 1,
            form: vendor_form,
            answers: &a,
        },
        VendorForm {
            product: None,
            vendor_id: 2,
            form: vendor_form,
            answers: &b,
        },
    ];
    let found = reconcile(facility_form, &facility, &vendors, &f);
    let messages: Vec<(&str, &str)> = found.iter().map(|c| (c.kind, c.message.as_str())).collect();
    assert_eq!(
        messages,
        [
            (
                "remote_maintenance",
                "A社との契約はリモートメンテナンス「有」ですが、機器台帳のA社の機器2台はすべて「有」になっていません"
            ),
            (
                "mds_sds",
                "事業者・契約ではMDS/SDSを受領済み（2025-04-01）としていますが、A社は事業者確認用で「提出していない（いいえ）」と回答しています"
            ),
            (
                "answers",
                "「セキュリティパッチの適用」を施設は「はい」と回答していますが、A社は「いいえ」と回答しています（事業者の目標日：令和8年3月1日）"
            ),
            (
                "remote_maintenance",
                "B社との契約はリモートメンテナンス「無」ですが、機器台帳ではB社の機器1台がリモートメンテナンス「有」です"
            ),
            (
                "mds_sds",
                "B社は事業者確認用でMDS/SDSを「提出した（はい）」と回答していますが、事業者・契約に受領日がありません"
            ),
            (
                "vendor_form",
                "C社の事業者確認用を受け取った記録がありません"
            ),
        ]
    );
    assert!(found.iter().all(|c| !c.next.is_empty()));
    assert_eq!(found[0].rows.len(), 3, "the vendor and its two devices");
    assert_eq!(found[0].rows[1].kind, "devices");

    // Nothing to say when everything agrees.
    let f = facts(&[
        (Kind::Vendors, vec![vendor("A社", "有", true)]),
        (Kind::Devices, vec![device_of("A社", "有")]),
    ]);
    let a = yes_no(
        vendor_form,
        &[("mds_sds", Choice::Yes), ("patches", Choice::Yes)],
    );
    let vendors = [VendorForm {
        product: None,
        vendor_id: 1,
        form: vendor_form,
        answers: &a,
    }];
    assert!(reconcile(facility_form, &facility, &vendors, &f).is_empty());
}
