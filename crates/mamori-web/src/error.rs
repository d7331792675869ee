//! The one error of the web app: a status and a Japanese explanation. It renders as a page; under
//! `/api/v1` the [`json_errors`] layer turns the same error into `{"error": …}`.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_store::StoreError;

use crate::layout::{Nav, render};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    heading: String,
    message: String,
}

/// A request that could not be served, with a Japanese explanation.
pub struct WebError {
    status: StatusCode,
    heading: &'static str,
    message: String,
}

impl WebError {
    pub(crate) fn new(
        status: StatusCode,
        heading: &'static str,
        message: impl Into<String>,
    ) -> Self {
        WebError {
            status,
            heading,
            message: message.into(),
        }
    }
    /// An error whose heading follows from its status (the API's errors carry only the message).
    pub(crate) fn status(status: StatusCode, message: impl Into<String>) -> Self {
        let heading = match status.as_u16() {
            401 => "ログインが必要です",
            403 | 409 => "操作できません",
            404 => "見つかりません",
            400 | 413 | 422 => "入力に誤りがあります",
            _ => "エラーが発生しました",
        };
        Self::new(status, heading, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "見つかりません", message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "操作できません", message)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.heading, self.message)
    }
}

impl std::fmt::Debug for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for WebError {}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        // A row that is not the organisation's (or not there): its message is for the user.
        match e {
            StoreError::NotFound(m) => return Self::not_found(m),
            StoreError::Conflict(m) => return Self::new(StatusCode::CONFLICT, "操作できません", m),
            ref e if mamori_store::note_disk_full(e) => {
                tracing::error!(error = %e, "disk full");
                return Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "ディスクの空きがありません",
                    "データベースのあるディスクに空きがないため保存できませんでした（入力した内容は保存されていません）。不要なファイルを削除するなどして空きを作ってください。空きができれば、再起動しなくてもそのまま使えます。",
                );
            }
            _ => {}
        }
        tracing::error!(error = %e, "store error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "エラーが発生しました",
            "データベースの処理に失敗しました。しばらくしてからもう一度お試しください。",
        )
    }
}

impl From<mamori_core::CatalogError> for WebError {
    fn from(e: mamori_core::CatalogError) -> Self {
        Self::not_found(e.to_string())
    }
}

impl From<mamori_app::AppError> for WebError {
    fn from(e: mamori_app::AppError) -> Self {
        use mamori_app::AppError;
        match e {
            AppError::Store(e) => e.into(),
            AppError::Catalog(e) => e.into(),
            AppError::Pdf(e) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PDF を作成できません",
                e.to_string(),
            ),
            e @ (AppError::Xlsx(_) | AppError::Workbook(_)) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Excelファイルを作成できません",
                e.to_string(),
            ),
            AppError::NotFound(m) => Self::not_found(m),
            AppError::Conflict(h, m) => Self::new(StatusCode::CONFLICT, h, m),
            AppError::Refused(h, m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, h, m),
        }
    }
}

/// The message of an error response, for [`json_errors`].
#[derive(Clone)]
struct ErrorMessage(String);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            nav: None,
            heading: self.heading.to_string(),
            message: self.message.clone(),
        };
        let mut resp = (self.status, render(&page)).into_response();
        resp.extensions_mut().insert(ErrorMessage(self.message));
        resp
    }
}

/// The API's errors as JSON (`{"error": "…"}`, with `WWW-Authenticate: Bearer` on 401).
pub(crate) async fn json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let resp = next.run(req).await;
    let Some(ErrorMessage(message)) = resp.extensions().get::<ErrorMessage>().cloned() else {
        return resp;
    };
    let status = resp.status();
    let mut resp = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

/// A page's error.
pub type PageError = WebError;
/// An API error (the same error; rendered as JSON under `/api/v1`).
pub type ApiError = WebError;
pub(crate) type PageResult = Result<Response, WebError>;
pub(crate) type ApiResult = Result<Response, WebError>;

/// axum's own refusal of a URL whose number or name does not parse (`/incidents/abc`) is plain English
/// text: answered instead as "not found", in Japanese (a page, or JSON under `/api/v1`).
pub(crate) async fn path_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let plain = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // A body over its limit (tower-http answers in English plain text, or with no body at all).
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE
        && (plain
            || resp
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .is_none())
    {
        let message = format!(
            "送信された内容が大きすぎます（ファイルは {} MB まで、入力フォームは {} MB まで）。ファイルを分けるか、小さくしてから送ってください（何も保存していません）",
            crate::IMPORT_LIMIT / 1024 / 1024,
            crate::BODY_LIMIT / 1024 / 1024
        );
        return api_or_page(
            api,
            StatusCode::PAYLOAD_TOO_LARGE,
            "送信された内容が大きすぎます",
            message,
        );
    }
    if resp.status() != StatusCode::BAD_REQUEST || !plain {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !bytes.starts_with(b"Invalid URL") {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    api_or_page(
        api,
        StatusCode::NOT_FOUND,
        "見つかりません",
        "見つかりません（URL の番号や名前が正しくありません）".into(),
    )
}

/// A refusal made outside a handler: `{"error": …}` on the API, the error page elsewhere.
fn api_or_page(api: bool, status: StatusCode, title: &'static str, message: String) -> Response {
    if api {
        return (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    }
    WebError::new(status, title, message).into_response()
}

/// Uploads take turns ([`mamori_app::App::admit_upload`]): at most a few are received and handled at
/// once, so that many large files at the same moment queue instead of taking the server's memory. One
/// that waited too long is told so, in Japanese.
pub(crate) async fn admit_upload(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let Some(_turn) = state.admit_upload().await else {
        return api_or_page(
            api,
            StatusCode::SERVICE_UNAVAILABLE,
            "混み合っています",
            "ほかの取り込みが多く、順番が回ってきませんでした。しばらくしてからもう一度送ってください（何も保存していません）".into(),
        );
    };
    next.run(req).await
}
