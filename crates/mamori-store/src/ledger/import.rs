//! Ledger imports: new rows inserted and existing ones (by their identity) updated in one transaction; a
//! large import staged in short transactions and applied in one, all-or-nothing to the user.

use super::*;

/// A staged row: (seq, id, is an update, columns, audit key, before, prev hash, hash).
pub(crate) type Staged = (
    i64,
    i64,
    bool,
    Prepared,
    String,
    Option<String>,
    String,
    String,
);

pub(crate) fn identity_of(data: &Fields, identity: &[&str]) -> Option<Vec<String>> {
    let id: Vec<String> = identity
        .iter()
        .map(|k| data.get(*k).cloned().unwrap_or_default())
        .collect();
    id.iter().any(|v| !v.is_empty()).then_some(id)
}

/// Every row of a ledger (id, data), read inside the caller's transaction or from the pool.
pub(crate) async fn existing_rows<'e, E>(
    exec: E,
    org_id: OrgId,
    kind: Kind,
) -> Result<Vec<sqlx::any::AnyRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("SELECT id, data FROM ledger_rows WHERE org_id = $1 AND kind = $2")
            .bind(org_id.get())
            .bind(kind.id())
            .fetch_all(exec)
            .await?,
    )
}

/// What an import of `rows` would change, given the ledger's `existing` rows.
pub(crate) fn import_plan<'r>(
    existing: &[sqlx::any::AnyRow],
    identity: &[&str],
    rows: &'r [Fields],
) -> Result<ImportPlan<'r>> {
    let mut by_identity: std::collections::HashMap<Vec<String>, (i64, Fields)> =
        std::collections::HashMap::with_capacity(existing.len());
    for r in existing {
        let data: String = r.try_get("data")?;
        let data: Fields =
            serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(id) = identity_of(&data, identity) {
            by_identity.insert(id, (r.try_get("id")?, data));
        }
    }
    let mut plan = ImportPlan::default();
    // Rows of one file that share an identity: the later one updates the row the earlier one adds.
    let mut added: std::collections::HashMap<Vec<String>, usize> = Default::default();
    for row in rows {
        let key = identity_of(row, identity);
        match key.as_ref().and_then(|i| by_identity.get(i)) {
            Some((_, old)) if old == row => plan.counts.unchanged += 1,
            Some((id, old)) => {
                plan.updates.push((*id, old.clone(), row));
                plan.counts.updated += 1;
            }
            None => match key.as_ref().and_then(|k| added.get(k)) {
                Some(&at) if plan.inserts[at] == row => plan.counts.unchanged += 1,
                Some(&at) => {
                    plan.inserts[at] = row;
                    plan.counts.updated += 1;
                }
                None => {
                    if let Some(k) = key {
                        added.insert(k, plan.inserts.len());
                    }
                    plan.inserts.push(row);
                    plan.counts.added += 1;
                }
            },
        }
    }
    Ok(plan)
}

/// A new row with its reserved id. (One statement a row: multi-row VALUES lists were measured slower
/// here, 8.0 s against 3.5 s for 100,000 rows, since each long statement is prepared anew.)
pub(crate) async fn insert_prepared(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
    kind: Kind,
    id: i64,
    row: &Prepared,
    version: i64,
    now: &str,
) -> Result<()> {
    let mut q = sqlx::query(
        "INSERT INTO ledger_rows (id, org_id, kind, data, search, disabled, created_at, updated_at, \
         s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, sort_version, version, facts) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(id)
    .bind(org_id.get())
    .bind(kind.id())
    .bind(&row.data)
    .bind(&row.search)
    .bind(now);
    for slot in &row.slots {
        q = q.bind(slot.clone());
    }
    q.bind(sort_mapping())
        .bind(version)
        .bind(&row.facts)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Imports changing more rows than this are staged (see [`Store::import_ledger`]); smaller ones are one
/// transaction of a second or less.
pub const STAGED_ABOVE: usize = 2_000;

pub(crate) const STAGE_BATCH: usize = 2_000;

#[derive(Default)]
pub(crate) struct ImportPlan<'r> {
    counts: ImportCounts,
    /// (id, the row as stored, the row as imported)
    updates: Vec<(i64, Fields, &'r Fields)>,
    inserts: Vec<&'r Fields>,
}

/// A row's stored columns, computed before the write lock is taken.
pub(crate) struct Prepared {
    data: String,
    search: String,
    slots: [Option<String>; SLOTS],
    facts: String,
}

impl Prepared {
    fn of(kind: Kind, row: &Fields) -> Prepared {
        Prepared {
            data: serde_json::to_string(row).expect("fields serialise"),
            search: search_text(row),
            slots: slots(kind, row),
            facts: facts(kind, row),
        }
    }
}

pub(crate) async fn update_prepared(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
    kind: Kind,
    id: i64,
    row: &Prepared,
    version: i64,
    now: &str,
) -> Result<()> {
    let mut q = sqlx::query(
        "UPDATE ledger_rows SET data = $3, search = $4, updated_at = $5, s0 = $6, s1 = $7, s2 = $8, \
         s3 = $9, s4 = $10, s5 = $11, s6 = $12, s7 = $13, s8 = $14, s9 = $15, sort_version = $16, \
         version = $17, facts = $18 WHERE org_id = $1 AND kind = $2 AND id = $19",
    )
    .bind(org_id.get())
    .bind(kind.id())
    .bind(&row.data)
    .bind(&row.search)
    .bind(now);
    for slot in &row.slots {
        q = q.bind(slot.clone());
    }
    q.bind(sort_mapping())
        .bind(version)
        .bind(&row.facts)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Imports rows: a row whose identity fields match an existing row updates it, others are added;
    /// nothing is deleted. Every added or changed row gets its audit record. All or nothing: one write
    /// transaction, short because the existing rows are read and compared before it (it starts again if
    /// the ledger changed meanwhile) and rows and audit records go in multi-row statements.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn import_ledger(
        &self,
        org_id: OrgId,
        kind: Kind,
        identity: &[&str],
        rows: &[Fields],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<ImportCounts> {
        if rows.len() > STAGED_ABOVE {
            // Compared without the lock; applied only if no row of this ledger changed meanwhile.
            for _ in 0..5 {
                let seen = self.ledger_version(org_id).await?;
                let existing = existing_rows(&self.pool, org_id, kind).await?;
                let plan = import_plan(&existing, identity, rows)?;
                if plan.updates.is_empty() && plan.inserts.is_empty() {
                    return Ok(plan.counts);
                }
                if let Some(counts) = self
                    .import_staged(org_id, kind, &plan, seen, actor, at)
                    .await?
                {
                    return Ok(counts);
                }
            }
            return Err(StoreError::Conflict(
                "取り込みの間に同じ台帳がほかの操作で変更され続けたため取り込めませんでした。もう一度取り込んでください".into(),
            ));
        }
        // A file of at most STAGED_ABOVE rows: compared and written under the lock (well under a second).
        let mut tx = self.write_tx().await?;
        let existing = existing_rows(&mut *tx, org_id, kind).await?;
        let plan = import_plan(&existing, identity, rows)?;
        if plan.updates.is_empty() && plan.inserts.is_empty() {
            tx.rollback().await?;
            return Ok(plan.counts);
        }
        let now = ts(at);
        let version = bump_version(&mut tx, org_id).await?;
        let mut entries = Vec::with_capacity(plan.updates.len() + plan.inserts.len());
        for (id, old, row) in &plan.updates {
            let new = Prepared::of(kind, row);
            update_prepared(&mut tx, org_id, kind, *id, &new, version, &now).await?;
            entries.push(crate::AuditEntry {
                key: format!("{}/{id}", kind.id()),
                before: Some(serde_json::to_string(old).expect("fields serialise")),
                after: Some(new.data),
            });
        }
        let inserts: Vec<Prepared> = plan.inserts.iter().map(|r| Prepared::of(kind, r)).collect();
        let ids = self.reserve_ledger_ids(&mut tx, inserts.len()).await?;
        for (row, id) in inserts.iter().zip(&ids) {
            insert_prepared(&mut tx, org_id, kind, *id, row, version, &now).await?;
        }
        entries.extend(inserts.iter().zip(&ids).map(|(row, id)| crate::AuditEntry {
            key: format!("{}/{id}", kind.id()),
            before: None,
            after: Some(row.data.clone()),
        }));
        crate::audit_many(&mut tx, org_id, actor, at, "ledger", "import", &entries).await?;
        tx.commit().await?;
        Ok(plan.counts)
    }

    /// Removes the staged rows of imports that stopped halfway (the process was killed, the disk filled):
    /// an import stages its rows in well under a minute, so rows staged an hour ago belong to none that
    /// is running (on any instance). Run at each large import and when `serve` starts.
    pub async fn prune_import_leftovers(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM ledger_import_rows WHERE started_at < $1")
                .bind(ts(now - chrono::Duration::hours(1)))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// A large import: rows and their audit records (chained from the import's own anchor) are
    /// written to `ledger_import_rows` in short transactions, then one short transaction moves them
    /// into place with set-based statements, after an `import_block` audit record that names the
    /// anchor, the count and the last hash. `None`: the ledger changed meanwhile (nothing was applied).
    async fn import_staged(
        &self,
        org_id: OrgId,
        kind: Kind,
        plan: &ImportPlan<'_>,
        seen: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ImportCounts>> {
        let import_id = hex::encode(rand::random::<[u8; 16]>());
        let started = ts(at);
        self.prune_import_leftovers(at).await?;
        let result = self
            .stage_and_apply(&import_id, &started, org_id, kind, plan, seen, actor, at)
            .await;
        if !matches!(result, Ok(Some(_))) {
            sqlx::query("DELETE FROM ledger_import_rows WHERE import_id = $1")
                .bind(&import_id)
                .execute(&self.pool)
                .await?;
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn stage_and_apply(
        &self,
        import_id: &str,
        started: &str,
        org_id: OrgId,
        kind: Kind,
        plan: &ImportPlan<'_>,
        seen: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ImportCounts>> {
        let ids = self.reserve_ids_now(plan.inserts.len()).await?;
        let at_s = ts(at);
        let anchor = hex::encode(rand::random::<[u8; 32]>());
        let mut prev = anchor.clone();
        let staged = plan
            .updates
            .iter()
            .map(|(id, old, row)| (*id, true, Some(old), *row))
            .chain(
                plan.inserts
                    .iter()
                    .zip(&ids)
                    .map(|(row, id)| (*id, false, None, *row)),
            );
        let mut batch = Vec::with_capacity(STAGE_BATCH);
        let mut seq = 0i64;
        for (id, is_update, old, row) in staged {
            let prepared = Prepared::of(kind, row);
            let key = format!("{}/{id}", kind.id());
            let before = old.map(|o| serde_json::to_string(o).expect("fields serialise"));
            let hash = crate::chain_hash(
                &prev,
                org_id,
                actor,
                &at_s,
                "ledger",
                &key,
                "import",
                before.as_deref(),
                Some(&prepared.data),
            );
            let prev_hash = std::mem::replace(&mut prev, hash.clone());
            batch.push((seq, id, is_update, prepared, key, before, prev_hash, hash));
            seq += 1;
            if batch.len() == STAGE_BATCH {
                self.stage(import_id, started, org_id, std::mem::take(&mut batch))
                    .await?;
            }
        }
        self.stage(import_id, started, org_id, std::mem::take(&mut batch))
            .await?;
        // Everything is staged: the one transaction that applies it.
        let mut tx = self.write_tx().await?;
        // Rows of this ledger written since the comparison (edits, other imports) carry a later version.
        let changed: i64 = sqlx::query(
            "SELECT COUNT(*) FROM ledger_rows WHERE org_id = $1 AND kind = $2 AND version > $3",
        )
        .bind(org_id.get())
        .bind(kind.id())
        .bind(seen)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if changed > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let version = bump_version(&mut tx, org_id).await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "ledger",
            kind.id(),
            crate::IMPORT_BLOCK,
            None,
            Some(serde_json::json!({
                "anchor": anchor,
                "count": seq,
                "last": prev,
                "added": plan.inserts.len(),
                "updated": plan.updates.len(),
            })),
        )
        .await?;
        sqlx::query(
            "UPDATE ledger_rows SET data = st.data, search = st.search, updated_at = $2, s0 = st.s0, \
             s1 = st.s1, s2 = st.s2, s3 = st.s3, s4 = st.s4, s5 = st.s5, s6 = st.s6, s7 = st.s7, s8 = st.s8, \
             s9 = st.s9, sort_version = $3, version = $4, facts = st.facts FROM ledger_import_rows AS st \
             WHERE st.import_id = $1 AND st.is_update = 1 AND ledger_rows.id = st.id",
        )
        .bind(import_id)
        .bind(&at_s)
        .bind(sort_mapping())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO ledger_rows (id, org_id, kind, data, search, disabled, created_at, updated_at, \
             s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, sort_version, version, facts) \
             SELECT id, org_id, $2, data, search, 0, $3, $3, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, $4, $5, facts \
             FROM ledger_import_rows WHERE import_id = $1 AND is_update = 0 ORDER BY seq",
        )
        .bind(import_id)
        .bind(kind.id())
        .bind(&at_s)
        .bind(sort_mapping())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_log (org_id, actor, at, entity, entity_key, action, before_json, after_json, prev_hash, hash) \
             SELECT org_id, $2, $3, 'ledger', entity_key, 'import', before_json, after_json, prev_hash, hash \
             FROM ledger_import_rows WHERE import_id = $1 ORDER BY seq",
        )
        .bind(import_id)
        .bind(actor)
        .bind(&at_s)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM ledger_import_rows WHERE import_id = $1")
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(plan.counts))
    }

    /// One batch of staged rows, in its own short transaction.
    async fn stage(
        &self,
        import_id: &str,
        started: &str,
        org_id: OrgId,
        batch: Vec<Staged>,
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for (seq, id, is_update, row, key, before, prev_hash, hash) in batch {
            let mut q = sqlx::query(
                "INSERT INTO ledger_import_rows (import_id, seq, started_at, org_id, id, is_update, data, search, \
                 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, facts, entity_key, before_json, after_json, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
                 $20, $21, $22, $23, $24)",
            )
            .bind(import_id)
            .bind(seq)
            .bind(started)
            .bind(org_id.get())
            .bind(id)
            .bind(i64::from(is_update))
            .bind(row.data.clone())
            .bind(row.search);
            for slot in row.slots {
                q = q.bind(slot);
            }
            q.bind(row.facts)
                .bind(key)
                .bind(before)
                .bind(row.data)
                .bind(prev_hash)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ids for `n` new ledger rows, taken now and never given again (SQLite: the AUTOINCREMENT
    /// counter moved past them; PostgreSQL: from the sequence).
    async fn reserve_ids_now(&self, n: usize) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        match self.backend {
            Backend::Sqlite => {
                let mut tx = self.write_tx().await?;
                sqlx::query(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT 'ledger_rows', 0 \
                     WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ledger_rows')",
                )
                .execute(&mut *tx)
                .await?;
                let last: i64 = sqlx::query(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM ledger_rows)) + $1 \
                     WHERE name = 'ledger_rows' RETURNING seq",
                )
                .bind(n as i64)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                tx.commit().await?;
                Ok((last - n as i64 + 1..=last).collect())
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let ids = self.reserve_ledger_ids(&mut tx, n).await?;
                tx.commit().await?;
                Ok(ids)
            }
        }
    }

    /// Ids for `n` new ledger rows, taken inside the write transaction (SQLite: past the highest id ever
    /// given, as AUTOINCREMENT would; PostgreSQL: from the table's sequence).
    async fn reserve_ledger_ids(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        n: usize,
    ) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        Ok(match self.backend {
            Backend::Sqlite => {
                let base: i64 = sqlx::query(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'ledger_rows'), 0), \
                     COALESCE((SELECT MAX(id) FROM ledger_rows), 0))",
                )
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
                (1..=n as i64).map(|i| base + i).collect()
            }
            Backend::Postgres => {
                let rows = sqlx::query(
                    "SELECT nextval(pg_get_serial_sequence('ledger_rows', 'id')) FROM generate_series(1, $1)",
                )
                .bind(n as i64)
                .fetch_all(&mut **tx)
                .await?;
                rows.iter()
                    .map(|r| r.try_get(0))
                    .collect::<std::result::Result<_, _>>()?
            }
        })
    }
}
