//! The dashboard: answers' counts, the いいえ by 目標日, the last backup.

use mamori_app::own_variant;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;
use mamori_core::answers::{AnswerSet, summarize};

use crate::AppState;
use crate::checklist::checklist_form;
use crate::checklist::views::{OpenView, open_views};
use crate::error::PageResult;
use crate::extract::SignedIn;
use crate::layout::{Nav, nav, render};

#[derive(Template)]
#[template(path = "dashboard/dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    org_kind: String,
    org_name: String,
    officer: String,
    fallback_notice: Option<String>,
    form_label: String,
    fiscal_year: String,
    edition: mamori_core::EditionId,
    variant: String,
    summary: mamori_core::Summary,
    open: Vec<OpenView>,
    other_forms: Vec<(mamori_core::EditionId, String, String)>,
    /// For administrators.
    backup: Option<crate::settings::BackupStatus>,
    /// お知らせ: how many, and the most pressing few (for those who see the ledgers).
    reminders: Option<(usize, Vec<mamori_app::reminders::Reminder>)>,
    /// This fiscal year has begun and waits for its edition and carried answers (新年度の準備).
    new_year_due: Option<String>,
    /// The incident card was printed before the ledgers it came from changed.
    card_outdated: bool,
}

pub async fn dashboard(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    if org.kind == mamori_store::OrgKind::Group {
        // A group answers no checklist: its page is the roll-up of its facilities.
        return Ok(Redirect::to("/group").into_response());
    }
    let catalog = state.catalog_of(org.id);
    let nav = nav(&state, &session, &org);
    let variant = own_variant(&catalog, &nav.edition, &org);
    if !mamori_core::roles::allowed(session.user.role, Action::ViewForm(variant)) {
        // A vendor's staff see only the vendor form.
        return Ok(Redirect::to(&format!("/checklists/{}/vendor", nav.edition)).into_response());
    }
    let form = checklist_form(
        &catalog,
        &session.user,
        &nav.edition,
        variant.id(),
        Action::ViewForm,
    )?;
    let today = state.clock.today_jst();
    let answers = AnswerSet::new(state.store.answers(org.id, &nav.edition, variant).await?);
    let fy = state.fiscal_year(org.id, &nav.edition)?;
    let edition_name = catalog
        .edition(&nav.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let other_forms = catalog
        .forms()
        .iter()
        .filter(|f| !(f.edition == nav.edition && f.variant == variant))
        .map(|f| {
            let name = catalog
                .edition(&f.edition)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            (
                f.edition.clone(),
                f.variant.id().to_string(),
                format!("{name} {}", f.variant.label()),
            )
        })
        .collect();
    let page = DashboardPage {
        org_kind: org.kind.label().into(),
        org_name: org.name.clone(),
        officer: org.security_officer.clone(),
        fallback_notice: state.fallback_notice(&org, &nav.edition),
        card_outdated: org.kind.is_facility()
            && mamori_core::roles::allowed(session.user.role, Action::ViewLedgers)
            && mamori_app::bcp::card_outdated(&state, &org).await? == Some(true),
        new_year_due: if org.kind.is_facility() {
            mamori_app::fiscal_years::new_year_due(&state, &org)
                .await?
                .map(|fy| fy.label())
        } else {
            None
        },
        form_label: format!("{edition_name} {}", variant.label()),
        fiscal_year: fy.label(),
        edition: nav.edition.clone(),
        variant: variant.id().into(),
        summary: summarize(form, &answers, org.has_vendor_contract),
        open: open_views(form, &answers, org.has_vendor_contract, today),
        other_forms,
        reminders: if mamori_core::roles::allowed(session.user.role, Action::ViewLedgers) {
            let all = mamori_app::reminders::for_org(&state, &org).await?;
            Some((all.len(), all.into_iter().take(5).collect()))
        } else {
            None
        },
        backup: if session.user.role == mamori_core::Role::Admin {
            Some(crate::settings::backup_status(&state).await?)
        } else {
            None
        },
        nav: Some(nav),
    };
    Ok(render(&page).into_response())
}
