//! Hosting many organisations in one deployment: the operator creates organisations with their first
//! administrator, suspends and resumes them, and puts facilities into groups; a group's roll-up.

use chrono::{DateTime, Utc};
use mamori_core::OrgId;
use mamori_store::{FacilityFigures, NewOrg, Org, OrgKind, OrgStatus, Store, StoreError, User};

use crate::setup::FirstAdmin;
use crate::{App, AppError, AppResult};

/// How the operator appears in an organisation's audit trail: 「運用管理者 ops」.
pub fn operator_actor(login: &str) -> String {
    format!("運用管理者 {login}")
}

/// A new organisation with its first administrator, created by the hosting operator. A facility
/// starts with the public contacts, as at first-run setup; `group` puts it into a group at once.
pub async fn create_org(
    store: &Store,
    org: &NewOrg,
    admin: FirstAdmin,
    group: Option<OrgId>,
    operator: &str,
    at: DateTime<Utc>,
) -> AppResult<(Org, User)> {
    if org.name.trim().is_empty() {
        return Err(AppError::Refused(
            "組織を作成できません",
            "組織名を入力してください".into(),
        ));
    }
    if let Some(p) = crate::auth::password_problem(
        &admin.password,
        &[&admin.login, &admin.display_name, &org.name],
    ) {
        return Err(AppError::Refused(
            "組織を作成できません",
            format!("管理者のパスワード: {p}"),
        ));
    }
    if group.is_some() && !org.kind.is_facility() {
        return Err(AppError::Refused(
            "組織を作成できません",
            "グループに入れられるのは病院・診療所・薬局だけです".into(),
        ));
    }
    if let Some(g) = group
        && store.org(g).await?.kind != OrgKind::Group
    {
        return Err(AppError::Refused(
            "組織を作成できません",
            format!("組織 {g} はグループではありません"),
        ));
    }
    let user = admin.into_new_user().await;
    let (mut created, user) = store.add_org(org, &user, at).await?;
    let actor = operator_actor(operator);
    if created.kind.is_facility() {
        crate::setup::add_initial_contacts(store, created.id, &actor, at).await?;
    }
    if let Some(g) = group {
        store.set_org_group(created.id, Some(g), &actor, at).await?;
        created.group_id = Some(g);
    }
    Ok((created, user))
}

/// Suspends or resumes an organisation.
pub async fn set_status(
    store: &Store,
    org_id: OrgId,
    status: OrgStatus,
    operator: &str,
    at: DateTime<Utc>,
) -> Result<Org, StoreError> {
    store
        .set_org_status(org_id, status, &operator_actor(operator), at)
        .await?;
    store.org(org_id).await
}

/// A group's facilities with their figures (only for a group).
pub async fn rollup(app: &App, group: &Org) -> AppResult<Vec<FacilityFigures>> {
    if group.kind != OrgKind::Group {
        return Ok(Vec::new());
    }
    let today = app.clock.today_jst();
    let mut figures = app.store.group_facilities(group.id, today).await?;
    // The counts follow each facility's form in force and its rules (the gate's いいえ is no
    // deficiency; rows it exempts and rows of other editions count nowhere), not raw answer rows.
    for f in &mut figures {
        let org = &f.org;
        if org.kind == OrgKind::Group {
            continue;
        }
        let catalog = app.catalog_of(org.id);
        let edition = app.edition_or_current(org, None);
        let Some(form) = catalog.form(&edition, crate::own_variant(&catalog, &edition, org)) else {
            continue;
        };
        let answers = mamori_core::answers::AnswerSet::new(
            app.store.answers(org.id, &edition, form.variant).await?,
        );
        let s = mamori_core::answers::summarize(form, &answers, org.has_vendor_contract);
        f.answers_yes = s.yes as i64;
        f.answers_no = s.no as i64;
        f.overdue = mamori_core::answers::open_items(form, &answers, org.has_vendor_contract, today)
            .iter()
            .filter(|o| o.overdue)
            .count() as i64;
    }
    Ok(figures)
}
