//! Many organisations in one deployment: who belongs where (memberships), the organisation a session
//! works in, groups and their facilities, and what the hosting operator sees (usage, never content).

use super::*;
use crate::orgs::{ORG_COLUMNS, org_from_row};

/// An organisation as the hosting operator sees it: what it is and how much it is used, never what it
/// answered or recorded.
#[derive(Debug, Clone, Serialize)]
pub struct OrgUsage {
    pub org: Org,
    pub users: i64,
    pub answers: i64,
    pub ledger_rows: i64,
    /// The newest audit record's time (RFC 3339), if any.
    pub last_activity: Option<String>,
}

/// An organisation a user belongs to, with their role there.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub org: Org,
    pub role: Role,
}

/// A facility of a group with the figures the group's roll-up shows.
#[derive(Debug, Clone, Serialize)]
pub struct FacilityFigures {
    pub org: Org,
    pub answers_yes: i64,
    pub answers_no: i64,
    /// いいえ whose 目標日 has passed (`today` as given).
    pub overdue: i64,
    /// The newest 確認日 of any answer, if any.
    pub last_checked: Option<String>,
    /// When the newest finished log analysis ended (RFC 3339), if any.
    pub last_log_analysis: Option<String>,
}

impl Store {
    /// Every organisation with its usage, by id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn orgs_overview(&self) -> Result<Vec<OrgUsage>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS}, \
             (SELECT COUNT(*) FROM memberships m WHERE m.org_id = orgs.id) AS n_users, \
             (SELECT COUNT(*) FROM answers a WHERE a.org_id = orgs.id) AS n_answers, \
             (SELECT COUNT(*) FROM ledger_rows l WHERE l.org_id = orgs.id) AS n_rows, \
             (SELECT MAX(at) FROM audit_log g WHERE g.org_id = orgs.id) AS last_at \
             FROM orgs ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgUsage {
                    org: org_from_row(r)?,
                    users: r.try_get("n_users")?,
                    answers: r.try_get("n_answers")?,
                    ledger_rows: r.try_get("n_rows")?,
                    last_activity: r.try_get("last_at")?,
                })
            })
            .collect()
    }

    /// Suspends or resumes an organisation (the hosting operator). Suspending ends its members'
    /// sessions there at once and stops its tokens; nothing of its data is touched.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_org_status(
        &self,
        org_id: OrgId,
        status: OrgStatus,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: String = sqlx::query("SELECT status FROM orgs WHERE id = $1")
            .bind(org_id.get())
            .fetch_optional(&mut *tx)
            .await?
            .or_not_found(|| format!("組織 {org_id} がありません"))?
            .try_get(0)?;
        if before == status.id() {
            return Ok(());
        }
        sqlx::query("UPDATE orgs SET status = $1 WHERE id = $2")
            .bind(status.id())
            .bind(org_id.get())
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "org",
            &org_id.to_string(),
            status.id(),
            Some(serde_json::json!({ "status": before })),
            Some(serde_json::json!({ "status": status.id() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a facility into a group (or takes it out with `None`).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_org_group(
        &self,
        org_id: OrgId,
        group: Option<OrgId>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let org = self.org(org_id).await?;
        if !org.kind.is_facility() {
            return Err(StoreError::Conflict(format!(
                "「{}」は{}です。グループに入れられるのは病院・診療所・薬局だけです",
                org.name,
                org.kind.label()
            )));
        }
        if let Some(g) = group {
            let g = self.org(g).await?;
            if g.kind != OrgKind::Group {
                return Err(StoreError::Conflict(format!(
                    "「{}」はグループではありません（{}）",
                    g.name,
                    g.kind.label()
                )));
            }
        }
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE orgs SET group_id = $1 WHERE id = $2")
            .bind(group.map(OrgId::get))
            .bind(org_id.get())
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "org",
            &org_id.to_string(),
            "group",
            Some(serde_json::json!({ "group_id": org.group_id })),
            Some(serde_json::json!({ "group_id": group })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The facilities of a group with their progress, by name. Only figures: no answer's text.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = group.get()))]
    pub async fn group_facilities(
        &self,
        group: OrgId,
        today: NaiveDate,
    ) -> Result<Vec<FacilityFigures>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS}, \
             (SELECT COUNT(*) FROM answers a WHERE a.org_id = orgs.id AND a.answer = 'yes') AS n_yes, \
             (SELECT COUNT(*) FROM answers a WHERE a.org_id = orgs.id AND a.answer = 'no') AS n_no, \
             (SELECT COUNT(*) FROM answers a WHERE a.org_id = orgs.id AND a.answer = 'no' \
                AND a.target_date IS NOT NULL AND a.target_date < $2) AS n_overdue, \
             (SELECT MAX(checked_on) FROM answers a WHERE a.org_id = orgs.id) AS last_checked, \
             (SELECT MAX(finished_at) FROM log_analyses g WHERE g.org_id = orgs.id AND g.status = 'done') \
                AS last_analysis \
             FROM orgs WHERE group_id = $1 ORDER BY name, id"
        )))
        .bind(group.get())
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FacilityFigures {
                    org: org_from_row(r)?,
                    answers_yes: r.try_get("n_yes")?,
                    answers_no: r.try_get("n_no")?,
                    overdue: r.try_get("n_overdue")?,
                    last_checked: r.try_get("last_checked")?,
                    last_log_analysis: r.try_get("last_analysis")?,
                })
            })
            .collect()
    }

    /// The active organisations a user belongs to, their own first, then by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>> {
        let cols = ORG_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {cols}, m.role AS member_role, CASE WHEN u.org_id = o.id THEN 0 ELSE 1 END AS guest \
             FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id \
             WHERE m.user_id = $1 AND o.status = 'active' ORDER BY guest, o.name, o.id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    org: org_from_row(r)?,
                    role: crate::auth::parse_role(&r.try_get::<String, _>("member_role")?)?,
                })
            })
            .collect()
    }

    /// Lets a user of any organisation into this one with a role (a group's 事務長, a vendor's
    /// engineer). Refused if they are a member already.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_membership(
        &self,
        org_id: OrgId,
        login: &str,
        role: Role,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.org(org_id).await?;
        let mut tx = self.write_tx().await?;
        let user_id: i64 = sqlx::query("SELECT id FROM users WHERE login = $1")
            .bind(login)
            .fetch_optional(&mut *tx)
            .await?
            .or_not_found(|| format!("利用者「{login}」はいません"))?
            .try_get(0)?;
        let already: i64 =
            sqlx::query("SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND org_id = $2")
                .bind(user_id)
                .bind(org_id.get())
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        if already > 0 {
            return Err(StoreError::Conflict(format!(
                "「{login}」はすでにこの組織の利用者です"
            )));
        }
        sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(org_id.get())
        .bind(role.id())
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "membership",
            &user_id.to_string(),
            "create",
            None,
            Some(serde_json::json!({ "login": login, "role": role.id() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a session work in another organisation of its user. Refused (not found) unless the user is
    /// a member there and the organisation is active: the organisation is never taken from a row id.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn switch_session_org(
        &self,
        token_hash: &str,
        user_id: i64,
        org_id: OrgId,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE sessions SET org_id = $1 WHERE token_hash = $2 AND user_id = $3 \
             AND EXISTS (SELECT 1 FROM memberships m JOIN orgs o ON o.id = m.org_id \
                         WHERE m.user_id = $3 AND m.org_id = $1 AND o.status = 'active')",
        )
        .bind(org_id.get())
        .bind(token_hash)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "組織 {org_id} はありません（利用者として登録されていないか、停止中です）"
            )));
        }
        Ok(())
    }
}
