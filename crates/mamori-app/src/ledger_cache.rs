//! What the evidence rules read, kept per organisation between requests: the enabled rows of every
//! ledger with only the fields the rules use, as of a ledger version. After a change only the rows
//! written since that version are read again, so the first checklist after an edit or an import stays fast.

use mamori_core::OrgId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mamori_evidence::Ledgers;
use mamori_ledger::Kind;
use mamori_store::{Store, StoreError};

/// Organisations kept at once (a vendor's install may serve hundreds; the rows kept are small).
const MAX_ORGS: usize = 1024;

#[derive(Default)]
pub(crate) struct LedgerCache(Mutex<HashMap<OrgId, (i64, Ledgers)>>);

impl LedgerCache {
    /// The organisation's ledgers as of `version` (the organisation's current ledger version).
    pub(crate) async fn ledgers(
        &self,
        store: &Store,
        org_id: OrgId,
        version: i64,
    ) -> Result<Ledgers, StoreError> {
        let cached = {
            let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(&org_id) {
                Some((v, ledgers)) if *v == version => return Ok(ledgers.clone()),
                // Taken out while it is patched, so that (once the last request's facts are dropped)
                // it is patched in place rather than copied whole.
                Some((v, _)) if *v < version => cache.remove(&org_id),
                _ => None,
            }
        };
        // Rows carry the version of their last change (0 before the column existed): -1 reads them all.
        let (from, mut ledgers) = cached.unwrap_or((-1, Ledgers::default()));
        let map = Arc::make_mut(&mut ledgers);
        for kind in Kind::ALL {
            let changed = store.ledger_facts(org_id, kind, from, version).await?;
            let rows = map.entry(kind.id()).or_default();
            for (id, disabled, facts) in changed {
                if disabled {
                    rows.remove(&id);
                } else {
                    rows.insert(id, mamori_evidence::project(kind, &facts));
                }
            }
        }
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_ORGS && !cache.contains_key(&org_id) {
            cache.clear();
        }
        // A request that read a newer version meanwhile keeps its (newer) copy.
        if cache.get(&org_id).is_none_or(|(v, _)| *v < version) {
            cache.insert(org_id, (version, ledgers.clone()));
        }
        Ok(ledgers)
    }
}
