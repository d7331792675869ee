//! The app under test and what the tests share: a store with a facility, requests, sessions, forms and files.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;
use serde_json::{Value, json};
use tower::ServiceExt;

pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) token: String,
    pub(crate) _dir: tempfile::TempDir,
}

/// 2025-06-01 10:00 JST: fiscal year 令和7年度, edition r7 in force.
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

pub(crate) async fn bare_app_at(at: DateTime<Utc>) -> (Router, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    let state = AppState::new(store.clone(), Catalog::builtin().unwrap(), Clock::fixed(at));
    (mamori_web::router(state), store, dir)
}

pub(crate) async fn app_with(kind: OrgKind, vendor: bool) -> App {
    app_at(kind, vendor, now()).await
}

/// The administrator's two-factor key in these tests (enrolled directly through the store).
pub(crate) const TEST_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Enrols a user in two-factor sign-in with [`TEST_TOTP_SECRET`] (no step used yet).
pub(crate) async fn enrol_totp(store: &Store, user: &mamori_store::User) {
    store.begin_totp(user, TEST_TOTP_SECRET).await.unwrap();
    store.enable_totp(user, 0, &[], now()).await.unwrap();
}

/// The current code of [`TEST_TOTP_SECRET`] at `at`.
pub(crate) fn test_code(at: DateTime<Utc>) -> String {
    let raw = data_encoding::BASE32_NOPAD
        .decode(TEST_TOTP_SECRET.as_bytes())
        .unwrap();
    format!(
        "{:06}",
        mamori_web::totp::code_at(&raw, mamori_web::totp::step_of(at.timestamp()))
    )
}

pub(crate) async fn app_at(kind: OrgKind, vendor: bool, at: DateTime<Utc>) -> App {
    let app = app_unenrolled(kind, vendor, at).await;
    let admin = app.store.user_by_login("admin").await.unwrap().unwrap();
    enrol_totp(&app.store, &admin).await;
    app
}

/// A facility whose administrator has not set up two-factor sign-in yet.
pub(crate) async fn app_unenrolled(kind: OrgKind, vendor: bool, at: DateTime<Utc>) -> App {
    let (router, store, dir) = bare_app_at(at).await;
    let org = NewOrg {
        kind,
        name: "みどりクリニック".into(),
        security_officer: "山田 太郎".into(),
        has_vendor_contract: vendor,
    };
    let admin = NewUser {
        login: "admin".into(),
        display_name: "山田 太郎".into(),
        password_hash: auth::hash_password("Midori#2025"),
        role: mamori_core::Role::Admin,
    };
    let (_, user) = store.set_up(&org, &admin, now()).await.unwrap();
    let (token, stored) = auth::new_api_token("test", user.role, at + chrono::Duration::days(30));
    store.create_api_token(&user, &stored, now()).await.unwrap();
    App {
        router,
        store,
        token,
        _dir: dir,
    }
}

pub(crate) async fn app() -> App {
    app_with(OrgKind::Clinic, true).await
}

pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

pub(crate) async fn send(router: &Router, req: Request<Body>) -> Resp {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

impl App {
    pub(crate) async fn api(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body
            .map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty);
        send(&self.router, req.body(body).unwrap()).await
    }
    pub(crate) async fn stored(&self) -> Value {
        self.api(Method::GET, "/api/v1/checklists/r7/facility/answers", None)
            .await
            .json()["answers"]
            .clone()
    }
}

pub(crate) const ANSWERS: &str = "/api/v1/checklists/r7/facility/answers";

pub(crate) fn answer(item: &str, answer: &str, checked: &str, target_date: Option<&str>) -> Value {
    json!({"item": item, "target": "general", "round": 1, "answer": answer, "checked_on": checked, "target_date": target_date, "note": ""})
}

pub(crate) fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|v| v.split(';').next().unwrap().to_string())
        })
        .filter(|v| !v.is_empty())
}

pub(crate) fn form_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

pub(crate) fn form_post(uri: &str, cookies: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies)
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A session cookie for `login` created directly in the store.
pub(crate) async fn session_for(store: &Store, login: &str, csrf: &str) -> String {
    let user = store.user_by_login(login).await.unwrap().unwrap();
    let token = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&token),
            user.id,
            csrf,
            now(),
            now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    format!("mamori_session={token}")
}

pub(crate) async fn get(router: &Router, path: &str, cookie: &str) -> Resp {
    send(
        router,
        Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub(crate) fn multipart_file(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut body = format!(
        "--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    ("multipart/form-data; boundary=B0undary".into(), body)
}

/// The R7 facility workbook with 1(1) answered はい on 2025-05-20.
pub(crate) fn one_answer_workbook() -> Vec<u8> {
    one_answer_workbook_of(mamori_core::Variant::Facility)
}

/// An R7 workbook with 1(1) answered はい on 2025-05-20.
pub(crate) fn one_answer_workbook_of(variant: mamori_core::Variant) -> Vec<u8> {
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", variant).unwrap();
    let answers = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: format!("r7.{}.1.1", variant.id()).into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::Yes,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    }]);
    mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &catalog,
        form,
        org_name: "みどりクリニック",
        answers: &answers,
        has_vendor_contract: true,
        fiscal_year: mamori_core::FiscalYear::new(2025),
        created_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
    })
    .unwrap()
}

/// Text of a PDF by poppler's pdftotext, without whitespace (it breaks long cells); None when poppler
/// is not installed (CI installs it).
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

pub(crate) fn inventory_fixture(openssl: &str) -> mamori_agent::Inventory {
    mamori_agent::Inventory {
        format: mamori_agent::FORMAT,
        hostname: "SV-EMR01".into(),
        machine_id: "0123456789abcdef0123456789abcdef".into(),
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        os_id: "debian".into(),
        os_version: "12".into(),
        kernel: "6.1.0-18-amd64".into(),
        interfaces: vec![mamori_agent::Interface {
            name: "eth0".into(),
            mac: "00:1b:44:11:3a:b7".into(),
            ips: vec!["192.168.1.10".into()],
        }],
        packages: [("bash", "5.2.15-2+b7"), ("openssl", openssl)]
            .iter()
            .map(|(n, v)| mamori_agent::Package {
                name: n.to_string(),
                version: v.to_string(),
                source: "dpkg".into(),
            })
            .collect(),
        ..Default::default()
    }
}

/// The app of [`app`] on a fresh PostgreSQL database, when `MAMORI_TEST_PG_URL` is set (CI sets it):
/// the router, the store and the database's name (for [`drop_pg`]). Says so plainly when it is not set.
pub(crate) async fn pg_app() -> Option<(Router, Store, String)> {
    use sqlx::Executor;
    let Ok(base) = std::env::var("MAMORI_TEST_PG_URL") else {
        eprintln!("SKIP: MAMORI_TEST_PG_URL is not set; this test did not run on PostgreSQL");
        return None;
    };
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .expect("MAMORI_TEST_PG_URL is set but PostgreSQL is unreachable");
    let name = format!(
        "mamori_web_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    admin.close().await;
    let url = match base.rfind('/') {
        Some(i) if i > base.find("://").unwrap() + 2 => format!("{}/{name}", &base[..i]),
        _ => format!("{base}/{name}"),
    };
    let store = Store::open(&url).await.unwrap();
    let org = NewOrg {
        kind: OrgKind::Clinic,
        name: "みどりクリニック".into(),
        security_officer: "山田 太郎".into(),
        has_vendor_contract: true,
    };
    let admin = NewUser {
        login: "admin".into(),
        display_name: "山田 太郎".into(),
        password_hash: auth::hash_password("Midori#2025"),
        role: mamori_core::Role::Admin,
    };
    let (_, user) = store.set_up(&org, &admin, now()).await.unwrap();
    enrol_totp(&store, &user).await;
    let state = AppState::new(
        store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    Some((mamori_web::router(state), store, name))
}

/// Drops a database made by [`pg_app`].
pub(crate) async fn drop_pg(store: Store, name: &str) {
    use sqlx::Executor;
    store.close().await;
    let base = std::env::var("MAMORI_TEST_PG_URL").unwrap();
    let admin = sqlx::AnyPool::connect(&base).await.unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .await
        .unwrap();
}

/// Saves a row of a ledger of the first organisation.
pub(crate) async fn ledger_row(app: &App, kind: mamori_ledger::Kind, pairs: &[(&str, &str)]) {
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let fields: mamori_store::Fields = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    app.store
        .save_ledger_row(org, kind, None, &fields, "admin", now())
        .await
        .unwrap();
}
