//! Load run (issue 35): while 20 organisations each import a 100,000-row device ledger through the API
//! and 8 large access logs are uploaded for analysis, the dashboard of another organisation is timed once
//! a second and one of its answers is saved once a second. Prints the dashboard's and the saves' p50/p95/max,
//! how many took over 1 s, the work's own durations and the
//! process's peak RSS (server and this client together; the client shares one copy of each file).
//! Real HTTP over a local TCP socket to the server `serve` runs, on a temporary SQLite database.
//! Run: `bash bench/load.sh` (release build). Not a test: it prints figures, it asserts nothing of speed.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{cpu_model, pct};

use mamori_app::auth;
use mamori_core::{Catalog, Clock, Role};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::AppState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IMPORTS: usize = 20;
const IMPORT_ROWS: usize = 100_000;
const LOGS: usize = 8;
const LOG_ROWS: usize = 400_000;

fn vm(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One request over a new connection (`Connection: close`): status and body.
async fn http(
    addr: std::net::SocketAddr,
    head: String,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>, Option<String>)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out[..out.len().min(4096)]).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("location:"))
        .map(|l| l[9..].trim().to_string());
    let at = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(out.len(), |p| p + 4);
    Ok((status, out[at..].to_vec(), location))
}

/// Sends the request `next` makes once a second until `done`, each with `limit`: every duration, and how
/// many failed or were not 200.
fn every_second(
    done: Arc<AtomicBool>,
    limit: Duration,
    mut next: impl FnMut() -> (std::net::SocketAddr, String, Vec<u8>) + Send + 'static,
) -> tokio::task::JoinHandle<(Vec<Duration>, usize)> {
    tokio::spawn(async move {
        let mut times = Vec::new();
        let mut failed = 0;
        while !done.load(Ordering::Relaxed) {
            let started = Instant::now();
            let (addr, head, body) = next();
            if !matches!(
                tokio::time::timeout(limit, http(addr, head, &body)).await,
                Ok(Ok((200, _, _)))
            ) {
                failed += 1;
            }
            times.push(started.elapsed());
            tokio::time::sleep(Duration::from_secs(1).saturating_sub(started.elapsed())).await;
        }
        (times, failed)
    })
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("load.db").to_str().unwrap())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let user = |login: &str| NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: auth::hash_password("Load#2025xx"),
        role: Role::Admin,
    };
    let org = |name: String| NewOrg {
        kind: OrgKind::Clinic,
        name,
        security_officer: "責任者".into(),
        has_vendor_contract: true,
    };
    // The organisation whose dashboard is timed, with a session (two-factor done).
    let (_, watcher) = store
        .set_up(&org("見る医院".into()), &user("watcher"), now)
        .await
        .unwrap();
    store
        .begin_totp(&watcher, "JBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    store.enable_totp(&watcher, 0, &[], now).await.unwrap();
    let session = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&session),
            watcher.id,
            "csrf",
            now,
            now + chrono::Duration::hours(8),
        )
        .await
        .unwrap();
    let cookie = format!("mamori_session={session}");
    let (watcher_token, stored) =
        auth::new_api_token("load", Role::Admin, now + chrono::Duration::days(1));
    store
        .create_api_token(&watcher, &stored, now)
        .await
        .unwrap();
    // The organisations that import, each with its API token.
    let mut tokens = Vec::new();
    for i in 0..IMPORTS {
        let (_, admin) = store
            .add_org(
                &org(format!("取り込む医院{i}")),
                &user(&format!("imp{i}")),
                now,
            )
            .await
            .unwrap();
        let (token, stored) =
            auth::new_api_token("load", Role::Admin, now + chrono::Duration::days(1));
        store.create_api_token(&admin, &stored, now).await.unwrap();
        tokens.push(token);
    }
    let devices: Arc<Vec<u8>> = Arc::new({
        let mut csv =
            String::from("種別,メーカー,機種,コンピュータ名,IPアドレス,設置場所,OS,備考\r\n");
        for i in 0..IMPORT_ROWS {
            csv.push_str(&format!(
                "端末PC,NEC,Mate J{},PC-{i:06},10.{}.{}.{},診察室{},Windows 11 Pro,負荷試験の行 {i}\r\n",
                i % 7,
                i / 65_536 % 256,
                i / 256 % 256,
                i % 256,
                i % 40
            ));
        }
        csv.into_bytes()
    });
    let log: Arc<Vec<u8>> = Arc::new({
        let mut csv = String::from("ユーザID,アクセス日時,患者ID,操作\r\n");
        for i in 0..LOG_ROWS {
            csv.push_str(&format!(
                "user{:03},2025/06/{:02} {:02}:{:02}:{:02},P{:07},参照\r\n",
                i % 300,
                1 + i / 20_000 % 28,
                8 + i / 3600 % 10,
                i / 60 % 60,
                i % 60,
                i % 1_000_000
            ));
        }
        csv.into_bytes()
    });

    let state = AppState::new(store.clone(), Catalog::builtin().unwrap(), Clock::system());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mamori_web::serve(listener, state));

    println!(
        "machine: {} cores, {}, {} MiB RAM",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model(),
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| s
                .lines()
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok())
            .unwrap_or(0)
            / 1024
    );
    println!(
        "load: {IMPORTS} concurrent API imports of {IMPORT_ROWS} device rows ({:.1} MB each), {LOGS} log uploads of {LOG_ROWS} access rows ({:.1} MB each); dashboard timed every second",
        devices.len() as f64 / 1e6,
        log.len() as f64 / 1e6
    );
    let rss_before = vm("VmRSS:");

    // The dashboard, once a second, until the work is done; and an answer saved (a write) once a second.
    let done = Arc::new(AtomicBool::new(false));
    let mut day = 1;
    let saver = every_second(done.clone(), Duration::from_secs(30), move || {
        day = day % 28 + 1;
        let body = format!(
            r#"[{{"item":"r7.facility.gate","target":"general","round":1,"answer":"yes","checked_on":"2026-04-{day:02}"}}]"#
        );
        let head = format!(
            "PUT /api/v1/checklists/r7/facility/answers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {watcher_token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        (addr, head, body.into_bytes())
    });
    let dashboard = format!(
        "GET /dashboard HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    let timer = every_second(done.clone(), Duration::from_secs(10), move || {
        (addr, dashboard.clone(), Vec::new())
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let mut work = Vec::new();
    for token in tokens {
        let devices = devices.clone();
        work.push(tokio::spawn(async move {
            let t = Instant::now();
            let head = format!(
                "POST /api/v1/ledgers/devices/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                devices.len()
            );
            let r = http(addr, head, &devices).await;
            ("import", r.map(|(s, _, _)| s).unwrap_or(0), t.elapsed())
        }));
    }
    for i in 0..LOGS {
        let log = log.clone();
        let cookie = cookie.clone();
        work.push(tokio::spawn(async move {
            let t = Instant::now();
            let mut body = b"--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ncsrf\r\n".to_vec();
            body.extend(format!("--B0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"access{i}.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes());
            body.extend_from_slice(&log);
            body.extend_from_slice(b"\r\n--B0undary--\r\n");
            let head = format!(
                "POST /logs/upload HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=B0undary\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let Ok((status, _, Some(page))) = http(addr, head, &body).await else {
                return ("log", 0, t.elapsed());
            };
            // The analysis runs in the background: wait until its page no longer says 分析中.
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let head = format!(
                    "GET {page} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
                );
                match http(addr, head, b"").await {
                    Ok((200, body, _)) if !String::from_utf8_lossy(&body).contains("id=\"analysis-status\">分析中") => break,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            ("log", status, t.elapsed())
        }));
    }
    let mut outcomes = Vec::new();
    for w in work {
        outcomes.push(w.await.unwrap());
    }
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (mut times, failed) = timer.await.unwrap();
    times.sort();
    let (mut saves, saves_failed) = saver.await.unwrap();
    saves.sort();
    let over = times
        .iter()
        .filter(|t| **t > Duration::from_secs(1))
        .count();
    for kind in ["import", "log"] {
        let mine: Vec<_> = outcomes.iter().filter(|o| o.0 == kind).collect();
        let mut d: Vec<Duration> = mine.iter().map(|o| o.2).collect();
        d.sort();
        let mut statuses: Vec<u16> = mine.iter().map(|o| o.1).collect();
        statuses.sort();
        statuses.dedup();
        println!(
            "{kind:>6}: {} done, HTTP status {:?}, each took p50 {:.1} s, max {:.1} s",
            mine.len(),
            statuses,
            pct(&d, 0.5).as_secs_f64(),
            pct(&d, 1.0).as_secs_f64()
        );
    }
    println!(
        "all work finished in {:.1} s; dashboard: {} requests, p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms, over 1 s: {over}, failed or over 10 s: {failed}",
        wall.as_secs_f64(),
        times.len(),
        pct(&times, 0.5).as_secs_f64() * 1e3,
        pct(&times, 0.95).as_secs_f64() * 1e3,
        pct(&times, 1.0).as_secs_f64() * 1e3,
    );
    println!(
        "answer saves (writes of another organisation): {} requests, p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms, failed or over 30 s: {saves_failed}",
        saves.len(),
        pct(&saves, 0.5).as_secs_f64() * 1e3,
        pct(&saves, 0.95).as_secs_f64() * 1e3,
        pct(&saves, 1.0).as_secs_f64() * 1e3,
    );
    println!(
        "memory: RSS before the load {} MiB, peak RSS (VmHWM, server and client) {} MiB",
        rss_before / 1024,
        vm("VmHWM:") / 1024
    );
}
