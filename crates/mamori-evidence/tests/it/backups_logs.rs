//! Backups (offline copy, restore test) and access logs (log list, reviews).

use mamori_evidence::Verdict;
use mamori_ledger::Kind;

use crate::helpers::*;

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
