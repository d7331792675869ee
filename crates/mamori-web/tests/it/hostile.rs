//! Issue 23: hostile and huge uploads get a Japanese 422 and change nothing, the server keeps answering,
//! and a large ledger import lets other users save and `/healthz` answer while it runs.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::helpers::*;

fn upload_to(uri: &str, cookie: &str, name: &str, bytes: &[u8]) -> Request<Body> {
    let (ct, body) = multipart_file("c", name, bytes);
    Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_workbooks_get_422_everywhere_and_change_nothing() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let audit_before = app
        .store
        .audit_trail(org, &Default::default(), 10_000)
        .await
        .unwrap()
        .len();
    for (name, bytes) in mamori_ledger::hostile_xlsx::cases(0.05) {
        for uri in ["/ledgers/devices/import", "/checklists/r7/facility/import"] {
            let r = send(&app.router, upload_to(uri, &admin, "x.xlsx", &bytes)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} {uri}");
            assert!(
                r.body.len() < 200_000,
                "{name} {uri}: {} bytes",
                r.body.len()
            );
        }
        let r = send(
            &app.router,
            Request::post("/api/v1/ledgers/devices/import")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                .body(Body::from(bytes.clone()))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} api");
        let message = r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            !message.is_empty() && message.len() < 600,
            "{name}: {message}"
        );
        let got = mamori_report::edition_workbook::read_edition_workbook(&bytes, None);
        assert!(got.is_err(), "{name}: the edition reader took it");
    }
    assert_eq!(
        app.store
            .ledger_all(org, mamori_ledger::Kind::Devices)
            .await
            .unwrap()
            .len(),
        0
    );
    assert!(
        app.store
            .answers(org, "r7", mamori_core::Variant::Facility)
            .await
            .unwrap()
            .is_empty()
    );
    let audit_after = app
        .store
        .audit_trail(org, &Default::default(), 10_000)
        .await
        .unwrap()
        .len();
    assert_eq!(audit_before, audit_after, "nothing was written");
    let r = send(
        &app.router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Rows of the concurrent-import test: `MAMORI_TEST_IMPORT_ROWS` (bench/import.sh runs 1,000,000 on a
/// release build); 100,000 by default.
fn import_rows() -> usize {
    std::env::var("MAMORI_TEST_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_save_and_healthz_answers_while_a_large_import_runs() {
    let rows = import_rows();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    let mut state = AppState::new(
        store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now()),
    );
    state.max_import_rows = rows;
    let router = mamori_web::router(state);
    let (_, user) = store
        .set_up(
            &NewOrg {
                kind: OrgKind::Clinic,
                name: "みどりクリニック".into(),
                security_officer: "山田 太郎".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "admin".into(),
                display_name: "山田 太郎".into(),
                password_hash: auth::hash_password("Midori#2025"),
                role: mamori_core::Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    let (token, stored) =
        auth::new_api_token("test", user.role, now() + chrono::Duration::days(30));
    store.create_api_token(&user, &stored, now()).await.unwrap();
    // Short rows: a million of them stay under the 32 MiB upload limit.
    let mut csv = String::from("コンピュータ名,機器種別\r\n");
    for i in 0..rows {
        csv.push_str(&format!("P{i:07},端末PC\r\n"));
    }
    let import = {
        let router = router.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let r = send(
                &router,
                Request::post("/api/v1/ledgers/devices/import")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::from(csv))
                    .unwrap(),
            )
            .await;
            (r, started.elapsed())
        })
    };
    let (mut saves, mut slowest_health) = (0usize, Duration::ZERO);
    let began = Instant::now();
    let mut day = 0;
    while !import.is_finished() {
        let started = Instant::now();
        let r = send(
            &router,
            Request::get("/healthz").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        slowest_health = slowest_health.max(started.elapsed());
        day = (day % 28) + 1;
        let r = send(
            &router,
            Request::put(ANSWERS)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!([answer(
                        "r7.facility.1.1",
                        "yes",
                        &format!("2025-05-{day:02}"),
                        None
                    )])
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "a save {:?} into the import: {}",
            began.elapsed(),
            r.text()
        );
        saves += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (r, took) = import.await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["added"], rows);
    let org = store.first_org_id().await.unwrap().unwrap();
    assert_eq!(
        store
            .ledger_all(org, mamori_ledger::Kind::Devices)
            .await
            .unwrap()
            .len(),
        rows
    );
    assert!(
        saves >= 3,
        "only {saves} saves while the import ran ({took:?})"
    );
    println!(
        "import of {rows} rows: {took:?}; {saves} answer saves meanwhile, all saved; slowest /healthz {slowest_health:?}"
    );
    assert!(
        slowest_health < Duration::from_millis(200),
        "/healthz took {slowest_health:?} during the import"
    );
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_refused_not_replaced() {
    // Issue 23 (11): %FF in a form or a query was stored as U+FFFD without a word.
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let r = send(&app.router, get_req("/ledgers/accounts?q=%FF%FE", &admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("UTF-8 ではない文字"), "{}", r.text());
    let r = send(
        &app.router,
        form_post("/ledgers/vendors/new", &admin, "csrf=c&name=%E5%B1%B1%FF"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let org = app.store.first_org_id().await.unwrap().unwrap();
    assert!(
        app.store
            .ledger_all(org, mamori_ledger::Kind::Vendors)
            .await
            .unwrap()
            .is_empty()
    );
    // Valid UTF-8, '+' and a stray '%' pass through.
    let r = send(
        &app.router,
        get_req("/ledgers/accounts?q=%E5%B1%B1+100%", &admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(mamori_web::decodes_as_utf8(b"a=%E3%81%82&b=+%zz%"));
    assert!(!mamori_web::decodes_as_utf8(b"a=%C3"));
}

fn get_req(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn logins_tell_nothing_and_a_clinic_behind_one_address_is_not_locked_out() {
    // Issue 23 (10).
    let app = app_unenrolled(OrgKind::Clinic, true, now()).await;
    let page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let cookies = format!("mamori_pre={csrf}");
    let attempt = |login: &str, password: &str, peer: &str| {
        let mut req = form_post(
            "/login",
            &cookies,
            &format!("csrf={csrf}&login={login}&password={}", enc(password)),
        );
        req.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>().unwrap(),
        ));
        req
    };
    // Thirty successful sign-ins from one address (a clinic behind its router): none refused.
    for i in 0..30 {
        let r = send(
            &app.router,
            attempt("admin", "Midori#2025", &format!("192.0.2.1:{}", 4000 + i)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in {i}");
    }
    // An unknown name locks after as many failures as an account does, with the same messages.
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for i in 0..mamori_store::LOCKOUT_FAILURES {
        let r = send(
            &app.router,
            attempt("nobody", "wrong", &format!("198.51.100.{}:1", i + 1)),
        )
        .await;
        unknown.push((r.status, r.text().contains("ロックされています")));
        let r = send(
            &app.router,
            attempt("admin", "wrong", &format!("203.0.113.{}:1", i + 1)),
        )
        .await;
        known.push((r.status, r.text().contains("ロックされています")));
    }
    assert_eq!(unknown, known);
    assert_eq!(unknown.last().unwrap(), &(StatusCode::FORBIDDEN, true));
    let r = send(&app.router, attempt("nobody", "wrong", "198.51.100.99:1")).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the unknown name stays locked"
    );
}

#[tokio::test]
async fn a_vendor_sees_its_own_form_and_nothing_of_the_facilitys_ledgers() {
    // Issue 23 (6).
    let app = app().await;
    let org = app.store.first_org_id().await.unwrap().unwrap();
    // A retired member of staff whose account is still usable: a judgement the facility sees.
    app.store
        .import_ledger(
            org,
            mamori_ledger::Kind::Accounts,
            &["system", "user_id"],
            &[[
                ("system", "電子カルテ"),
                ("user_id", "t_yamada"),
                ("status", "使用可"),
                ("end_date", "2025-03-31"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()],
            "admin",
            now(),
        )
        .await
        .unwrap();
    let vendor = app
        .store
        .add_user(
            org,
            &NewUser {
                login: "vendor01".into(),
                display_name: "保守 次郎".into(),
                password_hash: auth::hash_password("Vendor#2025x"),
                role: mamori_core::Role::Vendor,
            },
            "admin",
            now(),
        )
        .await
        .unwrap();
    let (token, stored) = auth::new_api_token("v", vendor.role, now() + chrono::Duration::days(30));
    app.store
        .create_api_token(&vendor, &stored, now())
        .await
        .unwrap();
    let as_vendor = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = send(
        &app.router,
        as_vendor("/api/v1/checklists/r7/vendor/evidence"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin_view = app
        .api(Method::GET, "/api/v1/checklists/r7/vendor/evidence", None)
        .await;
    assert_eq!(
        admin_view.status,
        StatusCode::OK,
        "the facility still sees it"
    );
    // The vendor saves its answer: accepted, and nothing of the facility comes back.
    let r = send(
        &app.router,
        Request::put("/api/v1/checklists/r7/vendor/answers")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!([{"item": "r7.vendor.1.1", "target": "general", "round": 1, "answer": "yes", "checked_on": "2025-05-20"}])
                    .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = send(
        &app.router,
        as_vendor("/api/v1/checklists/r7/vendor/answers"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["evidence_at_save"], json!({}), "{}", r.text());
    let body = r.text();
    assert!(
        !body.contains("t_yamada") && !body.contains("山田 太郎"),
        "{body}"
    );
    let r = send(
        &app.router,
        as_vendor("/api/v1/checklists/r7/facility/answers"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_takes_access_away_on_the_settings_page() {
    // Issue 23 (7): disable (sessions and tokens stop at once), enable, sign out everywhere, reset a
    // password, revoke a token; each audited; another organisation's user cannot be named.
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let clerk = app
        .store
        .add_user(
            org,
            &NewUser {
                login: "clerk".into(),
                display_name: "事務 花子".into(),
                password_hash: auth::hash_password("Clerk#2025x"),
                role: mamori_core::Role::Editor,
            },
            "admin",
            now(),
        )
        .await
        .unwrap();
    let clerk_session = session_for(&app.store, "clerk", "k").await;
    let (token, stored) =
        auth::new_api_token("連携", clerk.role, now() + chrono::Duration::days(30));
    let token_id = app
        .store
        .create_api_token(&clerk, &stored, now())
        .await
        .unwrap();
    let api_as_clerk = || {
        Request::get(ANSWERS)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        send(&app.router, api_as_clerk()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app.router, get_req("/dashboard", &clerk_session))
            .await
            .status,
        StatusCode::OK
    );
    let page = send(&app.router, get_req("/settings", &admin)).await.text();
    assert!(
        page.contains(&format!("/settings/users/{}/disable", clerk.id)),
        "{page}"
    );
    assert!(page.contains(&format!("/settings/tokens/{token_id}/revoke")));

    let post = |path: String, body: &str| form_post(&path, &admin, body);
    let r = send(
        &app.router,
        post(format!("/settings/users/{}/disable", clerk.id), "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_ne!(
        send(&app.router, get_req("/dashboard", &clerk_session))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app.router, api_as_clerk()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = send(&app.router, get_req("/settings?done=disable", &admin))
        .await
        .text();
    assert!(
        page.contains("すぐに使えなくなりました") && page.contains("無効"),
        "{page}"
    );
    let r = send(
        &app.router,
        post(format!("/settings/users/{}/enable", clerk.id), "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app.router, api_as_clerk()).await.status,
        StatusCode::OK
    );
    // A weak password is refused on the page; a good one ends the user's sessions.
    let r = send(
        &app.router,
        post(
            format!("/settings/users/{}/password", clerk.id),
            "csrf=c&password=abc&password_confirm=abc",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("8文字以上"));
    let clerk_session = session_for(&app.store, "clerk", "k2").await;
    let good = enc("Tanuki-Sakura-Kawa-42");
    let r = send(
        &app.router,
        post(
            format!("/settings/users/{}/password", clerk.id),
            &format!("csrf=c&password={good}&password_confirm={good}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_ne!(
        send(&app.router, get_req("/dashboard", &clerk_session))
            .await
            .status,
        StatusCode::OK
    );
    let clerk_session = session_for(&app.store, "clerk", "k3").await;
    let r = send(
        &app.router,
        post(format!("/settings/users/{}/sign-out", clerk.id), "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_ne!(
        send(&app.router, get_req("/dashboard", &clerk_session))
            .await
            .status,
        StatusCode::OK
    );
    let r = send(
        &app.router,
        post(format!("/settings/tokens/{token_id}/revoke"), "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app.router, api_as_clerk()).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Without the CSRF token nothing happens; oneself cannot be disabled.
    let me = app.store.user_by_login("admin").await.unwrap().unwrap();
    let r = send(
        &app.router,
        post(format!("/settings/users/{}/disable", me.id), "csrf=wrong"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &app.router,
        post(format!("/settings/users/{}/disable", me.id), "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "oneself cannot be disabled");
    assert!(r.text().contains("自分自身は無効にできません"));
    let actions: Vec<String> = app
        .store
        .history(org, Some("user"), Some(&clerk.id.to_string()), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    for a in ["disable", "enable", "password_reset", "sign_out_everywhere"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

/// A URL whose number does not parse is "not found" in Japanese (not axum's English plain text).
#[tokio::test]
async fn unparsable_urls_are_not_found_in_japanese() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    for path in [
        "/incidents/abc",
        "/years/abc/r7/facility",
        "/incidents/1/files/x",
    ] {
        let r = get(&app.router, path, &admin).await;
        assert_eq!(r.status, axum::http::StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.text().contains("URL の番号や名前が正しくありません"),
            "{path}"
        );
    }
}
