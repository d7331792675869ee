//! The BCP 確認表's own rules (訓練記録, 復旧優先順位) and 3(3) read from the 確認表's answers.

use mamori_core::bcp::BcpEvidence;
use mamori_evidence::{BcpState, Verdict, suggest_bcp};
use mamori_ledger::Kind;

use crate::helpers::*;

#[test]
fn exercises_within_the_year_count() {
    let none = suggest_bcp(BcpEvidence::Exercises, &facts(&[]));
    assert_eq!(none.verdict, Verdict::No);
    assert!(none.reasons[0].contains("訓練記録がありません"));
    let old = facts(&[(
        Kind::Exercises,
        vec![row(&[
            ("held_on", "2024-05-31"),
            ("exercise_kind", "BCP訓練"),
        ])],
    )]);
    assert_eq!(
        suggest_bcp(BcpEvidence::Exercises, &old).verdict,
        Verdict::No
    );
    let recent = facts(&[(
        Kind::Exercises,
        vec![
            row(&[("held_on", "2024-05-31")]),
            row(&[("held_on", "2025-02-10"), ("exercise_kind", "復旧テスト")]),
        ],
    )]);
    let s = suggest_bcp(BcpEvidence::Exercises, &recent);
    assert_eq!(s.verdict, Verdict::Yes);
    assert!(s.reasons[0].contains("2025-02-10"));
}

#[test]
fn critical_systems_need_a_first_priority() {
    assert_eq!(
        suggest_bcp(BcpEvidence::CriticalSystems, &facts(&[])).verdict,
        Verdict::Unknown
    );
    let unmarked = facts(&[(Kind::Devices, vec![row(&[("computer_name", "EMR-SV")])])]);
    assert_eq!(
        suggest_bcp(BcpEvidence::CriticalSystems, &unmarked).verdict,
        Verdict::No
    );
    let marked = facts(&[(
        Kind::Devices,
        vec![
            row(&[("computer_name", "EMR-SV"), ("recovery_priority", "1")]),
            row(&[("computer_name", "PC-01"), ("recovery_priority", "3")]),
        ],
    )]);
    let s = suggest_bcp(BcpEvidence::CriticalSystems, &marked);
    assert_eq!(s.verdict, Verdict::Yes);
    assert_eq!(
        s.reasons,
        ["機器台帳の2台に復旧優先順位があり、最優先は1台です"]
    );
    // The same rules as the checklist's items: the contact list.
    assert_eq!(
        suggest_bcp(BcpEvidence::ContactChart, &facts(&[])).verdict,
        Verdict::Unknown
    );
}

#[test]
fn item_3_3_follows_the_bcp_table() {
    let mut f = facts(&[]);
    assert_eq!(on("bcp", &f).verdict, Verdict::Unknown);
    f.bcp = Some(BcpState {
        total: 14,
        yes: 13,
        no: vec!["1-1-2 ネットワーク構成図・システム構成図が整備できているか。".into()],
    });
    let s = on("bcp", &f);
    assert_eq!(s.verdict, Verdict::No);
    assert!(s.reasons[0].contains("BCP確認表で「いいえ」：1-1-2"));
    f.bcp = Some(BcpState {
        total: 14,
        yes: 10,
        no: vec![],
    });
    assert_eq!(on("bcp", &f).verdict, Verdict::Unknown);
    f.bcp = Some(BcpState {
        total: 14,
        yes: 14,
        no: vec![],
    });
    let s = on("bcp", &f);
    assert_eq!(s.verdict, Verdict::Yes);
    assert_eq!(
        s.reasons,
        [
            "BCP確認表の文言を確認できた全14項目が「はい」です（文言が未確認の項目の回答は判断に使っていません）"
        ]
    );
}

#[test]
fn the_bcp_backups_need_generations_too() {
    let backup = |generations: &str| {
        facts(&[(
            Kind::Backups,
            vec![row(&[
                ("system", "電子カルテ"),
                ("offline", "はい"),
                ("restore_tested_on", "2025-01-10"),
                ("restore_procedure", "手順書"),
                ("generations", generations),
            ])],
        )])
    };
    let one = suggest_bcp(BcpEvidence::Backup, &backup("1"));
    assert_eq!(one.verdict, Verdict::No);
    assert_eq!(
        one.reasons,
        ["1件のバックアップに2世代以上の世代管理の記録がありません"]
    );
    assert_eq!(one.rows.len(), 1);
    assert_eq!(
        suggest_bcp(BcpEvidence::Backup, &backup("7世代")).verdict,
        Verdict::Yes
    );
    // 3(2) itself does not ask for generations.
    assert_eq!(on("backup", &backup("1")).verdict, Verdict::Yes);
}

#[test]
fn a_restore_test_in_the_exercise_records_counts_for_3_2() {
    let backup = row(&[
        ("system", "電子カルテ"),
        ("offline", "はい"),
        ("restore_procedure", "手順書"),
    ]);
    let without = facts(&[(Kind::Backups, vec![backup.clone()])]);
    assert_eq!(on("backup", &without).verdict, Verdict::No);
    let other_system = facts(&[
        (Kind::Backups, vec![backup.clone()]),
        (
            Kind::Exercises,
            vec![row(&[
                ("held_on", "2025-02-01"),
                ("exercise_kind", "復旧テスト"),
                ("system", "レセコン"),
            ])],
        ),
    ]);
    assert_eq!(on("backup", &other_system).verdict, Verdict::No);
    let tested = facts(&[
        (Kind::Backups, vec![backup]),
        (
            Kind::Exercises,
            vec![row(&[
                ("held_on", "2025-02-01"),
                ("exercise_kind", "復旧テスト"),
                ("system", "電子カルテ"),
            ])],
        ),
    ]);
    assert_eq!(on("backup", &tested).verdict, Verdict::Yes);
}
