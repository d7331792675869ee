//! What handlers take from a request: the signed-in user and organisation (or a redirect to the login).

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
    let org = match state.store.org(session.user.org_id).await {
        Ok(org) => org,
        Err(e) => return Err(PageError::from(e).into_response()),
    };
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
