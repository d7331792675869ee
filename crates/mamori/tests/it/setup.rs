//! `mamori init`, tokens, exports, and `mamori audit verify` naming a tampered record.

use std::io::Write;
use std::process::Stdio;

use crate::helpers::*;

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
