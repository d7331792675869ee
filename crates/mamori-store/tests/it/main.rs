//! Conformance suite: the same story against SQLite (always) and PostgreSQL (when `MAMORI_TEST_PG_URL`
//! names a server where the test may create databases; CI sets it and fails if it cannot connect).

mod backup;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mamori_core::Role;
use mamori_core::{
    AnswerInput, AnswerSet, Catalog, Choice, FiscalYear, RuleContext, Target, Variant,
};
use mamori_store::{Actor, NewOrg, NewToken, NewUser, OrgKind, Store, StoreError};

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

fn new_org(name: &str, vendor: bool) -> NewOrg {
    NewOrg {
        kind: OrgKind::Clinic,
        name: name.into(),
        security_officer: "山田 太郎".into(),
        has_vendor_contract: vendor,
    }
}

fn new_user(login: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("{login} さん"),
        password_hash: "$argon2id$dummy".into(),
        role: Role::Admin,
    }
}

fn input(item: &str, target: &str, answer: &str, target_date: Option<&str>) -> AnswerInput {
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

async fn story(store: Store, url: &str) {
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

fn fields(pairs: &[(&str, &str)]) -> mamori_store::Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Ledgers: import merges by identity, search and sort page on the server, edits and disabling are audited,
/// and another organisation sees none of it.
/// Issue 23 (7): revoking tokens, disabling users, resetting passwords, ending sessions; another
/// organisation's users and tokens cannot be touched.
async fn access_story(store: &Store, org_id: i64, other_id: i64) {
    let user = store
        .add_user(
            org_id,
            &NewUser {
                role: Role::Editor,
                ..new_user("leaver")
            },
            "admin",
            at(),
        )
        .await
        .unwrap();
    store
        .create_session("s-leaver", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    let token = NewToken {
        hash: "t-leaver".into(),
        label: "連携".into(),
        role: Role::Editor,
        expires_at: at() + Duration::days(30),
    };
    let token_id = store.create_api_token(&user, &token, at()).await.unwrap();
    assert!(store.session("s-leaver", at()).await.unwrap().is_some());
    // Disabled: the session and the token stop at once.
    store
        .set_user_disabled(org_id, "leaver", true, "admin", at())
        .await
        .unwrap();
    assert!(store.session("s-leaver", at()).await.unwrap().is_none());
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.disabled_users(org_id).await.unwrap(), ["leaver"]);
    assert!(store.user_disabled(user.id).await.unwrap());
    // Enabled again: the token works; revoked: it stops for good.
    store
        .set_user_disabled(org_id, "leaver", false, "admin", at())
        .await
        .unwrap();
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_some()
    );
    let listed = store.api_tokens(org_id).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.id == token_id && t.user_login == "leaver" && t.revoked_at.is_none())
    );
    assert!(matches!(
        store
            .revoke_api_token(other_id, token_id, "mallory", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .revoke_api_token(org_id, token_id, "admin", at())
        .await
        .unwrap();
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .api_tokens(other_id)
            .await
            .unwrap()
            .iter()
            .all(|t| t.id != token_id)
    );
    // A password reset ends sessions; so does signing out everywhere.
    store
        .create_session("s-leaver2", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    store
        .reset_password(org_id, "leaver", "new-hash", "admin", at())
        .await
        .unwrap();
    assert!(store.session("s-leaver2", at()).await.unwrap().is_none());
    assert_eq!(
        store
            .user_by_login("leaver")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    store
        .create_session("s-leaver3", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    assert_eq!(
        store
            .sign_out_everywhere(org_id, "leaver", "admin", at())
            .await
            .unwrap(),
        1
    );
    assert!(store.session("s-leaver3", at()).await.unwrap().is_none());
    // Another organisation's user cannot be disabled from here; nor oneself, nor the last administrator.
    assert!(
        store
            .set_user_disabled(other_id, "leaver", true, "admin", at())
            .await
            .is_err()
    );
    assert!(
        store
            .set_user_disabled(org_id, "admin", true, "admin", at())
            .await
            .is_err()
    );
    assert!(matches!(
        store
            .set_user_disabled(org_id, "admin", true, "someone", at())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let actions: Vec<String> = store
        .history(org_id, Some("user"), Some(&user.id.to_string()), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    for a in ["disable", "enable", "password_reset", "sign_out_everywhere"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}

async fn ledger_story(store: &Store, org_id: i64) {
    use mamori_store::LedgerQuery;
    let identity = ["system", "user_id"];
    let rows: Vec<_> = (0..30)
        .map(|i| {
            fields(&[
                ("system", "電子カルテ"),
                ("user_id", &format!("u{i:02}")),
                ("family_name", if i % 2 == 0 { "山田" } else { "佐藤" }),
                ("status", "使用可"),
            ])
        })
        .collect();
    let counts = store
        .import_ledger(org_id, "accounts", &identity, &rows, "admin", at())
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (30, 0, 0));
    // The same file again with one change: one update, the rest unchanged, nothing added.
    let mut again = rows.clone();
    again[3].insert("status".into(), "無効".into());
    let version = store.ledger_version(org_id).await.unwrap();
    let counts = store
        .import_ledger(org_id, "accounts", &identity, &again, "admin", at())
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (0, 1, 29));
    assert_eq!(store.ledger_version(org_id).await.unwrap(), version + 1);
    store
        .import_ledger(org_id, "accounts", &identity, &again, "admin", at())
        .await
        .unwrap();
    assert_eq!(
        store.ledger_version(org_id).await.unwrap(),
        version + 1,
        "an import that changes nothing keeps the version"
    );

    let q = |search: &str, sort: &str, descending: bool| LedgerQuery {
        search: search.into(),
        sort: sort.into(),
        descending,
        filters: Vec::new(),
        include_disabled: false,
        offset: 0,
        limit: 10,
    };
    let (page, total) = store
        .ledger_page(org_id, "accounts", &q("山田", "", false))
        .await
        .unwrap();
    assert_eq!((page.len(), total), (10, 15));
    // Issue 23 (3): an import over STAGED_ABOVE rows goes through the staging table: the same counts,
    // every row audited, the chain still verifies, nothing left staged; then part of it updated.
    let big: Vec<_> = (0..mamori_store::ledger::STAGED_ABOVE + 500)
        .map(|i| fields(&[("system", "staged"), ("name", &format!("PC-{i:05}"))]))
        .collect();
    let counts = store
        .import_ledger(org_id, "backups", &["system", "name"], &big, "admin", at())
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated), (big.len(), 0));
    let mut changed = big.clone();
    for r in changed.iter_mut().step_by(2) {
        r.insert("location".into(), "外来".into());
    }
    let counts = store
        .import_ledger(
            org_id,
            "backups",
            &["system", "name"],
            &changed,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        (counts.added, counts.updated, counts.unchanged),
        (0, 1250, 1250)
    );
    let stored = store.ledger_all(org_id, "backups").await.unwrap();
    assert_eq!(stored.len(), big.len());
    assert_eq!(
        stored
            .iter()
            .filter(|r| r.data.contains_key("location"))
            .count(),
        1250
    );
    assert!(
        store.verify_audit_chain().await.unwrap().is_ok(),
        "the chain with two import blocks"
    );
    let (page, total) = store
        .ledger_page(org_id, "backups", &q("pc-00042", "", false))
        .await
        .unwrap();
    assert_eq!(
        (page.len(), total),
        (1, 1),
        "search columns written by the staged path"
    );
    // Issue 23 (4): `_` and `%` are matched literally, not as wildcards nor stripped.
    let odd: Vec<_> = ["t_yamada", "tXyamada", "50%off", "a\\b"]
        .iter()
        .map(|u| fields(&[("name", u)]))
        .collect();
    store
        .import_ledger(org_id, "vendors", &["name"], &odd, "admin", at())
        .await
        .unwrap();
    for (needle, found) in [
        ("t_yamada", 1),
        ("t_", 1),
        ("50%", 1),
        ("%", 1),
        ("_", 1),
        ("a\\b", 1),
    ] {
        let (_, total) = store
            .ledger_page(org_id, "vendors", &q(needle, "", false))
            .await
            .unwrap();
        assert_eq!(total, found, "search {needle:?}");
    }
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    let (page, _) = store
        .ledger_page(org_id, "accounts", &q("", "user_id", true))
        .await
        .unwrap();
    assert_eq!(page[0].data["user_id"], "u29");
    // Sorted by a list column (its sortable copy) and by another field (the JSON): the same order rules,
    // rows without the field last either way.
    let (page, _) = store
        .ledger_page(org_id, "accounts", &q("", "family_name", false))
        .await
        .unwrap();
    assert_eq!(page[0].data["family_name"], "佐藤");
    let (page, _) = store
        .ledger_page(org_id, "accounts", &q("", "family_name", true))
        .await
        .unwrap();
    assert_eq!(page[0].data["family_name"], "山田");
    let (page, _) = store
        .ledger_page(org_id, "accounts", &q("", "end_date", false))
        .await
        .unwrap();
    assert_eq!(page.len(), 10, "rows without the field still come");
    // Filtered by a list column's value.
    let (page, total) = store
        .ledger_page(
            org_id,
            "accounts",
            &LedgerQuery {
                filters: vec![("status".into(), "無効".into())],
                ..q("", "", false)
            },
        )
        .await
        .unwrap();
    assert_eq!((total, page[0].data["user_id"].as_str()), (1, "u03"));
    let (_, total) = store
        .ledger_page(
            org_id,
            "accounts",
            &LedgerQuery {
                filters: vec![
                    ("status".into(), "使用可".into()),
                    ("family_name".into(), "山田".into()),
                ],
                ..q("", "", false)
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 15, "status 使用可 (29) and 山田 (15): u03 is 佐藤");
    let (page, total) = store
        .ledger_page(org_id, "accounts", &q("無効 u03", "", false))
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 1));
    let id = page[0].id;

    let before_edit = store.ledger_version(org_id).await.unwrap();
    let mut edited = page[0].data.clone();
    edited.insert("end_date".into(), "2025-03-31".into());
    store
        .save_ledger_row(org_id, "accounts", Some(id), &edited, "admin", at())
        .await
        .unwrap();
    store
        .set_ledger_row_disabled(org_id, "accounts", id, true, "admin", at())
        .await
        .unwrap();
    let (_, total) = store
        .ledger_page(org_id, "accounts", &q("", "", false))
        .await
        .unwrap();
    assert_eq!(total, 29, "disabled rows are hidden unless asked for");
    // A reader that last looked before the edit gets just that row, now disabled; one that looked
    // before any import gets every row.
    let now = store.ledger_version(org_id).await.unwrap();
    assert_eq!(now, before_edit + 2);
    let changed = store
        .ledger_facts(org_id, "accounts", before_edit, now)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    let (changed_id, disabled, facts) = &changed[0];
    assert_eq!((*changed_id, *disabled), (id, true));
    assert_eq!(
        facts,
        &fields(&[("end_date", "2025-03-31"), ("status", "無効")]),
        "just the fields the evidence reads"
    );
    assert!(
        store
            .ledger_facts(org_id, "accounts", now, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .ledger_facts(org_id, "accounts", -1, now)
            .await
            .unwrap()
            .len(),
        30
    );
    assert!(
        store
            .ledger_facts(org_id, "devices", -1, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .ledger_row(org_id, "accounts", id)
            .await
            .unwrap()
            .disabled
    );
    let history = store
        .history(org_id, Some("ledger"), Some(&format!("accounts/{id}")), 10)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.action.as_str())
            .collect::<Vec<_>>(),
        ["disable", "update", "import", "import"]
    );

    // Another organisation: empty lists, and no way to touch the first one's rows.
    let (other, _) = store
        .add_org(&new_org("別の薬局", false), &new_user("other-admin"), at())
        .await
        .unwrap();
    let (page, total) = store
        .ledger_page(other.id, "accounts", &q("", "", false))
        .await
        .unwrap();
    assert!(page.is_empty() && total == 0);
    assert!(
        store
            .ledger_all(other.id, "accounts")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.ledger_row(other.id, "accounts", id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .save_ledger_row(other.id, "accounts", Some(id), &edited, "x", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .set_ledger_row_disabled(other.id, "accounts", id, false, "x", at())
            .await
            .is_err()
    );
    assert_eq!(
        store.ledger_all(org_id, "accounts").await.unwrap().len(),
        30
    );

    // A vendor's 事業者確認用: saved per vendor row and edition, replaced on a second save, audited; only
    // for the organisation's own vendors.
    let vendor = store
        .save_ledger_row(
            org_id,
            "vendors",
            None,
            &fields(&[("name", "A社")]),
            "admin",
            at(),
        )
        .await
        .unwrap();
    let answer = |choice| mamori_core::Answer {
        item: "r7.vendor.2.3".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: choice,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    };
    for choice in [mamori_core::Choice::No, mamori_core::Choice::Yes] {
        store
            .save_vendor_form(org_id, vendor, "r7", &[answer(choice)], "admin", at())
            .await
            .unwrap();
    }
    let forms = store.vendor_forms(org_id, "r7").await.unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].answers, [answer(mamori_core::Choice::Yes)]);
    assert!(store.vendor_forms(org_id, "r6").await.unwrap().is_empty());
    let trail = store
        .history(
            org_id,
            Some("vendor_form"),
            Some(&format!("{vendor}/r7")),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        trail.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(),
        ["update", "create"]
    );
    assert!(matches!(
        store
            .save_vendor_form(other.id, vendor, "r7", &[], "x", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.vendor_forms(other.id, "r7").await.unwrap().is_empty());
    assert!(matches!(
        store
            .save_vendor_form(org_id, id, "r7", &[], "x", at())
            .await,
        Err(StoreError::NotFound(_)),
    ));
}

/// Enrolment, agents' credentials, inventories' history, the review queue: within the organisation.
async fn agent_story(store: &Store, org_id: i64) {
    let later = at() + chrono::Duration::days(7);
    store
        .create_enrollment(org_id, "h-enroll", "受付PC", "admin", at(), later)
        .await
        .unwrap();
    assert_eq!(store.enrollments(org_id).await.unwrap()[0].label, "受付PC");
    // Unknown or expired enrolment tokens enrol nobody.
    assert!(
        store
            .enroll_agent("h-nope", "h-a0", "PC", "m1", at())
            .await
            .unwrap()
            .is_none()
    );
    let late = later + chrono::Duration::seconds(1);
    assert!(
        store
            .enroll_agent("h-enroll", "h-a0", "PC", "m1", late)
            .await
            .unwrap()
            .is_none()
    );
    let first = store
        .enroll_agent("h-enroll", "h-a1", "PC-01", "m1", at())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.org_id, org_id);
    let seen = store.agent_by_token("h-a1", later).await.unwrap().unwrap();
    assert_eq!(seen.last_seen.as_deref(), Some("2025-06-08T01:00:00Z"));
    // The same machine enrolled again: the old credential is revoked.
    store
        .enroll_agent("h-enroll", "h-a2", "PC-01", "m1", at())
        .await
        .unwrap()
        .unwrap();
    assert!(store.agent_by_token("h-a1", at()).await.unwrap().is_none());
    assert!(store.agent_by_token("h-a2", at()).await.unwrap().is_some());
    let agents = store.agents(org_id).await.unwrap();
    assert_eq!(
        (agents.len(), agents[0].revoked, agents[1].revoked),
        (2, false, true)
    );

    let device = store
        .save_inventory(
            org_id,
            None,
            &fields(&[("device_kind", "端末PC"), ("computer_name", "PC-01")]),
            &["登録".into()],
            "agent:PC-01",
            at(),
        )
        .await
        .unwrap();
    store
        .save_inventory(
            org_id,
            Some(device),
            &fields(&[
                ("device_kind", "端末PC"),
                ("computer_name", "PC-01"),
                ("os", "Windows 11"),
            ]),
            &[],
            "agent:PC-01",
            at(),
        )
        .await
        .unwrap();
    let h = store.inventory_history(org_id, device).await.unwrap();
    assert_eq!(h.len(), 1, "a write without changes adds no history line");
    assert_eq!(
        (h[0].source.as_str(), h[0].changes.as_slice()),
        ("agent:PC-01", &["登録".to_string()][..])
    );
    assert_eq!(
        store
            .ledger_row(org_id, "devices", device)
            .await
            .unwrap()
            .data["os"],
        "Windows 11"
    );
    assert!(
        store
            .inventory_history(org_id + 1, device)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .update_ledger_rows(
            org_id,
            "devices",
            &[(
                device,
                fields(&[("device_kind", "端末PC"), ("computer_name", "PC-02")]),
            )],
            "mamori",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .ledger_row(org_id, "devices", device)
            .await
            .unwrap()
            .data["computer_name"],
        "PC-02"
    );

    let review = store
        .add_inventory_review(org_id, "agent:PC-01", "{}", "[]", "2台", at())
        .await
        .unwrap();
    assert!(
        store.inventory_review(org_id + 1, review).await.is_err(),
        "another organisation's"
    );
    store
        .resolve_inventory_review(org_id, review, "破棄", "admin", at())
        .await
        .unwrap();
    assert!(matches!(
        store
            .resolve_inventory_review(org_id, review, "破棄", "admin", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    let r = store.inventory_review(org_id, review).await.unwrap();
    assert_eq!(
        (r.resolution.as_deref(), r.resolved_by.as_deref()),
        (Some("破棄"), Some("admin"))
    );
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

async fn store_journal_mode(path: &std::path::Path) -> String {
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
    let Ok(base) = std::env::var("MAMORI_TEST_PG_URL") else {
        eprintln!(
            "SKIP: MAMORI_TEST_PG_URL is not set; the PostgreSQL conformance story did not run"
        );
        return;
    };
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .expect("MAMORI_TEST_PG_URL is set but PostgreSQL is unreachable");
    let name = format!(
        "mamori_test_{}_{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) if i > base.find("://").unwrap() + 2 => format!("{}/{name}", &base[..i]),
        _ => format!("{base}/{name}"),
    };
    let store = Store::open(&url).await.unwrap();
    story(store, &url).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .await
        .unwrap();
}

/// Imported editions: pending, confirmed (one per edition, the older replaced), discarded; the workbook
/// kept byte for byte; nothing seen from another organisation.
async fn edition_story(store: &Store, org_id: i64, other_id: i64) {
    let book: Vec<u8> = (0..=255u8).cycle().take(30_000).collect();
    let id = store
        .create_edition_import(
            org_id,
            "r8",
            2026,
            r#"{"forms":[],"links":[]}"#,
            r#"[{"name":"001716187.xlsx"}]"#,
            &[("merged".into(), book.clone())],
            "admin",
            at(),
        )
        .await
        .unwrap();
    let imp = store.edition_import(org_id, id).await.unwrap().unwrap();
    assert_eq!((imp.status.as_str(), imp.fiscal_year), ("pending", 2026));
    assert!(store.confirmed_editions(org_id).await.unwrap().is_empty());
    assert_eq!(store.editions_version(org_id).await.unwrap(), 0);
    // Another organisation sees nothing of it and cannot confirm it.
    assert!(store.edition_import(other_id, id).await.unwrap().is_none());
    assert!(
        store
            .edition_workbook(other_id, id, "merged")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .confirm_edition_import(other_id, id, "{}", "other", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .confirm_edition_import(org_id, id, r#"{"links":[["a","b"]]}"#, "admin", at())
        .await
        .unwrap();
    let confirmed = store.confirmed_editions(org_id).await.unwrap();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].data, r#"{"links":[["a","b"]]}"#);
    assert_eq!(confirmed[0].confirmed_by.as_deref(), Some("admin"));
    assert_eq!(store.editions_version(org_id).await.unwrap(), id);
    assert_eq!(
        store.edition_workbook(org_id, id, "merged").await.unwrap(),
        Some(book)
    );
    // Confirming twice is refused; a second import of the same edition replaces the first.
    assert!(
        store
            .confirm_edition_import(org_id, id, "{}", "admin", at())
            .await
            .is_err()
    );
    let id2 = store
        .create_edition_import(org_id, "r8", 2026, "{}", "[]", &[], "admin", at())
        .await
        .unwrap();
    store
        .confirm_edition_import(org_id, id2, "{}", "admin", at())
        .await
        .unwrap();
    let confirmed = store.confirmed_editions(org_id).await.unwrap();
    assert_eq!(confirmed.iter().map(|c| c.id).collect::<Vec<_>>(), [id2]);
    assert_eq!(
        store
            .edition_import(org_id, id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "replaced"
    );
    let id3 = store
        .create_edition_import(org_id, "r9", 2027, "{}", "[]", &[], "admin", at())
        .await
        .unwrap();
    store
        .discard_edition_import(org_id, id3, "admin", at())
        .await
        .unwrap();
    assert_eq!(store.edition_imports(org_id).await.unwrap().len(), 3);
    assert!(store.edition_imports(other_id).await.unwrap().is_empty());
    let trail = store
        .history(org_id, Some("edition_import"), None, 10)
        .await
        .unwrap();
    assert_eq!(
        trail.len(),
        6,
        "create, confirm, create, confirm, create, discard"
    );
}
