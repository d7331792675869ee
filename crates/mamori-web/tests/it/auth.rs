//! Signing in: the first-run setup, login and lockout, two-factor sign-in, sessions, HTTPS cookies.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::{NewUser, OrgKind, Store};
use mamori_web::AppState;
use serde_json::json;

use crate::helpers::*;

async fn bare_app() -> (Router, Store, tempfile::TempDir) {
    bare_app_at(now()).await
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
    let contacts = store
        .ledger_all(org.id, mamori_ledger::Kind::Contacts)
        .await
        .unwrap();
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
            .history(mamori_core::OrgId::new(1), Some("user"), None, 10)
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

/// Issue 35 (5): a client that sends its headers slowly, or keeps a connection open without asking
/// anything, is disconnected after the header timeout; a normal request on the same server is served.
#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_, store, _db) = bare_app().await;
    let state = AppState::new(store, Catalog::builtin().unwrap(), Clock::fixed(now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = std::time::Duration::from_millis(800);
    tokio::spawn(mamori_web::serve_plain(
        listener,
        state,
        std::future::pending(),
        timeout,
    ));
    // Closed within the timeout (and some slack): reading gives EOF or a reset, not a wait.
    async fn closed_within(s: &mut tokio::net::TcpStream, limit: std::time::Duration) -> bool {
        let mut buf = [0u8; 4096];
        let started = std::time::Instant::now();
        loop {
            match tokio::time::timeout(limit, s.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed() < limit,
                Ok(Ok(_)) => continue,
            }
        }
    }
    let slack = timeout * 4;
    // Slowloris: a header line now and then, never the end of the headers.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let dribble = async {
        for i in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if slow
                .write_all(format!("X-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(slack, dribble).await;
    assert!(
        closed_within(&mut slow, slack).await,
        "slow headers were held"
    );
    // Idle: connected, nothing sent.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut idle, slack).await,
        "an idle connection was held"
    );
    // Kept alive after a request, then idle.
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_within(&mut kept, slack).await,
        "a kept-alive idle connection was held"
    );
    // Meanwhile the server serves.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    ok.read_to_end(&mut out).await.unwrap();
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
}
