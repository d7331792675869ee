//! Support ends: the data file, products identified from devices, status on a day, the baseline.

use chrono::NaiveDate;
use mamori_ledger::Row;
use mamori_lifecycle::baseline::{self, Decision};
use mamori_lifecycle::{FacilityEntry, Found, Status, assess, data, identify, older, status};

pub(crate) fn row(pairs: &[(&str, &str)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn cycles(r: &Row) -> Vec<String> {
    identify(r, &[])
        .into_iter()
        .map(|f| match f {
            Found::Known { product, cycle, .. } => format!("{product} {cycle}"),
            Found::Facility { entry, .. } => format!("facility {}", entry.product),
        })
        .collect()
}

#[test]
fn the_data_names_its_source_and_licence() {
    let d = data();
    assert!(d.source.contains("endoflife.date"));
    assert!(d.license.contains("MIT"));
    for id in [
        "windows",
        "windows-server",
        "office",
        "debian",
        "ubuntu",
        "rhel",
        "chrome",
        "firefox",
        "oracle-jdk",
        "postgresql",
        "mssqlserver",
        "adobe-acrobat-reader",
    ] {
        assert!(d.products.contains_key(id), "{id}");
    }
    assert!(
        !d.products["adobe-acrobat-reader"].verified,
        "our own entry is marked unverified"
    );
}

#[test]
fn windows_from_the_agent_and_from_hand_typed_rows() {
    // The agent: build numbers.
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows 11 Pro"),
            ("os_version", "10.0.22631.3007")
        ])),
        ["windows 11-23h2-w"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows 11 Enterprise"),
            ("os_version", "10.0.22631.3007")
        ])),
        ["windows 11-23h2-e"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows 10 Pro"),
            ("os_version", "10.0.19045.4046")
        ])),
        ["windows 10-22h2"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows 10 Enterprise LTSC 2021"),
            ("os_version", "10.0.19044.3930")
        ])),
        ["windows 10-21h2-e-lts"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows Server 2019 Standard"),
            ("os_version", "10.0.17763.5329")
        ])),
        ["windows-server 2019"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Windows Server Datacenter"),
            ("os_version", "10.0.20348.2227")
        ])),
        ["windows-server 2022"]
    );
    // By hand.
    assert_eq!(
        cycles(&row(&[("os", "Windows 10"), ("os_version", "22H2")])),
        ["windows 10-22h2"]
    );
    assert_eq!(
        cycles(&row(&[("os", "Windows 11 Pro 23H2")])),
        ["windows 11-23h2-w"]
    );
    assert_eq!(
        cycles(&row(&[("os", "Windows 7 Professional")])),
        ["windows 7-sp1"]
    );
    assert_eq!(
        cycles(&row(&[("os", "Windows Server 2012 R2")])),
        ["windows-server 2012-r2"]
    );
    assert!(
        cycles(&row(&[("os", "Windows 10")])).is_empty(),
        "no version: not guessed"
    );
}

#[test]
fn linux_releases_and_point_updates() {
    let debian = row(&[
        ("os", "Debian GNU/Linux 12 (bookworm)"),
        ("os_version", "12.8"),
        ("software", "openssl 3.0.11-1~deb12u2; nginx 1.22.1-9"),
    ]);
    assert_eq!(
        cycles(&debian),
        ["debian 12"],
        "Debian's packages are Debian's to support"
    );
    let a = assess(&debian, &[]);
    // Debian LTS comes free: its end is the end.
    assert_eq!(a.end, Some(day("2028-06-30")));
    assert_eq!(
        a.updates,
        ["Debian GNU/Linux 12 (bookworm) 12.8: 12.8 → 12.15"]
    );
    assert!(a.basis[0].contains("出典: endoflife.date"), "{:?}", a.basis);
    let ubuntu = row(&[("os", "Ubuntu 22.04.3 LTS"), ("os_version", "22.04")]);
    assert_eq!(cycles(&ubuntu), ["ubuntu 22.04"]);
    assert_eq!(assess(&ubuntu, &[]).updates.len(), 1);
    assert_eq!(
        cycles(&row(&[
            ("os", "Red Hat Enterprise Linux 9.4 (Plow)"),
            ("os_version", "9.4")
        ])),
        ["rhel 9"]
    );
    assert_eq!(
        cycles(&row(&[
            ("os", "Rocky Linux 8.10 (Green Obsidian)"),
            ("os_version", "8.10")
        ])),
        ["rocky-linux 8"]
    );
}

#[test]
fn windows_programs() {
    let pc = row(&[
        ("os", "Windows 11 Pro"),
        ("os_version", "10.0.22631.3007"),
        (
            "software",
            "Microsoft Office Professional Plus 2016 16.0.4266.1001; Google Chrome 120.0.6099.130; Mozilla Firefox ESR (x86 ja) 115.6.0; Java 8 Update 381 (64-bit) 8.0.3810.9; Adobe Acrobat Reader DC - Japanese 23.008.20470; Adobe Acrobat Reader 2020 20.005.30539; Microsoft SQL Server 2016 (64-bit) 13.2.5026.0; Microsoft SQL Server Management Studio - 19.1 19.1.56.0; Python 3.11.4 (64-bit) 3.11.4150.0; PostgreSQL 15  15.5-1; Microsoft Edge 120.0.2210.91; AnyDesk ad 8.0.6",
        ),
    ]);
    assert_eq!(
        cycles(&pc),
        [
            "windows 11-23h2-w",
            "office 2016",
            "chrome 120",
            "firefox 115",
            "oracle-jdk 8",
            "adobe-acrobat-reader dc",
            "adobe-acrobat-reader 2020",
            "mssqlserver 13.0-sp3",
            "python 3.11",
            "postgresql 15",
            "microsoft-edge stable",
        ]
    );
    let a = assess(&pc, &[]);
    // Chrome 120 ended in 2024: the earliest end.
    assert!(a.end.unwrap() < day("2024-12-31"), "{:?}", a.end);
    assert!(
        a.basis.iter().any(|b| b.contains("出典（未確認）")),
        "Acrobat's dates are ours, unverified"
    );
    assert!(
        a.updates
            .iter()
            .any(|u| u.starts_with("Mozilla Firefox ESR (x86 ja) 115.6.0: 115.6.0 → 115.")),
        "{:?}",
        a.updates
    );
    let (s, why) = status(
        &row(&[("lifecycle_end", &a.end.unwrap().to_string())]),
        day("2026-12-01"),
    );
    assert_eq!(s, Status::Ended, "{why:?}");
}

#[test]
fn facility_entries_for_medical_software_and_network_devices() {
    let orca = FacilityEntry {
        product: "日医標準レセプトソフト".into(),
        version: "5.2".into(),
        end: day("2027-03-31"),
        source: "ORCA 管理機構のお知らせ".into(),
    };
    let router = FacilityEntry {
        product: "RTX1200".into(),
        version: String::new(),
        end: day("2024-03-31"),
        source: String::new(),
    };
    // A Windows 10 ESU the facility bought: its date replaces the public one.
    let esu = FacilityEntry {
        product: "Windows 10".into(),
        version: String::new(),
        end: day("2027-10-12"),
        source: "ESU 契約".into(),
    };
    let pc = row(&[
        ("os", "Windows 10 Pro"),
        ("os_version", "10.0.19045.4046"),
        ("software", "日医標準レセプトソフト クライアント 5.2.0"),
    ]);
    let a = assess(&pc, &[orca.clone(), esu.clone()]);
    assert_eq!(a.end, Some(day("2027-03-31")));
    assert_eq!(
        a.basis,
        [
            "Windows 10 Pro 10.0.19045.4046: サポート終了 2027-10-12（施設の登録、出典: ESU 契約）",
            "日医標準レセプトソフト クライアント 5.2.0: サポート終了 2027-03-31（施設の登録、出典: ORCA 管理機構のお知らせ）",
        ]
    );
    // Another version of ORCA is not this entry.
    let other = row(&[("software", "日医標準レセプトソフト クライアント 5.1.0")]);
    assert_eq!(assess(&other, std::slice::from_ref(&orca)).end, None);
    let rt = row(&[
        ("device_kind", "ネットワーク機器"),
        ("maker", "YAMAHA"),
        ("model", "RTX1200"),
    ]);
    assert_eq!(assess(&rt, &[router]).end, Some(day("2024-03-31")));
    let e = FacilityEntry::from_row(&row(&[("product", "PACS"), ("support_end", "2026-03-31")]))
        .unwrap();
    assert_eq!(e.end, day("2026-03-31"));
    assert!(FacilityEntry::from_row(&row(&[("product", "PACS")])).is_none());
}

#[test]
fn status_on_a_day() {
    let today = day("2026-12-01");
    let s = |pairs: &[(&str, &str)]| status(&row(pairs), today).0;
    assert_eq!(s(&[("support_end", "2026-11-30")]), Status::Ended);
    assert_eq!(s(&[("lifecycle_end", "2027-05-01")]), Status::EndingSoon);
    assert_eq!(
        s(&[
            ("lifecycle_end", "2030-01-01"),
            ("support_end", "2026-01-01")
        ]),
        Status::Ended,
        "the earlier counts"
    );
    assert_eq!(s(&[("lifecycle_end", "2030-01-01")]), Status::Supported);
    assert_eq!(
        s(&[
            ("lifecycle_end", "2030-01-01"),
            ("updates", "Debian 12.8 → 12.15")
        ]),
        Status::UpdateAvailable
    );
    assert_eq!(
        s(&[
            ("lifecycle_end", "2030-01-01"),
            ("patched_on", "2026-08-01")
        ]),
        Status::UpdateAvailable
    );
    assert_eq!(
        s(&[
            ("lifecycle_end", "2030-01-01"),
            ("patched_on", "2026-11-20"),
            ("av_updated_on", "2026-11-30")
        ]),
        Status::Supported
    );
    assert_eq!(
        s(&[
            ("lifecycle_end", "2030-01-01"),
            ("av_updated_on", "2026-11-01")
        ]),
        Status::UpdateAvailable
    );
    let (st, why) = status(&row(&[("os", "ORCA サーバ")]), today);
    assert_eq!(st, Status::Unknown);
    assert!(why[0].contains("特定できません"), "{why:?}");
    let (_, why) = status(&row(&[("support_end", "2027-02-01")]), today);
    assert_eq!(why, ["サポートがあと62日で終了します（2027-02-01）"]);
}

#[test]
fn versions_compare_by_numbers() {
    assert!(older("12.8", "12.15"));
    assert!(!older("12.15", "12.8"));
    assert!(older("115.6.0", "115.38.0"));
    assert!(
        !older("3.11.4150.0", "3.11.4"),
        "as far as the shorter goes"
    );
    assert!(!older("", "1.0"));
}

#[test]
fn baseline_defaults_facility_entries_and_remote_tools() {
    let pc = row(&[
        (
            "software",
            "qBittorrent 4.6.2; Steam 2.10.91.91; 7-Zip 23.01",
        ),
        ("services", "LanmanServer; RemoteRegistry; Dnscache"),
        ("remote_detected", "AnyDesk（AnyDesk ad 8.0.6）"),
        ("remote_maintenance", "未確認"),
    ]);
    let flags = baseline::check(&pc, &baseline::rules(&[]));
    assert_eq!(
        flags,
        [
            "禁止: サービス RemoteRegistry（レジストリの遠隔操作、Mamori の既定）",
            "禁止: ソフトウェア Steam 2.10.91.91（ゲーム、Mamori の既定）",
            "禁止: ソフトウェア qBittorrent 4.6.2（P2P ファイル共有、Mamori の既定）",
            "未登録のリモート接続: AnyDesk（AnyDesk ad 8.0.6）（リモートメンテナンスとして台帳に記録されていません）",
            "要確認: サービス LanmanServer（Windows のファイル共有（使っていなければ停止）、Mamori の既定）",
        ]
    );
    // The facility allows its file server's sharing; the remote tool recorded as maintenance is fine.
    let allow = baseline::rule_from_row(&row(&[
        ("name", "LanmanServer"),
        ("target", "サービス"),
        ("decision", "許可"),
        ("reason", "電子カルテの共有フォルダ"),
    ]))
    .unwrap();
    assert_eq!(allow.decision, Decision::Allowed);
    let mut recorded = pc.clone();
    recorded.insert("remote_maintenance".into(), "有".into());
    recorded.insert("software".into(), "7-Zip 23.01".into());
    recorded.insert("services".into(), "LanmanServer".into());
    assert!(baseline::check(&recorded, &baseline::rules(&[allow])).is_empty());
    assert!(baseline::rule_from_row(&row(&[("name", "x"), ("decision", "たぶん")])).is_none());
}
