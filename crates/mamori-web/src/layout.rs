//! What every page's layout shows: the navigation, and times as Japanese text.

use mamori_app::own_variant;

use askama::Template;
use axum::response::Html;
use mamori_core::Action;
use mamori_core::dates::wareki;
use mamori_store::{Org, Session};

use crate::AppState;

pub struct Nav {
    pub edition: mamori_core::EditionId,
    pub variant: String,
    pub org_name: String,
    pub user_name: String,
    pub csrf: String,
    pub is_admin: bool,
    /// Vendors' staff see no ledgers.
    pub sees_ledgers: bool,
    /// A vendor organisation: its products.
    pub is_vendor: bool,
    /// A hospital, clinic or pharmacy: its reminders.
    pub is_facility: bool,
    /// The organisation the session works in, and the others the user may switch to (id, name).
    pub org_id: mamori_core::OrgId,
    pub other_orgs: Vec<(mamori_core::OrgId, String)>,
}

pub(crate) fn nav(state: &AppState, session: &Session, org: &Org) -> Nav {
    let catalog = state.catalog_of(org.id);
    let edition = state
        .edition_in_force(org)
        .map(|c| c.edition)
        .unwrap_or_else(|| "r7".into());
    Nav {
        variant: own_variant(&catalog, &edition, org).id().to_string(),
        edition,
        org_name: org.name.clone(),
        user_name: session.user.display_name.clone(),
        csrf: session.csrf_token.clone(),
        is_admin: session.user.role == mamori_core::Role::Admin,
        sees_ledgers: mamori_core::roles::allowed(session.user.role, Action::ViewLedgers),
        is_vendor: org.kind == mamori_store::OrgKind::Vendor,
        is_facility: org.kind.is_facility(),
        org_id: org.id,
        other_orgs: session
            .orgs
            .iter()
            .filter(|(id, _)| *id != org.id)
            .cloned()
            .collect(),
    }
}

pub(crate) fn jst_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            let jst = mamori_core::dates::to_jst(t.to_utc());
            format!("{} {}", wareki(jst.date()), jst.format("%H:%M:%S"))
        })
        .unwrap_or_else(|_| at.to_string())
}

pub(crate) fn render(t: &impl Template) -> Html<String> {
    Html(
        t.render()
            .unwrap_or_else(|e| format!("<p>画面を表示できません: {e}</p>")),
    )
}
