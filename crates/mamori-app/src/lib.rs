//! Mamori's use cases, shared by the web pages, the JSON API and the CLI: an organisation's catalog, the
//! evidence from its ledgers (cached), saving answers against it, exports and documents, imports of
//! checklists, ledgers and inventories, edition drafts, vendor forms and their reconciliation, setup.
//!
//! It knows no HTTP: it takes the store and the clock and returns typed errors ([`AppError`]).

pub mod answers;
pub mod auth;
pub mod bcp;
pub mod checklist_import;
pub mod device_status;
pub mod documents;
pub mod editions;
mod error;
pub mod evidence;
pub mod fiscal_years;
pub mod hosting;
pub mod incidents;
pub mod inventory;
mod ledger_cache;
pub mod ledgers;
pub mod log_analyses;
pub mod mail;
pub mod reminders;
pub mod report;
pub mod setup;
pub mod throttle;
pub mod totp;
pub mod users;
pub mod vendor_forms;
pub mod vendor_side;
pub mod workbooks;

pub use error::{AppError, AppResult};

use mamori_core::{EditionId, OrgId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mamori_core::catalog::Variant;
use mamori_core::{Catalog, CatalogError, Clock, FiscalYear};
use mamori_store::{Org, Store, StoreError};

/// Organisations' catalogs: organisation id → (editions version, catalog).
type OrgCatalogs = Mutex<HashMap<OrgId, ((i64, i64), Arc<Catalog>)>>;
/// Suggestions per organisation, ledger version, form and day.
type SuggestionCache = Mutex<HashMap<String, Arc<Vec<mamori_evidence::Suggestion>>>>;

/// The application: the store, the clock, the built-in catalog and what is cached between uses.
/// Cheap to clone (every part is shared).
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// The catalog built into this binary; an organisation's own is this plus the editions it imported.
    pub builtin: Arc<Catalog>,
    pub clock: Clock,
    /// Rows a ledger file may hold (`serve --max-import-rows`).
    pub max_import_rows: usize,
    org_catalogs: Arc<OrgCatalogs>,
    /// The rows the evidence rules read, per organisation, patched with each change.
    ledger_cache: Arc<ledger_cache::LedgerCache>,
    suggestion_cache: Arc<SuggestionCache>,
    /// Permits for CPU-heavy work (reading uploads, rendering documents, analysing logs): one per core
    /// but one, so that pages keep a core while uploads queue.
    heavy: Arc<tokio::sync::Semaphore>,
    /// Uploads being received and handled at once: each may hold its file and rows in memory.
    uploads: Arc<tokio::sync::Semaphore>,
    /// Ledger imports applied at once: applying one judges every row and writes it, work that runs on
    /// the async workers between its database calls; one at a time leaves the other workers to pages.
    imports: Arc<tokio::sync::Semaphore>,
}

/// Uploads handled at once ([`App::admit_upload`]): with the upload limit (32 MB) and what reading a
/// file of rows costs, a few hundred MB at most; the rest wait their turn.
pub const UPLOADS_AT_ONCE: usize = 4;

/// How long an upload waits for its turn before it is told to try again: long enough for a queue of
/// large imports to pass (each is applied in seconds), short of leaving a browser waiting forever.
pub const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl App {
    pub fn new(store: Store, catalog: Catalog, clock: Clock) -> Self {
        App {
            store,
            builtin: Arc::new(catalog),
            clock,
            max_import_rows: mamori_ledger::DEFAULT_MAX_ROWS,
            org_catalogs: Arc::default(),
            ledger_cache: Arc::default(),
            suggestion_cache: Arc::default(),
            heavy: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            )),
            uploads: Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE)),
            imports: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// A turn to apply a ledger import (see `imports`).
    pub(crate) async fn import_turn(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.imports
            .clone()
            .acquire_owned()
            .await
            .expect("never closed")
    }

    /// A turn to receive and handle an upload (held until the response); `None` when none came within
    /// [`UPLOAD_WAIT`].
    pub async fn admit_upload(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        tokio::time::timeout(UPLOAD_WAIT, self.uploads.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Runs CPU-heavy work (reading an upload, rendering a document) on the blocking threads, at most one
    /// per core at a time: the async workers stay free for other requests and `/healthz`, and many
    /// uploads at once queue instead of taking every core and their memory together.
    pub async fn heavy<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self
            .heavy
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        match tokio::task::spawn_blocking(work).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The fiscal year being checked today with an edition of the organisation's catalog.
    pub fn fiscal_year(&self, org_id: OrgId, edition: &str) -> Result<FiscalYear, CatalogError> {
        self.catalog_of(org_id)
            .fiscal_year_of(edition, self.clock.today_jst())
    }

    /// An organisation's catalog: the built-in editions, those it imported and confirmed, and the edition
    /// it chose for each fiscal year it started. Read again when these change (one small query per
    /// request checks that).
    pub async fn catalog_for(&self, org_id: OrgId) -> Result<Arc<Catalog>, StoreError> {
        let version = self.store.editions_version(org_id).await?;
        if version == (0, 0) {
            self.org_catalogs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&org_id);
            return Ok(self.builtin.clone());
        }
        if let Some((v, c)) = self
            .org_catalogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org_id)
            && *v == version
        {
            return Ok(c.clone());
        }
        let mut catalog = (*self.builtin).clone();
        for imp in self.store.confirmed_editions(org_id).await? {
            let draft: mamori_report::edition_import::EditionDraft =
                serde_json::from_str(&imp.data).map_err(|e| {
                    StoreError::Corrupt(format!("取り込んだ版 {}: {e}", imp.edition))
                })?;
            let published = imp
                .confirmed_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| mamori_core::dates::jst_date(t.to_utc()))
                .unwrap_or_else(|| self.clock.today_jst());
            let edition = draft.to_edition(&catalog, published);
            catalog = catalog
                .with_imported(&[edition])
                .map_err(|e| StoreError::Corrupt(format!("取り込んだ版 {}: {e}", imp.edition)))?;
        }
        let choices: Vec<(i32, mamori_core::EditionId)> = self
            .store
            .fiscal_years(org_id)
            .await?
            .into_iter()
            .map(|y| (y.fiscal_year, y.edition.into()))
            .collect();
        let catalog = Arc::new(catalog.with_year_choices(&choices));
        let mut cache = self.org_catalogs.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(org_id, (version, catalog.clone()));
        Ok(catalog)
    }

    /// The organisation's catalog as last read by [`App::catalog_for`] (every signed-in request reads
    /// it first), or the built-in one.
    pub fn catalog_of(&self, org_id: OrgId) -> Arc<Catalog> {
        self.org_catalogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org_id)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| self.builtin.clone())
    }

    /// The edition the organisation answers this fiscal year (the newest one up to it, with the notice
    /// when it stands in for a year that has none of its own).
    pub fn edition_in_force(&self, org: &Org) -> Option<mamori_core::catalog::EditionChoice> {
        self.catalog_of(org.id)
            .edition_for(FiscalYear::containing(self.clock.today_jst()))
    }

    /// The edition in use this fiscal year, or the one asked for.
    pub fn edition_or_current(&self, org: &Org, asked: Option<&str>) -> EditionId {
        asked.map(EditionId::from).unwrap_or_else(|| {
            self.edition_in_force(org)
                .map(|c| c.edition)
                .unwrap_or_default()
        })
    }

    /// The notice shown on a form when this fiscal year has no edition of its own and `edition` stands in.
    pub fn fallback_notice(&self, org: &Org, edition: &str) -> Option<String> {
        self.edition_in_force(org)
            .filter(|c| c.edition == edition)
            .and_then(|c| c.fallback_notice)
    }
}

/// The form the organisation answers itself in an edition: the merged 医療機関・薬局確認用 when the
/// edition has one, otherwise its own kind's.
pub fn own_variant(catalog: &Catalog, edition: &str, org: &Org) -> Variant {
    catalog
        .own_form(edition, org.kind == mamori_store::OrgKind::Pharmacy)
        .map(|f| f.variant)
        .unwrap_or_else(|| org.kind.own_variant())
}
