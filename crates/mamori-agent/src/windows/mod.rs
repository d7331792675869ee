//! Windows: what the registry and PowerShell say, read from their own output formats — registry exports
//! (`reg export`, 「Windows Registry Editor Version 5.00」, UTF-16LE) and one JSON document from a
//! PowerShell script ([`POWERSHELL_SCRIPT`]). The parsers here are plain functions, tested on fixtures on
//! any platform; only [`collect`] (Windows builds) runs the commands.

mod powershell;
mod registry;

pub use powershell::*;
pub use registry::*;

use crate::{Listener, Package, Service};

/// Remote-access software among the programs and services, and RDP when it accepts connections.
const REMOTE_PROGRAMS: &[(&str, &str)] = &[
    ("teamviewer", "TeamViewer"),
    ("anydesk", "AnyDesk"),
    ("rustdesk", "RustDesk"),
    ("vnc", "VNC"),
    ("chrome remote desktop", "Chrome リモート デスクトップ"),
    ("splashtop", "Splashtop"),
    ("logmein", "LogMeIn"),
    ("screenconnect", "ConnectWise ScreenConnect"),
    ("isl light", "ISL Online"),
    ("zoho assist", "Zoho Assist"),
    ("openssh server", "SSH サーバ"),
];

pub fn remote_access(
    programs: &[Package],
    services: &[Service],
    rdp: Option<bool>,
    listeners: &[Listener],
) -> Vec<String> {
    let mut out: Vec<String> = programs
        .iter()
        .filter_map(|p| {
            let lower = p.name.to_lowercase();
            REMOTE_PROGRAMS
                .iter()
                .find(|(k, _)| lower.contains(k))
                .map(|(_, label)| format!("{label}（{} {}）", p.name, p.version))
        })
        .collect();
    if rdp == Some(true) {
        let running = services
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case("TermService") && s.running);
        let listening = listeners.iter().any(|l| l.port == 3389);
        out.push(format!(
            "リモートデスクトップ（接続を許可{}）",
            if running || listening {
                "、待ち受け中"
            } else {
                ""
            }
        ));
    }
    if services
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case("sshd") && s.running)
    {
        out.push("SSH サーバ（sshd サービス動作中）".into());
    }
    out.dedup();
    out
}

/// The script the Windows collector runs (Windows PowerShell 5.1 and PowerShell 7): one JSON object,
/// dates as ISO 8601 text, each part on its own so that one failing part leaves the rest.
pub const POWERSHELL_SCRIPT: &str = r#"$ErrorActionPreference = 'SilentlyContinue'
function D($d) { if ($d) { ([datetime]$d).ToUniversalTime().ToString('o') } else { $null } }
$r = [ordered]@{}
$r.users = @(Get-LocalUser | ForEach-Object { [ordered]@{ Name = $_.Name; Enabled = $_.Enabled; LastLogon = (D $_.LastLogon); SID = $_.SID.Value } })
$r.admins = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { [ordered]@{ Name = $_.Name; ObjectClass = "$($_.ObjectClass)" } })
$r.running = @(Get-Service | Where-Object { $_.Status -eq 'Running' } | ForEach-Object { $_.Name })
$r.hotfixes = @(Get-HotFix | ForEach-Object { [ordered]@{ HotFixID = $_.HotFixID; InstalledOn = (D $_.InstalledOn) } })
$m = Get-MpComputerStatus
if ($m) { $r.defender = [ordered]@{ AntivirusEnabled = $m.AntivirusEnabled; RealTimeProtectionEnabled = $m.RealTimeProtectionEnabled; AntivirusSignatureLastUpdated = (D $m.AntivirusSignatureLastUpdated); AntivirusSignatureVersion = $m.AntivirusSignatureVersion } }
$r.antivirus = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntivirusProduct | ForEach-Object { $_.displayName })
$r.adapters = @(Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' | ForEach-Object { [ordered]@{ Description = $_.Description; MACAddress = $_.MACAddress; IPAddress = @($_.IPAddress) } })
$r.listeners = @(@(Get-NetTCPConnection -State Listen | ForEach-Object { [ordered]@{ Protocol = 'tcp'; LocalAddress = $_.LocalAddress; LocalPort = [int]$_.LocalPort } }) + @(Get-NetUDPEndpoint | ForEach-Object { [ordered]@{ Protocol = 'udp'; LocalAddress = $_.LocalAddress; LocalPort = [int]$_.LocalPort } }))
$r.serial = (Get-CimInstance Win32_BIOS).SerialNumber
$r | ConvertTo-Json -Depth 4 -Compress
"#;

/// The registry keys the collector exports.
pub const REG_KEYS: &[(&str, &str)] = &[
    (
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "uninstall-64",
    ),
    (
        "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "uninstall-32",
    ),
    (
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
        "os",
    ),
    ("HKLM\\SYSTEM\\CurrentControlSet\\Services", "services"),
    (
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server",
        "rdp",
    ),
    ("HKLM\\SOFTWARE\\Microsoft\\Windows Defender", "defender"),
    ("HKLM\\SOFTWARE\\Microsoft\\Cryptography", "machine"),
];

/// Builds the inventory from what the commands gave: registry exports by [`REG_KEYS`] tag (per-user
/// Uninstall keys tagged 「uninstall-user」), the PowerShell report, and the computer name.
pub fn inventory_from(
    exports: &[(&str, Vec<RegKey>)],
    report: &PsReport,
    hostname: &str,
    mut problems: Vec<String>,
) -> crate::Inventory {
    let tagged = |tag: &str| -> Vec<RegKey> {
        exports
            .iter()
            .filter(|(t, _)| *t == tag)
            .flat_map(|(_, k)| k.iter().cloned())
            .collect()
    };
    let mut packages = Vec::new();
    for tag in ["uninstall-64", "uninstall-32", "uninstall-user"] {
        packages.extend(programs_from_uninstall(&tagged(tag), tag));
    }
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    let os = os_from_current_version(&tagged("os"));
    if os.is_none() {
        problems.push("OS の版（CurrentVersion）を読めません".into());
    }
    let (os_name, edition, version, build) = os.unwrap_or_default();
    let services = services_from_reg(&tagged("services"), &report.running.0);
    let rdp = rdp_enabled(&tagged("rdp"));
    let listeners = listeners_from_ps(report);
    let defender = defender_from_ps(report).or_else(|| defender_from_reg(&tagged("defender")));
    let mut antivirus = report.antivirus.0.clone();
    if let Some(d) = &defender
        && d.antivirus_enabled == Some(true)
        && !antivirus.iter().any(|a| a.contains("Defender"))
    {
        antivirus.push("Microsoft Defender".into());
    }
    crate::Inventory {
        format: crate::FORMAT,
        platform: "windows".into(),
        hostname: hostname.to_string(),
        machine_id: machine_guid(&tagged("machine")).unwrap_or_default(),
        serial: report
            .serial
            .as_deref()
            .and_then(crate::linux::real_serial)
            .unwrap_or_default(),
        os: os_name,
        os_id: "windows".into(),
        os_version: version,
        os_edition: edition,
        os_build: build.clone(),
        kernel: build,
        interfaces: interfaces_from_ps(report),
        remote_access: remote_access(&packages, &services, rdp, &listeners),
        accounts: accounts_from_ps(report),
        admins: report
            .admins
            .0
            .iter()
            .map(|m| format!("Administrators: {}", m.name))
            .collect(),
        services_enabled: services
            .iter()
            .filter(|s| s.start.starts_with("自動"))
            .map(|s| s.name.clone())
            .collect(),
        hotfixes: hotfixes_from_ps(report),
        defender,
        rdp_enabled: rdp,
        antivirus,
        services,
        packages,
        listeners,
        problems,
    }
}

/// What the inventory lacks when PowerShell does not run (Windows PowerShell 5.1 ships with Windows 10
/// and 11; Wine and stripped-down systems lack it).
pub const POWERSHELL_MISSING: &str = "PowerShell が動きませんでした。アカウント・管理者・更新プログラム・ウイルス対策・ネットワークの情報は一覧に入っていません（Windows 標準の Windows PowerShell 5.1 が必要です）";

/// The PowerShell script's output as a report, or what to tell the person: nothing printed (no working
/// PowerShell) or not the JSON the script writes.
pub fn read_powershell(stdout: &[u8]) -> Result<PsReport, String> {
    let text = String::from_utf8_lossy(stdout);
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(POWERSHELL_MISSING.to_string());
    }
    serde_json::from_str::<PsReport>(text).map_err(|e| {
        let head: String = text.chars().take(80).collect();
        format!("PowerShell の出力が想定した JSON ではありません（{e}。先頭: {head}）")
    })
}

/// A `reg export` that failed, in words: its exit code and message, or the likely reason when it said
/// nothing (the key is absent, as under Wine, or not readable without administrator rights).
pub fn reg_failure(key: &str, code: Option<i32>, stderr: &str) -> String {
    let code = code
        .map(|c| format!("終了コード {c}"))
        .unwrap_or_else(|| "終了コードなし".into());
    match stderr.trim() {
        "" => {
            format!("reg export {key} が失敗しました（{code}。キーがないか、読む権限がありません）")
        }
        m => format!("reg export {key} が失敗しました（{code}）: {m}"),
    }
}

/// This Windows machine: `reg export` of each key, the PowerShell script, the computer name.
#[cfg(windows)]
pub fn collect() -> crate::Inventory {
    use std::process::Command;
    let mut problems = Vec::new();
    let dir = std::env::temp_dir().join(format!("mamori-agent-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let export = |key: &str, problems: &mut Vec<String>| -> Vec<RegKey> {
        let file = dir.join("export.reg");
        let _ = std::fs::remove_file(&file);
        match Command::new("reg")
            .args(["export", key])
            .arg(&file)
            .arg("/y")
            .output()
        {
            Ok(o) if o.status.success() => std::fs::read(&file)
                .map(|b| parse_reg(&decode_reg_file(&b)))
                .unwrap_or_default(),
            // WOW6432Node is missing on 32-bit Windows; other keys should be there.
            Ok(_) if key.contains("WOW6432Node") => Vec::new(),
            Ok(o) => {
                problems.push(reg_failure(
                    key,
                    o.status.code(),
                    &String::from_utf8_lossy(&o.stderr),
                ));
                Vec::new()
            }
            Err(e) => {
                problems.push(format!("reg を実行できません: {e}"));
                Vec::new()
            }
        }
    };
    let mut exports: Vec<(&str, Vec<RegKey>)> = Vec::new();
    for (key, tag) in REG_KEYS {
        exports.push((tag, export(key, &mut problems)));
    }
    // Per-user programs: the Uninstall key of every loaded user hive.
    if let Ok(o) = Command::new("reg").args(["query", "HKU"]).output() {
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let hive = line.trim();
            if hive.starts_with("HKEY_USERS\\S-1-5-21-") && !hive.ends_with("_Classes") {
                let key =
                    format!("{hive}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall");
                let mut ignore = Vec::new();
                exports.push(("uninstall-user", export(&key, &mut ignore)));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let report = match Command::new("powershell.exe")
        .args([
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            POWERSHELL_SCRIPT,
        ])
        .output()
    {
        Ok(o) => read_powershell(&o.stdout).unwrap_or_else(|m| {
            problems.push(m);
            PsReport::default()
        }),
        Err(e) => {
            problems.push(format!(
                "{POWERSHELL_MISSING}（powershell.exe を実行できません: {e}）"
            ));
            PsReport::default()
        }
    };
    let hostname = std::env::var("COMPUTERNAME").unwrap_or_default();
    inventory_from(&exports, &report, &hostname, problems)
}
