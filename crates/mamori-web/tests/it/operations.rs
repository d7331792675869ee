//! Operations: `/readyz` says whether the schema is current, `/metrics` (on its own router) counts
//! requests by route and status with a latency histogram, and behind a proxy the sign-in rate limit
//! counts the client's address the proxy names.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mamori_core::{Catalog, Clock};
use mamori_web::AppState;

use crate::helpers::*;

#[tokio::test]
async fn readyz_and_metrics() {
    let app = app().await;
    let r = get(&app.router, "/readyz", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().starts_with("ready (schema "), "{}", r.text());
    assert_eq!(
        get(&app.router, "/ledgers/accounts/7", "").await.status,
        StatusCode::SEE_OTHER
    );
    let state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    let metrics = mamori_web::metrics::router(state);
    let r = send(
        &metrics,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    for line in [
        "mamori_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}",
        // Routes are patterns: the row id is not a label.
        "mamori_http_requests_total{method=\"GET\",route=\"/ledgers/{kind}/{id}\",status=\"303\"}",
        "mamori_http_request_duration_seconds_bucket{route=\"/readyz\",le=\"+Inf\"}",
        "mamori_db_pool_connections{state=\"open\"}",
        "mamori_job_runs_total{outcome=\"ok\"}",
    ] {
        assert!(text.contains(line), "{line} missing in:\n{text}");
    }
    assert!(!text.contains("/ledgers/accounts/7"));
    // The public router has no /metrics.
    assert_eq!(
        get(&app.router, "/metrics", "").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn behind_a_proxy_the_rate_limit_counts_the_address_it_names() {
    let app = app().await;
    let mut state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    state.trust_proxy = true;
    let router = mamori_web::router(state);
    let attempt = |ip: &'static str| {
        let router = router.clone();
        async move {
            let page = send(&router, Request::get("/login").body(Body::empty()).unwrap()).await;
            let csrf = form_field(&page.text(), "csrf");
            let mut req = form_post(
                "/login",
                &format!("mamori_pre={csrf}"),
                &format!("csrf={csrf}&login=nobody-{ip}&password=wrong"),
            );
            req.headers_mut().insert("x-real-ip", ip.parse().unwrap());
            send(&router, req).await.status
        }
    };
    for _ in 0..mamori_web::LOGIN_FAILURES_PER_MINUTE {
        assert_ne!(attempt("10.0.0.1").await, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(attempt("10.0.0.1").await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not held back.
    assert_ne!(attempt("10.0.0.2").await, StatusCode::TOO_MANY_REQUESTS);
}

/// Issue 35 (4): a full disk (SQLite's page limit standing in for it) refuses saves with 「ディスクの空き
/// がありません」 and `/readyz` says so; once space returns, saves, new sessions and `/readyz` work again
/// without a restart (no pooled connection is left inside a dead transaction).
#[tokio::test]
async fn a_full_disk_is_reported_and_recovered_from_without_a_restart() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let save = |i: usize| {
        form_post(
            "/ledgers/devices/new",
            &admin,
            &format!(
                "csrf=c&device_kind={}&computer_name=PC-{i:04}&notes={}",
                enc("端末PC"),
                "n".repeat(30_000)
            ),
        )
    };
    assert_eq!(
        send(&app.router, save(0)).await.status,
        StatusCode::SEE_OTHER
    );
    let pages = app.store.sqlite_page_count().await.unwrap();
    app.store.limit_sqlite_pages(Some(pages)).await.unwrap();
    let mut refused = None;
    for i in 1..200 {
        let r = send(&app.router, save(i)).await;
        if r.status != StatusCode::SEE_OTHER {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("a write beyond the page limit is refused");
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.text());
    assert!(
        r.text().contains("ディスクの空きがありません"),
        "{}",
        r.text()
    );
    let ready = send(
        &app.router,
        Request::get("/readyz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().contains("ディスクの空きがありません"));
    // Reads still work meanwhile.
    assert_eq!(
        get(&app.router, "/ledgers/devices", &admin).await.status,
        StatusCode::OK
    );

    // Space returns: everything works again, in the same process.
    app.store.limit_sqlite_pages(None).await.unwrap();
    for i in 300..310 {
        let r = send(&app.router, save(i)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    let ready = send(
        &app.router,
        Request::get("/readyz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    let again = session_for(&app.store, "admin", "c2").await;
    assert_eq!(
        get(&app.router, "/dashboard", &again).await.status,
        StatusCode::OK
    );
}
