//! How failed sign-ins slow an attacker, counted in the database so that every instance behind a load
//! balancer sees the same: a client address waits after too many failures in a minute (successes do not
//! count: a whole clinic signs in from one address behind its router), and a login name that is no
//! account locks exactly as an account does, so that a lock message tells nothing about which names exist.

use chrono::{DateTime, Duration, Utc};
use mamori_store::{LOCKOUT_FAILURES, LOCKOUT_MINUTES, Store, StoreError};

/// Failed sign-ins one address may make in a minute before it waits.
pub const LOGIN_FAILURES_PER_MINUTE: u32 = 10;

fn address_key(ip: std::net::IpAddr) -> String {
    format!("ip:{ip}")
}

fn name_key(login: &str) -> String {
    format!("name:{login}")
}

/// Whether the address has failed too often this minute.
pub async fn address_blocked(
    store: &Store,
    ip: std::net::IpAddr,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (n, _) = store
        .throttle_state(&address_key(ip), now - Duration::minutes(1), now)
        .await?;
    Ok(n >= i64::from(LOGIN_FAILURES_PER_MINUTE))
}

pub async fn address_failed(
    store: &Store,
    ip: std::net::IpAddr,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .throttle_failure(&address_key(ip), now - Duration::minutes(1), now, None)
        .await
        .map(|_| ())
}

/// The lock of a login name that is no account, as an account's would be.
pub async fn unknown_name_locked(
    store: &Store,
    login: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store
        .throttle_state(&name_key(login), now - Duration::days(1), now)
        .await?
        .1)
}

/// Counts a failure of a login name that is no account; the same count locks it as
/// [`Store::record_login_failure`] locks an account. Returns the lock's end when it locks.
pub async fn unknown_name_failed(
    store: &Store,
    login: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let lock = (LOCKOUT_FAILURES, now + Duration::minutes(LOCKOUT_MINUTES));
    store
        .throttle_failure(&name_key(login), now - Duration::days(1), now, Some(lock))
        .await
}
