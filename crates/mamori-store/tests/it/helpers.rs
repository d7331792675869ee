//! What the stories share: the fixed time, a new organisation, user and answer.

use chrono::{DateTime, Utc};
use mamori_core::Role;
use mamori_store::{NewOrg, NewUser, OrgKind};

pub(crate) fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

pub(crate) fn new_org(name: &str, vendor: bool) -> NewOrg {
    NewOrg {
        kind: OrgKind::Clinic,
        name: name.into(),
        security_officer: "山田 太郎".into(),
        has_vendor_contract: vendor,
    }
}

/// A new organisation of a kind, with a vendor contract.
pub(crate) fn org(kind: OrgKind, name: &str) -> NewOrg {
    NewOrg {
        kind,
        ..new_org(name, true)
    }
}

pub(crate) fn new_user(login: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("{login} さん"),
        password_hash: "$argon2id$dummy".into(),
        role: Role::Admin,
    }
}

/// An empty PostgreSQL database for one test, when `MAMORI_TEST_PG_URL` is set (CI sets it; it must name a
/// server where the test may create databases). Says plainly when it is not set.
pub(crate) struct PgDb {
    pub(crate) name: String,
    pub(crate) url: String,
}

impl PgDb {
    pub(crate) async fn create(what: &str, prefix: &str) -> Option<PgDb> {
        use sqlx::Executor;
        let Ok(base) = std::env::var("MAMORI_TEST_PG_URL") else {
            eprintln!("SKIP: MAMORI_TEST_PG_URL is not set; {what} did not run on PostgreSQL");
            return None;
        };
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base)
            .await
            .expect("MAMORI_TEST_PG_URL is set but PostgreSQL is unreachable");
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        admin.close().await;
        let url = match base.rfind('/') {
            Some(i) if i > base.find("://").unwrap() + 2 => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        };
        Some(PgDb { name, url })
    }

    /// Drops the database, ending any connection left to it (pg_restore's, a pool's).
    pub(crate) async fn drop_db(self) {
        use sqlx::Executor;
        let base = std::env::var("MAMORI_TEST_PG_URL").unwrap();
        let admin = sqlx::AnyPool::connect(&base).await.unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {} WITH (FORCE)",
                self.name
            )))
            .await
            .unwrap();
    }
}

/// A store on a fresh PostgreSQL database (see [`PgDb`]); give both to [`drop_pg`] at the end.
pub(crate) async fn fresh_pg(what: &str) -> Option<(mamori_store::Store, PgDb)> {
    let db = PgDb::create(what, "mamori_test").await?;
    let store = mamori_store::Store::open(&db.url).await.unwrap();
    Some((store, db))
}

/// Closes the store and drops its database.
pub(crate) async fn drop_pg(store: mamori_store::Store, db: PgDb) {
    store.close().await;
    db.drop_db().await;
}
