//! Log analysis on the web (checklist 2(5), 2(6)): upload EVTX, auth logs or access-log CSV (or name files
//! in the organisation's folder of the server's log folder, `MAMORI_LOG_DIR/<組織の番号>`, for files too
//! large to upload); the analysis runs in the
//! background with its progress shown; the result is stored, its findings listed with filters; a log
//! review recorded from it becomes a row of the ログ確認記録 (which 2(6)'s evidence reads). Retired or
//! disabled staff found in use feed 2(5)'s evidence.

use mamori_core::OrgId;
use std::path::PathBuf;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;
use mamori_ledger::{Kind, Row};
use mamori_logs::{Options, Report, Staff};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::extract::{Posted, Uploaded};
use crate::layout::{Nav, jst_time, nav, render};

struct AnalysisLine {
    id: i64,
    created: String,
    by: String,
    files: String,
    status: &'static str,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "running" => "分析中",
        "done" => "完了",
        _ => "失敗",
    }
}

fn file_names(files: &[String]) -> String {
    files.join("、")
}

#[derive(Template)]
#[template(path = "logs/logs.html")]
struct LogsPage {
    nav: Option<Nav>,
    csrf: String,
    can_edit: bool,
    analyses: Vec<AnalysisLine>,
    /// Files in the server's log folder, when one is set.
    server_files: Vec<String>,
    org_id: OrgId,
    error: Option<String>,
}

/// The organisation's folder in the server's log folder (`MAMORI_LOG_DIR/<組織の番号>`), for files too
/// large to upload. Each organisation sees only its own folder.
fn log_dir(org_id: OrgId) -> Option<PathBuf> {
    std::env::var_os("MAMORI_LOG_DIR")
        .map(|d| PathBuf::from(d).join(org_id.to_string()))
        .filter(|p| p.is_dir())
}

fn server_files(org_id: OrgId) -> Vec<String> {
    let Some(dir) = log_dir(org_id) else {
        return Vec::new();
    };
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

async fn logs_page_with(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    error: Option<String>,
) -> Result<LogsPage, PageError> {
    Ok(LogsPage {
        nav: Some(nav(state, session, org)),
        csrf: session.csrf_token.clone(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        analyses: state
            .store
            .log_analyses(org.id)
            .await?
            .into_iter()
            .map(|a| AnalysisLine {
                id: a.id,
                created: jst_time(&a.created_at),
                by: a.created_by,
                files: file_names(&a.files),
                status: status_label(&a.status),
            })
            .collect(),
        server_files: server_files(org.id),
        org_id: org.id,
        error,
    })
}

pub async fn logs_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    Ok(render(&logs_page_with(&state, &session, &org, None).await?).into_response())
}

/// Takes the files (uploaded, or named in the server's log folder), starts the analysis, and shows it.
/// What the upload form sent: the files (written to a folder of the request's own or named in the
/// server's log folder), the CSV mapping, vendors' windows and thresholds; `refused` says what was wrong.
#[derive(Default)]
struct LogUpload {
    paths: Vec<PathBuf>,
    names: Vec<String>,
    refused: Option<String>,
    mapping: mamori_logs::ehr_csv::Mapping,
    windows: Vec<mamori_logs::detect::VendorWindow>,
    thresholds: mamori_logs::Thresholds,
}

fn receive_error(e: impl std::fmt::Display) -> PageError {
    PageError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "受け取れません",
        e.to_string(),
    )
}

/// A threshold typed on the form (`burst_count`, `spray_accounts`, `work_start`, `work_end`).
fn set_threshold(t: &mut mamori_logs::Thresholds, name: &str, text: &str) -> Result<(), String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (n >= 1 || name == "work_start") && (n <= 24 || !name.starts_with("work")) => {
            match name {
                "burst_count" => t.burst_count = n as usize,
                "spray_accounts" => t.spray_accounts = (n as usize).max(2),
                "work_start" => t.work_start = n,
                _ => t.work_end = n,
            }
            Ok(())
        }
        _ => Err(format!(
            "しきい値「{}」は正の整数で入力してください",
            text.trim()
        )),
    }
}

async fn read_upload(
    multipart: &mut axum::extract::Multipart,
    dir: &std::path::Path,
    org_id: OrgId,
) -> Result<LogUpload, PageError> {
    let mut u = LogUpload::default();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csv_map") => {
                let bytes = field.bytes().await.unwrap_or_default();
                if !bytes.is_empty() {
                    match mamori_logs::ehr_csv::mapping_from_json(&String::from_utf8_lossy(&bytes))
                    {
                        Ok(m) => u.mapping = m,
                        Err(e) => u.refused = Some(e),
                    }
                }
            }
            Some("vendor_windows") => {
                for line in field
                    .text()
                    .await
                    .unwrap_or_default()
                    .lines()
                    .map(str::trim)
                {
                    if line.is_empty() {
                        continue;
                    }
                    match mamori_logs::detect::VendorWindow::parse(line) {
                        Ok(w) => u.windows.push(w),
                        Err(e) => u.refused = Some(e),
                    }
                }
            }
            Some(name @ ("burst_count" | "spray_accounts" | "work_start" | "work_end")) => {
                let name = name.to_string();
                let text = field.text().await.unwrap_or_default();
                if !text.trim().is_empty()
                    && let Err(e) = set_threshold(&mut u.thresholds, &name, &text)
                {
                    u.refused = Some(e);
                }
            }
            Some("server_file") => {
                let name = field.text().await.unwrap_or_default();
                if name.is_empty() {
                    continue;
                }
                // Only a file directly in the folder the server's operator named.
                match log_dir(org_id) {
                    Some(d) if server_files(org_id).contains(&name) => {
                        u.paths.push(d.join(&name));
                        u.names.push(name);
                    }
                    _ => u.refused = Some(format!("サーバのログフォルダに「{name}」はありません")),
                }
            }
            Some("files") => {
                let name = field.file_name().unwrap_or("log").to_string();
                let Ok(bytes) = field.bytes().await else {
                    u.refused = Some(format!(
                        "ファイルが大きすぎるか、送信が途中で切れました（合わせて {} MB まで。大きなファイルはサーバのログフォルダに置くか、mamori logs analyze を使ってください）",
                        crate::IMPORT_LIMIT / 1024 / 1024
                    ));
                    continue;
                };
                if bytes.is_empty() {
                    continue;
                }
                let path = dir.join(format!("{}", u.paths.len()));
                std::fs::write(&path, &bytes).map_err(receive_error)?;
                u.paths.push(path);
                // The name as shown (the path on disk is Mamori's own).
                u.names
                    .push(name.chars().filter(|c| !c.is_control()).take(200).collect());
            }
            _ => {}
        }
    }
    Ok(u)
}

pub async fn upload(
    State(state): State<AppState>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let dir = tempfile::tempdir().map_err(receive_error)?;
    let u = read_upload(&mut multipart, dir.path(), org.id).await?;
    if u.refused.is_some() || u.paths.is_empty() {
        let page = logs_page_with(
            &state,
            &session,
            &org,
            Some(
                u.refused
                    .unwrap_or_else(|| "ログのファイルを選んでください".into()),
            ),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let id = state
        .store
        .start_log_analysis(org.id, &u.names, &session.user.login, state.clock.now())
        .await?;
    let staff: Vec<Row> = state
        .store
        .ledger_all(org.id, Kind::Accounts)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| r.data)
        .collect();
    let mut thresholds = u.thresholds;
    thresholds.vendor_windows = u.windows;
    thresholds.success_after = thresholds.burst_count.clamp(1, 5);
    let options = Options {
        thresholds,
        csv_mapping: u.mapping,
        staff: (!staff.is_empty()).then(|| Staff::from_rows(&staff)),
        year: chrono::Datelike::year(&state.clock.today_jst()),
        ..Options::at(&state.clock)
    };
    state
        .log_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, "開始しました".into());
    tokio::spawn(analyse(
        state.clone(),
        org.id,
        id,
        u.paths,
        u.names,
        options,
        dir,
    ));
    Ok(Redirect::to(&format!("/logs/{id}")).into_response())
}

/// Runs an analysis on the blocking threads with its progress shown, then stores its report (or why it
/// stopped). `dir` holds the uploaded files until the analysis ends.
async fn analyse(
    state: AppState,
    org_id: OrgId,
    id: i64,
    paths: Vec<PathBuf>,
    names: Vec<String>,
    options: Options,
    dir: tempfile::TempDir,
) {
    let progress = state.log_progress.clone();
    let total = paths.len();
    let shown = names.clone();
    // On the heavy-work pool like every other upload: analyses queue behind each other and the pages
    // keep a core.
    let waiting = progress.clone();
    waiting.lock().unwrap_or_else(|e| e.into_inner()).insert(
        id,
        "順番を待っています（ほかの取り込み・分析の後に始まります）".into(),
    );
    let report = state
        .heavy(move || {
            let _keep = dir;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                mamori_logs::analyze(&paths, &options, &mut |i, n| {
                    progress
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(id, format!("{}/{total}「{}」: {n} 件", i + 1, shown[i]));
                })
            }))
            .map_err(|p| {
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "内部エラー".into())
            })
        })
        .await;
    let stored = match report {
        Ok(mut r) => {
            for (f, name) in r.files.iter_mut().zip(&names) {
                f.path = name.clone();
            }
            mamori_app::log_analyses::store_report(&state, org_id, id, &r).await
        }
        Err(e) => {
            let message = format!("分析が止まりました: {e}");
            mamori_app::log_analyses::store_failure(&state, org_id, id, &message).await
        }
    };
    if let Err(e) = stored {
        tracing::error!(analysis = id, error = %e, "ログの分析の結果を保存できません");
    }
    state
        .log_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
}

struct FindingLine {
    severity: &'static str,
    class: &'static str,
    kind: String,
    message: String,
    count: u64,
    period: String,
    items: String,
}

#[derive(Template)]
#[template(path = "logs/log_analysis.html")]
struct AnalysisPage {
    nav: Option<Nav>,
    csrf: String,
    can_edit: bool,
    id: i64,
    status: &'static str,
    /// The analysis read no record: why, shown instead of "no findings"; no review can be recorded.
    nothing_read: Option<String>,
    running: bool,
    progress: String,
    failure: Option<String>,
    files: Vec<(String, String, u64, Vec<String>)>,
    event_counts: String,
    logons: Vec<(String, u64, u64, String)>,
    findings: Vec<FindingLine>,
    total_findings: usize,
    kinds: Vec<(String, bool)>,
    severity: String,
    account: String,
    today: String,
    reviewer: String,
    period_from: String,
    period_to: String,
    reviewed: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct FindingFilter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    reviewed: Option<String>,
}

fn jst_day(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| {
        mamori_core::dates::to_jst(t)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

pub async fn analysis_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<FindingFilter>,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let a = state.store.log_analysis(org.id, id).await?;
    let progress = state
        .log_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned()
        .unwrap_or_default();
    let report: Option<Report> = match a.status.as_str() {
        "done" => a
            .report
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        _ => None,
    };
    let mut page = AnalysisPage {
        nav: Some(nav(&state, &session, &org)),
        csrf: session.csrf_token.clone(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        id,
        status: if report.as_ref().is_some_and(|r| r.nothing_read().is_some()) {
            "完了（読めた記録なし）"
        } else {
            status_label(&a.status)
        },
        nothing_read: report.as_ref().and_then(Report::nothing_read),
        running: a.status == "running",
        progress,
        failure: (a.status == "failed").then(|| a.report.clone().unwrap_or_default()),
        files: Vec::new(),
        event_counts: String::new(),
        logons: Vec::new(),
        findings: Vec::new(),
        total_findings: 0,
        kinds: Vec::new(),
        severity: q.severity.clone(),
        account: q.account.clone(),
        today: state.clock.today_jst().to_string(),
        reviewer: session.user.display_name.clone(),
        period_from: a.period_first.as_deref().map(jst_date).unwrap_or_default(),
        period_to: a.period_last.as_deref().map(jst_date).unwrap_or_default(),
        reviewed: q.reviewed.clone(),
    };
    if let Some(r) = report {
        page.files = r
            .files
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    f.format.to_string(),
                    f.records,
                    f.errors.clone(),
                )
            })
            .collect();
        page.event_counts = r
            .event_counts
            .iter()
            .map(|(id, n)| format!("{id}: {n}"))
            .collect::<Vec<_>>()
            .join("、");
        page.logons = r
            .logons
            .iter()
            .take(200)
            .map(|l| {
                (
                    l.account.clone(),
                    l.success,
                    l.failure,
                    format!("{} 〜 {}", jst_day(&l.first), jst_day(&l.last)),
                )
            })
            .collect();
        page.total_findings = r.findings.len();
        let mut kinds: Vec<String> = r.findings.iter().map(|f| f.kind.to_string()).collect();
        kinds.sort();
        kinds.dedup();
        page.kinds = kinds
            .into_iter()
            .map(|k| (k.clone(), k == q.kind))
            .collect();
        let needle = q.account.to_lowercase();
        page.findings = r
            .findings
            .iter()
            .filter(|f| q.kind.is_empty() || f.kind == q.kind.as_str())
            .filter(|f| q.severity.is_empty() || f.severity == q.severity)
            .filter(|f| {
                needle.is_empty()
                    || f.account.to_lowercase().contains(&needle)
                    || f.source.to_lowercase().contains(&needle)
            })
            .map(|f| FindingLine {
                severity: match f.severity.as_str() {
                    "high" => "高",
                    "medium" => "中",
                    _ => "低",
                },
                class: match f.severity.as_str() {
                    "high" => "overdue",
                    "medium" => "soon",
                    _ => "",
                },
                kind: f.kind.id().to_string(),
                message: f.message.clone(),
                count: f.count,
                period: format!("{} 〜 {}", jst_day(&f.first), jst_day(&f.last)),
                items: f
                    .items
                    .iter()
                    .map(|t| t.label())
                    .collect::<Vec<_>>()
                    .join("、"),
            })
            .collect();
    }
    Ok(render(&page).into_response())
}

fn jst_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| mamori_core::dates::jst_date(t.to_utc()).to_string())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    reviewer: String,
    #[serde(default)]
    reviewed_on: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    acknowledged: Option<String>,
}

/// Records a log review of this analysis as a row of the ログ確認記録: 異常あり when it found anything of
/// high or medium severity (then a comment is needed), with the findings acknowledged named.
pub async fn record_review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<ReviewForm>,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let a = state.store.log_analysis(org.id, id).await?;
    let report: Report = a
        .report
        .as_deref()
        .filter(|_| a.status == "done")
        .and_then(|r| serde_json::from_str(r).ok())
        .ok_or_else(|| {
            PageError::new(
                StatusCode::CONFLICT,
                "まだ記録できません",
                "分析が終わってから確認を記録してください",
            )
        })?;
    if let Some(why) = report.nothing_read() {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "記録できません",
            format!(
                "この分析は記録を1件も読めていないため、ログを確認したことにはなりません（{why}）。読めるログのファイルで分析し直してください"
            ),
        ));
    }
    let serious: Vec<&mamori_logs::Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity != "low")
        .collect();
    let bad = |m: &str| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "記録できません",
            m.to_string(),
        )
    };
    if f.reviewer.trim().is_empty() {
        return Err(bad("確認者を入力してください"));
    }
    if chrono::NaiveDate::parse_from_str(f.reviewed_on.trim(), "%Y-%m-%d").is_err() {
        return Err(bad("確認日を入力してください"));
    }
    if !serious.is_empty() && f.comment.trim().is_empty() {
        return Err(bad("検出があるため、コメント・対応を入力してください"));
    }
    if !serious.is_empty() && f.acknowledged.is_none() {
        return Err(bad(
            "検出（高・中）を確認したことにチェックを入れてください",
        ));
    }
    let mut comment = f.comment.trim().to_string();
    if !serious.is_empty() {
        let mut kinds: Vec<&str> = serious.iter().map(|f| f.kind.id()).collect();
        kinds.dedup();
        comment.push_str(&format!(
            "（確認した検出 {}件: {}）",
            serious.len(),
            kinds.join("、")
        ));
    }
    let mut row = Row::new();
    row.insert("reviewed_on".into(), f.reviewed_on.trim().into());
    row.insert(
        "reviewer".into(),
        f.reviewer.trim().chars().take(100).collect(),
    );
    row.insert(
        "target".into(),
        format!("ログの分析 #{id}（{}）", file_names(&a.files))
            .chars()
            .take(300)
            .collect(),
    );
    for (k, v) in [("period_from", &f.period_from), ("period_to", &f.period_to)] {
        if chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_ok() {
            row.insert(k.into(), v.trim().into());
        }
    }
    row.insert(
        "findings".into(),
        if serious.is_empty() {
            "異常なし"
        } else {
            "異常あり"
        }
        .into(),
    );
    if !comment.is_empty() {
        row.insert("comment".into(), comment);
    }
    let rid = state
        .store
        .save_ledger_row(
            org.id,
            Kind::LogReviews,
            None,
            &row,
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    Ok(Redirect::to(&format!("/logs/{id}?reviewed={rid}")).into_response())
}
