//! Working in several organisations: the switcher, and a group's roll-up of its facilities.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use mamori_core::OrgId;
use mamori_core::dates::wareki;
use mamori_store::OrgKind;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, nav, render};

#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    org: i64,
}

/// `POST /orgs/switch`: the session works in another organisation of the user's (never one they are
/// not a member of: that is "not found").
pub(crate) async fn switch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Posted(SignedIn(session, _org), f): Posted<SwitchForm>,
) -> PageResult {
    let hash = crate::session_hash(&headers).ok_or_else(|| PageError::not_found(""))?;
    state
        .store
        .switch_session_org(&hash, session.user.id, OrgId::new(f.org))
        .await?;
    Ok(Redirect::to("/dashboard").into_response())
}

pub(crate) struct FacilityRow {
    pub id: OrgId,
    pub name: String,
    pub kind: &'static str,
    pub yes: i64,
    pub no: i64,
    pub overdue: i64,
    pub last_checked: String,
    pub last_analysis: String,
    pub suspended: bool,
    /// The person has a role there, so the row opens it.
    pub member: bool,
}

#[derive(Template)]
#[template(path = "orgs/group.html")]
struct GroupPage {
    nav: Option<Nav>,
    group_name: String,
    rows: Vec<FacilityRow>,
    total_overdue: i64,
    /// The deployment's backups (they hold every facility).
    backup: Option<crate::settings::BackupStatus>,
}

/// `GET /group`: a group's facilities with their progress, overdue いいえ and last 確認日.
pub(crate) async fn group_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    if org.kind != OrgKind::Group {
        return Err(PageError::not_found(
            "グループの一覧は、グループの組織で開きます",
        ));
    }
    let rows: Vec<FacilityRow> = mamori_app::hosting::rollup(&state, &org)
        .await?
        .into_iter()
        .map(|f| FacilityRow {
            member: session.orgs.iter().any(|(id, _)| *id == f.org.id),
            id: f.org.id,
            kind: f.org.kind.label(),
            suspended: f.org.status == mamori_store::OrgStatus::Suspended,
            name: f.org.name,
            yes: f.answers_yes,
            no: f.answers_no,
            overdue: f.overdue,
            last_checked: f
                .last_checked
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                .map(wareki)
                .unwrap_or_else(|| "未回答".into()),
            last_analysis: f
                .last_log_analysis
                .as_deref()
                .map(crate::layout::jst_time)
                .unwrap_or_else(|| "なし".into()),
        })
        .collect();
    let page = GroupPage {
        nav: Some(nav(&state, &session, &org)),
        group_name: org.name.clone(),
        total_overdue: rows.iter().map(|r| r.overdue).sum(),
        rows,
        backup: Some(crate::settings::backup_status(&state).await?),
    };
    Ok(render(&page).into_response())
}
