//! Ledger rows (機器台帳, 利用者台帳 …) per organisation: paged lists with search and sort, imports that
//! merge by each ledger's identity fields in one transaction, edits and disabling, each change audited.

mod import;

pub use import::STAGED_ABOVE;

use chrono::{DateTime, Utc};
use mamori_core::OrgId;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

use mamori_ledger::Kind;

use crate::{Backend, OrNotFound, Result, Store, StoreError, audit, ts};

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
fn slots(kind: Kind, data: &Fields) -> [Option<String>; SLOTS] {
    let mut out: [Option<String>; SLOTS] = Default::default();
    {
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
fn facts(kind: Kind, data: &Fields) -> String {
    let keys = kind.evidence_fields();
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

fn row_from(r: &sqlx::any::AnyRow) -> Result<LedgerRow> {
    let data: String = r.try_get("data")?;
    Ok(LedgerRow {
        id: r.try_get("id")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts (`id` None) or rewrites a row with its search text, sort columns and change version.
async fn write_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
    kind: Kind,
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
        .bind(org_id.get())
        .bind(kind.id())
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

/// Takes the organisation's next ledger version (rows written in this transaction carry it). The row
/// lock on `orgs` orders concurrent writers, so versions commit in increasing order.
async fn bump_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>, org_id: OrgId) -> Result<i64> {
    Ok(sqlx::query(
        "UPDATE orgs SET ledger_version = ledger_version + 1 WHERE id = $1 RETURNING ledger_version",
    )
    .bind(org_id.get())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

/// [`Store::save_ledger_row`] inside a transaction of the caller's.
pub(crate) async fn save_row_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
    kind: Kind,
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
            .bind(org_id.get())
            .bind(kind.id())
            .fetch_optional(&mut **tx)
            .await?
            .or_not_found(|| format!("台帳の行 {id} がありません"))?
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
        &format!("{}/{id}", kind.id()),
        action,
        before,
        Some(serde_json::json!(row)),
    )
    .await?;
    Ok(id)
}

impl Store {
    /// Changes with every ledger write of the organisation (by any process).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn ledger_version(&self, org_id: OrgId) -> Result<i64> {
        Ok(sqlx::query("SELECT ledger_version FROM orgs WHERE id = $1")
            .bind(org_id.get())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// One page of a ledger and the number of rows matching. Sorting and filtering by a list column use
    /// its sortable copy (`s0`..`s9`); sorting by another field reads the JSON (slower, but still right).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn ledger_page(
        &self,
        org_id: OrgId,
        kind: Kind,
        q: &LedgerQuery,
    ) -> Result<(Vec<LedgerRow>, i64)> {
        let slot_of = |key: &str| kind.list_slot(key);
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
            .bind(org_id.get())
            .bind(kind.id());
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
            .bind(org_id.get())
            .bind(kind.id());
        for b in &binds[..filter_binds] {
            count = count.bind(b);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        Ok((rows, total))
    }

    /// The evidence fields ([`mamori_ledger::Kind::evidence_fields`]) of the rows of a ledger changed after
    /// ledger version `after` up to `upto` (-1: every row), with each row's id and disabled flag: for the
    /// evidence cache, which reads tens of thousands of rows at once and then only what changed.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn ledger_facts(
        &self,
        org_id: OrgId,
        kind: Kind,
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
            .bind(org_id.get())
            .bind(kind.id())
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
                    (r.try_get("id")?, r.try_get("kind")?, r.try_get("data")?);
                let kind = Kind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("台帳の種類 {kind}")))?;
                let data: Fields =
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let mut q = sqlx::query(
                    "UPDATE ledger_rows SET s0 = $1, s1 = $2, s2 = $3, s3 = $4, s4 = $5, s5 = $6, \
                     s6 = $7, s7 = $8, s8 = $9, s9 = $10, sort_version = $11, facts = $12 WHERE id = $13",
                );
                for slot in slots(kind, &data) {
                    q = q.bind(slot);
                }
                q.bind(mapping)
                    .bind(facts(kind, &data))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            done += batch.len();
        }
    }

    /// Every row of a ledger (disabled ones too), in id order: for export.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn ledger_all(&self, org_id: OrgId, kind: Kind) -> Result<Vec<LedgerRow>> {
        sqlx::query(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE org_id = $1 AND kind = $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(kind.id())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_from)
        .collect()
    }

    /// One row, only within the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn ledger_row(&self, org_id: OrgId, kind: Kind, id: i64) -> Result<LedgerRow> {
        let r = sqlx::query(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE org_id = $1 AND kind = $2 AND id = $3",
        )
        .bind(org_id.get())
        .bind(kind.id())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("台帳の行 {id} がありません"))?;
        row_from(&r)
    }

    /// Adds a row (`id` None) or changes one; audited with before and after.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_ledger_row(
        &self,
        org_id: OrgId,
        kind: Kind,
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
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn update_ledger_rows(
        &self,
        org_id: OrgId,
        kind: Kind,
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
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_ledger_row_disabled(
        &self,
        org_id: OrgId,
        kind: Kind,
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
        .bind(org_id.get())
        .bind(kind.id())
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
            &format!("{}/{id}", kind.id()),
            if disabled { "disable" } else { "enable" },
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
