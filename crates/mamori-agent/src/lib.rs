//! Endpoint inventory for the 機器台帳 (checklist 2(1), 2(2), 2(7), 2(9)): the OS, installed packages with
//! versions, local accounts and listening ports of a machine, read from the system's own files. Parsers are
//! plain functions over text (tested on fixtures); [`collect`] only reads the files.

use serde::{Deserialize, Serialize};

#[cfg(feature = "client")]
pub mod cli;
#[cfg(feature = "client")]
pub mod client;
pub mod linux;
pub mod windows;

/// The version of the inventory file format.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// dpkg / rpm.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub home: String,
    pub shell: String,
    /// A shell from which nobody logs in (nologin, false).
    pub can_log_in: bool,
    /// The password is locked (「!」 or 「*」 in shadow); None when shadow could not be read.
    #[serde(default)]
    pub locked: Option<bool>,
    /// Disabled (Windows); None where the system has no such state.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The last login (RFC 3339, UTC) from lastlog/wtmp or Windows' LastLogon; None when never or unknown.
    #[serde(default)]
    pub last_login: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Listener {
    /// tcp / udp.
    pub protocol: String,
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    pub mac: String,
    /// IPv4 and IPv6 addresses (without the prefix length).
    #[serde(default)]
    pub ips: Vec<String>,
}

/// A service (systemd unit or Windows service): whether it starts by itself and whether it runs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// Windows: 自動 / 手動 / 無効 …; Linux: enabled or an empty string.
    pub start: String,
    pub running: bool,
}

/// Windows Defender (or the antivirus Windows reports) as the machine sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defender {
    pub antivirus_enabled: Option<bool>,
    pub realtime_enabled: Option<bool>,
    /// When the signatures were last updated (RFC 3339).
    pub signature_updated: Option<String>,
    pub signature_version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub format: u32,
    /// linux / windows.
    #[serde(default)]
    pub platform: String,
    pub hostname: String,
    pub machine_id: String,
    /// The hardware serial number (DMI / BIOS), when readable and not a placeholder.
    #[serde(default)]
    pub serial: String,
    /// PRETTY_NAME of os-release, e.g. 「Debian GNU/Linux 12 (bookworm)」.
    pub os: String,
    pub os_id: String,
    pub os_version: String,
    pub kernel: String,
    pub interfaces: Vec<Interface>,
    pub packages: Vec<Package>,
    pub accounts: Vec<Account>,
    pub listeners: Vec<Listener>,
    /// Members of the administrators' groups (sudo, wheel, admin): 「sudo: yamada」.
    #[serde(default)]
    pub admins: Vec<String>,
    /// systemd services enabled to start (from the *.wants folders).
    #[serde(default)]
    pub services_enabled: Vec<String>,
    /// Remote-access software found (packages, services, listening ports), each with why.
    #[serde(default)]
    pub remote_access: Vec<String>,
    /// Antivirus / anti-malware software found.
    #[serde(default)]
    pub antivirus: Vec<String>,
    /// Services with their start type and state (systemd units on Linux, services on Windows).
    #[serde(default)]
    pub services: Vec<Service>,
    /// Windows: the installed updates (KB numbers with their dates, 「KB5034441 2024-01-10」).
    #[serde(default)]
    pub hotfixes: Vec<String>,
    /// Windows: Defender's state.
    #[serde(default)]
    pub defender: Option<Defender>,
    /// Windows: Remote Desktop accepts connections.
    #[serde(default)]
    pub rdp_enabled: Option<bool>,
    /// Windows edition (EditionID: Professional, Enterprise …).
    #[serde(default)]
    pub os_edition: String,
    /// The full build or point release: Windows 10.0.22631.3007, Debian 12.8 (/etc/debian_version).
    #[serde(default)]
    pub os_build: String,
    /// What could not be read (a collector that failed), in Japanese: the rest is still reported.
    pub problems: Vec<String>,
}

/// Collects this machine's inventory.
pub fn collect() -> Inventory {
    #[cfg(windows)]
    {
        windows::collect()
    }
    #[cfg(not(windows))]
    {
        linux::collect(std::path::Path::new("/"))
    }
}
