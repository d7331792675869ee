//! The management report's records: a daily snapshot of the answers' counts (the year as a line) and the
//! sign-offs — who of management received a report, when, and what they decided.

use super::*;

/// The answers' counts on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    pub day: NaiveDate,
    pub yes: i64,
    pub no: i64,
    pub unanswered: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signoff {
    pub id: i64,
    pub edition: String,
    /// 理事長 山田 太郎 …
    pub received_by: String,
    pub received_on: NaiveDate,
    /// The decision or comment.
    pub decision: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl Store {
    /// Keeps the day's counts for an edition (the latest of the day wins).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn record_answer_counts(
        &self,
        org_id: OrgId,
        edition: &str,
        c: DayCounts,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO answer_counts (org_id, edition, day, yes, no, unanswered) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (org_id, edition, day) DO UPDATE SET yes = excluded.yes, no = excluded.no, \
             unanswered = excluded.unanswered",
        )
        .bind(org_id.get())
        .bind(edition)
        .bind(c.day.to_string())
        .bind(c.yes)
        .bind(c.no)
        .bind(c.unanswered)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The daily counts of an edition, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn answer_counts(&self, org_id: OrgId, edition: &str) -> Result<Vec<DayCounts>> {
        sqlx::query(
            "SELECT day, yes, no, unanswered FROM answer_counts WHERE org_id = $1 AND edition = $2 ORDER BY day",
        )
        .bind(org_id.get())
        .bind(edition)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DayCounts {
                day: parse_day(&r.try_get::<String, _>("day")?)?,
                yes: r.try_get("yes")?,
                no: r.try_get("no")?,
                unanswered: r.try_get("unanswered")?,
            })
        })
        .collect()
    }

    /// Records that management received the report; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_signoff(
        &self,
        org_id: OrgId,
        edition: &str,
        (received_by, received_on, decision): (&str, NaiveDate, &str),
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO report_signoffs (org_id, edition, received_by, received_on, decision, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id.get())
        .bind(edition)
        .bind(received_by)
        .bind(received_on.to_string())
        .bind(decision)
        .bind(actor)
        .bind(ts(at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "report_signoff",
            &id.to_string(),
            "create",
            None,
            Some(serde_json::json!({
                "edition": edition, "received_by": received_by,
                "received_on": received_on.to_string(), "decision": decision,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The sign-offs of an edition, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn signoffs(&self, org_id: OrgId, edition: &str) -> Result<Vec<Signoff>> {
        sqlx::query(
            "SELECT id, edition, received_by, received_on, decision, recorded_by, recorded_at FROM report_signoffs \
             WHERE org_id = $1 AND edition = $2 ORDER BY received_on, id",
        )
        .bind(org_id.get())
        .bind(edition)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Signoff {
                id: r.try_get("id")?,
                edition: r.try_get("edition")?,
                received_by: r.try_get("received_by")?,
                received_on: parse_day(&r.try_get::<String, _>("received_on")?)?,
                decision: r.try_get("decision")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
    }
}

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("{s}: {e}")))
}
