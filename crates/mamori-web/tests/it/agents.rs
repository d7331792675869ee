//! Agents and inventories: enrolment over HTTPS, inventories merged into the 機器台帳, the review queue, the device page.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::Store;
use mamori_web::AppState;
use serde_json::json;

use crate::helpers::*;

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
    let row = app
        .store
        .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, id)
        .await
        .unwrap();
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
        .save_ledger_row(
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::Devices,
            Some(id),
            &edited,
            "admin",
            now(),
        )
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
    let row = app
        .store
        .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, id)
        .await
        .unwrap();
    assert_eq!(
        (
            row.data["location"].as_str(),
            row.data["device_kind"].as_str()
        ),
        ("サーバ室", "サーバ")
    );
    let devices = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    let trail = app
        .store
        .history(
            mamori_core::OrgId::new(1),
            Some("ledger"),
            Some(&format!("devices/{id}")),
            10,
        )
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
    assert_eq!(
        app.store
            .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices)
            .await
            .unwrap(),
        devices
    );
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
    let token = mamori_app::inventory::create_enrollment(
        &state,
        mamori_core::OrgId::new(1),
        "受付PC",
        7,
        "admin",
    )
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
    let devices = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    let agents = app.store.agents(mamori_core::OrgId::new(1)).await.unwrap();
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
    assert_eq!(
        app.store
            .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices)
            .await
            .unwrap(),
        devices
    );

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
    let org = app.store.org(mamori_core::OrgId::new(1)).await.unwrap();
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
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::Devices,
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
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::Devices,
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
    let reviews = app
        .store
        .inventory_reviews(mamori_core::OrgId::new(1))
        .await
        .unwrap();
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
            .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, a)
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
    let row = app
        .store
        .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, a)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (row["machine_id"].as_str(), row["location"].as_str()),
        (inv.machine_id.as_str(), "サーバ室")
    );
    let history = app
        .store
        .inventory_history(mamori_core::OrgId::new(1), a)
        .await
        .unwrap();
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
    assert_eq!(
        app.store
            .inventory_history(mamori_core::OrgId::new(1), a)
            .await
            .unwrap()
            .len(),
        2
    );

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
    assert!(
        app.store
            .inventory_review(mamori_core::OrgId::new(2), reviews[0].id)
            .await
            .is_err()
    );
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
    let org = app.store.org(mamori_core::OrgId::new(1)).await.unwrap();
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
    let row = app
        .store
        .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, id)
        .await
        .unwrap()
        .data;
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
    let org = app.store.org(mamori_core::OrgId::new(1)).await.unwrap();
    for loc in ["受付", "診察室1"] {
        app.store
            .save_ledger_row(
                mamori_core::OrgId::new(1),
                mamori_ledger::Kind::Devices,
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
    let row = app
        .store
        .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, 2)
        .await
        .unwrap()
        .data;
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
            .ledger_row(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices, 1)
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
