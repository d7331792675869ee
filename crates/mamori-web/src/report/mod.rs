//! 経営層への報告: the year's progress with charts drawn on the server, the overdue いいえ, evidence gaps,
//! what is due; its PDF; and the record that management received it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_app::report::{ManagementReport, management_report};
use mamori_core::Action;
use mamori_store::{Org, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, nav, render};

#[derive(Template)]
#[template(path = "report/report.html")]
struct ReportPage {
    nav: Option<Nav>,
    report: ManagementReport,
    can_sign: bool,
    typed: SignoffForm,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct SignoffForm {
    #[serde(default)]
    received_by: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    decision: String,
}

fn facility_only(org: &Org) -> Result<(), PageError> {
    if org.kind.is_facility() {
        Ok(())
    } else {
        Err(PageError::not_found(
            "経営層への報告は医療機関・薬局の組織で作成します",
        ))
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    org: &Org,
    typed: SignoffForm,
    error: Option<String>,
) -> Result<ReportPage, PageError> {
    Ok(ReportPage {
        nav: Some(nav(state, session, org)),
        report: management_report(state, org).await?,
        can_sign: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        typed,
        error,
    })
}

/// `GET /report`
pub(crate) async fn report(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let p = page(&state, &session, &org, SignoffForm::default(), None).await?;
    Ok(render(&p).into_response())
}

/// `GET /report.pdf`
pub(crate) async fn report_pdf(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let pdf = mamori_app::report::report_pdf(&state, &org).await?;
    Ok(crate::documents::pdf_response(
        &format!("mamori-report-{}.pdf", state.clock.today_jst()),
        pdf.bytes,
    ))
}

/// `POST /report/signoff`: who of management received it, when, and their decision; a mistake shows the
/// page again with what was typed.
pub(crate) async fn signoff(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<SignoffForm>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    match mamori_app::report::sign_off(
        &state,
        &org,
        &session.user,
        &f.received_by,
        &f.received_on,
        &f.decision,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/report#signoffs").into_response()),
        Err(mamori_app::AppError::Refused(_, m)) => {
            let p = page(&state, &session, &org, f, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
