//! Users, sessions, two-factor sign-in, login lockout and API tokens.

use super::*;

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
    pub org_id: OrgId,
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
    /// The user, with the organisation the session works in and their role there.
    pub user: User,
    pub csrf_token: String,
    /// The organisation the session works in (read with the session: one query less per request).
    pub org: crate::Org,
    /// Every active organisation the user belongs to (id, name), for the switcher.
    pub orgs: Vec<(OrgId, String)>,
}

/// A session ends after this long without use.
pub const SESSION_IDLE_MINUTES: i64 = 30;

/// Failed logins in a row that lock an account, and for how long.
pub const LOCKOUT_FAILURES: i64 = 5;

pub const LOCKOUT_MINUTES: i64 = 15;

pub(crate) fn user_from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        org_id: OrgId::new(r.try_get("org_id")?),
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        role: parse_role(&r.try_get::<String, _>("role")?)?,
        totp_enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
    })
}

/// The end of a lock stored as RFC 3339 text, if it is still locked at `now` ('' is never locked).
pub(crate) fn lock_end(until: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(until)
        .ok()
        .map(|t| t.to_utc())
        .filter(|t| *t > now)
}

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("権限 {s}")))
}

pub(crate) async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
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
    .bind(org_id.get())
    .bind(&u.login)
    .bind(&u.display_name)
    .bind(&u.password_hash)
    .bind(u.role.id())
    .bind(ts(at))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    sqlx::query(
        "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(org_id.get())
    .bind(u.role.id())
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
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

impl Store {
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
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT u.id, m.org_id, u.login, u.display_name, u.password_hash, m.role, u.totp_enabled, s.csrf_token, s.last_seen, \
             {} FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN memberships m ON m.user_id = u.id AND m.org_id = COALESCE(s.org_id, u.org_id) \
             JOIN orgs o ON o.id = m.org_id AND o.status = 'active' \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen > $3 AND u.disabled = 0",
            crate::orgs::ORG_COLUMNS_AS_O
        )))
        .bind(token_hash)
        .bind(ts(now))
        .bind(ts(idle_since))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        // Touch at most once a minute: page views are not all writes.
        let last_seen: String = r.try_get("last_seen")?;
        if last_seen < ts(now - chrono::Duration::minutes(1)) {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(ts(now))
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        let user = user_from_row(&r)?;
        let orgs = sqlx::query(
            "SELECT o.id, o.name FROM memberships m JOIN orgs o ON o.id = m.org_id \
             WHERE m.user_id = $1 AND o.status = 'active' ORDER BY o.name, o.id",
        )
        .bind(user.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((OrgId::new(r.try_get("id")?), r.try_get("name")?)))
        .collect::<Result<_>>()?;
        Ok(Some(Session {
            user,
            csrf_token: r.try_get("csrf_token")?,
            org: crate::orgs::org_from_prefixed(&r, "o_")?,
            orgs,
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
            secret: r.try_get("totp_secret")?,
            enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
            last_step: r.try_get("totp_last_step")?,
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
        Ok(lock_end(&until, now))
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
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at, role, expires_at, org_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user.id)
        .bind(&token.hash)
        .bind(&token.label)
        .bind(ts(at))
        .bind(token.role.id())
        .bind(ts(token.expires_at))
        .bind(user.org_id.get())
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
            "SELECT u.id, m.org_id, u.login, u.display_name, u.password_hash, m.role, u.totp_enabled, t.role AS token_role \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             JOIN memberships m ON m.user_id = u.id AND m.org_id = t.org_id \
             JOIN orgs o ON o.id = m.org_id AND o.status = 'active' \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mut user = user_from_row(&r)?;
        let token_role = parse_role(&r.try_get::<String, _>("token_role")?)?;
        if !user.role.covers(token_role) {
            return Ok(None);
        }
        user.role = token_role;
        Ok(Some(user))
    }

    /// The members of an organisation (its own users and those of other organisations it let in),
    /// by login, each with their role there.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn users(&self, org_id: OrgId) -> Result<Vec<User>> {
        sqlx::query(
            "SELECT u.id, m.org_id, u.login, u.display_name, u.password_hash, m.role, u.totp_enabled \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.login",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    /// Adds a user to an organisation (by an administrator, recorded in the audit trail).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_user(
        &self,
        org_id: OrgId,
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
}
