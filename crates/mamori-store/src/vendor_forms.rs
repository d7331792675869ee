//! Each vendor's 事業者確認用 as the facility recorded it (imported from the vendor's workbook), per vendor
//! of the 事業者・契約 ledger and edition; every save audited.

use chrono::{DateTime, Utc};
use mamori_core::Answer;
use mamori_core::OrgId;
use sqlx::Row;

use crate::{OrNotFound, Result, Store, StoreError, audit, ts};

#[derive(Debug, Clone, PartialEq)]
pub struct VendorFormRecord {
    pub vendor_id: i64,
    pub edition: mamori_core::EditionId,
    pub answers: Vec<Answer>,
    pub updated_by: String,
    pub updated_at: String,
}

impl Store {
    /// Replaces the vendor's form for the edition. The vendor must be a 事業者・契約 row of the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_vendor_form(
        &self,
        org_id: OrgId,
        vendor_id: i64,
        edition: &str,
        answers: &[Answer],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "SELECT id FROM ledger_rows WHERE id = $1 AND org_id = $2 AND kind = 'vendors'",
        )
        .bind(vendor_id)
        .bind(org_id.get())
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("事業者 {vendor_id} は事業者・契約にありません"))?;
        let before: Option<String> = sqlx::query(
            "SELECT answers FROM vendor_forms WHERE org_id = $1 AND vendor_id = $2 AND edition = $3",
        )
        .bind(org_id.get())
        .bind(vendor_id)
        .bind(edition)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        let json = serde_json::to_string(answers).expect("answers serialise");
        sqlx::query(
            "DELETE FROM vendor_forms WHERE org_id = $1 AND vendor_id = $2 AND edition = $3",
        )
        .bind(org_id.get())
        .bind(vendor_id)
        .bind(edition)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO vendor_forms (org_id, vendor_id, edition, answers, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org_id.get())
        .bind(vendor_id)
        .bind(edition)
        .bind(&json)
        .bind(actor)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "vendor_form",
            &format!("{vendor_id}/{edition}"),
            if before.is_some() { "update" } else { "create" },
            before.and_then(|b| serde_json::from_str(&b).ok()),
            serde_json::from_str(&json).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The vendors' forms of the organisation for an edition, by vendor id.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn vendor_forms(
        &self,
        org_id: OrgId,
        edition: &str,
    ) -> Result<Vec<VendorFormRecord>> {
        sqlx::query(
            "SELECT vendor_id, edition, answers, updated_by, updated_at FROM vendor_forms \
             WHERE org_id = $1 AND edition = $2 ORDER BY vendor_id",
        )
        .bind(org_id.get())
        .bind(edition)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let answers: String = r.try_get("answers")?;
            Ok(VendorFormRecord {
                vendor_id: r.try_get("vendor_id")?,
                edition: r.try_get::<String, _>("edition")?.into(),
                answers: serde_json::from_str(&answers)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
    }
}
