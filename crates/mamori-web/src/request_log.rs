//! One log line per request: method, route (the pattern, never the query or the body), status, duration,
//! and once signed in the organisation and user ids. Passwords, tokens, cookies and patient data are
//! never written: only these fields are.

use mamori_core::OrgId;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

/// Wraps every route (`Router::layer` runs after routing, so the matched route is known).
pub(crate) async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        org = Empty,
        user = Empty
    );
    let start = Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    crate::metrics::record(&method, &route, status, start.elapsed().as_secs_f64());
    // Milliseconds to a tenth: the line is read by people and log tools, not for nanoseconds.
    let ms = format!("{:.1}", start.elapsed().as_secs_f64() * 1000.0);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms = %ms, "done");
        } else {
            tracing::info!(status, ms = %ms, "done");
        }
    });
    resp
}

/// Names the organisation and user of the request being served in its log line.
pub(crate) fn record_user(org_id: OrgId, user_id: i64) {
    let span = tracing::Span::current();
    span.record("org", org_id.get());
    span.record("user", user_id);
}

/// Names the organisation of an agent's request (agents are no users).
pub(crate) fn record_org(org_id: OrgId) {
    tracing::Span::current().record("org", org_id.get());
}
