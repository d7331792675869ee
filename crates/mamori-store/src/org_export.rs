//! One organisation's data out as a file, and into another deployment, so that a facility can leave its
//! host with its data: the organisation, its own users (password hashes, two-factor keys and recovery
//! codes, so they sign in as before), answers, ledgers, vendor forms, inventories and their review queue,
//! log analyses, imported editions with their workbooks, a vendor's products, and its audit trail. Not carried: sessions, API
//! tokens and agents' credentials (issued by the old host: new ones are made at the new host), members
//! from other organisations, backups.
//!
//! The audit trail is appended to the new deployment's hash chain (actor, time, entity, action, before
//! and after kept; the hashes are the new chain's), after a record that names the export it came from.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::*;

/// The file's format name and version: a file of another format or a newer version is refused.
pub const EXPORT_FORMAT: &str = "mamori-org-export";
pub const EXPORT_VERSION: i64 = 1;

/// A table carried as it is: its name, whether rows have their own `id`, and the columns that hold
/// another table's ids (column, table).
type CarriedTable = (&'static str, bool, &'static [(&'static str, &'static str)]);

/// The carried tables, in an order that has every referenced row before its referrer.
const TABLES: &[CarriedTable] = &[
    ("ledger_rows", true, &[]),
    ("answers", false, &[("updated_by", "users")]),
    ("vendor_forms", false, &[("vendor_id", "ledger_rows")]),
    ("inventory_history", true, &[("device_id", "ledger_rows")]),
    ("inventory_reviews", true, &[]),
    ("log_analyses", true, &[]),
    ("edition_imports", true, &[]),
    ("vendor_products", true, &[]),
    ("answer_counts", false, &[]),
    ("report_signoffs", true, &[]),
    ("fiscal_years", true, &[]),
    ("archived_answers", false, &[]),
    ("bcp_answers", false, &[]),
    ("bcp_texts", false, &[]),
    ("incidents", true, &[]),
    ("incident_entries", true, &[("incident_id", "incidents")]),
];

/// What an import brought in, by table.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedOrg {
    pub org: Org,
    pub counts: Vec<(String, usize)>,
}

fn row_to_json(r: &AnyRow) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (i, col) in r.columns().iter().enumerate() {
        let name = sqlx::Column::name(col).to_string();
        // The schema has integers and text only (see the migrations).
        let value = match r.try_get::<Option<i64>, _>(i) {
            Ok(v) => v.map_or(Value::Null, Value::from),
            Err(_) => r
                .try_get::<Option<String>, _>(i)?
                .map_or(Value::Null, Value::from),
        };
        out.insert(name, value);
    }
    Ok(out)
}

async fn rows_json(store: &Store, sql: &str, bind: i64) -> Result<Vec<Map<String, Value>>> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(row_to_json)
        .collect()
}

/// Inserts one row (NULL columns left to their default), returning its new `id` when it has one.
async fn insert_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    row: &Map<String, Value>,
    with_id: bool,
) -> Result<Option<i64>> {
    let cols: Vec<(&String, &Value)> = row
        .iter()
        .filter(|(k, v)| !(v.is_null() || (with_id && k.as_str() == "id")))
        .collect();
    let names: Vec<&str> = cols.iter().map(|(k, _)| k.as_str()).collect();
    for n in &names {
        if !n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(StoreError::Corrupt(format!("列名 {n}")));
        }
    }
    let params: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}){}",
        names.join(", "),
        params.join(", "),
        if with_id { " RETURNING id" } else { "" }
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (name, value) in &cols {
        q = match value {
            Value::Number(n) => q.bind(
                n.as_i64()
                    .ok_or_else(|| StoreError::Corrupt(format!("{table}.{name}: {n}")))?,
            ),
            Value::String(s) => q.bind(s.clone()),
            other => return Err(StoreError::Corrupt(format!("{table}.{name}: {other}"))),
        };
    }
    if with_id {
        Ok(Some(q.fetch_one(&mut **tx).await?.try_get(0)?))
    } else {
        q.execute(&mut **tx).await?;
        Ok(None)
    }
}

/// Bound values a statement may carry on every backend (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_BOUND: usize = 30_000;

/// `n` new ids for `table`, taken inside the import's transaction: PostgreSQL's sequence, or (SQLite,
/// where this transaction is the only writer) past the largest id the table and its sequence have seen.
async fn reserve_ids(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    table: &str,
    n: usize,
) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match backend {
        crate::Backend::Postgres => sqlx::query(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
        )
        .bind(table)
        .bind(n as i64)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
        .collect(),
        crate::Backend::Sqlite => {
            let max: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), \
                 COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0))"
            )))
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
            Ok((max + 1..=max + n as i64).collect())
        }
    }
}

/// Inserts many rows of one table in multi-row statements (rows with the same columns together; NULL
/// columns left to their default). With `with_id`, each row gets a new id, returned as (old, new).
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    table: &str,
    rows: &[Map<String, Value>],
    with_id: bool,
) -> Result<Vec<(i64, i64)>> {
    let mut renumbered = Vec::new();
    let mut prepared: Vec<Map<String, Value>> = Vec::with_capacity(rows.len());
    let new_ids = if with_id {
        reserve_ids(tx, backend, table, rows.len()).await?
    } else {
        Vec::new()
    };
    for (i, row) in rows.iter().enumerate() {
        let mut row: Map<String, Value> = row
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if with_id {
            if let Some(old) = row.get("id").and_then(Value::as_i64) {
                renumbered.push((old, new_ids[i]));
            }
            row.insert("id".into(), Value::from(new_ids[i]));
        }
        prepared.push(row);
    }
    let mut start = 0;
    while start < prepared.len() {
        let names: Vec<&str> = prepared[start].keys().map(String::as_str).collect();
        for n in &names {
            if !n
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(StoreError::Corrupt(format!("列名 {n}")));
            }
        }
        let per_statement = (MAX_BOUND / names.len().max(1)).max(1);
        let mut end = start;
        while end < prepared.len()
            && end - start < per_statement
            && prepared[end]
                .keys()
                .map(String::as_str)
                .eq(names.iter().copied())
        {
            end += 1;
        }
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
        let mut p = 0;
        for r in 0..end - start {
            if r > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (0..names.len())
                .map(|_| {
                    p += 1;
                    format!("${p}")
                })
                .collect();
            sql.push_str(&format!("({})", params.join(", ")));
        }
        // Only checked column names and placeholders are spliced in; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in &prepared[start..end] {
            for (name, value) in row {
                q = match value {
                    Value::Number(n) => q.bind(
                        n.as_i64()
                            .ok_or_else(|| StoreError::Corrupt(format!("{table}.{name}: {n}")))?,
                    ),
                    Value::String(s) => q.bind(s.clone()),
                    other => {
                        return Err(StoreError::Corrupt(format!("{table}.{name}: {other}")));
                    }
                };
            }
        }
        q.execute(&mut **tx).await?;
        start = end;
    }
    Ok(renumbered)
}

impl Store {
    /// One organisation's data as a JSON document (see the module's notes for what it holds).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn export_org(&self, org_id: OrgId, at: DateTime<Utc>) -> Result<Value> {
        let org = rows_json(self, "SELECT * FROM orgs WHERE id = $1", org_id.get())
            .await?
            .pop()
            .or_not_found(|| format!("組織 {org_id} がありません"))?;
        let users = rows_json(
            self,
            "SELECT id, login, display_name, password_hash, role, created_at, totp_secret, totp_enabled, \
             totp_last_step, disabled FROM users WHERE org_id = $1 ORDER BY id",
            org_id.get(),
        )
        .await?;
        let recovery = rows_json(
            self,
            "SELECT c.user_id, c.code_hash, c.used_at FROM recovery_codes c JOIN users u ON u.id = c.user_id \
             WHERE u.org_id = $1 ORDER BY c.id",
            org_id.get(),
        )
        .await?;
        let mut tables = Map::new();
        for (table, with_id, _) in TABLES {
            let order = if *with_id { " ORDER BY id" } else { "" };
            let rows = rows_json(
                self,
                &format!("SELECT * FROM {table} WHERE org_id = $1{order}"),
                org_id.get(),
            )
            .await?;
            tables.insert(table.to_string(), Value::from(rows));
        }
        let workbooks = rows_json(
            self,
            "SELECT w.* FROM edition_workbooks w JOIN edition_imports i ON i.id = w.import_id \
             WHERE i.org_id = $1",
            org_id.get(),
        )
        .await?;
        tables.insert("edition_workbooks".into(), Value::from(workbooks));
        let audit = rows_json(
            self,
            "SELECT actor, at, entity, entity_key, action, before_json, after_json, hash FROM audit_log \
             WHERE org_id = $1 ORDER BY id",
            org_id.get(),
        )
        .await?;
        let (schema, _) = self.schema_versions().await?;
        Ok(serde_json::json!({
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "schema": schema,
            "exported_at": ts(at),
            "org": org,
            "users": users,
            "recovery_codes": recovery,
            "tables": tables,
            "audit": audit,
        }))
    }

    /// Brings an exported organisation into this database as a new organisation, all or nothing.
    /// Refused when the file is not an export, is of a newer schema, or a login of its users is taken.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn import_org(
        &self,
        doc: &Value,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<ImportedOrg> {
        let refused = |m: String| StoreError::Conflict(m);
        if doc["format"] != EXPORT_FORMAT {
            return Err(refused(
                "Mamori の組織の書き出しファイルではありません".into(),
            ));
        }
        if doc["version"].as_i64() != Some(EXPORT_VERSION) {
            return Err(refused(format!(
                "このファイルの形式（版 {}）は読めません",
                doc["version"]
            )));
        }
        let (here, _) = self.schema_versions().await?;
        if doc["schema"].as_i64().unwrap_or(i64::MAX) > here {
            return Err(refused(
                "このファイルは新しい版の Mamori で書き出されています。先にこちらを更新してください".into(),
            ));
        }
        let empty = Vec::new();
        let list = |v: &'_ Value| -> Vec<Map<String, Value>> {
            v.as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(|x| x.as_object().cloned())
                .collect()
        };
        let users = list(&doc["users"]);
        let mut tx = self.write_tx().await?;
        let locked_at = std::time::Instant::now();
        let mut taken = Vec::new();
        for u in &users {
            let login = u["login"].as_str().unwrap_or_default();
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE login = $1")
                .bind(login)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if n > 0 {
                taken.push(login.to_string());
            }
        }
        if !taken.is_empty() {
            return Err(refused(format!(
                "ログインID {} はこの環境で使われています（変更してから取り込んでください）",
                taken.join("、")
            )));
        }
        // The organisation: a new id, active, in no group of this deployment.
        let mut org_row = doc["org"]
            .as_object()
            .cloned()
            .ok_or_else(|| refused("組織の情報がありません".into()))?;
        org_row.insert("status".into(), Value::from("active"));
        org_row.remove("group_id");
        let new_org = OrgId::new(
            insert_row(&mut tx, "orgs", &org_row, true)
                .await?
                .unwrap_or(0),
        );
        let mut ids: HashMap<&str, HashMap<i64, i64>> = HashMap::new();
        for u in &users {
            let mut row = u.clone();
            row.insert("org_id".into(), Value::from(new_org.get()));
            let old = row["id"].as_i64().unwrap_or(0);
            let new = insert_row(&mut tx, "users", &row, true).await?.unwrap_or(0);
            sqlx::query(
                "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(new)
            .bind(new_org.get())
            .bind(row["role"].as_str().unwrap_or("viewer").to_string())
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
            ids.entry("users").or_default().insert(old, new);
        }
        for mut c in list(&doc["recovery_codes"]) {
            let old = c["user_id"].as_i64().unwrap_or(0);
            let Some(new) = ids.get("users").and_then(|m| m.get(&old)) else {
                continue;
            };
            c.insert("user_id".into(), Value::from(*new));
            insert_row(&mut tx, "recovery_codes", &c, true).await?;
        }
        let first_user = users
            .first()
            .and_then(|u| u["id"].as_i64())
            .and_then(|old| ids.get("users")?.get(&old).copied());
        let mut counts = vec![("users".to_string(), users.len())];
        let tables = &doc["tables"];
        for (table, with_id, refs) in TABLES {
            let rows = list(&tables[*table]);
            let mut mapped = Vec::with_capacity(rows.len());
            for mut row in rows.iter().cloned() {
                row.insert("org_id".into(), Value::from(new_org.get()));
                for (col, target) in *refs {
                    if let Some(old) = row.get(*col).and_then(Value::as_i64) {
                        let mapped = ids.get(target).and_then(|m| m.get(&old)).copied();
                        // A change made by a member from another organisation (not carried) is
                        // attributed to the organisation's first user; rows must find their rows.
                        let new = match (mapped, *target) {
                            (Some(n), _) => n,
                            (None, "users") => first_user.ok_or_else(|| {
                                refused("利用者のいない組織は取り込めません".into())
                            })?,
                            (None, _) => {
                                return Err(refused(format!(
                                    "{table}.{col} = {old} の参照先がファイルにありません"
                                )));
                            }
                        };
                        row.insert(col.to_string(), Value::from(new));
                    }
                }
                mapped.push(row);
            }
            // Many rows (a hundred thousand devices) in a few statements: the transaction, and the
            // write lock SQLite holds for it, stays short.
            for (old, new) in insert_rows(&mut tx, self.backend, table, &mapped, *with_id).await? {
                ids.entry(*table).or_default().insert(old, new);
            }
            counts.push((table.to_string(), rows.len()));
        }
        let workbooks = list(&tables["edition_workbooks"]);
        for mut w in workbooks.iter().cloned() {
            let old = w["import_id"].as_i64().unwrap_or(0);
            let new = ids
                .get("edition_imports")
                .and_then(|m| m.get(&old))
                .copied()
                .ok_or_else(|| refused(format!("取り込み {old} の Excel の参照先がありません")))?;
            w.insert("import_id".into(), Value::from(new));
            insert_row(&mut tx, "edition_workbooks", &w, false).await?;
        }
        counts.push(("edition_workbooks".into(), workbooks.len()));
        // The carried trail is chained anew from a fresh anchor, without the chain's head (other
        // organisations' writers do not wait for it); the record naming where it came from then names that
        // side chain, and only that record waits for the head.
        let trail = list(&doc["audit"]);
        let source_head = trail
            .last()
            .and_then(|r| r["hash"].as_str())
            .unwrap_or_default()
            .to_string();
        let entries: Vec<crate::FullEntry> = trail
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                // Stored as the source wrote it (canonical JSON), so its content is unchanged.
                let json = |k: &str| {
                    r[k].as_str()
                        .and_then(|s| serde_json::from_str::<Value>(s).ok())
                        .map(|v| v.to_string())
                };
                let when = DateTime::parse_from_rfc3339(&text("at"))
                    .map(|t| t.to_utc())
                    .unwrap_or(at);
                let after = json("after_json");
                crate::FullEntry {
                    org_id: new_org,
                    actor: text("actor"),
                    at: ts(when),
                    action: crate::carried_action(
                        &text("entity"),
                        &text("action"),
                        after.as_deref(),
                    ),
                    entity: text("entity"),
                    key: text("entity_key"),
                    before: json("before_json"),
                    after,
                }
            })
            .collect();
        let side = crate::write_side_chain(&mut tx, &entries).await?;
        audit(
            &mut tx,
            new_org,
            actor,
            at,
            "org",
            &new_org.to_string(),
            "import",
            None,
            Some(serde_json::json!({
                "exported_at": doc["exported_at"],
                "source_org_id": doc["org"]["id"],
                "audit_records": trail.len(),
                "source_audit_head": source_head,
                "anchor": side.anchor,
                "count": side.count,
                "last": side.last,
            })),
        )
        .await?;
        if side.count > 0 {
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&side.last)
                .execute(&mut *tx)
                .await?;
        }
        counts.push(("audit_log".into(), trail.len()));
        tx.commit().await?;
        tracing::info!(
            seconds = locked_at.elapsed().as_secs_f64(),
            "organisation import: write transaction"
        );
        Ok(ImportedOrg {
            org: self.org(new_org).await?,
            counts,
        })
    }
}
