//! A clinic on a fresh SQLite database with the application over it, and answers to save.

use chrono::{DateTime, Utc};
use mamori_app::App;
use mamori_core::{AnswerInput, Catalog, Clock};
use mamori_store::{NewOrg, NewUser, Org, OrgKind, Store, User};

/// 2025-06-01 10:00 JST: fiscal year 令和7年度.
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

pub(crate) async fn clinic() -> (App, Org, User, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    let (org, user) = store
        .set_up(
            &NewOrg {
                kind: OrgKind::Clinic,
                name: "みどりクリニック".into(),
                security_officer: "山田 太郎".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "admin".into(),
                display_name: "山田 太郎".into(),
                password_hash: "not used".into(),
                role: mamori_core::Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    let app = App::new(store, Catalog::builtin().unwrap(), Clock::fixed(now()));
    (app, org, user, dir)
}

pub(crate) fn answer(item: &str, target: &str, yes: bool, note: &str) -> AnswerInput {
    AnswerInput {
        item: item.into(),
        target: Some(target.into()),
        round: Some(1),
        answer: Some(if yes { "yes" } else { "no" }.into()),
        checked_on: Some("2025-05-20".into()),
        target_date: (!yes).then(|| "2026-03-01".into()),
        note: Some(note.into()),
    }
}
