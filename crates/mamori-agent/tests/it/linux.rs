//! The Linux collectors on fixtures, and on this machine against the system's own tools (dpkg-query,
//! getent, ss) when they are there.

use std::collections::BTreeSet;
use std::process::Command;

use mamori_agent::linux::{
    antivirus, parse_admin_groups, parse_dpkg_status, parse_os_release, parse_passwd,
    parse_proc_net, parse_shadow, remote_access,
};

const STATUS: &str = "Package: adduser
Status: install ok installed
Priority: important
Version: 3.134
Description: add and remove users and groups
 Version: 9.9 (a description line, not a field)

Package: old-tool
Status: deinstall ok config-files
Version: 1.0

Package: libc6
Status: install ok installed
Multi-Arch: same
Version: 2.36-9+deb12u13
";

#[test]
fn dpkg_status_lists_installed_packages_only() {
    let p = parse_dpkg_status(STATUS);
    let got: Vec<(&str, &str)> = p
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(got, [("adduser", "3.134"), ("libc6", "2.36-9+deb12u13")]);
}

#[test]
fn os_release_values_unquoted() {
    let os = parse_os_release(
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n# comment\n",
    );
    assert_eq!(
        os,
        [
            (
                "PRETTY_NAME".to_string(),
                "Debian GNU/Linux 12 (bookworm)".to_string()
            ),
            ("ID".into(), "debian".into()),
            ("VERSION_ID".into(), "12".into()),
        ]
    );
}

#[test]
fn passwd_accounts_and_who_can_log_in() {
    let a = parse_passwd(
        "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
         broken-line\nsync:x:4:65534:sync:/bin:/bin/sync\n",
    );
    let got: Vec<(&str, u32, bool)> = a
        .iter()
        .map(|a| (a.name.as_str(), a.uid, a.can_log_in))
        .collect();
    assert_eq!(
        got,
        [
            ("root", 0, true),
            ("www-data", 33, false),
            ("sync", 4, true)
        ]
    );
}

#[test]
fn proc_net_listening_sockets() {
    let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 2 1 0 100 0 0 10 0
   2: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   101        0 3 1 0 100 0 0 10 0
";
    let l = parse_proc_net(tcp, "tcp");
    let got: Vec<(String, u16)> = l.iter().map(|l| (l.address.clone(), l.port)).collect();
    assert_eq!(
        got,
        [("0.0.0.0".to_string(), 22), ("127.0.0.1".into(), 5432)],
        "established ones are not listening"
    );
    let tcp6 =
        "  sl  local_address                         remote_address                        st
   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0
";
    assert_eq!(parse_proc_net(tcp6, "tcp")[0].address, "::1");
    let udp = "  sl  local_address rem_address   st
  1: 00000000:0044 00000000:0000 07 0 0 0 0 0 0
  2: 0100007F:0035 0200007F:0035 01 0 0 0 0 0 0
";
    let u = parse_proc_net(udp, "udp");
    assert_eq!((u.len(), u[0].port), (1, 68));
}

#[test]
fn shadow_locks_admin_groups_remote_tools_and_antivirus() {
    assert_eq!(
        parse_shadow(
            "root:$y$j9T$abc:19700:0:99999:7:::\ndaemon:*:19700::::::\nold:!$y$x:1::::::\n"
        ),
        [
            ("root".to_string(), false),
            ("daemon".into(), true),
            ("old".into(), true)
        ]
    );
    assert_eq!(
        parse_admin_groups("root:x:0:\nsudo:x:27:yamada,sato\nusers:x:100:suzuki\nwheel:x:10:\n"),
        ["sudo: yamada", "sudo: sato"]
    );
    let pkgs = parse_dpkg_status(
        "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n\n\
         Package: anydesk\nStatus: install ok installed\nVersion: 6.3.0\n\n\
         Package: clamav\nStatus: install ok installed\nVersion: 1.0.5\n",
    );
    let listening = parse_proc_net(
        "  sl  local_address rem_address   st\n   0: 00000000:0D3D 00000000:0000 0A 0 0 0 0 0 0\n",
        "tcp",
    );
    assert_eq!(
        remote_access(&pkgs, &listening),
        [
            "AnyDesk（パッケージ anydesk 6.3.0）",
            "SSH サーバ（パッケージ openssh-server 1:9.2p1-2）",
            "RDP（ポート 3389 を 0.0.0.0 で待ち受け）",
        ]
    );
    assert_eq!(antivirus(&pkgs), ["ClamAV（clamav 1.0.5）"]);
}

/// A format-1 file written before these collectors existed still reads.
#[test]
fn older_inventory_files_still_read() {
    let old = r#"{"format":1,"hostname":"pc","machine_id":"m","os":"","os_id":"","os_version":"","kernel":"",
        "interfaces":[],"packages":[],"accounts":[{"name":"a","uid":1000,"home":"/home/a","shell":"/bin/bash","can_log_in":true}],
        "listeners":[],"problems":[]}"#;
    let inv: mamori_agent::Inventory = serde_json::from_str(old).unwrap();
    assert_eq!((inv.accounts[0].locked, inv.remote_access.len()), (None, 0));
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;
    proptest! {
        #[test]
        fn any_text(s in "\\PC{0,300}") {
            let _ = parse_dpkg_status(&s);
            let _ = parse_os_release(&s);
            let _ = parse_passwd(&s);
            let _ = parse_proc_net(&s, "tcp");
            let _ = parse_proc_net(&s, "udp");
            let _ = parse_shadow(&s);
            let _ = parse_admin_groups(&s);
            let _ = mamori_agent::linux::parse_fib_trie(&s);
            let _ = mamori_agent::linux::parse_if_inet6(&s);
            let _ = mamori_agent::linux::parse_rpm_list(&s);
            let _ = mamori_agent::linux::interface_of(&s, std::net::Ipv4Addr::new(10, 0, 0, 1));
        }
        #[test]
        fn any_bytes(b in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = mamori_agent::linux::parse_wtmp(&b);
            let _ = mamori_agent::linux::parse_lastlog(&b);
        }
    }
}

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// This machine: exactly the packages dpkg-query shows installed, the accounts of getent passwd, the
/// listening ports of ss.
#[test]
fn this_machine_matches_the_systems_own_tools() {
    let inv = mamori_agent::collect();
    if let Some(q) = run(
        "dpkg-query",
        &["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"],
    ) {
        let want: BTreeSet<(String, String)> = q
            .lines()
            .filter(|l| l.starts_with("ii"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Some((f.get(1)?.to_string(), f.get(2)?.to_string()))
            })
            .collect();
        let got: BTreeSet<(String, String)> = inv
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got, want);
        assert!(!got.is_empty());
    } else {
        println!("SKIP: dpkg-query is not here; packages not compared");
    }
    if let Some(p) = run("getent", &["passwd"]) {
        // getent also lists network accounts (NSS); every local account must be among them.
        let names: BTreeSet<&str> = p.lines().filter_map(|l| l.split(':').next()).collect();
        assert!(inv.accounts.iter().all(|a| names.contains(a.name.as_str())));
        assert!(inv.accounts.iter().any(|a| a.uid == 0));
    } else {
        println!("SKIP: getent is not here; accounts not compared");
    }
    // Sockets come and go: compare (protocol, port) and allow a few tries.
    let ports = |l: &[mamori_agent::Listener]| -> BTreeSet<(String, u16)> {
        l.iter().map(|l| (l.protocol.clone(), l.port)).collect()
    };
    let mut agreed = false;
    for _ in 0..5 {
        let Some(ss) = run("ss", &["-ltnuH"]) else {
            println!("SKIP: ss is not here; listening ports not compared");
            agreed = true;
            break;
        };
        let want: BTreeSet<(String, u16)> = ss
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let port = f.get(4)?.rsplit(':').next()?.parse().ok()?;
                Some((f.first()?.to_string(), port))
            })
            .collect();
        if ports(&mamori_agent::collect().listeners) == want {
            agreed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(agreed, "listening ports differ from ss -ltnu");
    assert!(!inv.hostname.is_empty() && !inv.kernel.is_empty());
    // The file is JSON that reads back as itself.
    let json = serde_json::to_string(&inv).unwrap();
    assert_eq!(
        serde_json::from_str::<mamori_agent::Inventory>(&json).unwrap(),
        inv
    );
}

const FIB_TRIE: &str = "Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.168.10.0/24 2 0 2
        |-- 192.168.10.0
           /24 link UNICAST
        |-- 192.168.10.23
           /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
        |-- 192.168.10.23
           /32 host LOCAL
";

const ROUTE: &str =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010AA8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
";

const IF_INET6: &str = "fe800000000000000211223344556677 02 40 20 80     eth0
20010db8000000000000000000000017 02 40 00 00     eth0
00000000000000000000000000000001 01 80 10 80       lo
";

#[test]
fn addresses_from_proc() {
    use mamori_agent::linux::{interface_of, parse_fib_trie, parse_if_inet6};
    assert_eq!(parse_fib_trie(FIB_TRIE), ["192.168.10.23"]);
    assert_eq!(
        interface_of(ROUTE, "192.168.10.23".parse().unwrap()).as_deref(),
        Some("eth0")
    );
    assert_eq!(interface_of(ROUTE, "10.1.1.1".parse().unwrap()), None);
    assert_eq!(
        parse_if_inet6(IF_INET6),
        [("eth0".to_string(), "2001:db8::17".to_string())]
    );
}

/// A utmp record as glibc writes it on x86_64 (384 bytes).
fn utmp(kind: i16, user: &str, secs: i32) -> Vec<u8> {
    let mut r = vec![0u8; 384];
    r[0..2].copy_from_slice(&kind.to_le_bytes());
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r[340..344].copy_from_slice(&secs.to_le_bytes());
    r
}

#[test]
fn last_logins_from_wtmp_and_lastlog() {
    use mamori_agent::linux::{parse_lastlog, parse_wtmp, rfc3339};
    let mut wtmp = utmp(7, "yamada", 1_700_000_000);
    wtmp.extend(utmp(8, "yamada", 1_800_000_000)); // DEAD_PROCESS: a logout, not a login
    wtmp.extend(utmp(7, "yamada", 1_710_000_000));
    wtmp.extend(utmp(2, "reboot", 1_720_000_000)); // BOOT_TIME
    wtmp.extend([1, 2, 3]); // a torn last record
    assert_eq!(parse_wtmp(&wtmp), [("yamada".to_string(), 1_710_000_000)]);
    let mut lastlog = vec![0u8; 292 * 1001];
    lastlog[292 * 1000..292 * 1000 + 4].copy_from_slice(&1_600_000_000u32.to_le_bytes());
    assert_eq!(parse_lastlog(&lastlog), [(1000, 1_600_000_000)]);
    assert_eq!(rfc3339(1_710_000_000), "2024-03-09T16:00:00Z");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
}

#[test]
fn rpm_list_serial_placeholders_and_services() {
    use mamori_agent::linux::{parse_rpm_list, real_serial, services};
    let p = parse_rpm_list("openssl\t3.0.7-27.el9\nbash\t5.1.8-9.el9\n\nbroken line\n");
    assert_eq!(
        p.iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.source))
            .collect::<Vec<_>>(),
        ["bash 5.1.8-9.el9 rpm", "openssl 3.0.7-27.el9 rpm"]
    );
    assert_eq!(real_serial("To Be Filled By O.E.M.\n"), None);
    assert_eq!(real_serial("0000000"), None);
    assert_eq!(real_serial(" 5CG1234XYZ\n").as_deref(), Some("5CG1234XYZ"));
    let s = services(
        &["ssh.service".into(), "cron.service".into()],
        &["cron.service".into(), "systemd-journald.service".into()],
    );
    let shown: Vec<String> = s
        .iter()
        .map(|s| format!("{} {} {}", s.name, s.start, s.running))
        .collect();
    assert_eq!(
        shown,
        [
            "cron.service enabled true",
            "ssh.service enabled false",
            "systemd-journald.service  true"
        ]
    );
}

/// A whole fixture tree: what `collect` reads from it.
#[test]
fn a_fixture_tree_collected() {
    let root = tempfile::tempdir().unwrap();
    let put = |path: &str, data: &[u8]| {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    put(
        "etc/os-release",
        b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    put("etc/debian_version", b"12.8\n");
    put("etc/hostname", b"srv-01\n");
    put("etc/machine-id", b"0123456789abcdef0123456789abcdef\n");
    put("proc/sys/kernel/osrelease", b"6.1.0-28-amd64\n");
    put("sys/class/net/eth0/address", b"52:54:00:12:34:56\n");
    put("sys/class/dmi/id/product_serial", b"5CG1234XYZ\n");
    put("proc/net/fib_trie", FIB_TRIE.as_bytes());
    put("proc/net/route", ROUTE.as_bytes());
    put("proc/net/if_inet6", IF_INET6.as_bytes());
    put("var/lib/dpkg/status", STATUS.as_bytes());
    put(
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/bash\nyamada:x:1000:1000::/home/yamada:/bin/bash\n",
    );
    put("etc/group", b"sudo:x:27:yamada\n");
    put(
        "etc/systemd/system/multi-user.target.wants/ssh.service",
        b"",
    );
    put(
        "sys/fs/cgroup/system.slice/cron.service/cgroup.procs",
        b"1\n",
    );
    let mut wtmp = utmp(7, "yamada", 1_710_000_000);
    wtmp.extend(utmp(7, "root", 1_700_000_000));
    put("var/log/wtmp", &wtmp);
    let inv = mamori_agent::linux::collect(root.path());
    assert_eq!(inv.platform, "linux");
    assert_eq!(
        (inv.os_version.as_str(), inv.os_build.as_str()),
        ("12", "12.8")
    );
    assert_eq!(inv.serial, "5CG1234XYZ");
    assert_eq!(inv.interfaces.len(), 1);
    assert_eq!(inv.interfaces[0].ips, ["192.168.10.23", "2001:db8::17"]);
    assert_eq!(inv.packages.len(), 2);
    let logins: Vec<(String, Option<String>)> = inv
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.last_login.clone()))
        .collect();
    assert_eq!(
        logins,
        [
            ("root".to_string(), Some("2023-11-14T22:13:20Z".to_string())),
            (
                "yamada".to_string(),
                Some("2024-03-09T16:00:00Z".to_string())
            )
        ]
    );
    let services: Vec<(String, bool)> = inv
        .services
        .iter()
        .map(|s| (s.name.clone(), s.running))
        .collect();
    assert_eq!(
        services,
        [
            ("cron.service".to_string(), true),
            ("ssh.service".to_string(), false)
        ]
    );
    assert_eq!(inv.admins, ["sudo: yamada"]);
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
}
