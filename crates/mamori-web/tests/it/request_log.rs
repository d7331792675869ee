//! The request log: one line per request with its route, status and (once signed in) organisation and
//! user, and never a password, token, cookie or the answers' text (in this test's requests or any other
//! test's running beside it: the subscriber is the binary's).

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

/// The log of this test binary. One global subscriber for every thread: tracing caches per call site,
/// for the whole process, whether anyone listens, and spans must not move between two subscribers (the
/// database's worker threads run inside the request's span), so a per-thread subscriber beside the
/// other tests is not reliable. At `info`, as `mamori serve` logs by default.
fn captured() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test sets a global subscriber");
        captured
    })
}

#[tokio::test]
async fn a_request_log_line_names_route_status_and_user_but_no_secret() {
    let captured = captured();

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
