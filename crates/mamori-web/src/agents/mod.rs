//! Pages for the endpoint agents: `/agents` (administrators: enrolment tokens, enrolled machines and when
//! each last reported) and `/agents/reviews` (inventories that could describe more than one device,
//! waiting for someone to say which).

pub(crate) mod api;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;
use mamori_ledger::Kind;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::Posted;
use crate::extract::SignedIn;
use crate::layout::{Nav, jst_time, nav, render};

struct AgentLine {
    hostname: String,
    machine_id: String,
    enrolled: String,
    last_seen: String,
    revoked: bool,
}

struct EnrollmentLine {
    label: String,
    created: String,
    expires: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "agents/agents.html")]
struct AgentsPage {
    nav: Option<Nav>,
    csrf: String,
    agents: Vec<AgentLine>,
    enrollments: Vec<EnrollmentLine>,
    /// A token just issued: shown this once.
    new_token: Option<String>,
    open_reviews: usize,
}

async fn agents_page_with(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    new_token: Option<String>,
) -> Result<AgentsPage, PageError> {
    let now = state.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(AgentsPage {
        nav: Some(nav(state, session, org)),
        csrf: session.csrf_token.clone(),
        agents: state
            .store
            .agents(org.id)
            .await?
            .into_iter()
            .map(|a| AgentLine {
                hostname: a.hostname,
                machine_id: a.machine_id,
                enrolled: jst_time(&a.enrolled_at),
                last_seen: a
                    .last_seen
                    .as_deref()
                    .map(jst_time)
                    .unwrap_or_else(|| "（まだ送っていません）".into()),
                revoked: a.revoked,
            })
            .collect(),
        enrollments: state
            .store
            .enrollments(org.id)
            .await?
            .into_iter()
            .map(|e| EnrollmentLine {
                live: e.expires_at > now,
                label: e.label,
                created: jst_time(&e.created_at),
                expires: jst_time(&e.expires_at),
            })
            .collect(),
        new_token,
        open_reviews: state
            .store
            .inventory_reviews(org.id)
            .await?
            .iter()
            .filter(|r| r.resolved_at.is_none())
            .count(),
    })
}

pub async fn agents_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    Ok(render(&agents_page_with(&state, &session, &org, None).await?).into_response())
}

#[derive(Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

/// Issues an enrolment token and shows it once.
pub async fn issue_enrollment(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<EnrollForm>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let days: i64 = f.days.trim().parse().unwrap_or(7);
    let label = if f.label.trim().is_empty() {
        "画面で発行".to_string()
    } else {
        f.label.trim().chars().take(100).collect()
    };
    let token =
        mamori_app::inventory::create_enrollment(&state, org.id, &label, days, &session.user.login)
            .await?;
    Ok(render(&agents_page_with(&state, &session, &org, Some(token)).await?).into_response())
}

struct Candidate {
    device_id: i64,
    matched_by: String,
    name: String,
    location: String,
}

struct ReviewLine {
    id: i64,
    received: String,
    source: String,
    reason: String,
    /// What the inventory says: host, machine-id, serial, MACs, OS.
    machine: String,
    candidates: Vec<Candidate>,
    resolved: Option<String>,
}

#[derive(Template)]
#[template(path = "agents/inventory_reviews.html")]
struct ReviewsPage {
    nav: Option<Nav>,
    csrf: String,
    can_edit: bool,
    reviews: Vec<ReviewLine>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ReviewsQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn reviews_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    axum::extract::Query(q): axum::extract::Query<ReviewsQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let devices = state.store.ledger_all(org.id, Kind::Devices).await?;
    let mut reviews = Vec::new();
    for r in state.store.inventory_reviews(org.id).await? {
        let inv: mamori_agent::Inventory = serde_json::from_str(&r.inventory).unwrap_or_default();
        let cands: Vec<serde_json::Value> = serde_json::from_str(&r.candidates).unwrap_or_default();
        let macs: Vec<String> = inv
            .interfaces
            .iter()
            .map(|i| i.mac.to_uppercase())
            .collect();
        reviews.push(ReviewLine {
            id: r.id,
            received: jst_time(&r.received_at),
            source: r.source,
            reason: r.reason,
            machine: format!(
                "{}　machine-id {}　シリアル {}　MAC {}　{}",
                inv.hostname,
                if inv.machine_id.is_empty() {
                    "（なし）"
                } else {
                    &inv.machine_id
                },
                if inv.serial.is_empty() {
                    "（なし）"
                } else {
                    &inv.serial
                },
                if macs.is_empty() {
                    "（なし）".to_string()
                } else {
                    macs.join(", ")
                },
                inv.os
            ),
            candidates: cands
                .iter()
                .filter_map(|c| {
                    let id = c["device_id"].as_i64()?;
                    let row = devices.iter().find(|d| d.id == id)?;
                    let get = |k: &str| row.data.get(k).cloned().unwrap_or_default();
                    Some(Candidate {
                        device_id: id,
                        matched_by: c["matched_by"].as_str().unwrap_or("").to_string(),
                        name: get("computer_name"),
                        location: get("location"),
                    })
                })
                .collect(),
            resolved: r.resolved_at.map(|at| {
                format!(
                    "{}（{}、{}）",
                    r.resolution.unwrap_or_default(),
                    r.resolved_by.unwrap_or_default(),
                    jst_time(&at)
                )
            }),
        });
    }
    Ok(render(&ReviewsPage {
        nav: Some(nav(&state, &session, &org)),
        csrf: session.csrf_token.clone(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        reviews,
        done: q.done,
    })
    .into_response())
}

#[derive(Deserialize)]
pub struct ResolveForm {
    /// A device id, 「new」 or 「discard」.
    #[serde(default)]
    target: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<ResolveForm>,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    // Another organisation's review is not found, whatever the form says.
    state.store.inventory_review(org.id, id).await?;
    let (target, discard) = match f.target.as_str() {
        "new" => (None, false),
        "discard" => (None, true),
        s => (
            Some(s.parse::<i64>().map_err(|_| {
                PageError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "反映先がありません",
                    "反映先の機器を選んでください",
                )
            })?),
            false,
        ),
    };
    let done = mamori_app::inventory::resolve_review(
        &state,
        &org,
        id,
        target,
        discard,
        &session.user.login,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/agents/reviews?done={}",
        crate::ledgers::enc(&done)
    ))
    .into_response())
}
