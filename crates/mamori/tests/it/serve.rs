//! `mamori serve`: health, answers, SIGTERM, and acknowledged writes surviving SIGKILL.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::*;

#[test]
fn serve_answers_healthcheck_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let down = mamori()
        .args(["healthcheck", "--listen", &listen])
        .output()
        .unwrap();
    assert!(!down.status.success());
    assert!(String::from_utf8_lossy(&down.stderr).contains("接続できません"));

    let mut server = mamori()
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", &listen])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        if mamori()
            .args(["healthcheck", "--listen", &listen])
            .output()
            .unwrap()
            .status
            .success()
        {
            healthy = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(healthy, "server did not come up");
    assert!(db.exists(), "the SQLite file is created on first run");
    #[cfg(unix)]
    {
        Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        let status = server.wait().unwrap();
        assert!(status.success(), "graceful shutdown on SIGTERM");
    }
    #[cfg(not(unix))]
    server.kill().unwrap();
}

/// A minimal HTTP/1.1 request over loopback (no client library needed): status code, or None when the
/// connection fails or is cut.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, String)> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let code = resp.get(9..12)?.parse().ok()?;
    Some((
        code,
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default(),
    ))
}

pub(crate) fn start_server(db: &str, listen: &str) -> std::process::Child {
    let mut child = mamori()
        .args(["serve", "--db", db, "--listen", listen])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if mamori()
            .args(["healthcheck", "--listen", listen])
            .output()
            .unwrap()
            .status
            .success()
        {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not come up");
}

/// Concurrent writers, the server SIGKILLed mid-load, restarted: every write that got a 2xx is there, and
/// the audit chain verifies.
#[cfg(unix)]
#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let token = String::from_utf8(
        mamori()
            .args(["token", "create", "--db", db, "--user", "admin"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let token = token.trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = start_server(db, &addr);

    // 令和7年度版 is answered in whatever fiscal year it is now: date today, 目標日 not needed for はい.
    let today = chrono::Utc::now().date_naive().to_string();
    let rows = ["1.1", "2.1", "2.3", "2.6", "2.7", "2.8", "3.1", "3.2"];
    let acked: Vec<_> = rows
        .iter()
        .map(|key| {
            let (addr, token, today) = (addr.clone(), token.clone(), today.clone());
            let item = format!("r7.pharmacy.{key}");
            std::thread::spawn(move || {
                let mut last_acked = None;
                for n in 0..10_000u32 {
                    let body = format!(r#"[{{"item":"{item}","answer":"yes","checked_on":"{today}","note":"w{n}"}}]"#);
                    match http(&addr, "PUT", "/api/v1/checklists/r7/pharmacy/answers", &token, &body) {
                        Some((200, _)) => last_acked = Some(n),
                        Some((code, text)) => panic!("{item}: unexpected {code}: {text}"),
                        None => break,
                    }
                }
                (item, last_acked)
            })
        })
        .collect();
    // Ledger writers: each import adds one account; every acknowledged one must survive.
    let ledger_writers: Vec<_> = (0..2)
        .map(|t| {
            let (addr, token) = (addr.clone(), token.clone());
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for n in 0..10_000u32 {
                    let body = format!("ユーザID,状態\r\nw{t}-{n},使用可\r\n");
                    match http(
                        &addr,
                        "POST",
                        "/api/v1/ledgers/accounts/import",
                        &token,
                        &body,
                    ) {
                        Some((200, _)) => acked.push(format!("w{t}-{n}")),
                        Some((code, text)) => panic!("ledger import: unexpected {code}: {text}"),
                        None => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();
    let acked: Vec<(String, Option<u32>)> = acked.into_iter().map(|t| t.join().unwrap()).collect();
    let ledger_acked: Vec<String> = ledger_writers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(!ledger_acked.is_empty(), "some ledger imports got through");
    assert!(
        acked.iter().all(|(_, n)| n.is_some()),
        "every writer got some writes through: {acked:?}"
    );

    let mut server = start_server(db, &addr);
    let (code, body) = http(
        &addr,
        "GET",
        "/api/v1/checklists/r7/pharmacy/answers",
        &token,
        "",
    )
    .unwrap();
    assert_eq!(code, 200);
    let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
    for (item, last) in &acked {
        let row = stored["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["item"] == item.as_str())
            .unwrap_or_else(|| panic!("{item} lost"));
        let n: u32 = row["note"]
            .as_str()
            .unwrap()
            .trim_start_matches('w')
            .parse()
            .unwrap();
        // The stored write is the last acknowledged one, or one later whose reply the kill cut off.
        assert!(
            n >= last.unwrap() && n <= last.unwrap() + 1,
            "{item}: stored w{n}, last acknowledged w{}",
            last.unwrap()
        );
    }
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();
    let v = mamori()
        .args(["audit", "verify", "--db", db])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let out = dir.path().join("accounts.csv");
    let e = mamori()
        .args([
            "export", "ledger", "--db", db, "--kind", "accounts", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(e.status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    for id in &ledger_acked {
        assert!(
            csv.contains(&format!(",{id},")),
            "acknowledged ledger row {id} lost"
        );
    }
    eprintln!(
        "acknowledged ledger imports before SIGKILL: {}",
        ledger_acked.len()
    );
    eprintln!(
        "acknowledged writes per row before SIGKILL: {:?}",
        acked
            .iter()
            .map(|(_, n)| n.unwrap() + 1)
            .collect::<Vec<_>>()
    );
}

/// `mamori service …` is for Windows: elsewhere it says so (and where the Linux way is) and fails.
#[cfg(not(windows))]
#[test]
fn service_commands_say_they_are_for_windows() {
    for args in [
        &["service", "status"][..],
        &["service", "install", "--backup-dir", "/tmp/x"],
        &["service", "run"],
    ] {
        let out = crate::helpers::mamori().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("Windows でだけ使えます") && err.contains("systemd"),
            "{err}"
        );
    }
}

/// `mamori` alone (a double click on mamori.exe) says how to start instead of clap's English usage.
#[test]
fn without_a_command_it_says_how_to_start() {
    let out = crate::helpers::mamori().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mamori serve") && text.contains("service install"),
        "{text}"
    );
}
