//! PDF documents of an organisation: one form as PDF, and the inspection pack (立入検査用資料) — cover, the
//! facility's form, the vendor form, ledger summaries and the evidence behind each いいえ. Shared by the
//! pages, the API and `mamori export pack`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_core::catalog::Form;
use mamori_core::{Action, AnswerSet, Variant};
use mamori_ledger::Kind;
use mamori_report::pack::{PackForm, PackInput, pack_data};
use mamori_store::{Org, StoreError, User};

use crate::AppState;
use crate::api::{ApiError, ApiResult, bearer};
use crate::pages::{PageError, PageResult, SignedIn, checklist_form};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Catalog(#[from] mamori_core::CatalogError),
    #[error(transparent)]
    Pdf(#[from] mamori_pdf::PdfError),
    #[error(transparent)]
    Xlsx(#[from] mamori_report::ReportError),
}

impl From<DocumentError> for PageError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Store(e) => e.into(),
            DocumentError::Catalog(e) => e.into(),
            DocumentError::Pdf(e) => PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PDF を作成できません",
                e.to_string(),
            ),
            DocumentError::Xlsx(e) => PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Excelファイルを作成できません",
                e.to_string(),
            ),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Store(e) => e.into(),
            DocumentError::Catalog(e) => e.into(),
            DocumentError::Pdf(e) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            DocumentError::Xlsx(e) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

/// A form in a document, with the answers it shows and, for a vendor's form, the vendor's name.
pub struct DocForm<'a> {
    pub form: &'a Form,
    pub answers: AnswerSet,
    pub vendor: Option<String>,
}

/// The organisation's own answers to a form.
async fn own(state: &AppState, org: &Org, form: &Form) -> Result<AnswerSet, StoreError> {
    Ok(AnswerSet::new(
        state
            .store
            .answers(org.id, &form.edition, form.variant)
            .await?,
    ))
}

/// Renders the forms and, for the pack, the いいえ, the reconciliation and the ledgers.
async fn render(
    state: &AppState,
    org: &Org,
    forms: Vec<DocForm<'_>>,
    whole_pack: bool,
) -> Result<mamori_pdf::Pdf, DocumentError> {
    let first = forms[0].form;
    let mut ledgers = HashMap::new();
    let mut evidence = HashMap::new();
    let mut contradictions = Vec::new();
    if whole_pack {
        for kind in Kind::ALL {
            let rows = state
                .store
                .ledger_all(org.id, kind.id())
                .await?
                .into_iter()
                .filter(|r| !r.disabled)
                .map(|r| r.data)
                .collect();
            ledgers.insert(kind, rows);
        }
        for s in crate::pages::form_suggestions(state, org, first)
            .await?
            .iter()
        {
            evidence.insert(
                s.item.clone(),
                (s.verdict.label().to_string(), s.reasons.clone()),
            );
        }
        contradictions = crate::vendor_forms::reconciliation(state, org, &first.edition)
            .await?
            .into_iter()
            .map(|c| (c.vendor.unwrap_or_default(), c.message, c.next))
            .collect();
    }
    let input = PackInput {
        catalog: &state.catalog_of(org.id),
        org_name: &org.name,
        org_kind: org.kind.label(),
        security_officer: &org.security_officer,
        fiscal_year: state.fiscal_year(org.id, &first.edition)?,
        created_on: state.clock.today_jst(),
        notice: crate::pages::fallback_notice(state, org, &first.edition),
        has_vendor_contract: org.has_vendor_contract,
        forms: forms
            .iter()
            .map(|f| PackForm {
                form: f.form,
                answers: &f.answers,
                vendor: f.vendor.clone(),
            })
            .collect(),
        ledgers: &ledgers,
        evidence: &evidence,
        contradictions: &contradictions,
    };
    let mut data = pack_data(&input);
    if !whole_pack {
        data["ledgers"] = serde_json::json!([]);
        data["noes"] = serde_json::Value::Null;
        data["contradictions"] = serde_json::Value::Null;
        data["cover"] = false.into();
        data["pack_title"] = first.title.clone().into();
    }
    let today = state.clock.today_jst();
    Ok(state
        .heavy(move || mamori_pdf::render(mamori_pdf::PACK_TEMPLATE, &data, today))
        .await?)
}

/// One form with its answers (the organisation's own, or a vendor's), as PDF.
pub async fn form_pdf(
    state: &AppState,
    org: &Org,
    form: &Form,
    vendor: Option<(String, AnswerSet)>,
) -> Result<Vec<u8>, DocumentError> {
    let doc = match vendor {
        Some((name, answers)) => DocForm {
            form,
            answers,
            vendor: Some(name),
        },
        None => DocForm {
            form,
            answers: own(state, org, form).await?,
            vendor: None,
        },
    };
    Ok(render(state, org, vec![doc], false).await?.bytes)
}

/// The inspection pack for an edition: the organisation's own form; the vendor form as answered in
/// Mamori (when it has a vendor contract and no vendor's form was imported, or it has answers); every
/// vendor's imported 事業者確認用; the いいえ; the reconciliation; the ledgers.
pub async fn inspection_pack(
    state: &AppState,
    org: &Org,
    edition: &str,
) -> Result<mamori_pdf::Pdf, DocumentError> {
    let catalog = state.catalog_of(org.id);
    let own_form =
        catalog.require_form(edition, crate::pages::own_variant(&catalog, edition, org))?;
    let vendor_form = catalog.vendor_form_for(edition)?;
    let mut forms = vec![DocForm {
        form: own_form,
        answers: own(state, org, own_form).await?,
        vendor: None,
    }];
    let imported: Vec<DocForm<'_>> = crate::vendor_forms::vendors_with_forms(state, org, edition)
        .await?
        .into_iter()
        .filter_map(|v| {
            Some(DocForm {
                form: vendor_form,
                answers: v.answers?,
                vendor: Some(v.name),
            })
        })
        .collect();
    let in_mamori = own(state, org, vendor_form).await?;
    if org.has_vendor_contract && (imported.is_empty() || in_mamori.iter().next().is_some()) {
        forms.push(DocForm {
            form: vendor_form,
            answers: in_mamori,
            vendor: None,
        });
    }
    forms.extend(imported);
    render(state, org, forms, true).await
}

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
    let edition = crate::vendor_forms::edition_or_current(&state, &org, q.edition.as_deref());
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
        .map_err(|m| ApiError::new(StatusCode::FORBIDDEN, m))?;
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
    may_see_pack(&user, &org).map_err(|m| ApiError::new(StatusCode::FORBIDDEN, m))?;
    let edition = crate::vendor_forms::edition_or_current(&state, &org, q.edition.as_deref());
    let pdf = inspection_pack(&state, &org, &edition).await?;
    Ok(pdf_response(
        &format!("mamori-pack-{edition}.pdf"),
        pdf.bytes,
    ))
}
