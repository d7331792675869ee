//! Inventories merged into the 機器台帳: added once, then unchanged.

use crate::helpers::*;

#[tokio::test]
async fn an_inventory_is_added_once_and_then_unchanged() {
    let (app, org, _user, _dir) = clinic().await;
    let inv = mamori_agent::Inventory {
        format: mamori_agent::FORMAT,
        hostname: "PC-01".into(),
        machine_id: "0123456789abcdef".into(),
        ..Default::default()
    };
    let json = serde_json::to_vec(&inv).unwrap();
    let parsed = mamori_app::inventory::parse_inventory(&json).unwrap();
    let first = mamori_app::inventory::import_inventory(&app, &org, "test", &parsed)
        .await
        .unwrap();
    assert_eq!(first.outcome, "added");
    let again = mamori_app::inventory::import_inventory(&app, &org, "test", &parsed)
        .await
        .unwrap();
    assert_eq!(
        (again.outcome, again.device_id),
        ("unchanged", first.device_id)
    );
    assert!(mamori_app::inventory::parse_inventory(b"{").is_err());
}
