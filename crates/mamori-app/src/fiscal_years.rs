//! The new fiscal year: the administrator picks the edition in force (built in or imported), sees which
//! items are new, changed or gone against last year's form, and starts the year with last year's answers
//! offered as proposals (never saved as this year's: each needs its own 確認日). The ledgers stay as they
//! are. When the year reuses last year's edition, last year's answers are kept as they were (readable
//! and exportable) and this year's start empty.

use std::collections::{BTreeMap, HashMap};

use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Catalog, Form};
use mamori_core::dates::{FiscalYear, wareki};
use mamori_core::edition_import::{Change, normalized};
use mamori_core::{AnswerKey, Role, Target, Variant};
use mamori_store::{CarrySource, FiscalYearRecord, Org, User, YearStart};
use serde::Serialize;

use crate::{App, AppError};

/// Answers a year can carry: a form's live answers, or those kept for a year.
#[derive(Debug, Clone, Serialize)]
pub struct SourceOption {
    pub source: CarrySource,
    /// `r7/facility` or `r7/facility/2025`: the value the page sends back.
    pub value: String,
    pub label: String,
}

/// What the new-year page shows before the administrator starts the year.
#[derive(Debug, Clone, Serialize)]
pub struct YearPlan {
    #[serde(skip)]
    pub fiscal_year: FiscalYear,
    pub label: String,
    pub started: Option<FiscalYearRecord>,
    /// (edition id, name, 取り込み or 内蔵)
    pub editions: Vec<(String, String, &'static str)>,
    pub edition: String,
    pub sources: Vec<SourceOption>,
    pub source: Option<String>,
    /// Every year the organisation started, newest first, with where its answers are.
    pub years: Vec<PastYear>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PastYear {
    pub year: i32,
    pub label: String,
    pub edition_name: String,
    pub started: String,
    /// `/checklists/r7/facility` for live answers, `/years/2025/r7/facility` for kept ones.
    pub links: Vec<(String, String)>,
}

/// One row of this year's form against the carried one.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedRow {
    pub label: String,
    pub text: String,
    pub change: &'static str,
    pub previous: Option<String>,
    pub proposal: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    pub rows: Vec<ComparedRow>,
    /// Items of the carried form that this year's form no longer has.
    pub removed: Vec<String>,
    pub new: usize,
    pub changed: usize,
    pub proposals: usize,
}

/// A row's place in the carried year: what changed, and last year's answer offered as a proposal.
#[derive(Debug, Clone, Default)]
pub struct Carry {
    pub change: Option<Change>,
    pub proposal: Option<String>,
}

fn source_value(s: &CarrySource) -> String {
    match s.archived_year {
        Some(y) => format!("{}/{}/{y}", s.edition, s.variant.id()),
        None => format!("{}/{}", s.edition, s.variant.id()),
    }
}

fn edition_name(catalog: &Catalog, edition: &str) -> String {
    catalog
        .edition(edition)
        .map(|e| e.name.clone())
        .unwrap_or_else(|_| edition.to_string())
}

/// The facility's own forms only: a vendor's 事業者確認用 is answered per product elsewhere.
fn is_own(v: Variant) -> bool {
    v != Variant::Vendor
}

/// The page's choices for the fiscal year containing today, with `edition` and `source` as asked (else
/// the year's current edition and the latest answers from before the year).
pub async fn plan(
    app: &App,
    org: &Org,
    edition: Option<&str>,
    source: Option<&str>,
) -> Result<YearPlan, AppError> {
    let catalog = app.catalog_for(org.id).await?;
    let fy = FiscalYear::containing(app.clock.today_jst());
    let records = app.store.fiscal_years(org.id).await?;
    let started = records
        .iter()
        .find(|r| r.fiscal_year == fy.start_year())
        .cloned();
    let editions: Vec<_> = catalog
        .editions()
        .iter()
        .filter(|e| e.fiscal_year <= fy.start_year())
        .rev()
        .map(|e| {
            let kind = if catalog.is_imported(&e.id) {
                "取り込んだ版"
            } else {
                "内蔵の版"
            };
            (e.id.to_string(), e.name.clone(), kind)
        })
        .collect();
    let edition = edition
        .filter(|e| editions.iter().any(|(id, _, _)| id == e))
        .map(str::to_string)
        .or_else(|| {
            // The newest edition made for this year or before it.
            catalog
                .editions()
                .iter()
                .filter(|e| e.fiscal_year <= fy.start_year())
                .max_by_key(|e| e.fiscal_year)
                .map(|e| e.id.to_string())
        })
        .unwrap_or_default();
    let mut sources = Vec::new();
    let mut latest: Option<(chrono::NaiveDate, String)> = None;
    let answered = app.store.answered_forms(org.id).await?;
    for f in answered.iter().cloned() {
        if !is_own(f.variant) || catalog.form(&f.edition, f.variant).is_none() {
            continue;
        }
        let s = CarrySource {
            edition: f.edition.clone(),
            variant: f.variant,
            archived_year: None,
        };
        let last = f.last_checked_on.map(wareki).unwrap_or_default();
        let mut label = format!(
            "{} {}の回答（{}件、最新の確認日 {last}）",
            edition_name(&catalog, &f.edition),
            f.variant.label(),
            f.answers
        );
        if f.edition == edition {
            label.push_str("：昨年度の回答として保管し、今年度は空から始めます");
        }
        if let Some(d) = f.last_checked_on.filter(|d| *d < fy.first_day())
            && latest.as_ref().is_none_or(|(l, _)| d > *l)
        {
            latest = Some((d, source_value(&s)));
        }
        sources.push(SourceOption {
            value: source_value(&s),
            label,
            source: s,
        });
    }
    for a in app.store.archived_forms(org.id).await? {
        if catalog.form(&a.edition, a.variant).is_none() {
            continue;
        }
        let s = CarrySource {
            edition: a.edition.clone(),
            variant: a.variant,
            archived_year: Some(a.fiscal_year),
        };
        sources.push(SourceOption {
            value: source_value(&s),
            label: format!(
                "{}の回答（{} {}、{}件、保管済み）",
                FiscalYear::new(a.fiscal_year).label(),
                edition_name(&catalog, &a.edition),
                a.variant.label(),
                a.answers
            ),
            source: s,
        });
    }
    let source = match source {
        Some(v) => sources
            .iter()
            .find(|s| s.value == v)
            .map(|s| s.value.clone()),
        None => started
            .as_ref()
            .and_then(|r| r.carried_from.as_ref())
            .map(source_value)
            .or_else(|| latest.map(|(_, v)| v)),
    };
    let mut years = Vec::new();
    let archived = app.store.archived_forms(org.id).await?;
    for r in records.iter().rev() {
        let mut links: Vec<(String, String)> = archived
            .iter()
            .filter(|a| a.fiscal_year == r.fiscal_year)
            .map(|a| {
                (
                    format!(
                        "{} {}（保管）",
                        edition_name(&catalog, &a.edition),
                        a.variant.label()
                    ),
                    format!("/years/{}/{}/{}", a.fiscal_year, a.edition, a.variant.id()),
                )
            })
            .collect();
        if catalog
            .fiscal_year_of(&r.edition, app.clock.today_jst())
            .ok()
            == Some(FiscalYear::new(r.fiscal_year))
            && let Some(f) =
                catalog.own_form(&r.edition, org.kind == mamori_store::OrgKind::Pharmacy)
        {
            links.push((
                format!(
                    "{} {}",
                    edition_name(&catalog, &r.edition),
                    f.variant.label()
                ),
                format!("/checklists/{}/{}", r.edition, f.variant.id()),
            ));
        }
        years.push(PastYear {
            year: r.fiscal_year,
            label: FiscalYear::new(r.fiscal_year).label(),
            edition_name: edition_name(&catalog, &r.edition),
            started: format!(
                "{}（{}）",
                r.started_at.get(..10).unwrap_or(""),
                r.started_by
            ),
            links,
        });
    }
    // Kept answers of years never started in Mamori (a reused edition archived at a later start).
    for a in &archived {
        if !records.iter().any(|r| r.fiscal_year == a.fiscal_year) {
            years.push(PastYear {
                year: a.fiscal_year,
                label: FiscalYear::new(a.fiscal_year).label(),
                edition_name: edition_name(&catalog, &a.edition),
                started: String::new(),
                links: vec![(
                    format!(
                        "{} {}（保管）",
                        edition_name(&catalog, &a.edition),
                        a.variant.label()
                    ),
                    format!("/years/{}/{}/{}", a.fiscal_year, a.edition, a.variant.id()),
                )],
            });
        }
    }
    // Forms answered in years never started in Mamori: readable (and exportable) where they are.
    for f in &answered {
        if !is_own(f.variant) || records.iter().any(|r| r.edition == f.edition) {
            continue;
        }
        let Ok(e) = catalog.edition(&f.edition) else {
            continue;
        };
        years.push(PastYear {
            year: e.fiscal_year,
            label: FiscalYear::new(e.fiscal_year).label(),
            edition_name: e.name.clone(),
            started: String::new(),
            links: vec![(
                format!("{} {}（{}件）", e.name, f.variant.label(), f.answers),
                format!("/checklists/{}/{}", f.edition, f.variant.id()),
            )],
        });
    }
    years.sort_by_key(|y| std::cmp::Reverse(y.year));
    Ok(YearPlan {
        label: fy.label(),
        fiscal_year: fy,
        started,
        editions,
        edition,
        sources,
        source,
        years,
    })
}

/// Answers a form carries: the carried form, its answers and what the ledgers said at each save.
struct Carried<'c> {
    form: &'c Form,
    answers: AnswerSet,
    evidence: BTreeMap<AnswerKey, serde_json::Value>,
    /// 令和7年度版 / 令和7年度（令和7年度版）
    name: String,
}

async fn load_source<'c>(
    app: &App,
    catalog: &'c Catalog,
    org: &Org,
    s: &CarrySource,
) -> Result<Option<Carried<'c>>, AppError> {
    let Some(form) = catalog.form(&s.edition, s.variant) else {
        return Ok(None);
    };
    let (answers, evidence, name) = match s.archived_year {
        Some(year) => {
            let Some((a, e)) = app
                .store
                .archived_answers(org.id, year, &s.edition, s.variant)
                .await?
            else {
                return Ok(None);
            };
            let name = format!(
                "{}（{}）",
                FiscalYear::new(year).label(),
                edition_name(catalog, &s.edition)
            );
            (a, e, name)
        }
        None => (
            app.store.answers(org.id, &s.edition, s.variant).await?,
            app.store
                .answer_evidence(org.id, &s.edition, s.variant)
                .await?,
            edition_name(catalog, &s.edition),
        ),
    };
    Ok(Some(Carried {
        form,
        answers: AnswerSet::new(answers),
        evidence,
        name,
    }))
}

/// Where `form`'s proposals come from: the source the administrator chose when starting the year that
/// answers `form`'s edition; else, for an imported edition, the edition its items were linked to.
async fn source_for<'c>(
    app: &App,
    catalog: &'c Catalog,
    org: &Org,
    form: &Form,
) -> Result<Option<Carried<'c>>, AppError> {
    if is_own(form.variant) {
        let chosen = app
            .store
            .fiscal_years(org.id)
            .await?
            .into_iter()
            .rev()
            .find(|r| r.edition == form.edition.as_str());
        if let Some(r) = chosen {
            return match r.carried_from {
                Some(s) => load_source(app, catalog, org, &s).await,
                None => Ok(None),
            };
        }
    }
    if !catalog.is_imported(&form.edition) {
        return Ok(None);
    }
    let Some(prev) = form
        .items
        .iter()
        .find_map(|i| catalog.predecessor(&i.id))
        .and_then(|p| p.split('.').next())
    else {
        return Ok(None);
    };
    let variant = if form.variant == Variant::Vendor {
        Variant::Vendor
    } else {
        crate::own_variant(catalog, prev, org)
    };
    let s = CarrySource {
        edition: prev.to_string(),
        variant,
        archived_year: None,
    };
    load_source(app, catalog, org, &s).await
}

/// Each row's change against the carried form and the carried answer as a proposal; empty when the
/// form carries nothing. `with_evidence` adds what the ledgers said when that answer was saved.
pub async fn carry(
    app: &App,
    catalog: &Catalog,
    org: &Org,
    form: &Form,
    with_evidence: bool,
) -> Result<HashMap<(mamori_core::ItemId, Target), Carry>, AppError> {
    let mut out = HashMap::new();
    let Some(src) = source_for(app, catalog, org, form).await? else {
        return Ok(out);
    };
    for (item, target) in form.rows() {
        out.insert(
            (item.id.clone(), target),
            row_carry(catalog, &src, item, target, with_evidence),
        );
    }
    Ok(out)
}

fn row_carry(
    catalog: &Catalog,
    src: &Carried<'_>,
    item: &mamori_core::catalog::Item,
    target: Target,
    with_evidence: bool,
) -> Carry {
    let Some(pred) = catalog.counterpart(item, src.form) else {
        return Carry {
            change: Some(Change::New),
            proposal: None,
        };
    };
    let change = (normalized(&pred.text) != normalized(&item.text)).then_some(Change::Changed);
    // The same target; or each target the previous item had (an item moved to 全般, or split).
    let targets: Vec<Target> = if pred.has_target(target) {
        vec![target]
    } else {
        pred.targets.iter().map(|t| t.group).collect()
    };
    let several = targets.len() > 1;
    let parts: Vec<String> = targets
        .into_iter()
        .filter_map(|t| {
            let a = (1..=mamori_core::answers::MAX_ROUND)
                .rev()
                .find_map(|r| src.answers.get(&pred.id, t, r))?;
            let mut p = if several {
                format!("{}：{}", t.label(), a.display())
            } else {
                a.display()
            };
            if !a.note.is_empty() {
                p.push_str(&format!("　備考：{}", a.note));
            }
            // What the ledgers said when that answer was saved.
            if let Some(e) = src
                .evidence
                .get(&AnswerKey::new(pred.id.clone(), a.target, a.round))
                .filter(|_| with_evidence)
            {
                let verdict = match e.get("verdict").and_then(|v| v.as_str()) {
                    Some("yes") => "はい",
                    Some("no") => "いいえ",
                    _ => "判断材料不足",
                };
                let reasons: Vec<&str> = e
                    .get("reasons")
                    .and_then(|r| r.as_array())
                    .map(|r| r.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                p.push_str(&format!("　回答時の台帳からの判断：{verdict}"));
                if !reasons.is_empty() {
                    p.push_str(&format!("（{}）", reasons.join("／")));
                }
            }
            Some(p)
        })
        .collect();
    let proposal =
        (!parts.is_empty()).then(|| format!("{} {}：{}", src.name, pred.label(), parts.join("／")));
    Carry { change, proposal }
}

/// This year's form (`edition`, the organisation's own) against the chosen source: new, changed and
/// removed items and the proposals.
pub async fn compare(
    app: &App,
    org: &Org,
    edition: &str,
    source: Option<&CarrySource>,
) -> Result<Comparison, AppError> {
    let catalog = app.catalog_for(org.id).await?;
    let variant = crate::own_variant(&catalog, edition, org);
    let form = catalog.require_form(edition, variant)?;
    let src = match source {
        Some(s) => load_source(app, &catalog, org, s).await?,
        None => None,
    };
    let mut c = Comparison::default();
    let mut continued = std::collections::HashSet::new();
    for (item, target) in form.rows() {
        let label = format!("{}（{}）", item.label(), target.label());
        let Some(src) = &src else {
            c.rows.push(ComparedRow {
                label,
                text: item.text.clone(),
                change: "",
                previous: None,
                proposal: None,
            });
            continue;
        };
        let carry = row_carry(&catalog, src, item, target, false);
        let pred = catalog.counterpart(item, src.form);
        if let Some(p) = pred {
            continued.insert(p.id.clone());
        }
        match carry.change {
            Some(Change::New) => c.new += 1,
            Some(Change::Changed) => c.changed += 1,
            _ => {}
        }
        c.proposals += usize::from(carry.proposal.is_some());
        c.rows.push(ComparedRow {
            label,
            text: item.text.clone(),
            change: carry.change.unwrap_or(Change::Same).label(),
            previous: pred
                .filter(|_| carry.change == Some(Change::Changed))
                .map(|p| format!("{} {}", p.label(), p.text)),
            proposal: carry.proposal,
        });
    }
    if let Some(src) = &src {
        c.removed = src
            .form
            .items
            .iter()
            .filter(|i| !continued.contains(&i.id))
            .map(|i| format!("{} {}", i.label(), i.text))
            .collect();
    }
    Ok(c)
}

/// Starts the fiscal year containing today with `edition`, carrying `source` (a value of
/// [`YearPlan::sources`], or none). A source that is this same edition's live answers is kept as the
/// year they were answered in (the year before this one at the latest), and this year starts empty.
/// `Ok(Err(message))` is a refusal to show beside the form.
pub async fn start(
    app: &App,
    org: &Org,
    user: &User,
    edition: &str,
    source: Option<&str>,
) -> Result<Result<FiscalYear, String>, AppError> {
    if user.role != Role::Admin {
        return Ok(Err("新年度を始められるのは管理者だけです".into()));
    }
    let plan = plan(app, org, Some(edition), source).await?;
    if !plan.editions.iter().any(|(id, _, _)| id == edition) {
        return Ok(Err("版を選んでください".into()));
    }
    let carried = match source.filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => match plan.sources.iter().find(|s| s.value == v) {
            Some(s) => Some(s.source.clone()),
            None => return Ok(Err("引き継ぐ回答を選び直してください".into())),
        },
    };
    let fy = plan.fiscal_year;
    let mut archive_as = None;
    let mut carried_from = carried.clone();
    if let Some(s) = carried
        .as_ref()
        .filter(|s| s.archived_year.is_none() && s.edition == edition)
    {
        let last = app
            .store
            .answered_forms(org.id)
            .await?
            .into_iter()
            .filter(|f| f.edition == edition)
            .filter_map(|f| f.last_checked_on)
            .max();
        let year = last
            .map(|d| FiscalYear::containing(d).start_year())
            .filter(|y| *y < fy.start_year())
            .unwrap_or(fy.start_year() - 1);
        archive_as = Some(year);
        carried_from = Some(CarrySource {
            archived_year: Some(year),
            ..s.clone()
        });
    }
    let start = YearStart {
        fiscal_year: fy.start_year(),
        edition: edition.to_string(),
        carried_from,
        archive_as,
    };
    match app
        .store
        .start_fiscal_year(org.id, &start, &user.login, app.clock.now())
        .await
    {
        Ok(()) => {}
        Err(mamori_store::StoreError::Conflict(m)) => return Ok(Err(m)),
        Err(e) => return Err(e.into()),
    }
    let catalog = app.catalog_for(org.id).await?;
    let form = catalog.require_form(edition, crate::own_variant(&catalog, edition, org))?;
    crate::report::record_today(app, org, form).await?;
    Ok(Ok(fy))
}

/// An edition confirmed for this fiscal year (or a newer one than the year's) becomes the year's edition
/// when the year was started on an older one: the year then carries what it had answered so far (or,
/// with nothing answered yet, what it carried before).
pub async fn follow_import(
    app: &App,
    org_id: mamori_core::OrgId,
    edition: &str,
    edition_year: i32,
    actor: &str,
) -> Result<(), AppError> {
    let fy = FiscalYear::containing(app.clock.today_jst());
    let Some(record) = app
        .store
        .fiscal_years(org_id)
        .await?
        .into_iter()
        .find(|r| r.fiscal_year == fy.start_year())
    else {
        return Ok(());
    };
    let catalog = app.catalog_for(org_id).await?;
    let current_year = catalog
        .edition(&record.edition)
        .map(|e| e.fiscal_year)
        .unwrap_or(i32::MIN);
    if record.edition == edition || edition_year > fy.start_year() || edition_year < current_year {
        return Ok(());
    }
    let answered = app
        .store
        .answered_forms(org_id)
        .await?
        .into_iter()
        .find(|f| f.edition == record.edition && is_own(f.variant));
    let carried_from = match answered {
        Some(f) => Some(CarrySource {
            edition: f.edition,
            variant: f.variant,
            archived_year: None,
        }),
        None => record.carried_from,
    };
    let start = YearStart {
        fiscal_year: fy.start_year(),
        edition: edition.to_string(),
        carried_from,
        archive_as: None,
    };
    app.store
        .start_fiscal_year(org_id, &start, actor, app.clock.now())
        .await?;
    Ok(())
}

/// The fiscal year containing today when it still waits to be started: the organisation answered
/// before it (a first year has nothing to carry) and has not started it.
pub async fn new_year_due(app: &App, org: &Org) -> Result<Option<FiscalYear>, AppError> {
    let fy = FiscalYear::containing(app.clock.today_jst());
    if app
        .store
        .fiscal_years(org.id)
        .await?
        .iter()
        .any(|r| r.fiscal_year == fy.start_year())
    {
        return Ok(None);
    }
    let answered_before = app
        .store
        .answered_forms(org.id)
        .await?
        .iter()
        .any(|f| is_own(f.variant) && f.last_checked_on.is_some_and(|d| d < fy.first_day()));
    Ok(answered_before.then_some(fy))
}

/// The answers kept for a year, as the form they were given in.
pub async fn archived_form(
    app: &App,
    org: &Org,
    year: i32,
    edition: &str,
    variant: Variant,
) -> Result<Option<(Form, AnswerSet)>, AppError> {
    let catalog = app.catalog_for(org.id).await?;
    let Some(form) = catalog.form(edition, variant) else {
        return Ok(None);
    };
    Ok(app
        .store
        .archived_answers(org.id, year, edition, variant)
        .await?
        .map(|(a, _)| (form.clone(), AnswerSet::new(a))))
}
