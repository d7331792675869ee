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

async fn insert_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    kind: &str,
    row: &Fields,
    now: &str,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO ledger_rows (org_id, kind, data, search, disabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(kind)
    .bind(serde_json::to_string(row).expect("fields serialise"))
    .bind(search_text(row))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

async fn update_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    id: i64,
    row: &Fields,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE ledger_rows SET data = $1, search = $2, updated_at = $3 WHERE id = $4 AND org_id = $5",
    )
    .bind(serde_json::to_string(row).expect("fields serialise"))
    .bind(search_text(row))
    .bind(now)
    .bind(id)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn bump_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>, org_id: i64) -> Result<()> {
    sqlx::query("UPDATE orgs SET ledger_version = ledger_version + 1 WHERE id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Changes with every ledger write of the organisation (by any process).
    pub async fn ledger_version(&self, org_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT ledger_version FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// One page of a ledger and the number of rows matching.
    pub async fn ledger_page(
        &self,
        org_id: i64,
        kind: &str,
        q: &LedgerQuery,
    ) -> Result<(Vec<LedgerRow>, i64)> {
        // Each word narrows; the words are bound, never spliced into the SQL.
        let words: Vec<String> = q
            .search
            .split_whitespace()
            .take(5)
            .map(|w| format!("%{}%", w.to_lowercase().replace(['%', '_'], "")))
            .collect();
        let mut filter = String::from("org_id = $1 AND kind = $2");
        if !q.include_disabled {
            filter.push_str(" AND disabled = 0");
        }
        for i in 0..words.len() {
            filter.push_str(&format!(" AND search LIKE ${}", i + 3));
        }
        let next = words.len() + 3;
        let order = if q.sort.is_empty() {
            "id".to_string()
        } else {
            // The sort key is bound as a parameter too.
            let expr = match self.backend {
                Backend::Sqlite => format!("json_extract(data, ${next})"),
                Backend::Postgres => format!("(data::json ->> ${next})"),
            };
            format!(
                "({expr}) IS NULL, {expr} {}, id",
                if q.descending { "DESC" } else { "ASC" }
            )
        };
        let sort_param = match self.backend {
            Backend::Sqlite => format!("$.\"{}\"", q.sort.replace('"', "")),
            Backend::Postgres => q.sort.clone(),
        };
        let (limit_at, offset_at) = if q.sort.is_empty() {
            (next, next + 1)
        } else {
            (next + 1, next + 2)
        };
        let sql = format!(
            "SELECT id, data, disabled, updated_at FROM ledger_rows WHERE {filter} ORDER BY {order} LIMIT ${limit_at} OFFSET ${offset_at}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org_id)
            .bind(kind);
        for w in &words {
            query = query.bind(w);
        }
        if !q.sort.is_empty() {
            query = query.bind(&sort_param);
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
        for w in &words {
            count = count.bind(w);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        Ok((rows, total))
    }

    /// Every row of a ledger (disabled ones too), in id order: for export and for the evidence rules.
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

    /// Imports rows in one transaction: a row whose identity fields match an existing row updates it,
    /// others are added; nothing is deleted. Every added or changed row gets its audit record.
    pub async fn import_ledger(
        &self,
        org_id: i64,
        kind: &str,
        identity: &[&str],
        rows: &[Fields],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<ImportCounts> {
        let mut tx = self.write_tx().await?;
        let existing =
            sqlx::query("SELECT id, data FROM ledger_rows WHERE org_id = $1 AND kind = $2")
                .bind(org_id)
                .bind(kind)
                .fetch_all(&mut *tx)
                .await?;
        let mut by_identity: std::collections::HashMap<Vec<String>, (i64, Fields)> =
            std::collections::HashMap::new();
        for r in &existing {
            let data: String = r.try_get(1)?;
            let data: Fields =
                serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Some(id) = identity_of(&data, identity) {
                by_identity.insert(id, (r.try_get(0)?, data));
            }
        }
        let now = ts(at);
        let mut counts = ImportCounts::default();
        for row in rows {
            match identity_of(row, identity).and_then(|i| by_identity.get(&i)) {
                Some((_, old)) if old == row => counts.unchanged += 1,
                Some((id, old)) => {
                    update_row(&mut tx, org_id, *id, row, &now).await?;
                    let key = format!("{kind}/{id}");
                    audit(
                        &mut tx,
                        org_id,
                        actor,
                        at,
                        "ledger",
                        &key,
                        "import",
                        Some(serde_json::json!(old)),
                        Some(serde_json::json!(row)),
                    )
                    .await?;
                    counts.updated += 1;
                }
                None => {
                    let id = insert_row(&mut tx, org_id, kind, row, &now).await?;
                    let key = format!("{kind}/{id}");
                    audit(
                        &mut tx,
                        org_id,
                        actor,
                        at,
                        "ledger",
                        &key,
                        "import",
                        None,
                        Some(serde_json::json!(row)),
                    )
                    .await?;
                    if let Some(i) = identity_of(row, identity) {
                        by_identity.insert(i, (id, row.clone()));
                    }
                    counts.added += 1;
                }
            }
        }
        if counts.added + counts.updated > 0 {
            bump_version(&mut tx, org_id).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// Adds a row (`id` None) or changes one; audited with before and after.
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
        let now = ts(at);
        let (id, before, action) = match id {
            Some(id) => {
                let old: String = sqlx::query(
                    "SELECT data FROM ledger_rows WHERE id = $1 AND org_id = $2 AND kind = $3",
                )
                .bind(id)
                .bind(org_id)
                .bind(kind)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("台帳の行 {id} がありません")))?
                .try_get(0)?;
                update_row(&mut tx, org_id, id, row, &now).await?;
                let old: serde_json::Value =
                    serde_json::from_str(&old).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                (id, Some(old), "update")
            }
            None => {
                let id = insert_row(&mut tx, org_id, kind, row, &now).await?;
                (id, None, "create")
            }
        };
        audit(
            &mut tx,
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
        bump_version(&mut tx, org_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Disables (or enables again) a row; audited.
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
        let n = sqlx::query(
            "UPDATE ledger_rows SET disabled = $1, updated_at = $2 WHERE id = $3 AND org_id = $4 AND kind = $5",
        )
        .bind(i64::from(disabled))
        .bind(ts(at))
        .bind(id)
        .bind(org_id)
        .bind(kind)
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
        bump_version(&mut tx, org_id).await?;
        tx.commit().await?;
        Ok(())
    }
}
