//! The ledgers' JSON API: list, export and import.

use super::*;

pub(crate) fn api_kind(s: &str) -> Result<Kind, ApiError> {
    Kind::parse(s)
        .ok_or_else(|| ApiError::status(StatusCode::NOT_FOUND, format!("台帳「{s}」はありません")))
}

#[derive(Deserialize)]
pub struct ApiListQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: bool,
    #[serde(default)]
    include_disabled: bool,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    limit: Option<i64>,
}

pub async fn api_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Query<ApiListQuery>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let kind = api_kind(&kind)?;
    crate::permit(&user, Action::ViewLedgers)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    if !q.sort.is_empty() && kind.field(&q.sort).is_none() {
        return Err(ApiError::status(
            StatusCode::BAD_REQUEST,
            format!("並べ替えの項目「{}」はこの台帳にありません", q.sort),
        ));
    }
    let query = LedgerQuery {
        search: q.search,
        sort: q.sort,
        descending: q.desc,
        filters: filters_of(kind, &pairs),
        include_disabled: q.include_disabled,
        offset: q.offset,
        limit: q.limit.unwrap_or(100),
    };
    let (rows, total) = state.store.ledger_page(org.id, kind, &query).await?;
    Ok(
        axum::Json(json!({"kind": kind.id(), "label": kind.label(), "total": total, "rows": rows}))
            .into_response(),
    )
}

pub async fn api_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((kind, format)): Path<(String, String)>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let kind = api_kind(&kind)?;
    crate::permit(&user, Action::ViewLedgers)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let rows = export_rows(&state, org.id, kind).await?;
    file_response(kind, &format, &rows).map_err(|(s, m)| ApiError::status(s, m))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// The body is the file itself (CSV in UTF-8 or CP932, or xlsx). 422 with every problem, or the counts.
pub async fn api_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    let kind = api_kind(&kind)?;
    crate::permit(&user, Action::EditLedgers)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let max_rows = state.max_import_rows;
    let parsed = match state
        .heavy(move || mamori_ledger::parse_file_limited(kind, &body, max_rows))
        .await
    {
        Ok(p) => p,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"errors": errors})),
            )
                .into_response());
        }
    };
    let rows: Vec<Row> = parsed.rows.into_iter().map(|(_, r)| r).collect();
    if q.dry_run {
        return Ok(axum::Json(
            json!({"dry_run": true, "rows": rows.len(), "encoding": parsed.encoding}),
        )
        .into_response());
    }
    let n = rows.len();
    let counts = mamori_app::ledgers::import_rows(&state, org.id, kind, rows, &user.login).await?;
    Ok(axum::Json(json!({"dry_run": false, "rows": n, "added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged})).into_response())
}
