//! Checklist editions imported from MHLW's workbooks, per organisation: a pending import (the preview) until
//! an administrator confirms it, then the organisation's edition; the workbooks kept to fill them later.
//! Every step audited. The parsed content is opaque JSON here (its shape belongs to the web crate).

use chrono::{DateTime, Utc};
use data_encoding::BASE64;
use mamori_core::OrgId;
use sqlx::Row;

use crate::{OrNotFound, Result, Store, StoreError, audit, ts};

#[derive(Debug, Clone, PartialEq)]
pub struct EditionImport {
    pub id: i64,
    pub edition: mamori_core::EditionId,
    pub fiscal_year: i32,
    /// pending / confirmed / replaced / discarded.
    pub status: String,
    /// Parsed forms, layout maps and links (JSON).
    pub data: String,
    /// Provenance of each workbook (JSON).
    pub files: String,
    pub created_by: String,
    pub created_at: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
}

const COLUMNS: &str = "id, edition, fiscal_year, status, data, files, created_by, created_at, \
     confirmed_by, confirmed_at FROM edition_imports";

fn from_row(r: &sqlx::any::AnyRow) -> Result<EditionImport> {
    let fy: i64 = r.try_get("fiscal_year")?;
    Ok(EditionImport {
        id: r.try_get("id")?,
        edition: r.try_get::<String, _>("edition")?.into(),
        fiscal_year: fy as i32,
        status: r.try_get("status")?,
        data: r.try_get("data")?,
        files: r.try_get("files")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        confirmed_by: r.try_get("confirmed_by")?,
        confirmed_at: r.try_get("confirmed_at")?,
    })
}

impl Store {
    /// Records a parsed import awaiting confirmation, with its workbooks (variant id → bytes).
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn create_edition_import(
        &self,
        org_id: OrgId,
        edition: &str,
        fiscal_year: i32,
        data: &str,
        files: &str,
        workbooks: &[(String, Vec<u8>)],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO edition_imports (org_id, edition, fiscal_year, status, data, files, created_by, \
             created_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id.get())
        .bind(edition)
        .bind(i64::from(fiscal_year))
        .bind(data)
        .bind(files)
        .bind(actor)
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for (variant, bytes) in workbooks {
            sqlx::query(
                "INSERT INTO edition_workbooks (import_id, variant, content) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(variant)
            .bind(BASE64.encode(bytes))
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "edition_import",
            &format!("{id}/{edition}"),
            "create",
            None,
            serde_json::from_str(files).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One import of the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn edition_import(&self, org_id: OrgId, id: i64) -> Result<Option<EditionImport>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// The organisation's imports, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn edition_imports(&self, org_id: OrgId) -> Result<Vec<EditionImport>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE org_id = $1 ORDER BY id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// The organisation's confirmed editions, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn confirmed_editions(&self, org_id: OrgId) -> Result<Vec<EditionImport>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE org_id = $1 AND status = 'confirmed' ORDER BY fiscal_year, id"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Changes whenever the organisation's confirmed editions or its choices of edition per year change
    /// (a cache key).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn editions_version(&self, org_id: OrgId) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT (SELECT MAX(id) FROM edition_imports WHERE org_id = $1 AND status = 'confirmed'), \
             (SELECT MAX(id) FROM fiscal_years WHERE org_id = $1)",
        )
        .bind(org_id.get())
        .fetch_one(&self.pool)
        .await?;
        Ok((
            r.try_get::<Option<i64>, _>(0)?.unwrap_or(0),
            r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
        ))
    }

    /// Confirms a pending import with the content the administrator confirmed (links corrected); an
    /// earlier confirmed import of the same edition becomes `replaced`.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn confirm_edition_import(
        &self,
        org_id: OrgId,
        id: i64,
        data: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE org_id = $1 AND id = $2 AND status = 'pending'"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| {
            format!("取り込み {id} は確認待ちではありません（確定済みか、破棄されています）")
        })?;
        let imp = from_row(&row)?;
        sqlx::query(
            "UPDATE edition_imports SET status = 'replaced' WHERE org_id = $1 AND edition = $2 \
             AND status = 'confirmed'",
        )
        .bind(org_id.get())
        .bind(imp.edition.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE edition_imports SET status = 'confirmed', data = $1, confirmed_by = $2, \
             confirmed_at = $3 WHERE org_id = $4 AND id = $5",
        )
        .bind(data)
        .bind(actor)
        .bind(ts(at))
        .bind(org_id.get())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "edition_import",
            &format!("{id}/{}", imp.edition),
            "confirm",
            serde_json::from_str(&imp.files).ok(),
            serde_json::from_str(data).ok().map(|d: serde_json::Value| {
                serde_json::json!({ "links": d.get("links").cloned().unwrap_or_default() })
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Discards a pending import.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn discard_edition_import(
        &self,
        org_id: OrgId,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE edition_imports SET status = 'discarded' WHERE org_id = $1 AND id = $2 \
             AND status = 'pending'",
        )
        .bind(org_id.get())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "取り込み {id} は確認待ちではありません"
            )));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "edition_import",
            &id.to_string(),
            "discard",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The workbook of an import for a variant.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn edition_workbook(
        &self,
        org_id: OrgId,
        import_id: i64,
        variant: &str,
    ) -> Result<Option<Vec<u8>>> {
        let content: Option<String> = sqlx::query(
            "SELECT w.content FROM edition_workbooks w JOIN edition_imports i ON i.id = w.import_id \
             WHERE i.org_id = $1 AND w.import_id = $2 AND w.variant = $3",
        )
        .bind(org_id.get())
        .bind(import_id)
        .bind(variant)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        content
            .map(|c| {
                BASE64
                    .decode(c.as_bytes())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }
}
