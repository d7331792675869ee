//! What handlers take from a request: the signed-in user and organisation (or a redirect to the login).

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_store::{Org, Session, User};

use crate::AppState;
use crate::error::PageError;

/// The signed-in user and their organisation; without a live session, the request goes to the login page.
/// A user who must use two-factor sign-in and has not set it up yet is sent to the enrolment page.
pub(crate) struct SignedIn(pub Session, pub Org);

/// A signed-in user who may still be setting up two-factor sign-in (the enrolment page itself).
pub(crate) struct Enrolling(pub Session, pub Org);

/// Administrators always need two-factor sign-in; others when their organisation requires it.
pub(crate) fn must_enrol_totp(user: &User, org: &Org) -> bool {
    (user.role == mamori_core::Role::Admin || org.require_totp) && !user.totp_enabled
}

async fn signed_in(
    parts: &axum::http::request::Parts,
    state: &AppState,
) -> Result<(Session, Org), Response> {
    let Some(session) = state.session(&parts.headers).await else {
        return Err(Redirect::to("/login").into_response());
    };
    let org = session.org.clone();
    crate::request_log::record_user(org.id, session.user.id);
    // Reads the organisation's catalog (with its imported editions) for the handlers after this.
    if let Err(e) = state.catalog_for(org.id).await {
        return Err(PageError::from(e).into_response());
    }
    Ok((session, org))
}

impl axum::extract::FromRequestParts<AppState> for Enrolling {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        signed_in(parts, state)
            .await
            .map(|(session, org)| Enrolling(session, org))
    }
}

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        let (session, org) = signed_in(parts, state).await?;
        if must_enrol_totp(&session.user, &org) {
            if parts.method == axum::http::Method::GET {
                return Err(Redirect::to("/account/totp").into_response());
            }
            return Err(PageError::forbidden(TOTP_REQUIRED_MESSAGE).into_response());
        }
        Ok(SignedIn(session, org))
    }
}

pub(crate) const TOTP_REQUIRED_MESSAGE: &str = "この操作の前に二要素認証（認証アプリ）を設定してください。管理者と、組織が必須にした利用者は設定が必要です。";

/// A signed-in extractor's session CSRF token, which a posted form must carry.
pub(crate) trait WithSession {
    fn csrf_token(&self) -> &str;
}

impl WithSession for SignedIn {
    fn csrf_token(&self) -> &str {
        &self.0.csrf_token
    }
}

impl WithSession for Enrolling {
    fn csrf_token(&self) -> &str {
        &self.0.csrf_token
    }
}

/// The signed-in hosting operator (their own cookie and sessions); without one, the operator's login.
pub(crate) struct Operating(pub mamori_store::OperatorSession);

impl axum::extract::FromRequestParts<AppState> for Operating {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        let session = match crate::cookie(&parts.headers, crate::OPERATOR_COOKIE) {
            Some(token) => state
                .store
                .operator_session(&mamori_app::auth::token_hash(&token), state.clock.now())
                .await
                .map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        session
            .map(Operating)
            .ok_or_else(|| Redirect::to("/operator/login").into_response())
    }
}

impl WithSession for Operating {
    fn csrf_token(&self) -> &str {
        &self.0.csrf_token
    }
}

/// A form posted by a signed-in user (`Who`), its CSRF token (the `csrf` field) checked against the
/// session's before the handler runs; a wrong or missing token is refused with 403 and nothing is done.
pub(crate) struct Posted<T, Who = SignedIn>(pub Who, pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

fn csrf_refused() -> Response {
    PageError::forbidden(crate::auth::CSRF_MESSAGE).into_response()
}

impl<T, Who> axum::extract::FromRequest<AppState> for Posted<T, Who>
where
    T: serde::de::DeserializeOwned + Send,
    Who: FromRequestParts<AppState, Rejection = Response> + WithSession + Send,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = Who::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .map_or_else(|_| String::new(), |f| f.csrf);
        if !mamori_app::auth::same_token(who.csrf_token(), &csrf) {
            return Err(csrf_refused());
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            PageError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "入力に誤りがあります",
                format!("送信された内容を読み取れません（{e}）"),
            )
            .into_response()
        })?;
        Ok(Posted(who, form))
    }
}

/// An upload by a signed-in user: the form's first field must be its CSRF token, checked before any
/// file in it is read; the handler gets the fields after it.
pub(crate) struct Uploaded(pub SignedIn, pub axum::extract::Multipart);

impl axum::extract::FromRequest<AppState> for Uploaded {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("csrf") => {
                field.text().await.unwrap_or_default()
            }
            _ => String::new(),
        };
        if !mamori_app::auth::same_token(&who.0.csrf_token, &csrf) {
            return Err(csrf_refused());
        }
        Ok(Uploaded(who, multipart))
    }
}
