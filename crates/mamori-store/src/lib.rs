//! Mamori's storage: one API over SQLite (embedded, the default) and PostgreSQL (for hosted, multi-facility
//! deployments), through sqlx's `Any` driver with portable SQL and per-backend migrations.
//!
//! Every query that reads or writes facility data takes the organisation id and filters on it: no method
//! returns another organisation's rows.

pub mod access;
pub mod agents;
pub mod backup;
pub mod edition_imports;
pub mod ledger;
pub mod log_analyses;
pub mod vendor_forms;

pub use access::ApiTokenInfo;
pub use agents::{Agent, Enrollment, HistoryEntry, InventoryReview};
pub use edition_imports::EditionImport;
pub use ledger::{Fields, ImportCounts, LedgerQuery, LedgerRow};
pub use log_analyses::LogAnalysis;
pub use vendor_forms::VendorFormRecord;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_core::{Answer, AnswerSet, Choice, Role, Target, Variant};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrgKind {
    Hospital,
    Clinic,
    Pharmacy,
}

impl OrgKind {
    pub fn id(self) -> &'static str {
        match self {
            OrgKind::Hospital => "hospital",
            OrgKind::Clinic => "clinic",
            OrgKind::Pharmacy => "pharmacy",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Hospital => "病院",
            OrgKind::Clinic => "診療所",
            OrgKind::Pharmacy => "薬局",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        [OrgKind::Hospital, OrgKind::Clinic, OrgKind::Pharmacy]
            .into_iter()
            .find(|k| k.id() == s)
    }
    /// The form this kind of facility answers itself.
    pub fn own_variant(self) -> Variant {
        match self {
            OrgKind::Pharmacy => Variant::Pharmacy,
            _ => Variant::Facility,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub security_officer: String,
    pub has_vendor_contract: bool,
    /// Two-factor sign-in required for every user (administrators need it regardless).
    pub require_totp: bool,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    pub security_officer: String,
    pub has_vendor_contract: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    /// An argon2 PHC string; the store never sees a password.
    pub password_hash: String,
    pub role: Role,
}

#[derive(Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub login: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    /// Two-factor sign-in is set up and required at login.
    pub totp_enabled: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("login", &self.login)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Two-factor state of a user.
#[derive(Clone, PartialEq)]
pub struct TotpState {
    pub secret: String,
    pub enabled: bool,
    pub last_step: i64,
}

impl std::fmt::Debug for TotpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpState")
            .field("enabled", &self.enabled)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A new API token as stored: the SHA-256 of the token, never the token.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub label: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

/// One entry of the audit trail: who changed what, when, before and after.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub actor: String,
    pub at: String,
    pub entity: String,
    pub entity_key: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What part of the audit trail to show; empty strings and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: String,
    pub key_prefix: String,
    /// Exactly this entity key.
    pub key: String,
    pub actor: String,
    pub action: String,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Paging: only records older than this id.
    pub before_id: Option<i64>,
}

/// One backup attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRun {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub generation: String,
    pub dir: String,
    pub message: String,
}

/// Who makes a change, as recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
}

/// A session ends after this long without use.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// Failed logins in a row that lock an account, and for how long.
pub const LOCKOUT_FAILURES: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

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
                (format!("sqlite://{target}?mode=rwc"), Backend::Sqlite)
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
        let pool = options
            .connect(&url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(&url),
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

    /// Checks the whole audit chain: every record's hash, and its link to the one before.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_audit_chain(&self) -> Result<std::result::Result<usize, AuditBreak>> {
        let rows = sqlx::query(
            "SELECT id, org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash \
             FROM audit_log ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut prev = String::new();
        // Inside a large import's block: (records still to come, the last one's hash as the block says).
        let mut block: Option<(i64, String)> = None;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let stored_prev: String = r.try_get(9)?;
            let stored: String = r.try_get(10)?;
            let before: Option<String> = r.try_get(7)?;
            let after: Option<String> = r.try_get(8)?;
            let computed = chain_hash(
                &stored_prev,
                r.try_get(1)?,
                &r.try_get::<String, _>(2)?,
                &r.try_get::<String, _>(3)?,
                &r.try_get::<String, _>(4)?,
                &r.try_get::<String, _>(5)?,
                &r.try_get::<String, _>(6)?,
                before.as_deref(),
                after.as_deref(),
            );
            if stored_prev != prev {
                return Ok(Err(AuditBreak {
                    id,
                    reason: "直前の記録とのつながりが切れています（記録の削除・差し替えの疑い）"
                        .into(),
                }));
            }
            if stored != computed {
                return Ok(Err(AuditBreak {
                    id,
                    reason: "記録の内容がハッシュと一致しません（改ざんの疑い）".into(),
                }));
            }
            prev = stored;
            if let Some((left, last)) = block.as_mut() {
                *left -= 1;
                if *left == 0 {
                    if *last != prev {
                        return Ok(Err(AuditBreak {
                            id,
                            reason: "取り込みの記録のまとまりが途中で変わっています（記録の削除・差し替えの疑い）".into(),
                        }));
                    }
                    block = None;
                }
            }
            // A large import's records chain from the anchor its block record names.
            if r.try_get::<String, _>(6)? == IMPORT_BLOCK
                && let Some(b) = after
                    .as_deref()
                    .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            {
                let count = b["count"].as_i64().unwrap_or(0);
                if count > 0 {
                    prev = b["anchor"].as_str().unwrap_or_default().to_string();
                    block = Some((count, b["last"].as_str().unwrap_or_default().to_string()));
                }
            }
        }
        if block.is_some() {
            let id = rows.last().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
            return Ok(Err(AuditBreak {
                id,
                reason: "取り込みの記録のまとまりの末尾がありません（記録の削除の疑い）".into(),
            }));
        }
        let head: String = sqlx::query("SELECT hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if head != prev {
            let id = rows.last().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
            return Ok(Err(AuditBreak {
                id,
                reason: "最後の記録が連鎖の先頭と一致しません（末尾の記録の削除の疑い）".into(),
            }));
        }
        Ok(Ok(rows.len()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// True once the first organisation exists.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn is_set_up(&self) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM orgs")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }

    /// First-run setup: the facility and its first administrator, in one transaction. Refused once done.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_up(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
    ) -> Result<(Org, User)> {
        self.create_org(org, admin, at, true).await
    }

    /// Adds an organisation with its first administrator (hosted installs serve several).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_org(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
    ) -> Result<(Org, User)> {
        self.create_org(org, admin, at, false).await
    }

    async fn create_org(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
        first: bool,
    ) -> Result<(Org, User)> {
        let mut tx = self.write_tx().await?;
        if first {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM orgs")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if n > 0 {
                return Err(StoreError::AlreadySetUp);
            }
        }
        let org_id: i64 = sqlx::query(
            "INSERT INTO orgs (kind, name, security_officer, has_vendor_contract, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(org.kind.id())
        .bind(&org.name)
        .bind(&org.security_officer)
        .bind(i64::from(org.has_vendor_contract))
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let user_id = insert_user(&mut tx, org_id, admin, &admin.login, at).await?;
        let created = Org {
            id: org_id,
            kind: org.kind,
            name: org.name.clone(),
            security_officer: org.security_officer.clone(),
            has_vendor_contract: org.has_vendor_contract,
            require_totp: false,
        };
        let after = serde_json::to_value(&created).expect("org serialises");
        audit(
            &mut tx,
            org_id,
            &admin.login,
            at,
            "org",
            &org_id.to_string(),
            "setup",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        let user = User {
            id: user_id,
            org_id,
            login: admin.login.clone(),
            display_name: admin.display_name.clone(),
            password_hash: admin.password_hash.clone(),
            role: admin.role,
            totp_enabled: false,
        };
        Ok((created, user))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn org(&self, org_id: i64) -> Result<Org> {
        let row = sqlx::query(
            "SELECT id, kind, name, security_officer, has_vendor_contract, require_totp FROM orgs WHERE id = $1",
        )
        .bind(org_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("組織 {org_id} がありません")))?;
        let kind: String = row.try_get(1)?;
        Ok(Org {
            id: row.try_get(0)?,
            kind: OrgKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("組織の種別 {kind}")))?,
            name: row.try_get(2)?,
            security_officer: row.try_get(3)?,
            has_vendor_contract: row.try_get::<i64, _>(4)? != 0,
            require_totp: row.try_get::<i64, _>(5)? != 0,
        })
    }

    /// The organisation of a single-facility install (the first one).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn first_org_id(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM orgs ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT id, org_id, login, display_name, password_hash, role, totp_enabled FROM users WHERE login = $1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen) VALUES ($1, $2, $3, $4, $5, $4)",
        )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(ts(at))
            .bind(ts(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A live session and its user. Sessions past their end, or idle for longer than
    /// [`SESSION_IDLE_MINUTES`], are not returned; using a session keeps it alive.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let idle_since = now - chrono::Duration::minutes(SESSION_IDLE_MINUTES);
        let row = sqlx::query(
            "SELECT u.id, u.org_id, u.login, u.display_name, u.password_hash, u.role, u.totp_enabled, s.csrf_token, s.last_seen \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen > $3 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(ts(now))
        .bind(ts(idle_since))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        // Touch at most once a minute: page views are not all writes.
        let last_seen: String = r.try_get(8)?;
        if last_seen < ts(now - chrono::Duration::minutes(1)) {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(ts(now))
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            user: user_from_row(&r)?,
            csrf_token: r.try_get(7)?,
        }))
    }

    /// The user's two-factor state. The secret is only read for checking codes; it is never logged.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn totp(&self, user_id: i64) -> Result<TotpState> {
        let r = sqlx::query(
            "SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(TotpState {
            secret: r.try_get(0)?,
            enabled: r.try_get::<i64, _>(1)? != 0,
            last_step: r.try_get(2)?,
        })
    }

    /// Stores a new secret awaiting confirmation (two-factor stays off until [`Store::enable_totp`]).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn begin_totp(&self, user: &User, secret: &str) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled = 0")
            .bind(secret)
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns two-factor on after a confirmed code, with new recovery codes (their hashes).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enable_totp(
        &self,
        user: &User,
        step: i64,
        recovery_hashes: &[String],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_last_step = $1 WHERE id = $2")
            .bind(step)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.id)
                .bind(h)
                .execute(&mut *tx)
                .await?;
        }
        let after =
            serde_json::json!({"two_factor": "enabled", "recovery_codes": recovery_hashes.len()});
        audit(
            &mut tx,
            user.org_id,
            &user.login,
            at,
            "user",
            &user.id.to_string(),
            "totp",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts a code's step once: a step not newer than the last accepted one is a replay.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let n = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_enabled = 1 AND totp_last_step < $1")
            .bind(step)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Uses up a recovery code (by its hash); false when unknown or already used.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at = ''")
            .bind(ts(at))
            .bind(user_id)
            .bind(code_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// When the account is locked after failed logins, until when.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn locked_until(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let until: String = sqlx::query("SELECT locked_until FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(DateTime::parse_from_rfc3339(&until)
            .ok()
            .map(|t| t.to_utc())
            .filter(|t| *t > now))
    }

    /// Counts a failed login; the [`LOCKOUT_FAILURES`]th in a row locks the account for
    /// [`LOCKOUT_MINUTES`] (recorded in the audit trail). Returns the lock's end when it locks.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_login_failure(
        &self,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let mut tx = self.write_tx().await?;
        let n: i64 = sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
            .bind(user.id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let mut locked = None;
        if n >= LOCKOUT_FAILURES {
            let until = now + chrono::Duration::minutes(LOCKOUT_MINUTES);
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                .bind(ts(until))
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            let after = serde_json::json!({"locked_until": ts(until), "failures": n});
            audit(
                &mut tx,
                user.org_id,
                &user.login,
                now,
                "user",
                &user.id.to_string(),
                "lock",
                None,
                Some(after),
            )
            .await?;
            locked = Some(until);
        }
        tx.commit().await?;
        Ok(locked)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reset_login_failures(&self, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0 WHERE id = $1 AND failed_logins > 0")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes sessions past their end or idle past the timeout.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let idle_since = now - chrono::Duration::minutes(SESSION_IDLE_MINUTES);
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen <= $2")
                .bind(ts(now))
                .bind(ts(idle_since))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Stores a new API token (its hash) with a role no higher than its user's and an expiry.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_api_token(
        &self,
        user: &User,
        token: &NewToken,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        if !user.role.covers(token.role) {
            return Err(StoreError::TokenRole {
                user: user.role.label(),
                token: token.role.label(),
            });
        }
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at, role, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(&token.hash)
        .bind(&token.label)
        .bind(ts(at))
        .bind(token.role.id())
        .bind(ts(token.expires_at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let after = serde_json::json!({"user": user.login, "label": token.label, "role": token.role.id(), "expires_at": ts(token.expires_at)});
        audit(
            &mut tx,
            user.org_id,
            &user.login,
            at,
            "api_token",
            &id.to_string(),
            "create",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The user a live token acts for, with the token's role. Expired tokens, and tokens whose user no
    /// longer holds the token's role, are not accepted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.org_id, u.login, u.display_name, u.password_hash, u.role, u.totp_enabled, t.role \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2 \
             AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mut user = user_from_row(&r)?;
        let token_role = parse_role(&r.try_get::<String, _>(7)?)?;
        if !user.role.covers(token_role) {
            return Ok(None);
        }
        user.role = token_role;
        Ok(Some(user))
    }

    /// The users of an organisation, by login.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn users(&self, org_id: i64) -> Result<Vec<User>> {
        sqlx::query(
            "SELECT id, org_id, login, display_name, password_hash, role, totp_enabled FROM users \
             WHERE org_id = $1 ORDER BY login",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    /// Adds a user to an organisation (by an administrator, recorded in the audit trail).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn add_user(
        &self,
        org_id: i64,
        user: &NewUser,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User> {
        self.org(org_id).await?;
        let mut tx = self.write_tx().await?;
        let id = insert_user(&mut tx, org_id, user, actor, at).await?;
        tx.commit().await?;
        Ok(User {
            id,
            org_id,
            login: user.login.clone(),
            display_name: user.display_name.clone(),
            password_hash: user.password_hash.clone(),
            role: user.role,
            totp_enabled: false,
        })
    }

    /// What the ledgers said when each answer of a form was saved: "item/target/round" → suggestion JSON.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn answer_evidence(
        &self,
        org_id: i64,
        edition: &str,
        variant: Variant,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT item, target, round, evidence FROM answers \
             WHERE org_id = $1 AND edition = $2 AND variant = $3 AND evidence IS NOT NULL",
        )
        .bind(org_id)
        .bind(edition)
        .bind(variant.id())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let item: String = r.try_get(0)?;
                let target: String = r.try_get(1)?;
                let round: i64 = r.try_get(2)?;
                let text: String = r.try_get(3)?;
                let v =
                    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((format!("{item}/{target}/{round}"), v))
            })
            .collect()
    }

    /// The stored answers of one form of one organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn answers(
        &self,
        org_id: i64,
        edition: &str,
        variant: Variant,
    ) -> Result<Vec<Answer>> {
        load_answers(&self.pool, org_id, edition, variant).await
    }

    /// Reads the stored answers, lets `check` turn the request into answers (or refuse it), and writes
    /// them with their audit records, all in one transaction: a refused request changes nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn save_answers<E>(
        &self,
        org_id: i64,
        edition: &str,
        variant: Variant,
        actor: &Actor,
        at: DateTime<Utc>,
        check: impl FnOnce(&AnswerSet) -> std::result::Result<Vec<Answer>, E>,
    ) -> Result<std::result::Result<Vec<Answer>, E>> {
        self.save_answers_with_evidence(
            org_id,
            edition,
            variant,
            actor,
            at,
            &std::collections::HashMap::new(),
            check,
        )
        .await
    }

    /// [`Store::save_answers`], keeping with each saved answer what the ledgers said about its item then
    /// (`evidence`: item id → the suggestion as JSON), in the row and in its audit record.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn save_answers_with_evidence<E>(
        &self,
        org_id: i64,
        edition: &str,
        variant: Variant,
        actor: &Actor,
        at: DateTime<Utc>,
        evidence: &std::collections::HashMap<String, serde_json::Value>,
        check: impl FnOnce(&AnswerSet) -> std::result::Result<Vec<Answer>, E>,
    ) -> Result<std::result::Result<Vec<Answer>, E>> {
        let mut tx = self.write_tx().await?;
        let stored = AnswerSet::new(load_answers(&mut *tx, org_id, edition, variant).await?);
        let answers = match check(&stored) {
            Ok(a) => a,
            Err(e) => {
                tx.rollback().await?;
                return Ok(Err(e));
            }
        };
        for a in &answers {
            let before = stored.get(&a.item, a.target, a.round);
            if before == Some(a) {
                continue;
            }
            sqlx::query(
                "INSERT INTO answers (org_id, edition, variant, item, target, round, answer, checked_on, target_date, note, updated_by, updated_at, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (org_id, edition, variant, item, target, round) DO UPDATE SET \
                 answer = excluded.answer, checked_on = excluded.checked_on, target_date = excluded.target_date, \
                 note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at, \
                 evidence = excluded.evidence",
            )
            .bind(org_id)
            .bind(edition)
            .bind(variant.id())
            .bind(&a.item)
            .bind(a.target.id())
            .bind(i64::from(a.round))
            .bind(a.answer.id())
            .bind(a.checked_on.to_string())
            .bind(a.target_date.map(|d| d.to_string()))
            .bind(&a.note)
            .bind(actor.user_id)
            .bind(ts(at))
            .bind(evidence.get(&a.item).map(|v| v.to_string()))
            .execute(&mut *tx)
            .await?;
            let key = format!("{}/{}/{}", a.item, a.target.id(), a.round);
            let before = before.map(|b| serde_json::to_value(b).expect("answer serialises"));
            let action = if before.is_some() { "update" } else { "create" };
            let mut after = serde_json::to_value(a).expect("answer serialises");
            if let Some(e) = evidence.get(&a.item) {
                after["evidence"] = e.clone();
            }
            audit(
                &mut tx,
                org_id,
                &actor.name,
                at,
                "answer",
                &key,
                action,
                before,
                Some(after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(answers))
    }

    /// The audit trail of an organisation, newest first; `entity_key_prefix` narrows it (e.g. to one item).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn history(
        &self,
        org_id: i64,
        entity: Option<&str>,
        entity_key_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let filter = AuditFilter {
            entity: entity.unwrap_or("").to_string(),
            key_prefix: entity_key_prefix.unwrap_or("").to_string(),
            ..AuditFilter::default()
        };
        self.audit_trail(org_id, &filter, limit).await
    }

    /// The audit trail of an organisation, newest first, narrowed by `filter`.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn audit_trail(
        &self,
        org_id: i64,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let like = |s: &str| format!("{}%", like_escape(s));
        let rows = sqlx::query(
            "SELECT id, actor, at, entity, entity_key, action, before_json, after_json FROM audit_log \
             WHERE org_id = $1 AND ($2 = '' OR entity = $2) AND ($3 = '' OR entity_key LIKE $4 ESCAPE '\\') \
             AND ($5 = '' OR actor = $5) AND ($6 = '' OR action = $6) \
             AND ($7 = '' OR at >= $7) AND ($8 = '' OR at < $8) AND ($9 = 0 OR id < $9) \
             AND ($11 = '' OR entity_key = $11) \
             ORDER BY id DESC LIMIT $10",
        )
        .bind(org_id)
        .bind(&filter.entity)
        .bind(&filter.key_prefix)
        .bind(like(&filter.key_prefix))
        .bind(&filter.actor)
        .bind(&filter.action)
        .bind(filter.from.map(ts).unwrap_or_default())
        .bind(filter.until.map(ts).unwrap_or_default())
        .bind(filter.before_id.unwrap_or(0))
        .bind(limit)
        .bind(&filter.key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let parse = |s: Option<String>| -> Result<Option<serde_json::Value>> {
                    s.map(|s| {
                        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
                    })
                    .transpose()
                };
                Ok(AuditRecord {
                    id: r.try_get(0)?,
                    actor: r.try_get(1)?,
                    at: r.try_get(2)?,
                    entity: r.try_get(3)?,
                    entity_key: r.try_get(4)?,
                    action: r.try_get(5)?,
                    before: parse(r.try_get(6)?)?,
                    after: parse(r.try_get(7)?)?,
                })
            })
            .collect()
    }

    /// The people and kinds of change in an organisation's trail, for the filter menus.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn audit_facets(&self, org_id: i64) -> Result<(Vec<String>, Vec<String>)> {
        let col = |sql: &'static str| async move {
            sqlx::query(sql)
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
                .collect::<Result<Vec<String>>>()
        };
        Ok((
            col("SELECT DISTINCT actor FROM audit_log WHERE org_id = $1 ORDER BY actor").await?,
            col("SELECT DISTINCT entity FROM audit_log WHERE org_id = $1 ORDER BY entity").await?,
        ))
    }

    /// Turns "two-factor for everyone" on or off for an organisation (administrators always need it).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn set_require_totp(
        &self,
        org_id: i64,
        required: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: i64 = sqlx::query("SELECT require_totp FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("組織 {org_id} がありません")))?
            .try_get(0)?;
        if (before != 0) == required {
            return Ok(());
        }
        sqlx::query("UPDATE orgs SET require_totp = $1 WHERE id = $2")
            .bind(i64::from(required))
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "settings",
            "require_totp",
            "update",
            Some(serde_json::json!({ "require_totp": before != 0 })),
            Some(serde_json::json!({ "require_totp": required })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notes a backup attempt (its generation on success, the reason on failure).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_backup_run(&self, run: &BackupRun) -> Result<()> {
        sqlx::query(
            "INSERT INTO backup_runs (at, ok, generation, dir, message) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ts(run.at))
        .bind(i64::from(run.ok))
        .bind(&run.generation)
        .bind(&run.dir)
        .bind(&run.message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest backup attempt, and the newest successful one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn last_backup_runs(&self) -> Result<(Option<BackupRun>, Option<BackupRun>)> {
        let get = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_optional(&self.pool).await?;
            row.map(|r| -> Result<BackupRun> {
                let at: String = r.try_get(0)?;
                Ok(BackupRun {
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|_| StoreError::Corrupt(format!("日時 {at}")))?
                        .with_timezone(&Utc),
                    ok: r.try_get::<i64, _>(1)? != 0,
                    generation: r.try_get(2)?,
                    dir: r.try_get(3)?,
                    message: r.try_get(4)?,
                })
            })
            .transpose()
        };
        Ok((
            get("SELECT at, ok, generation, dir, message FROM backup_runs ORDER BY id DESC LIMIT 1")
                .await?,
            get("SELECT at, ok, generation, dir, message FROM backup_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1")
                .await?,
        ))
    }

    /// Records a login or another event without a data change.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn record_event(
        &self,
        org_id: i64,
        actor: &str,
        at: DateTime<Utc>,
        entity: &str,
        key: &str,
        action: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        audit(&mut tx, org_id, actor, at, entity, key, action, None, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn user_from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        login: r.try_get(2)?,
        display_name: r.try_get(3)?,
        password_hash: r.try_get(4)?,
        role: parse_role(&r.try_get::<String, _>(5)?)?,
        totp_enabled: r.try_get::<i64, _>(6)? != 0,
    })
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("権限 {s}")))
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    u: &NewUser,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let taken: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE login = $1")
        .bind(&u.login)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    if taken > 0 {
        return Err(StoreError::LoginTaken(u.login.clone()));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO users (org_id, login, display_name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(&u.login)
    .bind(&u.display_name)
    .bind(&u.password_hash)
    .bind(u.role.id())
    .bind(ts(at))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let after =
        serde_json::json!({"login": u.login, "display_name": u.display_name, "role": u.role.id()});
    audit(
        tx,
        org_id,
        actor,
        at,
        "user",
        &id.to_string(),
        "create",
        None,
        Some(after),
    )
    .await?;
    Ok(id)
}

/// The first audit record that fails verification, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditBreak {
    pub id: i64,
    pub reason: String,
}

impl std::fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "監査記録 {} 番: {}", self.id, self.reason)
    }
}

/// SHA-256 over the previous hash and every field of a record, as a JSON array (unambiguous framing).
#[allow(clippy::too_many_arguments)]
pub(crate) fn chain_hash(
    prev: &str,
    org_id: i64,
    actor: &str,
    at: &str,
    entity: &str,
    key: &str,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let framed = serde_json::json!([prev, org_id, actor, at, entity, key, action, before, after])
        .to_string();
    hex::encode(sha2::Sha256::digest(framed.as_bytes()))
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    actor: &str,
    at: DateTime<Utc>,
    entity: &str,
    key: &str,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    // Touch the head first: in PostgreSQL this row lock orders concurrent writers, and the value read
    // after the wait is the newest head.
    let prev: String = sqlx::query("UPDATE audit_head SET hash = hash WHERE id = 1 RETURNING hash")
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let at = ts(at);
    let before = before.map(|v| v.to_string());
    let after = after.map(|v| v.to_string());
    let hash = chain_hash(
        &prev,
        org_id,
        actor,
        &at,
        entity,
        key,
        action,
        before.as_deref(),
        after.as_deref(),
    );
    sqlx::query(
        "INSERT INTO audit_log (org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(org_id)
    .bind(actor)
    .bind(&at)
    .bind(entity)
    .bind(key)
    .bind(action)
    .bind(before)
    .bind(after)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The audit action of a large import's block: its `after_json` names the anchor its records chain
/// from, their count and the last one's hash (see `Store::import_ledger`).
pub(crate) const IMPORT_BLOCK: &str = "import_block";

/// One record of [`audit_many`].
pub(crate) struct AuditEntry {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Many audit records of one actor, entity and action, chained in order and written in multi-row
/// statements (an import of a hundred thousand rows is one transaction, not two hundred thousand
/// statements holding the write lock).
pub(crate) async fn audit_many(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    actor: &str,
    at: DateTime<Utc>,
    entity: &str,
    action: &str,
    entries: &[AuditEntry],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut prev: String =
        sqlx::query("UPDATE audit_head SET hash = hash WHERE id = 1 RETURNING hash")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
    let at = ts(at);
    // 10 values a record; 400 records stay under every backend's limit on bound values.
    for chunk in entries.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO audit_log (org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash) VALUES ",
        );
        let mut hashes = Vec::with_capacity(chunk.len());
        for (n, e) in chunk.iter().enumerate() {
            let hash = chain_hash(
                &prev,
                org_id,
                actor,
                &at,
                entity,
                &e.key,
                action,
                e.before.as_deref(),
                e.after.as_deref(),
            );
            hashes.push((std::mem::replace(&mut prev, hash.clone()), hash));
            if n > 0 {
                sql.push(',');
            }
            let b = n * 10;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10
            ));
        }
        // Only placeholders are spliced in; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (e, (prev_hash, hash)) in chunk.iter().zip(hashes) {
            q = q
                .bind(org_id)
                .bind(actor)
                .bind(at.clone())
                .bind(entity)
                .bind(e.key.clone())
                .bind(action)
                .bind(e.before.clone())
                .bind(e.after.clone())
                .bind(prev_hash)
                .bind(hash);
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn load_answers<'e, E>(
    exec: E,
    org_id: i64,
    edition: &str,
    variant: Variant,
) -> Result<Vec<Answer>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT item, target, round, answer, checked_on, target_date, note FROM answers \
         WHERE org_id = $1 AND edition = $2 AND variant = $3 ORDER BY item, target, round",
    )
    .bind(org_id)
    .bind(edition)
    .bind(variant.id())
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            let bad = |what: &str, v: &str| StoreError::Corrupt(format!("{what} {v}"));
            let target: String = r.try_get(1)?;
            let answer: String = r.try_get(3)?;
            let checked: String = r.try_get(4)?;
            let target_date: Option<String> = r.try_get(5)?;
            let date =
                |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad("日付", s));
            Ok(Answer {
                item: r.try_get(0)?,
                target: target.parse::<Target>().map_err(|_| bad("対象", &target))?,
                round: u8::try_from(r.try_get::<i64, _>(2)?).map_err(|_| bad("回数", "?"))?,
                answer: Choice::parse(&answer).ok_or_else(|| bad("回答", &answer))?,
                checked_on: date(&checked)?,
                target_date: target_date.as_deref().map(date).transpose()?,
                note: r.try_get(6)?,
            })
        })
        .collect()
}

/// Hides the password of a database URL in messages and logs.
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
