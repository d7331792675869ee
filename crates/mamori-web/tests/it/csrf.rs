//! Every signed-in form and upload carries the session's CSRF token, checked by the extractor before
//! the handler runs: an upload's token must come first, before any file is read.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::helpers::{app, form_post, multipart_file, send, session_for};

#[tokio::test]
async fn forms_and_uploads_without_the_sessions_token_are_refused_and_change_nothing() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let csv = "No.,所属部署,姓,名,ユーザID,状態,退職日\r\n1,医事課,山田,花子,yamada,使用可,\r\n";

    // The token after the file: refused before the file is read.
    let (_, good) = multipart_file("c", "利用者台帳.csv", csv.as_bytes());
    let file_first = format!(
        "--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n--B0undary--\r\n"
    );
    let (_, wrong) = multipart_file("x", "利用者台帳.csv", csv.as_bytes());
    for (body, status) in [
        (file_first.into_bytes(), StatusCode::FORBIDDEN),
        (wrong, StatusCode::FORBIDDEN),
        (good, StatusCode::OK),
    ] {
        let r = send(
            &app.router,
            Request::post("/ledgers/accounts/import")
                .header(header::COOKIE, &admin)
                .header(
                    header::CONTENT_TYPE,
                    "multipart/form-data; boundary=B0undary",
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, status, "{}", r.text());
        if status == StatusCode::FORBIDDEN {
            assert!(r.text().contains("もう一度"), "{}", r.text());
        }
    }

    // Forms: a missing or wrong token changes nothing; the right one saves.
    for (body, status) in [
        ("require_totp=on", StatusCode::FORBIDDEN),
        ("csrf=x&require_totp=on", StatusCode::FORBIDDEN),
        ("csrf=c&require_totp=on", StatusCode::SEE_OTHER),
    ] {
        let before = app
            .store
            .org(mamori_core::OrgId::new(1))
            .await
            .unwrap()
            .require_totp;
        let r = send(&app.router, form_post("/settings", &admin, body)).await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        let after = app
            .store
            .org(mamori_core::OrgId::new(1))
            .await
            .unwrap()
            .require_totp;
        assert_eq!(after, status == StatusCode::SEE_OTHER || before, "{body}");
    }
}
