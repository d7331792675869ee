//! The checklist: the form's page, saving an answer (htmx row or whole page), and the xlsx download.

pub(crate) mod import;
pub(crate) mod views;

use mamori_app::evidence::{by_item, suggestions_for};
use mamori_app::workbooks::checklist_workbook;
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::Action;
use mamori_core::AnswerInput;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Form as ChecklistForm, Target, Variant};
use mamori_core::dates::FiscalYear;
use mamori_store::{Org, User};
use serde::Deserialize;

use crate::AppState;
use crate::checklist::views::{FormView, SectionView, Typed};
use crate::error::{PageError, PageResult};
use crate::extract::Posted;
use crate::extract::SignedIn;
use crate::layout::{Nav, nav, render};

/// The form named in the path, if the user may do `action` with it.
pub(crate) fn checklist_form<'a>(
    catalog: &'a mamori_core::Catalog,
    user: &User,
    edition: &str,
    variant: &str,
    action: fn(Variant) -> Action,
) -> Result<&'a ChecklistForm, PageError> {
    let variant: Variant = variant.parse()?;
    let form = catalog.require_form(edition, variant)?;
    crate::permit(user, action(variant)).map_err(PageError::forbidden)?;
    Ok(form)
}

#[derive(Template)]
#[template(path = "checklist/checklist.html")]
struct ChecklistPage {
    nav: Option<Nav>,
    csrf: String,
    title: String,
    title_unverified: bool,
    form_label: String,
    fiscal_year: String,
    edition: mamori_core::EditionId,
    variant: String,
    fallback_notice: Option<String>,
    notes: Vec<mamori_report::PrintedNote>,
    sections: Vec<SectionView>,
    has_errors: bool,
    can_answer: bool,
    imported: Option<String>,
}

#[derive(Template)]
#[template(path = "checklist/row.html")]
struct RowFragment {
    csrf: String,
    row: crate::checklist::views::RowView,
}

struct LoadedForm<'a> {
    catalog: &'a mamori_core::Catalog,
    form: &'a ChecklistForm,
    answers: AnswerSet,
    fy: FiscalYear,
    can_answer: bool,
    suggestions: HashMap<mamori_core::ItemId, mamori_evidence::Suggestion>,
    carry: HashMap<String, crate::checklist::views::Carry>,
    today: chrono::NaiveDate,
}

impl LoadedForm<'_> {
    fn view<'a>(&'a self, org: &Org) -> FormView<'a> {
        FormView {
            catalog: self.catalog,
            form: self.form,
            answers: &self.answers,
            has_vendor_contract: org.has_vendor_contract,
            can_answer: self.can_answer,
            suggestions: &self.suggestions,
            carry: &self.carry,
            today: self.today,
        }
    }
}

/// Each row's change against the form the year carries and the carried answer as a proposal
/// (mamori_app::fiscal_years::carry), keyed by the row's anchor.
async fn carry_over(
    state: &AppState,
    catalog: &mamori_core::Catalog,
    org: &Org,
    form: &ChecklistForm,
    with_evidence: bool,
) -> Result<HashMap<String, crate::checklist::views::Carry>, PageError> {
    use mamori_core::edition_import::Change;
    let carried = mamori_app::fiscal_years::carry(state, catalog, org, form, with_evidence).await?;
    Ok(carried
        .into_iter()
        .map(|((item, target), c)| {
            let change = c.change.map(|ch| {
                (
                    ch.label(),
                    if ch == Change::New {
                        "new-item"
                    } else {
                        "changed-item"
                    },
                )
            });
            (
                crate::checklist::views::anchor(&item, target),
                crate::checklist::views::Carry {
                    change,
                    proposal: c.proposal,
                },
            )
        })
        .collect())
}

async fn load_form<'a>(
    state: &AppState,
    catalog: &'a mamori_core::Catalog,
    org: &Org,
    user: &User,
    (edition, variant): (&str, &str),
    action: fn(Variant) -> Action,
) -> Result<LoadedForm<'a>, PageError> {
    let form = checklist_form(catalog, user, edition, variant, action)?;
    let answers = AnswerSet::new(state.store.answers(org.id, edition, form.variant).await?);
    let fy = state.fiscal_year(org.id, edition)?;
    let can_answer = mamori_core::roles::allowed(user.role, Action::AnswerForm(form.variant));
    let suggestions = by_item(&suggestions_for(state, org, user, form).await?);
    let with_evidence = mamori_core::roles::allowed(user.role, Action::ViewEvidence);
    let carry = carry_over(state, catalog, org, form, with_evidence).await?;
    Ok(LoadedForm {
        catalog,
        form,
        answers,
        fy,
        can_answer,
        suggestions,
        carry,
        today: state.clock.today_jst(),
    })
}

fn checklist_page(
    state: &AppState,
    nav: Nav,
    org: &Org,
    lf: &LoadedForm<'_>,
    typed: Option<&Typed<'_>>,
) -> ChecklistPage {
    let view = lf.view(org);
    let mut sections = view.sections();
    if let Some(t) = typed {
        // Show the typed values and their errors in place of the stored ones.
        for row in sections
            .iter_mut()
            .flat_map(|s| s.groups.iter_mut())
            .flat_map(|g| g.rows.iter_mut())
        {
            if row.item_id == t.input.item && Some(row.target.as_str()) == t.input.target.as_deref()
            {
                let item = lf.form.item(&row.item_id).expect("row items exist");
                *row = view.row(
                    item,
                    row.target.parse().expect("row targets parse"),
                    Some(t),
                );
            }
        }
    }
    let edition_name = lf
        .catalog
        .edition(&lf.form.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    ChecklistPage {
        csrf: nav.csrf.clone(),
        title: lf.form.title.clone(),
        title_unverified: lf.form.title_confidence.is_unverified(),
        form_label: format!("{edition_name} {}", lf.form.variant.label()),
        fiscal_year: lf.fy.label(),
        edition: lf.form.edition.clone(),
        variant: lf.form.variant.id().into(),
        fallback_notice: state.fallback_notice(org, &lf.form.edition),
        // The notes as printed for the year answered (the same as the xlsx and the PDF).
        notes: mamori_report::printed_notes(lf.catalog, lf.form, lf.fy),
        sections,
        has_errors: typed.is_some_and(|t| !t.errors.is_empty()),
        can_answer: lf.can_answer,
        imported: None,
        nav: Some(nav),
    }
}

#[derive(Deserialize, Default)]
pub struct ChecklistQuery {
    /// After a workbook import: how many answers it saved.
    #[serde(default)]
    imported: Option<usize>,
}

pub async fn checklist(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
    Query(q): Query<ChecklistQuery>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::ViewForm,
    )
    .await?;
    let mut page = checklist_page(&state, nav(&state, &session, &org), &org, &lf, None);
    page.imported = q
        .imported
        .map(|n| format!("Excel から {n} 件の回答を取り込みました（変更履歴に記録しました）"));
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    round: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    target_date: String,
    #[serde(default)]
    note: String,
}

fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

pub async fn answer_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
    Posted(SignedIn(session, org), f): Posted<AnswerForm>,
) -> PageResult {
    let htmx = headers.contains_key("hx-request");
    let catalog = state.catalog_of(org.id);
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::AnswerForm,
    )
    .await?;
    let input = AnswerInput {
        item: f.item.clone(),
        target: Some(f.target.clone()),
        round: Some(f.round.trim().parse().unwrap_or(0)),
        answer: non_empty(f.answer),
        checked_on: non_empty(f.checked_on),
        target_date: non_empty(f.target_date),
        note: Some(f.note.trim().to_string()),
    };
    let batch = [input.clone()];
    let result = mamori_app::answers::save_answers(
        &state,
        &org,
        &session.user,
        lf.form,
        &batch,
        &lf.suggestions,
    )
    .await?;
    let gate_changed = lf.form.gate_item().is_some_and(|g| g.id == input.item);
    let errors = result.err().unwrap_or_default();
    let target: Option<Target> = f.target.parse().ok();
    let item = lf.form.item(&input.item);
    let (Some(item), Some(target)) = (
        item,
        target.filter(|t| item.is_some_and(|i| i.has_target(*t))),
    ) else {
        return Err(PageError::not_found(format!(
            "項目「{}」はこの様式にありません",
            input.item
        )));
    };
    let anchor = crate::checklist::views::anchor(&item.id, target);
    if errors.is_empty() && !htmx {
        return Ok(
            Redirect::to(&format!("/checklists/{edition}/{variant}#{anchor}")).into_response(),
        );
    }
    // Reload the answers so the row shows what is stored now.
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::AnswerForm,
    )
    .await?;
    let typed = Typed {
        input: &input,
        errors: &errors,
    };
    if htmx {
        let view = lf.view(&org);
        let row = view.row(item, target, (!errors.is_empty()).then_some(&typed));
        let mut resp = render(&RowFragment {
            csrf: session.csrf_token.clone(),
            row,
        })
        .into_response();
        if gate_changed && errors.is_empty() {
            // The gate item changes every other row: reload the whole page.
            resp.headers_mut()
                .insert("hx-refresh", HeaderValue::from_static("true"));
        }
        return Ok(resp);
    }
    let page = checklist_page(&state, nav(&state, &session, &org), &org, &lf, Some(&typed));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

pub async fn export_xlsx(
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
    let bytes = checklist_workbook(&state, &org, form).await?;
    Ok(xlsx_response(form, bytes))
}

pub fn xlsx_response(form: &ChecklistForm, bytes: Vec<u8>) -> Response {
    let name = format!(
        "mamori-checklist-{}-{}.xlsx",
        form.edition,
        form.variant.id()
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
