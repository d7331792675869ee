//! The vendor's side of a hosted deployment, in the browser.
//! - A facility (on 「事業者確認用・照合」) invites the vendor of a 事業者・契約 row, ends a link, opens what it
//!   received, accepts or questions it, and downloads the MDS/SDS it was given.
//! - A vendor organisation (「顧客施設」, `clients`) takes invitations, ties products to clients, answers each
//!   product's form once, keeps per-client overrides, publishes, uploads MDS/SDS, and exports its list.
//!
//! A received form's page and its thread serve both sides; everything else 404s for the wrong kind of
//! organisation, and every id is looked up within the organisation of the session.

pub(crate) mod clients;
pub(crate) mod facility;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use mamori_core::{Action, AnswerSet, Choice, Variant};
use mamori_store::{FormComment, Org, OrgKind, ReceivedForm, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, jst_time, nav, render};

/// What the side of a session may do here: a vendor's staff answer the vendor form; a facility's people
/// keep the ledgers.
fn may(session: &Session, org: &Org, edit: bool) -> Result<(), PageError> {
    let action = match (org.kind == OrgKind::Vendor, edit) {
        (true, false) => Action::ViewForm(Variant::Vendor),
        (true, true) => Action::AnswerForm(Variant::Vendor),
        (false, false) => Action::ViewLedgers,
        (false, true) => Action::EditLedgers,
    };
    crate::permit(&session.user, action).map_err(PageError::forbidden)
}

pub(crate) struct AnswerRow {
    number: String,
    text: String,
    heading: Option<String>,
    /// (round, はい/いいえ, 確認日, 目標日, 備考)
    rounds: Vec<(u8, &'static str, String, String, String)>,
}

/// A form's answers row by row, as printed on a received form's page.
pub(crate) fn answer_rows(
    state: &AppState,
    org: &Org,
    form: &mamori_core::catalog::Form,
    answers: &AnswerSet,
) -> Vec<AnswerRow> {
    let catalog = state.catalog_of(org.id);
    let mut rows = Vec::new();
    for section in form.layout() {
        for g in &section.groups {
            let mut heading = g
                .target
                .map(|t| catalog.group_heading_in(form, t).to_string());
            for &(item, target) in &g.rows {
                let rounds = (1..=2u8)
                    .filter_map(|r| {
                        let a = answers.get(&item.id, target, r)?;
                        Some((
                            r,
                            if a.answer == Choice::Yes {
                                "はい"
                            } else {
                                "いいえ"
                            },
                            mamori_core::dates::wareki(a.checked_on),
                            a.target_date
                                .map(mamori_core::dates::wareki)
                                .unwrap_or_default(),
                            a.note.clone(),
                        ))
                    })
                    .collect();
                rows.push(AnswerRow {
                    number: item.number.clone(),
                    text: mamori_report::row_text(form, item, target),
                    heading: heading.take(),
                    rounds,
                });
            }
        }
    }
    rows
}

#[derive(Template)]
#[template(path = "vendor_side/received_form.html")]
struct ReceivedPage {
    nav: Option<Nav>,
    form: ReceivedForm,
    form_title: String,
    edition_name: String,
    rows: Vec<AnswerRow>,
    comments: Vec<FormComment>,
    /// The facility that received it (accept / question), or the vendor that published it (reply).
    is_facility: bool,
    can_edit: bool,
    error: Option<String>,
    typed: String,
}

impl ReceivedPage {
    fn when(&self, at: &str) -> String {
        jst_time(at)
    }
}

async fn received_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    id: i64,
    error: Option<String>,
    typed: String,
) -> Result<ReceivedPage, PageError> {
    let form = state.store.received_form(org.id, id).await?;
    let comments = state.store.form_comments(org.id, id).await?;
    // The form as its edition has it in this organisation's catalog (a vendor form of an edition the
    // facility has not imported yet is shown by its answers' items only).
    let catalog = state.catalog_of(org.id);
    let (form_title, edition_name, rows) = match catalog.vendor_form_for(&form.edition) {
        Ok(f) if f.edition == form.edition => (
            f.title.clone(),
            catalog
                .edition(&form.edition)
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            answer_rows(state, org, f, &AnswerSet::new(form.answers.clone())),
        ),
        _ => (
            "事業者確認用".into(),
            format!("{}（この組織にまだ取り込まれていない版）", form.edition),
            Vec::new(),
        ),
    };
    Ok(ReceivedPage {
        nav: Some(nav(state, session, org)),
        is_facility: form.facility_org_id == org.id,
        form,
        form_title,
        edition_name,
        rows,
        comments,
        can_edit: may(session, org, true).is_ok(),
        error,
        typed,
    })
}

/// `GET /received-forms/{id}`: the form, its state and its thread, for either side.
pub(crate) async fn received_form(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may(&session, &org, false)?;
    let p = received_page(&state, &session, &org, id, None, String::new()).await?;
    Ok(render(&p).into_response())
}

#[derive(Deserialize)]
pub(crate) struct CommentForm {
    #[serde(default)]
    body: String,
    /// The facility's decision: `accept` or `question` (absent: a reply in the thread).
    #[serde(default)]
    decision: Option<String>,
}

/// `POST /received-forms/{id}`: the facility accepts or questions; either side writes in the thread. A
/// refused message shows the page again with what was typed.
pub(crate) async fn received_form_post(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<CommentForm>,
) -> PageResult {
    may(&session, &org, true)?;
    let done = match f.decision.as_deref() {
        Some(d @ ("accept" | "question")) => {
            mamori_app::vendor_side::decide(&state, &org, &session.user, id, d == "accept", &f.body)
                .await
        }
        _ => mamori_app::vendor_side::comment(&state, &org, &session.user, id, &f.body).await,
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/received-forms/{id}")).into_response()),
        Err(mamori_app::AppError::Refused(_, m)) => {
            let p = received_page(&state, &session, &org, id, Some(m), f.body).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /mds-sds/{id}`: an MDS/SDS file, to its vendor or a facility it was shared with.
pub(crate) async fn document(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    may(&session, &org, false)?;
    let (doc, bytes) = state.store.product_document(org.id, id).await?;
    // The stored name may be anything a vendor's PC called it: only safe characters reach the header.
    let ext = if doc.content_type == "application/pdf" {
        "pdf"
    } else {
        "xlsx"
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, doc.content_type.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mds-sds-{id}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
