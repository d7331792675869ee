//! The audit trail page.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn audit_trail_page_filters_pages_and_checks_the_chain() {
    let app = app().await;
    let org_id = app.store.first_org_id().await.unwrap().unwrap();
    for (i, item) in ["1.1", "2.1", "3.1"].iter().enumerate() {
        let r = app
            .api(
                Method::PUT,
                ANSWERS,
                Some(json!([answer(
                    &format!("r7.facility.{item}"),
                    "yes",
                    &format!("2025-05-2{i}"),
                    None
                )])),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let admin = session_for(&app.store, "admin", "c").await;
    let html = get(&app.router, "/history", &admin).await.text();
    let all = html.matches("<tr><td>").count();
    assert!(all >= 5);
    assert!(html.contains(&format!(
        "id=\"chain-status\">監査記録の連鎖を確認しました：{all} 件"
    )));
    assert!(
        html.contains("<option value=\"settings\"")
            || html.contains("<option value=\"answer\">チェックリストの回答</option>")
    );

    // By kind: only answers; by person; by a JST day range that excludes everything.
    let html = get(&app.router, "/history?entity=answer", &admin)
        .await
        .text();
    assert_eq!(html.matches("<tr><td>").count(), 3, "{html}");
    let html = get(&app.router, "/history?entity=org", &admin).await.text();
    assert_eq!(html.matches("<tr><td>").count(), 1);
    let html = get(&app.router, "/history?actor=nobody", &admin)
        .await
        .text();
    assert!(html.contains("該当する記録はありません"));
    let html = get(
        &app.router,
        "/history?from=2025-06-01&to=2025-06-01",
        &admin,
    )
    .await
    .text();
    assert_eq!(
        html.matches("<tr><td>").count(),
        all,
        "every record is of 6/1 JST"
    );
    let html = get(&app.router, "/history?from=2025-06-02", &admin)
        .await
        .text();
    assert!(html.contains("該当する記録はありません"));
    let r = get(&app.router, "/history?from=6%2F1", &admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("日付「6/1」を読み取れません"));

    // Paging: 205 more records; the first page holds 200 and links to the rest.
    for i in 0..205 {
        app.store
            .record_event(org_id, "admin", now(), "session", &i.to_string(), "login")
            .await
            .unwrap();
    }
    let html = get(&app.router, "/history?entity=session", &admin)
        .await
        .text();
    assert_eq!(html.matches("<tr><td>").count(), 200);
    let start = html.find("href=\"/history?").unwrap() + 6;
    let next = html[start..start + html[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let html = get(&app.router, &next, &admin).await.text();
    assert_eq!(html.matches("<tr><td>").count(), 5, "{next}");
    assert!(!html.contains("id=\"older\""));
}
