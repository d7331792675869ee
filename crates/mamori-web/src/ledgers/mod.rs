//! Ledger pages and API: a paged list with search and sort, import (preview, then confirm), export as xlsx
//! or CSV, and a form per row (create, edit, disable) with its history.

use mamori_core::OrgId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::Action;
use mamori_ledger::values::normalise;
use mamori_ledger::{Encoding, FieldType, ImportError, Kind, Row};
use mamori_store::LedgerQuery;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::bearer;
use crate::error::{ApiError, ApiResult};
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::extract::{Posted, Uploaded};
use crate::layout::{Nav, jst_time, nav, render};
use mamori_app::auth;

/// Rows per page of a ledger list.
const PAGE_ROWS: i64 = 50;

mod api;
mod import;
mod rows;

pub(crate) use api::{api_export, api_import, api_list};
pub(crate) use import::{
    PendingData, PendingImports, import_confirm, import_preview, pending_gone,
};
pub(crate) use rows::{device_badges, new_page, row_page, save_row, toggle_row};

fn kind_of(s: &str) -> Result<Kind, PageError> {
    Kind::parse(s).ok_or_else(|| PageError::not_found(format!("台帳「{s}」はありません")))
}

fn list_fields(kind: Kind) -> Vec<&'static mamori_ledger::Field> {
    kind.list_fields().collect()
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    disabled: Option<String>,
    /// After an import: 「追加,更新,変更なし」.
    #[serde(default)]
    imported: Option<String>,
    /// `f_<key>=<value>` pairs of the query string (read separately: their keys vary by ledger).
    #[serde(skip)]
    filters: Vec<(String, String)>,
}

/// The columns a list can be narrowed by: the list columns with a fixed set of values.
fn filter_fields(
    kind: Kind,
) -> impl Iterator<Item = (&'static mamori_ledger::Field, &'static [&'static str])> {
    kind.list_fields().filter_map(|f| match f.ty {
        mamori_ledger::FieldType::Choice(words) => Some((f, words)),
        _ => None,
    })
}

/// The `f_<key>=<value>` filters of a query string that name a filterable column of the ledger and one of
/// its values.
fn filters_of(kind: Kind, pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("f_")?;
            let (field, words) = filter_fields(kind).find(|(f, _)| f.key == key)?;
            words
                .contains(&v.as_str())
                .then(|| (field.key.to_string(), v.clone()))
        })
        .collect()
}

struct FilterView {
    key: &'static str,
    header: &'static str,
    /// (value, selected)
    options: Vec<(&'static str, bool)>,
}

struct ColumnView {
    key: &'static str,
    header: &'static str,
    /// The list's query string when sorting by this column (the other way round when already sorted).
    sort_link: String,
    arrow: &'static str,
}

struct RowView {
    id: i64,
    disabled: bool,
    cells: Vec<String>,
    /// Devices: the support status when it needs attention, and 「N日間未確認」.
    badges: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "ledgers/ledger_list.html")]
struct ListPage {
    nav: Option<Nav>,
    kind: &'static str,
    label: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    q: String,
    show_disabled: bool,
    filters: Vec<FilterView>,
    columns: Vec<ColumnView>,
    rows: Vec<RowView>,
    total: i64,
    page: i64,
    pages: i64,
    base_query: String,
    imported: Option<String>,
    errors: Vec<ImportError>,
    csrf: String,
}

pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn list_page_with(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    kind: Kind,
    lq: &ListQuery,
    errors: Vec<ImportError>,
) -> Result<ListPage, PageError> {
    let sort = kind
        .field(&lq.sort)
        .map(|f| f.key.to_string())
        .unwrap_or_default();
    let descending = lq.desc.is_some();
    let page = lq.page.unwrap_or(1).max(1);
    let query = LedgerQuery {
        search: lq.q.clone(),
        sort: sort.clone(),
        descending,
        filters: lq.filters.clone(),
        include_disabled: lq.disabled.is_some(),
        offset: (page - 1) * PAGE_ROWS,
        limit: PAGE_ROWS,
    };
    let (rows, total) = state.store.ledger_page(org.id, kind, &query).await?;
    let fields = list_fields(kind);
    let filter = format!(
        "q={}{}{}",
        enc(&lq.q),
        if lq.disabled.is_some() {
            "&disabled=1"
        } else {
            ""
        },
        lq.filters
            .iter()
            .map(|(k, v)| format!("&f_{k}={}", enc(v)))
            .collect::<String>()
    );
    let filter_views = filter_fields(kind)
        .map(|(f, words)| FilterView {
            key: f.key,
            header: f.header,
            options: words
                .iter()
                .map(|w| (*w, lq.filters.iter().any(|(k, v)| k == f.key && v == w)))
                .collect(),
        })
        .collect();
    let columns = fields
        .iter()
        .map(|f| {
            let here = sort == f.key;
            ColumnView {
                key: f.key,
                header: f.header,
                sort_link: format!(
                    "{filter}&sort={}{}",
                    f.key,
                    if here && !descending { "&desc=1" } else { "" }
                ),
                arrow: match (here, descending) {
                    (true, false) => "▲",
                    (true, true) => "▼",
                    _ => "",
                },
            }
        })
        .collect();
    let today = state.clock.today_jst();
    let rows = rows
        .into_iter()
        .map(|r| RowView {
            id: r.id,
            disabled: r.disabled,
            cells: fields
                .iter()
                .map(|f| r.data.get(f.key).cloned().unwrap_or_default())
                .collect(),
            badges: if kind == Kind::Devices {
                device_badges(&r.data, today)
            } else {
                Vec::new()
            },
        })
        .collect();
    Ok(ListPage {
        nav: Some(nav(state, session, org)),
        kind: kind.id(),
        label: kind.label(),
        kinds: Kind::ALL.iter().map(|k| (k.id(), k.label())).collect(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        q: lq.q.clone(),
        show_disabled: lq.disabled.is_some(),
        filters: filter_views,
        columns,
        rows,
        total,
        page,
        pages: ((total + PAGE_ROWS - 1) / PAGE_ROWS).max(1),
        base_query: format!(
            "{filter}&sort={sort}{}",
            if descending { "&desc=1" } else { "" }
        ),
        imported: lq.imported.as_ref().and_then(|s| {
            let n: Vec<&str> = s.split(',').collect();
            match n.as_slice() {
                [a, u, c] => Some(format!(
                    "取り込みました：追加 {a} 行、更新 {u} 行、変更なし {c} 行（変更履歴に記録しました）"
                )),
                _ => None,
            }
        }),
        errors,
        csrf: session.csrf_token.clone(),
    })
}

pub async fn list_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(kind): Path<String>,
    Query(mut lq): Query<ListQuery>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    lq.filters = filters_of(kind, &pairs);
    let page = list_page_with(&state, &session, &org, kind, &lq, Vec::new()).await?;
    Ok(render(&page).into_response())
}

fn file_response(kind: Kind, format: &str, rows: &[Row]) -> Result<Response, (StatusCode, String)> {
    let (bytes, mime) = match format {
        "xlsx" => (
            mamori_ledger::to_xlsx(kind, rows).map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Excelファイルを作成できません: {e}"),
                )
            })?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => (
            mamori_ledger::to_csv(kind, rows, Encoding::Utf8Bom),
            "text/csv; charset=utf-8",
        ),
        _ => {
            return Err((StatusCode::NOT_FOUND, "形式は xlsx か csv です".to_string()));
        }
    };
    let ascii = format!("mamori-{}.{format}", kind.id());
    let utf8 = enc(&format!("{}.{format}", kind.label()));
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn export_rows(
    state: &AppState,
    org_id: OrgId,
    kind: Kind,
) -> Result<Vec<Row>, mamori_store::StoreError> {
    Ok(state
        .store
        .ledger_all(org_id, kind)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| r.data)
        .collect())
}

pub async fn export_file(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((kind, format)): Path<(String, String)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let rows = export_rows(&state, org.id, kind).await?;
    file_response(kind, &format, &rows).map_err(|(s, m)| PageError::new(s, "書き出せません", m))
}
