//! The 利用者台帳: access rights reviewed, retired accounts, two-factor sign-in.

use mamori_evidence::Verdict;
use mamori_ledger::Kind;

use crate::helpers::*;

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
fn two_factor_is_judged_per_system_not_per_user() {
    // Users without 2FA in the user ledger do not decide it: the systems do.
    let users = vec![
        account("使用可", None, None, None, Some("有")),
        account("使用可", None, None, None, Some("無")),
    ];
    let s = on("two_factor", &facts(&[(Kind::Accounts, users.clone())]));
    assert_eq!(s.verdict, Verdict::Unknown);
    assert!(s.reasons[0].contains("事業者・契約"), "{:?}", s.reasons);
    let ehr = row(&[
        ("name", "ひかりシステム"),
        ("systems", "電子カルテ"),
        ("two_factor_system", "導入済み"),
    ]);
    let receipt = row(&[
        ("name", "みどり計算センター"),
        ("systems", "レセコン"),
        ("two_factor_system", "次回更新時に導入"),
        ("renewal_on", "2027-10-01"),
        ("two_factor_fallback", "端末をIPアドレスで制限"),
    ]);
    let s = on(
        "two_factor",
        &facts(&[
            (Kind::Accounts, users),
            (Kind::Vendors, vec![ehr.clone(), receipt.clone()]),
        ]),
    );
    assert_eq!(s.verdict, Verdict::Yes, "{:?}", s.reasons);
    assert!(s.reasons[0].contains("レセコン"));
    let pacs = row(&[
        ("name", "画像システム社"),
        ("systems", "PACS"),
        ("two_factor_system", "未定"),
    ]);
    let no_date = row(&[
        ("name", "薬歴社"),
        ("systems", "オーダリング"),
        ("two_factor_system", "次回更新時に導入"),
    ]);
    let s = on(
        "two_factor",
        &facts(&[(Kind::Vendors, vec![ehr, receipt, pacs, no_date])]),
    );
    assert_eq!(s.verdict, Verdict::No);
    assert!(s.reasons[0].contains("PACS") && s.reasons[0].contains("令和9年4月1日"));
    assert!(
        s.reasons[1].contains("オーダリング") && s.reasons[1].contains("次回システム更新予定日")
    );
}
