//! The audit trail: every change with who, when, before and after, chained by SHA-256 so that a change made behind Mamori's back shows.

use std::collections::HashMap;

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
    let prev: String = sqlx::query("UPDATE audit_head SET hash = hash WHERE id = 1 RETURNING hash")
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let at = ts(at);
    let full: Vec<FullEntry> = entries
        .iter()
        .map(|(org_id, e)| FullEntry {
            org_id: *org_id,
            actor: actor.to_string(),
            at: at.clone(),
            entity: entity.to_string(),
            key: e.key.clone(),
            action: action.to_string(),
            before: e.before.clone(),
            after: e.after.clone(),
        })
        .collect();
    let prev = insert_chained(tx, prev, &full).await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One whole audit record to be chained (a record carried over from another deployment).
pub(crate) struct FullEntry {
    pub org_id: OrgId,
    pub actor: String,
    pub at: String,
    pub entity: String,
    pub key: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A side chain written without the chain's head: records chained from a fresh random anchor, in
/// multi-row statements. The caller then writes the record that names `anchor`, `count` and `last` (a
/// block record) under the head, and sets the head to `last`; until then no other writer waits.
pub(crate) struct SideChain {
    pub anchor: String,
    pub count: usize,
    pub last: String,
}

pub(crate) async fn write_side_chain(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entries: &[FullEntry],
) -> Result<SideChain> {
    let anchor = hex::encode(rand::random::<[u8; 32]>());
    let last = insert_chained(tx, anchor.clone(), entries).await?;
    Ok(SideChain {
        anchor,
        count: entries.len(),
        last,
    })
}

/// Writes `entries` chained from `prev` in multi-row statements (400 records, 10 values each, stay
/// under every backend's limit on bound values); returns the last record's hash.
async fn insert_chained(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    mut prev: String,
    entries: &[FullEntry],
) -> Result<String> {
    for chunk in entries.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO audit_log (org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash) VALUES ",
        );
        let mut hashes = Vec::with_capacity(chunk.len());
        for (n, e) in chunk.iter().enumerate() {
            let hash = chain_hash(
                &prev,
                e.org_id,
                &e.actor,
                &e.at,
                &e.entity,
                &e.key,
                &e.action,
                e.before.as_deref(),
                e.after.as_deref(),
            );
            hashes.push((std::mem::replace(&mut prev, hash.clone()), hash));
            if n > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (1..=10).map(|i| format!("${}", n * 10 + i)).collect();
            sql.push_str(&format!("({})", params.join(", ")));
        }
        // Only placeholders are spliced in; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (e, (prev_hash, hash)) in chunk.iter().zip(hashes) {
            q = q
                .bind(e.org_id.get())
                .bind(e.actor.clone())
                .bind(e.at.clone())
                .bind(e.entity.clone())
                .bind(e.key.clone())
                .bind(e.action.clone())
                .bind(e.before.clone())
                .bind(e.after.clone())
                .bind(prev_hash)
                .bind(hash);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(prev)
}

/// The action a block record takes when it is carried to another deployment (`import_block_moved`,
/// `import_moved`): its records are chained anew there, so it names no side chain any more.
pub(crate) fn carried_action(entity: &str, action: &str, after: Option<&str>) -> String {
    if block_of(entity, action, after).is_some() {
        format!("{action}_moved")
    } else {
        action.to_string()
    }
}

/// The side chain a record names, if it is a block record: a large ledger import's, or an organisation
/// brought in from another deployment (its carried trail).
fn block_of(entity: &str, action: &str, after: Option<&str>) -> Option<(String, i64, String)> {
    if !(action == IMPORT_BLOCK || (entity == "org" && action == "import")) {
        return None;
    }
    let b: serde_json::Value = serde_json::from_str(after?).ok()?;
    let count = b["count"].as_i64().filter(|c| *c > 0)?;
    Some((
        b["anchor"].as_str()?.to_string(),
        count,
        b["last"].as_str()?.to_string(),
    ))
}

impl Store {
    /// Checks the whole audit chain: every record's hash, and its link to the one before.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_audit_chain(&self) -> Result<std::result::Result<usize, AuditBreak>> {
        let mut conn = self.pool.acquire().await?;
        verify_chain_in(&mut conn).await
    }
}

/// [`Store::verify_audit_chain`] on one connection: the chain, its head, and the answers against it.
pub(crate) async fn verify_chain_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<std::result::Result<usize, AuditBreak>> {
    let rows = sqlx::query(
        "SELECT id, org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash \
         FROM audit_log ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Side chains, by anchor, as their block records name them (a carried trail is written before
    // its block record, a large import's after it): (records, last hash).
    let mut blocks: HashMap<String, (i64, String)> = HashMap::new();
    for r in &rows {
        let after: Option<String> = r.try_get("after_json")?;
        if let Some((anchor, count, last)) = block_of(
            &r.try_get::<String, _>("entity")?,
            &r.try_get::<String, _>("action")?,
            after.as_deref(),
        ) {
            blocks.insert(anchor, (count, last));
        }
    }
    // The newest hash of each side chain met so far → (its anchor, records met).
    let mut sides: HashMap<String, (String, i64)> =
        blocks.keys().map(|a| (a.clone(), (a.clone(), 0))).collect();
    let mut prev = String::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let stored_prev: String = r.try_get("prev_hash")?;
        let stored: String = r.try_get("hash")?;
        let entity: String = r.try_get("entity")?;
        let action: String = r.try_get("action")?;
        let before: Option<String> = r.try_get("before_json")?;
        let after: Option<String> = r.try_get("after_json")?;
        let computed = chain_hash(
            &stored_prev,
            OrgId::new(r.try_get("org_id")?),
            &r.try_get::<String, _>("actor")?,
            &r.try_get::<String, _>("at")?,
            &entity,
            &r.try_get::<String, _>("entity_key")?,
            &action,
            before.as_deref(),
            after.as_deref(),
        );
        if stored != computed {
            return Ok(Err(AuditBreak {
                id,
                reason: "記録の内容がハッシュと一致しません（改ざんの疑い）".into(),
            }));
        }
        if stored_prev != prev {
            // A record of a side chain extends that chain, not the main one.
            let Some((anchor, met)) = sides.remove(&stored_prev) else {
                return Ok(Err(AuditBreak {
                    id,
                    reason: "直前の記録とのつながりが切れています（記録の削除・差し替えの疑い）"
                        .into(),
                }));
            };
            let (count, _) = &blocks[&anchor];
            if met + 1 > *count {
                return Ok(Err(AuditBreak {
                    id,
                    reason: "取り込みの記録のまとまりが途中で変わっています（記録の追加・差し替えの疑い）".into(),
                }));
            }
            sides.insert(stored, (anchor, met + 1));
            continue;
        }
        prev = stored;
        // After a block record the chain goes on from its side chain's last record.
        if let Some((_, _, last)) = block_of(&entity, &action, after.as_deref()) {
            prev = last;
        }
    }
    // Every side chain whole: as many records as its block says, ending where it says.
    for (head, (anchor, met)) in &sides {
        let (count, last) = &blocks[anchor];
        if met != count || head != last {
            let id = rows.last().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
            return Ok(Err(AuditBreak {
                id,
                reason: "取り込みの記録のまとまりの末尾がありません（記録の削除の疑い）".into(),
            }));
        }
    }
    let head: String = sqlx::query("SELECT hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if head != prev {
        let id = rows.last().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
        return Ok(Err(AuditBreak {
            id,
            reason: "最後の記録が連鎖の先頭と一致しません（末尾の記録の削除の疑い）".into(),
        }));
    }
    if let Err(b) = answers_match_audit(&mut *conn).await? {
        return Ok(Err(b));
    }
    Ok(Ok(rows.len()))
}

/// The answers stored are the answers the audit trail says (every save writes both in one transaction):
/// replaying each organisation's answer records, with the fiscal years that archived an edition's
/// answers, must give exactly the `answers` table. An answer changed, added or removed behind Mamori's
/// back (a direct SQL edit) breaks this even though the chain itself is whole.
async fn answers_match_audit(
    conn: &mut sqlx::AnyConnection,
) -> Result<std::result::Result<(), AuditBreak>> {
    let records = sqlx::query(
        "SELECT id, org_id, entity, entity_key, after_json FROM audit_log \
         WHERE entity IN ('answer', 'fiscal_year') ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut expected: HashMap<(i64, String), (i64, Answer)> = HashMap::new();
    for r in &records {
        let org: i64 = r.try_get("org_id")?;
        let after: Option<String> = r.try_get("after_json")?;
        let Some(after) = after.and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
        else {
            continue;
        };
        if r.try_get::<String, _>("entity")? == "fiscal_year" {
            // A year started with the edition's answers archived: they left the table.
            if !after["archived_as"].is_null()
                && let Some(edition) = after["edition"].as_str()
            {
                let prefix = format!("{edition}.");
                expected.retain(|(o, k), _| !(*o == org && k.starts_with(&prefix)));
            }
            continue;
        }
        if let Ok(a) = serde_json::from_value::<Answer>(after) {
            expected.insert((org, r.try_get("entity_key")?), (r.try_get("id")?, a));
        }
    }
    let rows = sqlx::query(
        "SELECT org_id, edition, variant, item, target, round, answer, checked_on, target_date, note \
         FROM answers ORDER BY org_id, item, target, round",
    )
    .fetch_all(&mut *conn)
    .await?;
    let broken = |id: i64, org: i64, key: &str, what: &str| AuditBreak {
        id,
        reason: format!("組織 {org} の回答「{key}」が{what}（監査記録を通さない変更の疑い）"),
    };
    for r in &rows {
        let org: i64 = r.try_get("org_id")?;
        let target: String = r.try_get("target")?;
        let answer: String = r.try_get("answer")?;
        let target_date: Option<String> = r.try_get("target_date")?;
        let stored = serde_json::json!({
            "item": r.try_get::<String, _>("item")?,
            "target": target,
            "round": r.try_get::<i64, _>("round")?,
            "answer": answer,
            "checked_on": r.try_get::<String, _>("checked_on")?,
            "target_date": target_date,
            "note": r.try_get::<String, _>("note")?,
        });
        let Ok(stored) = serde_json::from_value::<Answer>(stored) else {
            return Ok(Err(broken(0, org, "?", "読めません")));
        };
        let key = stored.key().to_string();
        match expected.remove(&(org, key.clone())) {
            None => return Ok(Err(broken(0, org, &key, "監査記録にありません"))),
            Some((id, a)) if a != stored => {
                return Ok(Err(broken(id, org, &key, "監査記録の内容と一致しません")));
            }
            Some(_) => {}
        }
    }
    if let Some(((org, key), (id, _))) = expected.into_iter().min_by_key(|(_, (id, _))| *id) {
        return Ok(Err(broken(id, org, &key, "監査記録にあるのに消えています")));
    }
    Ok(Ok(()))
}

/// A backup manifest's record of the chain (its head and length then), checked against the chain now:
/// the head must still be a record of it. A chain recomputed from some record on (by someone who can
/// write the database) loses the heads that backups wrote down outside it.
pub fn head_in_chain(hashes: &std::collections::HashSet<String>, head: &str) -> bool {
    head.is_empty() || hashes.contains(head)
}

impl Store {
    /// Every hash of the audit chain, and the side chains' last hashes (the heads a backup can have
    /// written down).
    pub async fn audit_hashes(&self) -> Result<std::collections::HashSet<String>> {
        let rows = sqlx::query("SELECT hash FROM audit_log")
            .fetch_all(&self.pool)
            .await?;
        let mut out = std::collections::HashSet::with_capacity(rows.len() + 1);
        for r in &rows {
            out.insert(r.try_get::<String, _>(0)?);
        }
        out.insert(String::new());
        Ok(out)
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
