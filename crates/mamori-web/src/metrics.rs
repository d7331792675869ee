//! Prometheus metrics, served on a listen address of their own (`serve --metrics-listen`): requests by
//! route and status, a latency histogram per route, the database pool, and scheduled jobs. Routes are
//! patterns (`/ledgers/{kind}/{id}`), never paths with ids, so the label set stays small.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Latency {
    /// Counts per bucket (not cumulative), the last for above the largest bound.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Latency>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Counts one request (called by the request log layer).
pub(crate) fn record(method: &str, route: &str, status: u16, seconds: f64) {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(Registry::default);
    *reg.requests
        .entry((method.to_string(), route.to_string(), status))
        .or_default() += 1;
    let l = reg.latency.entry(route.to_string()).or_default();
    let i = BUCKETS
        .iter()
        .position(|b| seconds <= *b)
        .unwrap_or(BUCKETS.len());
    l.buckets[i] += 1;
    l.sum += seconds;
    l.count += 1;
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The metrics as Prometheus text.
pub fn render(state: &AppState) -> String {
    let mut out = String::new();
    {
        let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let empty = Registry::default();
        let reg = guard.as_ref().unwrap_or(&empty);
        out.push_str(
            "# HELP mamori_http_requests_total Requests served, by method, route and status.\n",
        );
        out.push_str("# TYPE mamori_http_requests_total counter\n");
        for ((method, route, status), n) in &reg.requests {
            let _ = writeln!(
                out,
                "mamori_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        out.push_str(
            "# HELP mamori_http_request_duration_seconds Time to serve a request, by route.\n",
        );
        out.push_str("# TYPE mamori_http_request_duration_seconds histogram\n");
        for (route, l) in &reg.latency {
            let route = label(route);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += l.buckets[i];
                let _ = writeln!(
                    out,
                    "mamori_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "mamori_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                l.count
            );
            let _ = writeln!(
                out,
                "mamori_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                l.sum
            );
            let _ = writeln!(
                out,
                "mamori_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                l.count
            );
        }
    }
    let (size, idle) = state.store.pool_state();
    out.push_str(
        "# HELP mamori_db_pool_connections Database connections open, and of them idle.\n",
    );
    out.push_str("# TYPE mamori_db_pool_connections gauge\n");
    let _ = writeln!(out, "mamori_db_pool_connections{{state=\"open\"}} {size}");
    let _ = writeln!(out, "mamori_db_pool_connections{{state=\"idle\"}} {idle}");
    out.push_str("# HELP mamori_disk_full 1 while a write has failed for want of disk space and no write has succeeded since (cleared by /readyz's probe).\n");
    out.push_str("# TYPE mamori_disk_full gauge\n");
    let _ = writeln!(
        out,
        "mamori_disk_full {}",
        u8::from(mamori_store::disk_full_noted())
    );
    let jobs = &mamori_store::jobs::JOBS;
    out.push_str("# HELP mamori_job_runs_total Scheduled job runs in this instance, by outcome.\n");
    out.push_str("# TYPE mamori_job_runs_total counter\n");
    for (outcome, n) in [
        ("ok", jobs.runs.load(Relaxed)),
        ("failed", jobs.failures.load(Relaxed)),
        ("left_to_another_instance", jobs.skipped.load(Relaxed)),
    ] {
        let _ = writeln!(out, "mamori_job_runs_total{{outcome=\"{outcome}\"}} {n}");
    }
    out
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state),
    )
}

/// The router of the metrics address: `/metrics` only (keep it off the public address).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves [`router`] on its own listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}
