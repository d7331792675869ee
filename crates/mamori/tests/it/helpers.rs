//! What the CLI tests share: the built binary, a database set up by `mamori init`, running a command.

use std::io::Write;
use std::process::{Command, Stdio};

pub(crate) fn mamori() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mamori"))
}

pub(crate) fn init(db: &str, password: &str) -> std::process::Output {
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

pub(crate) fn run_ok(args: &[&str]) -> String {
    let out = mamori().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
