//! Scheduled work run by one instance at a time: several `mamori serve` processes on one PostgreSQL
//! database each run the schedule, and a PostgreSQL advisory lock lets exactly one of them do each run.

use super::*;

/// Runs and failures of scheduled jobs in this process, for `/metrics`.
#[derive(Debug, Default)]
pub struct JobCounters {
    pub runs: std::sync::atomic::AtomicU64,
    pub failures: std::sync::atomic::AtomicU64,
    /// Runs left to another instance that held the lock.
    pub skipped: std::sync::atomic::AtomicU64,
}

pub static JOBS: JobCounters = JobCounters {
    runs: std::sync::atomic::AtomicU64::new(0),
    failures: std::sync::atomic::AtomicU64::new(0),
    skipped: std::sync::atomic::AtomicU64::new(0),
};

impl Store {
    /// Runs `work` unless another instance is running the job named `job` right now (then `None`).
    /// On PostgreSQL a session advisory lock, held on one connection for the run, decides; a SQLite file
    /// has one server process, which runs it.
    pub async fn run_exclusive<T, F>(&self, job: &str, work: F) -> Result<Option<T>>
    where
        F: std::future::Future<Output = T>,
    {
        if self.backend == Backend::Sqlite {
            return Ok(Some(work.await));
        }
        let mut conn = self.pool.acquire().await?;
        let got: i64 = sqlx::query(
            "SELECT (CASE WHEN pg_try_advisory_lock(hashtext($1)) THEN 1 ELSE 0 END)::BIGINT",
        )
        .bind(format!("mamori:{job}"))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        if got == 0 {
            JOBS.skipped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(None);
        }
        let out = work.await;
        sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
            .bind(format!("mamori:{job}"))
            .execute(&mut *conn)
            .await?;
        Ok(Some(out))
    }
}
