//! `mamori agent collect`.

use crate::helpers::*;

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
