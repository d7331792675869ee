//! Render time and size of the inspection pack (立入検査用資料) for a facility with 500 devices and 5 vendors
//! (each with its 事業者確认用), every row of the R7 facility and vendor forms answered; release build, in
//! process, SQLite.
//! Run: `bash bench/pack.sh [RUNS] [DEVICES]`. Prints p50/max, pages and bytes, and the machine.

use std::time::{Duration, Instant};

use mamori_core::{Catalog, Clock, Variant};
use mamori_store::{Actor, NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;

#[tokio::main]
async fn main() {
    let arg = |i: usize, d: usize| -> usize {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let (runs, devices) = (arg(1, 10), arg(2, 500));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("pack.db").to_str().unwrap())
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let org = NewOrg {
        kind: OrgKind::Hospital,
        name: "ベンチ総合病院".into(),
        security_officer: "院長 山田太郎".into(),
        has_vendor_contract: true,
    };
    let admin = NewUser {
        login: "admin".into(),
        display_name: "管理者".into(),
        password_hash: "x".into(),
        role: mamori_core::Role::Admin,
    };
    let (org, user) = store.set_up(&org, &admin, now).await.unwrap();
    mamori_app::setup::add_initial_contacts(&store, org.id, "admin", now)
        .await
        .unwrap();
    mamori_app::setup::seed_samples(&store, org.id, devices, 300, now, |_, _, _| {})
        .await
        .unwrap();
    let vendors: Vec<_> = (1..=5)
        .map(|i| {
            [
                ("name", format!("ベンダー{i}株式会社")),
                ("systems", format!("システム{i}")),
                ("remote_contract", "有".to_string()),
                ("mds_sds_kind", "MDS・SDS".to_string()),
                ("mds_sds_received_on", "2025-04-10".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        })
        .collect();
    store
        .import_ledger(
            org.id,
            mamori_ledger::Kind::Vendors,
            &["name"],
            &vendors,
            "bench",
            now,
        )
        .await
        .unwrap();
    let catalog = Catalog::builtin().unwrap();
    let actor = Actor {
        user_id: user.id,
        name: "admin".into(),
    };
    for variant in [Variant::Facility, Variant::Vendor] {
        let form = catalog.form("r7", variant).unwrap();
        let answers: Vec<mamori_core::Answer> = form
            .rows()
            .enumerate()
            .map(|(i, (item, target))| mamori_core::Answer {
                item: item.id.clone(),
                target,
                round: 1,
                answer: if item.gate || i % 3 != 0 {
                    mamori_core::Choice::Yes
                } else {
                    mamori_core::Choice::No
                },
                checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
                target_date: (!item.gate && i % 3 == 0)
                    .then(|| chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
                note: "ベンチマーク用の備考".into(),
            })
            .collect();
        store
            .save_answers_with_evidence(
                org.id,
                "r7",
                variant,
                &actor,
                now,
                &Default::default(),
                |_| Ok::<_, ()>(answers),
            )
            .await
            .unwrap()
            .unwrap();
    }
    // Each vendor's 事業者確認用 as received: the vendor form answered like the facility's, per vendor.
    let vendor_answers = store.answers(org.id, "r7", Variant::Vendor).await.unwrap();
    for row in store
        .ledger_all(org.id, mamori_ledger::Kind::Vendors)
        .await
        .unwrap()
    {
        store
            .save_vendor_form(org.id, row.id, "r7", &vendor_answers, "bench", now)
            .await
            .unwrap();
    }
    let state = AppState::new(store, catalog, Clock::fixed(now));
    let org = state.store.org(org.id).await.unwrap();
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let pdf = mamori_app::documents::inspection_pack(&state, &org, "r7")
            .await
            .unwrap();
        times.push(t.elapsed());
        last = Some(pdf);
    }
    times.sort();
    let pdf = last.unwrap();
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |s| s.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_string())
            )
            .unwrap_or_default()
    );
    println!(
        "inspection pack, {devices} devices, 5 vendors with their forms, R7 facility + vendor forms answered: \
         p50 {:.0} ms, max {:.0} ms over {runs} runs (goal < 2000 ms: {:.1}x under); {} pages, {} KB",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        2.0 / times[times.len() / 2].as_secs_f64(),
        pdf.pages,
        pdf.bytes.len() / 1024
    );
}
