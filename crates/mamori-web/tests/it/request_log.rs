//! The request log: one line per request with its route, status and (once signed in) organisation and
//! user, and never a password, token, cookie or the answers' text.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use crate::helpers::{app, cookie_value, enc, form_field, form_post, now, send, test_code};

/// What the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn a_request_log_line_names_route_status_and_user_but_no_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    // tracing caches per call site, for the whole process, whether anyone listens; a test running beside
    // this one without a subscriber would cache "no one" for the request log's call sites. With a global
    // (inert) subscriber as well as this test's, every call site asks both; the rebuild corrects those
    // cached before.
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let app = app().await;
    let page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let password = "Midori#2025";
    let r = send(
        &app.router,
        form_post(
            "/login",
            &format!("mamori_pre={csrf}"),
            &format!(
                "csrf={csrf}&login=admin&password={}&code={}",
                enc(password),
                test_code(now())
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let session = cookie_value(&r.set_cookies(), "mamori_session").unwrap();
    let r = send(
        &app.router,
        Request::get("/dashboard?secret_query=x")
            .header("cookie", format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let note = "患者ID 0012345 の件";
    let r = app
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(
                serde_json::json!([{"item": "r7.facility.2.1", "target": "general", "round": 1,
                "answer": "yes", "checked_on": "2025-05-20", "note": note}]),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("done")).collect();
    let line = |method: &str, route: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("method={method} route={route}")))
            .unwrap_or_else(|| panic!("no line for {method} {route} in:\n{log}"))
    };
    assert!(line("POST", "/login").contains("status=303"), "{log}");
    let dashboard = line("GET", "/dashboard");
    assert!(
        dashboard.contains("status=200")
            && dashboard.contains("org=1")
            && dashboard.contains("user=1"),
        "{dashboard}"
    );
    let api = line("PUT", "/api/v1/checklists/{edition}/{variant}/answers");
    assert!(api.contains("user=1"), "{api}");
    assert!(api.contains("ms="), "{api}");
    for secret in [
        password,
        enc(password).as_str(),
        session.as_str(),
        csrf.as_str(),
        app.token.as_str(),
        "secret_query",
        note,
    ] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}
