//! Log analyses run from the web page, per organisation: running, then done (with the report) or failed.

use chrono::{DateTime, Utc};
use mamori_core::OrgId;
use sqlx::Row;

use crate::{OrNotFound, Result, Store, StoreError, audit, ts};

#[derive(Debug, Clone, PartialEq)]
pub struct LogAnalysis {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    /// The files' names as shown.
    pub files: Vec<String>,
    /// running / done / failed.
    pub status: String,
    /// mamori-logs' report (JSON), when done; the failure's message when failed.
    pub report: Option<String>,
    /// Accounts of retired or disabled staff found in use.
    pub retired_accounts: Vec<String>,
    pub period_first: Option<String>,
    pub period_last: Option<String>,
}

const COLUMNS: &str = "id, created_at, created_by, files, status, report, retired_accounts, period_first, \
     period_last FROM log_analyses";

/// How an analysis ended.
pub enum AnalysisEnd<'a> {
    /// With mamori-logs' report (JSON), the retired staff accounts it found in use, and the period its
    /// records cover (RFC 3339).
    Done {
        report: &'a str,
        retired_accounts: &'a [String],
        period: (Option<String>, Option<String>),
    },
    Failed {
        message: &'a str,
    },
}

/// A list kept as a JSON array of strings.
fn names_from(json: &str) -> Result<Vec<String>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn names_json(names: &[String]) -> String {
    serde_json::to_string(names).expect("strings serialise")
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<LogAnalysis> {
    Ok(LogAnalysis {
        id: r.try_get("id")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        files: names_from(&r.try_get::<String, _>("files")?)?,
        status: r.try_get("status")?,
        report: r.try_get("report")?,
        retired_accounts: names_from(&r.try_get::<String, _>("retired_accounts")?)?,
        period_first: r.try_get("period_first")?,
        period_last: r.try_get("period_last")?,
    })
}

impl Store {
    /// Records an analysis that is starting; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn start_log_analysis(
        &self,
        org_id: OrgId,
        files: &[String],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO log_analyses (org_id, created_at, created_by, files, status) \
             VALUES ($1, $2, $3, $4, 'running') RETURNING id",
        )
        .bind(org_id.get())
        .bind(ts(at))
        .bind(actor)
        .bind(names_json(files))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "log_analysis",
            &id.to_string(),
            "create",
            None,
            Some(serde_json::json!(files)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records the end of an analysis: done with its report, or failed with a message.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn finish_log_analysis(
        &self,
        org_id: OrgId,
        id: i64,
        end: AnalysisEnd<'_>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (done, report, retired, period) = match end {
            AnalysisEnd::Done {
                report,
                retired_accounts,
                period,
            } => (true, report, names_json(retired_accounts), period),
            AnalysisEnd::Failed { message } => (false, message, "[]".to_string(), (None, None)),
        };
        sqlx::query(
            "UPDATE log_analyses SET status = $1, report = $2, retired_accounts = $3, period_first = $4, \
             period_last = $5, finished_at = $6 WHERE org_id = $7 AND id = $8",
        )
        .bind(if done { "done" } else { "failed" })
        .bind(report)
        .bind(retired)
        .bind(period.0)
        .bind(period.1)
        .bind(ts(at))
        .bind(org_id.get())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The organisation's analyses, newest first, without their reports.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn log_analyses(&self, org_id: OrgId) -> Result<Vec<LogAnalysis>> {
        sqlx::query(
            "SELECT id, created_at, created_by, files, status, CAST(NULL AS TEXT) AS report, retired_accounts, period_first, \
             period_last FROM log_analyses WHERE org_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// One analysis with its report, only within the organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn log_analysis(&self, org_id: OrgId, id: i64) -> Result<LogAnalysis> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .or_not_found(|| format!("ログの分析 {id} はありません"))?;
        from_row(&r)
    }

    /// Retired or disabled staff accounts found in use by analyses finished since `since`: (analysis, account).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn retired_account_uses(
        &self,
        org_id: OrgId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, retired_accounts FROM log_analyses WHERE org_id = $1 AND status = 'done' \
             AND created_at >= $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(ts(since))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let accounts = names_from(&r.try_get::<String, _>("retired_accounts")?)?;
            out.extend(accounts.into_iter().map(|a| (id, a)));
        }
        Ok(out)
    }

    /// The newest finished analysis's id (0 when none): part of the evidence cache's key.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn latest_log_analysis(&self, org_id: OrgId) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COALESCE(MAX(id), 0) FROM log_analyses WHERE org_id = $1 AND status <> 'running'",
        )
        .bind(org_id.get())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }
}
