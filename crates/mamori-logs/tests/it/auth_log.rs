//! Linux authentication logs: logons equal a plain count, syslog line forms, the year turning, break-ins and spraying.

use chrono::{TimeZone, Utc};
use mamori_logs::event::Kind;
use mamori_logs::{Options, Report, syslog};
use std::collections::BTreeMap;

use crate::helpers::*;

/// Accepted / Failed password lines counted by plain string scanning.
#[test]
fn auth_log_logons_equal_a_plain_count() {
    let Some(dir) = shared("syslog") else {
        println!("SKIP: ../shared/data/syslog is not here; auth-log counts not compared");
        return;
    };
    for file in files_in(&dir, "log") {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for line in text.lines() {
            let Some(i) = line.find(": ") else { continue };
            if !line[..i].contains(" sshd[") {
                continue;
            }
            let mut msg = &line[i + 2..];
            // 「message repeated 5 times: [ Failed password …]」 is five lines.
            let mut times = 1;
            if let Some(rest) = msg.strip_prefix("message repeated ") {
                let (n, inner) = rest.split_once(" times: [ ").unwrap();
                times = n.parse().unwrap();
                msg = inner.trim_end_matches(']');
            }
            let words: Vec<&str> = msg.split(' ').collect();
            if msg.starts_with("Accepted ") {
                want.entry(words[3].to_string()).or_default().0 += times;
            } else if let Some(rest) = msg.strip_prefix("Failed password for invalid user ") {
                // sshd prints the name as sent: 「invalid user  0101 from」 is the user 0101.
                let user = rest.rsplit_once(" from ").unwrap().0.trim();
                want.entry(user.to_string()).or_default().1 += times;
            } else if msg.starts_with("Failed password for ") {
                want.entry(words[3].to_string()).or_default().1 += times;
            }
        }
        let r = run(
            std::slice::from_ref(&file),
            &Options {
                year: 2015,
                ..Options::at(&mamori_core::Clock::system())
            },
        );
        let got: BTreeMap<String, (u64, u64)> = r
            .logons
            .iter()
            .map(|l| (l.account.clone(), (l.success, l.failure)))
            .collect();
        assert_eq!(got, want, "{}", file.display());
        assert_eq!(
            r.files[0].records as usize,
            text.lines().count(),
            "every line read: {:?}",
            r.files[0].errors
        );
    }
}

#[test]
fn syslog_line_forms() {
    let l = syslog::parse_line(
        "Jun  9 06:06:20 combo sshd(pam_unix)[19939]: check pass; user unknown",
        2024,
        jst(),
    )
    .unwrap();
    assert_eq!(
        (l.host, l.program, l.pid, l.message),
        (
            "combo",
            "sshd(pam_unix)",
            Some("19939"),
            "check pass; user unknown"
        )
    );
    assert_eq!(
        l.time,
        Some(Utc.with_ymd_and_hms(2024, 6, 8, 21, 6, 20).unwrap())
    );
    let l = syslog::parse_line("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8", 1999, jst()).unwrap();
    assert_eq!(
        (l.host, l.program, l.pid),
        ("mymachine.example.com", "su", None)
    );
    assert_eq!(l.message, "'su root' failed for lonvick on /dev/pts/8");
    let l = syslog::parse_line(r#"<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application \] x"][b@1 c="d"] An application event"#, 1999, jst()).unwrap();
    assert_eq!(l.message, "An application event");
    let l = syslog::parse_line("2024-01-15T10:00:00.123456+09:00 srv sshd[77]: Accepted publickey for yamada from 192.168.1.5 port 50000 ssh2", 1999, jst()).unwrap();
    assert_eq!(
        l.time,
        Some(
            Utc.with_ymd_and_hms(2024, 1, 15, 1, 0, 0).unwrap()
                + chrono::Duration::microseconds(123456)
        )
    );
    let e = syslog::event_of(&l).unwrap();
    assert_eq!(
        (e.kind, e.account.as_str(), e.source.as_str()),
        (Kind::LogonSuccess, "yamada", "192.168.1.5")
    );
    let l =
        syslog::parse_line("Jun 19 04:09:11 combo syslogd 1.4.1: restart.", 2005, jst()).unwrap();
    assert_eq!(l.program, "syslogd");
    let l = syslog::parse_line("Jan  5 10:00:00 srv sudo:   yamada : TTY=pts/0 ; PWD=/home/yamada ; USER=root ; COMMAND=/usr/bin/apt upgrade", 2024, jst()).unwrap();
    let e = syslog::event_of(&l).unwrap();
    assert_eq!(
        e.kind,
        Kind::Sudo {
            command: "/usr/bin/apt upgrade".into()
        }
    );
    assert_eq!(e.account, "yamada");
    assert!(syslog::parse_line("ユーザID,日時", 2024, jst()).is_none());
    assert!(
        syslog::parse_line("Feb 30 10:00:00 h p: x", 2024, jst()).is_none(),
        "no such day"
    );
}

#[test]
fn the_year_turns_in_a_log_from_december_to_january() {
    let mut r = syslog::Reader::new(2024, jst());
    let dec = r.line("Dec 31 23:59:59 h sshd[1]: x").unwrap();
    let jan = r.line("Jan  1 00:00:01 h sshd[1]: y").unwrap();
    assert_eq!(dec.time.unwrap().to_string(), "2024-12-31 14:59:59 UTC");
    assert_eq!(jan.time.unwrap().to_string(), "2024-12-31 15:00:01 UTC");
}

pub(crate) fn finding<'a>(r: &'a Report, kind: &str) -> &'a mamori_logs::Finding {
    r.findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind}: {:?}", kinds(r)))
}

#[test]
fn auth_log_after_a_break_in_shows_the_login_and_what_came_next() {
    let r = run(
        &[fixture("auth-after-break-in.log")],
        &Options {
            year: 2025,
            ..Options::at(&mamori_core::Clock::system())
        },
    );
    // 「message repeated 5 times」 is five failures: 1 + 5 for admin, 1 for oracle.
    let admin = r.logons.iter().find(|l| l.account == "admin").unwrap();
    assert_eq!((admin.success, admin.failure), (1, 6));
    // The login from the address that was guessing passwords: high, of its own.
    let hit = finding(&r, "success_after_attack_source");
    assert_eq!(hit.severity, "high");
    assert_eq!(
        (hit.account.as_str(), hit.source.as_str()),
        ("admin", "203.0.113.9")
    );
    assert!(hit.message.contains("最も重要な行"), "{}", hit.message);
    // yamada's key login from the office network is not one.
    assert!(
        !r.findings
            .iter()
            .any(|f| f.kind == "success_after_attack_source" && f.account == "yamada")
    );
    let k = kinds(&r);
    for want in [
        ("account_created", "backup2", ""),
        ("privileged_group_change", "backup2", "sudo"),
        ("privileged_group_change", "www-data", "wheel"),
        ("privileged_group_change", "backup2", "admin"),
        ("privileged_group_change", "yamada", "sudo"),
        ("group_created", "ops", ""),
        ("password_changed", "backup2", ""),
        ("account_renamed", "tanaka", ""),
        ("account_deleted", "sato", ""),
    ] {
        assert!(
            k.contains(&(want.0, want.1.to_string(), want.2.to_string())),
            "{want:?} in {k:?}"
        );
    }
    // The shadow-group line repeats the group line and useradd's own per-user group is not a finding.
    let sudo = r
        .findings
        .iter()
        .find(|f| {
            f.kind == "privileged_group_change" && f.account == "backup2" && f.source == "sudo"
        })
        .unwrap();
    assert_eq!(sudo.count, 1);
    assert!(
        !k.iter()
            .any(|(kind, a, _)| *kind == "group_created" && a == "backup2")
    );
    let created = finding(&r, "account_created");
    assert_eq!(created.items, ["unused_accounts", "access_rights"]);
    assert!(
        !created.message.contains("操作したアカウント「」"),
        "{}",
        created.message
    );
    let renamed = finding(&r, "account_renamed");
    assert!(
        renamed.message.contains("tanaka_old"),
        "{}",
        renamed.message
    );
}

#[test]
fn many_addresses_each_trying_one_name_are_one_finding() {
    let mut log = String::new();
    for i in 0..120 {
        log.push_str(&format!(
            "Jun  3 03:{:02}:{:02} srv sshd[{}]: Invalid user guest{i} from 198.51.100.{} port 5{i:04}\n",
            i / 60,
            i % 60,
            7000 + i,
            i + 1
        ));
    }
    // One address tries three times more: it leads the list.
    for s in 0..3 {
        log.push_str(&format!(
            "Jun  3 04:00:0{s} srv sshd[8000]: Invalid user test from 198.51.100.1 port 6000{s}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("auth.log");
    std::fs::write(&p, log).unwrap();
    let r = run(
        &[p],
        &Options {
            year: 2025,
            ..Options::at(&mamori_core::Clock::system())
        },
    );
    let invalid: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind == "ssh_invalid_user")
        .collect();
    assert_eq!(invalid.len(), 1, "{:?}", kinds(&r));
    let f = invalid[0];
    assert_eq!(f.count, 123);
    assert_eq!(f.source, "198.51.100.1 ほか119か所");
    assert!(
        f.message
            .contains("接続元 120か所（多い順）: 198.51.100.1（4件）、"),
        "{}",
        f.message
    );
    assert!(f.message.contains("ほか110か所"), "{}", f.message);
    let at = |h, m, s| {
        jst()
            .with_ymd_and_hms(2025, 6, 3, h, m, s)
            .unwrap()
            .to_utc()
    };
    assert_eq!((f.first, f.last), (Some(at(3, 0, 0)), Some(at(4, 0, 2))));
}
