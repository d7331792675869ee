//! The Windows collectors' parsers on fixtures (registry exports and the PowerShell report written for
//! these tests): programs, OS, services, users, Defender, updates, RDP and remote tools.

use mamori_agent::windows::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/windows/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// As `reg export` writes it: UTF-16LE with a byte-order mark and CRLF line ends.
fn as_reg_export(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.replace('\n', "\r\n").encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

fn keys(name: &str) -> Vec<RegKey> {
    parse_reg(&decode_reg_file(&as_reg_export(&fixture(name))))
}

fn report() -> PsReport {
    serde_json::from_str(&fixture("powershell.json")).unwrap()
}

#[test]
fn registry_export_values() {
    let k = keys("currentversion.reg");
    let cv = &k[0];
    assert_eq!(
        cv.path,
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
    );
    assert_eq!(cv.str("SystemRoot"), Some(r"C:\WINDOWS"));
    assert_eq!(cv.dword("UBR"), Some(3007));
    assert_eq!(
        cv.values["InstallTime"],
        RegValue::Qword(u64::from_le_bytes([
            0x2e, 0x6c, 0x52, 0xb1, 0xa4, 0x6c, 0xd9, 0x01
        ]))
    );
    // A hex value continued over lines.
    let RegValue::Binary(b) = &cv.values["DigitalProductId"] else {
        panic!("binary")
    };
    assert_eq!(b.len(), 32);
    assert_eq!(k[1].name(), "Winlogon");
    let u = keys("uninstall-32.reg");
    assert_eq!(
        u[0].str("InstallLocation"),
        Some(r"C:\Program Files (x86)\")
    );
    let orca = keys("uninstall-64.reg");
    let orca = orca.iter().find(|k| k.name() == "ORCA").unwrap();
    assert_eq!(orca.str("Comments"), Some(r#"インストール先 "C:\ORCA\""#));
}

#[test]
fn programs_from_the_uninstall_keys() {
    let mut all = programs_from_uninstall(&keys("uninstall-64.reg"), "uninstall-64");
    all.extend(programs_from_uninstall(
        &keys("uninstall-32.reg"),
        "uninstall-32",
    ));
    all.extend(programs_from_uninstall(
        &keys("uninstall-user.reg"),
        "uninstall-user",
    ));
    let shown: Vec<String> = all
        .iter()
        .map(|p| format!("{} | {} | {}", p.name, p.version, p.source))
        .collect();
    assert_eq!(
        shown,
        [
            "AnyDesk | ad 8.0.6 | uninstall-64",
            "Google Chrome | 120.0.6099.130 | uninstall-64",
            "Java 8 Update 381 (64-bit) | 8.0.3810.9 | uninstall-64",
            "Microsoft Office Professional Plus 2016 | 16.0.4266.1001 | uninstall-64",
            "日医標準レセプトソフト クライアント | 5.2.0 | uninstall-64",
            "Adobe Acrobat Reader DC - Japanese | 23.008.20470 | uninstall-32",
            "Mozilla Firefox ESR (x86 ja) | 115.6.0 | uninstall-32",
            "TeamViewer | 15.49.3 | uninstall-user",
        ],
        "system components, updates of other entries and nameless keys left out"
    );
}

#[test]
fn os_edition_and_build() {
    let (name, edition, version, build) =
        os_from_current_version(&keys("currentversion.reg")).unwrap();
    assert_eq!(
        name, "Windows 11 Pro",
        "build 22631 is Windows 11 whatever ProductName says"
    );
    assert_eq!(
        (edition.as_str(), version.as_str(), build.as_str()),
        ("Professional", "23H2", "10.0.22631.3007")
    );
    assert_eq!(os_from_current_version(&keys("services.reg")), None);
}

#[test]
fn services_with_start_type_and_state() {
    let s = services_from_reg(&keys("services.reg"), &report().running.0);
    let shown: Vec<String> = s
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s.name,
                s.start,
                if s.running { "動作中" } else { "停止" }
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "AnyDesk 自動 動作中",
            "BITS 自動（遅延開始） 停止",
            "Dnscache 自動 動作中",
            "LanmanServer 自動 動作中",
            "RemoteRegistry 無効 停止",
            "TermService 手動 動作中",
        ],
        "drivers and subkeys (Parameters) are not services"
    );
}

#[test]
fn users_admins_updates_and_defender() {
    let r = report();
    let users: Vec<(String, u32, Option<bool>, Option<String>)> = accounts_from_ps(&r)
        .into_iter()
        .map(|a| (a.name, a.uid, a.enabled, a.last_login))
        .collect();
    assert_eq!(
        users,
        [
            ("Administrator".into(), 500, Some(false), None),
            (
                "uketsuke".into(),
                1001,
                Some(true),
                Some("2024-01-15T00:12:34Z".into())
            ),
            (
                "taishoku01".into(),
                1002,
                Some(true),
                Some("2023-01-01T00:00:00Z".into())
            ),
        ]
    );
    // One member: ConvertTo-Json wrote an object, not an array.
    assert_eq!(r.admins.0.len(), 1);
    assert_eq!(
        hotfixes_from_ps(&r),
        ["KB5034204 2024-01-15", "KB5033375 2023-12-13", "KB5032392"]
    );
    let d = defender_from_ps(&r).unwrap();
    assert_eq!(
        (
            d.antivirus_enabled,
            d.realtime_enabled,
            d.signature_updated.as_deref(),
            d.signature_version.as_str()
        ),
        (
            Some(true),
            Some(false),
            Some("2024-01-14T21:00:00Z"),
            "1.403.1230.0"
        )
    );
    // The registry says the same when PowerShell could not.
    let d = defender_from_reg(&keys("defender.reg")).unwrap();
    assert_eq!(
        (
            d.realtime_enabled,
            d.signature_updated.as_deref(),
            d.signature_version.as_str()
        ),
        (Some(false), Some("2024-01-10T16:05:30Z"), "1.403.1230.0")
    );
}

#[test]
fn the_whole_inventory_with_rdp_and_remote_tools() {
    let exports = vec![
        ("uninstall-64", keys("uninstall-64.reg")),
        ("uninstall-32", keys("uninstall-32.reg")),
        ("uninstall-user", keys("uninstall-user.reg")),
        ("os", keys("currentversion.reg")),
        ("services", keys("services.reg")),
        ("rdp", keys("terminal-server.reg")),
        ("defender", keys("defender.reg")),
        ("machine", keys("cryptography.reg")),
    ];
    let inv = inventory_from(&exports, &report(), "RECEPT-PC01", Vec::new());
    assert_eq!(inv.platform, "windows");
    assert_eq!(inv.machine_id, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    assert_eq!(inv.serial, "5CG3281XYZ");
    assert_eq!(
        (inv.os.as_str(), inv.os_build.as_str()),
        ("Windows 11 Pro", "10.0.22631.3007")
    );
    assert_eq!(inv.rdp_enabled, Some(true));
    assert_eq!(inv.packages.len(), 8);
    assert_eq!(
        inv.remote_access,
        [
            "AnyDesk（AnyDesk ad 8.0.6）",
            "TeamViewer（TeamViewer 15.49.3）",
            "リモートデスクトップ（接続を許可、待ち受け中）",
        ]
    );
    assert_eq!(inv.interfaces[0].mac, "00:1b:44:11:3a:b7");
    assert_eq!(
        inv.interfaces[0].ips,
        ["192.168.1.21"],
        "link-local left out"
    );
    assert_eq!(inv.admins, [r"Administrators: RECEPT-PC01\uketsuke"]);
    assert_eq!(inv.antivirus, ["Windows Defender"]);
    assert!(
        inv.listeners
            .iter()
            .any(|l| l.protocol == "udp" && l.port == 3389)
    );
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    // RDP refused: not a remote tool.
    let mut no_rdp = exports.clone();
    no_rdp[5].1[0]
        .values
        .insert("fDenyTSConnections".into(), RegValue::Dword(1));
    let inv = inventory_from(&no_rdp, &report(), "RECEPT-PC01", Vec::new());
    assert_eq!(inv.rdp_enabled, Some(false));
    assert_eq!(inv.remote_access.len(), 2);
    // Nothing readable: problems, not a crash.
    let inv = inventory_from(&[], &PsReport::default(), "X", Vec::new());
    assert!(inv.problems.iter().any(|p| p.contains("CurrentVersion")));
}

#[test]
fn powershell_that_does_not_run_and_reg_that_fails_say_why() {
    // Wine's powershell.exe prints nothing; a real one writes the script's JSON (with a BOM at times).
    let e = read_powershell(b"").unwrap_err();
    assert!(e.contains("PowerShell が動きませんでした"), "{e}");
    assert!(e.contains("Windows PowerShell 5.1"), "{e}");
    assert!(read_powershell(b"  \r\n").is_err());
    let e = read_powershell("用語が認識されません".as_bytes()).unwrap_err();
    assert!(
        e.contains("想定した JSON ではありません") && e.contains("用語が認識されません"),
        "{e}"
    );
    let mut with_bom = "\u{feff}".as_bytes().to_vec();
    with_bom.extend(fixture("powershell.json").as_bytes());
    let r = read_powershell(&with_bom).unwrap();
    assert_eq!(accounts_from_ps(&r), accounts_from_ps(&report()));
    let key = "HKLM\\SOFTWARE\\Microsoft\\Windows Defender";
    assert_eq!(
        reg_failure(key, Some(1), ""),
        format!(
            "reg export {key} が失敗しました（終了コード 1。キーがないか、読む権限がありません）"
        )
    );
    assert!(
        reg_failure(key, Some(1), "エラー: アクセスが拒否されました。\r\n")
            .ends_with("アクセスが拒否されました。")
    );
}

#[test]
fn dates_as_powershell_writes_them() {
    use serde_json::json;
    assert_eq!(
        ps_date(&json!("/Date(1705276800000)/")).as_deref(),
        Some("2024-01-15T00:00:00Z")
    );
    assert_eq!(
        ps_date(&json!("/Date(1705276800000+0900)/")).as_deref(),
        Some("2024-01-15T00:00:00Z")
    );
    assert_eq!(
        ps_date(&json!("2024-01-15T09:30:00.1234567Z")).as_deref(),
        Some("2024-01-15T09:30:00Z")
    );
    assert_eq!(
        ps_date(&json!({"value": "/Date(0)/"})).as_deref(),
        Some("1970-01-01T00:00:00Z")
    );
    assert_eq!(ps_date(&json!("昨日")), None);
    assert_eq!(ps_date(&json!(null)), None);
    assert_eq!(filetime(0), None);
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;
    proptest! {
        #[test]
        fn any_registry_text(s in "\\PC{0,400}") {
            let keys = parse_reg(&s);
            let _ = programs_from_uninstall(&keys, "x");
            let _ = os_from_current_version(&keys);
            let _ = services_from_reg(&keys, &[]);
            let _ = defender_from_reg(&keys);
        }
        #[test]
        fn any_registry_lines(lines in proptest::collection::vec(
            prop_oneof![
                Just("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\A]".to_string()),
                Just("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]".to_string()),
                "\"[A-Za-z]{1,8}\"=dword:[0-9a-f]{0,10}",
                "\"[A-Za-z]{1,8}\"=hex(b?[27]?):[0-9a-f,]{0,30}\\\\?",
                "\"[A-Za-z]{1,8}\"=\"[^\"]{0,10}\"",
                "\"CurrentBuild\"=\"[0-9]{0,6}\"",
            ], 0..30)) {
            let keys = parse_reg(&lines.join("\n"));
            let _ = programs_from_uninstall(&keys, "x");
            let _ = os_from_current_version(&keys);
        }
        #[test]
        fn any_bytes_as_a_reg_file(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_reg(&decode_reg_file(&b));
            let _ = serde_json::from_slice::<PsReport>(&b);
        }
    }
}
