//! `/healthz` and the static files.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
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
