//! Linux: os-release, kernel, hostname, machine-id, network interfaces, dpkg's status file, passwd, and
//! listening sockets from /proc/net. Every reader takes a root folder so that tests run on fixture trees.

use std::path::Path;

use crate::{Account, FORMAT, Interface, Inventory, Listener, Package, Service};

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
                enabled: None,
                last_login: None,
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

/// The host's own IPv4 addresses from /proc/net/fib_trie (the 「/32 host LOCAL」 entries), loopback left out.
pub fn parse_fib_trie(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut last = "";
    for line in text.lines() {
        let t = line.trim_start_matches([' ', '|', '+', '-', '`']).trim();
        if line.contains("|--") {
            last = t;
        } else if t.starts_with("/32 host LOCAL") && !last.starts_with("127.") && !last.is_empty() {
            out.push(last.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Which interface holds an IPv4 address, from /proc/net/route (the interface whose network contains it).
pub fn interface_of(route: &str, ip: std::net::Ipv4Addr) -> Option<String> {
    let ip = u32::from(ip);
    route
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?.swap_bytes();
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?.swap_bytes();
            (mask != 0 && ip & mask == dest).then(|| (mask, f[0].to_string()))
        })
        .max()
        .map(|(_, name)| name)
}

/// IPv6 addresses per interface from /proc/net/if_inet6 (link-local and loopback left out).
pub fn parse_if_inet6(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (hex, scope, name) = (f.first()?, f.get(3)?, f.get(5)?);
            if *scope != "00" || hex.len() != 32 {
                return None;
            }
            let mut b = [0u8; 16];
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some((name.to_string(), std::net::Ipv6Addr::from(b).to_string()))
        })
        .collect()
}

/// Placeholders firmware writes where a serial number should be.
pub fn real_serial(s: &str) -> Option<String> {
    let s = s.trim();
    let junk = [
        "",
        "0",
        "none",
        "default string",
        "to be filled by o.e.m.",
        "system serial number",
        "not specified",
        "0123456789",
    ];
    (!junk.contains(&s.to_lowercase().as_str()) && !s.chars().all(|c| c == '0' || c == ' '))
        .then(|| s.to_string())
}

/// Records of lastlog (one per uid: 4-byte time, 32-byte line, 256-byte host): uid → last login (seconds).
pub fn parse_lastlog(bytes: &[u8]) -> Vec<(u32, i64)> {
    const RECORD: usize = 292;
    bytes
        .chunks_exact(RECORD)
        .enumerate()
        .filter_map(|(uid, r)| {
            let t = u32::from_le_bytes(r[0..4].try_into().ok()?);
            (t != 0).then_some((uid as u32, i64::from(t)))
        })
        .collect()
}

/// The latest login of each user in wtmp (utmp records of 384 bytes; type 7 = USER_PROCESS).
pub fn parse_wtmp(bytes: &[u8]) -> Vec<(String, i64)> {
    const RECORD: usize = 384;
    let mut latest: std::collections::BTreeMap<String, i64> = Default::default();
    for r in bytes.chunks_exact(RECORD) {
        let kind = i16::from_le_bytes([r[0], r[1]]);
        if kind != 7 {
            continue;
        }
        let user = &r[44..76];
        let end = user.iter().position(|b| *b == 0).unwrap_or(user.len());
        let Ok(user) = std::str::from_utf8(&user[..end]) else {
            continue;
        };
        let secs = i64::from(i32::from_le_bytes([r[340], r[341], r[342], r[343]]));
        if user.is_empty() || secs <= 0 {
            continue;
        }
        let e = latest.entry(user.to_string()).or_insert(secs);
        *e = (*e).max(secs);
    }
    latest.into_iter().collect()
}

/// Seconds since 1970 as RFC 3339 (UTC), without a date crate.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Output of `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\n'`.
pub fn parse_rpm_list(text: &str) -> Vec<Package> {
    let mut out: Vec<Package> = text
        .lines()
        .filter_map(|l| {
            let (name, version) = l.split_once('\t')?;
            (!name.trim().is_empty()).then(|| Package {
                name: name.trim().to_string(),
                version: version.trim().to_string(),
                source: "rpm".into(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out
}

/// Services running now: the *.service folders of systemd's cgroup tree (cgroup v2, or v1's systemd
/// hierarchy). A unit with a cgroup has processes.
fn running_services(root: &Path) -> Option<Vec<String>> {
    for dir in [
        "sys/fs/cgroup/system.slice",
        "sys/fs/cgroup/systemd/system.slice",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut out: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".service"))
                .collect();
            out.sort();
            return Some(out);
        }
    }
    None
}

/// Enabled and running units as one list.
pub fn services(enabled: &[String], running: &[String]) -> Vec<Service> {
    let mut names: Vec<&String> = enabled.iter().chain(running).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| Service {
            name: n.clone(),
            start: if enabled.contains(n) {
                "enabled".into()
            } else {
                String::new()
            },
            running: running.contains(n),
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
                interfaces.push(Interface {
                    name,
                    mac,
                    ips: Vec::new(),
                });
            }
        }
    }
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let route = std::fs::read_to_string(root.join("proc/net/route")).unwrap_or_default();
    if let Ok(t) = std::fs::read_to_string(root.join("proc/net/fib_trie")) {
        for ip in parse_fib_trie(&t) {
            let name = ip.parse().ok().and_then(|ip| interface_of(&route, ip));
            if let Some(i) = interfaces
                .iter_mut()
                .find(|i| Some(&i.name) == name.as_ref())
            {
                i.ips.push(ip);
            }
        }
    }
    if let Ok(t) = std::fs::read_to_string(root.join("proc/net/if_inet6")) {
        for (name, ip) in parse_if_inet6(&t) {
            if let Some(i) = interfaces.iter_mut().find(|i| i.name == name) {
                i.ips.push(ip);
            }
        }
    }
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
    let mut packages = Vec::new();
    let dpkg = root.join("var/lib/dpkg/status");
    if dpkg.exists() {
        packages = read(root, "/var/lib/dpkg/status", &mut problems)
            .map(|t| parse_dpkg_status(&t))
            .unwrap_or_default();
    }
    // rpm's database is not a text file: ask rpm itself, on this machine only (not on fixture trees).
    if root == Path::new("/") && root.join("var/lib/rpm").is_dir() {
        match std::process::Command::new("rpm")
            .args(["-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n"])
            .output()
        {
            Ok(o) if o.status.success() => {
                packages.extend(parse_rpm_list(&String::from_utf8_lossy(&o.stdout)))
            }
            Ok(o) => problems.push(format!(
                "rpm -qa が失敗しました: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => problems.push(format!("rpm を実行できません: {e}")),
        }
    }
    if !dpkg.exists() && !root.join("var/lib/rpm").is_dir() {
        problems.push("パッケージの一覧（dpkg / rpm）が見つかりません".into());
    }
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
    // Last logins: wtmp (rotated monthly) and lastlog (kept per uid); the later of the two.
    let wtmp = std::fs::read(root.join("var/log/wtmp"))
        .map(|b| parse_wtmp(&b))
        .unwrap_or_default();
    let lastlog = std::fs::read(root.join("var/log/lastlog"))
        .map(|b| parse_lastlog(&b))
        .unwrap_or_default();
    for a in &mut accounts {
        let from_wtmp = wtmp.iter().find(|(n, _)| *n == a.name).map(|(_, t)| *t);
        let from_lastlog = lastlog.iter().find(|(u, _)| *u == a.uid).map(|(_, t)| *t);
        a.last_login = from_wtmp.max(from_lastlog).map(rfc3339);
    }
    let enabled = enabled_services(root);
    let running = running_services(root);
    if running.is_none() {
        problems.push("動作中のサービス（systemd の cgroup）を読めません".into());
    }
    Inventory {
        format: FORMAT,
        platform: "linux".into(),
        serial: std::fs::read_to_string(root.join("sys/class/dmi/id/product_serial"))
            .ok()
            .and_then(|s| real_serial(&s))
            .unwrap_or_default(),
        os_build: std::fs::read_to_string(root.join("etc/debian_version"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default(),
        services: services(&enabled, running.as_deref().unwrap_or_default()),
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
        services_enabled: enabled,
        remote_access: remote_access(&packages, &listeners),
        antivirus: antivirus(&packages),
        packages,
        accounts,
        listeners,
        problems,
        ..Default::default()
    }
}
