//! Any request to the web app and API: method, path and query, session cookie or bearer token or none,
//! content type and body from the fuzzer. Nothing panics and nothing answers 500 (a 500 here would be a
//! parser or handler failing on input, not the database).
#![no_main]

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use mamori_core::{Catalog, Clock, Role};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_app::auth;
use mamori_web::AppState;
use tower::ServiceExt;

struct Fixture {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    session: String,
    token: String,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let (router, session, token) = rt.block_on(async {
        let store = Store::open(dir.path().join("f.db").to_str().unwrap())
            .await
            .unwrap();
        let (_, user) = store
            .set_up(
                &NewOrg {
                    kind: OrgKind::Clinic,
                    name: "ファズ診療所".into(),
                    security_officer: "責任者".into(),
                    has_vendor_contract: true,
                },
                &NewUser {
                    login: "editor".into(),
                    display_name: "編集".into(),
                    password_hash: auth::hash_password("Fuzz#Clinic2025"),
                    role: Role::Editor,
                },
                now,
            )
            .await
            .unwrap();
        let session = auth::new_token();
        store
            .create_session(
                &auth::token_hash(&session),
                user.id,
                "csrf",
                now,
                now + chrono::Duration::days(3650),
            )
            .await
            .unwrap();
        let (token, stored) =
            auth::new_api_token("fuzz", Role::Editor, now + chrono::Duration::days(3650));
        store.create_api_token(&user, &stored, now).await.unwrap();
        let state = AppState::new(store, Catalog::builtin().unwrap(), Clock::fixed(now));
        (mamori_web::router(state), session, token)
    });
    Fixture {
        rt,
        router,
        session,
        token,
        _dir: dir,
    }
});

const PATHS: [&str; 15] = [
    "/login",
    "/setup",
    "/dashboard",
    "/history?",
    "/settings",
    "/account/totp",
    "/checklists/r7/facility/answers",
    "/checklists/r7/facility",
    "/api/v1/checklists/r7/facility/answers",
    "/api/v1/catalog/r7/",
    "/ledgers/accounts",
    "/ledgers/devices/",
    "/ledgers/accounts/import",
    "/api/v1/ledgers/accounts/import",
    "/api/v1/checklists/r7/facility/evidence",
];

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    if data.len() < 2 {
        return;
    }
    let (flags, pick, rest) = (data[0], data[1], &data[2..]);
    // The rest: a suffix for the path up to the first newline, then the body.
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let suffix = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default().to_vec();
    let path = format!("{}{}", PATHS[pick as usize % PATHS.len()], suffix);
    let method = ["GET", "POST", "PUT", "DELETE"][(flags & 3) as usize];
    let mut req = Request::builder().method(method).uri(path.as_str());
    if flags & 4 != 0 {
        req = req.header(header::COOKIE, format!("mamori_session={}", f.session));
    }
    if flags & 8 != 0 {
        req = req.header(header::AUTHORIZATION, format!("Bearer {}", f.token));
    }
    req = req.header(
        header::CONTENT_TYPE,
        if flags & 16 != 0 {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        },
    );
    let Ok(req) = req.body(Body::from(body)) else {
        return; // not a valid URI: hyper would refuse it before the router
    };
    let status =
        f.rt.block_on(f.router.clone().oneshot(req))
            .unwrap()
            .status();
    assert_ne!(status.as_u16(), 500, "{method} {path}");
});
