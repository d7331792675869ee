//! 「チェックリストの版」: an administrator uploads MHLW's workbooks of a new edition, looks at what was
//! read (sections, items, notes, the layout map, what is ambiguous, the differences from the previous
//! edition), corrects the links to the previous edition's items, and confirms. Nothing changes before.

use mamori_app::editions::{read_uploads, save_draft};
use mamori_core::Variant;
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;
use mamori_core::catalog::Catalog;
use mamori_report::edition_import::{EditionDraft, Upload};
use mamori_report::workbook_fill::cell_ref;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::extract::{Posted, Uploaded};
use crate::layout::{Nav, nav, render};

pub(crate) struct EditionRow {
    pub id: mamori_core::EditionId,
    pub name: String,
    pub fiscal_year: String,
    pub forms: String,
    pub origin: String,
}

pub(crate) struct ImportRow {
    pub id: i64,
    pub edition: mamori_core::EditionId,
    pub status: &'static str,
    pub files: String,
    pub created: String,
    pub confirmed: String,
}

#[derive(Template)]
#[template(path = "editions/editions.html")]
struct EditionsPage {
    nav: Option<Nav>,
    csrf: String,
    can_import: bool,
    editions: Vec<EditionRow>,
    imports: Vec<ImportRow>,
    error: Option<String>,
    /// What was typed, shown again after an error.
    edition: String,
    fiscal_year: String,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "pending" => "確認待ち",
        "confirmed" => "使用中",
        "replaced" => "置き換え済み",
        _ => "破棄",
    }
}

async fn editions_page(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    error: Option<String>,
    typed: (String, String),
) -> Result<EditionsPage, PageError> {
    let catalog = state.catalog_of(org.id);
    let mut editions: Vec<EditionRow> = catalog
        .editions()
        .iter()
        .map(|e| EditionRow {
            id: e.id.clone(),
            name: e.name.clone(),
            fiscal_year: mamori_core::FiscalYear::new(e.fiscal_year).label(),
            forms: catalog
                .forms()
                .iter()
                .filter(|f| f.edition == e.id)
                .map(|f| f.variant.label())
                .collect::<Vec<_>>()
                .join("・"),
            origin: if catalog.is_imported(&e.id) {
                "厚生労働省の Excel から取り込み".into()
            } else {
                "Mamori に内蔵".into()
            },
        })
        .collect();
    editions.reverse();
    let imports = state
        .store
        .edition_imports(org.id)
        .await?
        .into_iter()
        .map(|i| ImportRow {
            id: i.id,
            edition: i.edition,
            status: status_label(&i.status),
            files: serde_json::from_str::<Vec<serde_json::Value>>(&i.files)
                .unwrap_or_default()
                .iter()
                .filter_map(|f| {
                    f.get("file_name")
                        .and_then(|n| n.as_str())
                        .map(str::to_string)
                })
                .collect::<Vec<_>>()
                .join("、"),
            created: format!(
                "{}（{}）",
                crate::layout::jst_time(&i.created_at),
                i.created_by
            ),
            confirmed: match (&i.confirmed_at, &i.confirmed_by) {
                (Some(at), Some(by)) => format!("{}（{by}）", crate::layout::jst_time(at)),
                _ => String::new(),
            },
        })
        .collect();
    Ok(EditionsPage {
        csrf: session.csrf_token.clone(),
        can_import: crate::permit(&session.user, Action::ManageSettings).is_ok(),
        editions,
        imports,
        error,
        edition: typed.0,
        fiscal_year: typed.1,
        nav: Some(nav(state, session, org)),
    })
}

/// `GET /editions`: the editions in use, the imports, and (for administrators) the upload form.
pub(crate) async fn list(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    // A vendor's staff see only the vendor form.
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let page = editions_page(&state, &session, &org, None, (String::new(), String::new())).await?;
    Ok(render(&page).into_response())
}

/// `POST /editions/import`: reads the workbooks and keeps them as a pending import; the preview follows.
/// A workbook that cannot be read leaves everything as it was and says why.
pub(crate) async fn upload(
    State(state): State<AppState>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let mut edition = String::new();
    let mut fiscal_year = String::new();
    let mut variant = String::new();
    let mut uploads = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("edition") => edition = field.text().await.unwrap_or_default().trim().to_string(),
            Some("fiscal_year") => {
                fiscal_year = field.text().await.unwrap_or_default().trim().to_string()
            }
            Some("variant") => variant = field.text().await.unwrap_or_default(),
            Some("file") => {
                let file_name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|_| {
                    PageError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "ファイルを受け取れません",
                        "ファイルが大きすぎるか、送信が途中で切れました",
                    )
                })?;
                if !bytes.is_empty() {
                    uploads.push(Upload {
                        file_name,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            _ => {}
        }
    }
    // Importing an edition again (a replaced MHLW file): read it against the catalog without it.
    let base = state.catalog_of(org.id).without_imported(&edition);
    let (read_edition, read_fy, read_variant) = (edition.clone(), fiscal_year.clone(), variant);
    let (result, uploads) = state
        .heavy(move || {
            let r = read_uploads(&base, &read_edition, &read_fy, &read_variant, &uploads);
            (r, uploads)
        })
        .await;
    let d = match result {
        Ok(d) => d,
        Err(message) => {
            let page = editions_page(
                &state,
                &session,
                &org,
                Some(message),
                (edition, fiscal_year),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let id = save_draft(&state, org.id, &d, &uploads, &session.user.login).await?;
    Ok(Redirect::to(&format!("/editions/imports/{id}")).into_response())
}

pub(crate) struct PreviewItem {
    pub key: String,
    pub label: String,
    pub text: String,
    pub note: String,
    pub targets: String,
    pub rows: String,
    pub change: &'static str,
    pub change_class: &'static str,
    pub selected: mamori_core::ItemId,
}

pub(crate) struct PreviewSection {
    pub title: String,
    pub items: Vec<PreviewItem>,
}

pub(crate) struct PreviewForm {
    pub variant: String,
    pub variant_label: &'static str,
    pub title: String,
    pub file_name: String,
    pub sha256: String,
    pub verdict: String,
    pub official: bool,
    pub previous: String,
    pub notes: Vec<String>,
    pub sections: Vec<PreviewSection>,
    pub layout: Vec<(String, String)>,
    pub ambiguities: Vec<String>,
    /// Previous items to choose from: (id, label).
    pub options: Vec<(mamori_core::ItemId, String)>,
    pub removed: Vec<String>,
    pub counts: (usize, usize, usize),
}

#[derive(Template)]
#[template(path = "editions/edition_preview.html")]
struct PreviewPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    edition: mamori_core::EditionId,
    name: String,
    fiscal_year: String,
    status: &'static str,
    pending: bool,
    can_confirm: bool,
    /// Who read the files and when; who confirmed them and when.
    created: String,
    confirmed: String,
    forms: Vec<PreviewForm>,
}

fn col(c: u32) -> String {
    cell_ref(0, c).trim_end_matches('1').to_string()
}

fn preview_forms(catalog: &Catalog, d: &EditionDraft) -> Vec<PreviewForm> {
    d.forms
        .iter()
        .map(|f| {
            let prev = f.previous_form(catalog);
            let options: Vec<(mamori_core::ItemId, String)> = prev
                .map(|p| {
                    p.items
                        .iter()
                        .map(|i| {
                            let text: String = i.text.chars().take(36).collect();
                            (i.id.clone(), format!("{} {text}", i.label()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let sections = f
                .form
                .section_ids()
                .into_iter()
                .map(|s| PreviewSection {
                    title: f
                        .form
                        .section_titles
                        .get(s)
                        .cloned()
                        .unwrap_or_else(|| s.to_string()),
                    items: f
                        .form
                        .items
                        .iter()
                        .filter(|i| i.section == s)
                        .map(|i| {
                            let link = f.links.iter().find(|l| l.key == i.key);
                            let change = f.change_of(&i.key);
                            PreviewItem {
                                key: i.key.clone(),
                                label: if i.gate {
                                    "有無".into()
                                } else {
                                    i.number.clone()
                                },
                                text: i.text.clone(),
                                note: i.note.clone().unwrap_or_default(),
                                targets: i
                                    .targets
                                    .iter()
                                    .map(|t| {
                                        if t.reference {
                                            format!("{}（参考）", t.group.label())
                                        } else {
                                            t.group.label().to_string()
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join("・"),
                                rows: f
                                    .layout
                                    .rows
                                    .iter()
                                    .filter(|r| r.key == i.key)
                                    .map(|r| (r.row + 1).to_string())
                                    .collect::<Vec<_>>()
                                    .join("・"),
                                change: change.label(),
                                change_class: match change {
                                    mamori_core::edition_import::Change::Same => "same-item",
                                    mamori_core::edition_import::Change::Changed => "changed-item",
                                    mamori_core::edition_import::Change::New => "new-item",
                                },
                                selected: link.and_then(|l| l.previous.clone()).unwrap_or_default(),
                            }
                        })
                        .collect(),
                })
                .collect();
            let mut layout = vec![
                ("シート".to_string(), f.layout.sheet.clone()),
                (
                    "見出しの行".to_string(),
                    if f.layout.header_rows.0 == f.layout.header_rows.1 {
                        format!("{}行目", f.layout.header_rows.0 + 1)
                    } else {
                        format!(
                            "{}〜{}行目",
                            f.layout.header_rows.0 + 1,
                            f.layout.header_rows.1 + 1
                        )
                    },
                ),
            ];
            for r in &f.layout.rounds {
                let mut cols = format!("確認結果 {}列", col(r.result));
                if let Some(c) = r.date {
                    cols.push_str(&format!("、日付 {}列", col(c)));
                }
                if let Some(c) = r.target_date {
                    cols.push_str(&format!("、目標日 {}列", col(c)));
                }
                layout.push((format!("{}回目", r.round), cols));
            }
            if let Some(c) = f.layout.note_col {
                layout.push(("備考".into(), format!("{}列", col(c))));
            }
            for h in &f.layout.fields {
                layout.push((
                    h.label.clone(),
                    format!("{}（記入するセル）", cell_ref(h.row, h.col)),
                ));
            }
            let count = |c| f.links.iter().filter(|l| l.change == c).count();
            use mamori_core::edition_import::Change;
            PreviewForm {
                variant: f.form.variant.id().to_string(),
                variant_label: f.form.variant.label(),
                title: f.form.title.clone(),
                file_name: f.provenance.file_name.clone(),
                sha256: f.provenance.fingerprint.sha256.clone(),
                verdict: f.provenance.fingerprint.verdict(),
                official: f.provenance.fingerprint.official.is_some(),
                previous: prev
                    .map(|p| {
                        let name = catalog
                            .edition(&p.edition)
                            .map(|e| e.name.clone())
                            .unwrap_or_default();
                        format!("{name} {}", p.variant.label())
                    })
                    .unwrap_or_else(|| "（前の版がありません）".into()),
                notes: f.form.notes.iter().map(|n| n.text.clone()).collect(),
                sections,
                layout,
                ambiguities: f.ambiguities.clone(),
                options,
                removed: f
                    .removed(catalog)
                    .iter()
                    .map(|i| format!("{} {}", i.label(), i.text))
                    .collect(),
                counts: (
                    count(Change::Same),
                    count(Change::Changed),
                    count(Change::New),
                ),
            }
        })
        .collect()
}

/// `GET /editions/imports/{id}`: what was read, before (or after) confirming.
pub(crate) async fn preview(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(id): Path<i64>,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let (imp, d) = mamori_app::editions::load_import(&state, org.id, id).await?;
    // Links are chosen against the catalog the import was read with: without the edition itself.
    let catalog = state.catalog_of(org.id);
    let page = PreviewPage {
        csrf: session.csrf_token.clone(),
        id,
        edition: d.edition.clone(),
        name: d.name.clone(),
        fiscal_year: mamori_core::FiscalYear::new(d.fiscal_year).label(),
        status: status_label(&imp.status),
        pending: imp.status == "pending",
        created: format!(
            "{}（{}）",
            crate::layout::jst_time(&imp.created_at),
            imp.created_by
        ),
        confirmed: match (&imp.confirmed_at, &imp.confirmed_by) {
            (Some(at), Some(by)) => format!("{}（{by}）", crate::layout::jst_time(at)),
            _ => String::new(),
        },
        can_confirm: crate::permit(&session.user, Action::ManageSettings).is_ok(),
        forms: preview_forms(&catalog, &d),
        nav: Some(nav(&state, &session, &org)),
    };
    Ok(render(&page).into_response())
}

/// `POST /editions/imports/{id}/confirm`: the links as chosen (`link.<variant>.<key>` = previous item id, or
/// empty for a new item), then the edition is the organisation's.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let mut choices: HashMap<Variant, HashMap<String, Option<String>>> = HashMap::new();
    for (k, v) in &fields {
        let Some((variant, key)) = k.strip_prefix("link.").and_then(|r| r.split_once('.')) else {
            continue;
        };
        if let Ok(variant) = variant.parse::<Variant>() {
            choices
                .entry(variant)
                .or_default()
                .insert(key.to_string(), (!v.is_empty()).then(|| v.clone()));
        }
    }
    let d = mamori_app::editions::confirm_import(&state, org.id, id, &choices, &session.user.login)
        .await?;
    let catalog = state.catalog_for(org.id).await?;
    let variant = mamori_app::own_variant(&catalog, &d.edition, &org);
    let variant = if catalog.form(&d.edition, variant).is_some() {
        variant
    } else {
        d.forms.first().map(|f| f.form.variant).unwrap_or(variant)
    };
    Ok(Redirect::to(&format!("/checklists/{}/{}", d.edition, variant.id())).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfOnly {}

/// `POST /editions/imports/{id}/discard`.
pub(crate) async fn discard(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), _f): Posted<CsrfOnly>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    state
        .store
        .discard_edition_import(org.id, id, &session.user.login, state.clock.now())
        .await?;
    Ok(Redirect::to("/editions").into_response())
}
