//! The command line as a user runs it: init, token, export, serve and healthcheck.

use std::io::Write;
use std::process::{Command, Stdio};

fn mamori() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mamori"))
}

fn init(db: &str, password: &str) -> std::process::Output {
    let mut child = mamori()
        .args([
            "init",
            "--db",
            db,
            "--org-kind",
            "pharmacy",
            "--org-name",
            "さくら薬局",
            "--admin",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn init_token_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();

    let weak = init(db, "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("パスワードは8文字以上"));
    let common = init(db, "P@ssw0rd!");
    assert!(!common.status.success());
    assert!(String::from_utf8_lossy(&common.stderr).contains("よく使われるパスワード"));

    let ok = init(db, "Sakura#2025!");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("薬局「さくら薬局」"));
    let again = init(db, "Sakura#2025!");
    assert!(String::from_utf8_lossy(&again.stderr).contains("初期設定はすでに完了しています"));

    let token = mamori()
        .args(["token", "create", "--db", db, "--user", "admin"])
        .output()
        .unwrap();
    assert!(token.status.success());
    let t = String::from_utf8(token.stdout).unwrap();
    assert_eq!(t.trim().len(), 64);
    let none = mamori()
        .args(["token", "create", "--db", db, "--user", "nobody"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&none.stderr).contains("「nobody」の利用者がいません"));

    // A viewer added by the administrator may not get an editor token.
    let mut add = mamori()
        .args([
            "user",
            "add",
            "--db",
            db,
            "--login",
            "suzuki",
            "--role",
            "viewer",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"Kusuri#Desk7!\n")
        .unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&added.stdout).contains("利用者 suzuki（閲覧者）を追加しました"),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let over = mamori()
        .args([
            "token", "create", "--db", db, "--user", "suzuki", "--role", "editor",
        ])
        .output()
        .unwrap();
    assert!(!over.status.success());
    assert!(
        String::from_utf8_lossy(&over.stderr)
            .contains("閲覧者の利用者に編集者のトークンは発行できません")
    );
    let bad_role = mamori()
        .args([
            "token", "create", "--db", db, "--user", "suzuki", "--role", "root",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("権限「root」はありません"));

    // Issue 23 (7): list and revoke tokens; disable, enable, reset a password, sign out, from the CLI.
    let listed = run_ok(&["token", "list", "--db", db]);
    assert!(
        listed.contains("admin") && listed.contains("有効"),
        "{listed}"
    );
    let id = listed
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let revoked = run_ok(&["token", "revoke", "--db", db, "--id", &id]);
    assert!(revoked.contains(&format!("トークン {id} を取り消しました")));
    assert!(run_ok(&["token", "list", "--db", db]).contains("取り消し済み"));
    let again = mamori()
        .args(["token", "revoke", "--db", db, "--id", &id])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("取り消し済みか"));
    assert!(
        run_ok(&["user", "disable", "--db", db, "--login", "suzuki"]).contains("無効にしました")
    );
    assert!(
        run_ok(&["user", "enable", "--db", db, "--login", "suzuki"]).contains("有効に戻しました")
    );
    assert!(run_ok(&["user", "sign-out", "--db", db, "--login", "suzuki"]).contains("0 件終了"));
    let mut reset = mamori()
        .args([
            "user",
            "reset-password",
            "--db",
            db,
            "--login",
            "suzuki",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reset
        .stdin
        .take()
        .unwrap()
        .write_all(b"Kusuri#Desk8!\n")
        .unwrap();
    let reset = reset.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&reset.stdout).contains("パスワードを再設定しました"),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let last_admin = mamori()
        .args(["user", "disable", "--db", db, "--login", "admin"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&last_admin.stderr).contains("最後の管理者は無効にできません"));

    let out = dir.path().join("r7.xlsx");
    let export = mamori()
        .args([
            "export",
            "checklist",
            "--db",
            db,
            "--edition",
            "r7",
            "--variant",
            "pharmacy",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let range = wb.worksheet_range("チェックリスト").unwrap();
    assert_eq!(range.get((2, 0)).unwrap().to_string(), "施設名：さくら薬局");
    assert!(
        range
            .get((0, 0))
            .unwrap()
            .to_string()
            .starts_with("薬局におけるサイバーセキュリティ対策チェックリスト")
    );

    let bad = mamori()
        .args([
            "export",
            "checklist",
            "--db",
            db,
            "--edition",
            "r9",
            "--variant",
            "pharmacy",
            "--out",
            "x.xlsx",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("版「r9」はありません"));
}

#[test]
fn audit_verify_names_the_tampered_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    for _ in 0..2 {
        assert!(
            mamori()
                .args(["token", "create", "--db", db, "--user", "admin"])
                .output()
                .unwrap()
                .status
                .success()
        );
    }
    let ok = mamori()
        .args(["audit", "verify", "--db", db])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("監査記録 7 件の連鎖は正常です"));

    // Edit record 3 behind Mamori's back, with SQLite's own tooling (through sqlx here).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        pool.execute("UPDATE audit_log SET after_json = '{\"user\":\"mallory\"}' WHERE id = 3")
            .await
            .unwrap();
        pool.close().await;
    });
    let bad = mamori()
        .args(["audit", "verify", "--db", db])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("監査記録 3 番") && err.contains("改ざんの疑い"),
        "{err}"
    );
}

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

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let backups = dir.path().join("bk");
    let b = mamori()
        .args(["backup", "--db", db, "--dir", backups.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(String::from_utf8_lossy(&b.stdout).contains("バックアップを作成しました"));
    let list = mamori()
        .args(["restore", "--dir", backups.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    let generation = text
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let target = dir.path().join("restored.db");
    let r = mamori()
        .args([
            "restore",
            "--dir",
            backups.to_str().unwrap(),
            "--generation",
            &generation,
            "--db",
            target.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v = mamori()
        .args(["audit", "verify", "--db", target.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).contains("監査記録 5 件の連鎖は正常です"));
}

/// A minimal HTTP/1.1 request over loopback (no client library needed): status code, or None when the
/// connection fails or is cut.
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
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

fn start_server(db: &str, listen: &str) -> std::process::Child {
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

fn run_ok(args: &[&str]) -> String {
    let out = mamori().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every cell of the first sheet of an xlsx file, as text.
fn xlsx_cells(path: &std::path::Path) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn ledger_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let csv = "No.,所属部署,姓,名,電話番号,ユーザID,説明,権限,状態,退職日\r\n\
               001,薬局,山田,太郎,0312345678,yamada,管理薬剤師,Admin,使用可,\r\n\
               002,薬局,佐藤,花子,,sato,薬剤師,User,使用可,令和7年3月31日\r\n";
    let sjis = dir.path().join("accounts-sjis.csv");
    std::fs::write(&sjis, encoding_rs::SHIFT_JIS.encode(csv).0).unwrap();

    // A bad file: nothing imported, every problem named.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        csv.replace("使用可,\r\n", "休憩,\r\n")
            .replace("令和7年3月31日", "いつか"),
    )
    .unwrap();
    let out = mamori()
        .args(["import", "ledger", "--db", db, "--kind", "accounts"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2行目「状態」列: 「休憩」は選べません"),
        "{err}"
    );
    assert!(
        err.contains("3行目「退職日」列: 日付「いつか」を読み取れません"),
        "{err}"
    );
    assert!(
        err.contains("2 件の誤りがあるため、何も取り込みませんでした"),
        "{err}"
    );

    let out = run_ok(&[
        "import",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        sjis.to_str().unwrap(),
    ]);
    assert!(out.contains("文字コード: Shift_JIS（CP932）"), "{out}");
    assert!(out.contains("追加 2 行、更新 0 行、変更なし 0 行"), "{out}");
    let out = run_ok(&[
        "import",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        sjis.to_str().unwrap(),
    ]);
    assert!(
        out.contains("追加 0 行、更新 0 行、変更なし 2 行"),
        "importing twice adds nothing"
    );

    // xlsx round trip: export, import into an empty facility, export again: identical cells.
    let first = dir.path().join("first.xlsx");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        "--out",
        first.to_str().unwrap(),
    ]);
    let db2 = dir.path().join("m2.db");
    let db2 = db2.to_str().unwrap();
    assert!(init(db2, "Sakura#2025!").status.success());
    run_ok(&[
        "import",
        "ledger",
        "--db",
        db2,
        "--kind",
        "accounts",
        first.to_str().unwrap(),
    ]);
    let second = dir.path().join("second.xlsx");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db2,
        "--kind",
        "accounts",
        "--out",
        second.to_str().unwrap(),
    ]);
    let cells = xlsx_cells(&first);
    assert_eq!(cells, xlsx_cells(&second));
    assert_eq!(cells[1][0], "001");
    assert_eq!(
        cells[1][5], "0312345678",
        "phone numbers keep their leading zero"
    );
    assert!(cells.iter().any(|r| r.contains(&"2025-03-31".to_string())));

    // CSV export in CP932 reads back as the same rows.
    let out_csv = dir.path().join("out.csv");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        "--out",
        out_csv.to_str().unwrap(),
        "--encoding",
        "cp932",
    ]);
    let bytes = std::fs::read(&out_csv).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "written as CP932");
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(
        text.starts_with("No.,システム,所属部署,姓,名,電話番号,ユーザID"),
        "{text}"
    );
    assert!(text.contains("佐藤"));

    let out = mamori()
        .args(["import", "ledger", "--db", db, "--kind", "printers"])
        .arg(&sjis)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("台帳の種類「printers」はありません"));
}

/// A filled workbook imported from the command line: a dry run saves nothing, the import saves every
/// answer, the facility's export then reads into an empty facility and exports the same cells; a workbook
/// breaking the form's rules saves nothing and names the cell.
#[test]
fn checklist_import_from_the_command_line() {
    use mamori_core::{Answer, AnswerSet, Catalog, Choice, FiscalYear, Target, Variant};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    // Today's fiscal year, whatever the date: the CLI checks against the real clock.
    let today = chrono::Utc::now().date_naive();
    let fy = FiscalYear::containing(today);
    let catalog = Catalog::builtin().unwrap();
    let edition = catalog.edition_for(fy).unwrap().edition;
    let form = catalog.form(&edition, Variant::Pharmacy).unwrap();
    let workbook = |answers: Vec<Answer>| {
        mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
            catalog: &catalog,
            form,
            org_name: "さくら薬局",
            answers: &AnswerSet::new(answers),
            has_vendor_contract: true,
            fiscal_year: fy,
            created_on: today,
        })
        .unwrap()
    };
    let gate = form.items.iter().find(|i| i.gate).unwrap();
    let officer = form.items.iter().find(|i| i.topic == "officer").unwrap();
    let answer = |item: &mamori_core::Item, choice, target_date| Answer {
        item: item.id.clone(),
        target: Target::General,
        round: 1,
        answer: choice,
        checked_on: today,
        target_date,
        note: String::new(),
    };
    let good = dir.path().join("filled.xlsx");
    std::fs::write(
        &good,
        workbook(vec![
            answer(gate, Choice::Yes, None),
            // Against the ledgers' はい (an officer is set): the note says why.
            Answer {
                note: "責任者の交代を予定".into(),
                ..answer(officer, Choice::No, Some(fy.last_day()))
            },
        ]),
    )
    .unwrap();
    let args = |db: &str, file: &std::path::Path, dry: bool| {
        let mut a = vec![
            "import".to_string(),
            "checklist".into(),
            "--db".into(),
            db.into(),
            "--edition".into(),
            edition.clone(),
            "--variant".into(),
            "pharmacy".into(),
            "--user".into(),
            "admin".into(),
        ];
        if dry {
            a.push("--dry-run".into());
        }
        a.push(file.to_str().unwrap().into());
        a
    };
    let a = args(db, &good, true);
    let out = run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("2 件の回答を確認しました（--dry-run"), "{out}");
    let a = args(db, &good, false);
    let out = run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("2 件の回答を保存しました"), "{out}");

    let export = |db: &str, name: &str| {
        let path = dir.path().join(name);
        run_ok(&[
            "export",
            "checklist",
            "--db",
            db,
            "--edition",
            &edition,
            "--variant",
            "pharmacy",
            "--out",
            path.to_str().unwrap(),
        ]);
        path
    };
    let first = export(db, "first.xlsx");
    let db2 = dir.path().join("m2.db");
    let db2 = db2.to_str().unwrap();
    assert!(init(db2, "Sakura#2025!").status.success());
    let a = args(db2, &first, false);
    run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let second = export(db2, "second.xlsx");
    assert_eq!(xlsx_cells(&first), xlsx_cells(&second));
    assert!(
        xlsx_cells(&second)
            .iter()
            .flatten()
            .any(|c| c.starts_with("いいえ\n") && c.contains("目標日"))
    );

    // いいえ without a 目標日: nothing saved, the cell named.
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(
        &bad,
        workbook(vec![Answer {
            note: "交代予定".into(),
            ..answer(officer, Choice::No, None)
        }]),
    )
    .unwrap();
    let a = args(db2, &bad, false);
    let out = mamori().args(&a).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("「1回目」列:") && err.contains("目標日"),
        "{err}"
    );
    assert!(
        err.contains("1 件の誤りがあるため、何も保存しませんでした"),
        "{err}"
    );
}

/// `export pack` writes the inspection pack as PDF; `export checklist` writes a PDF for a .pdf name.
#[test]
fn pack_and_checklist_pdf_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let pack = dir.path().join("pack.pdf");
    let out = run_ok(&[
        "export",
        "pack",
        "--db",
        db,
        "--out",
        pack.to_str().unwrap(),
    ]);
    assert!(out.contains("ページ"), "{out}");
    assert!(std::fs::read(&pack).unwrap().starts_with(b"%PDF-"));
    let form = dir.path().join("form.pdf");
    run_ok(&[
        "export",
        "checklist",
        "--db",
        db,
        "--edition",
        "r7",
        "--variant",
        "pharmacy",
        "--out",
        form.to_str().unwrap(),
    ]);
    let Ok(text) = Command::new("pdftotext").arg(&form).arg("-").output() else {
        println!("SKIP: pdftotext (poppler-utils) is not installed");
        return;
    };
    let text: String = String::from_utf8_lossy(&text.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        text.contains("薬局確認用") && text.contains("施設名：さくら薬局"),
        "{text}"
    );
    let bad = mamori()
        .args(["export", "pack", "--db", db, "--edition", "r9", "--out"])
        .arg(dir.path().join("x.pdf"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("版「r9」はありません"));
}

/// `agent collect` writes this machine's inventory as JSON.
#[test]
fn agent_collect_writes_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inventory.json");
    let said = run_ok(&["agent", "collect", "--out", out.to_str().unwrap()]);
    assert!(said.contains("に書き出しました"), "{said}");
    let inv: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(inv["format"], 1);
    assert!(inv["packages"].is_array() && inv["accounts"].is_array());
}

/// `import inventory`: this machine's inventory into the 機器台帳 twice is one device with nothing new the
/// second time; a truncated file is refused in Japanese and changes nothing.
#[test]
fn inventory_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let inv = dir.path().join("inventory.json");
    run_ok(&["agent", "collect", "--out", inv.to_str().unwrap()]);
    let inv = inv.to_str().unwrap();
    let first = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(first.contains("を登録しました"), "{first}");
    let second = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(second.contains("変更はありません"), "{second}");
    let bytes = std::fs::read(inv).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = mamori()
        .args(["import", "inventory", "--db", db])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("途中で切れていないか"));
    let third = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(
        third.contains("変更はありません"),
        "the refused file changed nothing: {third}"
    );
}

/// `logs analyze`: the documented JSON (files, event_counts, logons, findings), the staff ledger's retired
/// accounts, thresholds from the command line, text output in Japanese, and a missing file named.
#[test]
fn logs_analyze_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.log");
    let mut text = String::new();
    for i in 5..9 {
        text.push_str(&format!(
            "Dec 31 23:5{i}:00 srv sshd[1]: Failed password for sato from 198.51.100.4 port 4{i} ssh2\n"
        ));
    }
    text.push_str(
        "Jan  1 00:01:00 srv sshd[1]: Accepted password for sato from 198.51.100.4 port 50 ssh2\n",
    );
    std::fs::write(&auth, text).unwrap();
    let staff = dir.path().join("staff.csv");
    std::fs::write(&staff, "ユーザID,状態\r\nsato,削除\r\n").unwrap();
    let a = auth.to_str().unwrap();
    let out = run_ok(&[
        "logs",
        "analyze",
        "--format",
        "json",
        "--year",
        "2024",
        "--burst-count",
        "4",
        "--staff",
        staff.to_str().unwrap(),
        a,
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["files"][0]["format"], "auth_log");
    assert_eq!(r["files"][0]["records"], 5);
    assert_eq!(r["files"][0]["errors"], serde_json::json!([]));
    assert_eq!(r["event_counts"], serde_json::json!({}));
    let l = &r["logons"][0];
    assert_eq!(
        (
            l["account"].as_str(),
            l["success"].as_u64(),
            l["failure"].as_u64()
        ),
        (Some("sato"), Some(1), Some(4))
    );
    // The year turned between the lines.
    assert_eq!(l["first"], "2024-12-31T14:55:00Z");
    assert_eq!(l["last"], "2024-12-31T15:01:00Z");
    let kinds: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for k in [
        "failed_logon_burst",
        "success_after_failures",
        "retired_account_used",
    ] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let f = &r["findings"][0];
    for key in [
        "kind", "severity", "account", "source", "first", "last", "count", "message", "items",
    ] {
        assert!(f.get(key).is_some(), "{key} in {f}");
    }
    // A file that yields no records: the report still prints, and the exit status says it failed.
    let out = mamori()
        .args([
            "logs",
            "analyze",
            "--year",
            "2024",
            a,
            "/nonexistent/x.evtx",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("■ アカウント別のログオン"), "{text}");
    assert!(
        text.contains("/nonexistent/x.evtx") && text.contains("開けません"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("記録を1件も読めなかったファイルがあります: /nonexistent/x.evtx"),
        "{stderr}"
    );
    // An access log whose columns cannot be found: refused, naming its headers and the mapping to write.
    let odd = dir.path().join("access.csv");
    std::fs::write(
        &odd,
        "記録番号,者,いつ,何\r\n1,yamada,2025/06/02 09:00,参照\r\n",
    )
    .unwrap();
    let out = mamori()
        .args(["logs", "analyze", odd.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("見出し: 「記録番号」「者」「いつ」「何」"),
        "{text}"
    );
    assert!(
        text.contains(r#""user_id":"（利用者IDの列の見出し）""#),
        "{text}"
    );
    assert!(text.contains("--csv-map"), "{text}");
    let bad = mamori()
        .args(["logs", "analyze", "--csv-map", "/nonexistent.json", a])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("列の対応づけ"));
}

/// Every cell of a named sheet of an xlsx file, by (row, col), as text.
fn sheet_cells(
    path: &std::path::Path,
    sheet: &str,
) -> std::collections::BTreeMap<(u32, u32), String> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    range
        .used_cells()
        .map(|(r, c, d)| ((r as u32 + r0, c as u32 + c0), d.to_string()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

#[test]
fn edition_import_from_the_command_line_then_the_official_file_filled() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let book = dir.path().join("001716187.xlsx");
    let book_s = book.to_str().unwrap();
    run_ok(&[
        "dev",
        "edition-workbook",
        "--edition",
        "r7",
        "--variant",
        "pharmacy",
        "--as-variant",
        "merged",
        "--title",
        "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト",
        "--layout",
        "columns",
        "--out",
        book_s,
    ]);
    // Not a checklist: refused, nothing stored.
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"not a workbook").unwrap();
    let out = mamori()
        .args([
            "catalog",
            "import",
            "--db",
            db,
            "--edition",
            "r8",
            "--fiscal-year",
            "2026",
            "--user",
            "admin",
        ])
        .arg(&junk)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.xlsx：Excel（xlsx）ファイルではありません")
            && err.contains("何も変更していません"),
        "{err}"
    );
    // A built-in edition's id is refused.
    let out = mamori()
        .args([
            "catalog",
            "import",
            "--db",
            db,
            "--edition",
            "r7",
            "--fiscal-year",
            "2026",
            "--user",
            "admin",
            book_s,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("すでにあります"));
    // The preview, then the import.
    let dry = run_ok(&[
        "catalog",
        "import",
        "--db",
        db,
        "--edition",
        "r8",
        "--fiscal-year",
        "2026",
        "--user",
        "admin",
        "--dry-run",
        book_s,
    ]);
    assert!(dry.contains("医療機関・薬局確認用"), "{dry}");
    assert!(dry.contains("既知のファイルと一致しません"), "{dry}");
    assert!(
        dry.contains("変更なし 19・文言の変更 0・新しい項目 0・なくなった項目 0"),
        "{dry}"
    );
    assert!(dry.contains("保存していません"));
    let done = run_ok(&[
        "catalog",
        "import",
        "--db",
        db,
        "--edition",
        "r8",
        "--fiscal-year",
        "2026",
        "--user",
        "admin",
        book_s,
    ]);
    assert!(done.contains("確定しました"), "{done}");
    // Answers into the merged form of the imported edition, then the official file filled.
    let answers = dir.path().join("answers.xlsx");
    run_ok(&[
        "export",
        "checklist",
        "--db",
        db,
        "--edition",
        "r8",
        "--variant",
        "merged",
        "--out",
        answers.to_str().unwrap(),
    ]);
    let before = sheet_cells(&book, "Sheet1");
    let after = sheet_cells(&answers, "Sheet1");
    // Nothing answered yet: the same cells, but the facility's name beside 「医療機関名」.
    let label = before
        .iter()
        .find(|(_, v)| *v == "医療機関名")
        .map(|(k, _)| *k)
        .unwrap();
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .collect();
    assert_eq!(
        changed,
        [(&(label.0, label.1 + 1), &"さくら薬局".to_string())]
    );
    assert!(before.keys().all(|k| after.contains_key(k)));
}
