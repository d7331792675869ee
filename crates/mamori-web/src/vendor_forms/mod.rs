//! Each vendor's 事業者確認用 (imported from the vendor's filled workbook) and the reconciliation of the
//! facility's answers, the vendors' answers and the ledgers: the page `/vendor-forms`, its API, and what
//! the inspection pack and `mamori export checklist --vendor` use.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use mamori_app::vendor_forms::{
    import_vendor_form, reconciliation, vendor_form_of, vendor_form_xlsx, vendors_with_forms,
};
use mamori_core::{Action, AnswerSet, Choice};
use mamori_ledger::Kind;
use mamori_store::Org;
use serde_json::json;

use crate::AppState;
use crate::api::bearer;
use crate::error::{ApiError, ApiResult};
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::extract::{Posted, Uploaded};
use crate::layout::{Nav, nav, render};

struct VendorView {
    id: i64,
    name: String,
    systems: String,
    status: String,
    has_form: bool,
}

struct ContradictionView {
    vendor: String,
    message: String,
    next: String,
    links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "vendor_forms/vendor_forms.html")]
pub(crate) struct VendorFormsPage {
    /// Links with vendors in the deployment, what they sent, and invitations.
    pub(crate) links: crate::vendor_side::facility::LinkSection,
    nav: Option<Nav>,
    edition: String,
    edition_name: String,
    vendors: Vec<VendorView>,
    contradictions: Vec<ContradictionView>,
    can_edit: bool,
    imported: Option<String>,
    /// Said when the edition has no 事業者確認用 of its own and an earlier one is used.
    vendor_form_notice: Option<String>,
    errors: Vec<String>,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct VendorFormsQuery {
    #[serde(default)]
    edition: Option<String>,
    #[serde(default)]
    imported: Option<String>,
}

pub(crate) async fn page(
    state: &AppState,
    session: &mamori_store::Session,
    org: &Org,
    edition: &str,
    imported: Option<String>,
    errors: Vec<String>,
) -> Result<VendorFormsPage, PageError> {
    let vendors = vendors_with_forms(state, org, edition).await?;
    let contradictions = reconciliation(state, org, edition).await?;
    // Vendors whose form came through a link (shown in their own list) rather than typed or imported.
    let links = crate::vendor_side::facility::section(state, org).await?;
    let received: std::collections::HashSet<i64> =
        match state.catalog_of(org.id).vendor_form_for(edition) {
            Ok(f) => links
                .received
                .iter()
                .filter(|r| r.edition_id == f.edition)
                .map(|r| r.vendor_row_id)
                .collect(),
            Err(_) => Default::default(),
        };
    let name_of = |id: i64| {
        vendors
            .iter()
            .find(|v| v.vendor_id == id)
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let catalog = state.catalog_of(org.id);
    let vendor_form_notice = catalog.vendor_form_for(edition).ok().and_then(|f| {
        let name = |id: &str| catalog.edition(id).map(|e| e.name.clone()).unwrap_or_default();
        (f.edition != edition).then(|| {
            format!(
                "{}の事業者確認用はまだ取り込まれていないため、{}の事業者確認用を使っています。「チェックリストの版」から事業者確認用の Excel（令和8年度は 001716188.xlsx）を取り込むと、その様式に切り替わります。",
                name(edition),
                name(&f.edition)
            )
        })
    });
    Ok(VendorFormsPage {
        links,
        nav: Some(nav(state, session, org)),
        vendor_form_notice,
        edition: edition.to_string(),
        edition_name: state
            .catalog_of(org.id)
            .edition(edition)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        contradictions: contradictions
            .into_iter()
            .map(|c| ContradictionView {
                vendor: c.vendor.unwrap_or_default(),
                message: c.message,
                next: c.next,
                links: c
                    .rows
                    .iter()
                    .map(|r| {
                        (
                            format!("/ledgers/{}/{}", r.kind, r.id),
                            if r.kind == Kind::Vendors.id() {
                                name_of(r.id)
                            } else {
                                format!(
                                    "{} {}",
                                    Kind::parse(r.kind).map_or("", |k| k.label()),
                                    r.id
                                )
                            },
                        )
                    })
                    .collect(),
            })
            .collect(),
        vendors: vendors
            .iter()
            .map(|v| VendorView {
                id: v.vendor_id,
                name: v.name.clone(),
                systems: v.systems.clone(),
                has_form: v.answers.is_some(),
                status: match (&v.answers, &v.updated) {
                    (Some(a), Some((by, at))) => {
                        let noes = a.iter().filter(|x| x.answer == Choice::No).count();
                        format!(
                            "回答 {} 件（いいえ {noes} 件）　{by}・{}",
                            a.iter().count(),
                            crate::layout::jst_time(at)
                        )
                    }
                    _ if received.contains(&v.vendor_id) => {
                        "連携で受領済み（「受け取った事業者確認用」を参照）".into()
                    }
                    _ => "未登録".into(),
                },
            })
            .collect(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        imported,
        errors,
        csrf: session.csrf_token.clone(),
    })
}

pub(crate) async fn vendor_forms_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<VendorFormsQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    state.catalog_of(org.id).vendor_form_for(&edition)?;
    let imported = q
        .imported
        .map(|n| format!("事業者確認用を取り込みました（回答 {n} 件、変更履歴に記録しました）"));
    let p = page(&state, &session, &org, &edition, imported, Vec::new()).await?;
    Ok(render(&p).into_response())
}

pub(crate) async fn vendor_form_upload(
    State(state): State<AppState>,
    Path(vendor_id): Path<i64>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let (mut edition, mut bytes) = (String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("edition") => edition = field.text().await.unwrap_or_default(),
            Some("file") => bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    let edition = state.edition_or_current(
        &org,
        Some(&edition).filter(|e| !e.is_empty()).map(String::as_str),
    );
    let errors = if bytes.is_empty() {
        vec!["ファイル（xlsx）を選んでください".to_string()]
    } else {
        match import_vendor_form(&state, &org, &session.user, vendor_id, &edition, &bytes).await? {
            Ok(n) => {
                return Ok(
                    Redirect::to(&format!("/vendor-forms?edition={edition}&imported={n}"))
                        .into_response(),
                );
            }
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    };
    let p = page(&state, &session, &org, &edition, None, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
}

pub(crate) async fn api_reconciliation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<VendorFormsQuery>,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    crate::permit(&user, Action::ViewLedgers)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let found = reconciliation(&state, &org, &edition).await?;
    Ok(axum::Json(json!({"edition": edition, "contradictions": found})).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ImportQuery {
    #[serde(default)]
    edition: Option<String>,
}

pub(crate) async fn api_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(vendor_id): Path<i64>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult {
    let (user, org) = bearer(&state, &headers).await?;
    crate::permit(&user, Action::EditLedgers)
        .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    Ok(
        match import_vendor_form(&state, &org, &user, vendor_id, &edition, &body).await? {
            Ok(n) => axum::Json(json!({"edition": edition, "answers": n})).into_response(),
            Err(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "errors": errors })),
            )
                .into_response(),
        },
    )
}

pub(crate) async fn vendor_form_export(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((vendor_id, format)): Path<(i64, String)>,
    Query(q): Query<ImportQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let Some((name, answers)) = vendor_form_of(&state, &org, vendor_id, &edition).await? else {
        return Err(PageError::not_found(format!(
            "事業者 {vendor_id} の事業者確認用（{edition}）は登録されていません"
        )));
    };
    let file = format!("mamori-vendor-{vendor_id}-{edition}");
    match format.as_str() {
        "xlsx" => {
            let bytes = vendor_form_xlsx(&state, &org, &name, &answers, &edition).await?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        "pdf" => {
            let catalog = state.catalog_of(org.id);
            let form = catalog.vendor_form_for(&edition)?;
            let bytes =
                mamori_app::documents::form_pdf(&state, &org, form, Some((name, answers))).await?;
            Ok(crate::documents::pdf_response(
                &format!("{file}.pdf"),
                bytes,
            ))
        }
        other => Err(PageError::not_found(format!(
            "形式「{other}」では書き出せません（xlsx または pdf）"
        ))),
    }
}

// ---- Typing in a vendor's form (from the paper the vendor returned): every row on one page, saved at once.

struct EditRound {
    round: u8,
    /// Field-name prefix: `{item}|{target}|{round}|`.
    prefix: String,
    answer: String,
    checked_on: String,
    target_date: String,
    note: String,
    errors: Vec<String>,
}

struct EditRow {
    number: String,
    text: String,
    heading: Option<String>,
    rounds: Vec<EditRound>,
}

#[derive(Template)]
#[template(path = "vendor_forms/vendor_form_edit.html")]
pub(crate) struct EditPage {
    nav: Option<Nav>,
    /// 「あ社の事業者確認用を入力する」
    heading: String,
    /// What the page is for, said above the rows.
    intro: String,
    /// Where the rows are posted, and the link back.
    action: String,
    back: String,
    /// Said above the rows (answers carried over from an earlier edition …).
    notice: Option<String>,
    edition: mamori_core::EditionId,
    title: String,
    rows: Vec<EditRow>,
    error_count: usize,
    csrf: String,
}

/// What an every-row 事業者確認用 page is about: its heading, intro, where it posts and the way back.
pub(crate) struct EditTarget {
    pub heading: String,
    pub intro: String,
    pub action: String,
    pub back: String,
    pub notice: Option<String>,
}

pub(crate) fn edit_page(
    state: &AppState,
    session: &mamori_store::Session,
    org: &Org,
    target: EditTarget,
    form: &mamori_core::catalog::Form,
    typed: &std::collections::HashMap<String, String>,
    errors: &[mamori_core::FieldError],
) -> EditPage {
    let mut rows = Vec::new();
    for section in form.layout() {
        for g in &section.groups {
            let mut heading = g.target.map(|t| {
                state
                    .catalog_of(org.id)
                    .group_heading_in(form, t)
                    .to_string()
            });
            for &(item, target) in &g.rows {
                let rounds = (1..=2u8)
                    .map(|round| {
                        let prefix = format!("{}|{}|{round}|", item.id, target.id());
                        let get = |f: &str| {
                            typed
                                .get(&format!("{prefix}{f}"))
                                .cloned()
                                .unwrap_or_default()
                        };
                        EditRound {
                            round,
                            answer: get("answer"),
                            checked_on: get("checked_on"),
                            target_date: get("target_date"),
                            note: get("note"),
                            errors: errors
                                .iter()
                                .filter(|e| {
                                    e.item == item.id
                                        && e.target == target.id()
                                        && e.round == i64::from(round)
                                })
                                .map(|e| e.message.clone())
                                .collect(),
                            prefix,
                        }
                    })
                    .collect();
                rows.push(EditRow {
                    number: item.number.clone(),
                    text: mamori_report::row_text(form, item, target),
                    heading: heading.take(),
                    rounds,
                });
            }
        }
    }
    EditPage {
        nav: Some(nav(state, session, org)),
        heading: target.heading,
        intro: target.intro,
        action: target.action,
        back: target.back,
        notice: target.notice,
        edition: form.edition.clone(),
        title: form.title.clone(),
        rows,
        error_count: errors.len(),
        csrf: session.csrf_token.clone(),
    }
}

/// Recorded answers as the page's fields.
pub(crate) fn typed_from(answers: &AnswerSet) -> std::collections::HashMap<String, String> {
    let mut m = std::collections::HashMap::new();
    for a in answers.iter() {
        let p = format!("{}|{}|{}|", a.item, a.target.id(), a.round);
        m.insert(
            format!("{p}answer"),
            if a.answer == Choice::Yes { "yes" } else { "no" }.to_string(),
        );
        m.insert(format!("{p}checked_on"), a.checked_on.to_string());
        if let Some(t) = a.target_date {
            m.insert(format!("{p}target_date"), t.to_string());
        }
        m.insert(format!("{p}note"), a.note.clone());
    }
    m
}

/// The rows answered on an every-row page (a row without はい／いいえ is left out).
pub(crate) fn inputs_from(
    form: &mamori_core::catalog::Form,
    typed: &std::collections::HashMap<String, String>,
) -> Vec<mamori_core::AnswerInput> {
    let mut inputs = Vec::new();
    for (item, target) in form.rows() {
        for round in 1..=2i64 {
            let p = format!("{}|{}|{round}|", item.id, target.id());
            let get = |f: &str| {
                typed
                    .get(&format!("{p}{f}"))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let Some(answer) = get("answer") else {
                continue;
            };
            inputs.push(mamori_core::AnswerInput {
                item: item.id.to_string(),
                target: Some(target.id().into()),
                round: Some(round),
                answer: Some(answer),
                checked_on: get("checked_on"),
                target_date: get("target_date"),
                note: get("note"),
            });
        }
    }
    inputs
}

/// The every-row page of a vendor of the 事業者・契約 ledger, as the facility types it in.
fn facility_target(vendor_id: i64, vendor: &str, edition: &str) -> EditTarget {
    EditTarget {
        heading: format!("{vendor}の事業者確認用を入力する"),
        intro: "事業者から紙などで受け取った回答を入力し、最後に「保存する」を押してください。"
            .into(),
        action: format!("/vendor-forms/{vendor_id}/edit"),
        back: format!("/vendor-forms?edition={edition}"),
        notice: None,
    }
}

async fn vendor_name(state: &AppState, org: &Org, vendor_id: i64) -> Result<String, PageError> {
    let row = state
        .store
        .ledger_row(org.id, Kind::Vendors, vendor_id)
        .await?;
    Ok(row.data.get("name").cloned().unwrap_or_default())
}

pub(crate) async fn vendor_form_edit_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(vendor_id): Path<i64>,
    Query(q): Query<ImportQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let catalog = state.catalog_of(org.id);
    let form = catalog.vendor_form_for(&edition)?;
    let name = vendor_name(&state, &org, vendor_id).await?;
    let typed = vendor_form_of(&state, &org, vendor_id, &edition)
        .await?
        .map(|(_, a)| typed_from(&a))
        .unwrap_or_default();
    let page = edit_page(
        &state,
        &session,
        &org,
        facility_target(vendor_id, &name, &edition),
        form,
        &typed,
        &[],
    );
    Ok(render(&page).into_response())
}

pub(crate) async fn vendor_form_edit_submit(
    State(state): State<AppState>,
    Path(vendor_id): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    let typed: std::collections::HashMap<String, String> = fields.into_iter().collect();
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let edition = state.edition_or_current(&org, typed.get("edition").map(String::as_str));
    let catalog = state.catalog_of(org.id);
    let form = catalog.vendor_form_for(&edition)?;
    let name = vendor_name(&state, &org, vendor_id).await?;
    let inputs = inputs_from(form, &typed);
    let saved = mamori_app::vendor_forms::save_typed_vendor_form(
        &state,
        &org,
        &session.user,
        vendor_id,
        &edition,
        &inputs,
    )
    .await?;
    match saved {
        Ok(count) => Ok(
            Redirect::to(&format!("/vendor-forms?edition={edition}&imported={count}"))
                .into_response(),
        ),
        Err(errors) => {
            let page = edit_page(
                &state,
                &session,
                &org,
                facility_target(vendor_id, &name, &edition),
                form,
                &typed,
                &errors,
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}
