//! Signing in: the first-run setup, login (password, TOTP, lockout), logout, and `/`.

pub(crate) mod account;

use std::collections::HashMap;

use askama::Template;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Duration;
use mamori_store::{NewOrg, OrgKind, StoreError};
use serde::Deserialize;
use std::net::SocketAddr;

use crate::error::{PageError, PageResult};
use crate::layout::{Nav, render};
use mamori_app::throttle;

use crate::{AppState, PRE_CSRF_COOKIE, SESSION_COOKIE, SESSION_HOURS, cookie, set_cookie};
use mamori_app::auth;

pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if !state.store.is_set_up().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    Ok(match state.session(&headers).await {
        Some(_) => Redirect::to("/dashboard").into_response(),
        None => Redirect::to("/login").into_response(),
    })
}

/// The pre-login CSRF token: the cookie's, or a new one to set.
pub(crate) fn pre_csrf(headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(t) => (t, None),
        None => {
            let t = auth::new_token();
            (t.clone(), Some(t))
        }
    }
}

pub(crate) fn with_pre_cookie(mut resp: Response, new: Option<String>, secure: bool) -> Response {
    if let Some(t) = new
        && let Ok(v) = HeaderValue::from_str(&set_cookie(PRE_CSRF_COOKIE, &t, 3600, secure))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub(crate) fn pre_csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, PRE_CSRF_COOKIE).is_some_and(|c| auth::same_token(&c, submitted))
}

pub(crate) const CSRF_MESSAGE: &str =
    "画面の有効期限が切れました。ページを開き直してから、もう一度操作してください。";

#[derive(Deserialize, Default)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    security_officer: String,
    #[serde(default)]
    has_vendor_contract: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    admin_login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    nav: Option<Nav>,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    v: SetupForm,
    errors: HashMap<String, String>,
    form_error: Option<String>,
}

fn setup_page_with(
    csrf: String,
    v: SetupForm,
    errors: HashMap<String, String>,
    form_error: Option<String>,
) -> SetupPage {
    let kinds = [OrgKind::Clinic, OrgKind::Hospital, OrgKind::Pharmacy]
        .iter()
        .map(|k| (k.id(), k.label()))
        .collect();
    SetupPage {
        nav: None,
        csrf,
        kinds,
        v,
        errors,
        form_error,
    }
}

pub async fn setup_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if state.store.is_set_up().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let (csrf, new) = pre_csrf(&headers);
    let page = setup_page_with(csrf, SetupForm::default(), HashMap::new(), None);
    Ok(with_pre_cookie(
        render(&page).into_response(),
        new,
        state.secure_cookies,
    ))
}

fn is_login_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

fn check_setup(v: &SetupForm) -> HashMap<String, String> {
    let mut e = HashMap::new();
    let mut need = |field: &str, ok: bool, msg: &str| {
        if !ok {
            e.insert(field.to_string(), msg.to_string());
        }
    };
    need(
        "org_kind",
        OrgKind::parse(&v.org_kind).is_some(),
        "施設の種類（病院・診療所・薬局）を選んでください",
    );
    need(
        "org_name",
        !v.org_name.trim().is_empty(),
        "施設名を入力してください",
    );
    need(
        "org_name",
        v.org_name.chars().count() <= 200,
        "施設名は200文字以内にしてください",
    );
    need(
        "security_officer",
        !v.security_officer.trim().is_empty(),
        "安全管理責任者の氏名を入力してください",
    );
    need(
        "has_vendor_contract",
        matches!(v.has_vendor_contract.as_str(), "yes" | "no"),
        "事業者との契約の有無を選んでください",
    );
    need(
        "admin_name",
        !v.admin_name.trim().is_empty(),
        "管理者の氏名を入力してください",
    );
    need(
        "admin_login",
        is_login_id(v.admin_login.trim()),
        "ログインIDは半角英数字（. _ - @ も可）で64文字以内にしてください",
    );
    if let Some(p) =
        auth::password_problem(&v.password, &[&v.admin_login, &v.admin_name, &v.org_name])
    {
        e.insert("password".into(), p.into());
    } else if v.password != v.password_confirm {
        e.insert(
            "password_confirm".into(),
            "確認用のパスワードが一致しません".into(),
        );
    }
    e
}

pub async fn setup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(v): Form<SetupForm>,
) -> PageResult {
    if state.store.is_set_up().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let (csrf, new) = pre_csrf(&headers);
    if !pre_csrf_ok(&headers, &v.csrf) {
        let page = setup_page_with(csrf, v, HashMap::new(), Some(CSRF_MESSAGE.into()));
        return Ok(with_pre_cookie(
            (StatusCode::FORBIDDEN, render(&page)).into_response(),
            new,
            state.secure_cookies,
        ));
    }
    let errors = check_setup(&v);
    if !errors.is_empty() {
        let page = setup_page_with(csrf, v, errors, Some("入力内容を確認してください。".into()));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let org = NewOrg {
        kind: OrgKind::parse(&v.org_kind).expect("checked"),
        name: v.org_name.trim().to_string(),
        security_officer: v.security_officer.trim().to_string(),
        has_vendor_contract: v.has_vendor_contract == "yes",
    };
    let admin = mamori_app::setup::FirstAdmin {
        login: v.admin_login.trim().to_string(),
        display_name: v.admin_name.trim().to_string(),
        password: v.password.clone(),
    };
    let user = match mamori_app::setup::set_up(&state.store, &org, admin, state.clock.now()).await {
        Ok((_, user)) => user,
        Err(StoreError::AlreadySetUp) => return Ok(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into()),
    };
    start_session(&state, user.id, None).await
}

/// A new session for the user, working in `org` (their own organisation when `None`).
async fn start_session(
    state: &AppState,
    user_id: i64,
    org: Option<mamori_core::OrgId>,
) -> PageResult {
    let token = auth::new_token();
    let now = state.clock.now();
    state.store.delete_expired_sessions(now).await?;
    let hash = auth::token_hash(&token);
    state
        .store
        .create_session(
            &hash,
            user_id,
            &auth::new_token(),
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
    if let Some(org) = org {
        state.store.switch_session_org(&hash, user_id, org).await?;
    }
    let mut resp = Redirect::to("/dashboard").into_response();
    let c = set_cookie(
        SESSION_COOKIE,
        &token,
        SESSION_HOURS * 3600,
        state.secure_cookies,
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("cookie is ASCII"),
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie(PRE_CSRF_COOKIE, "", 0, state.secure_cookies))
            .expect("ASCII"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    csrf: String,
    login: String,
    error: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if !state.store.is_set_up().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    if state.session(&headers).await.is_some() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    let (csrf, new) = pre_csrf(&headers);
    let page = LoginPage {
        nav: None,
        csrf,
        login: String::new(),
        error: None,
    };
    Ok(with_pre_cookie(
        render(&page).into_response(),
        new,
        state.secure_cookies,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let (csrf, new) = pre_csrf(&headers);
    let refuse = |status: StatusCode, message: String, csrf: String, login: String| {
        let page = LoginPage {
            nav: None,
            csrf,
            login,
            error: Some(message),
        };
        Ok((status, render(&page)).into_response())
    };
    if !pre_csrf_ok(&headers, &f.csrf) {
        let resp = refuse(StatusCode::FORBIDDEN, CSRF_MESSAGE.into(), csrf, f.login)?;
        return Ok(with_pre_cookie(resp, new, state.secure_cookies));
    }
    let forwarded = state
        .trust_proxy
        .then(|| headers.get("x-real-ip")?.to_str().ok()?.trim().parse().ok())
        .flatten();
    let ip = forwarded.or(peer.map(|Extension(ConnectInfo(addr))| addr.ip()));
    let now = state.clock.now();
    let blocked = match ip {
        Some(ip) => throttle::address_blocked(&state.store, ip, now).await?,
        None => false,
    };
    if blocked {
        let message =
            "ログインの失敗が多すぎます。1分ほど待ってから、もう一度お試しください。".to_string();
        return refuse(StatusCode::TOO_MANY_REQUESTS, message, csrf, f.login);
    }
    let login = f.login.trim().to_string();
    let user = state.store.user_by_login(&login).await?;
    // A name that is no account locks like an account: neither the lock nor its message tells which
    // names exist.
    let locked = match &user {
        Some(u) => state.store.locked_until(u.id, now).await?,
        None => throttle::unknown_name_locked(&state.store, &login, now).await?,
    };
    if let Some(until) = locked {
        if let Some(ip) = ip {
            throttle::address_failed(&state.store, ip, now).await?;
        }
        return refuse(StatusCode::FORBIDDEN, locked_message(until), csrf, f.login);
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = f.password.clone();
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, stored.as_deref()))
            .await
            .expect("verify does not panic");
    // The right password with a missing or wrong code is a failure like a wrong password, with the
    // same message: the page must not confirm a password to someone without the second factor.
    // A disabled user is refused like a wrong password (their administrator tells them why).
    let disabled = match &user {
        Some(u) if ok => state.store.user_disabled(u.id).await?,
        _ => false,
    };
    let signed_in = match &user {
        Some(u) if ok && !disabled => {
            let two_factor = state.store.totp(u.id).await?;
            let code = f.code.trim();
            if !two_factor.enabled {
                true
            } else if code.is_empty() {
                false
            } else {
                match crate::totp::matching_step(&two_factor.secret, code, now.timestamp()) {
                    Some(step) => state.store.accept_totp_step(u.id, step).await?,
                    None => {
                        state
                            .store
                            .use_recovery_code(u.id, &auth::token_hash(code), now)
                            .await?
                    }
                }
            }
        }
        _ => false,
    };
    if let (true, Some(u)) = (signed_in, &user) {
        // The session starts in the user's own organisation, or, while that is suspended, in another
        // they belong to; with none active there is nothing to sign in to.
        let Some(first) = state.store.memberships(u.id).await?.into_iter().next() else {
            let message =
                "この組織は現在停止中です。運用管理者にお問い合わせください。".to_string();
            return refuse(StatusCode::FORBIDDEN, message, csrf, f.login);
        };
        state.store.reset_login_failures(u.id).await?;
        state
            .store
            .record_event(
                u.org_id,
                &u.login,
                now,
                "session",
                &u.id.to_string(),
                "login",
            )
            .await?;
        return start_session(&state, u.id, Some(first.org.id)).await;
    }
    if let Some(ip) = ip {
        throttle::address_failed(&state.store, ip, now).await?;
    }
    let locked = match &user {
        Some(u) => state.store.record_login_failure(u, now).await?,
        None => throttle::unknown_name_failed(&state.store, &login, now).await?,
    };
    match locked {
        Some(until) => refuse(StatusCode::FORBIDDEN, locked_message(until), csrf, f.login),
        None => refuse(StatusCode::UNAUTHORIZED, BAD_LOGIN.into(), csrf, f.login),
    }
}

/// The one message of every failed login (which part was wrong is not said).
const BAD_LOGIN: &str = "ログインID・パスワード・確認コードのいずれかが違います（確認コードは二要素認証を設定している場合に入力します。一度使ったコードは使えません）";

fn locked_message(until: chrono::DateTime<chrono::Utc>) -> String {
    let jst = mamori_core::dates::to_jst(until);
    format!(
        "ログインに{}回続けて失敗したため、このアカウントは{}までロックされています。時間をおいてお試しいただくか、管理者に連絡してください。",
        mamori_store::LOCKOUT_FAILURES,
        jst.format("%H:%M")
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(s) = state.session(&headers).await {
        if !auth::same_token(&s.csrf_token, &f.csrf) {
            return Err(PageError::forbidden(CSRF_MESSAGE));
        }
        if let Some(token) = cookie(&headers, SESSION_COOKIE) {
            state
                .store
                .delete_session(&auth::token_hash(&token))
                .await?;
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    let c = set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies);
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("ASCII"),
    );
    Ok(resp)
}
