//! Many organisations in one database: members of several, the organisation a session works in, groups
//! and their roll-up, suspension, the operator's own accounts; and a single-clinic database of the
//! release before, upgraded in place with every row kept. On SQLite and on PostgreSQL.

use chrono::{Duration, NaiveDate};
use mamori_core::{Answer, Choice, OrgId, Role, Target, Variant};
use mamori_store::{Actor, NewToken, OrgKind, OrgStatus, Store, StoreError};

use crate::helpers::*;

async fn hosting_story(store: &Store) {
    let (a, a_admin) = store
        .set_up(
            &org(OrgKind::Clinic, "あおばクリニック"),
            &new_user("aoba"),
            at(),
        )
        .await
        .unwrap();
    let (b, _) = store
        .add_org(
            &org(OrgKind::Pharmacy, "ばんどう薬局"),
            &new_user("bando"),
            at(),
        )
        .await
        .unwrap();
    let (g, g_admin) = store
        .add_org(
            &org(OrgKind::Group, "医療法人 みどり会"),
            &new_user("jimucho"),
            at(),
        )
        .await
        .unwrap();
    let (v, _) = store
        .add_org(
            &org(OrgKind::Vendor, "カルテ商事"),
            &new_user("vendor-se"),
            at(),
        )
        .await
        .unwrap();

    // Groups hold facilities only, and only a group holds them.
    for f in [a.id, b.id] {
        store
            .set_org_group(f, Some(g.id), "ops", at())
            .await
            .unwrap();
    }
    let refused = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Conflict(_)));
    assert!(refused(
        store.set_org_group(g.id, Some(g.id), "ops", at()).await
    ));
    assert!(refused(
        store.set_org_group(a.id, Some(v.id), "ops", at()).await
    ));
    assert_eq!(store.org(a.id).await.unwrap().group_id, Some(g.id));

    // The group's 事務長 is let into both facilities, with a role in each.
    store
        .add_membership(a.id, "jimucho", Role::Admin, "aoba", at())
        .await
        .unwrap();
    store
        .add_membership(b.id, "jimucho", Role::Viewer, "bando", at())
        .await
        .unwrap();
    assert!(refused(
        store
            .add_membership(b.id, "jimucho", Role::Editor, "bando", at())
            .await
    ));
    let names: Vec<String> = store
        .memberships(g_admin.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.org.name)
        .collect();
    assert_eq!(
        names,
        ["医療法人 みどり会", "あおばクリニック", "ばんどう薬局"]
    );
    let logins: Vec<String> = store
        .users(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(logins, ["aoba", "jimucho"]);

    // A session works in one organisation at a time, with the role held there.
    store
        .create_session("s-g", g_admin.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    let in_org = |org_id: OrgId, role: Role| {
        move |s: Option<mamori_store::Session>| {
            let s = s.expect("live session");
            s.user.org_id == org_id && s.user.role == role
        }
    };
    assert!(in_org(g.id, Role::Admin)(
        store.session("s-g", at()).await.unwrap()
    ));
    store
        .switch_session_org("s-g", g_admin.id, b.id)
        .await
        .unwrap();
    assert!(in_org(b.id, Role::Viewer)(
        store.session("s-g", at()).await.unwrap()
    ));
    // Not a member of the vendor: refused, and the session stays where it was.
    assert!(matches!(
        store.switch_session_org("s-g", g_admin.id, v.id).await,
        Err(StoreError::NotFound(_))
    ));
    // Another user's session cannot be moved.
    assert!(
        store
            .switch_session_org("s-g", a_admin.id, a.id)
            .await
            .is_err()
    );
    assert!(in_org(b.id, Role::Viewer)(
        store.session("s-g", at()).await.unwrap()
    ));

    // A token is bound to the organisation it was made in, with at most the role held there.
    let in_b = store.session("s-g", at()).await.unwrap().unwrap().user;
    let token = |hash: &str, role| NewToken {
        hash: hash.into(),
        label: "連携".into(),
        role,
        expires_at: at() + Duration::days(30),
    };
    assert!(matches!(
        store
            .create_api_token(&in_b, &token("t-b-admin", Role::Admin), at())
            .await,
        Err(StoreError::TokenRole { .. })
    ));
    let t = store
        .create_api_token(&in_b, &token("t-b", Role::Viewer), at())
        .await
        .unwrap();
    let by_token = store.user_by_token("t-b", at()).await.unwrap().unwrap();
    assert_eq!((by_token.org_id, by_token.role), (b.id, Role::Viewer));
    assert_eq!(store.api_tokens(b.id).await.unwrap()[0].id, t);
    assert!(store.api_tokens(g.id).await.unwrap().is_empty());
    assert!(
        store
            .revoke_api_token(g.id, t, "jimucho", at())
            .await
            .is_err()
    );

    // The roll-up: figures per facility, overdue いいえ counted against the day given.
    let actor = Actor {
        user_id: a_admin.id,
        name: "aoba".into(),
    };
    let day = |d| NaiveDate::from_ymd_opt(2025, 5, d).unwrap();
    let answers = vec![
        Answer {
            item: "r7.facility.1.1".into(),
            target: Target::General,
            round: 1,
            answer: Choice::Yes,
            checked_on: day(20),
            target_date: None,
            note: String::new(),
        },
        Answer {
            item: "r7.facility.2.1".into(),
            target: Target::General,
            round: 1,
            answer: Choice::No,
            checked_on: day(21),
            target_date: Some(day(31)),
            note: String::new(),
        },
    ];
    store
        .save_answers(a.id, "r7", Variant::Facility, &actor, at(), |_| {
            Ok::<_, ()>(answers)
        })
        .await
        .unwrap()
        .unwrap();
    let rollup = store
        .group_facilities(g.id, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
        .await
        .unwrap();
    let figures: Vec<(&str, i64, i64, i64)> = rollup
        .iter()
        .map(|f| (f.org.name.as_str(), f.answers_yes, f.answers_no, f.overdue))
        .collect();
    assert_eq!(
        figures,
        [("あおばクリニック", 1, 1, 1), ("ばんどう薬局", 0, 0, 0)]
    );
    assert_eq!(rollup[0].last_checked.as_deref(), Some("2025-05-21"));
    assert!(
        store
            .group_facilities(a.id, day(1))
            .await
            .unwrap()
            .is_empty()
    );

    // The operator's overview: usage only.
    let overview = store.orgs_overview().await.unwrap();
    assert_eq!(overview.len(), 4);
    let aoba = overview.iter().find(|u| u.org.id == a.id).unwrap();
    assert_eq!((aoba.users, aoba.answers), (2, 2));
    assert!(aoba.last_activity.is_some());

    // Suspended: its sessions and tokens stop at once, it leaves the switcher, nothing is deleted.
    store
        .set_org_status(b.id, OrgStatus::Suspended, "運用管理者 ops", at())
        .await
        .unwrap();
    assert!(store.session("s-g", at()).await.unwrap().is_none());
    assert!(store.user_by_token("t-b", at()).await.unwrap().is_none());
    assert_eq!(store.memberships(g_admin.id).await.unwrap().len(), 2);
    assert!(
        store
            .switch_session_org("s-g", g_admin.id, b.id)
            .await
            .is_err()
    );
    store
        .switch_session_org("s-g", g_admin.id, g.id)
        .await
        .unwrap();
    assert!(in_org(g.id, Role::Admin)(
        store.session("s-g", at()).await.unwrap()
    ));
    store
        .set_org_status(b.id, OrgStatus::Active, "運用管理者 ops", at())
        .await
        .unwrap();
    assert!(store.user_by_token("t-b", at()).await.unwrap().is_some());
    let audit = store.history(b.id, Some("org"), None, 10).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "suspended"), "{audit:?}");

    // A vendor's products: only a vendor has them; another organisation's are not found.
    let karte = mamori_store::ProductFields {
        name: " カルテ太郎 ".into(),
        version: "5.2".into(),
        kind: "電子カルテ".into(),
        remote_maintenance: "VPN".into(),
    };
    assert!(karte.problems().is_empty());
    assert_eq!(
        mamori_store::ProductFields::default().problems()[0],
        ("name", "製品名を入力してください".to_string())
    );
    let p = store
        .save_product(v.id, None, &karte, "vendor-se", at())
        .await
        .unwrap();
    assert_eq!(store.product(v.id, p).await.unwrap().name, "カルテ太郎");
    let newer = mamori_store::ProductFields {
        version: "6.0".into(),
        ..karte.clone()
    };
    store
        .save_product(v.id, Some(p), &newer, "vendor-se", at())
        .await
        .unwrap();
    assert_eq!(store.products(v.id).await.unwrap()[0].version, "6.0");
    assert!(matches!(
        store.product(a.id, p).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(refused(
        store
            .save_product(a.id, None, &karte, "aoba", at())
            .await
            .map(|_| ())
    ));
    assert!(matches!(
        store
            .save_product(b.id, Some(p), &karte, "bando", at())
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_product_disabled(v.id, p, true, "vendor-se", at())
        .await
        .unwrap();
    assert!(store.products(v.id).await.unwrap()[0].disabled);
    assert!(
        store
            .set_product_disabled(a.id, p, true, "aoba", at())
            .await
            .is_err()
    );

    // Operators: accounts apart from users, sessions of their own, lockout held in the database.
    let op = store
        .add_operator("ops", "運用 太郎", "$argon2id$dummy", at())
        .await
        .unwrap();
    assert!(matches!(
        store.add_operator("ops", "二人目", "x", at()).await,
        Err(StoreError::LoginTaken(_))
    ));
    assert!(store.user_by_login("ops").await.unwrap().is_none());
    store
        .create_operator_session("o-1", op.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    assert_eq!(
        store
            .operator_session("o-1", at())
            .await
            .unwrap()
            .unwrap()
            .operator
            .login,
        "ops"
    );
    // An operator's session token is no user's session.
    assert!(store.session("o-1", at()).await.unwrap().is_none());
    for _ in 0..mamori_store::LOCKOUT_FAILURES {
        store
            .record_operator_sign_in(op.id, false, at())
            .await
            .unwrap();
    }
    assert!(
        store
            .operator_locked_until(op.id, at())
            .await
            .unwrap()
            .is_some()
    );
    store.delete_operator_session("o-1").await.unwrap();

    // Failed sign-ins under a key are shared by every instance: counted in a window, locked on the
    // count asked for, a new window after the old one.
    let since = at() - Duration::minutes(1);
    for _ in 0..2 {
        assert_eq!(
            store
                .throttle_failure("ip:10.0.0.1", since, at(), None)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        store
            .throttle_state("ip:10.0.0.1", since, at())
            .await
            .unwrap(),
        (2, None)
    );
    let later = at() + Duration::minutes(2);
    assert_eq!(
        store
            .throttle_state("ip:10.0.0.1", later - Duration::minutes(1), later)
            .await
            .unwrap(),
        (0, None)
    );
    let until = at() + Duration::minutes(15);
    assert_eq!(
        store
            .throttle_failure("name:ghost", since, at(), Some((1, until)))
            .await
            .unwrap(),
        Some(until)
    );
    assert_eq!(
        store
            .throttle_state("name:ghost", since, at())
            .await
            .unwrap()
            .1,
        Some(until)
    );
    assert!(store.operator_session("o-1", at()).await.unwrap().is_none());
}

/// A job runs on one instance at a time: on PostgreSQL a second run while the first holds the lock is
/// left to it; a SQLite file's one server runs each.
async fn one_instance_runs_each_job(store: &Store, postgres: bool) {
    let nested = store
        .run_exclusive("test-job", async {
            store.run_exclusive("test-job", async { 2 }).await.unwrap()
        })
        .await
        .unwrap();
    assert_eq!(nested, Some(if postgres { None } else { Some(2) }));
    // Released after the run.
    assert_eq!(
        store.run_exclusive("test-job", async { 3 }).await.unwrap(),
        Some(3)
    );
}

#[tokio::test]
async fn sqlite_hosting() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    hosting_story(&store).await;
    one_instance_runs_each_job(&store, false).await;
}

#[tokio::test]
async fn postgres_hosting() {
    let Some((store, db)) = fresh_pg("the hosting story").await else {
        return;
    };
    hosting_story(&store).await;
    one_instance_runs_each_job(&store, true).await;
    drop_pg(store, db).await;
}

/// The fixture was made by the release before hosting (tests/fixtures/README.md says how).
#[tokio::test]
async fn a_single_clinic_database_upgrades_in_place_keeping_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/single-clinic-before-hosting.db"
        ),
        &path,
    )
    .unwrap();
    let counts = |path: std::path::PathBuf| async move {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mut out = Vec::new();
        for table in [
            "orgs",
            "users",
            "api_tokens",
            "answers",
            "ledger_rows",
            "audit_log",
        ] {
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            out.push((table, n));
        }
        pool.close().await;
        out
    };
    let before = counts(path.clone()).await;
    assert_eq!(
        before,
        [
            ("orgs", 1),
            ("users", 2),
            ("api_tokens", 1),
            ("answers", 3),
            ("ledger_rows", 233),
            ("audit_log", 240)
        ]
    );
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    let org_id = store.first_org_id().await.unwrap().unwrap();
    let org = store.org(org_id).await.unwrap();
    assert_eq!(
        (org.name.as_str(), org.status),
        ("くすのきクリニック", OrgStatus::Active)
    );
    // Each user is a member of the clinic with the role they had; the token still works, bound to it.
    let roles: Vec<(String, Role)> = store
        .users(org_id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.login, u.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("admin".to_string(), Role::Admin),
            ("editor".to_string(), Role::Editor)
        ]
    );
    let token = "5441bd376ead23f3875758acf641e0ab8bf9001d4bee56dd0ff14dd913ad6d7e";
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    // Four days after the fixture was made: the token (90 days) is live.
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-10T00:00:00Z")
        .unwrap()
        .to_utc();
    let by_token = store.user_by_token(&hash, now).await.unwrap().unwrap();
    assert_eq!((by_token.org_id, by_token.role), (org_id, Role::Admin));
    let answers = store
        .answers(org_id, "r7", Variant::Facility)
        .await
        .unwrap();
    assert_eq!(answers.len(), 3);
    store.close().await;
    assert_eq!(counts(path).await, before);
}

/// The fixture clinic exported and imported into `target`: every row arrives, the users sign in with the
/// same password hash, the audit trail is appended to the target's chain, and a login in use is refused.
async fn export_and_import_into(target: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/single-clinic-before-hosting.db"
        ),
        &path,
    )
    .unwrap();
    let source = Store::open(path.to_str().unwrap()).await.unwrap();
    let org_id = source.first_org_id().await.unwrap().unwrap();
    let doc = source.export_org(org_id, at()).await.unwrap();
    // Through text, as a file would carry it.
    let doc: serde_json::Value = serde_json::from_str(&doc.to_string()).unwrap();
    assert_eq!(doc["format"], "mamori-org-export");
    assert!(
        doc.to_string().find("5441bd37").is_none(),
        "no token is carried"
    );

    // The target already hosts one clinic with its own ids.
    target
        .set_up(&new_org("先にいる医院", true), &new_user("first"), at())
        .await
        .unwrap();
    let imported = target
        .import_org(&doc, "運用管理者 ops", at())
        .await
        .unwrap();
    let counts: std::collections::HashMap<String, usize> = imported.counts.into_iter().collect();
    assert_eq!(counts["users"], 2);
    assert_eq!(counts["answers"], 3);
    assert_eq!(counts["ledger_rows"], 233);
    assert_eq!(counts["audit_log"], 240);
    let new_id = imported.org.id;
    assert_eq!(imported.org.name, "くすのきクリニック");
    let answers = target
        .answers(new_id, "r7", Variant::Facility)
        .await
        .unwrap();
    assert_eq!(
        answers,
        source
            .answers(org_id, "r7", Variant::Facility)
            .await
            .unwrap()
    );
    assert_eq!(
        target
            .ledger_all(new_id, mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .len(),
        200
    );
    let admin = target.user_by_login("admin").await.unwrap().unwrap();
    let before = source.user_by_login("admin").await.unwrap().unwrap();
    assert_eq!(
        (admin.org_id, admin.password_hash),
        (new_id, before.password_hash)
    );
    assert_eq!(target.users(new_id).await.unwrap().len(), 2);
    assert!(target.verify_audit_chain().await.unwrap().is_ok());
    let trail = target.history(new_id, None, None, 1000).await.unwrap();
    assert_eq!(trail.len(), 241, "the trail and the record of the import");
    // The same file again: its logins are taken now.
    let err = target.import_org(&doc, "ops", at()).await.unwrap_err();
    assert!(err.to_string().contains("admin"), "{err}");
    let bad = serde_json::json!({"format": "something else"});
    assert!(target.import_org(&bad, "ops", at()).await.is_err());
    source.close().await;
}

#[tokio::test]
async fn an_organisation_moves_to_another_sqlite_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let target = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    export_and_import_into(&target).await;
}

#[tokio::test]
async fn an_organisation_moves_to_a_postgres_deployment() {
    let Some((store, db)) = fresh_pg("the organisation export and import").await else {
        return;
    };
    export_and_import_into(&store).await;
    drop_pg(store, db).await;
}
