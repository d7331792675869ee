//! Linux: os-release, kernel, hostname, machine-id, network interfaces, dpkg's status file, passwd, and
//! listening sockets from /proc/net. Every reader takes a root folder so that tests run on fixture trees.

use std::path::Path;

use crate::{Account, FORMAT, Interface, Inventory, Listener, Package};

/// `KEY=value` lines of os-release (values unquoted).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            if k.starts_with('#') || k.is_empty() {
                return None;
            }
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.to_string(), v.replace("\\\"", "\"")))
        })
        .collect()
}

/// The installed packages of a dpkg status file (status 「install ok installed」), by name.
pub fn parse_dpkg_status(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut version, mut installed) = (None, None, false);
        for line in stanza.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            match line.split_once(':') {
                Some(("Package", v)) => name = Some(v.trim().to_string()),
                Some(("Version", v)) => version = Some(v.trim().to_string()),
                Some(("Status", v)) => installed = v.split_whitespace().nth(2) == Some("installed"),
                _ => {}
            }
        }
        if let (true, Some(name), Some(version)) = (installed, name, version) {
            out.push(Package {
                name,
                version,
                source: "dpkg".into(),
            });
        }
    }
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out
}

/// The accounts of a passwd file.
pub fn parse_passwd(text: &str) -> Vec<Account> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 || f[0].is_empty() || l.starts_with('#') {
                return None;
            }
            let shell = f[6].trim().to_string();
            Some(Account {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                home: f[5].to_string(),
                can_log_in: !(shell.ends_with("nologin")
                    || shell.ends_with("/false")
                    || shell.is_empty()),
                shell,
                locked: None,
            })
        })
        .collect()
}

/// Locked accounts of a shadow file: name → locked (password field starting 「!」 or 「*」).
pub fn parse_shadow(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next().filter(|n| !n.is_empty())?;
            let pw = f.next()?;
            Some((name.to_string(), pw.starts_with('!') || pw.starts_with('*')))
        })
        .collect()
}

/// Members of the administrators' groups of a group file: 「sudo: yamada」.
pub fn parse_admin_groups(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 4 || !["sudo", "wheel", "admin"].contains(&f[0]) {
            continue;
        }
        for m in f[3].split(',').map(str::trim).filter(|m| !m.is_empty()) {
            out.push(format!("{}: {m}", f[0]));
        }
    }
    out
}

/// Remote-access software the checklist's 2(2) and 2(9) ask about: package name prefixes and their label.
const REMOTE_PACKAGES: &[(&str, &str)] = &[
    ("openssh-server", "SSH サーバ"),
    ("xrdp", "xrdp（リモートデスクトップ）"),
    ("tigervnc", "VNC"),
    ("tightvncserver", "VNC"),
    ("x11vnc", "VNC"),
    ("vino", "VNC（GNOME）"),
    ("teamviewer", "TeamViewer"),
    ("anydesk", "AnyDesk"),
    ("rustdesk", "RustDesk"),
    ("chrome-remote-desktop", "Chrome リモート デスクトップ"),
];

/// Listening ports of remote-access services.
const REMOTE_PORTS: &[(u16, &str)] = &[(22, "SSH"), (3389, "RDP"), (5900, "VNC"), (5901, "VNC")];

const ANTIVIRUS_PACKAGES: &[(&str, &str)] = &[
    ("clamav", "ClamAV"),
    ("sophos", "Sophos"),
    ("esets", "ESET"),
    ("eset", "ESET"),
    ("ds-agent", "Trend Micro Deep Security"),
    ("falcon-sensor", "CrowdStrike Falcon"),
    ("mdatp", "Microsoft Defender for Endpoint"),
];

/// Remote-access software from the packages and the listening ports, each with why it was found.
pub fn remote_access(packages: &[Package], listeners: &[Listener]) -> Vec<String> {
    let mut out: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            REMOTE_PACKAGES
                .iter()
                .find(|(prefix, _)| p.name.starts_with(prefix))
                .map(|(_, label)| format!("{label}（パッケージ {} {}）", p.name, p.version))
        })
        .collect();
    for l in listeners.iter().filter(|l| l.protocol == "tcp") {
        if let Some((_, label)) = REMOTE_PORTS.iter().find(|(port, _)| *port == l.port) {
            out.push(format!(
                "{label}（ポート {} を {} で待ち受け）",
                l.port, l.address
            ));
        }
    }
    out.dedup();
    out
}

pub fn antivirus(packages: &[Package]) -> Vec<String> {
    let mut out: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            ANTIVIRUS_PACKAGES
                .iter()
                .find(|(prefix, _)| p.name.starts_with(prefix))
                .map(|(_, label)| format!("{label}（{} {}）", p.name, p.version))
        })
        .collect();
    out.dedup();
    out
}

/// Services enabled in systemd's *.wants folders under `etc/systemd/system`.
fn enabled_services(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(root.join("etc/systemd/system")) {
        for dir in dirs.flatten() {
            if !dir.file_name().to_string_lossy().ends_with(".wants") {
                continue;
            }
            for unit in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = unit.file_name().to_string_lossy().into_owned();
                if name.ends_with(".service") {
                    out.push(name);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A hex address of /proc/net/{tcp,udp}[6] (little-endian words) as text.
fn proc_address(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::new(bytes[3], bytes[2], bytes[1], bytes[0]).to_string()),
        16 => {
            let mut b = [0u8; 16];
            for w in 0..4 {
                for i in 0..4 {
                    b[w * 4 + i] = bytes[w * 4 + 3 - i];
                }
            }
            Some(std::net::Ipv6Addr::from(b).to_string())
        }
        _ => None,
    }
}

/// Listening sockets of one /proc/net table: TCP in state LISTEN (0A); UDP sockets bound and unconnected (07).
pub fn parse_proc_net(text: &str, protocol: &str) -> Vec<Listener> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (local, remote, state) = (f.get(1)?, f.get(2)?, f.get(3)?);
            let wanted = match protocol {
                "tcp" => *state == "0A",
                _ => *state == "07" && remote.ends_with(":0000"),
            };
            if !wanted {
                return None;
            }
            let (addr, port) = local.split_once(':')?;
            Some(Listener {
                protocol: protocol.to_string(),
                address: proc_address(addr)?,
                port: u16::from_str_radix(port, 16).ok()?,
            })
        })
        .collect()
}

fn read(root: &Path, path: &str, problems: &mut Vec<String>) -> Option<String> {
    let full = root.join(path.trim_start_matches('/'));
    match std::fs::read_to_string(&full) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(format!("{path} を読めません: {e}"));
            None
        }
    }
}

/// The inventory of the system under `root` ("/" for this machine).
pub fn collect(root: &Path) -> Inventory {
    let mut problems = Vec::new();
    let os = read(root, "/etc/os-release", &mut problems)
        .map(|t| parse_os_release(&t))
        .unwrap_or_default();
    let get = |k: &str| {
        os.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let first_line = |t: Option<String>| t.map(|t| t.trim().to_string()).unwrap_or_default();
    let mut interfaces = Vec::new();
    if let Ok(dir) = std::fs::read_dir(root.join("sys/class/net")) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let mac = std::fs::read_to_string(entry.path().join("address"))
                .map(|m| m.trim().to_string())
                .unwrap_or_default();
            if name != "lo" && !mac.is_empty() {
                interfaces.push(Interface { name, mac });
            }
        }
    }
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let mut listeners = Vec::new();
    for (file, protocol) in [
        ("/proc/net/tcp", "tcp"),
        ("/proc/net/tcp6", "tcp"),
        ("/proc/net/udp", "udp"),
        ("/proc/net/udp6", "udp"),
    ] {
        // A machine without IPv6 has no tcp6: not a problem worth reporting.
        if let Ok(t) = std::fs::read_to_string(root.join(file.trim_start_matches('/'))) {
            listeners.extend(parse_proc_net(&t, protocol));
        }
    }
    listeners.sort();
    listeners.dedup();
    let packages = read(root, "/var/lib/dpkg/status", &mut problems)
        .map(|t| parse_dpkg_status(&t))
        .unwrap_or_default();
    let mut accounts = read(root, "/etc/passwd", &mut problems)
        .map(|t| parse_passwd(&t))
        .unwrap_or_default();
    // shadow is readable by root only: without it the lock state stays unknown, which is not a problem.
    if let Ok(t) = std::fs::read_to_string(root.join("etc/shadow")) {
        let locked = parse_shadow(&t);
        for a in &mut accounts {
            a.locked = locked.iter().find(|(n, _)| *n == a.name).map(|(_, l)| *l);
        }
    }
    Inventory {
        format: FORMAT,
        hostname: first_line(read(root, "/etc/hostname", &mut problems)),
        machine_id: first_line(read(root, "/etc/machine-id", &mut problems)),
        os: get("PRETTY_NAME"),
        os_id: get("ID"),
        os_version: get("VERSION_ID"),
        kernel: first_line(read(root, "/proc/sys/kernel/osrelease", &mut problems)),
        interfaces,
        admins: read(root, "/etc/group", &mut problems)
            .map(|t| parse_admin_groups(&t))
            .unwrap_or_default(),
        services_enabled: enabled_services(root),
        remote_access: remote_access(&packages, &listeners),
        antivirus: antivirus(&packages),
        packages,
        accounts,
        listeners,
        problems,
    }
}
