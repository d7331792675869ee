//! The audit trail: every change with who, when, before and after, chained by SHA-256 so that a change made behind Mamori's back shows.

use super::*;

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

/// Who makes a change, as recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
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
    org_id: OrgId,
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
pub(crate) async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
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
    .bind(org_id.get())
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
    org_id: OrgId,
    actor: &str,
    at: DateTime<Utc>,
    entity: &str,
    action: &str,
    entries: &[AuditEntry],
) -> Result<()> {
    let entries: Vec<(OrgId, &AuditEntry)> = entries.iter().map(|e| (org_id, e)).collect();
    audit_each(tx, actor, at, entity, action, &entries).await
}

/// Like [`audit_many`], each record in its own organisation's trail (one publication reaches hundreds of
/// facilities: one chain, a few statements).
pub(crate) async fn audit_each(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    at: DateTime<Utc>,
    entity: &str,
    action: &str,
    entries: &[(OrgId, &AuditEntry)],
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
        for (n, (org_id, e)) in chunk.iter().enumerate() {
            let hash = chain_hash(
                &prev,
                *org_id,
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
        for ((org_id, e), (prev_hash, hash)) in chunk.iter().zip(hashes) {
            q = q
                .bind(org_id.get())
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

impl Store {
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
            let id: i64 = r.try_get("id")?;
            let stored_prev: String = r.try_get("prev_hash")?;
            let stored: String = r.try_get("hash")?;
            let before: Option<String> = r.try_get("before_json")?;
            let after: Option<String> = r.try_get("after_json")?;
            let computed = chain_hash(
                &stored_prev,
                OrgId::new(r.try_get("org_id")?),
                &r.try_get::<String, _>("actor")?,
                &r.try_get::<String, _>("at")?,
                &r.try_get::<String, _>("entity")?,
                &r.try_get::<String, _>("entity_key")?,
                &r.try_get::<String, _>("action")?,
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
            if r.try_get::<String, _>("action")? == IMPORT_BLOCK
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

    /// The audit trail of an organisation, newest first, narrowed by `filter`.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn audit_trail(
        &self,
        org_id: OrgId,
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
        .bind(org_id.get())
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
                    id: r.try_get("id")?,
                    actor: r.try_get("actor")?,
                    at: r.try_get("at")?,
                    entity: r.try_get("entity")?,
                    entity_key: r.try_get("entity_key")?,
                    action: r.try_get("action")?,
                    before: parse(r.try_get("before_json")?)?,
                    after: parse(r.try_get("after_json")?)?,
                })
            })
            .collect()
    }

    /// The people and kinds of change in an organisation's trail, for the filter menus.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn audit_facets(&self, org_id: OrgId) -> Result<(Vec<String>, Vec<String>)> {
        let col = |sql: &'static str| async move {
            sqlx::query(sql)
                .bind(org_id.get())
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

    /// Records a login or another event without a data change.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn record_event(
        &self,
        org_id: OrgId,
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
