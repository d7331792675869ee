//! Mail settings and the digests taken once a day, on SQLite and PostgreSQL: recipients are enabled people
//! with an address at that hour, with the active facilities where they are no vendor.

use chrono::NaiveDate;
use mamori_core::Role;
use mamori_store::{MailSettings, OrgKind, Store};

use crate::helpers::*;

async fn mail_story(store: &Store) {
    let (a, admin) = store
        .set_up(&org(OrgKind::Clinic, "あおば"), &new_user("aoba"), at())
        .await
        .unwrap();
    let (b, _) = store
        .add_org(
            &org(OrgKind::Pharmacy, "ばんどう"),
            &new_user("bando"),
            at(),
        )
        .await
        .unwrap();
    let (v, _) = store
        .add_org(&org(OrgKind::Vendor, "商事"), &new_user("se"), at())
        .await
        .unwrap();
    store
        .add_membership(b.id, "aoba", Role::Viewer, "bando", at())
        .await
        .unwrap();
    store
        .add_membership(v.id, "aoba", Role::Admin, "se", at())
        .await
        .unwrap();
    let settings = MailSettings {
        email: "aoba@example.jp".into(),
        hour: 8,
        off_kinds: vec!["backup".into(), "agent_silent".into()],
    };
    store
        .save_mail_settings(&admin, Some(&settings), at())
        .await
        .unwrap();
    assert_eq!(store.mail_settings(admin.id).await.unwrap(), Some(settings));
    assert!(store.digest_recipients(9).await.unwrap().is_empty());
    let got = store.digest_recipients(8).await.unwrap();
    assert_eq!(got.len(), 1);
    // Facilities only: the vendor organisation is no place for reminders.
    assert_eq!(
        got[0].orgs.iter().map(|o| o.0).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    assert!(store.take_digest(admin.id, a.id, day, at()).await.unwrap());
    assert!(!store.take_digest(admin.id, a.id, day, at()).await.unwrap());
    assert!(store.take_digest(admin.id, b.id, day, at()).await.unwrap());
    store.save_mail_settings(&admin, None, at()).await.unwrap();
    assert!(store.digest_recipients(8).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_mail() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    mail_story(&store).await;
}

#[tokio::test]
async fn postgres_mail() {
    let Some((store, db)) = fresh_pg("mail settings").await else {
        return;
    };
    mail_story(&store).await;
    drop_pg(store, db).await;
}
