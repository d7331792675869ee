//! In-process tests of the router: API rules (422 and nothing stored), auth, CSRF, pages, xlsx, and the
//! OpenAPI document kept in step with the routes.

use std::io::Cursor;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use calamine::{Reader, Xlsx};
use chrono::{DateTime, Utc};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    store: Store,
    token: String,
    _dir: tempfile::TempDir,
}

/// 2025-06-01 10:00 JST: fiscal year 令和7年度, edition r7 in force.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

async fn bare_app() -> (Router, Store, tempfile::TempDir) {
    bare_app_at(now()).await
}

async fn bare_app_at(at: DateTime<Utc>) -> (Router, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    let state = AppState::new(store.clone(), Catalog::builtin().unwrap(), Clock::fixed(at));
    (mamori_web::router(state), store, dir)
}

async fn app_with(kind: OrgKind, vendor: bool) -> App {
    app_at(kind, vendor, now()).await
}

/// The administrator's two-factor key in these tests (enrolled directly through the store).
const TEST_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Enrols a user in two-factor sign-in with [`TEST_TOTP_SECRET`] (no step used yet).
async fn enrol_totp(store: &Store, user: &mamori_store::User) {
    store.begin_totp(user, TEST_TOTP_SECRET).await.unwrap();
    store.enable_totp(user, 0, &[], now()).await.unwrap();
}

/// The current code of [`TEST_TOTP_SECRET`] at `at`.
fn test_code(at: DateTime<Utc>) -> String {
    let raw = data_encoding::BASE32_NOPAD
        .decode(TEST_TOTP_SECRET.as_bytes())
        .unwrap();
    format!(
        "{:06}",
        mamori_web::totp::code_at(&raw, mamori_web::totp::step_of(at.timestamp()))
    )
}

async fn app_at(kind: OrgKind, vendor: bool, at: DateTime<Utc>) -> App {
    let app = app_unenrolled(kind, vendor, at).await;
    let admin = app.store.user_by_login("admin").await.unwrap().unwrap();
    enrol_totp(&app.store, &admin).await;
    app
}

/// A facility whose administrator has not set up two-factor sign-in yet.
async fn app_unenrolled(kind: OrgKind, vendor: bool, at: DateTime<Utc>) -> App {
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

async fn app() -> App {
    app_with(OrgKind::Clinic, true).await
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

async fn send(router: &Router, req: Request<Body>) -> Resp {
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
    async fn api(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
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
    async fn stored(&self) -> Value {
        self.api(Method::GET, "/api/v1/checklists/r7/facility/answers", None)
            .await
            .json()["answers"]
            .clone()
    }
}

const ANSWERS: &str = "/api/v1/checklists/r7/facility/answers";

fn answer(item: &str, answer: &str, checked: &str, target_date: Option<&str>) -> Value {
    json!({"item": item, "target": "general", "round": 1, "answer": answer, "checked_on": checked, "target_date": target_date, "note": ""})
}

#[tokio::test]
async fn api_refuses_broken_rules_with_422_and_stores_nothing() {
    let app = app().await;
    let good = answer("r7.facility.1.1", "yes", "2025-05-20", None);
    let cases = [
        (
            answer("r7.facility.2.1", "no", "2025-05-20", None),
            "target_date",
            "目標日",
        ),
        (
            answer("r7.facility.2.1", "no", "2025-05-20", Some("2026-04-01")),
            "target_date",
            "令和7年度中",
        ),
        (
            answer("r7.facility.2.1", "yes", "2025-06-02", None),
            "checked_on",
            "未来",
        ),
        (
            answer("r7.facility.9.9", "yes", "2025-05-20", None),
            "item",
            "この様式にありません",
        ),
    ];
    for (bad, field, words) in cases {
        let r = app
            .api(Method::PUT, ANSWERS, Some(json!([good, bad])))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let errors = r.json()["errors"].as_array().unwrap().clone();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["field"], field);
        assert_eq!(errors[0]["item"], bad["item"]);
        assert_eq!(errors[0]["round"], 1);
        assert!(
            errors[0]["message"].as_str().unwrap().contains(words),
            "{}",
            errors[0]["message"]
        );
        assert_eq!(
            app.stored().await,
            json!([]),
            "nothing of a refused request is stored"
        );
    }
    assert!(
        app.store
            .history(1, Some("answer"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn api_saves_reads_and_exports_answers() {
    let app = app().await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([
                answer("r7.facility.1.1", "yes", "2025-05-20", None),
                {"item": "r7.facility.2.4", "target": "terminal", "round": 1, "answer": "no", "checked_on": "2025-05-20", "target_date": "2026-03-31", "note": "端末の権限を整理中"},
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["saved"], 2);
    let got = app.api(Method::GET, ANSWERS, None).await.json();
    assert_eq!(got["fiscal_year"], 2025);
    assert_eq!(got["summary"]["yes"], 1);
    assert_eq!(got["summary"]["no"], 1);
    assert_eq!(got["answers"][1]["target_date"], "2026-03-31");

    let x = app
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.xlsx",
            None,
        )
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(
        x.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(x.body)).unwrap();
    let range = wb.worksheet_range(mamori_report::SHEET_NAME).unwrap();
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells
            .iter()
            .any(|c| c == "いいえ\n（令和7年5月20日）\n目標日：令和8年3月31日")
    );
    assert!(cells.iter().any(|c| c == "端末の権限を整理中"));
    assert!(cells.iter().any(|c| c == "施設名：みどりクリニック"));
}

#[tokio::test]
async fn api_catalog_marks_unverified_texts() {
    let app = app().await;
    let c = app
        .api(Method::GET, "/api/v1/catalog/r7/facility", None)
        .await
        .json();
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    let usb = items.iter().find(|i| i["id"] == "r7.facility.2.9").unwrap();
    assert_eq!(usb["unverified"], true);
    let nf = app
        .api(Method::GET, "/api/v1/catalog/r9/facility", None)
        .await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    assert!(nf.json()["error"].as_str().unwrap().contains("r9"));
    let mapping = app
        .api(Method::GET, "/api/v1/catalog/r6/facility", None)
        .await
        .json()["next_edition_mapping"]
        .clone();
    assert!(
        mapping
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["from"] == "r6.facility.2.7" && m["to"] == "r7.facility.2.6")
    );
}

#[tokio::test]
async fn api_needs_a_valid_token_and_reads_bad_json_in_japanese() {
    let app = app().await;
    let r = send(
        &app.router,
        Request::get(ANSWERS).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"].as_str().unwrap().contains("APIトークン"));
    let r = send(
        &app.router,
        Request::get(ANSWERS)
            .header(header::AUTHORIZATION, "Bearer wrong")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &app.router,
        Request::put(ANSWERS)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from("{not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("読めません"));
}

#[tokio::test]
async fn gate_and_vendor_rules_apply_through_the_api() {
    let app = app_with(OrgKind::Clinic, false).await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.2.2",
                "yes",
                "2025-05-20",
                None
            )])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("記入不要")
    );
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.gate",
                "no",
                "2025-05-20",
                Some("2026-03-01")
            )])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let s = app.api(Method::GET, ANSWERS, None).await.json()["summary"].clone();
    assert_eq!(s["not_needed"], 21);
    assert_eq!(s["no"], 1);
}

/// Every path and method in openapi.json is served, and every served API route is documented.
#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let spec: Value = serde_json::from_str(include_str!("../../../../openapi.json")).unwrap();
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    documented.sort();
    let mut routes: Vec<(String, String)> = mamori_web::api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes, "openapi.json and api::ROUTES differ");
    let app = app().await;
    let vendor = app
        .store
        .save_ledger_row(
            1,
            "vendors",
            None,
            &[("name".to_string(), "A社".to_string())].into(),
            "admin",
            now(),
        )
        .await
        .unwrap();
    for (method, path) in routes {
        let uri = path
            .replace("{edition}", "r7")
            .replace("{variant}", "facility")
            .replace("{kind}", "accounts")
            .replace("{vendor_id}", &vendor.to_string())
            .replace("{format}", "csv");
        let method: Method = method.to_uppercase().parse().unwrap();
        let r = if method == Method::POST {
            let body = if uri.contains("/checklists/") {
                Body::from(one_answer_workbook())
            } else if uri.contains("/agent/inventory") {
                Body::from(serde_json::to_vec(&inventory_fixture("9.9")).unwrap())
            } else if uri.contains("/agent/enroll") {
                app.store
                    .create_enrollment(
                        1,
                        &mamori_app::auth::token_hash("enroll_routes"),
                        "routes",
                        "admin",
                        now(),
                        now() + chrono::Duration::days(1),
                    )
                    .await
                    .unwrap();
                Body::from(r#"{"enroll_token": "enroll_routes", "hostname": "PC-01"}"#)
            } else if uri.contains("/vendor-forms/") {
                Body::from(one_answer_workbook_of(mamori_core::Variant::Vendor))
            } else {
                Body::from("ユーザID,状態\r\nsato,使用可\r\n")
            };
            send(
                &app.router,
                Request::post(&uri)
                    .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                    .header(header::CONTENT_TYPE, "text/csv")
                    .body(body)
                    .unwrap(),
            )
            .await
        } else {
            let body = (method == Method::PUT)
                .then(|| json!([answer("r7.facility.1.1", "yes", "2025-05-20", None)]));
            app.api(method.clone(), &uri, body).await
        };
        assert_eq!(r.status, StatusCode::OK, "{method} {uri}: {}", r.text());
    }
    let r = app.api(Method::DELETE, ANSWERS, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = app.api(Method::GET, "/api/v1/nothing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|v| v.split(';').next().unwrap().to_string())
        })
        .filter(|v| !v.is_empty())
}

fn form_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn form_post(uri: &str, cookies: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn enc(s: &str) -> String {
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

#[tokio::test]
async fn first_run_setup_checks_input_keeps_it_and_signs_in() {
    let (router, store, _dir) = bare_app().await;
    let r = send(&router, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.headers[header::LOCATION], "/setup");
    let page = send(&router, Request::get("/setup").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("初期設定"));
    assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let pre = cookie_value(&page.set_cookies(), "mamori_pre").unwrap();
    let csrf = form_field(&page.text(), "csrf");
    assert_eq!(pre, csrf);
    let cookies = format!("mamori_pre={pre}");

    // Without the CSRF token: refused.
    let r = send(&router, form_post("/setup", "", "org_kind=clinic")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Bad input: messages beside the fields, everything typed kept, nothing stored.
    let body = format!(
        "csrf={csrf}&org_kind=clinic&org_name={}&security_officer=&has_vendor_contract=yes&admin_name={}&admin_login=admin&password=short&password_confirm=short",
        enc("みどりクリニック"),
        enc("山田")
    );
    let r = send(&router, form_post("/setup", &cookies, &body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("安全管理責任者の氏名を入力してください"));
    assert!(html.contains("パスワードは8文字以上"));
    assert!(html.contains("value=\"みどりクリニック\""));
    assert!(html.contains("<option value=\"clinic\" selected>"));
    assert!(!store.is_set_up().await.unwrap());

    let body = format!(
        "csrf={csrf}&org_kind=clinic&org_name={}&security_officer={}&has_vendor_contract=no&admin_name={}&admin_login=admin&password={}&password_confirm={}",
        enc("みどりクリニック"),
        enc("山田 太郎"),
        enc("山田"),
        enc("Midori#2025"),
        enc("Midori#2025")
    );
    let r = send(&router, form_post("/setup", &cookies, &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.headers[header::LOCATION], "/dashboard");
    let set = r.set_cookies();
    assert!(set.iter().any(|c| c.starts_with("mamori_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Strict")));
    let session = cookie_value(&set, "mamori_session").unwrap();
    let org = store
        .org(store.first_org_id().await.unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (org.name.as_str(), org.has_vendor_contract),
        ("みどりクリニック", false)
    );
    // The contact list starts with MHLW, the MIST desk and the police, as editable rows.
    let contacts = store.ledger_all(org.id, "contacts").await.unwrap();
    assert_eq!(contacts.len(), 3);
    assert_eq!(contacts[0].data["phone"], "03-6812-7837");
    assert!(contacts[1].data["organisation"].contains("インシデントかも"));
    assert!(contacts[2].data["organisation"].contains("警察"));

    // An administrator must set up two-factor sign-in before anything else.
    let r = send(
        &router,
        Request::get("/dashboard")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/account/totp");
    let r = send(
        &router,
        Request::get("/account/totp")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(r.text().contains("id=\"totp-required\""), "{}", r.text());
    let admin = store.user_by_login("admin").await.unwrap().unwrap();
    enrol_totp(&store, &admin).await;

    // The dashboard counts every row; 2(2) and 2(3) are 記入不要.
    let r = send(
        &router,
        Request::get("/dashboard")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("data-count=\"not_applicable\">2<"),
        "2(2) and 2(3) need no entry without a vendor contract"
    );
    assert!(html.contains("data-count=\"unanswered\">20<"));
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        html.contains("バックアップの記録がありません"),
        "the administrator is told there is no backup yet"
    );

    // Setup is refused once done.
    let r = send(&router, form_post("/setup", &cookies, &body)).await;
    assert_eq!(r.headers[header::LOCATION], "/login");
}

#[tokio::test]
async fn login_answer_form_and_history() {
    let app = app().await;
    let page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let cookies = format!("mamori_pre={csrf}");
    let r = send(
        &app.router,
        form_post(
            "/login",
            &cookies,
            &format!("csrf={csrf}&login=admin&password=wrong"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .contains("ログインID・パスワード・確認コードのいずれかが違います")
    );
    assert!(r.text().contains("value=\"admin\""));
    let r = send(
        &app.router,
        form_post(
            "/login",
            &cookies,
            &format!(
                "csrf={csrf}&login=admin&password={}&code={}",
                enc("Midori#2025"),
                test_code(now())
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let session = format!(
        "mamori_session={}",
        cookie_value(&r.set_cookies(), "mamori_session").unwrap()
    );

    let page = send(
        &app.router,
        Request::get("/checklists/r7/facility")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = page.text();
    assert!(html.contains("USBストレージ等の外部記録媒体の接続を制限している。"));
    assert!(html.contains("未確認の文言"));
    assert!(html.contains("解説（マニュアルの要点）"));
    let csrf = form_field(&html, "csrf");

    // Wrong CSRF token: refused, nothing stored.
    let body = "csrf=bad&item=r7.facility.2.1&target=general&round=1&answer=no&checked_on=2025-05-20&target_date=&note=";
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, body),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // いいえ without 目標日 through htmx: the row comes back with the message and the typed values.
    let body = format!(
        "csrf={csrf}&item=r7.facility.2.1&target=general&round=1&answer=no&checked_on=2025-05-20&target_date=&note={}",
        enc("台帳作成中")
    );
    let mut req = form_post("/checklists/r7/facility/answers", &session, &body);
    req.headers_mut()
        .insert("hx-request", "true".parse().unwrap());
    let r = send(&app.router, req).await;
    assert_eq!(r.status, StatusCode::OK);
    let row = r.text();
    assert!(row.starts_with("<div class=\"item"), "{row}");
    assert!(row.contains("「いいえ」の場合は令和7年度中の目標日を入力してください"));
    assert!(row.contains("value=\"台帳作成中\""));
    assert!(row.contains("value=\"no\" checked"));
    assert_eq!(app.stored().await, json!([]));

    // The same without htmx: the whole page again, 422, typed values kept.
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("入力に誤りがあります"));
    assert!(r.text().contains("value=\"台帳作成中\""));

    // With a target date: saved, redirected to the row.
    let body = body.replace("target_date=&", "target_date=2025-12-01&");
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers[header::LOCATION],
        "/checklists/r7/facility#row-r7-facility-2-1-general"
    );
    assert_eq!(app.stored().await[0]["target_date"], "2025-12-01");

    let r = send(
        &app.router,
        Request::get("/history?item=r7.facility.2.1/general")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = r.text();
    assert!(
        html.contains("いいえ（令和7年5月20日） 目標日 令和7年12月1日 備考：台帳作成中"),
        "{html}"
    );
    assert!(
        html.contains("令和7年6月1日 10:00:00"),
        "times are shown in JST"
    );
    assert!(html.contains("絞り込み：令和7年度版 2(1) サーバ、端末PC、ネットワーク機器の台帳管理を行っている。（全般）"));

    // Logout ends the session.
    let r = send(
        &app.router,
        form_post("/logout", &session, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &app.router,
        Request::get("/dashboard")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers[header::LOCATION], "/login");
}

#[tokio::test]
async fn pages_need_a_session_and_static_files_are_served() {
    let app = app().await;
    for path in [
        "/dashboard",
        "/checklists/r7/facility",
        "/history",
        "/checklists/r7/facility/export.xlsx",
    ] {
        let r = send(&app.router, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(r.headers[header::LOCATION], "/login", "{path}");
    }
    let r = send(
        &app.router,
        Request::get("/static/htmx-2.0.11.min.js")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("htmx"));
    let r = send(
        &app.router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn large_bodies_are_refused() {
    let app = app().await;
    let big = "x".repeat(mamori_web::BODY_LIMIT + 10);
    let r = send(
        &app.router,
        Request::put(ANSWERS)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// In 令和8年度 no newer edition is built in: R7 is used, the page says so, and 目標日 must fall in 令和8年度.
#[tokio::test]
async fn newest_edition_is_used_in_a_later_fiscal_year_and_says_so() {
    let at = DateTime::parse_from_rfc3339("2026-11-23T03:00:00Z")
        .unwrap()
        .to_utc();
    let app = app_at(OrgKind::Pharmacy, true, at).await;
    let path = "/api/v1/checklists/r7/pharmacy/answers";
    let item = |target_date: &str| json!([{"item": "r7.pharmacy.2.1", "answer": "no", "checked_on": "2026-11-20", "target_date": target_date}]);
    let r = app.api(Method::PUT, path, Some(item("2026-03-31"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("令和8年度中")
    );
    let r = app.api(Method::PUT, path, Some(item("2027-03-31"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.api(Method::GET, path, None).await.json()["fiscal_year"],
        2026
    );

    let session = auth::new_token();
    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    app.store
        .create_session(
            &auth::token_hash(&session),
            user.id,
            "c",
            at,
            at + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let r = send(
        &app.router,
        Request::get("/dashboard")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = r.text();
    assert!(
        html.contains("令和8年度の版はまだ取り込まれていないため、令和7年度版を使用しています。厚生労働省は令和8年度版のチェックリスト"),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/editions">版の取り込みへ</a>"#),
        "{html}"
    );
    assert!(html.contains("令和7年度版 薬局確認用（令和8年度）"));
    assert!(
        html.contains("令和9年3月31日"),
        "the open item shows its 目標日"
    );
}

/// Every route, tried by each role of one facility and by the administrator of another: only what the
/// policy allows succeeds, and no one sees another organisation's data. The route list is checked against
/// the router's source, so a new route fails this test until it is added here.
#[tokio::test]
async fn role_and_tenancy_matrix_covers_every_route() {
    use mamori_core::Role;
    // (method, route pattern, concrete path, expected status for admin, editor, viewer, vendor)
    const OK: u16 = 200;
    const MOVED: u16 = 303;
    const NO: u16 = 403;
    let pages: &[(&str, &str, &str, [u16; 4])] = &[
        ("GET", "/dashboard", "/dashboard", [OK, OK, OK, MOVED]),
        ("GET", "/history", "/history", [OK, OK, OK, NO]),
        ("GET", "/settings", "/settings", [OK, NO, NO, NO]),
        ("GET", "/agents", "/agents", [OK, NO, NO, NO]),
        ("GET", "/logs", "/logs", [OK, OK, OK, NO]),
        // The matrix uploads a file under another field name: nothing to analyse, 422.
        ("POST", "/logs/upload", "/logs/upload", [422, 422, NO, NO]),
        ("GET", "/logs/{id}", "/logs/1", [404, 404, 404, NO]),
        (
            "POST",
            "/logs/{id}/review",
            "/logs/1/review",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/agents/enroll-token",
            "/agents/enroll-token",
            [OK, NO, NO, NO],
        ),
        (
            "GET",
            "/agents/reviews",
            "/agents/reviews",
            [OK, OK, OK, NO],
        ),
        // No target chosen: 400 where resolving is allowed.
        (
            "POST",
            "/agents/reviews/{id}",
            "/agents/reviews/1",
            [400, 400, NO, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}",
            "/ledgers/accounts",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/export.{format}",
            "/ledgers/accounts/export.csv",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/new",
            "/ledgers/accounts/new",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/new",
            "/ledgers/accounts/new",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/{id}",
            "/ledgers/accounts/1",
            [OK, OK, OK, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/{id}",
            "/ledgers/accounts/1",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/{id}/disable",
            "/ledgers/accounts/1/disable",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import",
            "/ledgers/accounts/import",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import/confirm",
            "/ledgers/accounts/import/confirm",
            [409, 409, NO, NO],
        ),
        // The matrix uploads a CSV: not a workbook, so 422 where answering is allowed.
        (
            "POST",
            "/checklists/{edition}/{variant}/import",
            "/checklists/r7/facility/import",
            [422, 422, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/import/confirm",
            "/checklists/r7/facility/import/confirm",
            [409, 409, NO, NO],
        ),
        ("POST", "/settings", "/settings", [MOVED, NO, NO, NO]),
        // No such user or token: 404 for administrators, refused before the lookup for everyone else.
        (
            "POST",
            "/settings/users/{id}/{action}",
            "/settings/users/999/sign-out",
            [404, NO, NO, NO],
        ),
        (
            "POST",
            "/settings/tokens/{id}/revoke",
            "/settings/tokens/999/revoke",
            [404, NO, NO, NO],
        ),
        ("GET", "/account/totp", "/account/totp", [OK, OK, OK, OK]),
        (
            "POST",
            "/account/totp",
            "/account/totp",
            // The administrator has two-factor already (it is required); the others may enrol.
            [MOVED, 422, 422, 422],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}",
            "/checklists/r7/facility",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}",
            "/checklists/r7/vendor",
            [OK, OK, OK, OK],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/answers",
            "/checklists/r7/facility/answers",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/answers",
            "/checklists/r7/vendor/answers",
            [MOVED, MOVED, NO, MOVED],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/checklists/r7/facility/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/checklists/r7/facility/export.pdf",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/checklists/r7/vendor/export.pdf",
            [OK, OK, OK, OK],
        ),
        ("GET", "/pack.pdf", "/pack.pdf?edition=r7", [OK, OK, OK, NO]),
        ("GET", "/editions", "/editions", [OK, OK, OK, NO]),
        // The matrix uploads a CSV without an edition id: refused with the reason, 422.
        (
            "POST",
            "/editions/import",
            "/editions/import",
            [422, NO, NO, NO],
        ),
        (
            "GET",
            "/editions/imports/{id}",
            "/editions/imports/1",
            [404, 404, 404, NO],
        ),
        (
            "POST",
            "/editions/imports/{id}/confirm",
            "/editions/imports/1/confirm",
            [404, NO, NO, NO],
        ),
        (
            "POST",
            "/editions/imports/{id}/discard",
            "/editions/imports/1/discard",
            [404, NO, NO, NO],
        ),
        ("GET", "/vendor-forms", "/vendor-forms", [OK, OK, OK, NO]),
        // Row 1 is a 利用者台帳 row: no vendor form there.
        (
            "GET",
            "/vendor-forms/{vendor_id}/export.{format}",
            "/vendor-forms/1/export.xlsx",
            [404, 404, 404, NO],
        ),
        (
            "POST",
            "/vendor-forms/{vendor_id}/import",
            "/vendor-forms/1/import",
            [422, 422, NO, NO],
        ),
        (
            "GET",
            "/vendor-forms/{vendor_id}/edit",
            "/vendor-forms/1/edit",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/vendor-forms/{vendor_id}/edit",
            "/vendor-forms/1/edit",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/checklists/r7/vendor/export.xlsx",
            [OK, OK, OK, OK],
        ),
    ];
    let api: &[(&str, &str, &str, [u16; 4])] = &[
        (
            "GET",
            "/catalog/{edition}/{variant}",
            "/api/v1/catalog/r7/facility",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/catalog/{edition}/{variant}",
            "/api/v1/catalog/r7/vendor",
            [OK, OK, OK, OK],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/facility/answers",
            [OK, OK, OK, NO],
        ),
        (
            "PUT",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/facility/answers",
            [OK, OK, NO, NO],
        ),
        (
            "PUT",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/vendor/answers",
            [OK, OK, NO, OK],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/api/v1/checklists/r7/facility/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/api/v1/checklists/r7/facility/export.pdf",
            [OK, OK, OK, NO],
        ),
        ("GET", "/pack.pdf", "/api/v1/pack.pdf", [OK, OK, OK, NO]),
        (
            "GET",
            "/reconciliation",
            "/api/v1/reconciliation?edition=r7",
            [OK, OK, OK, NO],
        ),
        // The matrix posts a CSV: not an inventory, so 422 where changing the ledgers is allowed.
        (
            "POST",
            "/agent/inventory",
            "/api/v1/agent/inventory",
            [422, 422, NO, NO],
        ),
        // Enrolment takes an enrolment token in the body, not a user's token: a CSV is 422 for everyone.
        (
            "POST",
            "/agent/enroll",
            "/api/v1/agent/enroll",
            [422, 422, 422, 422],
        ),
        (
            "POST",
            "/vendor-forms/{vendor_id}/import",
            "/api/v1/vendor-forms/1/import",
            [422, 422, NO, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/evidence",
            "/api/v1/checklists/r7/facility/evidence",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}",
            "/api/v1/ledgers/accounts",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/export.{format}",
            "/api/v1/ledgers/accounts/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import",
            "/api/v1/ledgers/accounts/import",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/import",
            "/api/v1/checklists/r7/facility/import",
            [OK, OK, NO, NO],
        ),
    ];
    // Routes open to anyone (setup, login, health, static files) carry no facility data.
    let public = [
        "/",
        "/setup",
        "/login",
        "/logout",
        "/healthz",
        "/static/{file}",
        "/favicon.ico",
    ];

    let source = concat!(
        include_str!("../../src/router.rs"),
        include_str!("../../src/api/mod.rs")
    );
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + 7..];
        let start = rest.find('"').unwrap() + 1;
        let path = &rest[start..start + rest[start..].find('"').unwrap()];
        let covered = public.contains(&path) || pages.iter().chain(api).any(|r| r.1 == path);
        assert!(covered, "route {path} is not in the role matrix");
    }

    let app = app().await;
    let org_id = app.store.first_org_id().await.unwrap().unwrap();
    let mut who = Vec::new();
    for role in Role::ALL {
        let login = format!("u-{}", role.id());
        let user = app
            .store
            .add_user(
                org_id,
                &NewUser {
                    login: login.clone(),
                    display_name: login.clone(),
                    password_hash: "x".into(),
                    role,
                },
                "admin",
                now(),
            )
            .await
            .unwrap();
        if role == Role::Admin {
            enrol_totp(&app.store, &user).await;
        }
        let session = auth::new_token();
        app.store
            .create_session(
                &auth::token_hash(&session),
                user.id,
                "csrf-token",
                now(),
                now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
        let (token, stored) =
            auth::new_api_token("matrix", role, now() + chrono::Duration::days(1));
        app.store
            .create_api_token(&user, &stored, now())
            .await
            .unwrap();
        who.push((role, session, token));
    }
    let form_body = |path: &str| {
        let variant = if path.contains("/vendor/") {
            "vendor"
        } else {
            "facility"
        };
        // Answer fields, and ledger fields (ignored by the answer form).
        format!(
            "csrf=csrf-token&item=r7.{variant}.1.1&target=general&round=1&answer=yes&checked_on=2025-05-20&target_date=&note=&user_id=u1&status={}",
            enc("使用可")
        )
    };
    let ledger_csv = "ユーザID,状態\r\nsato,使用可\r\n";
    let ledger_id = app
        .store
        .save_ledger_row(
            org_id,
            "accounts",
            None,
            &[("user_id".to_string(), "first".to_string())].into(),
            "admin",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(ledger_id, 1, "the matrix's paths name row 1");
    for (i, (role, session, token)) in who.iter().enumerate() {
        for (method, _, path, expect) in pages {
            let mut req = Request::builder()
                .method(*method)
                .uri(*path)
                .header(header::COOKIE, format!("mamori_session={session}"));
            let body = if *method == "POST"
                && (path.ends_with("/import") || path.ends_with("/upload"))
            {
                req = req.header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ");
                Body::from(format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ncsrf-token\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{ledger_csv}\r\n--XyZ--\r\n"
                ))
            } else if *method == "POST" {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form_body(path))
            } else {
                Body::empty()
            };
            let r = send(&app.router, req.body(body).unwrap()).await;
            assert_eq!(
                r.status.as_u16(),
                expect[i],
                "{role:?} {method} {path}: {}",
                r.text()
            );
        }
        for (method, _, path, expect) in api {
            let mut req = Request::builder()
                .method(*method)
                .uri(*path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            let body = if *method == "POST" && path.contains("/checklists/") {
                Body::from(one_answer_workbook())
            } else if *method == "POST" {
                Body::from(ledger_csv)
            } else if *method == "PUT" {
                let variant = if path.contains("/vendor/") {
                    "vendor"
                } else {
                    "facility"
                };
                Body::from(
                    json!([answer(
                        &format!("r7.{variant}.1.1"),
                        "yes",
                        "2025-05-20",
                        None
                    )])
                    .to_string(),
                )
            } else {
                Body::empty()
            };
            req = req.header(header::CONTENT_TYPE, "application/json");
            let r = send(&app.router, req.body(body).unwrap()).await;
            assert_eq!(
                r.status.as_u16(),
                expect[i],
                "{role:?} {method} {path}: {}",
                r.text()
            );
            if r.status == StatusCode::FORBIDDEN {
                assert!(r.json()["error"].as_str().unwrap().contains("権限"));
            }
        }
    }

    // Another organisation's administrator sees none of the first one's answers or history.
    let (_, other) = app
        .store
        .add_org(
            &NewOrg {
                kind: OrgKind::Hospital,
                name: "別の病院".into(),
                security_officer: "他".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "other-admin".into(),
                display_name: "他".into(),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    enrol_totp(&app.store, &other).await;
    let (token, stored) =
        auth::new_api_token("other", Role::Admin, now() + chrono::Duration::days(1));
    app.store
        .create_api_token(&other, &stored, now())
        .await
        .unwrap();
    assert!(
        !app.stored().await.as_array().unwrap().is_empty(),
        "the first facility has answers"
    );
    for path in [
        "/api/v1/checklists/r7/facility/answers",
        "/api/v1/checklists/r7/vendor/answers",
    ] {
        let r = send(
            &app.router,
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["answers"], json!([]), "{path}");
    }
    let session = auth::new_token();
    app.store
        .create_session(
            &auth::token_hash(&session),
            other.id,
            "c",
            now(),
            now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let r = send(
        &app.router,
        Request::get("/history")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for path in ["/ledgers/accounts/1", "/ledgers/accounts"] {
        let page = get(&app.router, path, &format!("mamori_session={session}")).await;
        assert!(
            page.status == StatusCode::NOT_FOUND || !page.text().contains("sato"),
            "{path}: no ledger rows of the first facility"
        );
    }
    let r = send(
        &app.router,
        Request::get("/history")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        !r.text().contains("みどりクリニック") && !r.text().contains("u-editor"),
        "no history of the first facility"
    );
}

#[tokio::test]
async fn failed_logins_lock_the_account_and_flood_is_rate_limited() {
    let app = app().await;
    let page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let cookies = format!("mamori_pre={csrf}");
    let attempt = |password: &str, peer: Option<&str>| {
        let mut req = form_post(
            "/login",
            &cookies,
            &format!("csrf={csrf}&login=admin&password={}", enc(password)),
        );
        if let Some(p) = peer {
            req.extensions_mut().insert(axum::extract::ConnectInfo(
                p.parse::<std::net::SocketAddr>().unwrap(),
            ));
        }
        req
    };
    for i in 1..=4 {
        let r = send(&app.router, attempt("wrong", None)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = send(&app.router, attempt("wrong", None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("5回続けて失敗したため"), "{}", r.text());
    // Even the right password is refused while locked.
    let r = send(&app.router, attempt("Midori#2025", None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("ロックされています"));
    assert!(
        app.store
            .history(1, Some("user"), None, 10)
            .await
            .unwrap()
            .iter()
            .any(|h| h.action == "lock")
    );

    // One address may fail 10 times a minute; another address is not affected.
    for _ in 0..mamori_web::LOGIN_FAILURES_PER_MINUTE {
        let r = send(&app.router, attempt("x", Some("192.0.2.7:5000"))).await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
    let r = send(&app.router, attempt("x", Some("192.0.2.7:5001"))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("失敗が多すぎます"));
    let r = send(&app.router, attempt("x", Some("192.0.2.8:5000"))).await;
    assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn two_factor_enrolment_login_and_replay() {
    let app = app_unenrolled(OrgKind::Clinic, true, now()).await;
    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    let session = auth::new_token();
    app.store
        .create_session(
            &auth::token_hash(&session),
            user.id,
            "csrf-t",
            now(),
            now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let cookie = format!("mamori_session={session}");
    let page = send(
        &app.router,
        Request::get("/account/totp")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = page.text();
    assert!(html.contains("data:image/svg+xml;base64,"), "QR code shown");
    let start = html.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret = html[start..start + 32].to_string();
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let code_at = |t: DateTime<Utc>| {
        format!(
            "{:06}",
            mamori_web::totp::code_at(&raw, mamori_web::totp::step_of(t.timestamp()))
        )
    };

    let r = send(
        &app.router,
        form_post("/account/totp", &cookie, "csrf=csrf-t&code=000000"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("確認コードが正しくありません"));
    let r = send(
        &app.router,
        form_post(
            "/account/totp",
            &cookie,
            &format!("csrf=csrf-t&code={}", code_at(now())),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("回復コード"));
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|c| c[..10].to_string())
        .collect();
    assert_eq!(codes.len(), 10);

    // Sign in: password alone is not enough; the enrolment code cannot be replayed; the next step's code works once.
    let login = |router: Router, code: String| async move {
        let page = send(&router, Request::get("/login").body(Body::empty()).unwrap()).await;
        let csrf = form_field(&page.text(), "csrf");
        let body = format!(
            "csrf={csrf}&login=admin&password={}&code={code}",
            enc("Midori#2025")
        );
        send(
            &router,
            form_post("/login", &format!("mamori_pre={csrf}"), &body),
        )
        .await
    };
    // The right password without its code gets the same answer as a wrong password (no oracle).
    let r = login(app.router.clone(), String::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .contains("ログインID・パスワード・確認コードのいずれかが違います")
    );
    let r = login(app.router.clone(), code_at(now())).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "replayed enrolment code"
    );
    assert!(r.text().contains("一度使ったコードは使えません"));
    let later = now() + chrono::Duration::seconds(30);
    let router_later = mamori_web::router(AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(later),
    ));
    let r = login(router_later.clone(), code_at(later)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = login(router_later.clone(), code_at(later)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the same code twice");
    // A recovery code works once.
    let r = login(router_later.clone(), codes[0].clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = login(router_later, codes[0].clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A session cookie for `login` created directly in the store.
async fn session_for(store: &Store, login: &str, csrf: &str) -> String {
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

async fn get(router: &Router, path: &str, cookie: &str) -> Resp {
    send(
        router,
        Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn two_factor_is_required_for_admins_and_when_the_organisation_says_so() {
    let app = app_unenrolled(OrgKind::Clinic, true, now()).await;
    let org_id = app.store.first_org_id().await.unwrap().unwrap();
    app.store
        .add_user(
            org_id,
            &NewUser {
                login: "editor".into(),
                display_name: "編集".into(),
                password_hash: "x".into(),
                role: mamori_core::Role::Editor,
            },
            "admin",
            now(),
        )
        .await
        .unwrap();
    let admin = session_for(&app.store, "admin", "c1").await;
    let editor = session_for(&app.store, "editor", "c2").await;

    // The administrator without two-factor: every page leads to enrolment, every change is refused.
    for path in [
        "/dashboard",
        "/checklists/r7/facility",
        "/history",
        "/settings",
    ] {
        let r = get(&app.router, path, &admin).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers[header::LOCATION], "/account/totp", "{path}");
    }
    let body = "csrf=c1&item=r7.facility.1.1&target=general&round=1&answer=yes&checked_on=2025-05-20&target_date=&note=";
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &admin, body),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("二要素認証"));
    assert_eq!(app.stored().await, json!([]));
    // An editor is not required to, until the organisation says so.
    assert_eq!(
        get(&app.router, "/dashboard", &editor).await.status,
        StatusCode::OK
    );

    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    enrol_totp(&app.store, &user).await;
    assert_eq!(
        get(&app.router, "/dashboard", &admin).await.status,
        StatusCode::OK
    );
    // Only an administrator may change the setting; the change is audited.
    let r = send(
        &app.router,
        form_post("/settings", &editor, "csrf=c2&require_totp=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &app.router,
        form_post("/settings", &admin, "csrf=wrong&require_totp=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF token checked");
    let r = send(
        &app.router,
        form_post("/settings", &admin, "csrf=c1&require_totp=1"),
    )
    .await;
    assert_eq!(r.headers[header::LOCATION], "/settings?saved=1");
    let page = get(&app.router, "/settings", &admin).await.text();
    assert!(page.contains("name=\"require_totp\" value=\"1\" checked"));
    assert!(page.contains("<td>editor</td><td>編集</td><td>編集者</td><td><strong class=\"badge overdue\">未設定</strong>"));
    let r = get(&app.router, "/dashboard", &editor).await;
    assert_eq!(r.headers[header::LOCATION], "/account/totp");
    let trail = app
        .store
        .history(org_id, Some("settings"), None, 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor, "admin");
    assert_eq!(trail[0].after, Some(json!({"require_totp": true})));
}

#[tokio::test]
async fn audit_trail_page_filters_pages_and_checks_the_chain() {
    let app = app().await;
    let org_id = app.store.first_org_id().await.unwrap().unwrap();
    for (i, item) in ["1.1", "2.1", "3.1"].iter().enumerate() {
        let r = app
            .api(
                Method::PUT,
                ANSWERS,
                Some(json!([answer(
                    &format!("r7.facility.{item}"),
                    "yes",
                    &format!("2025-05-2{i}"),
                    None
                )])),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let admin = session_for(&app.store, "admin", "c").await;
    let html = get(&app.router, "/history", &admin).await.text();
    let all = html.matches("<tr><td>").count();
    assert!(all >= 5);
    assert!(html.contains(&format!(
        "id=\"chain-status\">監査記録の連鎖を確認しました：{all} 件"
    )));
    assert!(
        html.contains("<option value=\"settings\"")
            || html.contains("<option value=\"answer\">チェックリストの回答</option>")
    );

    // By kind: only answers; by person; by a JST day range that excludes everything.
    let html = get(&app.router, "/history?entity=answer", &admin)
        .await
        .text();
    assert_eq!(html.matches("<tr><td>").count(), 3, "{html}");
    let html = get(&app.router, "/history?entity=org", &admin).await.text();
    assert_eq!(html.matches("<tr><td>").count(), 1);
    let html = get(&app.router, "/history?actor=nobody", &admin)
        .await
        .text();
    assert!(html.contains("該当する記録はありません"));
    let html = get(
        &app.router,
        "/history?from=2025-06-01&to=2025-06-01",
        &admin,
    )
    .await
    .text();
    assert_eq!(
        html.matches("<tr><td>").count(),
        all,
        "every record is of 6/1 JST"
    );
    let html = get(&app.router, "/history?from=2025-06-02", &admin)
        .await
        .text();
    assert!(html.contains("該当する記録はありません"));
    let r = get(&app.router, "/history?from=6%2F1", &admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("日付「6/1」を読み取れません"));

    // Paging: 205 more records; the first page holds 200 and links to the rest.
    for i in 0..205 {
        app.store
            .record_event(org_id, "admin", now(), "session", &i.to_string(), "login")
            .await
            .unwrap();
    }
    let html = get(&app.router, "/history?entity=session", &admin)
        .await
        .text();
    assert_eq!(html.matches("<tr><td>").count(), 200);
    let start = html.find("href=\"/history?").unwrap() + 6;
    let next = html[start..start + html[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let html = get(&app.router, &next, &admin).await.text();
    assert_eq!(html.matches("<tr><td>").count(), 5, "{next}");
    assert!(!html.contains("id=\"older\""));
}

#[tokio::test]
async fn dashboard_shows_the_age_of_the_last_backup() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let run = |hours_ago: i64, ok: bool, message: &str| mamori_store::BackupRun {
        at: now() - chrono::Duration::hours(hours_ago),
        ok,
        generation: format!("gen-{hours_ago}"),
        dir: "/backups".into(),
        message: message.into(),
    };
    app.store
        .record_backup_run(&run(240, true, ""))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(html.contains("（10日前）"), "{html}");
    assert!(html.contains("最後のバックアップから10日経っています"));
    app.store
        .record_backup_run(&run(3, true, ""))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        html.contains("id=\"backup-age\">令和7年6月1日 07:00（3時間前）"),
        "{html}"
    );
    assert!(html.contains("世代 gen-3"));
    assert!(!html.contains("id=\"backup-warning\""));
    app.store
        .record_backup_run(&run(1, false, "保存先に書き込めません"))
        .await
        .unwrap();
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        html.contains("令和7年6月1日 09:00のバックアップに失敗しました：保存先に書き込めません")
    );
}

/// HTTPS on a LAN: a self-signed certificate, a TLS client that trusts it, the health check and the
/// login page over TLS with `Secure` cookies and HSTS; plain HTTP on the same port gets nothing.
#[tokio::test]
async fn serves_https_with_secure_cookies() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let missing = mamori_web::Tls::load(&dir.path().join("none.pem"), &key_path).await;
    assert!(missing.err().unwrap().to_string().contains("TLS の証明書"));
    let tls = mamori_web::Tls::load(&cert_path, &key_path).await.unwrap();
    let (_, store, _db) = bare_app().await;
    let state = AppState::new(store, Catalog::builtin().unwrap(), Clock::fixed(now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(mamori_web::serve_tls(listener, state, tls));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let get_tls = |path: &'static str| {
        let connector = connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let mut s = connector.connect(name, tcp).await.unwrap();
            s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let health = get_tls("/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health
            .to_lowercase()
            .contains("strict-transport-security: max-age=31536000")
    );
    let login = get_tls("/setup").await;
    let cookie = login
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .expect("the setup page sets its CSRF cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");

    // Plain HTTP to the TLS port: no page is served.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut out),
    )
    .await;
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
    server.abort();
}

fn multipart_file(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut body = format!(
        "--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    ("multipart/form-data; boundary=B0undary".into(), body)
}

#[tokio::test]
async fn ledger_pages_import_with_preview_edit_and_history() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let upload = |bytes: Vec<u8>| {
        let (ct, body) = multipart_file("c", "利用者台帳.csv", &bytes);
        Request::post("/ledgers/accounts/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    // Two bad rows: nothing stored, both named by row and column.
    let bad = "No.,所属部署,姓,名,ユーザID,状態,退職日\r\n1,医事課,山田,花子,yamada,休憩,\r\n2,看護部,佐藤,一郎,sato,使用可,いつか\r\n";
    let r = send(&app.router, upload(encoding_rs_sjis(bad))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("何も取り込んでいません（2 件）"), "{html}");
    assert!(html.contains("2行目「状態」列: 「休憩」は選べません"));
    assert!(html.contains("3行目「退職日」列: 日付「いつか」を読み取れません"));
    assert_eq!(app.store.ledger_all(1, "accounts").await.unwrap().len(), 0);

    // A good file larger than the 1 MiB form limit: previewed, nothing stored until confirmed.
    let mut good = String::from("No.,所属部署,姓,名,ユーザID,状態,退職日\r\n");
    let long = "病棟の電子カルテ端末を使う。".repeat(8);
    for i in 0..6_000 {
        good.push_str(&format!(
            "{i},看護部{long},佐藤,一郎,user{i:05},使用可,\r\n"
        ));
    }
    assert!(good.len() > mamori_web::BODY_LIMIT);
    let r = send(&app.router, upload(encoding_rs_sjis(&good))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Shift_JIS（CP932）"));
    assert!(html.contains("id=\"preview-count\">6000 行"));
    assert_eq!(app.store.ledger_all(1, "accounts").await.unwrap().len(), 0);
    let token = form_field(&html, "token");
    let r = send(
        &app.router,
        form_post(
            "/ledgers/accounts/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/ledgers/accounts?imported=6000,0,0"
    );
    // The same confirmation twice does nothing.
    let r = send(
        &app.router,
        form_post(
            "/ledgers/accounts/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // List: server-side search, sort and paging.
    let html = get(&app.router, "/ledgers/accounts?q=user05999", &admin)
        .await
        .text();
    assert!(
        html.contains("<td>user05999</td>") && html.contains("1 行"),
        "{html}"
    );
    let html = get(&app.router, "/ledgers/accounts?sort=user_id&desc=1", &admin)
        .await
        .text();
    assert!(html.contains("6000 行") && html.contains("1 / 120 ページ"));
    let first = html.find("<td>user05999</td>").unwrap();
    assert!(first < html.find("<td>user05998</td>").unwrap());

    // Edit: a bad date comes back beside the field with the typed values kept; a good one is saved.
    let row = app
        .store
        .ledger_page(
            1,
            "accounts",
            &mamori_store::LedgerQuery {
                search: "user00007".into(),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0[0]
        .clone();
    let path = format!("/ledgers/accounts/{}", row.id);
    let body = format!(
        "csrf=c&user_id=user00007&status={}&family_name={}&end_date=2025%2F13%2F01",
        enc("使用可"),
        enc("佐藤")
    );
    let r = send(&app.router, form_post(&path, &admin, &body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("日付「2025/13/01」を読み取れません"));
    assert!(r.text().contains("value=\"2025/13/01\""));
    let body = body.replace("2025%2F13%2F01", enc("令和7年3月31日").as_str());
    let r = send(&app.router, form_post(&path, &admin, &body)).await;
    assert_eq!(r.headers[header::LOCATION], path.as_str());
    let html = get(&app.router, &path, &admin).await.text();
    assert!(html.contains("value=\"2025-03-31\""));
    assert!(
        html.contains("<td>変更</td>") && html.contains("<td>取り込み</td>"),
        "{html}"
    );

    // The API: 422 with the same errors; xlsx export of the rows.
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(bad))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][1]["column"], "退職日");
    assert_eq!(r.json()["errors"][1]["row"], 3);
    let r = app
        .api(
            Method::GET,
            "/api/v1/ledgers/accounts?search=user0000&sort=user_id&limit=3",
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 10);
    assert_eq!(r.json()["rows"][2]["data"]["user_id"], "user00002");
}

fn encoding_rs_sjis(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

#[tokio::test]
async fn ledger_evidence_suggests_answers_and_disagreement_needs_a_note() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let item = "r7.facility.2.5";
    // Nothing in the ledgers: 判断材料不足, and any answer is accepted.
    let evidence = app
        .api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json();
    let s = evidence["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == item)
        .unwrap()
        .clone();
    assert_eq!(s["verdict"], "unknown");

    let csv = "ユーザID,状態,退職日\r\nyamada,使用可,2025-03-31\r\nsato,使用可,\r\n";
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    let row = &html[html.find("id=\"row-r7-facility-2-5-server\"").unwrap()..];
    let row = &row[..row.find("</form>").unwrap()];
    assert!(row.contains("台帳から：いいえ"), "{row}");
    assert!(row.contains("退職日（利用終了日）を過ぎた利用者のうち1名が使用可のままです"));
    assert!(row.contains("href=\"/ledgers/accounts/1\""));

    // はい against the ledger without a 備考: refused beside the note; with one: saved.
    let answer_yes = |note: &str| json!([{"item": item, "target": "server", "answer": "yes", "checked_on": "2025-05-20", "note": note}]);
    let r = app.api(Method::PUT, ANSWERS, Some(answer_yes(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "note");
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("台帳からの判断（いいえ")
    );
    let body = "csrf=c&item=r7.facility.2.5&target=server&round=1&answer=yes&checked_on=2025-05-20&target_date=&note=";
    let mut req = form_post("/checklists/r7/facility/answers", &admin, body);
    req.headers_mut()
        .insert("hx-request", "true".parse().unwrap());
    let r = send(&app.router, req).await;
    assert!(
        r.text().contains("理由を備考に書いてください"),
        "{}",
        r.text()
    );
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(answer_yes("山田さんは6月まで嘱託で継続")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // What the ledger said is kept with the answer, and in its audit record.
    let stored = app.api(Method::GET, ANSWERS, None).await.json();
    let kept = &stored["evidence_at_save"]["r7.facility.2.5/server/1"];
    assert_eq!(kept["verdict"], "no", "{stored}");
    assert!(
        kept["reasons"][0]
            .as_str()
            .unwrap()
            .contains("使用可のまま")
    );
    let trail = app
        .store
        .history(1, Some("answer"), Some("r7.facility.2.5/server/1"), 1)
        .await
        .unwrap();
    assert_eq!(
        trail[0].after.as_ref().unwrap()["evidence"]["verdict"],
        "no"
    );
    // Agreeing needs no note.
    let r = app
        .api(Method::PUT, ANSWERS, Some(json!([{"item": item, "target": "server", "round": 2, "answer": "no", "checked_on": "2025-05-25", "target_date": "2025-07-01"}])))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Filters by a column's value on the page and the API; log reviews turn the access-log item (R7 2(10))
/// from いいえ to はい, and disabling the review turns it back (the evidence cache is patched with each
/// change, never stale).
#[tokio::test]
async fn ledger_filters_and_log_reviews_drive_the_access_log_item() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let import = |kind: &str, csv: &str| {
        Request::post(format!("/api/v1/ledgers/{kind}/import"))
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv.to_string()))
            .unwrap()
    };
    let csv = "ユーザID,状態,姓\r\nyamada,使用可,山田\r\nsato,無効,佐藤\r\nsuzuki,使用可,鈴木\r\n";
    assert_eq!(
        send(&app.router, import("accounts", csv)).await.status,
        StatusCode::OK
    );
    let html = get(
        &app.router,
        &format!("/ledgers/accounts?f_status={}", enc("無効")),
        &admin,
    )
    .await
    .text();
    assert!(
        html.contains("1 行") && html.contains("<td>sato</td>"),
        "{html}"
    );
    assert!(html.contains("<option selected>無効</option>"));
    // A value that is not one of the column's choices is no filter at all.
    let html = get(&app.router, "/ledgers/accounts?f_status=x", &admin)
        .await
        .text();
    assert!(html.contains("3 行"));
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/ledgers/accounts?f_status={}", enc("使用可")),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 2);

    let csv = "機器・システム,ログの種類,確認者,確認頻度\r\n電子カルテ,操作ログ,事務長,月1回\r\n";
    assert_eq!(
        send(&app.router, import("loglist", csv)).await.status,
        StatusCode::OK
    );
    let s = access_log_suggestion(&app).await;
    assert_eq!(s["verdict"], "no");
    assert!(
        s["reasons"][0]
            .as_str()
            .unwrap()
            .contains("ログを確認した記録がありません")
    );

    let csv = "確認日,確認者,確認したログ,結果,コメント\r\n令和7年5月10日,事務長,電子カルテ 操作ログ,異常なし,\r\n";
    let r = send(&app.router, import("logreviews", csv)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let s = access_log_suggestion(&app).await;
    assert_eq!(s["verdict"], "yes", "{s}");
    assert!(s["reasons"][0].as_str().unwrap().contains("令和7年5月10日"));
    let html = get(&app.router, "/ledgers/logreviews", &admin).await.text();
    assert!(
        html.contains("ログ確認記録") && html.contains("<td>2025-05-10</td>"),
        "{html}"
    );

    let review = app.store.ledger_all(1, "logreviews").await.unwrap()[0].id;
    app.store
        .set_ledger_row_disabled(1, "logreviews", review, true, "admin", now())
        .await
        .unwrap();
    assert_eq!(access_log_suggestion(&app).await["verdict"], "no");
}

async fn access_log_suggestion(app: &App) -> Value {
    app.api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json()["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == "r7.facility.2.10")
        .unwrap()
        .clone()
}

/// The R7 facility workbook with 1(1) answered はい on 2025-05-20.
fn one_answer_workbook() -> Vec<u8> {
    one_answer_workbook_of(mamori_core::Variant::Facility)
}

/// An R7 workbook with 1(1) answered はい on 2025-05-20.
fn one_answer_workbook_of(variant: mamori_core::Variant) -> Vec<u8> {
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", variant).unwrap();
    let answers = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: format!("r7.{}.1.1", variant.id()),
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

/// A facility's exported workbook, imported into another (empty) facility, gives the same answers; a dry
/// run saves nothing; a file that is not a workbook, or a workbook breaking the form's rules, saves nothing
/// and says where.
#[tokio::test]
async fn checklist_workbook_import_reproduces_answers() {
    let from = app().await;
    let mut answers = vec![
        answer("r7.facility.1.1", "yes", "2025-05-20", None),
        answer("r7.facility.2.1", "no", "2025-05-21", Some("2026-03-01")),
    ];
    answers[1]["note"] = json!("台帳を作成中");
    let r = from
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(json!(answers)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let xlsx = from
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.xlsx",
            None,
        )
        .await
        .body;

    let to = app().await;
    let import = |query: &str, body: Vec<u8>| {
        Request::post(format!("/api/v1/checklists/r7/facility/import{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", to.token))
            .body(Body::from(body))
            .unwrap()
    };
    let stored = |app: &App| {
        let app = app.store.clone();
        async move {
            let org = app.first_org_id().await.unwrap().unwrap();
            let mut a = app
                .answers(org, "r7", mamori_core::Variant::Facility)
                .await
                .unwrap();
            a.sort_by_key(mamori_core::Answer::key);
            a
        }
    };
    let r = send(&to.router, import("?dry_run=true", xlsx.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["answers"], 2);
    assert!(stored(&to).await.is_empty(), "a dry run saves nothing");
    let r = send(&to.router, import("", xlsx.clone())).await;
    assert_eq!(r.json()["dry_run"], false);
    assert_eq!(stored(&to).await, stored(&from).await);

    let r = send(&to.router, import("", b"No.,item\r\n".to_vec())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("xlsx")
    );
    // いいえ without a 目標日 in the workbook: refused by the form's rule, named by row and column.
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let bad = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: "r7.facility.2.1".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::No,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    }]);
    let bad = mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &catalog,
        form,
        org_name: "x",
        answers: &bad,
        has_vendor_contract: true,
        fiscal_year: mamori_core::FiscalYear::new(2025),
        created_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
    })
    .unwrap();
    let r = send(&to.router, import("", bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = &r.json()["errors"][0];
    assert_eq!(e["column"], "1回目");
    assert!(e["row"].as_u64().unwrap() > 5);
    assert!(e["message"].as_str().unwrap().contains("目標日"), "{e}");
    assert_eq!(stored(&to).await, stored(&from).await, "nothing changed");
}

/// The page flow: upload a workbook, see its answers (nothing saved yet), confirm, land on the checklist
/// with the answers in place; a bad workbook shows every problem and offers no confirmation.
#[tokio::test]
async fn checklist_workbook_import_on_the_page() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let upload = |bytes: &[u8]| {
        let (ct, body) = multipart_file("c", "令和7年度.xlsx", bytes);
        Request::post("/checklists/r7/facility/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(&app.router, upload(&one_answer_workbook())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"preview-count\">1 件の回答"), "{html}");
    assert!(html.contains("<td>令和7年5月20日</td>"));
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let saved = || async {
        app.store
            .answers(org, "r7", mamori_core::Variant::Facility)
            .await
            .unwrap()
    };
    assert!(saved().await.is_empty(), "the preview saves nothing");
    let token = form_field(&html, "token");
    let r = send(
        &app.router,
        form_post(
            "/checklists/r7/facility/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/checklists/r7/facility?imported=1"
    );
    assert_eq!(saved().await.len(), 1);
    let html = get(&app.router, "/checklists/r7/facility?imported=1", &admin)
        .await
        .text();
    assert!(html.contains("Excel から 1 件の回答を取り込みました"));

    let r = send(&app.router, upload(b"not a workbook")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"import-errors\"") && !html.contains("confirm-import"));
}

/// Text of a PDF by poppler's pdftotext, without whitespace (it breaks long cells); None when poppler
/// is not installed (CI installs it).
fn pdf_text(pdf: &[u8]) -> Option<String> {
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

/// The inspection pack holds every item text of the facility's and the vendor's forms, the facility's
/// name, the 和暦 date, each いいえ with its 目標日 and the ledgers' reason, and the ledgers.
#[tokio::test]
async fn the_inspection_pack_holds_the_forms_ledgers_and_evidence() {
    let app = app().await;
    let csv = "ユーザID,状態,姓,退職日\r\nyamada,使用可,山田,2025-03-31\r\nsato,使用可,佐藤,\r\n";
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut no = answer("r7.facility.2.5", "no", "2025-05-21", Some("2026-02-27"));
    no["target"] = json!("server");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(json!([
                answer("r7.facility.gate", "yes", "2025-05-20", None),
                no
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(r.body.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&r.body) else {
        println!(
            "SKIP: pdftotext (poppler-utils) is not installed; the pack's text is not checked"
        );
        return;
    };
    let catalog = mamori_core::Catalog::builtin().unwrap();
    for variant in [mamori_core::Variant::Facility, mamori_core::Variant::Vendor] {
        for item in &catalog.form("r7", variant).unwrap().items {
            let want: String = item.text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&want), "{variant:?} {}: {want}", item.id);
        }
    }
    for want in [
        "みどりクリニック",
        "作成日：令和7年6月1日",
        "立入検査用資料",
        "事業者確認用",
        "目標日：令和8年2月27日",
        "退職日（利用終了日）を過ぎた利用者のうち1名が使用可のままです",
        "厚生労働省",
        "yamada",
    ] {
        assert!(text.contains(want), "{want} not in the pack");
    }
    // A single form as PDF, from the page.
    let admin = session_for(&app.store, "admin", "c").await;
    let r = get(&app.router, "/checklists/r7/facility/export.pdf", &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = pdf_text(&r.body).unwrap();
    assert!(text.contains("医療機関確認用") && !text.contains("立入検査用資料"));
    assert!(text.contains("目標日：令和8年2月27日") && !text.contains("目次"));
}

/// A vendor's filled 事業者確認用 imported for that vendor; the reconciliation finds the contradictions
/// with the ledgers and the facility's answers; the page, the vendor's xlsx and the pack show them.
#[tokio::test]
async fn vendor_forms_and_reconciliation() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let import = |path: String, body: Vec<u8>| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(body))
            .unwrap()
    };
    let csv = "事業者名,提供システム,リモートメンテナンス契約,MDS/SDS受領日\r\nA社,電子カルテ,有,2025-04-01\r\nB社,レセコン,無,\r\n";
    assert_eq!(
        send(
            &app.router,
            import("/api/v1/ledgers/vendors/import".into(), csv.into())
        )
        .await
        .status,
        StatusCode::OK
    );
    let csv = "種別,コンピュータ名,管理事業者,リモートメンテナンス\r\nサーバ,SV-01,A社,無\r\n";
    assert_eq!(
        send(
            &app.router,
            import("/api/v1/ledgers/devices/import".into(), csv.into())
        )
        .await
        .status,
        StatusCode::OK
    );
    let vendors = app.store.ledger_all(1, "vendors").await.unwrap();
    let a = vendors.iter().find(|v| v.data["name"] == "A社").unwrap().id;
    // A社's form: MDS/SDS not submitted.
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Vendor).unwrap();
    let mds = form.items.iter().find(|i| i.topic == "mds_sds").unwrap();
    let answers = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: mds.id.clone(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::No,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: Some(chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()),
        note: String::new(),
    }]);
    let workbook = mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &catalog,
        form,
        org_name: "みどりクリニック",
        answers: &answers,
        has_vendor_contract: true,
        fiscal_year: mamori_core::FiscalYear::new(2025),
        created_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 21).unwrap(),
    })
    .unwrap();
    let r = send(
        &app.router,
        import(
            format!("/api/v1/vendor-forms/{a}/import?edition=r7"),
            workbook.clone(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["answers"], 1);
    // Another organisation's vendor id is not found; a non-workbook is 422.
    let r = send(
        &app.router,
        import(
            "/api/v1/vendor-forms/99999/import?edition=r7".into(),
            workbook,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &app.router,
        import(format!("/api/v1/vendor-forms/{a}/import"), b"x".to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .api(Method::GET, "/api/v1/reconciliation?edition=r7", None)
        .await;
    let kinds: Vec<(String, String)> = r.json()["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["vendor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("remote_maintenance".to_string(), "A社".to_string()),
            ("mds_sds".into(), "A社".into()),
            ("vendor_form".into(), "B社".into()),
        ]
    );
    let html = get(&app.router, "/vendor-forms", &admin).await.text();
    assert!(html.contains("食い違い 3 件"), "{html}");
    assert!(html.contains("回答 1 件（いいえ 1 件）"));
    assert!(html.contains("B社の事業者確認用を受け取った記録がありません"));
    let r = get(
        &app.router,
        &format!("/vendor-forms/{a}/export.xlsx?edition=r7"),
        &admin,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let back =
        mamori_report::checklist_import::read_checklist_xlsx(&catalog, form, &r.body).unwrap();
    assert_eq!(back.inputs.len(), 1, "the vendor's form reads back");
    let r = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    if let Some(text) = pdf_text(&r.body) {
        assert!(text.contains("事業者確認用（A社）"));
        assert!(text.contains("照合（施設・事業者・台帳の食い違い）"));
        assert!(text.contains("B社の事業者確認用を受け取った記録がありません"));
    }
}

/// A vendor's form typed in on one page: a broken rule comes back beside its row with everything typed
/// kept and nothing saved; corrected, the whole form is saved for that vendor.
#[tokio::test]
async fn vendor_form_typed_in() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let vendor = app
        .store
        .save_ledger_row(
            1,
            "vendors",
            None,
            &[("name".to_string(), "A社".to_string())].into(),
            "admin",
            now(),
        )
        .await
        .unwrap();
    let path = format!("/vendor-forms/{vendor}/edit");
    let html = get(&app.router, &format!("{path}?edition=r7"), &admin)
        .await
        .text();
    assert!(html.contains("A社の事業者確認用を入力する"));
    assert!(html.contains("事業者内に、医療情報システム等の提供に係る管理責任者を設置している。"));
    let field = |name: &str| enc(name);
    let body = |target_date: &str| {
        format!(
            "csrf=c&edition=r7&{}=yes&{}=2025-05-20&{}=no&{}=2025-05-20&{}={target_date}&{}={}",
            field("r7.vendor.1.1|general|1|answer"),
            field("r7.vendor.1.1|general|1|checked_on"),
            field("r7.vendor.2.6|general|1|answer"),
            field("r7.vendor.2.6|general|1|checked_on"),
            field("r7.vendor.2.6|general|1|target_date"),
            field("r7.vendor.2.6|general|1|note"),
            enc("更新計画を作成中")
        )
    };
    let r = send(&app.router, form_post(&path, &admin, &body(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("目標日") && html.contains("field-error"),
        "{html}"
    );
    assert!(
        html.contains("value=\"更新計画を作成中\""),
        "what was typed stays"
    );
    assert!(app.store.vendor_forms(1, "r7").await.unwrap().is_empty());
    let r = send(&app.router, form_post(&path, &admin, &body("2026-03-01"))).await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/vendor-forms?edition=r7&imported=2"
    );
    let forms = app.store.vendor_forms(1, "r7").await.unwrap();
    assert_eq!((forms[0].vendor_id, forms[0].answers.len()), (vendor, 2));
    let html = get(&app.router, &format!("{path}?edition=r7"), &admin)
        .await
        .text();
    assert!(
        html.contains("value=\"2026-03-01\""),
        "the recorded form opens again"
    );
}

fn inventory_fixture(openssl: &str) -> mamori_agent::Inventory {
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

/// Inventories into the 機器台帳: the same machine twice is one device and no change the second time; a
/// package version that changed is exactly that change; a truncated or foreign file changes nothing.
#[tokio::test]
async fn inventories_merge_into_the_device_ledger() {
    let app = app().await;
    let post = |body: Vec<u8>| {
        Request::post("/api/v1/agent/inventory")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(body))
            .unwrap()
    };
    let first = serde_json::to_vec(&inventory_fixture("3.0.11-1~deb12u2")).unwrap();
    let r = send(&app.router, post(first.clone())).await;
    assert_eq!(r.json()["outcome"], "added", "{}", r.text());
    let id = r.json()["device_id"].as_i64().unwrap();
    let r = send(&app.router, post(first.clone())).await;
    assert_eq!(
        (r.json()["outcome"].as_str(), r.json()["device_id"].as_i64()),
        (Some("unchanged"), Some(id))
    );
    let row = app.store.ledger_row(1, "devices", id).await.unwrap();
    assert_eq!(row.data["computer_name"], "SV-EMR01");
    assert_eq!(row.data["mac"], "00:1B:44:11:3A:B7");
    assert_eq!(
        row.data["software"],
        "bash 5.2.15-2+b7; openssl 3.0.11-1~deb12u2"
    );
    assert_eq!(row.data["os"], "Debian GNU/Linux 12 (bookworm)");
    // The facility's own entries stay; the machine renamed is still found by its machine-id.
    let mut edited = row.data.clone();
    edited.insert("device_kind".into(), "サーバ".into());
    edited.insert("location".into(), "サーバ室".into());
    app.store
        .save_ledger_row(1, "devices", Some(id), &edited, "admin", now())
        .await
        .unwrap();
    let mut renamed = inventory_fixture("3.0.13-1~deb12u1");
    renamed.hostname = "SV-EMR01-NEW".into();
    let r = send(&app.router, post(serde_json::to_vec(&renamed).unwrap())).await;
    assert_eq!(r.json()["outcome"], "updated");
    assert_eq!(
        r.json()["package_changes"],
        json!(["openssl 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1"])
    );
    let row = app.store.ledger_row(1, "devices", id).await.unwrap();
    assert_eq!(
        (
            row.data["location"].as_str(),
            row.data["device_kind"].as_str()
        ),
        ("サーバ室", "サーバ")
    );
    let devices = app.store.ledger_all(1, "devices").await.unwrap();
    assert_eq!(devices.len(), 1);
    let trail = app
        .store
        .history(1, Some("ledger"), Some(&format!("devices/{id}")), 10)
        .await
        .unwrap();
    assert_eq!(
        trail.len(),
        3,
        "added, the facility's edit, the new version: no record for the repeat"
    );

    for bad in [&first[..first.len() / 2], br#"{"format": 1}"#, br#"[1, 2]"#] {
        let r = send(&app.router, post(bad.to_vec())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.json()["error"].as_str().unwrap().contains("一覧"),
            "{}",
            r.text()
        );
    }
    assert_eq!(app.store.ledger_all(1, "devices").await.unwrap(), devices);
}

/// `agent run` against the HTTPS server: enrols with an enrolment token (the credential kept in the
/// state file), posts the inventory, posts again with the stored credential (no change recorded);
/// another machine's inventory with this credential is refused; a server that is not there is retried
/// with backoff and then reported plainly; a certificate nobody vouches for is not trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_enrols_and_posts_over_https() {
    use mamori_agent::client::{RunOptions, run};
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let tls = mamori_web::Tls::load(&cert_path, &key_path).await.unwrap();
    let app = app().await;
    let state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    let token = mamori_app::inventory::create_enrollment(&state, 1, "受付PC", 7, "admin")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(mamori_web::serve_tls(listener, state, tls));

    let state_file = dir.path().join("agent/agent.json");
    let mut opts = RunOptions::new(&format!("https://localhost:{port}"), state_file.clone());
    opts.enroll_token = Some(token.clone());
    opts.ca_file = Some(cert_path.clone());
    opts.once = true;
    opts.first_backoff = std::time::Duration::from_millis(10);
    opts.tries = 3;
    let run_once = |opts: RunOptions, inv: mamori_agent::Inventory| {
        tokio::task::spawn_blocking(move || {
            let mut lines = Vec::new();
            let r = run(&opts, &|| inv.clone(), &mut |l| lines.push(l.to_string()));
            (r, lines)
        })
    };
    let (r, lines) = run_once(opts.clone(), inventory_fixture("3.0.11-1~deb12u2"))
        .await
        .unwrap();
    assert!(r.is_ok(), "{r:?} {lines:?}");
    assert!(
        lines[0].contains("「みどりクリニック」の機器として登録しました"),
        "{lines:?}"
    );
    assert!(lines[1].contains("機器 1 を登録しました"), "{lines:?}");
    let stored = std::fs::read_to_string(&state_file).unwrap();
    assert!(stored.contains("\"credential\": \"agent_"), "{stored}");
    assert!(!stored.contains(&token), "the enrolment token is not kept");

    // The stored credential alone: no token needed, nothing new to record.
    let mut again = opts.clone();
    again.enroll_token = None;
    let (r, lines) = run_once(again.clone(), inventory_fixture("3.0.11-1~deb12u2"))
        .await
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert!(lines[0].contains("変更はありません"), "{lines:?}");
    let devices = app.store.ledger_all(1, "devices").await.unwrap();
    assert_eq!(devices.len(), 1);
    let agents = app.store.agents(1).await.unwrap();
    assert_eq!(
        (
            agents.len(),
            agents[0].hostname.as_str(),
            agents[0].last_seen.is_some()
        ),
        (1, "SV-EMR01", true)
    );

    // This machine's credential cannot speak for another machine.
    let mut other = inventory_fixture("1");
    other.machine_id = "ffffffffffffffffffffffffffffffff".into();
    let (r, _) = run_once(again.clone(), other).await.unwrap();
    assert!(r.unwrap_err().contains("別の機器"), "refused");
    assert_eq!(app.store.ledger_all(1, "devices").await.unwrap(), devices);

    // The wrong enrolment token: said so, nothing stored.
    let mut wrong = opts.clone();
    wrong.state_file = dir.path().join("wrong.json");
    wrong.enroll_token = Some("enroll_nope".into());
    let (r, _) = run_once(wrong.clone(), inventory_fixture("1"))
        .await
        .unwrap();
    assert!(r.unwrap_err().contains("登録用トークンが正しくないか"));
    assert!(!wrong.state_file.exists());

    // A certificate not vouched for by the CA file (the Mozilla roots only): not trusted.
    let mut untrusted = wrong.clone();
    untrusted.ca_file = None;
    untrusted.enroll_token = Some(token.clone());
    let (r, lines) = run_once(untrusted, inventory_fixture("1")).await.unwrap();
    assert!(r.unwrap_err().contains("送れませんでした"));
    assert!(
        lines.iter().any(|l| l.contains("サーバに接続できません")),
        "{lines:?}"
    );

    // Nobody listening: three tries with growing waits, then a plain message.
    server.abort();
    let _ = server.await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut dead = again.clone();
    dead.server = format!("https://localhost:{dead_port}");
    // (The stored credential is for the other address: it enrols first, and cannot.)
    dead.enroll_token = Some(token.clone());
    let (r, lines) = run_once(dead, inventory_fixture("1")).await.unwrap();
    let e = r.unwrap_err();
    assert!(e.contains("一覧を送れませんでした（3回試行）"), "{e}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("もう一度試します"))
            .count(),
        2,
        "{lines:?}"
    );
    assert!(lines[0].contains("0.01秒後"), "{lines:?}");
    assert!(lines[1].contains("0.02秒後"), "{lines:?}");
}

/// Inventories that could describe more than one device wait in the review queue; resolving one writes
/// it into the chosen device, with the change in that device's history.
#[tokio::test]
async fn ambiguous_inventories_wait_for_review() {
    let app = app().await;
    let state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    let org = app.store.org(1).await.unwrap();
    let typed = |name: &str, loc: &str| -> mamori_store::Fields {
        [
            ("device_kind".to_string(), "サーバ".to_string()),
            ("computer_name".to_string(), name.to_string()),
            ("location".to_string(), loc.to_string()),
        ]
        .into()
    };
    let a = app
        .store
        .save_ledger_row(
            1,
            "devices",
            None,
            &typed("SV-EMR01", "サーバ室"),
            "admin",
            now(),
        )
        .await
        .unwrap();
    let b = app
        .store
        .save_ledger_row(
            1,
            "devices",
            None,
            &typed("sv-emr01", "旧サーバ室"),
            "admin",
            now(),
        )
        .await
        .unwrap();
    let inv = inventory_fixture("3.0.11-1~deb12u2");
    let done = mamori_app::inventory::import_inventory(&state, &org, "cli", &inv)
        .await
        .unwrap();
    assert_eq!(done.outcome, "review");
    assert!(
        done.message
            .contains("コンピュータ名が一致する機器が台帳に2台あります"),
        "{}",
        done.message
    );
    let reviews = app.store.inventory_reviews(1).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert!(
        reviews[0]
            .candidates
            .contains(&format!("\"device_id\":{a}"))
    );
    assert!(
        reviews[0]
            .candidates
            .contains(&format!("\"device_id\":{b}"))
    );
    // Nothing written yet.
    assert!(
        !app.store
            .ledger_row(1, "devices", a)
            .await
            .unwrap()
            .data
            .contains_key("machine_id")
    );

    let how =
        mamori_app::inventory::resolve_review(&state, &org, reviews[0].id, Some(a), false, "admin")
            .await
            .unwrap();
    assert_eq!(how, format!("機器 {a} に反映"));
    let row = app.store.ledger_row(1, "devices", a).await.unwrap().data;
    assert_eq!(
        (row["machine_id"].as_str(), row["location"].as_str()),
        (inv.machine_id.as_str(), "サーバ室")
    );
    let history = app.store.inventory_history(1, a).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(
        history[0]
            .changes
            .contains(&"OS: （なし） → Debian GNU/Linux 12 (bookworm)".to_string()),
        "{:?}",
        history[0].changes
    );
    assert!(
        history[0]
            .changes
            .contains(&"追加 openssl 3.0.11-1~deb12u2".to_string())
    );
    // Resolved once: not again; and the next inventory goes by machine-id straight to the device.
    assert!(
        mamori_app::inventory::resolve_review(&state, &org, reviews[0].id, None, false, "admin")
            .await
            .is_err()
    );
    let next = mamori_app::inventory::import_inventory(
        &state,
        &org,
        "cli",
        &inventory_fixture("3.0.13-1~deb12u1"),
    )
    .await
    .unwrap();
    assert_eq!((next.outcome, next.device_id), ("updated", Some(a)));
    assert_eq!(
        next.changes,
        ["openssl 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1"]
    );
    assert_eq!(app.store.inventory_history(1, a).await.unwrap().len(), 2);

    // A device recorded with another machine-id, found by its MAC: a reinstalled OS or another machine.
    let mut reinstalled = inventory_fixture("3.0.13-1~deb12u1");
    reinstalled.machine_id = "fedcba9876543210fedcba9876543210".into();
    reinstalled.hostname = "SV-NEW".into();
    let done = mamori_app::inventory::import_inventory(&state, &org, "cli", &reinstalled)
        .await
        .unwrap();
    assert_eq!(done.outcome, "review");
    assert!(done.message.contains("別の machine-id"), "{}", done.message);
    // Another organisation's review is not this one's.
    assert!(app.store.inventory_review(2, reviews[0].id).await.is_err());
}

/// A signed-in admin's session cookie for a router whose clock reads `at`.
async fn admin_cookie(store: &Store, at: DateTime<Utc>) -> String {
    let admin = store.user_by_login("admin").await.unwrap().unwrap();
    let session = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&session),
            admin.id,
            "csrf-token",
            at,
            at + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    format!("mamori_session={session}")
}

fn windows_pc() -> mamori_agent::Inventory {
    let pkg = |n: &str, v: &str| mamori_agent::Package {
        name: n.into(),
        version: v.into(),
        source: "uninstall-64".into(),
    };
    mamori_agent::Inventory {
        format: mamori_agent::FORMAT,
        platform: "windows".into(),
        hostname: "RECEPT-PC01".into(),
        machine_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
        os: "Windows 11 Pro".into(),
        os_id: "windows".into(),
        os_version: "23H2".into(),
        os_build: "10.0.22631.3007".into(),
        interfaces: vec![mamori_agent::Interface {
            name: "Ethernet".into(),
            mac: "00:1b:44:11:3a:b8".into(),
            ips: vec!["192.168.1.21".into()],
        }],
        packages: vec![
            pkg("Google Chrome", "120.0.6099.130"),
            pkg("Steam", "2.10.91.91"),
        ],
        services: vec![mamori_agent::Service {
            name: "RemoteRegistry".into(),
            start: "自動".into(),
            running: true,
        }],
        remote_access: vec!["AnyDesk（AnyDesk ad 8.0.6）".into()],
        hotfixes: vec!["KB5034204 2024-01-15".into()],
        ..Default::default()
    }
}

/// The device page: support status with the products behind it, the baseline's flags (which the
/// facility's own baseline entry changes for every device), what each inventory changed, and
/// 「N日間未確認」 when the agent stops reporting.
#[tokio::test]
async fn device_page_shows_support_flags_history_and_silence() {
    let app = app().await;
    let state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    let org = app.store.org(1).await.unwrap();
    let done =
        mamori_app::inventory::import_inventory(&state, &org, "agent:RECEPT-PC01", &windows_pc())
            .await
            .unwrap();
    let id = done.device_id.unwrap();
    let cookie = admin_cookie(&app.store, now()).await;
    let page = |router: Router, cookie: String| async move {
        send(
            &router,
            Request::get(format!("/ledgers/devices/{id}"))
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .text()
    };
    let html = page(app.router.clone(), cookie.clone()).await;
    assert!(
        html.contains(r#"id="support-status">サポート切れ</span>"#),
        "{html}"
    );
    assert!(
        html.contains("Google Chrome 120.0.6099.130: サポート終了 2024-"),
        "{html}"
    );
    assert!(html.contains("Windows 11 Pro 10.0.22631.3007: サポート終了 2025-11-11"));
    assert!(
        html.contains("最後の更新プログラムの適用から"),
        "patched 2024-01-15"
    );
    assert!(html.contains("禁止: ソフトウェア Steam 2.10.91.91（ゲーム、Mamori の既定）"));
    assert!(html.contains("禁止: サービス RemoteRegistry"));
    assert!(html.contains("未登録のリモート接続: AnyDesk"));
    assert!(html.contains("エージェント確認日 2025-06-01（今日）"));
    assert!(!html.contains(r#"id="unconfirmed""#));
    assert!(
        html.contains(r#"id="inventory-history""#)
            && html.contains("エージェントの一覧から登録（パッケージ 2件）")
    );

    // The facility allows Steam (say, on the staff-room PC): every device is judged again.
    let r = send(
        &app.router,
        form_post(
            "/ledgers/baseline/new",
            &cookie,
            &format!(
                "csrf=csrf-token&name=Steam&target={}&decision={}&reason={}",
                enc("ソフトウェア"),
                enc("許可"),
                enc("休憩室")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = page(app.router.clone(), cookie.clone()).await;
    let flags = html
        .split(r#"<ul id="service-flags">"#)
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap();
    assert!(!flags.contains("Steam"), "allowed now: {flags}");
    assert!(flags.contains("禁止: サービス RemoteRegistry"));

    // A new version of Chrome and a new update: the history says exactly that.
    let mut newer = windows_pc();
    newer.packages[0].version = "121.0.6167.85".into();
    newer.hotfixes.insert(0, "KB5034765 2025-05-20".into());
    let done = mamori_app::inventory::import_inventory(&state, &org, "agent:RECEPT-PC01", &newer)
        .await
        .unwrap();
    assert_eq!(
        done.changes,
        ["Google Chrome 120.0.6099.130 → 121.0.6167.85"]
    );
    let row = app.store.ledger_row(1, "devices", id).await.unwrap().data;
    assert_eq!(row["patched_on"], "2025-05-20");

    // Forty days on, nothing more from the agent.
    let later = now() + chrono::Duration::days(40);
    let router = mamori_web::router(AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(later),
    ));
    let html = page(router, admin_cookie(&app.store, later).await).await;
    assert!(
        html.contains(r#"<span class="badge overdue" id="unconfirmed">40日間未確認</span>"#),
        "{html}"
    );
}

/// The review queue page: an ambiguous inventory is shown with its candidates and resolved by choosing
/// one; the enrolment token is issued on the agents page and shown once.
#[tokio::test]
async fn review_queue_and_enrolment_pages() {
    let app = app().await;
    let state = AppState::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    let org = app.store.org(1).await.unwrap();
    for loc in ["受付", "診察室1"] {
        app.store
            .save_ledger_row(
                1,
                "devices",
                None,
                &[
                    ("device_kind".to_string(), "端末PC".to_string()),
                    ("computer_name".to_string(), "RECEPT-PC01".to_string()),
                    ("location".to_string(), loc.to_string()),
                ]
                .into(),
                "admin",
                now(),
            )
            .await
            .unwrap();
    }
    let done =
        mamori_app::inventory::import_inventory(&state, &org, "agent:RECEPT-PC01", &windows_pc())
            .await
            .unwrap();
    let review = done.review_id.unwrap();
    let cookie = admin_cookie(&app.store, now()).await;
    let get = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    let html = send(&app.router, get("/agents/reviews")).await.text();
    assert!(html.contains(&format!(r#"id="review-{review}""#)), "{html}");
    assert!(html.contains("機器 1（RECEPT-PC01、受付、コンピュータ名が一致）に反映"));
    assert!(html.contains("機器 2（RECEPT-PC01、診察室1、コンピュータ名が一致）に反映"));
    let r = send(
        &app.router,
        form_post(
            &format!("/agents/reviews/{review}"),
            &cookie,
            "csrf=csrf-token&target=2",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = send(
        &app.router,
        get(r.headers[header::LOCATION].to_str().unwrap()),
    )
    .await
    .text();
    assert!(html.contains(r#"id="done">機器 2 に反映"#), "{html}");
    assert!(html.contains("処理済み: 機器 2 に反映（admin"));
    let row = app.store.ledger_row(1, "devices", 2).await.unwrap().data;
    assert_eq!(
        (row["machine_id"].as_str(), row["location"].as_str()),
        ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "診察室1")
    );
    // Twice: refused, nothing changes.
    let r = send(
        &app.router,
        form_post(
            &format!("/agents/reviews/{review}"),
            &cookie,
            "csrf=csrf-token&target=1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        !app.store
            .ledger_row(1, "devices", 1)
            .await
            .unwrap()
            .data
            .contains_key("machine_id")
    );

    let r = send(
        &app.router,
        form_post(
            "/agents/enroll-token",
            &cookie,
            &format!("csrf=csrf-token&label={}&days=3", enc("受付PC")),
        ),
    )
    .await;
    let html = r.text();
    let token = html
        .split(r#"<code id="enroll-token">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(token.starts_with("enroll_") && token.len() > 60, "{token}");
    assert!(html.contains("受付PC"));
    let html = send(&app.router, get("/agents")).await.text();
    assert!(!html.contains(token), "shown once");
    assert!(html.contains("有効"));
}

/// Log analysis on the web: upload an auth log and an access-log CSV, the analysis runs in the
/// background and is stored; findings are listed and filtered; a retired account found in use makes
/// 2(5)'s evidence いいえ; a review recorded from the analysis becomes a ログ確認記録 row (a comment is
/// required when there are findings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_analysis_pages_store_results_and_record_reviews() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    for (user, status) in [("yamada", "使用可"), ("sato", "無効")] {
        app.store
            .save_ledger_row(
                1,
                "accounts",
                None,
                &[
                    ("user_id".to_string(), user.to_string()),
                    ("status".to_string(), status.to_string()),
                ]
                .into(),
                "admin",
                now(),
            )
            .await
            .unwrap();
    }
    let mut auth = String::new();
    for i in 0..12 {
        auth.push_str(&format!("Jun  1 10:{i:02}:00 srv sshd[9]: Failed password for yamada from 203.0.113.7 port 5{i} ssh2\n"));
    }
    auth.push_str(
        "Jun  1 10:13:00 srv sshd[9]: Accepted password for yamada from 203.0.113.7 port 60 ssh2\n",
    );
    let csv = "ユーザID,アクセス日時,患者ID\r\nyamada,2025/06/01 09:00:00,P1\r\nsato,2025/06/01 09:05:00,P2\r\n";
    let mut body =
        b"--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n".to_vec();
    body.extend_from_slice("--B0undary\r\nContent-Disposition: form-data; name=\"vendor_windows\"\r\n\r\nyamada=13:00-17:00\r\n".as_bytes());
    for (name, bytes) in [
        ("auth.log", auth.as_bytes()),
        ("カルテ.csv", csv.as_bytes()),
    ] {
        body.extend(format!("--B0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--B0undary--\r\n");
    let r = send(
        &app.router,
        Request::post("/logs/upload")
            .header(header::COOKIE, &admin)
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=B0undary",
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page_of = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = page_of.rsplit('/').next().unwrap().parse().unwrap();
    let get = |path: String| {
        let admin = admin.clone();
        let router = app.router.clone();
        async move {
            send(
                &router,
                Request::get(path)
                    .header(header::COOKIE, admin)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .text()
        }
    };
    let mut html = String::new();
    for _ in 0..100 {
        html = get(page_of.clone()).await;
        if !html.contains(r#"id="analysis-status">分析中"#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains(r#"id="analysis-status">完了"#), "{html}");
    assert!(html.contains("auth.log") && html.contains("カルテ.csv"));
    assert!(
        html.contains("アカウント「yamada」へのログオン失敗が10分間に10回以上あります"),
        "{html}"
    );
    assert!(html.contains(
        "利用者台帳で「無効」のアカウント「sato」による電子カルテ・レセコンの利用があります"
    ));
    let filtered = get(format!("{page_of}?kind=retired_account_used")).await;
    assert!(
        filtered.contains("「sato」") && !filtered.contains("ログオン失敗が10分間"),
        "{filtered}"
    );
    let list = get("/logs".into()).await;
    assert!(list.contains(&format!("#{id}")) && list.contains("完了"));

    // 2(5): the retired account in use.
    let evidence = app
        .api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json();
    let s = evidence["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == "r7.facility.2.5")
        .unwrap()
        .clone();
    assert_eq!(s["verdict"], "no", "{s}");
    assert!(
        s["reasons"].to_string().contains(&format!(
            "ログの分析（#{id}）で、退職・無効のアカウント1件の利用が見つかりました: sato"
        )),
        "{s}"
    );

    // A review without a comment is refused; with one it is recorded.
    let review = |extra: &str| {
        form_post(
            &format!("/logs/{id}/review"),
            &admin,
            &format!(
                "csrf=c&reviewer={}&reviewed_on=2025-06-01&period_from=2025-06-01&period_to=2025-06-01{extra}",
                enc("山田 太郎")
            ),
        )
    };
    let r = send(&app.router, review("")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("コメント・対応を入力してください"));
    let r = send(
        &app.router,
        review(&format!(
            "&comment={}&acknowledged=1",
            enc("sato のアカウントを削除、yamada のパスワードを変更")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let rows = app.store.ledger_all(1, "logreviews").await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0].data;
    assert_eq!(row["findings"], "異常あり");
    assert_eq!(row["reviewer"], "山田 太郎");
    assert!(row["target"].starts_with(&format!("ログの分析 #{id}（auth.log、カルテ.csv）")));
    assert!(row["comment"].contains("確認した検出"), "{row:?}");
    // Another organisation's analysis is not found.
    assert!(app.store.log_analysis(2, id).await.is_err());
}
mod csrf;
mod editions;
mod hostile;
mod request_log;
