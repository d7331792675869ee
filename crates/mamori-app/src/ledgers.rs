//! Writing ledger rows: an imported file's rows (from the page, the API or `mamori import ledger`) with
//! Mamori's device columns filled in, and every device judged again when the rules they depend on change.

use mamori_core::OrgId;
use mamori_ledger::{Kind, Row};
use mamori_store::{ImportCounts, StoreError};

use crate::App;

/// Imports rows into a ledger (new ones added, existing ones by the ledger's identity updated), all or
/// nothing, audited as `actor`.
pub async fn import_rows(
    app: &App,
    org_id: OrgId,
    kind: Kind,
    mut rows: Vec<Row>,
    actor: &str,
) -> Result<ImportCounts, StoreError> {
    let _turn = app.import_turn().await;
    crate::device_status::annotate_rows(app, org_id, kind, &mut rows).await?;
    let counts = app
        .store
        .import_ledger(org_id, kind, kind.identity(), &rows, actor, app.clock.now())
        .await?;
    crate::device_status::after_ledger_change(app, org_id, kind).await?;
    Ok(counts)
}
