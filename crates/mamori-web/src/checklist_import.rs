//! Importing a filled checklist workbook (Mamori's own export, or a facility's Excel from an earlier year
//! laid out like the form) into answers: the same rules as answering on the page, all-or-nothing, every
//! problem named by the workbook's row and column. Used by the page, the API and `mamori import checklist`.

use mamori_core::answers::validate_batch;
use mamori_core::catalog::Form;
use mamori_core::{FieldError, RuleContext};
use mamori_report::checklist_import::{
    ImportedAnswers, SheetError, read_checklist_xlsx, read_official_answers,
};
use mamori_store::{Actor, Org, StoreError, User};

use crate::AppState;

/// What an import did, or would do with `dry_run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ChecklistImport {
    /// Item rows read from the workbook.
    pub item_rows: usize,
    /// Answers (rounds) found, and saved unless this was a dry run.
    pub answers: usize,
    pub dry_run: bool,
}

/// A broken rule, as a cell of the workbook.
fn sheet_error(imported: &ImportedAnswers, e: FieldError) -> SheetError {
    let row = imported
        .rows
        .get(&(e.item.clone(), e.target.clone()))
        .copied()
        .unwrap_or(0);
    let column = match e.field.as_str() {
        "note" => "備考".to_string(),
        _ if e.round == 2 => "2回目".to_string(),
        _ => "1回目".to_string(),
    };
    SheetError {
        row,
        column,
        message: e.message,
    }
}

/// The answers in a filled workbook: an imported edition's official workbook by its recognised layout,
/// a built-in edition's by Mamori's layout (or its item texts).
/// Read on the heavy-work pool.
pub(crate) async fn read_answers(
    state: &AppState,
    catalog: &std::sync::Arc<mamori_core::Catalog>,
    form: &Form,
    bytes: &[u8],
) -> Result<ImportedAnswers, Vec<SheetError>> {
    let (catalog, form, bytes) = (catalog.clone(), form.clone(), bytes.to_vec());
    state
        .heavy(move || {
            if catalog.is_imported(&form.edition) {
                read_official_answers(&form, &bytes)
            } else {
                read_checklist_xlsx(&catalog, &form, &bytes)
            }
        })
        .await
}

/// Reads `bytes` as the form's workbook and saves its answers (over the stored ones of the same rows),
/// or only checks them with `dry_run`. `Ok(Err(..))`: nothing was saved, and here is why.
pub async fn import_checklist(
    state: &AppState,
    org: &Org,
    user: &User,
    form: &Form,
    bytes: &[u8],
    dry_run: bool,
) -> Result<Result<ChecklistImport, Vec<SheetError>>, StoreError> {
    let imported = match read_answers(state, &state.catalog_of(org.id), form, bytes).await {
        Ok(i) => i,
        Err(errors) => return Ok(Err(errors)),
    };
    if imported.inputs.is_empty() {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: "回答（はい／いいえと確認日）が1件もありません".into(),
        }]));
    }
    let Ok(fy) = state.fiscal_year(org.id, &form.edition) else {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: format!("版「{}」の年度がわかりません", form.edition),
        }]));
    };
    let ctx = RuleContext {
        form,
        fiscal_year: fy,
        today: state.clock.today_jst(),
        has_vendor_contract: org.has_vendor_contract,
    };
    let suggestions =
        crate::pages::by_item(&crate::pages::suggestions_for(state, org, user, form).await?);
    let check = |stored: &mamori_core::AnswerSet| {
        crate::pages::checked_with_evidence(
            validate_batch(&ctx, stored, &imported.inputs),
            &suggestions,
            &imported.inputs,
        )
    };
    let result = if dry_run {
        let stored = state
            .store
            .answers(org.id, &form.edition, form.variant)
            .await?;
        check(&mamori_core::AnswerSet::new(stored))
    } else {
        state
            .store
            .save_answers_with_evidence(
                org.id,
                &form.edition,
                form.variant,
                &Actor {
                    user_id: user.id,
                    name: user.login.clone(),
                },
                state.clock.now(),
                &crate::pages::evidence_json(&suggestions),
                check,
            )
            .await?
    };
    Ok(match result {
        Ok(saved) => Ok(ChecklistImport {
            item_rows: imported.item_rows,
            answers: saved.len(),
            dry_run,
        }),
        Err(errors) => {
            let mut errors: Vec<SheetError> = errors
                .into_iter()
                .map(|e| sheet_error(&imported, e))
                .collect();
            errors.sort_by_key(|e| e.row);
            Err(errors)
        }
    })
}

// ---- Pages: upload → preview (a dry run, nothing saved) → confirm.

use askama::Template;
use axum::Form as PostForm;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;

use crate::auth;
use crate::ledgers::{PendingData, pending_gone};
use crate::pages::{Nav, PageError, PageResult, SignedIn, checklist_form, nav, render};

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
#[template(path = "checklist_import.html")]
struct PreviewPage {
    nav: Option<Nav>,
    form_label: String,
    edition: String,
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
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
    mut multipart: Multipart,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
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
            _ => {}
        }
    }
    if !auth::same_token(&session.csrf_token, &csrf) {
        return Err(PageError::forbidden(crate::pages::CSRF_MESSAGE));
    }
    let form = checklist_form(
        &catalog,
        &session.user,
        &edition,
        &variant,
        Action::AnswerForm,
    )?;
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
    csrf: String,
    #[serde(default)]
    token: String,
}

/// `/checklists/{edition}/{variant}/import/confirm`: saves the previewed workbook's answers.
pub(crate) async fn import_confirm(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
    PostForm(f): PostForm<ConfirmForm>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    if !auth::same_token(&session.csrf_token, &f.csrf) {
        return Err(PageError::forbidden(crate::pages::CSRF_MESSAGE));
    }
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
