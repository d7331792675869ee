//! Inventories from `mamori agent collect` merged into the 機器台帳: one device per machine (matched by
//! machine-id, then by a MAC address, then by computer name), the OS and the installed packages written in
//! the device's row, each change audited with the row's before and after, and the package changes listed.
//! An inventory that changes nothing records nothing.

use mamori_core::OrgId;
use std::collections::BTreeMap;

use mamori_agent::Inventory;
use mamori_ledger::{Kind, Row};
use mamori_store::{Org, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::App;

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
    set(
        "ip",
        inv.interfaces
            .iter()
            .flat_map(|i| i.ips.iter().cloned())
            .collect::<Vec<_>>()
            .join(", "),
    );
    if !inv.serial.is_empty() {
        set("serial", inv.serial.clone());
    }
    if !inv.os_build.is_empty() {
        set("os_version", inv.os_build.clone());
    }
    set("inventoried_on", today.to_string());
    set(
        "services",
        inv.services
            .iter()
            .filter(|s| s.running)
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
            .join("; "),
    );
    set("remote_detected", inv.remote_access.join("、"));
    // Windows: the newest update installed and the virus definitions' date (the facility may type
    // these for machines without the agent).
    if let Some(d) = inv
        .hotfixes
        .iter()
        .filter_map(|h| h.split_once(' ').map(|(_, d)| d.to_string()))
        .max()
    {
        set("patched_on", d);
    }
    if let Some(d) = inv
        .defender
        .as_ref()
        .and_then(|d| d.signature_updated.as_ref())
        .and_then(|t| t.get(..10))
    {
        set("av_updated_on", d.to_string());
    }
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

/// Which device an inventory describes.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceMatch {
    /// A machine not in the ledger yet.
    New,
    /// This device (id), found by this identity (machine-id, シリアル番号, MACアドレス, コンピュータ名).
    Device(i64, &'static str),
    /// More than one device, or a device that already belongs to another machine-id: someone decides.
    Conflict {
        candidates: Vec<(i64, &'static str)>,
        reason: String,
    },
}

/// Finds the device an inventory describes among the enabled devices: by machine-id, then serial number,
/// then MAC address, then computer name. A machine-id match is final. A weaker identity that finds
/// several devices, or a device recorded with another machine-id (a reinstalled OS, a cloned disk, a
/// reused name), is a conflict for the review queue rather than a guess.
pub fn match_device(inv: &Inventory, devices: &[(i64, Row)]) -> DeviceMatch {
    let field = |r: &Row, k: &str| r.get(k).cloned().unwrap_or_default();
    let by = |pred: &dyn Fn(&Row) -> bool| -> Vec<i64> {
        devices
            .iter()
            .filter(|(_, r)| pred(r))
            .map(|(id, _)| *id)
            .collect()
    };
    if !inv.machine_id.is_empty() {
        let found = by(&|r| field(r, "machine_id") == inv.machine_id);
        match found.as_slice() {
            [id] => return DeviceMatch::Device(*id, "machine-id"),
            [] => {}
            many => {
                return DeviceMatch::Conflict {
                    candidates: many.iter().map(|id| (*id, "machine-id")).collect(),
                    reason: format!(
                        "machine-id {} の機器が台帳に{}台あります（ディスクの複製などで同じ machine-id の機器がある可能性）",
                        inv.machine_id,
                        many.len()
                    ),
                };
            }
        }
    }
    let macs: Vec<String> = inv
        .interfaces
        .iter()
        .map(|i| i.mac.to_uppercase())
        .filter(|m| !m.is_empty())
        .collect();
    let weaker: [(&'static str, Vec<i64>); 3] = [
        (
            "シリアル番号",
            if inv.serial.is_empty() {
                Vec::new()
            } else {
                by(&|r| field(r, "serial").eq_ignore_ascii_case(&inv.serial))
            },
        ),
        (
            "MACアドレス",
            by(&|r| {
                field(r, "mac")
                    .split([',', ' ', ';'])
                    .filter(|m| !m.is_empty())
                    .any(|m| macs.contains(&m.to_uppercase()))
            }),
        ),
        (
            "コンピュータ名",
            if inv.hostname.is_empty() {
                Vec::new()
            } else {
                by(&|r| field(r, "computer_name").eq_ignore_ascii_case(&inv.hostname))
            },
        ),
    ];
    for (identity, found) in weaker {
        match found.as_slice() {
            [] => continue,
            [id] => {
                let row = &devices.iter().find(|(d, _)| d == id).expect("found").1;
                let recorded = field(row, "machine_id");
                if !recorded.is_empty() && recorded != inv.machine_id {
                    return DeviceMatch::Conflict {
                        candidates: vec![(*id, identity)],
                        reason: format!(
                            "{identity}が一致する機器 {id} は別の machine-id（{recorded}）で記録されています（OSの再インストール、機器の入れ替え、名前の使い回しのいずれか）"
                        ),
                    };
                }
                return DeviceMatch::Device(*id, identity);
            }
            many => {
                return DeviceMatch::Conflict {
                    candidates: many.iter().map(|id| (*id, identity)).collect(),
                    reason: format!("{identity}が一致する機器が台帳に{}台あります", many.len()),
                };
            }
        }
    }
    DeviceMatch::New
}

/// What an inventory changed in a device's row, one line each: the fields the agent writes
/// (「OS: … → …」) and the packages (「追加 x 1.0」「削除 y」「z 1.0 → 1.1」). The エージェント確認日 is not a change.
pub fn changes(before: &Row, after: &Row) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["computer_name", "os", "os_version", "ip", "mac", "serial"] {
        let (a, b) = (before.get(key), after.get(key));
        if a != b {
            let label = Kind::Devices.field(key).map_or(key, |f| f.header);
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "（なし）".into());
            out.push(format!("{label}: {} → {}", show(a), show(b)));
        }
    }
    out.extend(package_changes(before, after));
    out
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
    /// The device written; None when the inventory waits in the review queue.
    pub device_id: Option<i64>,
    /// added / updated / unchanged / review.
    pub outcome: &'static str,
    /// What changed in the device (the agent's fields and packages), as recorded in its history.
    pub changes: Vec<String>,
    pub package_changes: Vec<String>,
    /// The review queue entry, when it is unclear which device the inventory describes.
    pub review_id: Option<i64>,
    pub message: String,
}

/// The enabled devices of the organisation, by id.
async fn enabled_devices(app: &App, org: &Org) -> Result<Vec<(i64, Row)>, StoreError> {
    Ok(app
        .store
        .ledger_all(org.id, Kind::Devices)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| (r.id, r.data))
        .collect())
}

/// Merges one inventory into the organisation's 機器台帳 (or, when it is unclear which device it
/// describes, holds it for review). `source` names the sender in the audit trail and the history.
pub async fn import_inventory(
    app: &App,
    org: &Org,
    source: &str,
    inv: &Inventory,
) -> Result<InventoryImport, StoreError> {
    let devices = enabled_devices(app, org).await?;
    match match_device(inv, &devices) {
        DeviceMatch::Conflict { candidates, reason } => {
            let json = serde_json::to_string(inv).expect("inventory serialises");
            let cands = serde_json::to_string(
                &candidates
                    .iter()
                    .map(|(id, by)| json!({"device_id": id, "matched_by": by}))
                    .collect::<Vec<_>>(),
            )
            .expect("json");
            let id = app
                .store
                .add_inventory_review(org.id, source, &json, &cands, &reason, app.clock.now())
                .await?;
            Ok(InventoryImport {
                device_id: None,
                outcome: "review",
                changes: Vec::new(),
                package_changes: Vec::new(),
                review_id: Some(id),
                message: format!(
                    "どの機器の一覧か確認が必要です: {reason}。「機器の照合待ち」で反映先を選んでください"
                ),
            })
        }
        DeviceMatch::Device(id, _) => {
            let old = &devices.iter().find(|(d, _)| *d == id).expect("matched").1;
            write_inventory(app, org, source, inv, Some((id, old))).await
        }
        DeviceMatch::New => write_inventory(app, org, source, inv, None).await,
    }
}

/// Writes the inventory over a device (or as a new one), with its history.
async fn write_inventory(
    app: &App,
    org: &Org,
    source: &str,
    inv: &Inventory,
    existing: Option<(i64, &Row)>,
) -> Result<InventoryImport, StoreError> {
    let today = app.clock.today_jst();
    let mut row = device_row(inv, existing.map(|(_, r)| r), today);
    let rules = crate::device_status::FacilityRules::load(app, org.id).await?;
    crate::device_status::annotate(&mut row, &rules);
    let empty = Row::new();
    let old = existing.map_or(&empty, |(_, r)| r);
    // The same machine, the same day, nothing else new: nothing to record. (On a later day the
    // エージェント確認日 moves, so that a machine that stops reporting shows.)
    if let Some((id, old)) = existing
        && &row == old
    {
        return Ok(InventoryImport {
            device_id: Some(id),
            outcome: "unchanged",
            changes: Vec::new(),
            package_changes: Vec::new(),
            review_id: None,
            message: "変更はありません".into(),
        });
    }
    let changes = match existing {
        Some(_) => changes(old, &row),
        None => vec![format!(
            "エージェントの一覧から登録（パッケージ {}件）",
            inv.packages.len()
        )],
    };
    let id = app
        .store
        .save_inventory(
            org.id,
            existing.map(|(id, _)| id),
            &row,
            &changes,
            source,
            app.clock.now(),
        )
        .await?;
    Ok(InventoryImport {
        device_id: Some(id),
        outcome: if existing.is_some() {
            "updated"
        } else {
            "added"
        },
        message: if existing.is_some() {
            format!("機器 {id} を更新しました（変更 {}件）", changes.len())
        } else {
            format!("機器 {id} を登録しました")
        },
        package_changes: if existing.is_some() {
            package_changes(old, &row)
        } else {
            Vec::new()
        },
        changes,
        review_id: None,
    })
}

/// Closes a review: the inventory goes into `target` (a device id), into a new device (None), or is
/// discarded.
pub async fn resolve_review(
    app: &App,
    org: &Org,
    review_id: i64,
    target: Option<i64>,
    discard: bool,
    actor: &str,
) -> Result<String, StoreError> {
    let review = app.store.inventory_review(org.id, review_id).await?;
    if review.resolved_at.is_some() {
        return Err(StoreError::NotFound(format!(
            "確認待ちの一覧 {review_id} はすでに処理済みです"
        )));
    }
    let inv: Inventory =
        serde_json::from_str(&review.inventory).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let resolution = if discard {
        "破棄".to_string()
    } else {
        let done = match target {
            Some(id) => {
                let row = app.store.ledger_row(org.id, Kind::Devices, id).await?;
                write_inventory(app, org, actor, &inv, Some((id, &row.data))).await?
            }
            None => write_inventory(app, org, actor, &inv, None).await?,
        };
        let id = done.device_id.expect("written");
        match target {
            Some(_) => format!("機器 {id} に反映"),
            None => format!("新しい機器 {id} として登録"),
        }
    };
    app.store
        .resolve_inventory_review(org.id, review_id, &resolution, actor, app.clock.now())
        .await?;
    Ok(resolution)
}

/// Agent credentials start with this, so the API tells them from users' tokens.
pub const AGENT_TOKEN_PREFIX: &str = "agent_";
/// Enrolment tokens start with this.
pub const ENROLL_TOKEN_PREFIX: &str = "enroll_";

/// A new enrolment token for the organisation, valid for `days` (1–365): the secret, to show once.
pub async fn create_enrollment(
    app: &App,
    org_id: OrgId,
    label: &str,
    days: i64,
    actor: &str,
) -> Result<String, StoreError> {
    let token = format!("{ENROLL_TOKEN_PREFIX}{}", crate::auth::new_token());
    let now = app.clock.now();
    app.store
        .create_enrollment(
            org_id,
            &crate::auth::token_hash(&token),
            label,
            actor,
            now,
            now + chrono::Duration::days(days.clamp(1, 365)),
        )
        .await?;
    Ok(token)
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
