//! インシデント対応: open an incident, its timeline with evidence files, the facts and affected devices,
//! the report draft, and closing it (mamori_app::incidents).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_app::incidents::{AffectedDevice, ENTRY_KINDS, FACTS, entry_label, when};
use mamori_core::Action;
use mamori_store::{EvidenceFile, Incident, IncidentEntry, Org, Session};
use serde::Deserialize;

use super::facility_only;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn, Uploaded};
use crate::layout::{Nav, nav, render};

#[derive(Template)]
#[template(path = "bcp/incidents.html")]
struct ListPage {
    nav: Option<Nav>,
    /// (id, title, opened, state)
    incidents: Vec<(i64, String, String, &'static str)>,
    can_open: bool,
    typed: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "bcp/incident.html")]
struct IncidentPage {
    nav: Option<Nav>,
    incident: Incident,
    opened: String,
    closed: Option<String>,
    open: bool,
    /// (entry, when, kind's label)
    entries: Vec<(IncidentEntry, String, &'static str)>,
    kinds: &'static [(&'static str, &'static str)],
    /// (key, label, value)
    facts: Vec<(&'static str, &'static str, String)>,
    devices: Vec<AffectedDevice>,
    device_names: String,
    report: String,
    can_record: bool,
    can_admin: bool,
    error: Option<String>,
}

fn may_view(session: &Session, org: &Org) -> Result<(), PageError> {
    facility_only(org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)
}

async fn list_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    typed: String,
    error: Option<String>,
) -> Result<ListPage, PageError> {
    Ok(ListPage {
        nav: Some(nav(state, session, org)),
        incidents: state
            .store
            .incidents(org.id)
            .await?
            .into_iter()
            .map(|i| {
                (
                    i.id,
                    i.title,
                    when(&i.opened_at),
                    if i.closed_at.is_some() {
                        "終了"
                    } else {
                        "対応中"
                    },
                )
            })
            .collect(),
        can_open: crate::permit(&session.user, Action::ManageSettings).is_ok(),
        typed,
        error,
    })
}

/// `GET /incidents`
pub(crate) async fn list(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may_view(&session, &org)?;
    Ok(render(&list_page(&state, &session, &org, String::new(), None).await?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct OpenForm {
    #[serde(default)]
    title: String,
}

/// `POST /incidents`: an administrator opens one.
pub(crate) async fn open(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<OpenForm>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    match mamori_app::incidents::open(&state, &org, &session.user, &f.title).await? {
        Ok(id) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(m) => {
            let p = list_page(&state, &session, &org, f.title, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
    }
}

async fn incident_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    id: i64,
    error: Option<String>,
) -> Result<IncidentPage, PageError> {
    let incident = state.store.incident(org.id, id).await?;
    let entries = state.store.incident_entries(org.id, id).await?;
    let devices = mamori_app::incidents::affected(state, org, &incident).await?;
    let report = mamori_app::incidents::report_draft(org, &incident, &devices, &entries);
    Ok(IncidentPage {
        nav: Some(nav(state, session, org)),
        opened: when(&incident.opened_at),
        closed: incident.closed_at.as_deref().map(when),
        open: incident.closed_at.is_none(),
        entries: entries
            .into_iter()
            .map(|e| {
                let at = when(&e.at);
                let label = entry_label(&e.kind);
                (e, at, label)
            })
            .collect(),
        kinds: ENTRY_KINDS,
        facts: FACTS
            .iter()
            .map(|(k, l)| {
                (
                    *k,
                    *l,
                    incident
                        .facts
                        .get(*k)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect(),
        device_names: devices
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        devices,
        report,
        incident,
        can_record: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        can_admin: crate::permit(&session.user, Action::ManageSettings).is_ok(),
        error,
    })
}

/// `GET /incidents/{id}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may_view(&session, &org)?;
    Ok(render(&incident_page(&state, &session, &org, id, None).await?).into_response())
}

async fn refused(state: &AppState, session: &Session, org: &Org, id: i64, m: String) -> PageResult {
    let p = incident_page(state, session, org, id, Some(m)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
}

/// `POST /incidents/{id}/entries` (multipart: kind, body, file).
pub(crate) async fn add_entry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    state.store.incident(org.id, id).await?;
    let (mut kind, mut body) = (String::new(), String::new());
    let (mut file_name, mut content_type, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().map(str::to_string).as_deref() {
            Some("file") => {
                file_name = field.file_name().unwrap_or("").to_string();
                content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            }
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("body") => body = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    // A file input left empty arrives as a nameless, empty part.
    let file = (!file_name.is_empty() || !bytes.is_empty()).then(|| EvidenceFile {
        name: if file_name.is_empty() {
            "file"
        } else {
            &file_name
        },
        content_type: &content_type,
        bytes: &bytes,
    });
    match mamori_app::incidents::add_entry(&state, &org, &session.user, id, (&kind, &body), file)
        .await?
    {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(m) => refused(&state, &session, &org, id, m).await,
    }
}

/// `POST /incidents/{id}/facts`: `fact.<key>` for each fact, `devices` (computer names).
pub(crate) async fn facts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    state.store.incident(org.id, id).await?;
    let facts: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("fact.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let devices = fields
        .iter()
        .find(|(k, _)| k == "devices")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match mamori_app::incidents::set_facts(&state, &org, &session.user, id, &facts, devices).await?
    {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(m) => refused(&state, &session, &org, id, m).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct CloseForm {
    #[serde(default)]
    summary: String,
}

/// `POST /incidents/{id}/close`
pub(crate) async fn close(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<CloseForm>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    state.store.incident(org.id, id).await?;
    match mamori_app::incidents::close(&state, &org, &session.user, id, &f.summary).await? {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(m) => refused(&state, &session, &org, id, m).await,
    }
}

/// `GET /incidents/{id}/files/{entry}`: an evidence file as uploaded (always a download).
pub(crate) async fn file(
    State(state): State<AppState>,
    Path((id, entry)): Path<(i64, i64)>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may_view(&session, &org)?;
    let (name, _, bytes) = state.store.incident_file(org.id, id, entry).await?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/octet-stream".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{safe}\"; filename*=UTF-8''{}",
                    crate::ledgers::enc(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /incidents/{id}/report.txt`: the report draft as text (UTF-8 with a BOM, for Windows' Notepad).
pub(crate) async fn report_text(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may_view(&session, &org)?;
    let p = incident_page(&state, &session, &org, id, None).await?;
    let body = format!("\u{feff}{}", p.report.replace('\n', "\r\n"));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mamori-incident-{id}.txt\""),
            ),
        ],
        body,
    )
        .into_response())
}
