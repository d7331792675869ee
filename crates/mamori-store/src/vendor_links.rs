//! The vendor's side of a hosted deployment: invitations from a facility's 事業者・契約 row, the links they
//! become, the vendor's 事業者確認用 per product and edition with per-client overrides, its publication to
//! clients (each receives its own copy), the facility's acceptance or question with a comment thread, and
//! MDS/SDS uploaded once per product.
//!
//! Isolation: a facility reads only its own links, received forms and the documents of products linked to
//! it; a vendor reads only its links, its products' forms and the received forms of its active links — never
//! a facility's answers, ledgers, logs or people.

use super::*;
use crate::audit_each;

/// How long an invitation code may be used.
pub const INVITATION_DAYS: i64 = 14;

/// Letters and digits that cannot be mistaken for one another when read out or typed (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A received form's state at the facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormStatus {
    Published,
    Accepted,
    Questioned,
}

impl FormStatus {
    pub fn id(self) -> &'static str {
        match self {
            FormStatus::Published => "published",
            FormStatus::Accepted => "accepted",
            FormStatus::Questioned => "questioned",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FormStatus::Published => "受領（未確認）",
            FormStatus::Accepted => "受理済み",
            FormStatus::Questioned => "質問中",
        }
    }
    fn parse(s: &str) -> Result<FormStatus> {
        match s {
            "published" => Ok(FormStatus::Published),
            "accepted" => Ok(FormStatus::Accepted),
            "questioned" => Ok(FormStatus::Questioned),
            other => Err(StoreError::Corrupt(format!("received form status {other}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub vendor_row_id: i64,
    pub due_on: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl Invitation {
    /// Usable now: neither used, revoked nor expired.
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > ts(now)
    }
}

/// A facility's 事業者・契約 row tied to a vendor organisation and some of its products.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub id: i64,
    pub facility_org_id: OrgId,
    pub facility_name: String,
    pub vendor_row_id: i64,
    pub vendor_org_id: OrgId,
    pub vendor_name: String,
    pub due_on: Option<String>,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
    /// (product id, product name)
    pub products: Vec<(i64, String)>,
}

/// A vendor's published 事業者確認用 as one client received it (a copy: it stays when the link ends).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedForm {
    pub id: i64,
    pub facility_org_id: OrgId,
    pub facility_name: String,
    pub vendor_row_id: i64,
    pub link_id: i64,
    pub vendor_org_id: OrgId,
    pub vendor_name: String,
    pub product_id: i64,
    pub product_name: String,
    pub edition: mamori_core::EditionId,
    pub answers: Vec<Answer>,
    pub published_by: String,
    pub published_at: String,
    pub status: FormStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormComment {
    /// `facility` or `vendor`.
    pub side: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// The vendor's answers for one product and edition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductForm {
    pub product_id: i64,
    pub edition: mamori_core::EditionId,
    pub answers: Vec<Answer>,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductDocument {
    pub id: i64,
    pub vendor_org_id: OrgId,
    pub vendor_name: String,
    pub product_id: i64,
    pub product_name: String,
    /// MDS, SDS or MDS・SDS.
    pub kind: String,
    pub version: String,
    pub issued_on: String,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// An MDS/SDS file as uploaded.
pub struct DocumentUpload<'a> {
    pub kind: &'a str,
    pub version: &'a str,
    pub issued_on: NaiveDate,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// What a publication did: how many clients received the form, in how many SQL statements (the same few
/// for 2 clients or 500: no statement per client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublishReport {
    pub clients: usize,
    pub statements: usize,
}

/// A fresh invitation code, `XXXX-XXXX-XXXX` (60 random bits).
fn new_code() -> String {
    let bytes: [u8; 12] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed (any case, spaces and hyphens anywhere), hashed as stored.
fn code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(sha2::Sha256::digest(normal.as_bytes()))
}

fn answers_json(answers: &[Answer]) -> String {
    serde_json::to_string(answers).expect("answers serialise")
}

fn answers_from(r: &AnyRow) -> Result<Vec<Answer>> {
    let s: String = r.try_get("answers")?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

const INVITATION_COLUMNS: &str =
    "id, vendor_row_id, due_on, created_by, created_at, expires_at, used_at, revoked_at";

fn invitation_from(r: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: r.try_get("id")?,
        vendor_row_id: r.try_get("vendor_row_id")?,
        due_on: r.try_get("due_on")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const LINK_SELECT: &str = "SELECT l.id, l.facility_org_id, f.name AS facility_name, l.vendor_row_id, \
     l.vendor_org_id, v.name AS vendor_name, l.due_on, l.created_at, l.ended_at, l.ended_by \
     FROM vendor_links l JOIN orgs f ON f.id = l.facility_org_id JOIN orgs v ON v.id = l.vendor_org_id";

fn link_from(r: &AnyRow) -> Result<Link> {
    Ok(Link {
        id: r.try_get("id")?,
        facility_org_id: OrgId::new(r.try_get("facility_org_id")?),
        facility_name: r.try_get("facility_name")?,
        vendor_row_id: r.try_get("vendor_row_id")?,
        vendor_org_id: OrgId::new(r.try_get("vendor_org_id")?),
        vendor_name: r.try_get("vendor_name")?,
        due_on: r.try_get("due_on")?,
        created_at: r.try_get("created_at")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
        products: Vec::new(),
    })
}

const RECEIVED_SELECT: &str = "SELECT r.id, r.facility_org_id, f.name AS facility_name, r.vendor_row_id, \
     r.link_id, r.vendor_org_id, r.vendor_name, r.product_id, r.product_name, r.edition, r.answers, \
     r.published_by, r.published_at, r.status, r.decided_by, r.decided_at \
     FROM received_forms r JOIN orgs f ON f.id = r.facility_org_id";

fn received_from(r: &AnyRow) -> Result<ReceivedForm> {
    Ok(ReceivedForm {
        id: r.try_get("id")?,
        facility_org_id: OrgId::new(r.try_get("facility_org_id")?),
        facility_name: r.try_get("facility_name")?,
        vendor_row_id: r.try_get("vendor_row_id")?,
        link_id: r.try_get("link_id")?,
        vendor_org_id: OrgId::new(r.try_get("vendor_org_id")?),
        vendor_name: r.try_get("vendor_name")?,
        product_id: r.try_get("product_id")?,
        product_name: r.try_get("product_name")?,
        edition: r.try_get::<String, _>("edition")?.into(),
        answers: answers_from(r)?,
        published_by: r.try_get("published_by")?,
        published_at: r.try_get("published_at")?,
        status: FormStatus::parse(&r.try_get::<String, _>("status")?)?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

const DOCUMENT_SELECT: &str = "SELECT d.id, d.vendor_org_id, o.name AS vendor_name, d.product_id, \
     p.name AS product_name, d.kind, d.version, d.issued_on, d.file_name, d.content_type, d.sha256, \
     d.uploaded_by, d.uploaded_at FROM product_documents d JOIN orgs o ON o.id = d.vendor_org_id \
     JOIN vendor_products p ON p.id = d.product_id";

fn document_from(r: &AnyRow) -> Result<ProductDocument> {
    Ok(ProductDocument {
        id: r.try_get("id")?,
        vendor_org_id: OrgId::new(r.try_get("vendor_org_id")?),
        vendor_name: r.try_get("vendor_name")?,
        product_id: r.try_get("product_id")?,
        product_name: r.try_get("product_name")?,
        kind: r.try_get("kind")?,
        version: r.try_get("version")?,
        issued_on: r.try_get("issued_on")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

/// `$first, $first+1, …` for an `IN (…)` list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn require_vendor(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: OrgId,
) -> Result<String> {
    let r = sqlx::query("SELECT name, kind FROM orgs WHERE id = $1")
        .bind(org_id.get())
        .fetch_optional(&mut **tx)
        .await?
        .or_not_found(|| "組織がありません".into())?;
    if r.try_get::<String, _>("kind")? != OrgKind::Vendor.id() {
        return Err(StoreError::Conflict(
            "招待を受けられるのは事業者の組織だけです".into(),
        ));
    }
    Ok(r.try_get("name")?)
}

/// Checks that every product is the vendor's own.
async fn require_products(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    vendor: OrgId,
    products: &[i64],
) -> Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT COUNT(*) FROM vendor_products WHERE org_id = $1 AND id IN ({})",
        placeholders(2, products.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(vendor.get());
    for p in products {
        q = q.bind(*p);
    }
    let n: i64 = q.fetch_one(&mut **tx).await?.try_get(0)?;
    if usize::try_from(n).unwrap_or(0) != products.len() {
        return Err(StoreError::NotFound("製品がありません".into()));
    }
    Ok(())
}

async fn replace_link_products(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    link_id: i64,
    products: &[i64],
) -> Result<()> {
    sqlx::query("DELETE FROM vendor_link_products WHERE link_id = $1")
        .bind(link_id)
        .execute(&mut **tx)
        .await?;
    for p in products {
        sqlx::query("INSERT INTO vendor_link_products (link_id, product_id) VALUES ($1, $2)")
            .bind(link_id)
            .bind(*p)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    // ---- Invitations (the facility's side)

    /// Makes a one-time code that lets a vendor organisation link itself to the facility's 事業者・契約 row;
    /// returns the invitation's id and the code (shown once: only its hash is kept). Audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn create_vendor_invitation(
        &self,
        org_id: OrgId,
        vendor_row_id: i64,
        due_on: Option<NaiveDate>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(i64, String)> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "SELECT id FROM ledger_rows WHERE id = $1 AND org_id = $2 AND kind = 'vendors' AND disabled = 0",
        )
        .bind(vendor_row_id)
        .bind(org_id.get())
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("事業者 {vendor_row_id} は事業者・契約にありません"))?;
        let code = new_code();
        let expires = at + chrono::Duration::days(INVITATION_DAYS);
        let id: i64 = sqlx::query(
            "INSERT INTO vendor_invitations (org_id, vendor_row_id, code_hash, due_on, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id.get())
        .bind(vendor_row_id)
        .bind(code_hash(&code))
        .bind(due_on.map(|d| d.to_string()))
        .bind(actor)
        .bind(ts(at))
        .bind(ts(expires))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "vendor_invitation",
            &id.to_string(),
            "create",
            None,
            Some(serde_json::json!({
                "vendor_row_id": vendor_row_id,
                "due_on": due_on.map(|d| d.to_string()),
                "expires_at": ts(expires),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok((id, code))
    }

    /// The facility's invitations, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn vendor_invitations(&self, org_id: OrgId) -> Result<Vec<Invitation>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM vendor_invitations WHERE org_id = $1 ORDER BY id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(invitation_from)
        .collect()
    }

    /// Withdraws an unused invitation of the facility; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn revoke_vendor_invitation(
        &self,
        org_id: OrgId,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE vendor_invitations SET revoked_at = $1 \
             WHERE id = $2 AND org_id = $3 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(ts(at))
        .bind(id)
        .bind(org_id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "未使用の招待 {id} はありません"
            )));
        }
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "vendor_invitation",
            &id.to_string(),
            "revoke",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- Links

    /// The vendor organisation takes an invitation: the code must be unused, unexpired and not withdrawn
    /// (used once: a second use, even at the same moment, is refused). The link ties `products` to the
    /// facility's row. Audited in both organisations. Returns the link's id.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn accept_vendor_invitation(
        &self,
        vendor: OrgId,
        code: &str,
        products: &[i64],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let refused = || {
            StoreError::Conflict(
                "招待コードが正しくないか、期限切れ・使用済み・取り消し済みです。施設に新しいコードを依頼してください".into(),
            )
        };
        let mut tx = self.write_tx().await?;
        let vendor_name = require_vendor(&mut tx, vendor).await?;
        require_products(&mut tx, vendor, products).await?;
        let inv = sqlx::query(
            "SELECT id, org_id, vendor_row_id, due_on FROM vendor_invitations \
             WHERE code_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(code_hash(code))
        .bind(ts(at))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(refused)?;
        let (inv_id, facility, row_id): (i64, i64, i64) = (
            inv.try_get("id")?,
            inv.try_get("org_id")?,
            inv.try_get("vendor_row_id")?,
        );
        if facility == vendor.get() {
            return Err(refused());
        }
        let due_on: Option<String> = inv.try_get("due_on")?;
        let taken = sqlx::query(
            "UPDATE vendor_invitations SET used_at = $1, used_by_org = $2 WHERE id = $3 AND used_at IS NULL",
        )
        .bind(ts(at))
        .bind(vendor.get())
        .bind(inv_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            return Err(refused());
        }
        let active: Option<i64> = sqlx::query(
            "SELECT id FROM vendor_links WHERE facility_org_id = $1 AND vendor_row_id = $2 AND ended_at IS NULL",
        )
        .bind(facility)
        .bind(row_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if active.is_some() {
            return Err(StoreError::Conflict(
                "この施設の事業者欄はすでに別の事業者の組織と連携しています。施設に連携の終了を依頼してください".into(),
            ));
        }
        let link_id: i64 = sqlx::query(
            "INSERT INTO vendor_links (facility_org_id, vendor_row_id, vendor_org_id, invitation_id, due_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(facility)
        .bind(row_id)
        .bind(vendor.get())
        .bind(inv_id)
        .bind(due_on)
        .bind(actor)
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        replace_link_products(&mut tx, link_id, products).await?;
        let after =
            serde_json::json!({"link": link_id, "vendor_row_id": row_id, "products": products})
                .to_string();
        let entry = AuditEntry {
            key: link_id.to_string(),
            before: None,
            after: Some(after),
        };
        let actor = format!("{actor}（{vendor_name}）");
        audit_each(
            &mut tx,
            &actor,
            at,
            "vendor_link",
            "create",
            &[(vendor, &entry), (OrgId::new(facility), &entry)],
        )
        .await?;
        tx.commit().await?;
        Ok(link_id)
    }

    /// Which of the vendor's products a link covers; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn set_link_products(
        &self,
        vendor: OrgId,
        link_id: i64,
        products: &[i64],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "SELECT id FROM vendor_links WHERE id = $1 AND vendor_org_id = $2 AND ended_at IS NULL",
        )
        .bind(link_id)
        .bind(vendor.get())
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("連携 {link_id} はありません"))?;
        require_products(&mut tx, vendor, products).await?;
        replace_link_products(&mut tx, link_id, products).await?;
        audit(
            &mut tx,
            vendor,
            actor,
            at,
            "vendor_link",
            &link_id.to_string(),
            "products",
            None,
            Some(serde_json::json!({ "products": products })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a link from either side; what the facility received stays with it. Audited in both.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn end_vendor_link(
        &self,
        org_id: OrgId,
        link_id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(
            "SELECT facility_org_id, vendor_org_id FROM vendor_links \
             WHERE id = $1 AND (facility_org_id = $2 OR vendor_org_id = $2) AND ended_at IS NULL",
        )
        .bind(link_id)
        .bind(org_id.get())
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("連携 {link_id} はありません"))?;
        let (facility, vendor): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        let org_name: String = sqlx::query("SELECT name FROM orgs WHERE id = $1")
            .bind(org_id.get())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let actor = format!("{actor}（{org_name}）");
        sqlx::query("UPDATE vendor_links SET ended_at = $1, ended_by = $2 WHERE id = $3")
            .bind(ts(at))
            .bind(&actor)
            .bind(link_id)
            .execute(&mut *tx)
            .await?;
        let entry = AuditEntry {
            key: link_id.to_string(),
            before: None,
            after: None,
        };
        audit_each(
            &mut tx,
            &actor,
            at,
            "vendor_link",
            "end",
            &[(OrgId::new(vendor), &entry), (OrgId::new(facility), &entry)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The links of a facility (`as_vendor` false) or of a vendor (true), ended ones too, newest first,
    /// each with its products: two queries however many links.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn vendor_links(&self, org_id: OrgId, as_vendor: bool) -> Result<Vec<Link>> {
        let side = if as_vendor {
            "vendor_org_id"
        } else {
            "facility_org_id"
        };
        let mut links: Vec<Link> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LINK_SELECT} WHERE l.{side} = $1 ORDER BY l.ended_at IS NOT NULL, l.id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(link_from)
        .collect::<Result<_>>()?;
        let products = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT lp.link_id, p.id, p.name FROM vendor_link_products lp \
             JOIN vendor_links l ON l.id = lp.link_id JOIN vendor_products p ON p.id = lp.product_id \
             WHERE l.{side} = $1 ORDER BY p.name, p.id"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?;
        for r in &products {
            let link: i64 = r.try_get(0)?;
            if let Some(l) = links.iter_mut().find(|l| l.id == link) {
                l.products.push((r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(links)
    }

    // ---- The vendor's answers per product and edition

    /// The vendor's form for a product and edition, if saved.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn product_form(
        &self,
        vendor: OrgId,
        product_id: i64,
        edition: &str,
    ) -> Result<Option<ProductForm>> {
        Ok(self
            .product_forms(vendor, product_id)
            .await?
            .into_iter()
            .find(|f| f.edition == edition))
    }

    /// Every edition's form of a product (for carrying answers over to a new edition).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn product_forms(&self, vendor: OrgId, product_id: i64) -> Result<Vec<ProductForm>> {
        sqlx::query(
            "SELECT product_id, edition, answers, updated_by, updated_at FROM product_forms \
             WHERE vendor_org_id = $1 AND product_id = $2 ORDER BY edition",
        )
        .bind(vendor.get())
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ProductForm {
                product_id: r.try_get("product_id")?,
                edition: r.try_get::<String, _>("edition")?.into(),
                answers: answers_from(r)?,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
    }

    /// Replaces the vendor's form for a product and edition (checked by the caller); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn save_product_form(
        &self,
        vendor: OrgId,
        product_id: i64,
        edition: &str,
        answers: &[Answer],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        require_products(&mut tx, vendor, &[product_id]).await?;
        let before: Option<String> =
            sqlx::query("SELECT answers FROM product_forms WHERE product_id = $1 AND edition = $2")
                .bind(product_id)
                .bind(edition)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        let json = answers_json(answers);
        sqlx::query(
            "INSERT INTO product_forms (vendor_org_id, product_id, edition, answers, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (product_id, edition) DO UPDATE SET \
             answers = excluded.answers, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(vendor.get())
        .bind(product_id)
        .bind(edition)
        .bind(&json)
        .bind(actor)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            vendor,
            actor,
            at,
            "product_form",
            &format!("{product_id}/{edition}"),
            if before.is_some() { "update" } else { "create" },
            before.and_then(|b| serde_json::from_str(&b).ok()),
            serde_json::from_str(&json).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The per-client overrides of a product's form for an edition: (link id, answers replacing the
    /// product's for the same item, target and round).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn product_overrides(
        &self,
        vendor: OrgId,
        product_id: i64,
        edition: &str,
    ) -> Result<Vec<(i64, Vec<Answer>)>> {
        sqlx::query(
            "SELECT link_id, answers FROM product_form_overrides \
             WHERE vendor_org_id = $1 AND product_id = $2 AND edition = $3 ORDER BY link_id",
        )
        .bind(vendor.get())
        .bind(product_id)
        .bind(edition)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("link_id")?, answers_from(r)?)))
        .collect()
    }

    /// Sets one client's overrides (checked by the caller; none removes them); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn save_product_override(
        &self,
        vendor: OrgId,
        (link_id, product_id, edition): (i64, i64, &str),
        answers: &[Answer],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "SELECT l.id FROM vendor_links l JOIN vendor_link_products lp ON lp.link_id = l.id AND lp.product_id = $3 \
             WHERE l.id = $1 AND l.vendor_org_id = $2 AND l.ended_at IS NULL",
        )
        .bind(link_id)
        .bind(vendor.get())
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("この製品の連携 {link_id} はありません"))?;
        sqlx::query(
            "DELETE FROM product_form_overrides WHERE link_id = $1 AND product_id = $2 AND edition = $3",
        )
        .bind(link_id)
        .bind(product_id)
        .bind(edition)
        .execute(&mut *tx)
        .await?;
        if !answers.is_empty() {
            sqlx::query(
                "INSERT INTO product_form_overrides (link_id, product_id, edition, vendor_org_id, answers, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(link_id)
            .bind(product_id)
            .bind(edition)
            .bind(vendor.get())
            .bind(answers_json(answers))
            .bind(actor)
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            vendor,
            actor,
            at,
            "product_override",
            &format!("{product_id}/{edition}/{link_id}"),
            "update",
            None,
            serde_json::to_value(answers).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Publishes a product's form to clients: each `(link id, answers)` (the product's answers with that
    /// client's overrides applied) becomes the client's received form for the edition, replacing one
    /// published before (status back to 受領; its comment thread kept). Every link must be the vendor's,
    /// active and cover the product. Audited in the vendor's trail and each client's. A fixed number of
    /// statements for any number of clients.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get(), clients = to.len()))]
    pub async fn publish_product_form(
        &self,
        vendor: OrgId,
        product_id: i64,
        edition: &str,
        to: &[(i64, Vec<Answer>)],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<PublishReport> {
        let mut statements = 0;
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(
            "SELECT p.name, o.name FROM vendor_products p JOIN orgs o ON o.id = p.org_id \
             WHERE p.org_id = $1 AND p.id = $2",
        )
        .bind(vendor.get())
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("製品 {product_id} はありません"))?;
        statements += 1;
        let (product_name, vendor_name): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let linked: std::collections::HashMap<i64, (i64, i64)> = sqlx::query(
            "SELECT l.id, l.facility_org_id, l.vendor_row_id FROM vendor_links l \
             JOIN vendor_link_products lp ON lp.link_id = l.id AND lp.product_id = $2 \
             WHERE l.vendor_org_id = $1 AND l.ended_at IS NULL",
        )
        .bind(vendor.get())
        .bind(product_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect::<Result<_>>()?;
        statements += 1;
        let mut rows = Vec::with_capacity(to.len());
        for (link, answers) in to {
            let (facility, row) = linked
                .get(link)
                .copied()
                .or_not_found(|| format!("この製品の連携 {link} はありません"))?;
            rows.push((*link, facility, row, answers_json(answers)));
        }
        let at_s = ts(at);
        // 13 values a row; 200 rows stay under every backend's limit on bound values.
        for chunk in rows.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO received_forms (facility_org_id, vendor_row_id, link_id, vendor_org_id, vendor_name, \
                 product_id, product_name, edition, answers, published_by, published_at, status, decided_by) VALUES ",
            );
            for n in 0..chunk.len() {
                if n > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("({}, NULL)", placeholders(n * 12 + 1, 12)));
            }
            sql.push_str(
                " ON CONFLICT (link_id, product_id, edition) DO UPDATE SET answers = excluded.answers, \
                 vendor_name = excluded.vendor_name, product_name = excluded.product_name, \
                 published_by = excluded.published_by, published_at = excluded.published_at, \
                 status = excluded.status, decided_by = NULL, decided_at = NULL",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (link, facility, row, json) in chunk {
                q = q
                    .bind(*facility)
                    .bind(*row)
                    .bind(*link)
                    .bind(vendor.get())
                    .bind(vendor_name.clone())
                    .bind(product_id)
                    .bind(product_name.clone())
                    .bind(edition.to_string())
                    .bind(json.clone())
                    .bind(actor.to_string())
                    .bind(at_s.clone())
                    .bind(FormStatus::Published.id());
            }
            q.execute(&mut *tx).await?;
            statements += 1;
        }
        let entries: Vec<AuditEntry> = rows
            .iter()
            .map(|(link, _, _, _)| AuditEntry {
                key: format!("{link}/{product_id}/{edition}"),
                before: None,
                after: Some(
                    serde_json::json!({"product": product_name, "edition": edition}).to_string(),
                ),
            })
            .collect();
        let mut trail: Vec<(OrgId, &AuditEntry)> = Vec::with_capacity(rows.len() * 2);
        for ((_, facility, _, _), e) in rows.iter().zip(&entries) {
            trail.push((vendor, e));
            trail.push((OrgId::new(*facility), e));
        }
        let actor_named = format!("{actor}（{vendor_name}）");
        audit_each(
            &mut tx,
            &actor_named,
            at,
            "received_form",
            "publish",
            &trail,
        )
        .await?;
        statements += 2 + trail.len().div_ceil(400);
        tx.commit().await?;
        Ok(PublishReport {
            clients: rows.len(),
            statements,
        })
    }

    // ---- Received forms (both sides)

    /// The forms a facility received (every edition when `edition` is None), newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = facility.get()))]
    pub async fn received_forms(
        &self,
        facility: OrgId,
        edition: Option<&str>,
    ) -> Result<Vec<ReceivedForm>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RECEIVED_SELECT} WHERE r.facility_org_id = $1 AND ($2 = '' OR r.edition = $2) \
             ORDER BY r.published_at DESC, r.id DESC"
        )))
        .bind(facility.get())
        .bind(edition.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(received_from)
        .collect()
    }

    /// What a vendor published (to active links only), for its dashboard.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn published_forms(&self, vendor: OrgId) -> Result<Vec<ReceivedForm>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RECEIVED_SELECT} JOIN vendor_links l ON l.id = r.link_id \
             WHERE r.vendor_org_id = $1 AND l.ended_at IS NULL ORDER BY r.id"
        )))
        .bind(vendor.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(received_from)
        .collect()
    }

    /// One received form as `org_id` may see it: the facility that received it, or the vendor that
    /// published it while the link is active. Otherwise "not found".
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn received_form(&self, org_id: OrgId, id: i64) -> Result<ReceivedForm> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RECEIVED_SELECT} JOIN vendor_links l ON l.id = r.link_id WHERE r.id = $1 \
             AND (r.facility_org_id = $2 OR (r.vendor_org_id = $2 AND l.ended_at IS NULL))"
        )))
        .bind(id)
        .bind(org_id.get())
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("事業者確認用 {id} はありません"))?;
        received_from(&r)
    }

    /// The facility accepts a received form or questions it (a question needs a comment, which starts or
    /// continues the thread). Audited in both organisations.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = facility.get()))]
    pub async fn decide_received_form(
        &self,
        facility: OrgId,
        id: i64,
        status: FormStatus,
        comment: Option<&str>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let vendor: i64 = sqlx::query(
            "SELECT vendor_org_id FROM received_forms WHERE id = $1 AND facility_org_id = $2",
        )
        .bind(id)
        .bind(facility.get())
        .fetch_optional(&mut *tx)
        .await?
        .or_not_found(|| format!("事業者確認用 {id} はありません"))?
        .try_get(0)?;
        sqlx::query(
            "UPDATE received_forms SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
        )
        .bind(status.id())
        .bind(actor)
        .bind(ts(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(body) = comment.filter(|c| !c.trim().is_empty()) {
            insert_comment(&mut tx, id, "facility", actor, body, at).await?;
        }
        let entry = AuditEntry {
            key: id.to_string(),
            before: None,
            after: Some(serde_json::json!({"status": status.id(), "comment": comment}).to_string()),
        };
        audit_each(
            &mut tx,
            actor,
            at,
            "received_form",
            status.id(),
            &[(facility, &entry), (OrgId::new(vendor), &entry)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds to a received form's comment thread, from whichever side `org_id` is; audited in both.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_form_comment(
        &self,
        org_id: OrgId,
        id: i64,
        body: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let form = self.received_form(org_id, id).await?;
        let side = if form.facility_org_id == org_id {
            "facility"
        } else {
            "vendor"
        };
        let mut tx = self.write_tx().await?;
        insert_comment(&mut tx, id, side, actor, body, at).await?;
        let entry = AuditEntry {
            key: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "side": side, "comment": body }).to_string()),
        };
        audit_each(
            &mut tx,
            actor,
            at,
            "received_form",
            "comment",
            &[(form.facility_org_id, &entry), (form.vendor_org_id, &entry)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A received form's thread, oldest first (the caller has read the form with [`Store::received_form`]).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn form_comments(&self, org_id: OrgId, id: i64) -> Result<Vec<FormComment>> {
        self.received_form(org_id, id).await?;
        sqlx::query(
            "SELECT side, author, body, created_at FROM form_comments WHERE received_form_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(FormComment {
                side: r.try_get("side")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
    }

    // ---- MDS/SDS

    /// Keeps a product's MDS/SDS file (one upload serves every linked client); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = vendor.get()))]
    pub async fn add_product_document(
        &self,
        vendor: OrgId,
        product_id: i64,
        doc: &DocumentUpload<'_>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        require_products(&mut tx, vendor, &[product_id]).await?;
        let sha = hex::encode(sha2::Sha256::digest(doc.bytes));
        let id: i64 = sqlx::query(
            "INSERT INTO product_documents (vendor_org_id, product_id, kind, version, issued_on, file_name, \
             content_type, content, sha256, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(vendor.get())
        .bind(product_id)
        .bind(doc.kind)
        .bind(doc.version)
        .bind(doc.issued_on.to_string())
        .bind(doc.file_name)
        .bind(doc.content_type)
        .bind(data_encoding::BASE64.encode(doc.bytes))
        .bind(&sha)
        .bind(actor)
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            vendor,
            actor,
            at,
            "product_document",
            &id.to_string(),
            "create",
            None,
            Some(serde_json::json!({
                "product": product_id, "kind": doc.kind, "version": doc.version,
                "issued_on": doc.issued_on.to_string(), "file": doc.file_name, "sha256": sha,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The MDS/SDS a vendor uploaded (`as_vendor`), or those a facility received: of products linked to it,
    /// uploaded before the link ended. Newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn product_documents(
        &self,
        org_id: OrgId,
        as_vendor: bool,
    ) -> Result<Vec<ProductDocument>> {
        let filter = if as_vendor {
            "WHERE d.vendor_org_id = $1"
        } else {
            "WHERE d.id IN (SELECT d2.id FROM product_documents d2 \
             JOIN vendor_link_products lp ON lp.product_id = d2.product_id \
             JOIN vendor_links l ON l.id = lp.link_id \
             WHERE l.facility_org_id = $1 AND (l.ended_at IS NULL OR d2.uploaded_at <= l.ended_at))"
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DOCUMENT_SELECT} {filter} ORDER BY d.uploaded_at DESC, d.id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(document_from)
        .collect()
    }

    /// One MDS/SDS with its bytes, as `org_id` may see it (its vendor, or a facility it reached).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn product_document(
        &self,
        org_id: OrgId,
        id: i64,
    ) -> Result<(ProductDocument, Vec<u8>)> {
        let org = self.org(org_id).await?;
        let doc = self
            .product_documents(org_id, org.kind == OrgKind::Vendor)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .or_not_found(|| format!("MDS/SDS {id} はありません"))?;
        let content: String = sqlx::query("SELECT content FROM product_documents WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let bytes = data_encoding::BASE64
            .decode(content.as_bytes())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((doc, bytes))
    }
}

async fn insert_comment(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    side: &str,
    actor: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO form_comments (received_form_id, side, author, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(side)
    .bind(actor)
    .bind(body.trim())
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// However a code is typed back (case, spaces, hyphens anywhere), it is the same code; any other
        /// text is not.
        #[test]
        fn a_code_typed_loosely_is_the_same_code(
            flips in proptest::collection::vec(any::<bool>(), 14),
            seps in proptest::collection::vec(prop_oneof![Just(""), Just(" "), Just("-"), Just("　")], 14),
            other in "[A-Z2-9]{12}",
        ) {
            let code = new_code();
            let typed: String = code
                .chars()
                .filter(|c| *c != '-')
                .zip(flips.iter().zip(&seps))
                .map(|(c, (lower, sep))| {
                    format!("{sep}{}", if *lower { c.to_ascii_lowercase() } else { c })
                })
                .collect();
            prop_assert_eq!(code_hash(&typed), code_hash(&code));
            if other != code.replace('-', "") {
                prop_assert_ne!(code_hash(&other), code_hash(&code));
            }
        }
    }

    #[test]
    fn codes_are_readable_and_typed_loosely() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(code_hash(&typed), code_hash(&code));
        assert_ne!(code_hash(&new_code()), code_hash(&code));
    }
}
