//! The administrator's settings page (two-factor for everyone, who has it) and the backup status shown
//! on the dashboard.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Duration, Utc};
use mamori_core::Action;
use mamori_core::dates::wareki;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::Posted;
use crate::extract::SignedIn;
use crate::layout::{Nav, nav, render};
use mamori_app::AppError;
use mamori_app::users::{UserAction, act_on_user};

/// Without scheduled backups, a backup older than this is flagged.
const UNSCHEDULED_WARN_DAYS: i64 = 7;

/// What the dashboard says about backups.
pub(crate) struct BackupStatus {
    /// 「令和7年6月1日 11:00（3時間前）」, or None without any successful backup.
    pub last: Option<String>,
    pub generation: String,
    /// What was checked of the last good backup (that it restores), as the run recorded it.
    pub checked: Option<String>,
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
    let t = mamori_core::dates::to_jst(at);
    format!("{} {}", wareki(t.date()), t.format("%H:%M"))
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
        checked: last_ok
            .as_ref()
            .map(|r| r.message.clone())
            .filter(|m| !m.is_empty()),
        generation: last_ok.map(|r| r.generation).unwrap_or_default(),
        warning,
        schedule: state
            .backup_every_hours
            .map(|h| format!("{h}時間ごとに自動でバックアップします")),
    })
}

#[derive(Template)]
#[template(path = "settings/settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    csrf: String,
    require_totp: bool,
    users: Vec<UserView>,
    tokens: Vec<TokenView>,
    saved: bool,
    done: Option<&'static str>,
    error: Option<String>,
}

struct UserView {
    id: i64,
    login: String,
    name: String,
    role: &'static str,
    totp: bool,
    disabled: bool,
    is_self: bool,
}

struct TokenView {
    id: i64,
    user: String,
    label: String,
    role: &'static str,
    created: String,
    expires: String,
    /// 「有効」, 「期限切れ」 or 「取り消し（…）」.
    state: String,
    live: bool,
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// What the page says after an action on a user or a token.
fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "disable" => {
            "利用者を無効にしました。その利用者のログイン中の画面とAPIトークンはすぐに使えなくなりました（変更履歴に記録）。"
        }
        "enable" => "利用者を有効に戻しました（変更履歴に記録）。",
        "sign-out" => "その利用者のすべての端末のログインを終了しました（変更履歴に記録）。",
        "password" => {
            "パスワードを再設定しました。その利用者のログイン中の画面は終了しました。新しいパスワードを本人に安全な方法で伝え、ログイン後に変更してもらってください（変更履歴に記録）。"
        }
        "revoke" => "APIトークンを取り消しました。このトークンはもう使えません（変更履歴に記録）。",
        _ => return None,
    })
}

pub async fn settings_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    axum::extract::Query(q): axum::extract::Query<SettingsQuery>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let page = settings_view(
        &state,
        &session,
        &org,
        q.done.as_deref().and_then(done_message),
        None,
    )
    .await?;
    Ok(render(&SettingsPage {
        saved: q.saved.is_some(),
        ..page
    })
    .into_response())
}

async fn settings_view(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<SettingsPage, PageError> {
    let disabled = state.store.disabled_users(org.id).await?;
    let users = state
        .store
        .users(org.id)
        .await?
        .into_iter()
        .map(|u| UserView {
            id: u.id,
            disabled: disabled.contains(&u.login),
            is_self: u.id == session.user.id,
            login: u.login,
            name: u.display_name,
            role: u.role.label(),
            totp: u.totp_enabled,
        })
        .collect();
    let now = state.clock.now();
    let day = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| wareki(mamori_core::dates::jst_date(t.to_utc())))
            .unwrap_or_default()
    };
    let tokens = state
        .store
        .api_tokens(org.id)
        .await?
        .into_iter()
        .map(|t| {
            let expired =
                DateTime::parse_from_rfc3339(&t.expires_at).is_ok_and(|e| e.to_utc() <= now);
            let state = match (&t.revoked_at, expired) {
                (Some(r), _) => format!("取り消し（{}）", day(r)),
                (None, true) => "期限切れ".into(),
                (None, false) => "有効".into(),
            };
            TokenView {
                id: t.id,
                live: t.revoked_at.is_none() && !expired,
                user: t.user_login,
                label: t.label,
                role: mamori_core::Role::parse(&t.role).map_or("", |r| r.label()),
                created: day(&t.created_at),
                expires: day(&t.expires_at),
                state,
            }
        })
        .collect();
    Ok(SettingsPage {
        csrf: session.csrf_token.clone(),
        require_totp: org.require_totp,
        users,
        tokens,
        saved: false,
        done,
        error,
        nav: Some(nav(state, session, org)),
    })
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /settings/users/{id}/{action}`: disable, enable, sign-out, password (administrators).
pub async fn user_action(
    State(state): State<AppState>,
    axum::extract::Path((id, action)): axum::extract::Path<(i64, String)>,
    Posted(SignedIn(session, org), f): Posted<AccessForm>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    let Some(what) = UserAction::parse(&action, f.password, f.password_confirm) else {
        return Err(PageError::not_found(format!(
            "操作「{action}」はありません"
        )));
    };
    match act_on_user(&state, &org, &session.user, id, what).await {
        Ok(()) => {}
        // A refused password shows the settings page again with the reason.
        Err(AppError::Refused(_, message)) => {
            let page = settings_view(&state, &session, &org, None, Some(message)).await?;
            return Ok(
                (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/settings?done={action}")).into_response())
}

/// `POST /settings/tokens/{id}/revoke` (administrators).
pub async fn revoke_token(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Posted(SignedIn(session, org), _f): Posted<AccessForm>,
) -> PageResult {
    crate::permit(&session.user, Action::ManageSettings).map_err(PageError::forbidden)?;
    state
        .store
        .revoke_api_token(org.id, id, &session.user.login, state.clock.now())
        .await?;
    Ok(Redirect::to("/settings?done=revoke").into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    require_totp: Option<String>,
}

pub async fn settings_submit(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<SettingsForm>,
) -> PageResult {
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
