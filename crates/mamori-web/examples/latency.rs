//! Latency of the checklist page and the xlsx export, through the whole router (in process, no network),
//! on a temporary SQLite database with every row of the R7 facility form answered; with ledgers seeded
//! (`latency N DEVICES ACCOUNTS`), also the ledger list pages and the evidence for the facility.
//! Run: `bash bench/latency.sh` or `bash bench/ledgers.sh` (release build). Prints p50/p95 and the machine.

mod support;

use std::time::{Duration, Instant};
use support::{cpu_model, pct};

use axum::body::Body;
use axum::http::{Request, header};
use mamori_app::auth;
use mamori_core::{Catalog, Clock};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;
use serde_json::json;
use tower::ServiceExt;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.db").to_str().unwrap())
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let catalog = Catalog::builtin().unwrap();
    let org = NewOrg {
        kind: OrgKind::Clinic,
        name: "ベンチクリニック".into(),
        security_officer: "責任者".into(),
        has_vendor_contract: true,
    };
    let admin = NewUser {
        login: "admin".into(),
        display_name: "管理者".into(),
        password_hash: auth::hash_password("Bench#2025x"),
        role: mamori_core::Role::Admin,
    };
    let (_, user) = store.set_up(&org, &admin, now).await.unwrap();
    // Administrators must use two-factor sign-in before any page opens.
    store.begin_totp(&user, "JBSWY3DPEHPK3PXP").await.unwrap();
    store.enable_totp(&user, 0, &[], now).await.unwrap();
    let arg = |i: usize| -> usize {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let (devices, accounts) = (arg(2), arg(3));
    let seed_started = Instant::now();
    mamori_app::setup::seed_samples(&store, user.org_id, devices, accounts, now, |_, _, _| {})
        .await
        .unwrap();
    if devices + accounts > 0 {
        println!(
            "seeded {devices} devices ({} software entries) and {accounts} accounts in {:.1} s",
            devices * mamori_ledger::sample::SOFTWARE_PER_DEVICE,
            seed_started.elapsed().as_secs_f64()
        );
    }
    let session = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&session),
            user.id,
            "csrf",
            now,
            now + chrono::Duration::hours(8),
        )
        .await
        .unwrap();
    let (token, stored) = auth::new_api_token(
        "bench",
        mamori_core::Role::Admin,
        now + chrono::Duration::days(365),
    );
    store.create_api_token(&user, &stored, now).await.unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let body: Vec<_> = form
        .rows()
        .map(|(i, t)| {
            json!({"item": i.id, "target": t.id(), "round": 1, "answer": if i.gate { "yes" } else { "no" }, "checked_on": "2025-05-20",
                   "target_date": if i.gate { None } else { Some("2026-03-01") }, "note": "ベンチマーク用の備考"})
        })
        .collect();
    let router = mamori_web::router(AppState::new(store.clone(), catalog, Clock::fixed(now)));
    let put = Request::put("/api/v1/checklists/r7/facility/answers")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let resp = router.clone().oneshot(put).await.unwrap();
    assert!(
        resp.status().is_success(),
        "seeding answers failed: {}",
        resp.status()
    );

    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model()
    );
    println!(
        "requests per endpoint: {n} (in-process through the full router, SQLite WAL, {} answered rows)",
        body.len()
    );
    let mut endpoints = vec![
        ("checklist page", "/checklists/r7/facility".to_string()),
        (
            "xlsx export",
            "/checklists/r7/facility/export.xlsx".to_string(),
        ),
    ];
    if devices + accounts > 0 {
        endpoints.extend([
            (
                "evidence (API)",
                "/api/v1/checklists/r7/facility/evidence".to_string(),
            ),
            ("dashboard", "/dashboard".to_string()),
            ("reminders", "/reminders".to_string()),
            ("report", "/report".to_string()),
            ("new year", "/years".to_string()),
            ("bcp", "/bcp".to_string()),
            ("devices p1", "/ledgers/devices".to_string()),
            (
                "devices filter",
                "/ledgers/devices?f_device_kind=%E3%82%B5%E3%83%BC%E3%83%90&sort=model&page=20"
                    .to_string(),
            ),
            (
                "devices sorted",
                format!(
                    "/ledgers/devices?sort=computer_name&desc=1&page={}",
                    (devices / 50 / 2).max(1)
                ),
            ),
            ("accounts search", "/ledgers/accounts?q=u004999".to_string()),
            (
                "accounts sorted",
                format!(
                    "/ledgers/accounts?sort=family_name&page={}",
                    (accounts / 50 / 2).max(1)
                ),
            ),
        ]);
    }
    for (name, uri) in endpoints {
        let mut times = Vec::with_capacity(n);
        let mut bytes = 0;
        for _ in 0..n {
            let req = Request::get(uri.as_str())
                .header(header::COOKIE, format!("mamori_session={session}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let t = Instant::now();
            let resp = router.clone().oneshot(req).await.unwrap();
            assert!(resp.status().is_success(), "{uri}: {}", resp.status());
            bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap()
                .len();
            times.push(t.elapsed());
        }
        report(name, &mut times, bytes);
    }
    if devices + accounts == 0 {
        return;
    }
    // The evidence right after a ledger change (one account edited before each request: the cache reads
    // just that row), and with no cache at all (a new process: every row read).
    let evidence = "/api/v1/checklists/r7/facility/evidence";
    let get = |token: &str| {
        Request::get(evidence)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let (account, _) = store
        .ledger_page(
            user.org_id,
            mamori_ledger::Kind::Accounts,
            &mamori_store::LedgerQuery {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let account = &account[0];
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let mut row = account.data.clone();
        row.insert("description".into(), format!("ベンチ {i}"));
        store
            .save_ledger_row(
                user.org_id,
                mamori_ledger::Kind::Accounts,
                Some(account.id),
                &row,
                "bench",
                now,
            )
            .await
            .unwrap();
        let t = Instant::now();
        let resp = router.clone().oneshot(get(&token)).await.unwrap();
        assert!(resp.status().is_success());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        times.push(t.elapsed());
        if i + 1 == n {
            report("evidence after a change", &mut times, bytes.len());
        }
    }
    let cold_runs = n.min(10);
    let mut times = Vec::with_capacity(cold_runs);
    for _ in 0..cold_runs {
        let fresh = mamori_web::router(AppState::new(
            store.clone(),
            Catalog::builtin().unwrap(),
            Clock::fixed(now),
        ));
        let t = Instant::now();
        let resp = fresh.oneshot(get(&token)).await.unwrap();
        assert!(resp.status().is_success());
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        times.push(t.elapsed());
    }
    report("evidence, new process (every row read)", &mut times, 0);
}

fn report(name: &str, times: &mut [Duration], bytes: usize) {
    times.sort();
    println!(
        "{name:15} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({bytes} bytes)",
        pct(times, 0.5).as_secs_f64() * 1e3,
        pct(times, 0.95).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}
