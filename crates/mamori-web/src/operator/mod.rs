//! The hosting operator's pages (運用管理者): sign-in of their own, the organisations with their usage,
//! creating one with its first administrator, suspending and resuming. Nothing here reads an
//! organisation's answers, ledgers or logs.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use mamori_app::auth;
use mamori_core::OrgId;
use mamori_store::{NewOrg, OrgKind, OrgStatus};
use serde::Deserialize;

use crate::auth::{pre_csrf, pre_csrf_ok, with_pre_cookie};
use crate::error::{PageError, PageResult};
use crate::extract::{Operating, Posted};
use crate::layout::{jst_time, render};
use crate::{AppState, OPERATOR_COOKIE, SESSION_HOURS, set_cookie};

#[derive(Template)]
#[template(path = "operator/login.html")]
struct LoginPage {
    nav: Option<crate::layout::Nav>,
    csrf: String,
    login: String,
    error: Option<String>,
}

pub(crate) async fn login_page(headers: HeaderMap, State(state): State<AppState>) -> Response {
    let (csrf, new) = pre_csrf(&headers);
    let page = LoginPage {
        nav: None,
        csrf,
        login: String::new(),
        error: None,
    };
    with_pre_cookie(render(&page).into_response(), new, state.secure_cookies)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// The operator's sign-in: the password, a lockout held in the database (every instance sees it).
pub(crate) async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let (csrf, _) = pre_csrf(&headers);
    let refuse = |status: StatusCode, message: &str| {
        let page = LoginPage {
            nav: None,
            csrf: csrf.clone(),
            login: f.login.clone(),
            error: Some(message.to_string()),
        };
        Ok((status, render(&page)).into_response())
    };
    if !pre_csrf_ok(&headers, &f.csrf) {
        return refuse(StatusCode::FORBIDDEN, crate::auth::CSRF_MESSAGE);
    }
    let now = state.clock.now();
    let operator = state.store.operator_by_login(f.login.trim()).await?;
    if let Some(o) = &operator
        && state
            .store
            .operator_locked_until(o.id, now)
            .await?
            .is_some()
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "ログインの失敗が続いたため、しばらくロックされています。時間をおいてお試しください。",
        );
    }
    let stored = operator.as_ref().map(|o| o.password_hash.clone());
    let password = f.password.clone();
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, stored.as_deref()))
            .await
            .expect("verify does not panic");
    let Some(operator) = operator else {
        return refuse(StatusCode::UNAUTHORIZED, "ログインIDかパスワードが違います");
    };
    state
        .store
        .record_operator_sign_in(operator.id, ok, now)
        .await?;
    if !ok {
        return refuse(StatusCode::UNAUTHORIZED, "ログインIDかパスワードが違います");
    }
    let token = auth::new_token();
    state
        .store
        .create_operator_session(
            &auth::token_hash(&token),
            operator.id,
            &auth::new_token(),
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
    let mut resp = Redirect::to("/operator").into_response();
    let c = set_cookie(
        OPERATOR_COOKIE,
        &token,
        SESSION_HOURS * 3600,
        state.secure_cookies,
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("cookie is ASCII"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub(crate) struct Nothing {}

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Posted(Operating(_), _): Posted<Nothing, Operating>,
) -> PageResult {
    if let Some(token) = crate::cookie(&headers, OPERATOR_COOKIE) {
        state
            .store
            .delete_operator_session(&auth::token_hash(&token))
            .await?;
    }
    let mut resp = Redirect::to("/operator/login").into_response();
    let c = set_cookie(OPERATOR_COOKIE, "", 0, state.secure_cookies);
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("ASCII"),
    );
    Ok(resp)
}

pub(crate) struct OrgRow {
    pub id: OrgId,
    pub kind: &'static str,
    pub name: String,
    pub status: &'static str,
    pub active: bool,
    pub group: String,
    pub users: i64,
    pub answers: i64,
    pub ledger_rows: i64,
    pub last_activity: String,
}

#[derive(Template)]
#[template(path = "operator/orgs.html")]
struct OrgsPage {
    nav: Option<crate::layout::Nav>,
    csrf: String,
    operator: String,
    rows: Vec<OrgRow>,
    groups: Vec<(OrgId, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    done: Option<String>,
    error: Option<String>,
    form: CreateForm,
    /// The database and schema as this instance sees them, and the last backup.
    health: String,
    backup: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CreateForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    admin_login: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

async fn orgs_page(
    state: &AppState,
    op: &mamori_store::OperatorSession,
    done: Option<String>,
    error: Option<String>,
    form: CreateForm,
) -> Result<OrgsPage, PageError> {
    let usage = state.store.orgs_overview().await?;
    let name_of = |id: OrgId| {
        usage
            .iter()
            .find(|u| u.org.id == id)
            .map(|u| u.org.name.clone())
            .unwrap_or_default()
    };
    let rows = usage
        .iter()
        .map(|u| OrgRow {
            id: u.org.id,
            kind: u.org.kind.label(),
            name: u.org.name.clone(),
            status: u.org.status.label(),
            active: u.org.status == OrgStatus::Active,
            group: u.org.group_id.map(name_of).unwrap_or_default(),
            users: u.users,
            answers: u.answers,
            ledger_rows: u.ledger_rows,
            last_activity: u.last_activity.as_deref().map(jst_time).unwrap_or_default(),
        })
        .collect();
    let groups = usage
        .iter()
        .filter(|u| u.org.kind == OrgKind::Group)
        .map(|u| (u.org.id, u.org.name.clone()))
        .collect();
    let health = match state.store.schema_versions().await {
        Ok((a, e)) if a == e => format!("データベース：接続中（スキーマ {a}）"),
        Ok((a, e)) => format!("データベース：スキーマ {a} がこのプログラム（{e}）と一致しません"),
        Err(e) => format!("データベース：接続できません（{e}）"),
    };
    let status = crate::settings::backup_status(state).await?;
    let backup = status
        .warning
        .or(status.last.map(|l| format!("最終バックアップ：{l}")));
    Ok(OrgsPage {
        nav: None,
        health,
        backup,
        csrf: op.csrf_token.clone(),
        operator: op.operator.display_name.clone(),
        rows,
        groups,
        kinds: OrgKind::ALL.iter().map(|k| (k.id(), k.label())).collect(),
        roles: mamori_core::Role::ALL
            .iter()
            .map(|r| (r.id(), r.label()))
            .collect(),
        done,
        error,
        form: CreateForm {
            password: String::new(),
            ..form
        },
    })
}

/// `GET /operator`: every organisation with its usage, and the form that creates one.
pub(crate) async fn orgs(
    State(state): State<AppState>,
    Operating(op): Operating,
    Query(q): Query<Done>,
) -> PageResult {
    let page = orgs_page(&state, &op, q.done, None, CreateForm::default()).await?;
    Ok(render(&page).into_response())
}

/// `POST /operator/orgs`: a new organisation with its first administrator (who sets up two-factor
/// sign-in at their first sign-in, as every administrator does).
pub(crate) async fn create(
    State(state): State<AppState>,
    Posted(Operating(op), f): Posted<CreateForm, Operating>,
) -> PageResult {
    let refused = |message: String| async {
        let page = orgs_page(&state, &op, None, Some(message), f.clone()).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
    };
    let Some(kind) = OrgKind::parse(&f.kind) else {
        return refused("種別を選んでください".into()).await;
    };
    let group = match f.group.trim() {
        "" => None,
        g => match g.parse::<i64>() {
            Ok(id) => Some(OrgId::new(id)),
            Err(_) => return refused(format!("グループ「{g}」はありません")).await,
        },
    };
    if f.admin_login.trim().is_empty() {
        return refused("管理者のログインIDを入力してください".into()).await;
    }
    let admin_name = match f.admin_name.trim() {
        "" => f.admin_login.trim().to_string(),
        n => n.to_string(),
    };
    let org = NewOrg {
        kind,
        name: f.name.trim().to_string(),
        security_officer: admin_name.clone(),
        has_vendor_contract: true,
    };
    let admin = mamori_app::setup::FirstAdmin {
        login: f.admin_login.trim().to_string(),
        display_name: admin_name,
        password: f.password.clone(),
    };
    let now = state.clock.now();
    match mamori_app::hosting::create_org(&state.store, &org, admin, group, &op.operator.login, now)
        .await
    {
        Ok((org, _)) => Ok(Redirect::to(&format!(
            "/operator?done={}",
            urlencoding(&format!(
                "{}「{}」を作成しました（番号 {}）",
                org.kind.label(),
                org.name,
                org.id
            ))
        ))
        .into_response()),
        Err(mamori_app::AppError::Refused(_, m)) => refused(m).await,
        Err(mamori_app::AppError::Store(e @ mamori_store::StoreError::LoginTaken(_))) => {
            refused(e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).expect("text encodes")[1..].to_string()
}

#[derive(Deserialize)]
pub(crate) struct MemberForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    role: String,
}

/// `POST /operator/members`: lets a user of one organisation into another with a role (a group's
/// 事務長 into its facilities, a vendor's engineer into a client's). The operator grants; the
/// operator still reads nothing of the organisation.
pub(crate) async fn add_member(
    State(state): State<AppState>,
    Posted(Operating(op), f): Posted<MemberForm, Operating>,
) -> PageResult {
    let refused = |message: String| async {
        let page = orgs_page(&state, &op, None, Some(message), CreateForm::default()).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
    };
    let Ok(org) = f.org.trim().parse::<i64>().map(OrgId::new) else {
        return refused("組織を選んでください".into()).await;
    };
    let Some(role) = mamori_core::Role::parse(&f.role) else {
        return refused("権限を選んでください".into()).await;
    };
    let actor = mamori_app::hosting::operator_actor(&op.operator.login);
    match state
        .store
        .add_membership(org, f.login.trim(), role, &actor, state.clock.now())
        .await
    {
        Ok(()) => {
            let done = format!(
                "{} を組織 {org} の{}にしました",
                f.login.trim(),
                role.label()
            );
            Ok(Redirect::to(&format!("/operator?done={}", urlencoding(&done))).into_response())
        }
        Err(
            e @ (mamori_store::StoreError::NotFound(_) | mamori_store::StoreError::Conflict(_)),
        ) => refused(e.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /operator/orgs/{id}/{suspend|resume}`.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Posted(Operating(op), _): Posted<Nothing, Operating>,
) -> PageResult {
    let status = match action.as_str() {
        "suspend" => OrgStatus::Suspended,
        "resume" => OrgStatus::Active,
        other => return Err(PageError::not_found(format!("操作「{other}」はありません"))),
    };
    let org = mamori_app::hosting::set_status(
        &state.store,
        OrgId::new(id),
        status,
        &op.operator.login,
        state.clock.now(),
    )
    .await?;
    let done = format!("「{}」を{}にしました", org.name, status.label());
    Ok(Redirect::to(&format!("/operator?done={}", urlencoding(&done))).into_response())
}
