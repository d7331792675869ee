//! `mamori logs analyze`.

use crate::helpers::*;

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
