//! A vendor organisation's products: name, version, kind and remote maintenance method. Only a vendor
//! organisation has them; every change is audited.

use super::*;

/// The kinds of product offered on the page (free text is accepted too).
pub const PRODUCT_KINDS: &[&str] = &[
    "電子カルテ",
    "レセコン",
    "電子薬歴",
    "PACS",
    "オンライン資格確認",
    "ネットワーク保守",
    "その他",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub kind: String,
    /// How the vendor reaches the facility's systems for maintenance (なし, VPN, 専用線 …).
    pub remote_maintenance: String,
    pub disabled: bool,
    pub updated_at: String,
}

/// A product as typed on the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ProductFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub remote_maintenance: String,
}

impl ProductFields {
    /// The fields' problems, by field name, in Japanese (empty when the product may be saved).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (field, label, value, max) in [
            ("name", "製品名", &self.name, 200),
            ("version", "版", &self.version, 100),
            ("kind", "種類", &self.kind, 100),
            (
                "remote_maintenance",
                "リモート保守の方法",
                &self.remote_maintenance,
                200,
            ),
        ] {
            let v = value.trim();
            if v.is_empty() && field != "version" {
                out.push((field, format!("{label}を入力してください")));
            } else if v.chars().count() > max {
                out.push((field, format!("{label}は{max}文字以内にしてください")));
            }
        }
        out
    }

    fn trimmed(&self) -> ProductFields {
        ProductFields {
            name: self.name.trim().into(),
            version: self.version.trim().into(),
            kind: self.kind.trim().into(),
            remote_maintenance: self.remote_maintenance.trim().into(),
        }
    }
}

fn product_from_row(r: &AnyRow) -> Result<Product> {
    Ok(Product {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        kind: r.try_get("kind")?,
        remote_maintenance: r.try_get("remote_maintenance")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

const PRODUCT_COLUMNS: &str =
    "id, name, version, kind, remote_maintenance, disabled, updated_at FROM vendor_products";

impl Store {
    /// The organisation's products, enabled first, then by name.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn products(&self, org_id: OrgId) -> Result<Vec<Product>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} WHERE org_id = $1 ORDER BY disabled, name, id"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(product_from_row)
        .collect()
    }

    /// One of the organisation's products, or "not found".
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn product(&self, org_id: OrgId, id: i64) -> Result<Product> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("製品 {id} はありません"))?;
        product_from_row(&r)
    }

    /// Adds a product (`id` None) or changes one of the organisation's; audited. Only a vendor
    /// organisation has products. The caller checks [`ProductFields::problems`] first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_product(
        &self,
        org_id: OrgId,
        id: Option<i64>,
        fields: &ProductFields,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        if self.org(org_id).await?.kind != OrgKind::Vendor {
            return Err(StoreError::Conflict(
                "製品を登録できるのは事業者の組織だけです".into(),
            ));
        }
        let f = fields.trimmed();
        let mut tx = self.write_tx().await?;
        let (id, before) = match id {
            Some(id) => {
                let before = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {PRODUCT_COLUMNS} WHERE org_id = $1 AND id = $2"
                )))
                .bind(org_id.get())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .or_not_found(|| format!("製品 {id} はありません"))?;
                sqlx::query(
                    "UPDATE vendor_products SET name = $1, version = $2, kind = $3, remote_maintenance = $4, \
                     updated_at = $5 WHERE org_id = $6 AND id = $7",
                )
                .bind(&f.name)
                .bind(&f.version)
                .bind(&f.kind)
                .bind(&f.remote_maintenance)
                .bind(ts(at))
                .bind(org_id.get())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let before = product_from_row(&before)?;
                (
                    id,
                    Some(serde_json::to_value(before).expect("product serialises")),
                )
            }
            None => {
                let id: i64 = sqlx::query(
                    "INSERT INTO vendor_products (org_id, name, version, kind, remote_maintenance, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(org_id.get())
                .bind(&f.name)
                .bind(&f.version)
                .bind(&f.kind)
                .bind(&f.remote_maintenance)
                .bind(ts(at))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                (id, None)
            }
        };
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "product",
            &id.to_string(),
            if before.is_some() { "update" } else { "create" },
            before,
            Some(serde_json::to_value(&f).expect("fields serialise")),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stops offering a product (kept, with its history) or offers it again; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_product_disabled(
        &self,
        org_id: OrgId,
        id: i64,
        disabled: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE vendor_products SET disabled = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(i64::from(disabled))
        .bind(ts(at))
        .bind(org_id.get())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("製品 {id} はありません")));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "product",
            &id.to_string(),
            if disabled { "disable" } else { "enable" },
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
