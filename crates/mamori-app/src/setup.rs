//! A new organisation's first rows, and sample ledgers for benchmarks.

use mamori_core::OrgId;
use mamori_store::StoreError;

/// A new facility's 外部連絡リスト starts with the public contacts every facility needs.
pub async fn add_initial_contacts(
    store: &mamori_store::Store,
    org_id: OrgId,
    actor: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let kind = mamori_ledger::Kind::Contacts;
    store
        .import_ledger(
            org_id,
            kind,
            kind.identity(),
            &mamori_ledger::sample::initial_contacts(),
            actor,
            at,
        )
        .await
        .map(|_| ())
}

/// Fills a facility's 機器台帳 and 利用者台帳 with sample rows (`mamori dev seed`, benchmarks), in
/// transactions of 5,000 rows; `progress` hears each chunk.
pub async fn seed_samples(
    store: &mamori_store::Store,
    org_id: OrgId,
    devices: usize,
    accounts: usize,
    at: chrono::DateTime<chrono::Utc>,
    progress: impl Fn(mamori_ledger::Kind, usize, usize),
) -> Result<(), StoreError> {
    use mamori_ledger::{Kind, Row, sample};
    type MakeRow = fn(usize) -> Row;
    let plan: [(Kind, usize, MakeRow); 2] = [
        (Kind::Devices, devices, sample::device),
        (Kind::Accounts, accounts, sample::account),
    ];
    for (kind, n, make) in plan {
        let mut done = 0;
        while done < n {
            let end = (done + 5_000).min(n);
            let rows: Vec<Row> = (done..end).map(make).collect();
            store
                .import_ledger(org_id, kind, kind.identity(), &rows, "seed", at)
                .await?;
            done = end;
            progress(kind, done, n);
        }
    }
    Ok(())
}

/// The first administrator typed at setup: the password is hashed here, off the async runtime.
pub struct FirstAdmin {
    pub login: String,
    pub display_name: String,
    pub password: String,
}

impl FirstAdmin {
    /// The administrator as stored: the password hashed (off the async runtime), never kept.
    pub async fn into_new_user(self) -> mamori_store::NewUser {
        let password = self.password;
        let password_hash =
            tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
                .await
                .expect("hashing does not panic");
        mamori_store::NewUser {
            login: self.login,
            display_name: self.display_name,
            password_hash,
            role: mamori_core::Role::Admin,
        }
    }
}

/// The first-run setup: the organisation, its first administrator, and the contacts every facility
/// starts with. `StoreError::AlreadySetUp` when it was done before.
pub async fn set_up(
    store: &mamori_store::Store,
    org: &mamori_store::NewOrg,
    admin: FirstAdmin,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(mamori_store::Org, mamori_store::User), StoreError> {
    let user = admin.into_new_user().await;
    let (org, user) = store.set_up(org, &user, at).await?;
    add_initial_contacts(store, org.id, &user.login, at).await?;
    Ok((org, user))
}
