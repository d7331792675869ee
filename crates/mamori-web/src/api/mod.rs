//! JSON API under `/api/v1`, authenticated by a bearer token (`mamori token create`). Documented in
//! `openapi.json` at the repository root; a test keeps the two in step.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Form, Variant};
use mamori_core::{Action, AnswerInput};
use mamori_store::{Org, User};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use mamori_app::auth;

/// Routes and methods of the API, as documented in openapi.json.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/catalog/{edition}/{variant}"),
    ("get", "/api/v1/checklists/{edition}/{variant}/answers"),
    ("put", "/api/v1/checklists/{edition}/{variant}/answers"),
    ("get", "/api/v1/checklists/{edition}/{variant}/export.xlsx"),
    ("get", "/api/v1/checklists/{edition}/{variant}/export.pdf"),
    ("get", "/api/v1/pack.pdf"),
    ("get", "/api/v1/reconciliation"),
    ("post", "/api/v1/vendor-forms/{vendor_id}/import"),
    ("post", "/api/v1/agent/inventory"),
    ("post", "/api/v1/agent/enroll"),
    ("get", "/api/v1/checklists/{edition}/{variant}/evidence"),
    ("get", "/api/v1/ledgers/{kind}"),
    ("get", "/api/v1/ledgers/{kind}/export.{format}"),
    ("post", "/api/v1/ledgers/{kind}/import"),
    ("post", "/api/v1/checklists/{edition}/{variant}/import"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog/{edition}/{variant}", get(catalog))
        .route(
            "/checklists/{edition}/{variant}/answers",
            get(get_answers).put(put_answers),
        )
        .route("/checklists/{edition}/{variant}/export.xlsx", get(export))
        .route(
            "/checklists/{edition}/{variant}/export.pdf",
            get(crate::documents::api_form_pdf),
        )
        .route("/pack.pdf", get(crate::documents::api_pack_pdf))
        .route(
            "/reconciliation",
            get(crate::vendor_forms::api_reconciliation),
        )
        .route("/checklists/{edition}/{variant}/evidence", get(evidence))
        .route(
            "/agent/enroll",
            axum::routing::post(crate::agents::api::api_enroll),
        )
        .route("/ledgers/{kind}", get(crate::ledgers::api_list))
        .route(
            "/ledgers/{kind}/export.{format}",
            get(crate::ledgers::api_export),
        )
        .fallback(|| async {
            ApiError::status(StatusCode::NOT_FOUND, "そのAPIはありません")
        })
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

/// API routes that take files (a larger body limit, see [`crate::IMPORT_LIMIT`]).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route(
            "/ledgers/{kind}/import",
            axum::routing::post(crate::ledgers::api_import),
        )
        .route(
            "/checklists/{edition}/{variant}/import",
            axum::routing::post(import_checklist),
        )
        .route(
            "/vendor-forms/{vendor_id}/import",
            axum::routing::post(crate::vendor_forms::api_import),
        )
        .route(
            "/agent/inventory",
            axum::routing::post(crate::agents::api::api_inventory),
        )
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

#[derive(serde::Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// The body is a filled checklist workbook (xlsx). 422 with every problem by row and column, or what was
/// (or, with `dry_run`, would be) saved.
async fn import_checklist(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
    body: Bytes,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::AnswerForm)?;
    Ok(
        match mamori_app::checklist_import::import_checklist(
            &state, &org, &user, f, &body, q.dry_run,
        )
        .await?
        {
            Ok(done) => axum::Json(json!(done)).into_response(),
            Err(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "errors": errors })),
            )
                .into_response(),
        },
    )
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub(crate) async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<(User, Org), ApiError> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::status(
            StatusCode::UNAUTHORIZED,
            "APIトークンが必要です（Authorization: Bearer …）",
        )
    })?;
    let user = state
        .store
        .user_by_token(&auth::token_hash(token), state.clock.now())
        .await?
        .ok_or_else(|| {
            ApiError::status(StatusCode::UNAUTHORIZED, "APIトークンが正しくありません")
        })?;
    let org = state.store.org(user.org_id).await?;
    crate::request_log::record_user(org.id, user.id);
    state.catalog_for(org.id).await?;
    Ok((user, org))
}

/// The form named in the path, if the token's role may do `action` with it.
fn form<'a>(
    catalog: &'a mamori_core::Catalog,
    user: &User,
    edition: &str,
    variant: &str,
    action: fn(Variant) -> Action,
) -> Result<&'a Form, ApiError> {
    let variant: Variant = variant.parse()?;
    let form = catalog.require_form(edition, variant)?;
    crate::permit(user, action(variant)).map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    Ok(form)
}

async fn catalog(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::ViewForm)?;
    let today = state.clock.today_jst();
    let items: Vec<Value> = f
        .items
        .iter()
        .map(|i| {
            // Mamori's explanation as of today (the guideline in force), labelled as ours.
            let g = catalog.guidance(i, today);
            json!({
                "id": i.id, "key": i.key, "section": i.section, "number": i.number, "label": i.label(),
                "text": i.text, "confidence": i.confidence, "unverified": i.confidence.is_unverified(),
                "note": i.note, "gate": i.gate, "vendor_contract_only": i.vendor_contract_only,
                "targets": i.targets,
                "guidance": g.as_ref().map(|g| g.text.as_str()).unwrap_or_default(),
                "guidance_label": g.as_ref().map(|g| g.label.as_str()).unwrap_or_default(),
                "guidance_sources": g.as_ref().map(|g| g.sources.as_str()).unwrap_or_default(),
                "guidance_edition": i.guidance_edition, "source": i.source,
            })
        })
        .collect();
    let successor_map: Vec<Value> = f
        .items
        .iter()
        .filter_map(|i| {
            catalog
                .successor(&i.id)
                .map(|s| json!({"from": i.id, "to": s}))
        })
        .collect();
    Ok(axum::Json(json!({
        "edition": f.edition, "variant": f.variant, "title": f.title,
        "title_unverified": f.title_confidence.is_unverified(),
        "notes": f.notes, "items": items, "next_edition_mapping": successor_map,
    }))
    .into_response())
}

async fn get_answers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::ViewForm)?;
    let answers = state.store.answers(org.id, &edition, f.variant).await?;
    let evidence = if mamori_core::roles::allowed(user.role, Action::ViewEvidence) {
        state
            .store
            .answer_evidence(org.id, &edition, f.variant)
            .await?
    } else {
        Default::default()
    };
    let fy = state.fiscal_year(org.id, &edition)?;
    let set = AnswerSet::new(answers.clone());
    Ok(axum::Json(json!({
        "edition": edition, "variant": f.variant, "fiscal_year": fy.start_year(),
        "summary": mamori_core::answers::summarize(f, &set, org.has_vendor_contract),
        "answers": answers,
        "evidence_at_save": evidence,
    }))
    .into_response())
}

async fn put_answers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::AnswerForm)?;
    let inputs: Vec<AnswerInput> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::status(
            StatusCode::BAD_REQUEST,
            format!("本文を回答の一覧（JSON配列）として読めません: {e}"),
        )
    })?;
    if inputs.is_empty() {
        return Err(ApiError::status(
            StatusCode::BAD_REQUEST,
            "回答が1件もありません",
        ));
    }
    let suggestions = mamori_app::evidence::by_item(
        &mamori_app::evidence::suggestions_for(&state, &org, &user, f).await?,
    );
    let result =
        mamori_app::answers::save_answers(&state, &org, &user, f, &inputs, &suggestions).await?;
    Ok(match result {
        Ok(saved) => axum::Json(json!({ "saved": saved.len() })).into_response(),
        Err(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "errors": errors })),
        )
            .into_response(),
    })
}

/// What the ledgers say about every item of the form.
async fn evidence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::ViewForm)?;
    crate::permit(&user, Action::ViewEvidence)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let suggestions = mamori_app::evidence::form_suggestions(&state, &org, f).await?;
    Ok(
        axum::Json(json!({"edition": edition, "variant": f.variant, "suggestions": suggestions}))
            .into_response(),
    )
}

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let catalog = state.catalog_of(org.id);
    let f = form(&catalog, &user, &edition, &variant, Action::ExportForm)?;
    let bytes = mamori_app::workbooks::checklist_workbook(&state, &org, f).await?;
    Ok(crate::checklist::xlsx_response(f, bytes))
}
