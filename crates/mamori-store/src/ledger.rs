//! Ledger rows (機器台帳, 利用者台帳 …) per organisation: paged lists with search and sort, imports that
//! merge by each ledger's identity fields in one transaction, edits and disabling, each change audited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, audit, ts};

/// The fields of a row (field key → value); see `mamori-ledger` for the fields of each kind.
pub type Fields = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub data: Fields,
    pub disabled: bool,
    pub updated_at: String,
}

/// A page of a ledger.
#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    /// Words that must all appear in the row (any field), case-insensitive.
    pub search: String,
    /// A field key to sort by (rows without it last); empty: by id.
    pub sort: String,
    pub descending: bool,
    /// (list column key, value): rows whose column equals the value (empty: rows where it is empty).
    /// Keys that are not list columns are ignored.
    pub filters: Vec<(String, String)>,
    pub include_disabled: bool,
    pub offset: i64,
    pub limit: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn search_text(data: &Fields) -> String {
    data.values()
        .map(|v| v.to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1F}")
}

/// The sortable copies of a row's list columns (`s0`..`s9`): NULL where the field is empty. A choice
/// kept as written (「退職」) is copied as its meaning (「無効」), so that a filter on 無効 finds it.
fn slots(kind: &str, data: &Fields) -> [Option<String>; SLOTS] {
    let mut out: [Option<String>; SLOTS] = Default::default();
    if let Some(kind) = mamori_ledger::Kind::parse(kind) {
        for (slot, field) in out.iter_mut().zip(kind.list_fields()) {
            let value = data.get(field.key).filter(|v| !v.is_empty());
            *slot = match (field.ty, value) {
                (mamori_ledger::FieldType::Choice(options), Some(v)) => Some(
                    mamori_ledger::meaning(options, v).map_or_else(|| v.clone(), str::to_string),
                ),
                (_, v) => v.cloned(),
            };
        }
    }
    out
}

const SLOTS: usize = mamori_ledger::fields::LIST_COLUMNS;

/// Characters of a value kept in `facts`: the rules read short values (dates, choices, names) and of
/// long ones (the software list) only whether they are filled in.
const FACT_CHARS: usize = 64;

/// The fields of a row that the evidence rules read, as JSON (see [`mamori_ledger::Kind::evidence_fields`]).
fn facts(kind: &str, data: &Fields) -> String {
    let keys = mamori_ledger::Kind::parse(kind).map_or(&[][..], |k| k.evidence_fields());
    let picked: Fields = keys
        .iter()
        .filter_map(|k| {
            let v = data.get(*k).filter(|v| !v.is_empty())?;
            Some((k.to_string(), v.chars().take(FACT_CHARS).collect()))
        })
        .collect();
    serde_json::to_string(&picked).expect("fields serialise")
}

/// Identifies the mapping from list columns to `s0`..`s9` and the fields kept in `facts`: rows written
/// under another mapping are rewritten at start-up ([`Store::refresh_sort_columns`]).
pub(crate) fn sort_mapping() -> i64 {
    // FNV-1a over every kind's list column and evidence field keys; kept positive for BIGINT/INTEGER.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for kind in mamori_ledger::Kind::ALL {
        for b in kind
            .id()
            .bytes()
            .chain(kind.list_fields().flat_map(|f| f.key.bytes().chain([0])))
            .chain([1])
            .chain(
                kind.evidence_fields()
                    .iter()
                    .flat_map(|k| k.bytes().chain([0])),
            )
            .chain([2])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (h >> 2) as i64
}

fn identity_of(data: &Fields, identity: &[&str]) -> Option<Vec<String>> {
    let id: Vec<String> = identity
        .iter()
        .map(|k| data.get(*k).cloned().unwrap_or_default())
        .collect();
    id.iter().any(|v| !v.is_empty()).then_some(id)
}

fn row_from(r: &sqlx::any::AnyRow) -> Result<LedgerRow> {
    let data: String = r.try_get(1)?;
    Ok(LedgerRow {
        id: r.try_get(0)?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        disabled: r.try_get::<i64, _>(2)? != 0,
        updated_at: r.try_get(3)?,
    })
}

/// Inserts (`id` None) or rewrites a row with its search text, sort columns and change version.
async fn write_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    kind: &str,
    id: Option<i64>,
    row: &Fields,
    version: i64,
    now: &str,
) -> Result<i64> {
    let sql = match id {
        None => {
            "INSERT INTO ledger_rows (org_id, kind, data, search, disabled, created_at, updated_at, \
             s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, sort_version, version, facts) \
             VALUES ($1, $2, $3, $4, 0, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18) RETURNING id"
        }
        Some(_) => {
            "UPDATE ledger_rows SET data = $3, search = $4, updated_at = $5, s0 = $6, s1 = $7, s2 = $8, \
             s3 = $9, s4 = $10, s5 = $11, s6 = $12, s7 = $13, s8 = $14, s9 = $15, sort_version = $16, \
             version = $17, facts = $18 WHERE org_id = $1 AND kind = $2 AND id = $19 RETURNING id"
        }
    };
    let mut q = sqlx::query(sql)
        .bind(org_id)
        .bind(kind)
        .bind(serde_json::to_string(row).expect("fields serialise"))
        .bind(search_text(row))
        .bind(now);
    for slot in slots(kind, row) {
        q = q.bind(slot);
    }
    q = q.bind(sort_mapping()).bind(version).bind(facts(kind, row));
    if let Some(id) = id {
        q = q.bind(id);
    }
    Ok(q.fetch_one(&mut **tx).await?.try_get(0)?)
}

/// Every row of a ledger (id, data), read inside the caller's transaction or from the pool.
async fn existing_rows<'e, E>(exec: E, org_id: i64, kind: &str) -> Result<Vec<sqlx::any::AnyRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("SELECT id, data FROM ledger_rows WHERE org_id = $1 AND kind = $2")
            .bind(org_id)
            .bind(kind)
            .fetch_all(exec)
            .await?,
    )
}

/// What an import of `rows` would change, given the ledger's `existing` rows.
fn import_plan<'r>(
    existing: &[sqlx::any::AnyRow],
    identity: &[&str],
    rows: &'r [Fields],
) -> Result<ImportPlan<'r>> {
    let mut by_identity: std::collections::HashMap<Vec<String>, (i64, Fields)> =
        std::collections::HashMap::with_capacity(existing.len());
    for r in existing {
        let data: String = r.try_get(1)?;
        let data: Fields =
            serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(id) = identity_of(&data, identity) {
            by_identity.insert(id, (r.try_get(0)?, data));
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
async fn insert_prepared(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    kind: &str,
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
    .bind(org_id)
    .bind(kind)
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

/// A staged row: (seq, id, is an update, columns, audit key, before, prev hash, hash).
type Staged = (
    i64,
    i64,
    bool,
    Prepared,
    String,
    Option<String>,
    String,
    String,
);

/// Imports changing more rows than this are staged (see [`Store::import_ledger`]); smaller ones are one
/// transaction of a second or less.
pub const STAGED_ABOVE: usize = 2_000;
const STAGE_BATCH: usize = 2_000;

#[derive(Default)]
struct ImportPlan<'r> {
    counts: ImportCounts,
    /// (id, the row as stored, the row as imported)
    updates: Vec<(i64, Fields, &'r Fields)>,
    inserts: Vec<&'r Fields>,
}

/// A row's stored columns, computed before the write lock is taken.
struct Prepared {
    data: String,
    search: String,
    slots: [Option<String>; SLOTS],
    facts: String,
}

impl Prepared {
    fn of(kind: &str, row: &Fields) -> Prepared {
        Prepared {
            data: serde_json::to_string(row).expect("fields serialise"),
            search: search_text(row),
            slots: slots(kind, row),
            facts: facts(kind, row),
        }
    }
}

async fn update_prepared(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    kind: &str,
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
    .bind(org_id)
    .bind(kind)
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

/// Takes the organisation's next ledger version (rows written in this transaction carry it). The row
/// lock on `orgs` orders concurrent writers, so versions commit in increasing order.
async fn bump_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>, org_id: i64) -> Result<i64> {
    Ok(sqlx::query(
        "UPDATE orgs SET ledger_version = ledger_version + 1 WHERE id = $1 RETURNING ledger_version",
    )
    .bind(org_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

impl Store {
    /// Changes with every ledger write of the organisation (by any process).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn ledger_version(&self, org_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT ledger_version FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// One page of a ledger and the number of rows matching. Sorting and filtering by a list column use
    /// its sortable copy (`s0`..`s9`); sorting by another field reads the JSON (slower, but still right).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn ledger_page(
        &self,
        org_id: i64,
        kind: &str,
        q: &LedgerQuery,
    ) -> Result<(Vec<LedgerRow>, i64)> {
        let ledger = mamori_ledger::Kind::parse(kind);
        let slot_of = |key: &str| ledger.and_then(|k| k.list_slot(key));
        // Every value is bound, never spliced into the SQL; only slot numbers (ours) are.
        let mut binds: Vec<String> = Vec::new();
        let mut filter = String::from("org_id = $1 AND kind = $2");
        if !q.include_disabled {
            filter.push_str(" AND disabled = 0");
        }
        for w in q.search.split_whitespace().take(5) {
            binds.push(format!("%{}%", crate::like_escape(&w.to_lowercase())));
            filter.push_str(&format!(
                " AND search LIKE ${} ESCAPE '\\'",
                binds.len() + 2
            ));
        }
        for (key, value) in &q.filters {
            let Some(slot) = slot_of(key) else { continue };
            if value.is_empty() {
                filter.push_str(&format!(" AND s{slot} IS NULL"));
            } else {
                binds.push(value.clone());
                filter.push_str(&format!(" AND s{slot} = ${}", binds.len() + 2));
            }
        }
        let filter_binds = binds.len();
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = if q.sort.is_empty() {
            "id".to_string()
        } else if let Some(slot) = slot_of(&q.sort) {
            format!("s{slot} IS NULL, s{slot} {dir}, id")
        } else {
            binds.push(match self.backend {
                Backend::Sqlite => format!("$.\"{}\"", q.sort.replace('"', "")),
                Backend::Postgres => q.sort.clone(),
            });
            let expr = match self.backend {
                Backend::Sqlite => format!("json_extract(data, ${})", binds.len() + 2),
                Backend::Postgres => format!("(data::json ->> ${})", binds.len() + 2),
            };
            format!("({expr}) IS NULL, {expr} {dir}, id")
        };
        // The page's ids are chosen first, so that the sort carries ids and keys, not whole rows.
        let sql = format!(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE id IN \
             (SELECT id FROM ledger_rows WHERE {filter} ORDER BY {order} LIMIT ${} OFFSET ${}) \
             ORDER BY {order}",
            binds.len() + 3,
            binds.len() + 4
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org_id)
            .bind(kind);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(q.limit.clamp(1, 1000))
            .bind(q.offset.max(0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row_from)
            .collect::<Result<Vec<_>>>()?;
        let count_sql = format!("SELECT COUNT(*) FROM ledger_rows WHERE {filter}");
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql))
            .bind(org_id)
            .bind(kind);
        for b in &binds[..filter_binds] {
            count = count.bind(b);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        Ok((rows, total))
    }

    /// The evidence fields ([`mamori_ledger::Kind::evidence_fields`]) of the rows of a ledger changed after
    /// ledger version `after` up to `upto` (-1: every row), with each row's id and disabled flag: for the
    /// evidence cache, which reads tens of thousands of rows at once and then only what changed.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn ledger_facts(
        &self,
        org_id: i64,
        kind: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<(i64, bool, Fields)>> {
        // One row holding them all, as a JSON array: the drivers' cost per row, not the data, is what
        // made reading 50,000 rows slow.
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT json_group_array(json_array(id, disabled, json(coalesce(facts, '{}')))) \
                 FROM ledger_rows WHERE org_id = $1 AND kind = $2 AND version > $3 AND version <= $4"
            }
            Backend::Postgres => {
                "SELECT coalesce(json_agg(json_build_array(id, disabled, coalesce(facts, '{}')::json)), \
                 '[]')::text FROM ledger_rows \
                 WHERE org_id = $1 AND kind = $2 AND version > $3 AND version <= $4"
            }
        };
        let all: String = sqlx::query(sql)
            .bind(org_id)
            .bind(kind)
            .bind(after)
            .bind(upto)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let rows: Vec<(i64, i64, Fields)> =
            serde_json::from_str(&all).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|(id, disabled, facts)| (id, disabled != 0, facts))
            .collect())
    }

    /// Rewrites the sortable columns of rows written under an older column mapping (after an upgrade).
    pub(crate) async fn refresh_sort_columns(&self) -> Result<usize> {
        let mapping = sort_mapping();
        let mut done = 0;
        loop {
            let batch = sqlx::query(
                "SELECT id, kind, data FROM ledger_rows WHERE sort_version <> $1 ORDER BY id LIMIT 2000",
            )
            .bind(mapping)
            .fetch_all(&self.pool)
            .await?;
            if batch.is_empty() {
                return Ok(done);
            }
            let mut tx = self.write_tx().await?;
            for r in &batch {
                let (id, kind, data): (i64, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let data: Fields =
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let mut q = sqlx::query(
                    "UPDATE ledger_rows SET s0 = $1, s1 = $2, s2 = $3, s3 = $4, s4 = $5, s5 = $6, \
                     s6 = $7, s7 = $8, s8 = $9, s9 = $10, sort_version = $11, facts = $12 WHERE id = $13",
                );
                for slot in slots(&kind, &data) {
                    q = q.bind(slot);
                }
                q.bind(mapping)
                    .bind(facts(&kind, &data))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            done += batch.len();
        }
    }

    /// Every row of a ledger (disabled ones too), in id order: for export.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn ledger_all(&self, org_id: i64, kind: &str) -> Result<Vec<LedgerRow>> {
        sqlx::query(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE org_id = $1 AND kind = $2 ORDER BY id",
        )
        .bind(org_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_from)
        .collect()
    }

    /// One row, only within the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn ledger_row(&self, org_id: i64, kind: &str, id: i64) -> Result<LedgerRow> {
        let r = sqlx::query(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE org_id = $1 AND kind = $2 AND id = $3",
        )
        .bind(org_id)
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("台帳の行 {id} がありません")))?;
        row_from(&r)
    }

    /// Imports rows: a row whose identity fields match an existing row updates it, others are added;
    /// nothing is deleted. Every added or changed row gets its audit record. All or nothing: one write
    /// transaction, short because the existing rows are read and compared before it (it starts again if
    /// the ledger changed meanwhile) and rows and audit records go in multi-row statements.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn import_ledger(
        &self,
        org_id: i64,
        kind: &str,
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
                key: format!("{kind}/{id}"),
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
            key: format!("{kind}/{id}"),
            before: None,
            after: Some(row.data.clone()),
        }));
        crate::audit_many(&mut tx, org_id, actor, at, "ledger", "import", &entries).await?;
        tx.commit().await?;
        Ok(plan.counts)
    }

    /// A large import: rows and their audit records (chained from the import's own anchor) are
    /// written to `ledger_import_rows` in short transactions, then one short transaction moves them
    /// into place with set-based statements, after an `import_block` audit record that names the
    /// anchor, the count and the last hash. `None`: the ledger changed meanwhile (nothing was applied).
    async fn import_staged(
        &self,
        org_id: i64,
        kind: &str,
        plan: &ImportPlan<'_>,
        seen: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ImportCounts>> {
        let import_id = hex::encode(rand::random::<[u8; 16]>());
        let started = ts(at);
        // Leftovers of an import that stopped halfway (the process was killed) are a day old at most.
        sqlx::query("DELETE FROM ledger_import_rows WHERE started_at < $1")
            .bind(ts(at - chrono::Duration::days(1)))
            .execute(&self.pool)
            .await?;
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
        org_id: i64,
        kind: &str,
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
            let key = format!("{kind}/{id}");
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
        .bind(org_id)
        .bind(kind)
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
            kind,
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
        .bind(kind)
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
        org_id: i64,
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
            .bind(org_id)
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

    /// Adds a row (`id` None) or changes one; audited with before and after.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn save_ledger_row(
        &self,
        org_id: i64,
        kind: &str,
        id: Option<i64>,
        row: &Fields,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id = save_row_in(&mut tx, org_id, kind, id, row, actor, at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Rewrites existing rows in one transaction, each audited with before and after.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn update_ledger_rows(
        &self,
        org_id: i64,
        kind: &str,
        rows: &[(i64, Fields)],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for (id, row) in rows {
            save_row_in(&mut tx, org_id, kind, Some(*id), row, actor, at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or enables again) a row; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id))]
    pub async fn set_ledger_row_disabled(
        &self,
        org_id: i64,
        kind: &str,
        id: i64,
        disabled: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let version = bump_version(&mut tx, org_id).await?;
        let n = sqlx::query(
            "UPDATE ledger_rows SET disabled = $1, updated_at = $2, version = $6 \
             WHERE id = $3 AND org_id = $4 AND kind = $5",
        )
        .bind(i64::from(disabled))
        .bind(ts(at))
        .bind(id)
        .bind(org_id)
        .bind(kind)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("台帳の行 {id} がありません")));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "ledger",
            &format!("{kind}/{id}"),
            if disabled { "disable" } else { "enable" },
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// [`Store::save_ledger_row`] inside a transaction of the caller's.
pub(crate) async fn save_row_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    kind: &str,
    id: Option<i64>,
    row: &Fields,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let now = ts(at);
    let version = bump_version(tx, org_id).await?;
    let (id, before, action) = match id {
        Some(id) => {
            let old: String = sqlx::query(
                "SELECT data FROM ledger_rows WHERE id = $1 AND org_id = $2 AND kind = $3",
            )
            .bind(id)
            .bind(org_id)
            .bind(kind)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("台帳の行 {id} がありません")))?
            .try_get(0)?;
            write_row(tx, org_id, kind, Some(id), row, version, &now).await?;
            let old: serde_json::Value =
                serde_json::from_str(&old).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            (id, Some(old), "update")
        }
        None => {
            let id = write_row(tx, org_id, kind, None, row, version, &now).await?;
            (id, None, "create")
        }
    };
    audit(
        tx,
        org_id,
        actor,
        at,
        "ledger",
        &format!("{kind}/{id}"),
        action,
        before,
        Some(serde_json::json!(row)),
    )
    .await?;
    Ok(id)
}
