//! The inspection pack and checklists as PDF from the command line.

use std::process::Command;

use crate::helpers::*;

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
