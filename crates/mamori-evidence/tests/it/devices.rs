//! The 機器台帳: software versions, agents that stopped reporting, remote maintenance, support ends, services.

use mamori_evidence::Verdict;
use mamori_ledger::Kind;

use crate::helpers::*;

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

/// 保守委託機関編 (guideline 第7.0版, in force from 2026-06-29): a vendor's devices are deemed compliant
/// only where its responsibility for security updates is written in the contract, terms or SLA.
#[test]
fn deemed_compliance_needs_the_written_duty() {
    let ended = || {
        let mut d = device(true, "無", false, Some("2026-01-31"));
        d.insert("vendor".into(), "ひかりシステム".into());
        d
    };
    let vendor = |duty: &str| {
        let mut v = row(&[("name", "ひかりシステム")]);
        if !duty.is_empty() {
            v.insert("security_update_duty".into(), duty.into());
        }
        v
    };
    let at = |day: (i32, u32, u32), duty: &str| {
        let mut f = facts(&[
            (Kind::Devices, vec![ended()]),
            (Kind::Vendors, vec![vendor(duty)]),
        ]);
        f.today = chrono::NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
        on("patches", &f)
    };
    // Written in the contract, guideline 第7.0版 in force: みなし遵守.
    let s = at((2026, 12, 7), "契約書");
    assert_eq!(s.verdict, Verdict::Yes, "{:?}", s.reasons);
    assert!(
        s.reasons
            .iter()
            .any(|r| r.contains("みなし遵守") && r.contains("ひかりシステム（契約書に記載、1台）"))
    );
    // Not written, or written nowhere: no relief, even when the vendor does the updates.
    for duty in ["", "記載なし"] {
        let s = at((2026, 12, 7), duty);
        assert_eq!(s.verdict, Verdict::No, "{duty}: {:?}", s.reasons);
    }
    // Before 第7.0版 was in force there was no such rule.
    assert_eq!(at((2026, 6, 1), "契約書").verdict, Verdict::No);
}
