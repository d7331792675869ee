//! The signed-in person's own account: two-factor enrolment.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::Enrolling;
use crate::extract::Posted;
use crate::layout::{Nav, nav, render};
use mamori_app::{auth, totp};

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

#[derive(Template)]
#[template(path = "auth/totp.html")]
struct TotpPage {
    nav: Option<Nav>,
    csrf: String,
    enabled: bool,
    /// Shown until enrolment: the user cannot go on without it.
    required: bool,
    secret: String,
    qr_data_uri: String,
    error: Option<String>,
    recovery_codes: Vec<String>,
}

fn qr_data_uri(secret: &str, account: &str) -> String {
    let svg = totp::qr_svg(&totp::otpauth_uri(secret, account));
    format!(
        "data:image/svg+xml;base64,{}",
        data_encoding::BASE64.encode(svg.as_bytes())
    )
}

pub async fn totp_page(
    State(state): State<AppState>,
    Enrolling(session, org): Enrolling,
) -> PageResult {
    let current = state.store.totp(session.user.id).await?;
    let mut page = TotpPage {
        csrf: session.csrf_token.clone(),
        enabled: current.enabled,
        required: crate::extract::must_enrol_totp(&session.user, &org),
        secret: String::new(),
        qr_data_uri: String::new(),
        error: None,
        recovery_codes: Vec::new(),
        nav: Some(nav(&state, &session, &org)),
    };
    if !current.enabled {
        // A fresh secret each time the page is opened, until one is confirmed.
        let secret = totp::new_secret();
        state.store.begin_totp(&session.user, &secret).await?;
        page.qr_data_uri = qr_data_uri(&secret, &session.user.login);
        page.secret = secret;
    }
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
}

pub async fn totp_confirm(
    State(state): State<AppState>,
    Posted(Enrolling(session, org), f): Posted<TotpForm, Enrolling>,
) -> PageResult {
    let current = state.store.totp(session.user.id).await?;
    if current.enabled {
        return Ok(Redirect::to("/account/totp").into_response());
    }
    let now = state.clock.now().timestamp();
    let Some(step) = totp::matching_step(&current.secret, &f.code, now) else {
        let page = TotpPage {
            csrf: session.csrf_token.clone(),
            enabled: false,
            required: crate::extract::must_enrol_totp(&session.user, &org),
            qr_data_uri: qr_data_uri(&current.secret, &session.user.login),
            secret: current.secret,
            error: Some(
                "確認コードが正しくありません。アプリに表示されている最新の6桁を入力してください。"
                    .into(),
            ),
            recovery_codes: Vec::new(),
            nav: Some(nav(&state, &session, &org)),
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| auth::new_token()[..10].to_string())
        .collect();
    let hashes: Vec<String> = codes.iter().map(|c| auth::token_hash(c)).collect();
    state
        .store
        .enable_totp(&session.user, step, &hashes, state.clock.now())
        .await?;
    let page = TotpPage {
        csrf: session.csrf_token.clone(),
        enabled: true,
        required: false,
        secret: String::new(),
        qr_data_uri: String::new(),
        error: None,
        recovery_codes: codes,
        nav: Some(nav(&state, &session, &org)),
    };
    Ok(render(&page).into_response())
}
