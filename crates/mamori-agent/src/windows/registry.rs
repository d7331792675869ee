//! Registry exports (`reg export`, UTF-16LE or UTF-8) read into keys and values, and what Mamori reads
//! from them: programs, the OS, services, RDP, Defender, the machine GUID.

use crate::{Defender, Package, Service};
use std::collections::BTreeMap;

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
