//! Failed sign-ins counted under a key (a client address, a login name that is no account), in the
//! database so that every app instance sees the same counts and locks.

use super::*;

impl Store {
    /// Failures under `key` since `window_start` (older ones no longer count), and the lock's end if
    /// the key is locked.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn throttle_state(
        &self,
        key: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        let Some(r) = sqlx::query(
            "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok((0, None));
        };
        let window_start: String = r.try_get("window_start")?;
        let failures = if window_start > ts(since) {
            r.try_get("failures")?
        } else {
            0
        };
        let locked: String = r.try_get("locked_until")?;
        let locked = crate::auth::lock_end(&locked, now);
        Ok((failures, locked))
    }

    /// Counts a failure under `key` (a new window starts when the last began before `since`). With
    /// `lock` = (failures, until), the failure that reaches that count locks the key until then and
    /// starts the count again; returns the lock's end when it locks. One statement: instances racing on
    /// the same key each count.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn throttle_failure(
        &self,
        key: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        lock: Option<(i64, DateTime<Utc>)>,
    ) -> Result<Option<DateTime<Utc>>> {
        let mut tx = self.write_tx().await?;
        let n: i64 = sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(ts(now))
        .bind(ts(since))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut locked = None;
        if let Some((after, until)) = lock
            && n >= after
        {
            sqlx::query("UPDATE login_throttle SET failures = 0, locked_until = $1 WHERE key = $2")
                .bind(ts(until))
                .bind(key)
                .execute(&mut *tx)
                .await?;
            locked = Some(until);
        }
        // Keys quiet for a day are forgotten.
        sqlx::query(
            "DELETE FROM login_throttle WHERE window_start < $1 AND locked_until < $2 AND key <> $3",
        )
        .bind(ts(now - chrono::Duration::days(1)))
        .bind(ts(now))
        .bind(key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(locked)
    }
}
