//! Importing a filled checklist workbook from the page: upload → preview (a dry run, nothing saved) → confirm.

use mamori_app::checklist_import::{import_checklist, read_answers};

use crate::AppState;
use crate::extract::{Posted, Uploaded};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;

use crate::checklist::checklist_form;
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::layout::{Nav, nav, render};
use crate::ledgers::{PendingData, pending_gone};

struct PreviewRow {
    number: String,
    text: String,
    target: &'static str,
    round: i64,
    answer: &'static str,
    checked_on: String,
    target_date: String,
    note: String,
}

#[derive(Template)]
#[template(path = "checklist/checklist_import.html")]
struct PreviewPage {
    nav: Option<Nav>,
    form_label: String,
    edition: mamori_core::EditionId,
    variant: String,
    file_name: String,
    item_rows: usize,
    rows: Vec<PreviewRow>,
    errors: Vec<String>,
    token: String,
    csrf: String,
}

fn wareki_of(s: &Option<String>) -> String {
    s.as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(mamori_core::dates::wareki)
        .unwrap_or_default()
}

/// `/checklists/{edition}/{variant}/import`: the workbook's answers and every problem, before anything is
/// saved.
pub(crate) async fn import_preview(
    State(state): State<AppState>,
    Path((edition, variant)): Path<(String, String)>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    // Who may answer (and whether the form exists) is checked before the file is read.
    let form = checklist_form(
        &catalog,
        &session.user,
        &edition,
        &variant,
        Action::AnswerForm,
    )?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                PageError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "ファイルを受け取れません",
                    "ファイルが大きすぎるか、送信が途中で切れました",
                )
            })?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (file_name, bytes) = file.filter(|(_, b)| !b.is_empty()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut item_rows = 0;
    if bytes.is_empty() {
        errors.push("ファイル（xlsx）を選んでください".to_string());
    } else {
        match read_answers(&state, &catalog, form, &bytes).await {
            Err(e) => errors.extend(e.iter().map(|e| e.to_string())),
            Ok(read) => {
                item_rows = read.item_rows;
                for i in &read.inputs {
                    let item = form.item(&i.item).expect("read items are the form's");
                    let target = mamori_core::Target::ALL
                        .into_iter()
                        .find(|t| Some(t.id()) == i.target.as_deref())
                        .expect("read targets parse");
                    rows.push(PreviewRow {
                        number: item.number.clone(),
                        text: item.text.chars().take(40).collect(),
                        target: target.label(),
                        round: i.round.unwrap_or(1),
                        answer: if i.answer.as_deref() == Some("no") {
                            "いいえ"
                        } else {
                            "はい"
                        },
                        checked_on: wareki_of(&i.checked_on),
                        target_date: wareki_of(&i.target_date),
                        note: i.note.clone().unwrap_or_default(),
                    });
                }
                // The form's rules and the ledgers' evidence, as the save would apply them.
                if let Err(e) =
                    import_checklist(&state, &org, &session.user, form, &bytes, true).await?
                {
                    errors.extend(e.iter().map(|e| e.to_string()));
                }
            }
        }
    }
    let token = if errors.is_empty() {
        state.pending_imports.put(
            org.id,
            session.user.id,
            format!("checklist/{edition}/{}", form.variant.id()),
            PendingData::Workbook(bytes),
        )
    } else {
        String::new()
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let edition_name = catalog
        .edition(&form.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let page = PreviewPage {
        nav: Some(nav(&state, &session, &org)),
        form_label: format!("{edition_name} {}", form.variant.label()),
        edition: form.edition.clone(),
        variant: form.variant.id().into(),
        file_name,
        item_rows,
        rows,
        errors,
        token,
        csrf: session.csrf_token.clone(),
    };
    Ok((status, render(&page)).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    token: String,
}

/// `/checklists/{edition}/{variant}/import/confirm`: saves the previewed workbook's answers.
pub(crate) async fn import_confirm(
    State(state): State<AppState>,
    Path((edition, variant)): Path<(String, String)>,
    Posted(SignedIn(session, org), f): Posted<ConfirmForm>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let form = checklist_form(
        &catalog,
        &session.user,
        &edition,
        &variant,
        Action::AnswerForm,
    )?;
    let Some(PendingData::Workbook(bytes)) = state.pending_imports.take(
        &f.token,
        org.id,
        session.user.id,
        &format!("checklist/{edition}/{}", form.variant.id()),
    ) else {
        return Err(pending_gone());
    };
    match import_checklist(&state, &org, &session.user, form, &bytes, false).await? {
        Ok(done) => Ok(Redirect::to(&format!(
            "/checklists/{edition}/{}?imported={}",
            form.variant.id(),
            done.answers
        ))
        .into_response()),
        // The answers changed between preview and confirmation.
        Err(errors) => Err(PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "取り込めません",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}
