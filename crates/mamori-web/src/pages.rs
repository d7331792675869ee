//! HTML pages: first-run setup, login, dashboard, the checklist, history, and the xlsx download.

use mamori_app::evidence::{by_item, suggestions_for};
use mamori_app::own_variant;
use mamori_app::workbooks::checklist_workbook;
use std::collections::HashMap;

use askama::Template;
use axum::extract::ConnectInfo;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Duration;
use mamori_core::Action;
use mamori_core::answers::{AnswerSet, summarize};
use mamori_core::catalog::{Form as ChecklistForm, Target, Variant};
use mamori_core::dates::{FiscalYear, wareki};
use mamori_core::{Answer, AnswerInput};
use mamori_store::{NewOrg, NewUser, Org, OrgKind, Session, StoreError, User};
use serde::Deserialize;
use std::net::SocketAddr;

use crate::views::{FormView, OpenView, SectionView, Typed, open_views};
use crate::{AppState, PRE_CSRF_COOKIE, SESSION_COOKIE, SESSION_HOURS, auth, cookie, set_cookie};

pub struct Nav {
    pub edition: String,
    pub variant: String,
    pub org_name: String,
    pub user_name: String,
    pub csrf: String,
    pub is_admin: bool,
    /// Vendors' staff see no ledgers.
    pub sees_ledgers: bool,
}

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

pub(crate) fn render(t: &impl Template) -> Html<String> {
    Html(
        t.render()
            .unwrap_or_else(|e| format!("<p>画面を表示できません: {e}</p>")),
    )
}

pub(crate) type PageResult = Result<Response, PageError>;

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

pub(crate) fn nav(state: &AppState, session: &Session, org: &Org) -> Nav {
    let fy = FiscalYear::containing(state.clock.today_jst());
    let catalog = state.catalog_of(org.id);
    let edition = catalog
        .edition_for(fy)
        .map(|c| c.edition)
        .unwrap_or_else(|| "r7".into());
    Nav {
        variant: own_variant(&catalog, &edition, org).id().to_string(),
        edition,
        org_name: org.name.clone(),
        user_name: session.user.display_name.clone(),
        csrf: session.csrf_token.clone(),
        is_admin: session.user.role == mamori_core::Role::Admin,
        sees_ledgers: mamori_core::roles::allowed(session.user.role, Action::ViewLedgers),
    }
}

/// The form named in the path, if the user may do `action` with it.
pub(crate) fn checklist_form<'a>(
    catalog: &'a mamori_core::Catalog,
    user: &User,
    edition: &str,
    variant: &str,
    action: fn(Variant) -> Action,
) -> Result<&'a ChecklistForm, PageError> {
    let variant: Variant = variant.parse()?;
    let form = catalog.require_form(edition, variant)?;
    crate::permit(user, action(variant)).map_err(PageError::forbidden)?;
    Ok(form)
}

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
fn pre_csrf(headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(t) => (t, None),
        None => {
            let t = auth::new_token();
            (t.clone(), Some(t))
        }
    }
}

fn with_pre_cookie(mut resp: Response, new: Option<String>, secure: bool) -> Response {
    if let Some(t) = new
        && let Ok(v) = HeaderValue::from_str(&set_cookie(PRE_CSRF_COOKIE, &t, 3600, secure))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn pre_csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
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
#[template(path = "setup.html")]
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
    let password = v.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .expect("hashing does not panic");
    let org = NewOrg {
        kind: OrgKind::parse(&v.org_kind).expect("checked"),
        name: v.org_name.trim().to_string(),
        security_officer: v.security_officer.trim().to_string(),
        has_vendor_contract: v.has_vendor_contract == "yes",
    };
    let admin = NewUser {
        login: v.admin_login.trim().to_string(),
        display_name: v.admin_name.trim().to_string(),
        password_hash: hash,
        role: mamori_core::Role::Admin,
    };
    let (created, user) = match state.store.set_up(&org, &admin, state.clock.now()).await {
        Ok(x) => x,
        Err(StoreError::AlreadySetUp) => return Ok(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into()),
    };
    mamori_app::setup::add_initial_contacts(
        &state.store,
        created.id,
        &user.login,
        state.clock.now(),
    )
    .await?;
    start_session(&state, user.id).await
}

async fn start_session(state: &AppState, user_id: i64) -> PageResult {
    let token = auth::new_token();
    let now = state.clock.now();
    state.store.delete_expired_sessions(now).await?;
    state
        .store
        .create_session(
            &auth::token_hash(&token),
            user_id,
            &auth::new_token(),
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
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
#[template(path = "login.html")]
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
    let ip = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    if ip.is_some_and(|ip| state.login_limiter.blocked(ip)) {
        let message =
            "ログインの失敗が多すぎます。1分ほど待ってから、もう一度お試しください。".to_string();
        return refuse(StatusCode::TOO_MANY_REQUESTS, message, csrf, f.login);
    }
    let now = state.clock.now();
    let login = f.login.trim().to_string();
    let user = state.store.user_by_login(&login).await?;
    // A name that is no account locks like an account: neither the lock nor its message tells which
    // names exist.
    let locked = match &user {
        Some(u) => state.store.locked_until(u.id, now).await?,
        None => state.login_limiter.unknown_locked(&login, now),
    };
    if let Some(until) = locked {
        if let Some(ip) = ip {
            state.login_limiter.failed(ip);
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
        return start_session(&state, u.id).await;
    }
    if let Some(ip) = ip {
        state.login_limiter.failed(ip);
    }
    let locked = match &user {
        Some(u) => state.store.record_login_failure(u, now).await?,
        None => state.login_limiter.unknown_failed(&login, now),
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

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    org_kind: String,
    org_name: String,
    officer: String,
    fallback_notice: Option<String>,
    form_label: String,
    fiscal_year: String,
    edition: String,
    variant: String,
    summary: mamori_core::Summary,
    open: Vec<OpenView>,
    other_forms: Vec<(String, String, String)>,
    /// For administrators.
    backup: Option<crate::settings::BackupStatus>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let nav = nav(&state, &session, &org);
    let variant = own_variant(&catalog, &nav.edition, &org);
    if !mamori_core::roles::allowed(session.user.role, Action::ViewForm(variant)) {
        // A vendor's staff see only the vendor form.
        return Ok(Redirect::to(&format!("/checklists/{}/vendor", nav.edition)).into_response());
    }
    let form = checklist_form(
        &catalog,
        &session.user,
        &nav.edition,
        variant.id(),
        Action::ViewForm,
    )?;
    let today = state.clock.today_jst();
    let answers = AnswerSet::new(state.store.answers(org.id, &nav.edition, variant).await?);
    let fy = state.fiscal_year(org.id, &nav.edition)?;
    let edition_name = catalog
        .edition(&nav.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let other_forms = catalog
        .forms()
        .iter()
        .filter(|f| !(f.edition == nav.edition && f.variant == variant))
        .map(|f| {
            let name = catalog
                .edition(&f.edition)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            (
                f.edition.clone(),
                f.variant.id().to_string(),
                format!("{name} {}", f.variant.label()),
            )
        })
        .collect();
    let page = DashboardPage {
        org_kind: org.kind.label().into(),
        org_name: org.name.clone(),
        officer: org.security_officer.clone(),
        fallback_notice: state.fallback_notice(&org, &nav.edition),
        form_label: format!("{edition_name} {}", variant.label()),
        fiscal_year: fy.label(),
        edition: nav.edition.clone(),
        variant: variant.id().into(),
        summary: summarize(form, &answers, org.has_vendor_contract),
        open: open_views(form, &answers, org.has_vendor_contract, today),
        other_forms,
        backup: if session.user.role == mamori_core::Role::Admin {
            Some(crate::settings::backup_status(&state).await?)
        } else {
            None
        },
        nav: Some(nav),
    };
    Ok(render(&page).into_response())
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistPage {
    nav: Option<Nav>,
    csrf: String,
    title: String,
    title_unverified: bool,
    form_label: String,
    fiscal_year: String,
    edition: String,
    variant: String,
    fallback_notice: Option<String>,
    notes: Vec<(String, bool)>,
    sections: Vec<SectionView>,
    has_errors: bool,
    can_answer: bool,
    imported: Option<String>,
}

#[derive(Template)]
#[template(path = "row.html")]
struct RowFragment {
    csrf: String,
    row: crate::views::RowView,
}

struct LoadedForm<'a> {
    catalog: &'a mamori_core::Catalog,
    form: &'a ChecklistForm,
    answers: AnswerSet,
    fy: FiscalYear,
    can_answer: bool,
    suggestions: HashMap<String, mamori_evidence::Suggestion>,
    carry: HashMap<String, crate::views::Carry>,
}

impl LoadedForm<'_> {
    fn view<'a>(&'a self, org: &Org) -> FormView<'a> {
        FormView {
            catalog: self.catalog,
            form: self.form,
            answers: &self.answers,
            has_vendor_contract: org.has_vendor_contract,
            can_answer: self.can_answer,
            suggestions: &self.suggestions,
            carry: &self.carry,
        }
    }
}

/// For an imported edition: each row's change against the previous edition and the previous answer it
/// continues (the organisation's own form of that edition), offered as a proposal.
async fn carry_over(
    state: &AppState,
    catalog: &mamori_core::Catalog,
    org: &Org,
    form: &ChecklistForm,
    with_evidence: bool,
) -> Result<HashMap<String, crate::views::Carry>, PageError> {
    use mamori_core::edition_import::normalized;
    let mut out = HashMap::new();
    if !catalog.is_imported(&form.edition) {
        return Ok(out);
    }
    type Previous = (
        AnswerSet,
        std::collections::BTreeMap<String, serde_json::Value>,
    );
    let mut previous: HashMap<(String, Variant), Previous> = HashMap::new();
    for (item, target) in form.rows() {
        let pred = catalog
            .predecessor(&item.id)
            .and_then(|id| catalog.forms().iter().find_map(|f| f.item(id)));
        let mut carry = crate::views::Carry::default();
        let Some(pred) = pred else {
            carry.change = Some((mamori_core::edition_import::Change::New.label(), "new-item"));
            out.insert(crate::views::anchor(&item.id, target), carry);
            continue;
        };
        if normalized(&pred.text) != normalized(&item.text) {
            carry.change = Some((
                mamori_core::edition_import::Change::Changed.label(),
                "changed-item",
            ));
        }
        // The organisation's own answers of the previous edition (a pharmacy's 薬局確認用 for a merged form).
        let prev_edition = pred.id.split('.').next().unwrap_or_default().to_string();
        let prev_variant = if form.variant == Variant::Vendor {
            Variant::Vendor
        } else {
            own_variant(catalog, &prev_edition, org)
        };
        let key = (prev_edition.clone(), prev_variant);
        if !previous.contains_key(&key) {
            let answers = state
                .store
                .answers(org.id, &prev_edition, prev_variant)
                .await?;
            let evidence = state
                .store
                .answer_evidence(org.id, &prev_edition, prev_variant)
                .await?;
            previous.insert(key.clone(), (AnswerSet::new(answers), evidence));
        }
        let prev_id = format!("{prev_edition}.{}.{}", prev_variant.id(), pred.key);
        let (set, evidence) = &previous[&key];
        // The same target; or the one target the previous item had (an item moved to 全般, or split).
        let prev_target = if pred.has_target(target) {
            target
        } else if let [only] = pred.targets.as_slice() {
            only.group
        } else {
            target
        };
        let last = (1..=mamori_core::answers::MAX_ROUND)
            .rev()
            .find_map(|r| set.get(&prev_id, prev_target, r));
        if let Some(a) = last {
            let name = catalog
                .edition(&prev_edition)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            let mut p = format!("{name} {}：{}", pred.label(), a.display());
            if !a.note.is_empty() {
                p.push_str(&format!("　備考：{}", a.note));
            }
            // What the ledgers said when that answer was saved.
            if let Some(e) = evidence
                .get(&format!("{prev_id}/{}/{}", a.target.id(), a.round))
                .filter(|_| with_evidence)
            {
                let verdict = match e.get("verdict").and_then(|v| v.as_str()) {
                    Some("yes") => "はい",
                    Some("no") => "いいえ",
                    _ => "判断材料不足",
                };
                let reasons: Vec<&str> = e
                    .get("reasons")
                    .and_then(|r| r.as_array())
                    .map(|r| r.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                p.push_str(&format!("　回答時の台帳からの判断：{verdict}"));
                if !reasons.is_empty() {
                    p.push_str(&format!("（{}）", reasons.join("／")));
                }
            }
            carry.proposal = Some(p);
        }
        out.insert(crate::views::anchor(&item.id, target), carry);
    }
    Ok(out)
}

async fn load_form<'a>(
    state: &AppState,
    catalog: &'a mamori_core::Catalog,
    org: &Org,
    user: &User,
    (edition, variant): (&str, &str),
    action: fn(Variant) -> Action,
) -> Result<LoadedForm<'a>, PageError> {
    let form = checklist_form(catalog, user, edition, variant, action)?;
    let answers = AnswerSet::new(state.store.answers(org.id, edition, form.variant).await?);
    let fy = state.fiscal_year(org.id, edition)?;
    let can_answer = mamori_core::roles::allowed(user.role, Action::AnswerForm(form.variant));
    let suggestions = by_item(&suggestions_for(state, org, user, form).await?);
    let with_evidence = mamori_core::roles::allowed(user.role, Action::ViewEvidence);
    let carry = carry_over(state, catalog, org, form, with_evidence).await?;
    Ok(LoadedForm {
        catalog,
        form,
        answers,
        fy,
        can_answer,
        suggestions,
        carry,
    })
}

fn checklist_page(
    state: &AppState,
    nav: Nav,
    org: &Org,
    lf: &LoadedForm<'_>,
    typed: Option<&Typed<'_>>,
) -> ChecklistPage {
    let view = lf.view(org);
    let mut sections = view.sections();
    if let Some(t) = typed {
        // Show the typed values and their errors in place of the stored ones.
        for row in sections
            .iter_mut()
            .flat_map(|s| s.groups.iter_mut())
            .flat_map(|g| g.rows.iter_mut())
        {
            if row.item_id == t.input.item && Some(row.target.as_str()) == t.input.target.as_deref()
            {
                let item = lf.form.item(&row.item_id).expect("row items exist");
                *row = view.row(
                    item,
                    row.target.parse().expect("row targets parse"),
                    Some(t),
                );
            }
        }
    }
    let edition_name = lf
        .catalog
        .edition(&lf.form.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    ChecklistPage {
        csrf: nav.csrf.clone(),
        title: lf.form.title.clone(),
        title_unverified: lf.form.title_confidence.is_unverified(),
        form_label: format!("{edition_name} {}", lf.form.variant.label()),
        fiscal_year: lf.fy.label(),
        edition: lf.form.edition.clone(),
        variant: lf.form.variant.id().into(),
        fallback_notice: state.fallback_notice(org, &lf.form.edition),
        notes: lf
            .form
            .notes
            .iter()
            .map(|n| (n.text.clone(), n.confidence.is_unverified()))
            .collect(),
        sections,
        has_errors: typed.is_some_and(|t| !t.errors.is_empty()),
        can_answer: lf.can_answer,
        imported: None,
        nav: Some(nav),
    }
}

#[derive(Deserialize, Default)]
pub struct ChecklistQuery {
    /// After a workbook import: how many answers it saved.
    #[serde(default)]
    imported: Option<usize>,
}

pub async fn checklist(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
    Query(q): Query<ChecklistQuery>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::ViewForm,
    )
    .await?;
    let mut page = checklist_page(&state, nav(&state, &session, &org), &org, &lf, None);
    page.imported = q
        .imported
        .map(|n| format!("Excel から {n} 件の回答を取り込みました（変更履歴に記録しました）"));
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    round: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    target_date: String,
    #[serde(default)]
    note: String,
}

fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

pub async fn answer_submit(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    headers: HeaderMap,
    Path((edition, variant)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    if !auth::same_token(&session.csrf_token, &f.csrf) {
        return Err(PageError::forbidden(CSRF_MESSAGE));
    }
    let htmx = headers.contains_key("hx-request");
    let catalog = state.catalog_of(org.id);
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::AnswerForm,
    )
    .await?;
    let input = AnswerInput {
        item: f.item.clone(),
        target: Some(f.target.clone()),
        round: Some(f.round.trim().parse().unwrap_or(0)),
        answer: non_empty(f.answer),
        checked_on: non_empty(f.checked_on),
        target_date: non_empty(f.target_date),
        note: Some(f.note.trim().to_string()),
    };
    let batch = [input.clone()];
    let result = mamori_app::answers::save_answers(
        &state,
        &org,
        &session.user,
        lf.form,
        &batch,
        &lf.suggestions,
    )
    .await?;
    let gate_changed = lf.form.gate_item().is_some_and(|g| g.id == input.item);
    let errors = result.err().unwrap_or_default();
    let target: Option<Target> = f.target.parse().ok();
    let item = lf.form.item(&input.item);
    let (Some(item), Some(target)) = (
        item,
        target.filter(|t| item.is_some_and(|i| i.has_target(*t))),
    ) else {
        return Err(PageError::not_found(format!(
            "項目「{}」はこの様式にありません",
            input.item
        )));
    };
    let anchor = crate::views::anchor(&item.id, target);
    if errors.is_empty() && !htmx {
        return Ok(
            Redirect::to(&format!("/checklists/{edition}/{variant}#{anchor}")).into_response(),
        );
    }
    // Reload the answers so the row shows what is stored now.
    let lf = load_form(
        &state,
        &catalog,
        &org,
        &session.user,
        (&edition, &variant),
        Action::AnswerForm,
    )
    .await?;
    let typed = Typed {
        input: &input,
        errors: &errors,
    };
    if htmx {
        let view = lf.view(&org);
        let row = view.row(item, target, (!errors.is_empty()).then_some(&typed));
        let mut resp = render(&RowFragment {
            csrf: session.csrf_token.clone(),
            row,
        })
        .into_response();
        if gate_changed && errors.is_empty() {
            // The gate item changes every other row: reload the whole page.
            resp.headers_mut()
                .insert("hx-refresh", HeaderValue::from_static("true"));
        }
        return Ok(resp);
    }
    let page = checklist_page(&state, nav(&state, &session, &org), &org, &lf, Some(&typed));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((edition, variant)): Path<(String, String)>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    let form = checklist_form(
        &catalog,
        &session.user,
        &edition,
        &variant,
        Action::ExportForm,
    )?;
    let bytes = checklist_workbook(&state, &org, form).await?;
    Ok(xlsx_response(form, bytes))
}

pub fn xlsx_response(form: &ChecklistForm, bytes: Vec<u8>) -> Response {
    let name = format!(
        "mamori-checklist-{}-{}.xlsx",
        form.edition,
        form.variant.id()
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    nav: Option<Nav>,
    filter: String,
    q: HistoryQuery,
    actors: Vec<String>,
    entities: Vec<(String, String)>,
    /// 「監査記録の連鎖」 check, for administrators: Ok(count) or the first broken record.
    chain: Option<Result<usize, String>>,
    entries: Vec<HistoryView>,
    /// The query string for the next (older) page, when there is one.
    older: Option<String>,
}

struct HistoryView {
    id: i64,
    at: String,
    actor: String,
    what: String,
    action: String,
    before: String,
    after: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct HistoryQuery {
    /// One checklist row: `item/target`.
    #[serde(default)]
    item: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    entity: String,
    /// JST dates, inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

/// Records shown per page of the audit trail.
const HISTORY_PAGE: i64 = 200;

pub(crate) fn jst_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            let jst = mamori_core::dates::to_jst(t.to_utc());
            format!("{} {}", wareki(jst.date()), jst.format("%H:%M:%S"))
        })
        .unwrap_or_else(|_| at.to_string())
}

fn describe_key(catalog: &mamori_core::Catalog, entity: &str, key: &str) -> String {
    if entity != "answer" {
        return match entity {
            "org" => "施設".into(),
            "user" => format!("利用者 {key}"),
            "session" => "ログイン".into(),
            "api_token" => format!("APIトークン {key}"),
            "settings" => format!("設定 {}", setting_label(key)),
            "edition_import" => format!("チェックリストの版の取り込み {key}"),
            _ => format!("{entity} {key}"),
        };
    }
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(item_id), Some(target), Some(round)) => {
            match describe_row(catalog, item_id, target) {
                Some(row) => format!("{row}{round}回目"),
                None => key.to_string(),
            }
        }
        _ => key.to_string(),
    }
}

/// 「令和7年度版 2(4) …（端末PC）」 for an item id and a target id.
fn describe_row(catalog: &mamori_core::Catalog, item_id: &str, target: &str) -> Option<String> {
    let edition = item_id.split('.').next()?;
    let ed_name = catalog.edition(edition).ok()?.name.clone();
    let item = catalog.forms().iter().find_map(|f| f.item(item_id))?;
    let target = target.parse::<Target>().ok()?.label();
    Some(format!(
        "{ed_name} {} {}（{target}）",
        item.label(),
        item.text
    ))
}

fn describe_value(v: &Option<serde_json::Value>) -> String {
    match v {
        None => String::new(),
        Some(v) => match serde_json::from_value::<Answer>(v.clone()) {
            Ok(a) if a.note.is_empty() => a.display(),
            Ok(a) => format!("{} 備考：{}", a.display(), a.note),
            Err(_) => v.to_string(),
        },
    }
}

pub async fn history(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<HistoryQuery>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    crate::permit(&session.user, Action::ViewHistory).map_err(PageError::forbidden)?;
    let item = q.item.trim().to_string();
    let jst_day =
        |s: &str, days_after: i64| -> Result<Option<chrono::DateTime<chrono::Utc>>, PageError> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    "入力に誤りがあります",
                    format!("日付「{s}」を読み取れません（例：2025-05-20）"),
                )
            })?;
            let midnight_jst = (d + Duration::days(days_after)).and_time(chrono::NaiveTime::MIN);
            Ok(Some(mamori_core::dates::from_jst(midnight_jst)))
        };
    let filter = mamori_store::AuditFilter {
        entity: if item.is_empty() {
            q.entity.trim().to_string()
        } else {
            "answer".into()
        },
        key_prefix: item.clone(),
        key: String::new(),
        actor: q.actor.trim().to_string(),
        action: String::new(),
        from: jst_day(&q.from, 0)?,
        until: jst_day(&q.to, 1)?,
        before_id: q.before,
    };
    let records = state
        .store
        .audit_trail(org.id, &filter, HISTORY_PAGE + 1)
        .await?;
    let (actors, entity_ids) = state.store.audit_facets(org.id).await?;
    let action = |a: &str| match a {
        "create" => "登録",
        "update" => "変更",
        "setup" => "初期設定",
        "login" => "ログイン",
        "lock" => "ロック",
        "totp" => "二要素認証",
        "import" => "取り込み",
        "import_block" => "大きな取り込み（まとめ）",
        "disable" => "無効化",
        "enable" => "有効化",
        _ => "その他",
    };
    let older = (records.len() as i64 > HISTORY_PAGE).then(|| {
        let last = records[HISTORY_PAGE as usize - 1].id;
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "item={}&actor={}&entity={}&from={}&to={}&before={last}",
            enc(&item),
            enc(&q.actor),
            enc(&q.entity),
            enc(&q.from),
            enc(&q.to)
        )
    });
    let entries = records
        .iter()
        .take(HISTORY_PAGE as usize)
        .map(|r| HistoryView {
            id: r.id,
            at: jst_time(&r.at),
            actor: r.actor.clone(),
            what: describe_key(&catalog, &r.entity, &r.entity_key),
            action: action(&r.action).into(),
            before: describe_value(&r.before),
            after: describe_value(&r.after),
        })
        .collect();
    let chain = if session.user.role == mamori_core::Role::Admin {
        Some(
            state
                .store
                .verify_audit_chain()
                .await?
                .map_err(|b| b.to_string()),
        )
    } else {
        None
    };
    let filter = match item.split_once('/') {
        Some((i, target)) => describe_row(&catalog, i, target).unwrap_or(item),
        None => item,
    };
    let page = HistoryPage {
        nav: Some(nav(&state, &session, &org)),
        filter,
        q,
        actors,
        entities: entity_ids
            .into_iter()
            .map(|e| {
                let label = entity_label(&e).to_string();
                (e, label)
            })
            .collect(),
        chain,
        entries,
        older,
    };
    Ok(render(&page).into_response())
}

fn setting_label(key: &str) -> &str {
    match key {
        "require_totp" => "全員の二要素認証",
        other => other,
    }
}

/// The Japanese name of a kind of audited change.
fn entity_label(entity: &str) -> &str {
    match entity {
        "answer" => "チェックリストの回答",
        "org" => "施設",
        "user" => "利用者",
        "session" => "ログイン",
        "api_token" => "APIトークン",
        "settings" => "設定",
        "edition_import" => "チェックリストの版の取り込み",
        other => other,
    }
}
