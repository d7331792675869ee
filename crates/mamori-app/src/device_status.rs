//! The columns Mamori writes into each device row when it is saved (サポート終了日（自動判定）, サポート判定の
//! 根拠, 新しい版, 不要なサービス・ソフト) from the lifecycle data, the facility's サポート期限 and its
//! サービス・ソフトの基準; and writing them again for every device when those two ledgers change.

use mamori_core::OrgId;
use mamori_ledger::{Kind, Row};
use mamori_lifecycle::{FacilityEntry, assess, baseline};
use mamori_store::StoreError;

use crate::App;

/// The facility's entries that the device columns depend on.
#[derive(Debug, Clone, Default)]
pub struct FacilityRules {
    pub lifecycle: Vec<FacilityEntry>,
    pub baseline: Vec<baseline::Rule>,
}

impl FacilityRules {
    pub async fn load(app: &App, org_id: OrgId) -> Result<FacilityRules, StoreError> {
        let enabled = |rows: Vec<mamori_store::LedgerRow>| -> Vec<Row> {
            rows.into_iter()
                .filter(|r| !r.disabled)
                .map(|r| r.data)
                .collect()
        };
        let lifecycle = enabled(app.store.ledger_all(org_id, Kind::Lifecycle).await?);
        let rules = enabled(app.store.ledger_all(org_id, Kind::Baseline).await?);
        Ok(FacilityRules {
            lifecycle: lifecycle
                .iter()
                .filter_map(FacilityEntry::from_row)
                .collect(),
            baseline: baseline::rules(
                &rules
                    .iter()
                    .filter_map(baseline::rule_from_row)
                    .collect::<Vec<_>>(),
            ),
        })
    }
}

/// Writes Mamori's columns of a device row (removing those that no longer apply).
pub fn annotate(row: &mut Row, rules: &FacilityRules) {
    let a = assess(row, &rules.lifecycle);
    let flags = baseline::check(row, &rules.baseline);
    let mut set = |k: &str, v: String| {
        if v.is_empty() {
            row.remove(k);
        } else {
            row.insert(k.to_string(), v);
        }
    };
    set(
        "lifecycle_end",
        a.end
            .map(|d| {
                // A product ended on a day nobody recorded: the earliest day a ledger can hold.
                if d == chrono::NaiveDate::MIN {
                    "1900-01-01".to_string()
                } else {
                    d.to_string()
                }
            })
            .unwrap_or_default(),
    );
    set("lifecycle_basis", a.basis.join("; "));
    set("updates", a.updates.join("; "));
    set("service_flags", flags.join("; "));
}

/// Before device rows are saved (a form, an imported file): Mamori's columns written into each.
pub async fn annotate_rows(
    app: &App,
    org_id: OrgId,
    kind: Kind,
    rows: &mut [Row],
) -> Result<(), StoreError> {
    if kind == Kind::Devices {
        let rules = FacilityRules::load(app, org_id).await?;
        for row in rows {
            annotate(row, &rules);
        }
    }
    Ok(())
}

/// After the サポート期限 or the サービス・ソフトの基準 changed: every device whose columns change is saved
/// again, in one transaction (audited as Mamori's). Returns how many changed.
pub async fn reannotate_all(app: &App, org_id: OrgId) -> Result<usize, StoreError> {
    let rules = FacilityRules::load(app, org_id).await?;
    let mut changed = Vec::new();
    for r in app.store.ledger_all(org_id, Kind::Devices).await? {
        let mut row = r.data.clone();
        annotate(&mut row, &rules);
        if row != r.data {
            changed.push((r.id, row));
        }
    }
    app.store
        .update_ledger_rows(
            org_id,
            Kind::Devices,
            &changed,
            "mamori（サポート期限・基準の再判定）",
            app.clock.now(),
        )
        .await?;
    Ok(changed.len())
}

/// After rows of a ledger changed: changes to the two rule ledgers make every device be judged again.
pub async fn after_ledger_change(app: &App, org_id: OrgId, kind: Kind) -> Result<(), StoreError> {
    if matches!(kind, Kind::Lifecycle | Kind::Baseline) {
        reannotate_all(app, org_id).await?;
    }
    Ok(())
}
