//! Each rule's はい, いいえ and 判断材料不足, with its reasons, on small fixtures.

use chrono::NaiveDate;
use mamori_core::{Catalog, Variant};
use mamori_evidence::{Facts, Suggestion, Verdict, suggest, suggest_form};
use mamori_ledger::{Kind, Row};

fn row(pairs: &[(&str, &str)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn facts(ledgers: &[(Kind, Vec<Row>)]) -> Facts {
    let mut f = Facts {
        today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        security_officer: "山田 太郎".into(),
        ..Facts::default()
    };
    let mut map = std::collections::BTreeMap::new();
    for (kind, rows) in ledgers {
        map.insert(
            kind.id(),
            rows.iter()
                .cloned()
                .enumerate()
                .map(|(i, r)| (i as i64 + 1, r))
                .collect(),
        );
    }
    f.ledgers = std::sync::Arc::new(map);
    f
}

/// The suggestion for the R7 facility item of `topic`.
fn on(topic: &str, f: &Facts) -> Suggestion {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Facility).unwrap();
    let item = form.items.iter().find(|i| i.topic == topic).unwrap();
    suggest(item, f)
}

fn device(software: bool, remote: &str, confirmed: bool, support_end: Option<&str>) -> Row {
    let mut r = row(&[
        ("device_kind", "端末PC"),
        ("os", "Windows 11"),
        ("os_version", "24H2"),
    ]);
    if software {
        r.insert("software".into(), "電子カルテ 5.2".into());
    }
    if !remote.is_empty() {
        r.insert("remote_maintenance".into(), remote.into());
    }
    if confirmed {
        r.insert("remote_confirmed_on".into(), "2025-04-01".into());
    }
    if let Some(d) = support_end {
        r.insert("support_end".into(), d.into());
    }
    r
}

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

#[test]
fn device_ledger_needs_software_versions() {
    let good = facts(&[(Kind::Devices, vec![device(true, "無", false, None); 3])]);
    let s = on("device_ledger", &good);
    assert_eq!(s.verdict, Verdict::Yes);
    assert_eq!(
        s.reasons,
        ["機器台帳に3台あり、すべてにソフトウェアとバージョンが記入されています"]
    );
    let mut rows = vec![device(true, "無", false, None); 45];
    rows.extend(vec![device(false, "無", false, None); 3]);
    let s = on("device_ledger", &facts(&[(Kind::Devices, rows)]));
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        ["機器台帳の48台中3台にソフトウェア（バージョン）がありません"]
    );
    assert_eq!(
        s.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [46, 47, 48]
    );
}

/// A machine whose agent has not reported for over 30 days makes the ledger doubtful.
#[test]
fn devices_whose_agent_stopped_reporting() {
    let mut fresh = device(true, "無", false, None);
    fresh.insert("inventoried_on".into(), "2025-05-20".into());
    let mut stale = device(true, "無", false, None);
    stale.insert("inventoried_on".into(), "2025-04-01".into());
    let s = on(
        "device_ledger",
        &facts(&[(Kind::Devices, vec![fresh.clone(), stale])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "エージェントの一覧が30日間以上届いていない機器が1台あります（機器が動いているか、台帳が今も正しいか確認してください）"
        ]
    );
    assert_eq!(s.rows[0].id, 2);
    let s = on("device_ledger", &facts(&[(Kind::Devices, vec![fresh])]));
    assert_eq!(s.verdict, Verdict::Yes);
}

#[test]
fn remote_maintenance_must_be_confirmed_per_device() {
    let s = on(
        "remote_maintenance",
        &facts(&[(
            Kind::Devices,
            vec![
                device(true, "有", true, None),
                device(true, "無", false, None),
            ],
        )]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
    assert!(s.reasons[0].contains("有 1台"));
    let s = on(
        "remote_maintenance",
        &facts(&[(
            Kind::Devices,
            vec![
                device(true, "未確認", false, None),
                device(true, "有", false, None),
            ],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "1台のリモートメンテナンスの有無が未確認です",
            "リモートメンテナンス「有」の1台に確認日がありません"
        ]
    );
}

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

fn account(
    status: &str,
    end: Option<&str>,
    reviewed: Option<&str>,
    admin: Option<&str>,
    mfa: Option<&str>,
) -> Row {
    let mut r = row(&[("user_id", "u"), ("status", status)]);
    for (k, v) in [
        ("end_date", end),
        ("reviewed_on", reviewed),
        ("admin", admin),
        ("two_factor", mfa),
    ] {
        if let Some(v) = v {
            r.insert(k.into(), v.into());
        }
    }
    r
}

#[test]
fn access_rights_need_a_yearly_review_and_the_admin_flag() {
    let ok = account("使用可", None, Some("2025-04-01"), Some("いいえ"), None);
    let admin = account("使用可", None, Some("2025-04-01"), Some("はい"), None);
    let s = on(
        "access_rights",
        &facts(&[(Kind::Accounts, vec![ok.clone(), admin])]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
    assert!(s.reasons[0].contains("管理者権限は1名"));
    let stale = account("使用可", None, Some("2024-05-01"), Some("いいえ"), None);
    let no_flag = account("使用可", None, Some("2025-04-01"), None, None);
    let gone = account("削除", None, None, None, None);
    let s = on(
        "access_rights",
        &facts(&[(Kind::Accounts, vec![ok, stale, no_flag, gone])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "使用可の利用者のうち1名は、1年以内に権限が見直された記録がありません",
            "1名の管理者権限の有無が未記入です（令和7年度版は管理者権限の管理を求めています）",
        ]
    );
}

#[test]
fn retired_accounts_must_not_stay_usable() {
    let s = on(
        "unused_accounts",
        &facts(&[(
            Kind::Accounts,
            vec![
                account("使用可", Some("2025-03-31"), None, None, None),
                account("使用可", Some("2025-05-31"), None, None, None),
                account("無効", Some("2025-03-31"), None, None, None),
                account("使用可", Some("2026-03-31"), None, None, None),
            ],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        ["退職日（利用終了日）を過ぎた利用者のうち2名が使用可のままです"]
    );
    assert_eq!(s.rows.len(), 2);
    let s = on(
        "unused_accounts",
        &facts(&[(
            Kind::Accounts,
            vec![account("無効", Some("2025-03-31"), None, None, None)],
        )]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
}

#[test]
fn patches_follow_support_end_dates() {
    let s = on(
        "patches",
        &facts(&[(
            Kind::Devices,
            vec![
                device(true, "無", false, Some("2025-10-14")),
                device(true, "無", false, Some("2030-01-01")),
            ],
        )]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
    let s = on(
        "patches",
        &facts(&[(
            Kind::Devices,
            vec![device(true, "無", false, Some("2025-05-31"))],
        )]),
    );
    assert_eq!(
        (s.verdict, s.reasons[0].as_str()),
        (Verdict::No, "1台のサポート（保守）期限が過ぎています")
    );
    let s = on(
        "patches",
        &facts(&[(Kind::Devices, vec![device(true, "無", false, None)])]),
    );
    assert_eq!(s.verdict, Verdict::Unknown);
    assert!(s.reasons[0].contains("1台中1台のサポート終了日が未記入"));
}

/// 2(7) reads what Mamori found too: a support end from the lifecycle data, newer versions, the last
/// update installed and the virus definitions.
#[test]
fn patches_from_found_support_ends_updates_and_definitions() {
    let pc = |pairs: &[(&str, &str)]| {
        let mut r = row(&[("device_kind", "端末PC"), ("os", "Windows 11 Pro")]);
        r.extend(row(pairs));
        r
    };
    let s = on(
        "patches",
        &facts(&[(
            Kind::Devices,
            vec![pc(&[
                ("lifecycle_end", "2027-11-10"),
                ("updates", "Debian 12.8 → 12.15"),
            ])],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert!(
        s.reasons[0].contains("1台に適用されていない更新があります"),
        "{:?}",
        s.reasons
    );
    let s = on(
        "patches",
        &facts(&[(
            Kind::Devices,
            vec![pc(&[
                ("lifecycle_end", "2027-11-10"),
                ("patched_on", "2025-01-10"),
            ])],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No, "no update for months");
    let s = on(
        "patches",
        &facts(&[(
            Kind::Devices,
            vec![pc(&[
                ("lifecycle_end", "2025-10-14"),
                ("patched_on", "2025-05-20"),
                ("av_updated_on", "2025-05-31"),
            ])],
        )]),
    );
    assert_eq!(s.verdict, Verdict::Yes, "{:?}", s.reasons);
    assert!(
        s.reasons[0].contains("うち1台は180日以内に終了"),
        "{:?}",
        s.reasons
    );
    let s = on(
        "patches",
        &facts(&[(Kind::Devices, vec![pc(&[("lifecycle_end", "1900-01-01")])])]),
    );
    assert_eq!(s.verdict, Verdict::No, "ended on a day nobody recorded");
}

/// 2(9): the baseline's flags on inventoried machines; machines without an inventory cannot be judged.
#[test]
fn unneeded_services_from_the_baseline_flags() {
    let pc = |flags: &str, inventoried: bool| {
        let mut r = row(&[("device_kind", "端末PC")]);
        if !flags.is_empty() {
            r.insert("service_flags".into(), flags.into());
        }
        if inventoried {
            r.insert("inventoried_on".into(), "2025-05-30".into());
        }
        r
    };
    let s = on(
        "unneeded_services",
        &facts(&[(
            Kind::Devices,
            vec![
                pc(
                    "禁止: ソフトウェア Steam 2.1（ゲーム、Mamori の既定）",
                    true,
                ),
                pc("", true),
            ],
        )]),
    );
    assert_eq!((s.verdict, s.rows.len()), (Verdict::No, 1));
    let s = on(
        "unneeded_services",
        &facts(&[(
            Kind::Devices,
            vec![pc("未登録のリモート接続: AnyDesk", true)],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    let s = on(
        "unneeded_services",
        &facts(&[(
            Kind::Devices,
            vec![pc("要確認: サービス LanmanServer", true)],
        )]),
    );
    assert_eq!(s.verdict, Verdict::Unknown);
    let s = on(
        "unneeded_services",
        &facts(&[(Kind::Devices, vec![pc("", true), pc("", false)])]),
    );
    assert_eq!(s.verdict, Verdict::Unknown);
    assert!(
        s.reasons[0].contains("2台中1台はエージェントの一覧がなく"),
        "{:?}",
        s.reasons
    );
    let s = on(
        "unneeded_services",
        &facts(&[(Kind::Devices, vec![pc("", true), pc("", true)])]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
    assert_eq!(
        s.reasons,
        ["エージェントで確認した2台に、基準で禁止したサービス・ソフトはありません"]
    );
}

/// 2(2): a device recorded without remote maintenance on which the agent found a remote tool.
#[test]
fn remote_tools_found_on_a_device_recorded_without_remote_maintenance() {
    let mut d = device(true, "無", false, None);
    d.insert(
        "remote_detected".into(),
        "TeamViewer（TeamViewer 15.49.3）".into(),
    );
    let s = on(
        "remote_maintenance",
        &facts(&[(Kind::Devices, vec![d, device(true, "無", false, None)])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert!(
        s.reasons[0].contains("リモートメンテナンス「無」の1台で"),
        "{:?}",
        s.reasons
    );
    assert_eq!(s.rows.len(), 1);
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

#[test]
fn backups_need_an_offline_copy_and_a_recent_restore_test() {
    let good = row(&[
        ("system", "電子カルテ"),
        ("offline", "はい"),
        ("restore_tested_on", "2025-02-01"),
        ("restore_procedure", "手順書v2"),
    ]);
    assert_eq!(
        on("backup", &facts(&[(Kind::Backups, vec![good])])).verdict,
        Verdict::Yes
    );
    let old = row(&[
        ("system", "電子カルテ"),
        ("offline", "いいえ"),
        ("restore_tested_on", "2024-01-10"),
        ("restore_procedure", "手順書"),
    ]);
    let s = on("backup", &facts(&[(Kind::Backups, vec![old])]));
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "オフライン（またはネットワークから書き換えられない形）で保管しているバックアップがありません",
            "1件のバックアップに1年以内の復旧テストの記録がありません",
        ]
    );
}

fn log_list_row() -> Row {
    row(&[
        ("target", "電子カルテ"),
        ("log_kind", "操作ログ"),
        ("reviewer", "事務長"),
        ("frequency", "月1回"),
    ])
}

fn review(on: &str, findings: &str, comment: &str) -> Row {
    let mut r = row(&[
        ("reviewed_on", on),
        ("reviewer", "事務長"),
        ("target", "電子カルテ 操作ログ"),
        ("findings", findings),
    ]);
    if !comment.is_empty() {
        r.insert("comment".into(), comment.into());
    }
    r
}

#[test]
fn access_logs_need_a_log_list_and_recent_reviews() {
    // はい: every log has a reviewer and a frequency, and someone looked within the year.
    let s = on(
        "access_log",
        &facts(&[
            (Kind::Loglist, vec![log_list_row()]),
            (
                Kind::LogReviews,
                vec![
                    review("2024-03-01", "異常なし", ""),
                    review(
                        "2025-05-10",
                        "異常あり",
                        "退職者IDのログインを確認、無効化済み",
                    ),
                ],
            ),
        ]),
    );
    assert_eq!(s.verdict, Verdict::Yes);
    assert_eq!(
        s.reasons,
        ["ログリストの1行すべてに確認者と確認頻度があり、最後のログ確認は令和7年5月10日です"]
    );
    // いいえ: a log without reviewer, and no review on record at all.
    let s = on(
        "access_log",
        &facts(&[(
            Kind::Loglist,
            vec![row(&[("target", "サーバ"), ("log_kind", "ログオン")])],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "ログリストの1行に確認者または確認頻度がありません",
            "ログを確認した記録がありません（ログ確認記録に、確認日・確認者・結果を記録してください）",
        ]
    );
    // いいえ: the last review is over a year old, and a finding was left without a comment.
    let s = on(
        "access_log",
        &facts(&[
            (Kind::Loglist, vec![log_list_row()]),
            (
                Kind::LogReviews,
                vec![
                    review("2024-01-15", "異常あり", ""),
                    review("2023-12-01", "異常なし", ""),
                ],
            ),
        ]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        [
            "ログの確認記録が1年以上ありません（最後の確認：令和6年1月15日）",
            "「異常あり」のログ確認記録1件に、コメント・対応が記入されていません",
        ]
    );
    assert_eq!(s.rows[0].kind, "logreviews");
    assert_eq!(s.rows[0].id, 1, "the link goes to the last review");
    // 判断材料不足: reviews alone, without a log list.
    let s = on(
        "access_log",
        &facts(&[(Kind::LogReviews, vec![review("2025-05-10", "異常なし", "")])]),
    );
    assert_eq!(s.verdict, Verdict::Unknown);
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

#[test]
fn two_factor_from_the_user_ledger() {
    let s = on(
        "two_factor",
        &facts(&[(
            Kind::Accounts,
            vec![
                account("使用可", None, None, None, Some("有")),
                account("使用可", None, None, None, Some("無")),
                account("無効", None, None, None, None),
            ],
        )]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert_eq!(
        s.reasons,
        ["使用可の利用者のうち1名は二要素認証が「有」になっていません"]
    );
}

mod reconciliation {
    use super::*;
    use mamori_core::{Answer, AnswerSet, Choice};
    use mamori_evidence::reconcile::{VendorForm, reconcile};

    fn yes_no(form: &mamori_core::Form, answers: &[(&str, Choice)]) -> AnswerSet {
        AnswerSet::new(answers.iter().flat_map(|(topic, choice)| {
            form.rows()
                .filter(|(i, _)| i.topic == *topic)
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
                vendor_id: 1,
                form: vendor_form,
                answers: &a,
            },
            VendorForm {
                vendor_id: 2,
                form: vendor_form,
                answers: &b,
            },
        ];
        let found = reconcile(facility_form, &facility, &vendors, &f);
        let messages: Vec<(&str, &str)> =
            found.iter().map(|c| (c.kind, c.message.as_str())).collect();
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
            vendor_id: 1,
            form: vendor_form,
            answers: &a,
        }];
        assert!(reconcile(facility_form, &facility, &vendors, &f).is_empty());
    }
}
