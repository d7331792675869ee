//! The management report (経営層への報告): the year's progress by section and over time (charts drawn on
//! the server as SVG, the same in the page and the PDF), the overdue いいえ with who is responsible, the
//! answers the ledgers disagree with, what the reminders say is due, and the record that management
//! received it (printed in the inspection pack too).

use mamori_core::Choice;
use mamori_core::answers::{AnswerSet, RowStatus, row_status, summarize};
use mamori_core::catalog::Form;
use mamori_core::dates::wareki;
use mamori_evidence::Verdict;
use mamori_store::{DayCounts, Org, Signoff};
use serde::Serialize;

use crate::{App, AppError};

/// Today's counts of the organisation's own form, kept for the year's line.
pub async fn record_today(app: &App, org: &Org, form: &Form) -> Result<(), AppError> {
    let answers = AnswerSet::new(
        app.store
            .answers(org.id, &form.edition, form.variant)
            .await?,
    );
    let s = summarize(form, &answers, org.has_vendor_contract);
    app.store
        .record_answer_counts(
            org.id,
            &form.edition,
            DayCounts {
                day: app.clock.today_jst(),
                yes: s.yes as i64,
                no: s.no as i64,
                unanswered: s.unanswered as i64,
            },
        )
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ManagementReport {
    pub org_name: String,
    pub officer: String,
    pub edition: String,
    pub edition_name: String,
    pub fiscal_year: String,
    pub created_on: String,
    pub yes: usize,
    pub no: usize,
    pub unanswered: usize,
    /// (section, はい, いいえ, 未回答)
    pub sections: Vec<(String, usize, usize, usize)>,
    pub sections_svg: String,
    pub year_svg: String,
    /// (item, 目標日, 担当) of いいえ past their 目標日.
    pub overdue: Vec<(String, String, String)>,
    /// (item, what the ledgers say) where a はい is not what the ledgers show.
    pub evidence_gaps: Vec<(String, String)>,
    /// (kind, how many) of the reminders standing today.
    pub due: Vec<(String, usize)>,
    /// Each いいえ's year: 1回目 → 目標日 → 2回目.
    pub timeline: Vec<TimelineRow>,
    /// (day, files, 高, 中, 低, retired staff accounts found in use) of the log analyses this year.
    pub log_analyses: Vec<(String, String, usize, usize, usize, String)>,
    /// (確認日, 確認したログ, 結果, コメント・対応) of this year's log reviews, newest first.
    pub log_reviews: Vec<(String, String, String, String)>,
    /// (システム, 方法, 最終復旧テスト日, 状況) of the バックアップ台帳.
    pub backups: Vec<(String, String, String, String)>,
    /// Mamori's own latest backup.
    pub own_backup: String,
    /// (事業者, what is missing) of the vendors whose 事業者確認用 or MDS/SDS is missing; and how many vendors.
    pub vendors_missing: Vec<(String, String)>,
    pub vendors: usize,
    pub signoffs: Vec<(String, String, String, String)>,
}

/// The findings of one log analysis by severity (高, 中, 低).
fn severities(report: Option<&str>) -> (usize, usize, usize) {
    let findings = report
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|v| v.get("findings").and_then(|f| f.as_array()).cloned())
        .unwrap_or_default();
    let count = |s: &str| {
        findings
            .iter()
            .filter(|f| f.get("severity").and_then(|v| v.as_str()) == Some(s))
            .count()
    };
    (count("high"), count("medium"), count("low"))
}

/// This year's log analyses, log reviews, backups and vendors, as the report shows them.
type Records = (
    Vec<(String, String, usize, usize, usize, String)>,
    Vec<(String, String, String, String)>,
    Vec<(String, String, String, String)>,
    String,
    usize,
);

async fn records(
    app: &App,
    org: &Org,
    fy: mamori_core::dates::FiscalYear,
) -> Result<Records, AppError> {
    use mamori_ledger::Kind;
    let day = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| mamori_core::dates::jst_date(t.to_utc()))
    };
    let mut analyses = Vec::new();
    for a in app.store.log_analyses(org.id).await? {
        let Some(d) = day(&a.created_at).filter(|d| fy.contains(*d)) else {
            continue;
        };
        if a.status != "done" || analyses.len() >= 12 {
            continue;
        }
        let full = app.store.log_analysis(org.id, a.id).await?;
        let (high, medium, low) = severities(full.report.as_deref());
        analyses.push((
            wareki(d),
            a.files.join("、"),
            high,
            medium,
            low,
            a.retired_accounts.join("、"),
        ));
    }
    let field = |r: &mamori_store::LedgerRow, k: &str| {
        r.data.get(k).map(String::as_str).unwrap_or("").to_string()
    };
    let date_of = |v: &str| mamori_ledger::values::parse_date(v);
    let mut reviews: Vec<_> = app
        .store
        .ledger_all(org.id, Kind::LogReviews)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .filter_map(|r| {
            let d = date_of(&field(&r, "reviewed_on")).filter(|d| fy.contains(*d))?;
            Some((
                d,
                field(&r, "target"),
                field(&r, "findings"),
                field(&r, "comment"),
            ))
        })
        .collect();
    reviews.sort_by_key(|r| std::cmp::Reverse(r.0));
    let reviews = reviews
        .into_iter()
        .take(20)
        .map(|(d, t, f, c)| (wareki(d), t, f, c))
        .collect();
    let today = app.clock.today_jst();
    let backups = app
        .store
        .ledger_all(org.id, Kind::Backups)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| {
            let tested = date_of(&field(&r, "restore_tested_on"));
            let state = match tested {
                None => "復旧テストの記録なし".to_string(),
                Some(d) if (today - d).num_days() > 366 => "1年以上復旧テストなし".to_string(),
                Some(_) => "1年以内に復旧テスト済み".to_string(),
            };
            (
                field(&r, "system"),
                field(&r, "method"),
                tested.map(wareki).unwrap_or_default(),
                state,
            )
        })
        .collect();
    let own = app
        .store
        .last_backup_runs()
        .await?
        .0
        .map(|r| wareki(mamori_core::dates::jst_date(r.at)))
        .unwrap_or_else(|| "記録なし".into());
    let vendors = app
        .store
        .ledger_all(org.id, Kind::Vendors)
        .await?
        .iter()
        .filter(|r| !r.disabled)
        .count();
    Ok((analyses, reviews, backups, own, vendors))
}

/// The sign-offs as printed: (受領日, 受けた人, 判断・コメント, 記録).
fn signoff_rows(s: &[Signoff]) -> Vec<(String, String, String, String)> {
    s.iter()
        .map(|s| {
            (
                wareki(s.received_on),
                s.received_by.clone(),
                s.decision.clone(),
                s.recorded_by.clone(),
            )
        })
        .collect()
}

/// The report of the organisation's form in force, as of the clock's today.
pub async fn management_report(app: &App, org: &Org) -> Result<ManagementReport, AppError> {
    let catalog = app.catalog_of(org.id);
    let edition = app.edition_or_current(org, None);
    let form = catalog.require_form(&edition, crate::own_variant(&catalog, &edition, org))?;
    record_today(app, org, form).await?;
    let answers = AnswerSet::new(app.store.answers(org.id, &edition, form.variant).await?);
    let total = summarize(form, &answers, org.has_vendor_contract);
    let today = app.clock.today_jst();
    let fy = app.fiscal_year(org.id, &edition)?;
    let mut sections = Vec::new();
    for section in form.layout() {
        let (mut y, mut n, mut u) = (0, 0, 0);
        for g in &section.groups {
            for &(item, target) in &g.rows {
                match row_status(form, item, target, &answers, org.has_vendor_contract) {
                    RowStatus::Yes => y += 1,
                    RowStatus::No => n += 1,
                    RowStatus::Unanswered => u += 1,
                    _ => {}
                }
            }
        }
        if y + n + u > 0 {
            let title = catalog.section_title_in(form, &section.section);
            sections.push((title.to_string(), y, n, u));
        }
    }
    let points: Vec<_> = app
        .store
        .answer_counts(org.id, &edition)
        .await?
        .into_iter()
        .filter(|c| fy.contains(c.day))
        .map(|c| (c.day, c.yes as usize, c.no as usize, c.unanswered as usize))
        .collect();
    let mut overdue = Vec::new();
    for (item, target) in form.rows() {
        if mamori_core::answers::open_answer(form, item, target, &answers, org.has_vendor_contract)
            .is_some()
            && let Some(d) = answers
                .target_date_in_force(&item.id, target)
                .filter(|d| *d < today)
        {
            overdue.push((
                format!("{}（{}）{}", item.label(), target.label(), item.text),
                wareki(d),
                org.security_officer.clone(),
            ));
        }
    }
    let evidence_gaps = crate::evidence::form_suggestions(app, org, form)
        .await?
        .iter()
        .filter(|s| s.verdict == Verdict::No)
        .filter(|s| {
            form.rows().filter(|(i, _)| i.id == s.item).any(|(i, t)| {
                answers
                    .latest(&i.id, t)
                    .is_some_and(|a| a.answer == Choice::Yes)
            })
        })
        .filter_map(|s| {
            let item = form.item(&s.item)?;
            Some((
                format!("{} {}", item.label(), item.text),
                s.reasons.join("／"),
            ))
        })
        .collect();
    let reminders = crate::reminders::for_org(app, org).await?;
    let vendors_missing = reminders
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                crate::reminders::ReminderKind::VendorForm | crate::reminders::ReminderKind::MdsSds
            )
        })
        .map(|r| (r.subject.clone(), r.message.clone()))
        .collect();
    let (log_analyses, log_reviews, backups, own_backup, vendors) = records(app, org, fy).await?;
    let timeline = timeline(form, &answers, org.has_vendor_contract, today)
        .into_iter()
        .filter(|r| r.first.starts_with("いいえ") || !r.second.is_empty())
        .collect();
    let due = crate::reminders::ReminderKind::ALL
        .into_iter()
        .filter_map(|k| {
            let n = reminders.iter().filter(|r| r.kind == k).count();
            (n > 0).then(|| (k.label().to_string(), n))
        })
        .collect();
    Ok(ManagementReport {
        org_name: org.name.clone(),
        officer: org.security_officer.clone(),
        edition_name: catalog
            .edition(&edition)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        edition: edition.to_string(),
        fiscal_year: fy.label(),
        created_on: wareki(today),
        yes: total.yes,
        no: total.no,
        unanswered: total.unanswered,
        sections_svg: mamori_report::charts::section_bars(&sections),
        year_svg: mamori_report::charts::year_lines(&points, fy.first_day()),
        sections,
        overdue,
        evidence_gaps,
        due,
        timeline,
        log_analyses,
        log_reviews,
        backups,
        own_backup,
        vendors_missing,
        vendors,
        signoffs: signoff_rows(&app.store.signoffs(org.id, &edition).await?),
    })
}

/// The report as PDF (the same charts as the page).
pub async fn report_pdf(app: &App, org: &Org) -> Result<mamori_pdf::Pdf, AppError> {
    let report = management_report(app, org).await?;
    let data = serde_json::to_value(&report).expect("the report serialises");
    let today = app.clock.today_jst();
    Ok(app
        .heavy(move || mamori_pdf::render(mamori_pdf::REPORT_TEMPLATE, &data, today))
        .await?)
}

/// Records that management received the report: who, on which day, and their decision or comment.
pub async fn sign_off(
    app: &App,
    org: &Org,
    user: &mamori_store::User,
    received_by: &str,
    received_on: &str,
    decision: &str,
) -> Result<(), AppError> {
    let (received_by, decision) = (received_by.trim(), decision.trim());
    let refuse = |m: &str| Err(AppError::Refused("記録できません", m.to_string()));
    if received_by.is_empty() || received_by.chars().count() > 100 {
        return refuse("報告を受けた方（役職・氏名）を100文字以内で入力してください");
    }
    let Some(on) = mamori_ledger::values::parse_date(received_on) else {
        return refuse("報告を受けた日を入力してください（例：2026-04-30）");
    };
    if on > app.clock.today_jst() {
        return refuse("報告を受けた日に未来の日付は入れられません");
    }
    if decision.is_empty() || decision.chars().count() > 2000 {
        return refuse(
            "判断・コメントを2000文字以内で入力してください（例：承認。2(11)は来年度予算で対応）",
        );
    }
    let edition = app.edition_or_current(org, None);
    app.store
        .add_signoff(
            org.id,
            &edition,
            (received_by, on, decision),
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(())
}

/// The sign-offs of an edition as the inspection pack prints them.
pub async fn pack_signoffs(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::json!(
        signoff_rows(&app.store.signoffs(org.id, edition).await?)
            .into_iter()
            .map(|(on, by, decision, recorded)| serde_json::json!({"on": on, "by": by, "decision": decision, "recorded_by": recorded}))
            .collect::<Vec<_>>()
    ))
}

/// One row's year: 1回目 → 目標日 → 2回目, and where it stands today.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub item: String,
    pub text: String,
    pub first: String,
    pub target_date: String,
    pub second: String,
    pub state: &'static str,
    /// The latest answer's 備考.
    pub note: String,
}

/// Each answered row's timeline (rows without any answer left out), as of `today`.
pub fn timeline(
    form: &Form,
    answers: &AnswerSet,
    has_vendor_contract: bool,
    today: chrono::NaiveDate,
) -> Vec<TimelineRow> {
    let mut out = Vec::new();
    for (item, target) in form.rows() {
        let first = answers.get(&item.id, target, 1);
        let later = (2..=mamori_core::answers::MAX_ROUND)
            .rev()
            .find_map(|r| answers.get(&item.id, target, r));
        if first.is_none() && later.is_none() {
            continue;
        }
        let cell = |a: Option<&mamori_core::Answer>| {
            a.map(|a| format!("{}（{}）", a.answer.label(), wareki(a.checked_on)))
                .unwrap_or_default()
        };
        let due = first.and_then(|a| a.target_date);
        let status = row_status(form, item, target, answers, has_vendor_contract);
        let state = match (first.map(|a| a.answer), later.map(|a| a.answer)) {
            // The gate's いいえ and the rows it or a missing contract exempts are no deficiency.
            _ if matches!(
                status,
                RowStatus::NoSystem | RowStatus::NotNeeded | RowStatus::NotApplicable
            ) =>
            {
                status.label()
            }
            (_, Some(Choice::Yes)) => "2回目で対応済み",
            (_, Some(_)) => "2回目もいいえ",
            (Some(Choice::No), None) => match due {
                Some(d) if d < today => "目標日を過ぎて2回目が未確認",
                _ => "目標日に向けて対応中",
            },
            (Some(Choice::Yes), None) => "はい",
            (None, None) => "未回答",
        };
        out.push(TimelineRow {
            item: format!("{}（{}）", item.label(), target.label()),
            text: item.text.clone(),
            first: cell(first),
            target_date: due.map(wareki).unwrap_or_default(),
            second: cell(later),
            state,
            note: later.or(first).map(|a| a.note.clone()).unwrap_or_default(),
        });
    }
    out
}
