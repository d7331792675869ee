//! Inventories from `mamori agent collect` merged into the 機器台帳: one device per machine (matched by
//! machine-id, then by a MAC address, then by computer name), the OS and the installed packages written in
//! the device's row, each change audited with the row's before and after, and the package changes listed.
//! An inventory that changes nothing records nothing.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use mamori_agent::Inventory;
use mamori_core::Action;
use mamori_ledger::{Kind, Row};
use mamori_store::{Org, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::AppState;
use crate::api::{ApiError, ApiResult, bearer};

/// Reads an inventory file, or says in Japanese why it is not one.
pub fn parse_inventory(bytes: &[u8]) -> Result<Inventory, String> {
    let inv: Inventory = serde_json::from_slice(bytes).map_err(|e| {
        format!("機器の一覧（mamori agent collect の JSON）として読めません（{e}）。ファイルが途中で切れていないか確認してください")
    })?;
    if inv.format != mamori_agent::FORMAT {
        return Err(format!(
            "一覧の形式 {} には対応していません（対応: {}）。Mamori とエージェントの版を揃えてください",
            inv.format,
            mamori_agent::FORMAT
        ));
    }
    if inv.hostname.trim().is_empty() && inv.machine_id.trim().is_empty() {
        return Err("ホスト名も machine-id もない一覧は、どの機器のものかわかりません".into());
    }
    Ok(inv)
}

/// The packages of a row's software list (「name version; …」).
fn packages_of(row: &Row) -> BTreeMap<String, String> {
    row.get("software")
        .map(|s| {
            s.split("; ")
                .filter_map(|p| {
                    let (n, v) = p.rsplit_once(' ')?;
                    Some((n.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The device row an inventory writes: over the existing row (kind, location, vendor … kept).
pub fn device_row(inv: &Inventory, existing: Option<&Row>, today: chrono::NaiveDate) -> Row {
    let mut row = existing.cloned().unwrap_or_default();
    row.entry("device_kind".into())
        .or_insert_with(|| "その他".into());
    let mut set = |k: &str, v: String| {
        if v.is_empty() {
            row.remove(k);
        } else {
            row.insert(k.to_string(), v);
        }
    };
    set("computer_name", inv.hostname.clone());
    set("machine_id", inv.machine_id.clone());
    set("os", inv.os.clone());
    set("os_version", inv.os_version.clone());
    set(
        "mac",
        inv.interfaces
            .iter()
            .map(|i| i.mac.to_uppercase())
            .collect::<Vec<_>>()
            .join(", "),
    );
    set(
        "software",
        inv.packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect::<Vec<_>>()
            .join("; "),
    );
    set("inventoried_on", today.to_string());
    // Remote-access software found on the machine: 2(2) asks whether it is remote maintenance. Until the
    // facility says so, it is 未確認 (what was found goes in the method column when that is empty).
    if !inv.remote_access.is_empty() {
        row.entry("remote_maintenance".into())
            .or_insert_with(|| "未確認".into());
        row.entry("remote_method".into())
            .or_insert_with(|| format!("（エージェントが検出）{}", inv.remote_access.join("、")));
    }
    row
}

/// The existing device the inventory describes.
pub fn matching_device<'a>(inv: &Inventory, devices: &'a [(i64, Row)]) -> Option<&'a (i64, Row)> {
    let macs: Vec<String> = inv
        .interfaces
        .iter()
        .map(|i| i.mac.to_uppercase())
        .collect();
    let field = |r: &Row, k: &str| r.get(k).cloned().unwrap_or_default();
    devices
        .iter()
        .find(|(_, r)| !inv.machine_id.is_empty() && field(r, "machine_id") == inv.machine_id)
        .or_else(|| {
            devices.iter().find(|(_, r)| {
                field(r, "mac")
                    .split([',', ' ', ';'])
                    .filter(|m| !m.is_empty())
                    .any(|m| macs.contains(&m.to_uppercase()))
            })
        })
        .or_else(|| {
            devices.iter().find(|(_, r)| {
                !inv.hostname.is_empty() && field(r, "computer_name") == inv.hostname
            })
        })
}

/// Package changes between two rows: 「追加 x 1.0」「削除 y」「z 1.0 → 1.1」.
pub fn package_changes(before: &Row, after: &Row) -> Vec<String> {
    let (a, b) = (packages_of(before), packages_of(after));
    let mut out = Vec::new();
    for (name, v) in &b {
        match a.get(name) {
            None => out.push(format!("追加 {name} {v}")),
            Some(old) if old != v => out.push(format!("{name} {old} → {v}")),
            _ => {}
        }
    }
    for name in a.keys().filter(|n| !b.contains_key(*n)) {
        out.push(format!("削除 {name}"));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryImport {
    pub device_id: i64,
    /// added / updated / unchanged.
    pub outcome: &'static str,
    pub package_changes: Vec<String>,
}

/// Merges one inventory into the organisation's 機器台帳.
pub async fn import_inventory(
    state: &AppState,
    org: &Org,
    actor: &str,
    inv: &Inventory,
) -> Result<InventoryImport, StoreError> {
    let devices: Vec<(i64, Row)> = state
        .store
        .ledger_all(org.id, Kind::Devices.id())
        .await?
        .into_iter()
        .map(|r| (r.id, r.data))
        .collect();
    let today = state.clock.today_jst();
    let existing = matching_device(inv, &devices);
    let row = device_row(inv, existing.map(|(_, r)| r), today);
    match existing {
        Some((id, old)) => {
            // The same machine, the same day, nothing else new: nothing to record. (On a later day the
            // エージェント確認日 moves, so that a machine that stops reporting shows.)
            if &row == old {
                return Ok(InventoryImport {
                    device_id: *id,
                    outcome: "unchanged",
                    package_changes: Vec::new(),
                });
            }
            state
                .store
                .save_ledger_row(
                    org.id,
                    Kind::Devices.id(),
                    Some(*id),
                    &row,
                    actor,
                    state.clock.now(),
                )
                .await?;
            Ok(InventoryImport {
                device_id: *id,
                outcome: "updated",
                package_changes: package_changes(old, &row),
            })
        }
        None => {
            let id = state
                .store
                .save_ledger_row(
                    org.id,
                    Kind::Devices.id(),
                    None,
                    &row,
                    actor,
                    state.clock.now(),
                )
                .await?;
            Ok(InventoryImport {
                device_id: id,
                outcome: "added",
                package_changes: Vec::new(),
            })
        }
    }
}

/// `POST /api/v1/agent/inventory`: the body is the JSON of `mamori agent collect`.
pub(crate) async fn api_inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    crate::permit(&user, Action::EditLedgers)
        .map_err(|m| ApiError::new(StatusCode::FORBIDDEN, m))?;
    let inv =
        parse_inventory(&body).map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let done = import_inventory(&state, &org, &user.login, &inv).await?;
    Ok(axum::Json(json!(done)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_tools_found_ask_for_confirmation_unless_the_facility_answered() {
        let inv = Inventory {
            format: mamori_agent::FORMAT,
            hostname: "PC-01".into(),
            remote_access: vec!["AnyDesk（パッケージ anydesk 6.3.0）".into()],
            ..Default::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let row = device_row(&inv, None, today);
        assert_eq!(row["remote_maintenance"], "未確認");
        assert_eq!(
            row["remote_method"],
            "（エージェントが検出）AnyDesk（パッケージ anydesk 6.3.0）"
        );
        assert_eq!(row["device_kind"], "その他");
        let mut answered = Row::new();
        answered.insert("remote_maintenance".into(), "有".into());
        answered.insert("device_kind".into(), "端末PC".into());
        let row = device_row(&inv, Some(&answered), today);
        assert_eq!(
            (
                row["remote_maintenance"].as_str(),
                row["device_kind"].as_str()
            ),
            ("有", "端末PC")
        );
    }

    #[test]
    fn package_changes_are_listed_one_by_one() {
        let row = |s: &str| -> Row { [("software".to_string(), s.to_string())].into() };
        assert_eq!(
            package_changes(&row("a 1; b 2; c 3"), &row("a 1; b 2.1; d 4")),
            ["b 2 → 2.1", "追加 d 4", "削除 c"]
        );
    }
}
