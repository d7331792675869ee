//! Load on a hosted deployment: `seed` fills a database with organisations (each with a signed-in user,
//! an API token, a few dozen devices, a few hundred accounts and answers for two editions); `load` sends
//! signed-in users' requests (dashboard, checklist, ledger lists, the evidence API, and answer saves)
//! over HTTP to a running deployment (nginx in front of several `mamori serve`) and prints latency
//! percentiles, errors, and whether every acknowledged save is there afterwards.
//! Run through `bash bench/hosting.sh`. Not a test: figures, not assertions.
//!
//!   hosting_load seed <db-url> <orgs>
//!   hosting_load load <base-url> <orgs> <users> <seconds> <think-ms>

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mamori_app::auth;
use mamori_core::{Answer, Catalog, Choice, Role};
use mamori_store::{Actor, NewOrg, NewToken, NewUser, OrgKind, Store};

const DEVICES: usize = 30;
const ACCOUNTS: usize = 300;
/// Answer saves among the requests: one in this many.
const WRITE_EVERY: usize = 10;

fn session_token(i: usize) -> String {
    format!("bench-session-{i:05}")
}

fn api_token(i: usize) -> String {
    format!("bench-token-{i:05}")
}

async fn seed(db: &str, orgs: usize) {
    let store = Store::open(db).await.unwrap();
    let catalog = Catalog::builtin().unwrap();
    let now = chrono::Utc::now();
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // A few organisations at a time: the database, not this loop, is what is measured later.
    for _ in 0..4 {
        let (store, catalog, next) = (store.clone(), catalog.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= orgs {
                    break;
                }
                seed_one(&store, &catalog, i, now).await;
                if (i + 1) % 100 == 0 {
                    eprintln!("  {} 組織", i + 1);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "seeded {orgs} organisations ({DEVICES} devices, {ACCOUNTS} accounts, answers for r6 and r7 each) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn seed_one(store: &Store, catalog: &Catalog, i: usize, now: chrono::DateTime<chrono::Utc>) {
    let org = NewOrg {
        kind: if i % 10 == 9 {
            OrgKind::Pharmacy
        } else {
            OrgKind::Clinic
        },
        name: format!("ベンチ施設{i:05}"),
        security_officer: format!("責任者{i:05}"),
        has_vendor_contract: true,
    };
    let user = NewUser {
        login: format!("bench-u{i:05}"),
        display_name: format!("利用者{i:05}"),
        password_hash: "not used: sessions are made directly".into(),
        role: Role::Editor,
    };
    let (org, user) = store.add_org(&org, &user, now).await.unwrap();
    mamori_app::setup::seed_samples(store, org.id, DEVICES, ACCOUNTS, now, |_, _, _| {})
        .await
        .unwrap();
    let variant = org.kind.own_variant();
    let actor = Actor {
        user_id: user.id,
        name: user.login.clone(),
    };
    for edition in ["r6", "r7"] {
        let Some(form) = catalog.form(edition, variant) else {
            continue;
        };
        let answers: Vec<Answer> = form
            .rows()
            .map(|(item, target)| Answer {
                item: item.id.clone(),
                target,
                round: 1,
                answer: Choice::Yes,
                checked_on: mamori_core::dates::jst_date(now),
                target_date: None,
                note: String::new(),
            })
            .collect();
        store
            .save_answers(org.id, edition, variant, &actor, now, |_| {
                Ok::<_, ()>(answers)
            })
            .await
            .unwrap()
            .unwrap();
    }
    store
        .create_session(
            &auth::token_hash(&session_token(i)),
            user.id,
            "bench-csrf",
            now,
            now + chrono::Duration::hours(8),
        )
        .await
        .unwrap();
    let token = NewToken {
        hash: auth::token_hash(&api_token(i)),
        label: "bench".into(),
        role: Role::Editor,
        expires_at: now + chrono::Duration::days(1),
    };
    store.create_api_token(&user, &token, now).await.unwrap();
}

const ROUTES: [&str; 6] = [
    "/dashboard",
    "/checklists/r7/{variant}",
    "/ledgers/devices",
    "/ledgers/accounts",
    "/api/v1/checklists/r7/{variant}/evidence",
    "PUT /api/v1/checklists/r7/{variant}/answers",
];

#[derive(Default)]
struct Results {
    /// (route index, latency, ok) of every request.
    samples: Vec<(usize, Duration, bool)>,
    errors: Vec<String>,
    /// Per writing user: (org index, last acknowledged save, last attempted save).
    writes: Vec<(usize, u64, u64)>,
}

fn variant_of(org: usize) -> &'static str {
    if org % 10 == 9 {
        "pharmacy"
    } else {
        "facility"
    }
}

fn one_user(base: &str, org: usize, deadline: Instant, think: Duration, out: &Mutex<Results>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let variant = variant_of(org);
    let (mut acked, mut attempted) = (0u64, 0u64);
    let mut samples = Vec::new();
    let mut errors = Vec::new();
    let mut n = 0usize;
    while Instant::now() < deadline {
        let route = if n % WRITE_EVERY == WRITE_EVERY - 1 {
            5
        } else {
            n % 5
        };
        n += 1;
        let path = ROUTES[route]
            .trim_start_matches("PUT ")
            .replace("{variant}", variant);
        let url = format!("{base}{path}");
        let started = Instant::now();
        let result = if route == 5 {
            attempted += 1;
            let body = format!(
                "[{{\"item\":\"r7.{variant}.1.1\",\"target\":\"general\",\"round\":1,\"answer\":\"yes\",\"checked_on\":\"{}\",\"note\":\"ack-{org}-{attempted}\"}}]",
                mamori_core::dates::jst_date(chrono::Utc::now())
            );
            agent
                .put(&url)
                .header("Authorization", format!("Bearer {}", api_token(org)))
                .header("Content-Type", "application/json")
                .send(body.as_bytes())
        } else if path.starts_with("/api/") {
            agent
                .get(&url)
                .header("Authorization", format!("Bearer {}", api_token(org)))
                .call()
        } else {
            agent
                .get(&url)
                .header("Cookie", format!("mamori_session={}", session_token(org)))
                .call()
        };
        let ok = match result {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let _ = resp.body_mut().read_to_vec();
                if status == 200 {
                    true
                } else {
                    errors.push(format!("{} {path}", status));
                    false
                }
            }
            Err(e) => {
                errors.push(format!("{e} {path}"));
                false
            }
        };
        let took = started.elapsed();
        if ok && route == 5 {
            acked = attempted;
        }
        samples.push((route, took, ok));
        std::thread::sleep(think.saturating_sub(took));
    }
    let mut r = out.lock().unwrap();
    r.samples.extend(samples);
    r.errors.extend(errors);
    r.writes.push((org, acked, attempted));
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    format!(
        "{} cores, {cpu}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

fn load(base: &str, orgs: usize, users: usize, seconds: u64, think_ms: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let think = Duration::from_millis(think_ms);
    let out = Arc::new(Mutex::new(Results::default()));
    let started = Instant::now();
    let threads: Vec<_> = (0..users)
        .map(|u| {
            // Users spread over the organisations.
            let org = u * orgs / users;
            let (base, out) = (base.to_string(), out.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || one_user(&base, org, deadline, think, &out))
                .unwrap()
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let r = out.lock().unwrap();
    let mut all: Vec<Duration> = r.samples.iter().map(|s| s.1).collect();
    all.sort();
    println!("machine: {}", machine());
    println!(
        "{users} users over {orgs} organisations, {seconds} s, think time {think_ms} ms: {} requests ({:.0}/s), {} errors",
        all.len(),
        all.len() as f64 / elapsed,
        r.errors.len()
    );
    println!(
        "all: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&all, 0.5),
        pct(&all, 0.95),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    for (i, route) in ROUTES.iter().enumerate() {
        let mut d: Vec<Duration> = r.samples.iter().filter(|s| s.0 == i).map(|s| s.1).collect();
        d.sort();
        println!(
            "  {route:<45} n={:<6} p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms",
            d.len(),
            pct(&d, 0.5),
            pct(&d, 0.95),
            pct(&d, 0.99)
        );
    }
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in &r.errors {
        *kinds.entry(e.as_str()).or_default() += 1;
    }
    for (e, n) in kinds.iter().take(10) {
        println!("  error ×{n}: {e}");
    }
    // Every acknowledged save is there: the stored note is the last acknowledged one or a later attempt.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut lost = 0;
    let mut checked = 0;
    for (org, acked, attempted) in &r.writes {
        if *acked == 0 {
            continue;
        }
        checked += 1;
        let url = format!("{base}/api/v1/checklists/r7/{}/answers", variant_of(*org));
        let text = agent
            .get(&url)
            .header("Authorization", format!("Bearer {}", api_token(*org)))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .unwrap_or_default();
        let stored = (*acked..=*attempted).any(|n| text.contains(&format!("\"ack-{org}-{n}\"")));
        if !stored {
            lost += 1;
        }
    }
    println!("acknowledged saves checked afterwards: {checked} users, {lost} lost");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize, d: u64| arg(i).parse().unwrap_or(d);
    match arg(1).as_str() {
        "seed" => seed(&arg(2), num(3, 1000) as usize).await,
        "load" => {
            let (base, orgs, users, secs, think) = (
                arg(2),
                num(3, 1000) as usize,
                num(4, 200) as usize,
                num(5, 30),
                num(6, 1000),
            );
            tokio::task::spawn_blocking(move || load(&base, orgs, users, secs, think))
                .await
                .unwrap()
        }
        _ => eprintln!(
            "usage: hosting_load seed <db-url> <orgs> | load <base-url> <orgs> <users> <seconds> <think-ms>"
        ),
    }
}
