//! Organisations: the first-run setup, their kind and settings.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrgKind {
    Hospital,
    Clinic,
    Pharmacy,
    /// A vendor (事業者) that answers the 事業者確認用 for its clients.
    Vendor,
    /// A medical corporation, association or group holding several facilities.
    Group,
}

impl OrgKind {
    pub fn id(self) -> &'static str {
        match self {
            OrgKind::Hospital => "hospital",
            OrgKind::Clinic => "clinic",
            OrgKind::Pharmacy => "pharmacy",
            OrgKind::Vendor => "vendor",
            OrgKind::Group => "group",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Hospital => "病院",
            OrgKind::Clinic => "診療所",
            OrgKind::Pharmacy => "薬局",
            OrgKind::Vendor => "事業者",
            OrgKind::Group => "グループ",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.id() == s)
    }
    pub const ALL: [OrgKind; 5] = [
        OrgKind::Hospital,
        OrgKind::Clinic,
        OrgKind::Pharmacy,
        OrgKind::Vendor,
        OrgKind::Group,
    ];
    /// A hospital, clinic or pharmacy: it answers the checklist for itself.
    pub fn is_facility(self) -> bool {
        matches!(
            self,
            OrgKind::Hospital | OrgKind::Clinic | OrgKind::Pharmacy
        )
    }
    /// The form this kind of organisation answers itself (a group answers none: it rolls up).
    pub fn own_variant(self) -> Variant {
        match self {
            OrgKind::Pharmacy => Variant::Pharmacy,
            OrgKind::Vendor => Variant::Vendor,
            _ => Variant::Facility,
        }
    }
}

/// Whether an organisation may be used: a suspended one's users cannot sign in or use its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrgStatus {
    Active,
    Suspended,
}

impl OrgStatus {
    pub fn id(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Suspended => "suspended",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OrgStatus::Active => "利用中",
            OrgStatus::Suspended => "停止中",
        }
    }
    pub fn parse(s: &str) -> Option<OrgStatus> {
        [OrgStatus::Active, OrgStatus::Suspended]
            .into_iter()
            .find(|k| k.id() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub security_officer: String,
    pub has_vendor_contract: bool,
    /// Two-factor sign-in required for every user (administrators need it regardless).
    pub require_totp: bool,
    pub status: OrgStatus,
    /// The group the facility belongs to, if any.
    pub group_id: Option<OrgId>,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    pub security_officer: String,
    pub has_vendor_contract: bool,
}

/// The columns [`org_from_row`] reads.
pub(crate) const ORG_COLUMNS: &str =
    "id, kind, name, security_officer, has_vendor_contract, require_totp, status, group_id";

pub(crate) fn org_from_row(row: &AnyRow) -> Result<Org> {
    org_from_prefixed(row, "")
}

/// [`ORG_COLUMNS`] given as `o.x AS o_x` beside another table's columns (the session's lookup).
pub(crate) const ORG_COLUMNS_AS_O: &str = "o.id AS o_id, o.kind AS o_kind, o.name AS o_name, \
     o.security_officer AS o_security_officer, o.has_vendor_contract AS o_has_vendor_contract, \
     o.require_totp AS o_require_totp, o.status AS o_status, o.group_id AS o_group_id";

/// An organisation from columns named with `prefix` (`""`, or `"o_"` for [`ORG_COLUMNS_AS_O`]).
pub(crate) fn org_from_prefixed(row: &AnyRow, prefix: &str) -> Result<Org> {
    let col = |c: &str| format!("{prefix}{c}");
    let kind: String = row.try_get(col("kind").as_str())?;
    let status: String = row.try_get(col("status").as_str())?;
    Ok(Org {
        id: OrgId::new(row.try_get(col("id").as_str())?),
        kind: OrgKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("組織の種別 {kind}")))?,
        name: row.try_get(col("name").as_str())?,
        security_officer: row.try_get(col("security_officer").as_str())?,
        has_vendor_contract: row.try_get::<i64, _>(col("has_vendor_contract").as_str())? != 0,
        require_totp: row.try_get::<i64, _>(col("require_totp").as_str())? != 0,
        status: OrgStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("組織の状態 {status}")))?,
        group_id: row
            .try_get::<Option<i64>, _>(col("group_id").as_str())?
            .map(OrgId::new),
    })
}

impl Store {
    /// True once the first organisation exists.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn is_set_up(&self) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM orgs")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }

    /// First-run setup: the facility and its first administrator, in one transaction. Refused once done.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_up(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
    ) -> Result<(Org, User)> {
        self.create_org(org, admin, at, true).await
    }

    /// Adds an organisation with its first administrator (hosted installs serve several).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_org(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
    ) -> Result<(Org, User)> {
        self.create_org(org, admin, at, false).await
    }

    async fn create_org(
        &self,
        org: &NewOrg,
        admin: &NewUser,
        at: DateTime<Utc>,
        first: bool,
    ) -> Result<(Org, User)> {
        let mut tx = self.write_tx().await?;
        if first {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM orgs")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if n > 0 {
                return Err(StoreError::AlreadySetUp);
            }
        }
        let org_id: i64 = sqlx::query(
            "INSERT INTO orgs (kind, name, security_officer, has_vendor_contract, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(org.kind.id())
        .bind(&org.name)
        .bind(&org.security_officer)
        .bind(i64::from(org.has_vendor_contract))
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let org_id = OrgId::new(org_id);
        let user_id = insert_user(&mut tx, org_id, admin, &admin.login, at).await?;
        let created = Org {
            id: org_id,
            kind: org.kind,
            name: org.name.clone(),
            security_officer: org.security_officer.clone(),
            has_vendor_contract: org.has_vendor_contract,
            require_totp: false,
            status: OrgStatus::Active,
            group_id: None,
        };
        let after = serde_json::to_value(&created).expect("org serialises");
        audit(
            &mut tx,
            org_id,
            &admin.login,
            at,
            "org",
            &org_id.to_string(),
            "setup",
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        let user = User {
            id: user_id,
            org_id,
            login: admin.login.clone(),
            display_name: admin.display_name.clone(),
            password_hash: admin.password_hash.clone(),
            role: admin.role,
            totp_enabled: false,
        };
        Ok((created, user))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn org(&self, org_id: OrgId) -> Result<Org> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"
        )))
        .bind(org_id.get())
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("組織 {org_id} がありません"))?;
        org_from_row(&row)
    }

    /// The organisation of a single-facility install (the first one).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn first_org_id(&self) -> Result<Option<OrgId>> {
        let row = sqlx::query("SELECT id FROM orgs ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(OrgId::new(r.try_get(0)?)),
            None => None,
        })
    }

    /// Turns "two-factor for everyone" on or off for an organisation (administrators always need it).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn set_require_totp(
        &self,
        org_id: OrgId,
        required: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: i64 = sqlx::query("SELECT require_totp FROM orgs WHERE id = $1")
            .bind(org_id.get())
            .fetch_optional(&mut *tx)
            .await?
            .or_not_found(|| format!("組織 {org_id} がありません"))?
            .try_get(0)?;
        if (before != 0) == required {
            return Ok(());
        }
        sqlx::query("UPDATE orgs SET require_totp = $1 WHERE id = $2")
            .bind(i64::from(required))
            .bind(org_id.get())
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "settings",
            "require_totp",
            "update",
            Some(serde_json::json!({ "require_totp": before != 0 })),
            Some(serde_json::json!({ "require_totp": required })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
