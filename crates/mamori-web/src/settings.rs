//! The administrator's settings page (two-factor for everyone, who has it) and the backup status shown
//! on the dashboard.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Duration, Utc};
use mamori_core::Action;
use mamori_core::dates::wareki;
use serde::Deserialize;

use crate::pages::{Nav, PageError, PageResult, SignedIn, nav, render};
use crate::{AppState, auth};

/// Without scheduled backups, a backup older than this is flagged.
const UNSCHEDULED_WARN_DAYS: i64 = 7;

/// What the dashboard says about backups.
pub(crate) struct BackupStatus {
    /// 「令和7年6月1日 11:00（3時間前）」, or None without any successful backup.
    pub last: Option<String>,
    pub generation: String,
    /// A warning to show: too old, none yet, or the last attempt failed.
    pub warning: Option<String>,
    pub schedule: Option<String>,
}

fn age_text(age: Duration) -> String {
    if age.num_days() >= 1 {
        format!("{}日前", age.num_days())
    } else if age.num_hours() >= 1 {
        format!("{}時間前", age.num_hours())
    } else {
        format!("{}分前", age.num_minutes().max(0))
    }
}

fn jst(at: DateTime<Utc>) -> String {
    let t = at + Duration::hours(9);
    format!("{} {}", wareki(t.date_naive()), t.format("%H:%M"))
}

pub(crate) async fn backup_status(state: &AppState) -> Result<BackupStatus, PageError> {
    let (last_run, last_ok) = state.store.last_backup_runs().await?;
    let now = state.clock.now();
    let limit = match state.backup_every_hours {
        Some(h) => Duration::hours(2 * i64::from(h)),
        None => Duration::days(UNSCHEDULED_WARN_DAYS),
    };
    let mut warning = match &last_ok {
        None => Some(
            "バックアップの記録がありません。「mamori backup」を実行するか、serve に --backup-dir を指定して定期バックアップを設定してください。"
                .to_string(),
        ),
        Some(ok) if now - ok.at > limit => Some(format!(
            "最後のバックアップから{}経っています。バックアップが動いているか確認してください。",
            age_text(now - ok.at).trim_end_matches('前')
        )),
        _ => None,
    };
    if let Some(run) = &last_run
        && !run.ok
    {
        warning = Some(format!(
            "{}のバックアップに失敗しました：{}",
            jst(run.at),
            run.message
        ));
    }
    Ok(BackupStatus {
        last: last_ok
            .as_ref()
            .map(|r| format!("{}（{}）", jst(r.at), age_text(now - r.at))),
        generation: last_ok.map(|r| r.generation).unwrap_or_default(),
        warning,
        schedule: state
            .backup_every_hours
            .map(|h| format!("{h}時間ごとに自動でバックアップします")),
    })
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    csrf: String,
    require_totp: bool,
    users: Vec<(String, String, &'static str, bool)>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn settings_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    axum::extract::Query(q): axum::extract::Query<SettingsQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let users = state
        .store
        .users(org.id)
        .await?
        .into_iter()
        .map(|u| (u.login, u.display_name, u.role.label(), u.totp_enabled))
        .collect();
    let page = SettingsPage {
        csrf: session.csrf_token.clone(),
        require_totp: org.require_totp,
        users,
        saved: q.saved.is_some(),
        nav: Some(nav(&state, &session, &org)),
    };
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    require_totp: Option<String>,
}

pub async fn settings_submit(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    if !auth::same_token(&session.csrf_token, &f.csrf) {
        return Err(PageError::forbidden(crate::pages::CSRF_MESSAGE));
    }
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    state
        .store
        .set_require_totp(
            org.id,
            f.require_totp.is_some(),
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    Ok(Redirect::to("/settings?saved=1").into_response())
}
