//! PDF documents of an organisation: one form as PDF, and the inspection pack (立入検査用資料) — cover, the
//! facility's form, the vendor form, ledger summaries and the evidence behind each いいえ. Shared by the
//! pages, the API and `mamori export pack`.

use mamori_app::documents::{form_pdf, inspection_pack};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_core::{Action, Variant};
use mamori_store::{Org, User};

use crate::AppState;
use crate::api::bearer;
use crate::checklist::checklist_form;
use crate::error::{ApiError, ApiResult};
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;

pub(crate) fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The edition of the pack: the one asked for, or the one in use this fiscal year.
#[derive(serde::Deserialize)]
pub struct PackQuery {
    #[serde(default)]
    edition: Option<String>,
}

/// The pack needs the facility's form and its ledgers.
fn may_see_pack(user: &User, org: &Org) -> Result<(), &'static str> {
    crate::permit(user, Action::ViewForm(org.kind.own_variant()))?;
    crate::permit(user, Action::ViewLedgers)
}

pub(crate) async fn page_form_pdf(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let form = checklist_form(
        &catalog,
        &session.user,
        &edition,
        &variant,
        Action::ExportForm,
    )?;
    let bytes = form_pdf(&state, &org, form, None).await?;
    Ok(pdf_response(
        &format!("mamori-checklist-{edition}-{}.pdf", form.variant.id()),
        bytes,
    ))
}

pub(crate) async fn page_pack_pdf(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<PackQuery>,
) -> PageResult {
    may_see_pack(&session.user, &org).map_err(PageError::forbidden)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let pdf = inspection_pack(&state, &org, &edition).await?;
    Ok(pdf_response(
        &format!("mamori-pack-{edition}.pdf"),
        pdf.bytes,
    ))
}

pub(crate) async fn api_form_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let variant: Variant = variant.parse()?;
    let catalog = state.catalog_of(org.id);
    let form = catalog.require_form(&edition, variant)?;
    crate::permit(&user, Action::ExportForm(variant))
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let bytes = form_pdf(&state, &org, form, None).await?;
    Ok(pdf_response(
        &format!("mamori-checklist-{edition}-{}.pdf", variant.id()),
        bytes,
    ))
}

pub(crate) async fn api_pack_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PackQuery>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    may_see_pack(&user, &org).map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let pdf = inspection_pack(&state, &org, &edition).await?;
    Ok(pdf_response(
        &format!("mamori-pack-{edition}.pdf"),
        pdf.bytes,
    ))
}
