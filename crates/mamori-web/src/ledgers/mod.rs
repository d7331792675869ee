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
/// Previewed imports kept at once (all users).
const MAX_PENDING: usize = 32;
/// A previewed import waits this long for its confirmation.
const PENDING_FOR: Duration = Duration::from_secs(30 * 60);

/// Uploaded files awaiting confirmation after their preview, by a random token; only their uploader may
/// confirm them. Ledger files wait parsed; checklist workbooks wait as they came.
#[derive(Default)]
pub(crate) struct PendingImports(Mutex<HashMap<String, Pending>>);

pub(crate) enum PendingData {
    Rows(Vec<Row>),
    Workbook(Vec<u8>),
}

struct Pending {
    org_id: OrgId,
    user_id: i64,
    /// What the upload is for: `ledger/accounts`, `checklist/r7/facility` …
    what: String,
    data: PendingData,
    at: Instant,
}

impl PendingImports {
    pub(crate) fn put(
        &self,
        org_id: OrgId,
        user_id: i64,
        what: String,
        data: PendingData,
    ) -> String {
        let token = auth::new_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, v| v.at.elapsed() < PENDING_FOR);
        // Uploads wait in memory: a user's newer upload replaces their older one, and there are few in all.
        map.retain(|_, v| !(v.user_id == user_id && v.what == what));
        while map.len() >= MAX_PENDING {
            let oldest = map
                .iter()
                .min_by_key(|(_, v)| v.at)
                .map(|(k, _)| k.clone())
                .expect("not empty");
            map.remove(&oldest);
        }
        map.insert(
            token.clone(),
            Pending {
                org_id,
                user_id,
                what,
                data,
                at: Instant::now(),
            },
        );
        token
    }
    pub(crate) fn take(
        &self,
        token: &str,
        org_id: OrgId,
        user_id: i64,
        what: &str,
    ) -> Option<PendingData> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let p = map.get(token)?;
        if p.org_id != org_id
            || p.user_id != user_id
            || p.what != what
            || p.at.elapsed() >= PENDING_FOR
        {
            return None;
        }
        map.remove(token).map(|p| p.data)
    }
}

/// The confirmation of a preview that is no longer waiting.
pub(crate) fn pending_gone() -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        "取り込めません",
        "確認画面の有効期限（30分）が切れたか、すでに取り込み済みです。もう一度ファイルを選んでください。",
    )
}

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
    let (rows, total) = state.store.ledger_page(org.id, kind.id(), &query).await?;
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

#[derive(Template)]
#[template(path = "ledgers/ledger_preview.html")]
struct PreviewPage {
    nav: Option<Nav>,
    kind: &'static str,
    label: &'static str,
    file_name: String,
    encoding: String,
    columns: Vec<(String, String)>,
    headers: Vec<&'static str>,
    sample: Vec<(usize, Vec<String>)>,
    count: usize,
    /// Rows taken that deserve a look (「退職」 without an end date).
    notes: Vec<String>,
    token: String,
    csrf: String,
}

/// Upload: the file is read and checked; nothing is stored until the preview is confirmed.
pub async fn import_preview(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let mut file: Option<(String, Bytes)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                PageError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "ファイルを受け取れません",
                    format!(
                        "ファイルが大きすぎるか、送信が途中で切れました（上限 {} MB）",
                        crate::IMPORT_LIMIT / 1024 / 1024
                    ),
                )
            })?;
            file = Some((name, bytes));
        }
    }
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = list_page_with(
            &state,
            &session,
            &org,
            kind,
            &ListQuery::default(),
            vec![ImportError {
                row: 0,
                column: String::new(),
                message: "ファイルを選んでください（CSV または Excel）".into(),
            }],
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let max_rows = state.max_import_rows;
    let parsed = match state
        .heavy(move || mamori_ledger::parse_file_limited(kind, &bytes, max_rows))
        .await
    {
        Ok(p) => p,
        Err(errors) => {
            let page =
                list_page_with(&state, &session, &org, kind, &ListQuery::default(), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let fields = list_fields(kind);
    let sample = parsed
        .rows
        .iter()
        .take(20)
        .map(|(line, r)| {
            (
                *line,
                fields
                    .iter()
                    .map(|f| r.get(f.key).cloned().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    let columns = parsed
        .columns
        .iter()
        .filter(|(h, _)| !h.trim().is_empty())
        .map(|(h, k)| {
            (
                h.clone(),
                k.and_then(|k| kind.field(k))
                    .map(|f| f.header.to_string())
                    .unwrap_or_else(|| "（取り込みません）".into()),
            )
        })
        .collect();
    let count = parsed.rows.len();
    let notes = parsed.notes.clone();
    let token = state.pending_imports.put(
        org.id,
        session.user.id,
        format!("ledger/{}", kind.id()),
        PendingData::Rows(parsed.rows.into_iter().map(|(_, r)| r).collect()),
    );
    let page = PreviewPage {
        nav: Some(nav(&state, &session, &org)),
        kind: kind.id(),
        label: kind.label(),
        file_name,
        encoding: parsed
            .encoding
            .map(|e| e.label().to_string())
            .unwrap_or_else(|| "Excel（xlsx）".into()),
        columns,
        headers: fields.iter().map(|f| f.header).collect(),
        sample,
        count,
        notes,
        token,
        csrf: session.csrf_token.clone(),
    };
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
}

pub async fn import_confirm(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Posted(SignedIn(session, org), f): Posted<ConfirmForm>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let Some(PendingData::Rows(mut rows)) = state.pending_imports.take(
        &f.token,
        org.id,
        session.user.id,
        &format!("ledger/{}", kind.id()),
    ) else {
        return Err(pending_gone());
    };
    mamori_app::device_status::annotate_rows(&state, org.id, kind, &mut rows).await?;
    let counts = state
        .store
        .import_ledger(
            org.id,
            kind.id(),
            kind.identity(),
            &rows,
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(Redirect::to(&format!(
        "/ledgers/{}?imported={},{},{}",
        kind.id(),
        counts.added,
        counts.updated,
        counts.unchanged
    ))
    .into_response())
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
        .ledger_all(org_id, kind.id())
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

struct FieldView {
    key: &'static str,
    header: &'static str,
    value: String,
    input: &'static str,
    options: Vec<String>,
    required: bool,
    error: Option<String>,
    /// Written by Mamori (shown, not typed).
    auto: bool,
}

/// What the device page shows beside the row: its support status, the agent's last report, the baseline's
/// flags and what each inventory changed.
struct DeviceView {
    status: &'static str,
    status_class: &'static str,
    reasons: Vec<String>,
    /// 「エージェント確認日 2026-11-20（11日前）」, or None for a device without the agent.
    last_report: Option<String>,
    /// 「45日間未確認」 when the agent stopped reporting.
    unconfirmed: Option<String>,
    flags: Vec<String>,
    basis: Vec<String>,
    inventories: Vec<HistoryLine>,
}

/// The list's marks for a device: its support status unless it is fine, and a silent agent.
fn device_badges(row: &Row, today: chrono::NaiveDate) -> Vec<(&'static str, String)> {
    use mamori_lifecycle::Status;
    let mut out = Vec::new();
    match mamori_lifecycle::status(row, today).0 {
        s @ (Status::Ended | Status::UpdateAvailable) => {
            out.push(("overdue", s.label().to_string()))
        }
        s @ Status::EndingSoon => out.push(("soon", s.label().to_string())),
        _ => {}
    }
    if let Some(n) =
        days_unreported(row, today).filter(|n| *n > mamori_evidence::STALE_INVENTORY_DAYS)
    {
        out.push(("overdue", format!("{n}日間未確認")));
    }
    if row
        .get("service_flags")
        .is_some_and(|f| f.contains("禁止:") || f.contains("未登録のリモート接続:"))
    {
        out.push(("overdue", "不要なサービス".to_string()));
    }
    out
}

/// The columns Mamori writes into device rows.
const AUTO_FIELDS: &[&str] = &[
    "lifecycle_end",
    "lifecycle_basis",
    "updates",
    "service_flags",
];

/// Days since the agent's last report, when the device has one.
pub(crate) fn days_unreported(row: &Row, today: chrono::NaiveDate) -> Option<i64> {
    let d: chrono::NaiveDate = row.get("inventoried_on")?.parse().ok()?;
    Some((today - d).num_days())
}

async fn device_view(
    state: &AppState,
    org_id: OrgId,
    id: i64,
    row: &Row,
) -> Result<DeviceView, PageError> {
    let today = state.clock.today_jst();
    let (status, reasons) = mamori_lifecycle::status(row, today);
    let days = days_unreported(row, today);
    let split = |k: &str| -> Vec<String> {
        row.get(k)
            .map(|s| s.split("; ").map(String::from).collect())
            .unwrap_or_default()
    };
    let inventories = state
        .store
        .inventory_history(org_id, id)
        .await?
        .into_iter()
        .rev()
        .map(|h| HistoryLine {
            at: jst_time(&h.received_at),
            actor: h.source,
            action: "一覧の取り込み",
            after: h.changes.join("　"),
        })
        .collect();
    Ok(DeviceView {
        status: status.label(),
        status_class: match status {
            mamori_lifecycle::Status::Ended | mamori_lifecycle::Status::UpdateAvailable => {
                "overdue"
            }
            mamori_lifecycle::Status::EndingSoon | mamori_lifecycle::Status::Unknown => "soon",
            mamori_lifecycle::Status::Supported => "ok",
        },
        reasons,
        last_report: days.map(|n| {
            format!(
                "エージェント確認日 {}（{}）",
                row["inventoried_on"],
                if n <= 0 {
                    "今日".to_string()
                } else {
                    format!("{n}日前")
                }
            )
        }),
        unconfirmed: days
            .filter(|n| *n > mamori_evidence::STALE_INVENTORY_DAYS)
            .map(|n| format!("{n}日間未確認")),
        flags: split("service_flags"),
        basis: split("lifecycle_basis"),
        inventories,
    })
}

struct HistoryLine {
    at: String,
    actor: String,
    action: &'static str,
    after: String,
}

#[derive(Template)]
#[template(path = "ledgers/ledger_row.html")]
struct RowPage {
    nav: Option<Nav>,
    kind: &'static str,
    label: &'static str,
    id: Option<i64>,
    disabled: bool,
    can_edit: bool,
    csrf: String,
    fields: Vec<FieldView>,
    has_errors: bool,
    history: Vec<HistoryLine>,
    device: Option<DeviceView>,
}

fn field_views(
    kind: Kind,
    values: &HashMap<String, String>,
    errors: &HashMap<&str, String>,
) -> Vec<FieldView> {
    kind.fields()
        .iter()
        .map(|f| FieldView {
            key: f.key,
            header: f.header,
            value: values.get(f.key).cloned().unwrap_or_default(),
            input: match f.ty {
                FieldType::Date => "date",
                FieldType::Choice(_) => "select",
                _ => "text",
            },
            // A word kept as written (「退職」) stays selectable beside the canonical ones.
            options: match f.ty {
                FieldType::Choice(o) => {
                    let mut options: Vec<String> = o.iter().map(|w| w.to_string()).collect();
                    if let Some(v) = values.get(f.key)
                        && !v.is_empty()
                        && !o.contains(&v.as_str())
                    {
                        options.push(v.clone());
                    }
                    options
                }
                _ => Vec::new(),
            },
            required: f.required,
            error: errors.get(f.key).cloned(),
            auto: kind == Kind::Devices && AUTO_FIELDS.contains(&f.key),
        })
        .collect()
}

async fn row_page_with(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    kind: Kind,
    id: Option<i64>,
    // The typed values of a refused form; None shows the stored row.
    typed: Option<HashMap<String, String>>,
    errors: HashMap<&str, String>,
) -> Result<RowPage, PageError> {
    let mut values = typed.unwrap_or_default();
    let mut device = None;
    let (disabled, history) = match id {
        Some(id) => {
            let row = state.store.ledger_row(org.id, kind.id(), id).await?;
            if kind == Kind::Devices {
                device = Some(device_view(state, org.id, id, &row.data).await?);
            }
            if values.is_empty() {
                values = row.data.clone().into_iter().collect();
            }
            let filter = mamori_store::AuditFilter {
                entity: "ledger".into(),
                key: format!("{}/{id}", kind.id()),
                ..Default::default()
            };
            let records = state.store.audit_trail(org.id, &filter, 200).await?;
            let lines = records
                .into_iter()
                .map(|r| HistoryLine {
                    at: jst_time(&r.at),
                    actor: r.actor,
                    action: match r.action.as_str() {
                        "create" => "登録",
                        "update" => "変更",
                        "import" => "取り込み",
                        "disable" => "無効化",
                        "enable" => "有効化",
                        _ => "その他",
                    },
                    after: r
                        .after
                        .and_then(|v| serde_json::from_value::<Row>(v).ok())
                        .map(|row| {
                            row.iter()
                                .filter_map(|(k, v)| {
                                    kind.field(k).map(|f| format!("{}：{v}", f.header))
                                })
                                .collect::<Vec<_>>()
                                .join("　")
                        })
                        .unwrap_or_default(),
                })
                .collect();
            (row.disabled, lines)
        }
        None => (false, Vec::new()),
    };
    Ok(RowPage {
        nav: Some(nav(state, session, org)),
        kind: kind.id(),
        label: kind.label(),
        id,
        disabled,
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        csrf: session.csrf_token.clone(),
        has_errors: !errors.is_empty(),
        fields: field_views(kind, &values, &errors),
        history,
        device,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(kind): Path<String>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let page = row_page_with(&state, &session, &org, kind, None, None, HashMap::new()).await?;
    Ok(render(&page).into_response())
}

pub async fn row_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((kind, id)): Path<(String, i64)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let page = row_page_with(&state, &session, &org, kind, Some(id), None, HashMap::new()).await?;
    Ok(render(&page).into_response())
}

/// Saves a new row (`/ledgers/{kind}/new`) or a changed one (`/ledgers/{kind}/{id}`); a refused form comes
/// back with every message beside its field and the typed values kept.
pub async fn save_row(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Posted(SignedIn(session, org), form): Posted<HashMap<String, String>>,
) -> PageResult {
    let kind = kind_of(params.get("kind").map(String::as_str).unwrap_or(""))?;
    let id = match params.get("id") {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| PageError::not_found(format!("台帳の行「{s}」はありません")))?,
        ),
    };
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let mut row = Row::new();
    let mut errors: HashMap<&str, String> = HashMap::new();
    for f in kind.fields() {
        let raw = form.get(f.key).map(String::as_str).unwrap_or("");
        match normalise(f, raw) {
            Ok(Some(v)) => {
                row.insert(f.key.to_string(), v);
            }
            Ok(None) => {}
            Err(m) => {
                errors.insert(f.key, m);
            }
        }
    }
    if !errors.is_empty() {
        let page = row_page_with(&state, &session, &org, kind, id, Some(form), errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    mamori_app::device_status::annotate_rows(&state, org.id, kind, std::slice::from_mut(&mut row))
        .await?;
    let id = state
        .store
        .save_ledger_row(
            org.id,
            kind.id(),
            id,
            &row,
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(Redirect::to(&format!("/ledgers/{}/{id}", kind.id())).into_response())
}

#[derive(Deserialize)]
pub struct ToggleForm {
    #[serde(default)]
    disabled: Option<String>,
}

pub async fn toggle_row(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, i64)>,
    Posted(SignedIn(session, org), f): Posted<ToggleForm>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    state
        .store
        .set_ledger_row_disabled(
            org.id,
            kind.id(),
            id,
            f.disabled.is_some(),
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(Redirect::to(&format!("/ledgers/{}/{id}", kind.id())).into_response())
}

fn api_kind(s: &str) -> Result<Kind, ApiError> {
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
    let (rows, total) = state.store.ledger_page(org.id, kind.id(), &query).await?;
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
    let mut rows: Vec<Row> = parsed.rows.into_iter().map(|(_, r)| r).collect();
    if q.dry_run {
        return Ok(axum::Json(
            json!({"dry_run": true, "rows": rows.len(), "encoding": parsed.encoding}),
        )
        .into_response());
    }
    mamori_app::device_status::annotate_rows(&state, org.id, kind, &mut rows).await?;
    let counts = state
        .store
        .import_ledger(
            org.id,
            kind.id(),
            kind.identity(),
            &rows,
            &user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(axum::Json(json!({"dry_run": false, "rows": rows.len(), "added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged})).into_response())
}
