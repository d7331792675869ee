//! The whole story against SQLite and PostgreSQL: setup, sessions, answers and their audit trail, then each area's story.

use chrono::{Duration, NaiveDate};
use mamori_core::Role;
use mamori_core::{
    AnswerInput, AnswerSet, Catalog, Choice, FiscalYear, RuleContext, Target, Variant,
};
use mamori_store::{Actor, NewToken, NewUser, OrgKind, Store, StoreError};

use crate::access::access_story;
use crate::agents::agent_story;
use crate::editions::edition_story;
use crate::helpers::*;
use crate::ledger::ledger_story;

pub(crate) fn input(
    item: &str,
    target: &str,
    answer: &str,
    target_date: Option<&str>,
) -> AnswerInput {
    AnswerInput {
        item: item.into(),
        target: Some(target.into()),
        round: Some(1),
        answer: Some(answer.into()),
        checked_on: Some("2025-05-20".into()),
        target_date: target_date.map(Into::into),
        note: Some("備考".into()),
    }
}

pub(crate) async fn story(store: Store, url: &str) {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Facility).unwrap();

    // Setup happens once.
    assert!(!store.is_set_up().await.unwrap());
    let (org, admin) = store
        .set_up(&new_org("みどりクリニック", true), &new_user("admin"), at())
        .await
        .unwrap();
    assert!(store.is_set_up().await.unwrap());
    assert!(matches!(
        store
            .set_up(&new_org("二つ目", true), &new_user("x"), at())
            .await,
        Err(StoreError::AlreadySetUp)
    ));
    let loaded = store.org(org.id).await.unwrap();
    assert_eq!(
        (
            loaded.name.as_str(),
            loaded.kind,
            loaded.has_vendor_contract
        ),
        ("みどりクリニック", OrgKind::Clinic, true)
    );
    assert_eq!(store.first_org_id().await.unwrap(), Some(org.id));
    assert_eq!(
        store.user_by_login("admin").await.unwrap().unwrap().id,
        admin.id
    );
    assert!(store.user_by_login("nobody").await.unwrap().is_none());

    // Sessions expire; tokens resolve to their user.
    store
        .create_session("s1", admin.id, "csrf1", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    // Used every 20 minutes, a session lives on; 31 idle minutes end it.
    let mut t = at();
    for _ in 0..4 {
        t += Duration::minutes(20);
        assert!(
            store.session("s1", t).await.unwrap().is_some(),
            "alive at {t}"
        );
    }
    assert!(
        store
            .session("s1", t + Duration::minutes(31))
            .await
            .unwrap()
            .is_none(),
        "idle timeout"
    );
    store
        .create_session("s2", admin.id, "csrf1", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    let s = store
        .session("s2", at() + Duration::minutes(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.user.login.as_str(), s.csrf_token.as_str()),
        ("admin", "csrf1")
    );
    assert!(
        store
            .session("s2", at() + Duration::hours(9))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .delete_expired_sessions(at() + Duration::hours(9))
            .await
            .unwrap(),
        2
    );
    let token = |hash: &str, role: Role, hours: i64| NewToken {
        hash: hash.into(),
        label: "テスト".into(),
        role,
        expires_at: at() + Duration::hours(hours),
    };
    store
        .create_api_token(&admin, &token("th1", Role::Admin, 24), at())
        .await
        .unwrap();
    store
        .create_api_token(&admin, &token("th2", Role::Viewer, 24), at())
        .await
        .unwrap();
    let by = store.user_by_token("th1", at()).await.unwrap().unwrap();
    assert_eq!((by.id, by.role), (admin.id, Role::Admin));
    assert_eq!(
        store
            .user_by_token("th2", at())
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Viewer,
        "a token acts with its own role"
    );
    assert!(
        store
            .user_by_token("th1", at() + Duration::hours(25))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.user_by_token("other", at()).await.unwrap().is_none());
    // A viewer may not mint an editor token; an added user is recorded.
    let viewer = store
        .add_user(
            org.id,
            &NewUser {
                role: Role::Viewer,
                ..new_user("viewer1")
            },
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_api_token(&viewer, &token("th3", Role::Editor, 1), at())
            .await,
        Err(StoreError::TokenRole { .. })
    ));
    assert_eq!(
        store.user_by_login("viewer1").await.unwrap().unwrap().role,
        Role::Viewer
    );

    // Five failed logins in a row lock the account for 15 minutes; a success resets the count.
    for _ in 0..4 {
        assert_eq!(
            store.record_login_failure(&admin, at()).await.unwrap(),
            None
        );
    }
    store.reset_login_failures(admin.id).await.unwrap();
    for _ in 0..4 {
        assert_eq!(
            store.record_login_failure(&admin, at()).await.unwrap(),
            None
        );
    }
    assert_eq!(store.locked_until(admin.id, at()).await.unwrap(), None);
    let until = store
        .record_login_failure(&admin, at())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(until, at() + Duration::minutes(15));
    assert_eq!(
        store
            .locked_until(admin.id, at() + Duration::minutes(14))
            .await
            .unwrap(),
        Some(until)
    );
    assert_eq!(
        store
            .locked_until(admin.id, at() + Duration::minutes(16))
            .await
            .unwrap(),
        None
    );

    // Two-factor: pending until enabled; each step accepted once; recovery codes used once.
    assert!(!store.totp(admin.id).await.unwrap().enabled);
    store.begin_totp(&admin, "JBSWY3DPEHPK3PXP").await.unwrap();
    assert!(
        !store.accept_totp_step(admin.id, 100).await.unwrap(),
        "not enabled yet"
    );
    store
        .enable_totp(&admin, 100, &["rc1".into(), "rc2".into()], at())
        .await
        .unwrap();
    let t = store.totp(admin.id).await.unwrap();
    assert!(t.enabled && t.secret == "JBSWY3DPEHPK3PXP" && t.last_step == 100);
    assert!(
        !format!("{t:?}").contains("JBSWY"),
        "the secret stays out of Debug output"
    );
    assert!(
        !store.accept_totp_step(admin.id, 100).await.unwrap(),
        "replay of the enrolment step"
    );
    assert!(store.accept_totp_step(admin.id, 101).await.unwrap());
    assert!(
        !store.accept_totp_step(admin.id, 101).await.unwrap(),
        "replay"
    );
    assert!(
        store
            .use_recovery_code(admin.id, "rc1", at())
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_recovery_code(admin.id, "rc1", at())
            .await
            .unwrap(),
        "used once"
    );
    assert!(
        !store
            .use_recovery_code(admin.id, "nope", at())
            .await
            .unwrap()
    );

    // Answers are validated and saved in one transaction.
    let actor = Actor {
        user_id: admin.id,
        name: admin.login.clone(),
    };
    let ctx = RuleContext {
        form,
        fiscal_year: FiscalYear::new(2025),
        today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        has_vendor_contract: true,
    };
    let batch = vec![
        input("r7.facility.1.1", "general", "yes", None),
        input("r7.facility.2.4", "server", "yes", None),
        input("r7.facility.2.4", "terminal", "no", Some("2026-03-31")),
    ];
    let saved = store
        .save_answers(org.id, "r7", Variant::Facility, &actor, at(), |stored| {
            mamori_core::answers::validate_batch(&ctx, stored, &batch)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.len(), 3);
    let answers = store
        .answers(org.id, "r7", Variant::Facility)
        .await
        .unwrap();
    assert_eq!(answers.len(), 3);
    let set = AnswerSet::new(answers.clone());
    let term = set.get("r7.facility.2.4", Target::Terminal, 1).unwrap();
    assert_eq!(
        (term.answer, term.target_date),
        (Choice::No, NaiveDate::from_ymd_opt(2026, 3, 31))
    );
    assert_eq!(term.note, "備考");

    // A refused batch changes nothing, not even its valid rows.
    let bad = vec![
        input("r7.facility.2.1", "general", "yes", None),
        input("r7.facility.2.6", "general", "no", None),
    ];
    let refused = store
        .save_answers(org.id, "r7", Variant::Facility, &actor, at(), |stored| {
            mamori_core::answers::validate_batch(&ctx, stored, &bad)
        })
        .await
        .unwrap();
    assert_eq!(refused.unwrap_err().len(), 1);
    assert_eq!(
        store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap(),
        answers
    );

    // Changes are history with before and after; saving the same answer again records nothing.
    let change = vec![
        input("r7.facility.2.4", "terminal", "yes", None),
        input("r7.facility.1.1", "general", "yes", None),
    ];
    store
        .save_answers(
            org.id,
            "r7",
            Variant::Facility,
            &actor,
            at() + Duration::minutes(5),
            |s| mamori_core::answers::validate_batch(&ctx, s, &change),
        )
        .await
        .unwrap()
        .unwrap();
    let hist = store
        .history(org.id, Some("answer"), None, 100)
        .await
        .unwrap();
    assert_eq!(hist.len(), 4, "{hist:#?}");
    assert_eq!(hist[0].entity_key, "r7.facility.2.4/terminal/1");
    assert_eq!(hist[0].action, "update");
    assert_eq!(hist[0].before.as_ref().unwrap()["answer"], "no");
    assert_eq!(hist[0].after.as_ref().unwrap()["answer"], "yes");
    assert_eq!(hist[0].actor, "admin");
    let one = store
        .history(
            org.id,
            Some("answer"),
            Some("r7.facility.2.4/terminal"),
            100,
        )
        .await
        .unwrap();
    assert_eq!(one.len(), 2);
    let all = store.history(org.id, None, None, 100).await.unwrap();
    assert!(all.iter().any(|r| r.entity == "org" && r.action == "setup"));

    // Another organisation sees none of this.
    let (other, other_admin) = store
        .add_org(&new_org("別の薬局", false), &new_user("other"), at())
        .await
        .unwrap();
    assert_ne!(other.id, org.id);
    assert!(
        store
            .answers(other.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .history(other.id, Some("answer"), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(other_admin.org_id, other.id);
    assert!(matches!(
        store
            .add_org(&new_org("三つ目", false), &new_user("admin"), at())
            .await,
        Err(StoreError::LoginTaken(_))
    ));

    // Concurrent writers keep one unbroken chain and lose no write.
    let mut tasks = Vec::new();
    for (i, key) in ["2.1", "2.5", "2.6", "2.7", "2.8", "2.9", "2.11", "3.1"]
        .into_iter()
        .enumerate()
    {
        let store = store.clone();
        let actor = actor.clone();
        let org_id = org.id;
        tasks.push(tokio::spawn(async move {
            let catalog = Catalog::builtin().unwrap();
            let form = catalog.form("r7", Variant::Facility).unwrap();
            let ctx = RuleContext {
                form,
                fiscal_year: FiscalYear::new(2025),
                today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
                has_vendor_contract: true,
            };
            let target = if key == "2.5" { "server" } else { "general" };
            let batch = vec![input(&format!("r7.facility.{key}"), target, "yes", None)];
            store
                .save_answers(
                    org_id,
                    "r7",
                    Variant::Facility,
                    &actor,
                    at() + Duration::seconds(i as i64),
                    |s| mamori_core::answers::validate_batch(&ctx, s, &batch),
                )
                .await
                .unwrap()
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .len(),
        3 + 8
    );
    ledger_story(&store, org.id).await;
    agent_story(&store, org.id).await;
    edition_story(&store, org.id, other.id).await;
    access_story(&store, org.id, other.id).await;
    let n = store
        .verify_audit_chain()
        .await
        .unwrap()
        .expect("untouched chain verifies");
    assert!(n >= 15, "{n} records");

    // Changing one stored record directly in the database breaks the chain at that record.
    use sqlx::Executor;
    let raw = sqlx::AnyPool::connect(url).await.unwrap();
    let target_id = store
        .history(org.id, Some("answer"), None, 100)
        .await
        .unwrap()[3]
        .id;
    raw.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE audit_log SET actor = 'mallory' WHERE id = {target_id}"
    )))
    .await
    .unwrap();
    let broken = store.verify_audit_chain().await.unwrap().unwrap_err();
    assert_eq!(broken.id, target_id);
    assert!(broken.to_string().contains("改ざん"), "{broken}");
    raw.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE audit_log SET actor = 'admin' WHERE id = {target_id}"
    )))
    .await
    .unwrap();
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    // Deleting a record breaks the link of the one after it.
    raw.execute(sqlx::AssertSqlSafe(format!(
        "DELETE FROM audit_log WHERE id = {target_id}"
    )))
    .await
    .unwrap();
    let broken = store.verify_audit_chain().await.unwrap().unwrap_err();
    assert!(
        broken.id > target_id && broken.reason.contains("つながり"),
        "{broken}"
    );
    raw.close().await;
    store.close().await;
}

#[tokio::test]
async fn sqlite_story() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mamori.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    story(store, &format!("sqlite://{}", path.display())).await;
    // Reopening runs no migration twice and keeps the data.
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(store.is_set_up().await.unwrap());
    let mode: String = store_journal_mode(&path).await;
    assert_eq!(mode, "wal");
}

pub(crate) async fn store_journal_mode(path: &std::path::Path) -> String {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get::<String, _>(0)
        .unwrap()
}

#[tokio::test]
async fn postgres_story() {
    let Some((store, db)) = fresh_pg("the conformance story").await else {
        return;
    };
    story(store, &db.url).await;
    db.drop_db().await;
}
