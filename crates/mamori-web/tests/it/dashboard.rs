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
