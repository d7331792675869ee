//! The hosting operator (運用管理者): accounts and sessions of their own, apart from every organisation's
//! users, so that no membership, role or row id can lead an operator into a facility's data.

use super::*;

#[derive(Clone)]
pub struct Operator {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct OperatorSession {
    pub operator: Operator,
    pub csrf_token: String,
}

fn operator_from_row(r: &AnyRow) -> Result<Operator> {
    Ok(Operator {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
    })
}

impl Store {
    /// Adds an operator account (from the command line: there is no page that makes one).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_operator(
        &self,
        login: &str,
        display_name: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Operator> {
        let taken: i64 = sqlx::query("SELECT COUNT(*) FROM operators WHERE login = $1")
            .bind(login)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if taken > 0 {
            return Err(StoreError::LoginTaken(login.to_string()));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO operators (login, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(login)
        .bind(display_name)
        .bind(password_hash)
        .bind(ts(at))
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(Operator {
            id,
            login: login.to_string(),
            display_name: display_name.to_string(),
            password_hash: password_hash.to_string(),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>> {
        sqlx::query("SELECT id, login, display_name, password_hash FROM operators WHERE login = $1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| operator_from_row(&r))
            .transpose()
    }

    /// When the operator's account is locked after failed sign-ins, until when.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn operator_locked_until(
        &self,
        operator_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let until: String = sqlx::query("SELECT locked_until FROM operators WHERE id = $1")
            .bind(operator_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(crate::auth::lock_end(&until, now))
    }

    /// Counts a failed sign-in; the [`LOCKOUT_FAILURES`]th in a row locks the account for
    /// [`LOCKOUT_MINUTES`], in the database so that every instance holds it. A good sign-in resets it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_operator_sign_in(
        &self,
        operator_id: i64,
        ok: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ok {
            sqlx::query("UPDATE operators SET failed_logins = 0 WHERE id = $1")
                .bind(operator_id)
                .execute(&self.pool)
                .await?;
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        let n: i64 = sqlx::query(
            "UPDATE operators SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        )
        .bind(operator_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if n >= LOCKOUT_FAILURES {
            sqlx::query("UPDATE operators SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                .bind(ts(now + chrono::Duration::minutes(LOCKOUT_MINUTES)))
                .bind(operator_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_operator_session(
        &self,
        token_hash: &str,
        operator_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, created_at, expires_at, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $4)",
        )
        .bind(token_hash)
        .bind(operator_id)
        .bind(csrf_token)
        .bind(ts(at))
        .bind(ts(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A live operator session (idle ones end as users' do).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn operator_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OperatorSession>> {
        let idle_since = now - chrono::Duration::minutes(SESSION_IDLE_MINUTES);
        let row = sqlx::query(
            "SELECT o.id, o.login, o.display_name, o.password_hash, s.csrf_token, s.last_seen \
             FROM operator_sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen > $3",
        )
        .bind(token_hash)
        .bind(ts(now))
        .bind(ts(idle_since))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let last_seen: String = r.try_get("last_seen")?;
        if last_seen < ts(now - chrono::Duration::minutes(1)) {
            sqlx::query("UPDATE operator_sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(ts(now))
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(OperatorSession {
            operator: operator_from_row(&r)?,
            csrf_token: r.try_get("csrf_token")?,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_operator_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
