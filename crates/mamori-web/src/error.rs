//! The one error of the web app: a page with a Japanese explanation.

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

/// A page that could not be shown, with a Japanese explanation.
pub struct PageError {
    status: StatusCode,
    heading: &'static str,
    message: String,
}

impl PageError {
    pub(crate) fn new(
        status: StatusCode,
        heading: &'static str,
        message: impl Into<String>,
    ) -> Self {
        PageError {
            status,
            heading,
            message: message.into(),
        }
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "見つかりません", message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "操作できません", message)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.heading, self.message)
    }
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PageError {}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        // A row that is not the organisation's (or not there): its message is for the user.
        match e {
            StoreError::NotFound(m) => return Self::not_found(m),
            StoreError::Conflict(m) => return Self::new(StatusCode::CONFLICT, "操作できません", m),
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

impl From<mamori_core::CatalogError> for PageError {
    fn from(e: mamori_core::CatalogError) -> Self {
        Self::not_found(e.to_string())
    }
}

impl From<mamori_app::AppError> for PageError {
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
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            nav: None,
            heading: self.heading.to_string(),
            message: self.message,
        };
        (self.status, render(&page)).into_response()
    }
}

pub(crate) type PageResult = Result<Response, PageError>;
