//! Taking access away: API tokens listed and revoked, users disabled and enabled, passwords reset by an
//! administrator, and every session of a user ended. Each is audited; a disabled user's sessions and
//! tokens stop at once (the session and token lookups read `users.disabled` and `revoked_at`).

use chrono::{DateTime, Utc};
use mamori_core::OrgId;
use serde::Serialize;
use sqlx::Row;

use crate::{OrNotFound, Result, Store, StoreError, audit, ts};

/// An API token as an administrator sees it (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub user_login: String,
    pub label: String,
    pub role: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

impl Store {
    /// The organisation's API tokens, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn api_tokens(&self, org_id: OrgId) -> Result<Vec<ApiTokenInfo>> {
        let rows = sqlx::query(
            "SELECT t.id, u.login, t.label, t.role, t.created_at, t.expires_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.org_id = $1 ORDER BY t.id DESC",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiTokenInfo {
                    id: r.try_get("id")?,
                    user_login: r.try_get("login")?,
                    label: r.try_get("label")?,
                    role: r.try_get("role")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of the organisation's tokens; it stops at once.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn revoke_api_token(
        &self,
        org_id: OrgId,
        token_id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND org_id = $3",
        )
        .bind(ts(at))
        .bind(token_id)
        .bind(org_id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound(format!(
                "トークン {token_id} はありません（取り消し済みか、別の組織のトークンです）"
            )));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "api_token",
            &token_id.to_string(),
            "revoke",
            None,
            Some(serde_json::json!({"revoked_at": ts(at)})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Logins of the organisation's disabled users.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn disabled_users(&self, org_id: OrgId) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT login FROM users WHERE org_id = $1 AND disabled <> 0")
            .bind(org_id.get())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_disabled(&self, user_id: i64) -> Result<bool> {
        Ok(sqlx::query("SELECT disabled FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .is_some_and(|d| d != 0))
    }

    /// Disables or enables a user of the organisation. Disabling ends every session of theirs; their
    /// tokens stop (and start again when enabled, unless revoked or expired). The last enabled
    /// administrator cannot be disabled, nor can one disable oneself.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_user_disabled(
        &self,
        org_id: OrgId,
        login: &str,
        disabled: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if disabled && login == actor {
            return Err(StoreError::Conflict(
                "自分自身は無効にできません（別の管理者が操作してください）".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let user = org_user(&mut tx, org_id, login).await?;
        if disabled && user.1 == "admin" {
            let admins: i64 = sqlx::query(
                "SELECT COUNT(*) FROM users WHERE org_id = $1 AND role = 'admin' AND disabled = 0 AND id <> $2",
            )
            .bind(org_id.get())
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if admins == 0 {
                return Err(StoreError::Conflict(
                    "最後の管理者は無効にできません（先に別の管理者を追加してください）".into(),
                ));
            }
        }
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if disabled {
            end_sessions(&mut tx, user.0).await?;
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "user",
            &user.0.to_string(),
            if disabled { "disable" } else { "enable" },
            None,
            Some(serde_json::json!({"login": login})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password chosen by an administrator (the user should change it after signing in) and
    /// ends every session of the user. The hash is not audited, only that it changed.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn reset_password(
        &self,
        org_id: OrgId,
        login: &str,
        password_hash: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let (id, _) = org_user(&mut tx, org_id, login).await?;
        sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = '' WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        end_sessions(&mut tx, id).await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "user",
            &id.to_string(),
            "password_reset",
            None,
            Some(serde_json::json!({"login": login})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a user (a lost or shared PC); returns how many ended.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn sign_out_everywhere(
        &self,
        org_id: OrgId,
        login: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let (id, _) = org_user(&mut tx, org_id, login).await?;
        let n = end_sessions(&mut tx, id).await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "user",
            &id.to_string(),
            "sign_out_everywhere",
            None,
            Some(serde_json::json!({"login": login, "sessions": n})),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Ends every session of a user; how many there were.
async fn end_sessions(tx: &mut sqlx::Transaction<'_, sqlx::Any>, user_id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// (id, role) of a user of the organisation, or a Japanese "not found".
async fn org_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
    login: &str,
) -> Result<(i64, String)> {
    let r = sqlx::query("SELECT id, role FROM users WHERE org_id = $1 AND login = $2")
        .bind(org_id.get())
        .bind(login)
        .fetch_optional(&mut **tx)
        .await?
        .or_not_found(|| format!("利用者「{login}」はこの組織にいません"))?;
    Ok((r.try_get("id")?, r.try_get("role")?))
}
