//! The evidence from an organisation's ledgers: the facts the rules read (from the ledger cache), and the
//! suggestions per form, computed once per ledger version, day and form.

use std::collections::HashMap;
use std::sync::Arc;

use mamori_core::catalog::Form;
use mamori_core::{Action, ItemId};
use mamori_evidence::Suggestion;
use mamori_store::{Org, StoreError, User};

use crate::App;

/// What the evidence rules read: the organisation's ledgers as of `version` (from the cache, patched
/// with what changed), its officer, today.
pub async fn evidence_facts(
    app: &App,
    org: &Org,
    version: i64,
) -> Result<mamori_evidence::Facts, StoreError> {
    Ok(mamori_evidence::Facts {
        ledgers: app
            .ledger_cache
            .ledgers(&app.store, org.id, version)
            .await?,
        security_officer: org.security_officer.clone(),
        today: app.clock.today_jst(),
        retired_account_uses: app
            .store
            .retired_account_uses(org.id, app.clock.now() - chrono::Duration::days(365))
            .await?,
        bcp: Some(crate::bcp::state(app, org).await?),
    })
}

/// The suggestions for every item of a form, computed once per ledger version, day and form.
pub async fn form_suggestions(
    app: &App,
    org: &Org,
    form: &Form,
) -> Result<Arc<Vec<Suggestion>>, StoreError> {
    let version = app.store.ledger_version(org.id).await?;
    let analysis = app.store.latest_log_analysis(org.id).await?;
    // 3(3) reads the BCP 確認表: its answers are part of the key.
    let bcp = crate::bcp::state(app, org).await?;
    let key = format!(
        "{}/{version}/{analysis}/{}/{}/{}/{}/{}-{}",
        org.id,
        form.edition,
        form.variant.id(),
        app.clock.today_jst(),
        org.security_officer,
        bcp.yes,
        bcp.no
            .iter()
            .filter_map(|n| n.split(' ').next())
            .collect::<Vec<_>>()
            .join(",")
    );
    if let Some(hit) = app
        .suggestion_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        return Ok(hit.clone());
    }
    let facts = evidence_facts(app, org, version).await?;
    let computed = std::sync::Arc::new(mamori_evidence::suggest_form(form, &facts));
    let mut cache = app
        .suggestion_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if cache.len() > 256 {
        cache.clear();
    }
    cache.insert(key, computed.clone());
    Ok(computed)
}

/// The suggestions `user` may see and that their saves are checked against: none for a vendor's staff,
/// who answer their own form and see nothing of the facility's ledgers.
pub async fn suggestions_for(
    app: &App,
    org: &Org,
    user: &User,
    form: &Form,
) -> Result<Arc<Vec<Suggestion>>, StoreError> {
    if !mamori_core::roles::allowed(user.role, Action::ViewEvidence) {
        return Ok(std::sync::Arc::default());
    }
    form_suggestions(app, org, form).await
}

/// Suggestions as stored with the answers.
pub fn evidence_json(s: &HashMap<ItemId, Suggestion>) -> HashMap<ItemId, serde_json::Value> {
    s.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::to_value(v).expect("suggestions serialise"),
            )
        })
        .collect()
}

/// Suggestions by item id.
pub fn by_item(s: &[Suggestion]) -> HashMap<ItemId, Suggestion> {
    s.iter().map(|s| (s.item.clone(), s.clone())).collect()
}
