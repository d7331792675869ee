//! The dashboard.

use crate::helpers::*;

#[tokio::test]
async fn dashboard_shows_the_age_of_the_last_backup() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let run = |hours_ago: i64, ok: bool, message: &str| mamori_store::BackupRun {
        at: now() - chrono::Duration::hours(hours_ago),
        ok,
        generation: format!("gen-{hours_ago}"),
        dir: "/backups".into(),
        message: message.into(),
    };
    app.store
        .record_backup_run(&run(240, true, ""))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(html.contains("（10日前）"), "{html}");
    assert!(html.contains("最後のバックアップから10日経っています"));
    app.store
        .record_backup_run(&run(3, true, ""))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        html.contains("id=\"backup-age\">令和7年6月1日 07:00（3時間前）"),
        "{html}"
    );
    assert!(html.contains("世代 gen-3"));
    assert!(!html.contains("id=\"backup-warning\""));
    app.store
        .record_backup_run(&run(1, false, "保存先に書き込めません"))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        html.contains("令和7年6月1日 09:00のバックアップに失敗しました：保存先に書き込めません")
    );
}

/// お知らせ: a いいえ whose 目標日 is 20 days away, an account ledger never reviewed, and the restore test
/// of a backup; on the dashboard (a count and the first few) and on its page, each with where to act.
#[tokio::test]
async fn reminders_name_what_is_due_and_where() {
    use axum::http::Method;
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(serde_json::json!([answer(
                "r7.facility.2.6",
                "no",
                "2025-05-20",
                Some("2025-06-21")
            )])),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let org = app
        .store
        .user_by_login("admin")
        .await
        .unwrap()
        .unwrap()
        .org_id;
    for (kind, pairs) in [
        (
            mamori_ledger::Kind::Accounts,
            vec![("user_id", "dr-sato"), ("status", "在職")],
        ),
        (
            mamori_ledger::Kind::Backups,
            vec![
                ("system", "電子カルテ"),
                ("restore_tested_on", "2024-03-01"),
            ],
        ),
    ] {
        let row: mamori_store::Fields = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        app.store
            .save_ledger_row(org, kind, None, &row, "admin", now())
            .await
            .unwrap();
    }
    let page = get(&app.router, "/reminders", &admin).await;
    assert_eq!(page.status.as_u16(), 200);
    let html = page.text();
    assert!(html.contains(r#"id="reminders-target_soon""#), "{html}");
    assert!(html.contains("目標日（令和7年6月21日）まであと20日です"));
    assert!(html.contains(r##"href="/checklists/r7/facility#row-r7-facility-2-6-"##));
    assert!(html.contains("見直し日の記録がありません"));
    assert!(html.contains("最後の復元の確認（令和6年3月1日）から1年を過ぎています"));
    assert!(
        html.contains("山田 太郎"),
        "the security officer is named as responsible"
    );
    let dash = get(&app.router, "/dashboard", &admin).await.text();
    assert!(dash.contains(r#"id="reminder-count""#));
}

/// One's mail settings: a wrong address is shown again with the reason; a kind unticked is stopped; an
/// empty address stops every mail.
#[tokio::test]
async fn mail_settings_are_ones_own() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    let page = get(&app.router, "/account/mail", &admin).await;
    assert_eq!(page.status.as_u16(), 200);
    let bad = send(
        &app.router,
        form_post(
            "/account/mail",
            &admin,
            "csrf=c&email=yamada%20at%20clinic&hour=8&kind=overdue",
        ),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.text().contains("の形式が正しくありません") && bad.text().contains("yamada at clinic")
    );
    assert!(app.store.mail_settings(user.id).await.unwrap().is_none());
    let ok = send(
        &app.router,
        form_post(
            "/account/mail",
            &admin,
            "csrf=c&email=yamada%40example.jp&hour=7&kind=target_soon&kind=second_round&kind=overdue",
        ),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200);
    let s = app.store.mail_settings(user.id).await.unwrap().unwrap();
    assert_eq!((s.email.as_str(), s.hour), ("yamada@example.jp", 7));
    assert!(
        s.off_kinds.contains(&"backup".to_string())
            && !s.off_kinds.contains(&"overdue".to_string())
    );
    send(
        &app.router,
        form_post("/account/mail", &admin, "csrf=c&email=&hour=7"),
    )
    .await;
    assert!(app.store.mail_settings(user.id).await.unwrap().is_none());
}
