//! One vendor with many linked facilities (default 500) publishes a product's 事業者確認用 to all of them:
//! the time, and the SQL statements counted from sqlx's own statement log (target `sqlx::query`), against
//! the same publication to a tenth of the clients — no statement per client. Also the vendor's dashboard
//! over every client, and one facility's reconciliation with the received form. SQLite always; PostgreSQL
//! too when `MAMORI_TEST_PG_URL` is set (a database is made and dropped). Release build, in process.
//! Run: `bash bench/vendor.sh [FACILITIES]`. Not a test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use mamori_core::{Answer, Catalog, Choice, Clock, Role, Variant};
use mamori_ledger::Kind;
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use tracing_subscriber::layer::SubscriberExt;

/// Counts sqlx's statement events.
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn org(kind: OrgKind, name: String) -> NewOrg {
    NewOrg {
        kind,
        name,
        security_officer: "担当".into(),
        has_vendor_contract: true,
    }
}

fn user(login: String) -> NewUser {
    NewUser {
        login,
        display_name: "担当".into(),
        password_hash: "x".into(),
        role: Role::Admin,
    }
}

async fn run(label: &str, store: Store, facilities: usize, counter: &AtomicUsize) {
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let app = mamori_app::App::new(
        store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(now),
    );
    let t = Instant::now();
    let (vendor, se) = store
        .add_org(
            &org(OrgKind::Vendor, "ベンチ商事".into()),
            &user("se".into()),
            now,
        )
        .await
        .unwrap();
    let product = store
        .save_product(
            vendor.id,
            None,
            &mamori_store::ProductFields {
                name: "ベンチカルテ".into(),
                version: "1".into(),
                kind: "電子カルテ".into(),
                remote_maintenance: "VPN".into(),
            },
            "se",
            now,
        )
        .await
        .unwrap();
    let mut first_facility = None;
    let mut links = Vec::new();
    for n in 0..facilities {
        let (f, _) = store
            .add_org(
                &org(OrgKind::Clinic, format!("診療所{n:04}")),
                &user(format!("c{n}")),
                now,
            )
            .await
            .unwrap();
        first_facility.get_or_insert(f.clone());
        let row: mamori_store::Fields = [("name".to_string(), "ベンチ商事".to_string())].into();
        let row = store
            .save_ledger_row(f.id, Kind::Vendors, None, &row, "c", now)
            .await
            .unwrap();
        let (_, code) = store
            .create_vendor_invitation(f.id, row, None, "c", now)
            .await
            .unwrap();
        links.push(
            store
                .accept_vendor_invitation(vendor.id, &code, &[product], "se", now)
                .await
                .unwrap(),
        );
    }
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Vendor).unwrap();
    let answers: Vec<Answer> = form
        .rows()
        .map(|(item, target)| Answer {
            item: item.id.clone(),
            target,
            round: 1,
            answer: Choice::Yes,
            checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
            target_date: None,
            note: String::new(),
        })
        .collect();
    store
        .save_product_form(vendor.id, product, "r7", &answers, "se", now)
        .await
        .unwrap();
    // Every tenth client has a difference.
    for link in links.iter().step_by(10) {
        let mut one = answers[..1].to_vec();
        one[0].answer = Choice::No;
        one[0].target_date = chrono::NaiveDate::from_ymd_opt(2026, 3, 31);
        store
            .save_product_override(vendor.id, (*link, product, "r7"), &one, "se", now)
            .await
            .unwrap();
    }
    println!(
        "[{label}] set up {facilities} facilities, each linked to the vendor: {:.1} s; {} answers a form",
        t.elapsed().as_secs_f64(),
        answers.len()
    );

    let measure = |what: String, secs: f64, statements: usize| {
        println!(
            "[{label}] {what}: {:.1} ms, {statements} SQL statements",
            secs * 1000.0
        );
    };
    let mut figures = Vec::new();
    for n in [facilities / 10, facilities] {
        let chosen: Vec<i64> = links[..n].to_vec();
        counter.store(0, Ordering::Relaxed);
        let t = Instant::now();
        let report =
            mamori_app::vendor_side::publish(&app, &vendor, &se, product, "r7", Some(&chosen))
                .await
                .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let counted = counter.load(Ordering::Relaxed);
        assert_eq!(report.clients, n);
        measure(
            format!(
                "publish to {n} clients (store's own count {})",
                report.statements
            ),
            secs,
            counted,
        );
        figures.push((n, secs, counted));
    }
    let ((n1, s1, q1), (n2, s2, q2)) = (figures[0], figures[1]);
    println!(
        "[{label}] ×{} clients: time ×{:.1}, statements ×{:.2} ({q1} → {q2}); {:.2} ms a client",
        n2 / n1,
        s2 / s1,
        q2 as f64 / q1 as f64,
        s2 * 1000.0 / n2 as f64
    );
    counter.store(0, Ordering::Relaxed);
    let t = Instant::now();
    let lines = mamori_app::vendor_side::client_lines(&app, &vendor, "r7")
        .await
        .unwrap();
    measure(
        format!("vendor dashboard over {} clients", lines.len()),
        t.elapsed().as_secs_f64(),
        counter.load(Ordering::Relaxed),
    );
    let facility = first_facility.unwrap();
    counter.store(0, Ordering::Relaxed);
    let t = Instant::now();
    let found = mamori_app::vendor_forms::reconciliation(&app, &facility, "r7")
        .await
        .unwrap();
    measure(
        format!(
            "one facility's reconciliation with the received form ({} contradictions)",
            found.len()
        ),
        t.elapsed().as_secs_f64(),
        counter.load(Ordering::Relaxed),
    );
}

#[tokio::main]
async fn main() {
    let facilities: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let counter = Arc::new(AtomicUsize::new(0));
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("sqlx::query", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(
        tracing_subscriber::Layer::with_filter(Statements(counter.clone()), filter),
    ))
    .unwrap();
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_string())
            )
            .unwrap_or_default()
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("vendor.db").to_str().unwrap())
        .await
        .unwrap();
    run("SQLite", store, facilities, &counter).await;

    if let Ok(base) = std::env::var("MAMORI_TEST_PG_URL") {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base).await.unwrap();
        let name = format!("mamori_bench_vendor_{}", std::process::id());
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        let store = Store::open(&url).await.unwrap();
        run("PostgreSQL", store.clone(), facilities, &counter).await;
        store.close().await;
        admin
            .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .await
            .unwrap();
    } else {
        println!("PostgreSQL: skipped (MAMORI_TEST_PG_URL is not set)");
    }
}
