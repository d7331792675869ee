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

/// Issue 35 (10): `audit verify` checks the heads kept outside the database: those in the backup
/// manifests (`--backup-dir`) and one printed on paper (`--head`).
#[test]
fn audit_verify_checks_the_heads_kept_outside_the_database() {
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
    let manifest = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .unwrap();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest.path()).unwrap()).unwrap();
    let head = m["audit_head"].as_str().unwrap().to_string();
    let ok = mamori()
        .args([
            "audit",
            "verify",
            "--db",
            db,
            "--backup-dir",
            backups.to_str().unwrap(),
            "--head",
            &head,
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(
        ok.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        out.contains("回答は監査記録のとおりです") && out.contains("すべて今の連鎖にあります"),
        "{out}"
    );
    let bad = mamori()
        .args(["audit", "verify", "--db", db, "--head", &"0".repeat(64)])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("今の連鎖にありません"));
}
