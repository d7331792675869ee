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
