//! 新年度の準備: choose this fiscal year's edition and the answers it carries as proposals, see what
//! changed, start the year; the years before, and the answers kept when a year reused its edition
//! (read-only, exportable as CSV).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_app::fiscal_years::{Comparison, YearPlan};
use mamori_app::report::TimelineRow;
use mamori_core::dates::FiscalYear;
use mamori_core::{Action, Variant};
use mamori_store::{CarrySource, Org, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, nav, render};

#[derive(Template)]
#[template(path = "years/years.html")]
struct YearsPage {
    nav: Option<Nav>,
    plan: YearPlan,
    comparison: Comparison,
    edition_name: String,
    started_name: String,
    /// Starting archives this edition's current answers.
    archives: bool,
    can_start: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "years/archived.html")]
struct ArchivedPage {
    nav: Option<Nav>,
    title: String,
    csv: String,
    rows: Vec<TimelineRow>,
}

#[derive(Deserialize, Default)]
pub(crate) struct YearQuery {
    edition: Option<String>,
    from: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    edition: String,
    #[serde(default)]
    from: String,
}

fn facility_only(org: &Org) -> Result<(), PageError> {
    if org.kind.is_facility() {
        Ok(())
    } else {
        Err(PageError::not_found(
            "新年度の準備は医療機関・薬局の組織で行います（事業者は製品ごとに版を選んで回答します）",
        ))
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    org: &Org,
    q: &YearQuery,
    error: Option<String>,
) -> Result<YearsPage, PageError> {
    let plan =
        mamori_app::fiscal_years::plan(state, org, q.edition.as_deref(), q.from.as_deref()).await?;
    let source: Option<CarrySource> = plan
        .source
        .as_ref()
        .and_then(|v| plan.sources.iter().find(|s| &s.value == v))
        .map(|s| s.source.clone());
    let comparison =
        mamori_app::fiscal_years::compare(state, org, &plan.edition, source.as_ref()).await?;
    let catalog = state.catalog_of(org.id);
    let name = |e: &str| {
        catalog
            .edition(e)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    Ok(YearsPage {
        nav: Some(nav(state, session, org)),
        edition_name: name(&plan.edition),
        started_name: plan
            .started
            .as_ref()
            .map(|s| name(&s.edition))
            .unwrap_or_default(),
        archives: source
            .as_ref()
            .is_some_and(|s| s.archived_year.is_none() && s.edition == plan.edition),
        comparison,
        plan,
        can_start: crate::permit(&session.user, Action::ManageSettings).is_ok(),
        error,
    })
}

/// `GET /years`
pub(crate) async fn years(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<YearQuery>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let p = page(&state, &session, &org, &q, None).await?;
    Ok(render(&p).into_response())
}

/// `POST /years/start`: starts this fiscal year; then the year's form, with its proposals.
pub(crate) async fn start(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<StartForm>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let from = (!f.from.is_empty()).then_some(f.from.as_str());
    match mamori_app::fiscal_years::start(&state, &org, &session.user, &f.edition, from).await? {
        Ok(_) => {
            let catalog = state.catalog_for(org.id).await?;
            let variant = mamori_app::own_variant(&catalog, &f.edition, &org);
            Ok(
                Redirect::to(&format!("/checklists/{}/{}", f.edition, variant.id()))
                    .into_response(),
            )
        }
        Err(m) => {
            let q = YearQuery {
                edition: Some(f.edition.clone()),
                from: from.map(str::to_string),
            };
            let p = page(&state, &session, &org, &q, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
    }
}

async fn archived_rows(
    state: &AppState,
    org: &Org,
    (year, edition, variant): (i32, &str, &str),
) -> Result<(String, Vec<TimelineRow>), PageError> {
    let missing = || PageError::not_found("保管した回答が見つかりません");
    let variant: Variant = variant.parse().map_err(|_| missing())?;
    let (form, answers) =
        mamori_app::fiscal_years::archived_form(state, org, year, edition, variant)
            .await?
            .ok_or_else(missing)?;
    let fy = FiscalYear::new(year);
    let catalog = state.catalog_of(org.id);
    let title = format!(
        "{}の回答（{} {}）",
        fy.label(),
        catalog
            .edition(edition)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        variant.label()
    );
    // As the year ended: a いいえ without a 2回目 shows as past its 目標日 (all fall within the year).
    let after = fy.last_day() + chrono::Days::new(1);
    let rows = mamori_app::report::timeline(&form, &answers, org.has_vendor_contract, after);
    Ok((title, rows))
}

/// `GET /years/{year}/{edition}/{variant}`: the answers kept for a year.
pub(crate) async fn archived(
    State(state): State<AppState>,
    Path((year, edition, variant)): Path<(i32, String, String)>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let (title, rows) = archived_rows(&state, &org, (year, &edition, &variant)).await?;
    let p = ArchivedPage {
        nav: Some(nav(&state, &session, &org)),
        title,
        csv: format!("/years/{year}/{edition}/{variant}/answers.csv"),
        rows,
    };
    Ok(render(&p).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct CsvQuery {
    encoding: Option<String>,
}

/// `GET /years/{year}/{edition}/{variant}/answers.csv`: the kept answers as CSV, CP932 by default (Excel on
/// Japanese Windows) or UTF-8 with a BOM.
pub(crate) async fn archived_csv(
    State(state): State<AppState>,
    Path((year, edition, variant)): Path<(i32, String, String)>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<CsvQuery>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let (_, rows) = archived_rows(&state, &org, (year, &edition, &variant)).await?;
    let header = ["項目", "文言", "1回目", "目標日", "2回目", "状況", "備考"];
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            vec![
                r.item,
                r.text,
                r.first,
                r.target_date,
                r.second,
                r.state.to_string(),
                r.note,
            ]
        })
        .collect();
    let utf8 = q.encoding.as_deref() == Some("utf8");
    let (encoding, content_type) = if utf8 {
        (mamori_ledger::Encoding::Utf8Bom, "text/csv; charset=utf-8")
    } else {
        (
            mamori_ledger::Encoding::Cp932,
            "text/csv; charset=Shift_JIS",
        )
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mamori-{year}-{edition}-{variant}.csv\""),
            ),
        ],
        mamori_ledger::table_csv(&header, &rows, encoding),
    )
        .into_response())
}
