//! `mamori backup` and `mamori restore`.

use crate::helpers::*;

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
