//! Windows: what the registry and PowerShell say, read from their own output formats — registry exports
//! (`reg export`, 「Windows Registry Editor Version 5.00」, UTF-16LE) and one JSON document from a
//! PowerShell script ([`POWERSHELL_SCRIPT`]). The parsers here are plain functions, tested on fixtures on
//! any platform; only [`collect`] (Windows builds) runs the commands.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Account, Defender, Interface, Listener, Package, Service};

/// One value of a registry export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    String(String),
    Dword(u32),
    Qword(u64),
    MultiString(Vec<String>),
    Binary(Vec<u8>),
}

impl RegValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RegValue::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            RegValue::Dword(v) => Some(*v),
            _ => None,
        }
    }
}

/// A key of a registry export: its full path and values (「@」 is the default value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegKey {
    pub path: String,
    pub values: BTreeMap<String, RegValue>,
}

impl RegKey {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(RegValue::as_str)
    }
    pub fn dword(&self, name: &str) -> Option<u32> {
        self.values.get(name).and_then(RegValue::as_u32)
    }
    /// The last part of the path (a subkey's own name).
    pub fn name(&self) -> &str {
        self.path.rsplit('\\').next().unwrap_or("")
    }
}

/// The text of a .reg file: UTF-16LE with its byte-order mark (as `reg export` writes), or UTF-8.
pub fn decode_reg_file(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned()
    }
}

/// Hex bytes of 「hex:…」 (commas, continuation backslashes and whitespace already joined).
fn hex_bytes(s: &str) -> Vec<u8> {
    s.split(',')
        .filter_map(|b| u8::from_str_radix(b.trim(), 16).ok())
        .collect()
}

fn utf16_strings(bytes: &[u8]) -> Vec<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    units
        .split(|u| *u == 0)
        .map(String::from_utf16_lossy)
        .collect()
}

/// A quoted .reg string from its opening quote: the text (escapes 「\\」 and 「\"」 undone) and the rest.
fn quoted(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            '"' => return Some((out, &s[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn parse_value(data: &str) -> Option<RegValue> {
    let data = data.trim();
    if data.starts_with('"') {
        return quoted(data).map(|(s, _)| RegValue::String(s));
    }
    if let Some(h) = data.strip_prefix("dword:") {
        return u32::from_str_radix(h.trim(), 16).ok().map(RegValue::Dword);
    }
    if let Some(h) = data.strip_prefix("hex(b):") {
        let b = hex_bytes(h);
        let mut q = [0u8; 8];
        for (i, v) in b.iter().take(8).enumerate() {
            q[i] = *v;
        }
        return Some(RegValue::Qword(u64::from_le_bytes(q)));
    }
    if let Some(h) = data.strip_prefix("hex(2):") {
        let s = utf16_strings(&hex_bytes(h))
            .into_iter()
            .next()
            .unwrap_or_default();
        return Some(RegValue::String(s));
    }
    if let Some(h) = data.strip_prefix("hex(7):") {
        let mut v = utf16_strings(&hex_bytes(h));
        v.retain(|s| !s.is_empty());
        return Some(RegValue::MultiString(v));
    }
    if let Some(h) = data.strip_prefix("hex:") {
        return Some(RegValue::Binary(hex_bytes(h)));
    }
    if let Some((_, h)) = data.strip_prefix("hex(").and_then(|r| r.split_once("):")) {
        return Some(RegValue::Binary(hex_bytes(h)));
    }
    None
}

/// The keys of a registry export, in file order. Lines it cannot read are skipped (a damaged export
/// gives what it has).
pub fn parse_reg(text: &str) -> Vec<RegKey> {
    let mut keys: Vec<RegKey> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut line = line.trim_end_matches('\r').to_string();
        // Long hex values continue on the next lines after a trailing backslash.
        while line.ends_with('\\') && !line.trim_start().starts_with('[') {
            line.pop();
            match lines.next() {
                Some(next) => line.push_str(next.trim()),
                None => break,
            }
        }
        let t = line.trim();
        if let Some(path) = t.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            if path.starts_with('-') {
                continue;
            }
            keys.push(RegKey {
                path: path.to_string(),
                values: BTreeMap::new(),
            });
            continue;
        }
        let Some(key) = keys.last_mut() else { continue };
        let (name, rest) = if let Some(rest) = t.strip_prefix('@') {
            ("@".to_string(), rest)
        } else if let Some((name, rest)) = quoted(t) {
            (name, rest)
        } else {
            continue;
        };
        let Some(data) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        if let Some(v) = parse_value(data) {
            key.values.insert(name, v);
        }
    }
    keys
}

/// Installed programs from exports of the Uninstall keys (64-bit, WOW6432Node, per user): entries with a
/// DisplayName that are not system components or updates of another entry. `source` names the key.
pub fn programs_from_uninstall(keys: &[RegKey], source: &str) -> Vec<Package> {
    let mut out: Vec<Package> = keys
        .iter()
        .filter(|k| {
            let lower = k.path.to_lowercase();
            lower.contains("\\uninstall\\") && !lower.ends_with("\\uninstall")
        })
        .filter_map(|k| {
            let name = k.str("DisplayName")?.trim();
            if name.is_empty()
                || k.dword("SystemComponent") == Some(1)
                || k.str("ParentKeyName").is_some()
                || k.str("ReleaseType").is_some_and(|t| t.contains("Update"))
            {
                return None;
            }
            Some(Package {
                name: name.to_string(),
                version: k.str("DisplayVersion").unwrap_or("").trim().to_string(),
                source: source.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out.dedup();
    out
}

/// The OS from an export of `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`: the name (Windows 11
/// reports itself as 「Windows 10」 in ProductName; the build tells), the edition, the version
/// (DisplayVersion such as 23H2) and the full build (10.0.22631.3007).
pub fn os_from_current_version(keys: &[RegKey]) -> Option<(String, String, String, String)> {
    let k = keys.iter().find(|k| {
        k.path
            .to_lowercase()
            .ends_with("\\windows nt\\currentversion")
    })?;
    let build = k.str("CurrentBuild").or(k.str("CurrentBuildNumber"))?;
    let build_no: u32 = build.parse().ok()?;
    let mut name = k.str("ProductName").unwrap_or("Windows").to_string();
    if build_no >= 22000 && name.contains("Windows 10") {
        name = name.replace("Windows 10", "Windows 11");
    }
    let ubr = k.dword("UBR").map(|u| format!(".{u}")).unwrap_or_default();
    let major = k.dword("CurrentMajorVersionNumber").unwrap_or(10);
    let minor = k.dword("CurrentMinorVersionNumber").unwrap_or(0);
    let version = k
        .str("DisplayVersion")
        .or(k.str("ReleaseId"))
        .unwrap_or("")
        .to_string();
    Some((
        name,
        k.str("EditionID").unwrap_or("").to_string(),
        version,
        format!("{major}.{minor}.{build}{ubr}"),
    ))
}

/// Services from an export of `HKLM\SYSTEM\CurrentControlSet\Services` (drivers left out), with the
/// names PowerShell reported running.
pub fn services_from_reg(keys: &[RegKey], running: &[String]) -> Vec<Service> {
    let mut out: Vec<Service> = keys
        .iter()
        .filter(|k| {
            let lower = k.path.to_lowercase();
            lower
                .rsplit_once("\\services\\")
                .is_some_and(|(_, rest)| !rest.contains('\\'))
        })
        .filter_map(|k| {
            // Type 0x10 (own process) / 0x20 (shared) and user services (0x50, 0x60 …); 1, 2, 4, 8 are drivers.
            let ty = k.dword("Type")?;
            if ty & 0x30 == 0 {
                return None;
            }
            let start = match k.dword("Start")? {
                0 => "ブート",
                1 => "システム",
                2 if k.dword("DelayedAutostart") == Some(1) => "自動（遅延開始）",
                2 => "自動",
                3 => "手動",
                4 => "無効",
                _ => "不明",
            };
            let name = k.name().to_string();
            Some(Service {
                running: running.iter().any(|r| r.eq_ignore_ascii_case(&name)),
                name,
                start: start.to_string(),
            })
        })
        .collect();
    out.sort_by_key(|s| s.name.to_lowercase());
    out
}

/// Remote Desktop accepts connections: `fDenyTSConnections` is 0 in an export of
/// `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`.
pub fn rdp_enabled(keys: &[RegKey]) -> Option<bool> {
    keys.iter()
        .find(|k| {
            k.path
                .to_lowercase()
                .ends_with("\\control\\terminal server")
        })
        .and_then(|k| k.dword("fDenyTSConnections"))
        .map(|deny| deny == 0)
}

/// A FILETIME (100 ns since 1601) as RFC 3339.
pub fn filetime(ft: u64) -> Option<String> {
    const EPOCH_DIFF: i64 = 11_644_473_600;
    let secs = (ft / 10_000_000) as i64 - EPOCH_DIFF;
    (secs > 0).then(|| crate::linux::rfc3339(secs))
}

/// Defender from an export of `HKLM\SOFTWARE\Microsoft\Windows Defender` (with its subkeys): signature
/// version and update time, real-time protection switched off by policy or setting.
pub fn defender_from_reg(keys: &[RegKey]) -> Option<Defender> {
    let find = |suffix: &str| {
        keys.iter()
            .find(|k| k.path.to_lowercase().ends_with(suffix))
    };
    let root = find("\\microsoft\\windows defender")?;
    let mut d = Defender {
        antivirus_enabled: root
            .dword("DisableAntiVirus")
            .or(root.dword("DisableAntiSpyware"))
            .map(|v| v == 0)
            .or(Some(true)),
        ..Default::default()
    };
    if let Some(rt) = find("\\windows defender\\real-time protection") {
        d.realtime_enabled = Some(rt.dword("DisableRealtimeMonitoring") != Some(1));
    }
    if let Some(sig) = find("\\windows defender\\signature updates") {
        d.signature_version = sig.str("AVSignatureVersion").unwrap_or("").to_string();
        d.signature_updated = match sig.values.get("SignaturesLastUpdated") {
            Some(RegValue::Binary(b)) if b.len() >= 8 => {
                filetime(u64::from_le_bytes(b[..8].try_into().ok()?))
            }
            Some(RegValue::Qword(q)) => filetime(*q),
            _ => None,
        };
    }
    Some(d)
}

/// The machine's GUID from an export of `HKLM\SOFTWARE\Microsoft\Cryptography` (Windows' machine-id).
pub fn machine_guid(keys: &[RegKey]) -> Option<String> {
    keys.iter()
        .find(|k| k.path.to_lowercase().ends_with("\\microsoft\\cryptography"))
        .and_then(|k| k.str("MachineGuid"))
        .map(|g| g.to_lowercase())
}

/// What the PowerShell script prints (one JSON object). Every part is optional: a part that failed is
/// null or missing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PsReport {
    pub users: OneOrMany<PsUser>,
    pub admins: OneOrMany<PsMember>,
    pub running: OneOrMany<String>,
    pub hotfixes: OneOrMany<PsHotfix>,
    pub defender: Option<PsDefender>,
    pub antivirus: OneOrMany<String>,
    pub adapters: OneOrMany<PsAdapter>,
    pub listeners: OneOrMany<PsListener>,
    pub serial: Option<String>,
}

/// ConvertTo-Json writes one element as an object and several as an array.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<T> {
            Many(Vec<T>),
            One(T),
            None(()),
        }
        Ok(OneOrMany(match Either::deserialize(d)? {
            Either::Many(v) => v,
            Either::One(t) => vec![t],
            Either::None(()) => Vec::new(),
        }))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsUser {
    pub name: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub last_logon: Option<serde_json::Value>,
    #[serde(default, rename = "SID")]
    pub sid: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsMember {
    pub name: String,
    #[serde(default)]
    pub object_class: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PsHotfix {
    #[serde(rename = "HotFixID")]
    pub id: String,
    #[serde(default, rename = "InstalledOn")]
    pub installed_on: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsDefender {
    #[serde(default)]
    pub antivirus_enabled: Option<bool>,
    #[serde(default)]
    pub real_time_protection_enabled: Option<bool>,
    #[serde(default)]
    pub antivirus_signature_last_updated: Option<serde_json::Value>,
    #[serde(default)]
    pub antivirus_signature_version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsAdapter {
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "MACAddress")]
    pub mac: Option<String>,
    #[serde(default, rename = "IPAddress")]
    pub ips: OneOrMany<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsListener {
    pub protocol: String,
    pub local_address: String,
    pub local_port: u16,
}

/// A PowerShell date: ISO 8601 text (as the script writes it) or Windows PowerShell 5.1's
/// 「/Date(ms)/」, or an object with that in 「value」 (Get-HotFix's InstalledOn). As RFC 3339 (UTC).
pub fn ps_date(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => {
            if let Some(ms) = s
                .strip_prefix("/Date(")
                .and_then(|r| r.split([')', '+', '-']).next())
            {
                let ms: i64 = ms.parse().ok()?;
                return Some(crate::linux::rfc3339(ms.div_euclid(1000)));
            }
            // 2024-01-10T00:00:00.0000000Z → 2024-01-10T00:00:00Z
            let (date, time) = s.split_once('T').unwrap_or((s.as_str(), "00:00:00"));
            if date.len() != 10 || !date.as_bytes()[4].eq(&b'-') {
                return None;
            }
            Some(format!("{date}T{}Z", time.get(..8).unwrap_or("00:00:00")))
        }
        serde_json::Value::Object(o) => o.get("value").and_then(ps_date),
        _ => None,
    }
}

/// The local accounts, with their enabled state and last logon, from the script's report.
pub fn accounts_from_ps(report: &PsReport) -> Vec<Account> {
    report
        .users
        .0
        .iter()
        .map(|u| Account {
            name: u.name.clone(),
            // The relative ID of the account's SID (500 = the built-in Administrator).
            uid: u
                .sid
                .as_ref()
                .and_then(|s| match s {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => {
                        o.get("Value").and_then(|v| v.as_str()).map(String::from)
                    }
                    _ => None,
                })
                .and_then(|s| s.rsplit('-').next().and_then(|r| r.parse().ok()))
                .unwrap_or(0),
            home: String::new(),
            shell: String::new(),
            can_log_in: u.enabled.unwrap_or(true),
            locked: None,
            enabled: u.enabled,
            last_login: u.last_logon.as_ref().and_then(ps_date),
        })
        .collect()
}

/// Installed updates, newest first: 「KB5034441 2024-01-10」.
pub fn hotfixes_from_ps(report: &PsReport) -> Vec<String> {
    let mut out: Vec<(String, String)> = report
        .hotfixes
        .0
        .iter()
        .map(|h| {
            let date = h
                .installed_on
                .as_ref()
                .and_then(ps_date)
                .map(|d| d[..10].to_string())
                .unwrap_or_default();
            (date, h.id.clone())
        })
        .collect();
    out.sort_by(|a, b| b.cmp(a));
    out.into_iter()
        .map(|(d, id)| {
            if d.is_empty() {
                id
            } else {
                format!("{id} {d}")
            }
        })
        .collect()
}

pub fn defender_from_ps(report: &PsReport) -> Option<Defender> {
    let d = report.defender.as_ref()?;
    Some(Defender {
        antivirus_enabled: d.antivirus_enabled,
        realtime_enabled: d.real_time_protection_enabled,
        signature_updated: d
            .antivirus_signature_last_updated
            .as_ref()
            .and_then(ps_date),
        signature_version: d.antivirus_signature_version.clone().unwrap_or_default(),
    })
}

pub fn interfaces_from_ps(report: &PsReport) -> Vec<Interface> {
    report
        .adapters
        .0
        .iter()
        .filter_map(|a| {
            let mac = a.mac.as_ref()?.replace('-', ":").to_lowercase();
            Some(Interface {
                name: a.description.clone(),
                mac,
                ips: a
                    .ips
                    .0
                    .iter()
                    .filter(|ip| !ip.starts_with("fe80"))
                    .cloned()
                    .collect(),
            })
        })
        .collect()
}

pub fn listeners_from_ps(report: &PsReport) -> Vec<Listener> {
    let mut out: Vec<Listener> = report
        .listeners
        .0
        .iter()
        .map(|l| Listener {
            protocol: l.protocol.to_lowercase(),
            address: l.local_address.clone(),
            port: l.local_port,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

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
                problems.push(format!(
                    "reg export {key} が失敗しました: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
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
        Ok(o) => serde_json::from_slice::<PsReport>(&o.stdout).unwrap_or_else(|e| {
            problems.push(format!("PowerShell の出力を読めません: {e}"));
            PsReport::default()
        }),
        Err(e) => {
            problems.push(format!("PowerShell を実行できません: {e}"));
            PsReport::default()
        }
    };
    let hostname = std::env::var("COMPUTERNAME").unwrap_or_default();
    inventory_from(&exports, &report, &hostname, problems)
}
