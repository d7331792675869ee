//! Endpoint agents and what their inventories did: enrolment tokens (issued by an administrator, usable by
//! many machines until they expire), each enrolled machine's own credential (stored as a hash; it may only
//! post inventories), the history of changes each inventory made to a device, and the review queue of
//! inventories that match more than one device.

use chrono::{DateTime, Utc};
use mamori_core::OrgId;
use sqlx::Row;

use crate::ledger::{Fields, save_row_in};
use crate::{OrNotFound, Result, Store, StoreError, audit, ts};

#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    pub id: i64,
    pub label: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: i64,
    pub org_id: OrgId,
    pub hostname: String,
    pub machine_id: String,
    pub enrolled_at: String,
    pub last_seen: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub received_at: String,
    pub source: String,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InventoryReview {
    pub id: i64,
    pub received_at: String,
    pub source: String,
    /// The inventory as received (JSON).
    pub inventory: String,
    /// The devices it could describe (JSON array of `{"device_id", "matched_by"}`).
    pub candidates: String,
    pub reason: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

fn agent_from(r: &sqlx::any::AnyRow) -> Result<Agent> {
    Ok(Agent {
        id: r.try_get("id")?,
        org_id: OrgId::new(r.try_get("org_id")?),
        hostname: r.try_get("hostname")?,
        machine_id: r.try_get("machine_id")?,
        enrolled_at: r.try_get("enrolled_at")?,
        last_seen: r.try_get("last_seen")?,
        revoked: r.try_get::<Option<String>, _>(6)?.is_some(),
    })
}

fn review_from(r: &sqlx::any::AnyRow) -> Result<InventoryReview> {
    Ok(InventoryReview {
        id: r.try_get("id")?,
        received_at: r.try_get("received_at")?,
        source: r.try_get("source")?,
        inventory: r.try_get("inventory")?,
        candidates: r.try_get("candidates")?,
        reason: r.try_get("reason")?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
        resolution: r.try_get("resolution")?,
    })
}

const AGENT_COLUMNS: &str =
    "id, org_id, hostname, machine_id, enrolled_at, last_seen, revoked_at FROM agents";
const REVIEW_COLUMNS: &str = "id, received_at, source, inventory, candidates, reason, resolved_at, \
     resolved_by, resolution FROM inventory_reviews";

impl Store {
    /// Stores a new enrolment token (its hash); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn create_enrollment(
        &self,
        org_id: OrgId,
        token_hash: &str,
        label: &str,
        actor: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO agent_enrollments (org_id, token_hash, label, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id.get())
        .bind(token_hash)
        .bind(label)
        .bind(actor)
        .bind(ts(at))
        .bind(ts(expires_at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let after = serde_json::json!({"label": label, "expires_at": ts(expires_at)});
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "agent_enrollment",
            &id.to_string(),
            "create",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The organisation's enrolment tokens, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn enrollments(&self, org_id: OrgId) -> Result<Vec<Enrollment>> {
        sqlx::query(
            "SELECT id, label, created_by, created_at, expires_at FROM agent_enrollments \
             WHERE org_id = $1 ORDER BY id DESC",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Enrollment {
                id: r.try_get("id")?,
                label: r.try_get("label")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
    }

    /// Enrols a machine with a live enrolment token: stores the agent's credential (its hash) and revokes
    /// earlier credentials of the same machine-id. None when the enrolment token is unknown or expired.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enroll_agent(
        &self,
        enrollment_hash: &str,
        agent_hash: &str,
        hostname: &str,
        machine_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Agent>> {
        let mut tx = self.write_tx().await?;
        let Some(row) = sqlx::query(
            "SELECT id, org_id FROM agent_enrollments WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(enrollment_hash)
        .bind(ts(at))
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let (enrollment_id, org_id): (i64, OrgId) =
            (row.try_get("id")?, OrgId::new(row.try_get("org_id")?));
        if !machine_id.is_empty() {
            sqlx::query(
                "UPDATE agents SET revoked_at = $1 WHERE org_id = $2 AND machine_id = $3 AND revoked_at IS NULL",
            )
            .bind(ts(at))
            .bind(org_id.get())
            .bind(machine_id)
            .execute(&mut *tx)
            .await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO agents (org_id, token_hash, hostname, machine_id, enrollment_id, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id.get())
        .bind(agent_hash)
        .bind(hostname)
        .bind(machine_id)
        .bind(enrollment_id)
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let after = serde_json::json!({"hostname": hostname, "machine_id": machine_id, "enrollment": enrollment_id});
        audit(
            &mut tx,
            org_id,
            &format!("agent:{hostname}"),
            at,
            "agent",
            &id.to_string(),
            "enroll",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Agent {
            id,
            org_id,
            hostname: hostname.into(),
            machine_id: machine_id.into(),
            enrolled_at: ts(at),
            last_seen: None,
            revoked: false,
        }))
    }

    /// The agent a credential belongs to (not revoked), its last contact moved to `at`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn agent_by_token(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Agent>> {
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AGENT_COLUMNS} WHERE token_hash = $1 AND revoked_at IS NULL"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = found else { return Ok(None) };
        let agent = agent_from(&r)?;
        sqlx::query("UPDATE agents SET last_seen = $1 WHERE id = $2")
            .bind(ts(at))
            .bind(agent.id)
            .execute(&self.pool)
            .await?;
        Ok(Some(Agent {
            last_seen: Some(ts(at)),
            ..agent
        }))
    }

    /// The organisation's agents, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn agents(&self, org_id: OrgId) -> Result<Vec<Agent>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AGENT_COLUMNS} WHERE org_id = $1 ORDER BY id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(agent_from)
        .collect()
    }

    /// Writes a device row from an inventory and, when it changed something, what it changed; one
    /// transaction, audited like any ledger change.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_inventory(
        &self,
        org_id: OrgId,
        device_id: Option<i64>,
        row: &Fields,
        changes: &[String],
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id = save_row_in(
            &mut tx,
            org_id,
            mamori_ledger::Kind::Devices,
            device_id,
            row,
            source,
            at,
        )
        .await?;
        if !changes.is_empty() {
            sqlx::query(
                "INSERT INTO inventory_history (org_id, device_id, received_at, source, changes) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org_id.get())
            .bind(id)
            .bind(ts(at))
            .bind(source)
            .bind(serde_json::to_string(changes).expect("strings serialise"))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// What inventories changed in a device, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn inventory_history(
        &self,
        org_id: OrgId,
        device_id: i64,
    ) -> Result<Vec<HistoryEntry>> {
        sqlx::query(
            "SELECT received_at, source, changes FROM inventory_history \
             WHERE org_id = $1 AND device_id = $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let changes: String = r.try_get("changes")?;
            Ok(HistoryEntry {
                received_at: r.try_get("received_at")?,
                source: r.try_get("source")?,
                changes: serde_json::from_str(&changes)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
    }

    /// Holds an inventory for someone to say which device it describes.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_inventory_review(
        &self,
        org_id: OrgId,
        source: &str,
        inventory: &str,
        candidates: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO inventory_reviews (org_id, received_at, source, inventory, candidates, reason) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id.get())
        .bind(ts(at))
        .bind(source)
        .bind(inventory)
        .bind(candidates)
        .bind(reason)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            source,
            at,
            "inventory_review",
            &id.to_string(),
            "create",
            None,
            Some(serde_json::json!({"reason": reason, "candidates": candidates})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The organisation's reviews: open ones first, then resolved ones, newest first within each.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn inventory_reviews(&self, org_id: OrgId) -> Result<Vec<InventoryReview>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} WHERE org_id = $1 \
             ORDER BY CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END, id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(review_from)
        .collect()
    }

    /// One review, only within the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn inventory_review(&self, org_id: OrgId, id: i64) -> Result<InventoryReview> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("確認待ちの一覧 {id} がありません"))?;
        review_from(&r)
    }

    /// Closes an open review with what was done (「機器 12 に反映」, 「新しい機器 13」, 「破棄」); audited.
    /// A review already closed is left as it is (NotFound).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn resolve_inventory_review(
        &self,
        org_id: OrgId,
        id: i64,
        resolution: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE inventory_reviews SET resolved_at = $1, resolved_by = $2, resolution = $3 \
             WHERE org_id = $4 AND id = $5 AND resolved_at IS NULL",
        )
        .bind(ts(at))
        .bind(actor)
        .bind(resolution)
        .bind(org_id.get())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "確認待ちの一覧 {id} はないか、すでに処理済みです"
            )));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "inventory_review",
            &id.to_string(),
            "resolve",
            None,
            Some(serde_json::json!({"resolution": resolution})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
