//! Mamori's storage: one API over SQLite (embedded, the default) and PostgreSQL (for hosted, multi-facility
//! deployments), through sqlx's `Any` driver with portable SQL and per-backend migrations.
//!
//! Every query that reads or writes facility data takes the organisation id and filters on it: no method
//! returns another organisation's rows.

pub mod access;
pub mod agents;
pub mod answers;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bcp;
pub mod edition_imports;
pub mod fiscal_years;
pub mod hosting;
pub mod jobs;
pub mod ledger;
pub mod log_analyses;
pub mod mail;
pub mod operators;
pub mod org_export;
pub mod orgs;
pub mod report;
pub mod throttle;
pub mod vendor_forms;
pub mod vendor_links;
pub mod vendor_products;

pub use access::ApiTokenInfo;
pub use agents::{Agent, Enrollment, HistoryEntry, InventoryReview};
pub use audit::{Actor, AuditBreak, AuditFilter, AuditRecord};
pub use auth::{
    LOCKOUT_FAILURES, LOCKOUT_MINUTES, NewToken, NewUser, SESSION_IDLE_MINUTES, Session, TotpState,
    User,
};
pub use backup::BackupRun;
pub use bcp::{BcpAnswer, EvidenceFile, Incident, IncidentEntry};
pub use edition_imports::EditionImport;
pub use fiscal_years::{AnsweredForm, ArchivedForm, CarrySource, FiscalYearRecord, YearStart};
pub use hosting::{FacilityFigures, Membership, OrgUsage};
pub use ledger::{Fields, ImportCounts, LedgerQuery, LedgerRow};
pub use log_analyses::{AnalysisEnd, LogAnalysis};
pub use mail::{DigestRecipient, MailSettings};
pub use operators::{Operator, OperatorSession};
pub use org_export::ImportedOrg;
pub use orgs::{NewOrg, Org, OrgKind, OrgStatus};
pub use report::{DayCounts, Signoff};
pub use vendor_forms::VendorFormRecord;
pub use vendor_links::{
    DocumentUpload, FormComment, FormStatus, Invitation, Link, ProductDocument, ProductForm,
    PublishReport, ReceivedForm,
};
pub use vendor_products::{PRODUCT_KINDS, Product, ProductFields};

pub use audit::head_in_chain;
pub(crate) use audit::{
    AuditEntry, FullEntry, IMPORT_BLOCK, audit, audit_each, audit_many, carried_action, chain_hash,
    write_side_chain,
};
pub(crate) use auth::insert_user;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_core::{Answer, AnswerSet, Choice, OrgId, Role, Target, Variant};

use serde::Serialize;
use sha2::Digest;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("データベースに接続できません（{url}）: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("データベースの更新（マイグレーション）に失敗しました: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("データベースエラー: {0}")]
    Db(#[from] sqlx::Error),
    #[error("初期設定はすでに完了しています")]
    AlreadySetUp,
    #[error("ログインID「{0}」はすでに使われています")]
    LoginTaken(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Backup(String),
    #[error("{user}の利用者に{token}のトークンは発行できません")]
    TokenRole {
        user: &'static str,
        token: &'static str,
    },
    #[error("保存されたデータが不正です: {0}")]
    Corrupt(String),
    /// Another write kept changing what this one depends on.
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// When a write last failed for want of disk space (Unix seconds; 0: not since the start). Set by
/// [`note_disk_full`], cleared by a [`Store::write_probe`] that succeeds: `/readyz` reports the state.
static DISK_FULL_AT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Notes `e` if it is a full disk (see [`StoreError::is_disk_full`]); returns whether it was.
pub fn note_disk_full(e: &StoreError) -> bool {
    let full = e.is_disk_full();
    if full {
        DISK_FULL_AT.store(
            Utc::now().timestamp().max(1),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    full
}

/// Whether a write has failed for want of disk space and no probe has written since.
pub fn disk_full_noted() -> bool {
    DISK_FULL_AT.load(std::sync::atomic::Ordering::Relaxed) != 0
}

impl StoreError {
    /// Whether the database could not write for want of disk space (SQLite `SQLITE_FULL`, PostgreSQL
    /// `53100 disk_full`, or the OS's "no space left on device").
    pub fn is_disk_full(&self) -> bool {
        fn sqlx_full(e: &sqlx::Error) -> bool {
            match e {
                sqlx::Error::Database(d) => {
                    let code = d.code();
                    matches!(code.as_deref(), Some("13") | Some("53100"))
                        || d.message().contains("database or disk is full")
                }
                sqlx::Error::Io(io) => {
                    io.raw_os_error() == Some(28) || io.kind() == std::io::ErrorKind::StorageFull
                }
                _ => false,
            }
        }
        match self {
            StoreError::Db(e) | StoreError::Connect { source: e, .. } => sqlx_full(e),
            StoreError::Backup(m) => {
                m.contains("No space left on device") || m.contains("disk is full")
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The connection URL (with its password: never print it; see [`redact_url`]).
    url: String,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// "This row in this organisation, or not found": every read by id filters on the organisation too, so a
/// row of another organisation is simply not there, with the same Japanese message as a missing one.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> OrNotFound<T> for Option<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| StoreError::NotFound(what()))
    }
}

/// A value matched literally inside a `LIKE … ESCAPE '\'` pattern: `%`, `_` and the escape itself are
/// escaped, so a search for `t_yamada` finds `t_yamada` only.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Hides the password of a database URL in messages and logs.
/// The URL of a SQLite file path. Every byte but the unreserved ones is percent-escaped: sqlx's `Any`
/// driver parses the URL before SQLite's own code unescapes the path, and a Windows path
/// (`C:\ProgramData\Mamori\mamori.db`) read as a URL has `C` for its host and loses its drive.
pub(crate) fn sqlite_url(path: &str, mode: &str) -> String {
    let mut url = String::from("sqlite://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    url
}

pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens (and creates, for SQLite) the database and brings its schema up to date.
    /// `target` is a `postgres://` URL, a `sqlite:` URL, or a file path for SQLite.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open(target: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) =
            if target.starts_with("postgres://") || target.starts_with("postgresql://") {
                (target.to_string(), Backend::Postgres)
            } else if target.starts_with("sqlite:") {
                (target.to_string(), Backend::Sqlite)
            } else {
                (sqlite_url(target, "rwc"), Backend::Sqlite)
            };
        let mut options =
            AnyPoolOptions::new().max_connections(if backend == Backend::Sqlite { 4 } else { 10 });
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Foreign keys and the wait for a busy writer are per connection in SQLite.
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        // A connection still inside a transaction when it is handed out again cannot begin one: after a
        // full disk SQLite rolls the transaction back by itself, the ROLLBACK that follows fails, and the
        // driver keeps counting it as open. Such a connection is closed and another one opened.
        options = options.before_acquire(|conn, _meta| {
            Box::pin(async move {
                use sqlx::Connection;
                Ok(!conn.is_in_transaction())
            })
        });
        let pool = options
            .connect(&url)
            .await
            .map_err(|source| StoreError::Connect {
                // The path as given (the URL spells a Windows path in escapes).
                url: if backend == Backend::Sqlite {
                    target.to_string()
                } else {
                    redact_url(&url)
                },
                source,
            })?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        let store = Store { pool, backend, url };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&store.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&store.pool).await?,
        }
        store.refresh_sort_columns().await?;
        Ok(store)
    }

    /// A transaction that writes. SQLite takes the write lock at BEGIN, so that a transaction that reads
    /// before it writes never fails on a snapshot that another writer made stale.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A write that needs disk space (a 64 KiB row rewritten and committed): after a full disk, whether
    /// the database can write again. Clears the state [`note_disk_full`] set when it succeeds.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn write_probe(&self, at: DateTime<Utc>) -> Result<()> {
        let result = async {
            let mut tx = self.write_tx().await?;
            sqlx::query("DELETE FROM health_probe")
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO health_probe (id, at, pad) VALUES (1, $1, $2)")
                .bind(ts(at))
                .bind(hex::encode(rand::random::<[u8; 32]>()).repeat(1024))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        }
        .await;
        match &result {
            Ok(()) => DISK_FULL_AT.store(0, std::sync::atomic::Ordering::Relaxed),
            Err(e) => {
                note_disk_full(e);
            }
        }
        result
    }

    /// Fault injection for the tests of a full disk (SQLite): every connection of the pool may grow the
    /// file to at most `pages` pages (`None`: as many as SQLite allows), so that writes fail with
    /// `SQLITE_FULL` as on a full disk.
    #[doc(hidden)]
    pub async fn limit_sqlite_pages(&self, pages: Option<i64>) -> Result<()> {
        let mut held = Vec::new();
        for _ in 0..self.pool.options().get_max_connections() {
            held.push(self.pool.acquire().await?);
        }
        for conn in &mut held {
            let pages = pages.unwrap_or(1_073_741_823);
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA max_page_count = {pages}"
            )))
            .execute(&mut **conn)
            .await?;
        }
        Ok(())
    }

    /// Pages the SQLite file has now.
    #[doc(hidden)]
    pub async fn sqlite_page_count(&self) -> Result<i64> {
        Ok(sqlx::query("PRAGMA page_count")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    #[tracing::instrument(level = "debug", skip_all)]
    /// The newest migration applied to the database and the newest this program has: equal when the
    /// schema is current (`/readyz`).
    pub async fn schema_versions(&self) -> Result<(i64, i64)> {
        let applied: Option<i64> =
            sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let expected = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        Ok((applied.unwrap_or(0), expected))
    }

    /// Connections the pool has open, and how many of them are idle (for `/metrics`).
    pub fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact_url("postgres://mamori:secret@localhost/mamori"),
            "postgres://mamori:***@localhost/mamori"
        );
        assert_eq!(
            redact_url("postgres://localhost/mamori"),
            "postgres://localhost/mamori"
        );
        assert_eq!(
            redact_url("sqlite://x.db?mode=rwc"),
            "sqlite://x.db?mode=rwc"
        );
    }

    #[test]
    fn sqlite_paths_survive_the_url() {
        assert_eq!(
            sqlite_url("mamori.db", "rwc"),
            "sqlite://mamori.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url("C:\\ProgramData\\Mamori\\mamori.db", "rwc"),
            "sqlite://C%3A%5CProgramData%5CMamori%5Cmamori.db?mode=rwc"
        );
    }

    #[test]
    fn org_kinds_answer_their_own_form() {
        assert_eq!(
            OrgKind::parse("pharmacy").unwrap().own_variant(),
            Variant::Pharmacy
        );
        assert_eq!(
            OrgKind::parse("clinic").unwrap().own_variant(),
            Variant::Facility
        );
        assert_eq!(OrgKind::parse("dentist"), None);
    }
}
