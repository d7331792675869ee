//! The mail's stop link: without signing in, it asks first (a GET stops nothing), then stops that one kind
//! for the token's person, audited; a wrong or malformed token stops nothing and says so in Japanese.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_store::MailSettings;

use crate::helpers::*;

fn post(body: &str) -> Request<Body> {
    Request::post("/mail/stop")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_mail_link_stops_one_kind_after_asking() {
    let app = app().await;
    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    let settings = MailSettings {
        email: "admin@example.jp".into(),
        hour: 8,
        off_kinds: vec![],
    };
    app.store
        .save_mail_settings(&user, Some(&settings), now())
        .await
        .unwrap();
    let token = app.store.digest_recipients(8).await.unwrap()[0]
        .stop_token
        .clone();
    assert_eq!(token.len(), 32);
    // Saving again keeps the token (links in mails already sent keep working).
    app.store
        .save_mail_settings(&user, Some(&settings), now())
        .await
        .unwrap();
    assert_eq!(
        app.store.digest_recipients(8).await.unwrap()[0].stop_token,
        token
    );

    let ask = send(
        &app.router,
        Request::get(format!("/mail/stop?t={token}&kind=backup"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(
        ask.text()
            .contains("「バックアップ」のお知らせをメールで受け取らないようにします")
    );
    assert!(
        app.store
            .mail_settings(user.id)
            .await
            .unwrap()
            .unwrap()
            .off_kinds
            .is_empty(),
        "a GET stops nothing"
    );

    let bad = send(&app.router, post("t=zz&kind=backup")).await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(bad.text().contains("このリンクは使えません"));
    let wrong = send(
        &app.router,
        post(&format!("t={}&kind=backup", "0".repeat(32))),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let unknown = send(&app.router, post(&format!("t={token}&kind=nothing"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let done = send(&app.router, post(&format!("t={token}&kind=backup"))).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert!(done.text().contains("「バックアップ」のメールを止めました"));
    assert_eq!(
        app.store
            .mail_settings(user.id)
            .await
            .unwrap()
            .unwrap()
            .off_kinds,
        ["backup"]
    );
    let trail = app
        .store
        .history(user.org_id, Some("mail_settings"), None, 5)
        .await
        .unwrap();
    assert_eq!(trail[0].action, "stop");
}
