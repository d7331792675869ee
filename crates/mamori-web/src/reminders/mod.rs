//! お知らせ: the reminders standing today (目標日, 2回目, ledger reviews, agents, backups, log reviews,
//! vendors), each with who is responsible and where to act.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use mamori_app::reminders::{Reminder, ReminderKind, for_org};
use mamori_core::Action;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::layout::{Nav, nav, render};

#[derive(Template)]
#[template(path = "reminders/reminders.html")]
struct RemindersPage {
    nav: Option<Nav>,
    /// (kind label, kind id, its reminders)
    groups: Vec<(&'static str, &'static str, Vec<Reminder>)>,
    total: usize,
}

impl RemindersPage {
    fn due(&self, r: &Reminder) -> String {
        match (r.due, r.days_left) {
            (Some(d), Some(n)) if n >= 0 => {
                format!("{}（あと{n}日）", mamori_core::dates::wareki(d))
            }
            (Some(d), Some(n)) => format!("{}（{}日経過）", mamori_core::dates::wareki(d), -n),
            _ => String::new(),
        }
    }
}

/// `GET /reminders`
pub(crate) async fn reminders(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    if !org.kind.is_facility() {
        return Err(PageError::not_found(
            "お知らせは医療機関・薬局の組織で表示します",
        ));
    }
    let all = for_org(&state, &org).await?;
    let total = all.len();
    let groups = ReminderKind::ALL
        .into_iter()
        .filter_map(|k| {
            let of: Vec<Reminder> = all.iter().filter(|r| r.kind == k).cloned().collect();
            (!of.is_empty()).then_some((k.label(), k.id(), of))
        })
        .collect();
    let p = RemindersPage {
        nav: Some(nav(&state, &session, &org)),
        groups,
        total,
    };
    Ok(render(&p).into_response())
}

// ---- One's own mail settings: address, hour, the kinds to receive.

#[derive(Template)]
#[template(path = "reminders/mail.html")]
struct MailPage {
    nav: Option<Nav>,
    email: String,
    hour: i64,
    /// (id, label, received)
    kinds: Vec<(&'static str, &'static str, bool)>,
    saved: bool,
    error: Option<String>,
}

fn mail_page(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    settings: Option<mamori_store::MailSettings>,
    (saved, error): (bool, Option<String>),
) -> MailPage {
    let s = settings.unwrap_or(mamori_store::MailSettings {
        email: String::new(),
        hour: 8,
        off_kinds: Vec::new(),
    });
    MailPage {
        nav: Some(nav(state, session, org)),
        kinds: ReminderKind::ALL
            .into_iter()
            .map(|k| (k.id(), k.label(), !s.off_kinds.iter().any(|o| o == k.id())))
            .collect(),
        email: s.email,
        hour: s.hour,
        saved,
        error,
    }
}

/// `GET /account/mail`
pub(crate) async fn mail_settings(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    let settings = state.store.mail_settings(session.user.id).await?;
    Ok(render(&mail_page(&state, &session, &org, settings, (false, None))).into_response())
}

/// `POST /account/mail`: an empty address stops every mail; a wrong one is shown again with the reason.
pub(crate) async fn mail_settings_save(
    State(state): State<AppState>,
    crate::extract::Posted(SignedIn(session, org), fields): crate::extract::Posted<
        Vec<(String, String)>,
    >,
) -> PageResult {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let email = get("email");
    let hour: i64 = get("hour").parse().unwrap_or(-1);
    let on: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
        .collect();
    let settings = mamori_store::MailSettings {
        email: email.clone(),
        hour,
        off_kinds: ReminderKind::ALL
            .into_iter()
            .filter(|k| !on.contains(&k.id()))
            .map(|k| k.id().to_string())
            .collect(),
    };
    let problem = if !(0..24).contains(&hour) {
        Some("配信の時刻は 0〜23 時から選んでください".to_string())
    } else if !email.is_empty()
        && (email.chars().count() > 254
            || !email.contains('@')
            || email.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        Some(format!("メールアドレス「{email}」の形式が正しくありません"))
    } else {
        None
    };
    if let Some(m) = problem {
        let p = mail_page(&state, &session, &org, Some(settings), (false, Some(m)));
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response());
    }
    let stored = (!email.is_empty()).then_some(&settings);
    state
        .store
        .save_mail_settings(&session.user, stored, state.clock.now())
        .await?;
    let p = mail_page(&state, &session, &org, stored.cloned(), (true, None));
    Ok(render(&p).into_response())
}

#[derive(Template)]
#[template(path = "reminders/stop.html")]
struct StopPage {
    nav: Option<Nav>,
    token: String,
    kind: String,
    label: &'static str,
    /// The person's name once stopped.
    done: Option<String>,
}

#[derive(serde::Deserialize)]
pub(crate) struct StopLink {
    #[serde(default)]
    t: String,
    #[serde(default)]
    kind: String,
}

fn stop_kind(q: &StopLink) -> Result<ReminderKind, PageError> {
    ReminderKind::parse(&q.kind)
        .filter(|_| q.t.len() == 32 && q.t.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            PageError::not_found("このリンクは使えません（メールのリンクをそのまま開いてください）")
        })
}

/// `GET /mail/stop?t=…&kind=…` (the mail's link, no sign-in): asks to confirm, so that a mail scanner
/// following the link stops nothing.
pub(crate) async fn stop_page(
    axum::extract::Query(q): axum::extract::Query<StopLink>,
) -> PageResult {
    let kind = stop_kind(&q)?;
    let p = StopPage {
        nav: None,
        token: q.t,
        kind: kind.id().to_string(),
        label: kind.label(),
        done: None,
    };
    Ok(render(&p).into_response())
}

/// `POST /mail/stop`: stops that kind for the token's person (the token is the mail's; no session).
pub(crate) async fn stop(
    State(state): State<AppState>,
    axum::extract::Form(q): axum::extract::Form<StopLink>,
) -> PageResult {
    let kind = stop_kind(&q)?;
    let Some(name) = state
        .store
        .stop_mail_kind(&q.t, kind.id(), state.clock.now())
        .await?
    else {
        return Err(PageError::not_found(
            "このリンクは使えません（メールの受け取りが設定されていません）",
        ));
    };
    let p = StopPage {
        nav: None,
        token: String::new(),
        kind: kind.id().to_string(),
        label: kind.label(),
        done: Some(name),
    };
    Ok(render(&p).into_response())
}
