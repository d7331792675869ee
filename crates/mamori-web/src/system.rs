//! `/healthz` and the static files.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// After a write failed for want of disk space: whether the database writes again (a probe), or the
/// message monitoring gets.
async fn disk_full(state: &AppState) -> Option<Response> {
    if !mamori_store::disk_full_noted() {
        return None;
    }
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        state.store.write_probe(state.clock.now()),
    )
    .await;
    // Only a probe that fails for want of space says so (a busy writer or a slow disk proves nothing).
    match probe {
        Ok(Err(e)) if e.is_disk_full() => Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "ディスクの空きがありません（データベースに書き込めません）",
            )
                .into_response(),
        ),
        _ => None,
    }
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    if let Some(r) = disk_full(&state).await {
        return r;
    }
    match state.store.is_set_up().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("データベースに接続できません: {e}"),
        )
            .into_response(),
    }
}

/// `/readyz`: ready to take requests — the database answers and its schema is the one this program
/// expects (a newer program may have migrated it: this one must not serve it).
pub async fn readyz(State(state): State<AppState>) -> Response {
    if let Some(r) = disk_full(&state).await {
        return r;
    }
    match state.store.schema_versions().await {
        Ok((applied, expected)) if applied == expected => {
            (StatusCode::OK, format!("ready (schema {applied})")).into_response()
        }
        Ok((applied, expected)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "データベースのスキーマ（{applied}）がこのプログラム（{expected}）と一致しません"
            ),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("データベースに接続できません: {e}"),
        )
            .into_response(),
    }
}

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match file.as_str() {
        "htmx-2.0.11.min.js" => (
            include_bytes!("../static/htmx-2.0.11.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.css" => (
            include_bytes!("../static/app.css"),
            "text/css; charset=utf-8",
        ),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
