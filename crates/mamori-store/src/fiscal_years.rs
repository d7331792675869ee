//! The yearly cycle: the edition each fiscal year is answered in (chosen when the organisation starts the
//! year) and whose answers it carries as proposals; and last year's answers kept as they were when a new
//! year reuses the same edition (the live answers of that edition then start empty).

use std::collections::BTreeMap;

use mamori_core::AnswerKey;
use serde::Deserialize;

use super::report::parse_day;
use super::*;

/// Whose answers a fiscal year offers as proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrySource {
    pub edition: String,
    pub variant: Variant,
    /// Set when they are the answers kept for that year ([`Store::archived_answers`]); else the live
    /// answers of that edition.
    #[serde(default)]
    pub archived_year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiscalYearRecord {
    /// The start year (2026 = 令和8年度).
    pub fiscal_year: i32,
    pub edition: String,
    pub carried_from: Option<CarrySource>,
    pub started_by: String,
    pub started_at: String,
}

/// Answers kept for a year, with what the ledgers said at each save.
pub type KeptAnswers = (Vec<Answer>, BTreeMap<AnswerKey, serde_json::Value>);

/// Answers kept for a year: which form, how many.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchivedForm {
    pub fiscal_year: i32,
    pub edition: String,
    pub variant: Variant,
    pub answers: usize,
    pub archived_at: String,
}

/// How many answers an organisation has of a form, and the latest 確認日 among them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnsweredForm {
    pub edition: String,
    pub variant: Variant,
    pub answers: usize,
    pub last_checked_on: Option<NaiveDate>,
}

/// Starting a fiscal year.
#[derive(Debug, Clone)]
pub struct YearStart {
    pub fiscal_year: i32,
    pub edition: String,
    pub carried_from: Option<CarrySource>,
    /// Keep the live answers of this edition (every form of it) as the answers of this year, and clear
    /// them: the new year reuses the edition.
    pub archive_as: Option<i32>,
}

fn variant_of(s: &str) -> Result<Variant> {
    s.parse::<Variant>()
        .map_err(|_| StoreError::Corrupt(format!("様式 {s}")))
}

impl Store {
    /// The organisation's started years, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn fiscal_years(&self, org_id: OrgId) -> Result<Vec<FiscalYearRecord>> {
        sqlx::query(
            "SELECT fiscal_year, edition, carried_from, started_by, started_at FROM fiscal_years \
             WHERE org_id = $1 ORDER BY fiscal_year",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let carried: Option<String> = r.try_get("carried_from")?;
            Ok(FiscalYearRecord {
                fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?)
                    .map_err(|_| StoreError::Corrupt("年度".into()))?,
                edition: r.try_get("edition")?,
                carried_from: carried
                    .map(|c| serde_json::from_str(&c))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("引き継ぎ元: {e}")))?,
                started_by: r.try_get("started_by")?,
                started_at: r.try_get("started_at")?,
            })
        })
        .collect()
    }

    /// Starts (or starts again) a fiscal year with an edition, in one transaction: keeps the reused
    /// edition's answers for the year before when asked (refused if that year already has them), then
    /// records the year; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn start_fiscal_year(
        &self,
        org_id: OrgId,
        start: &YearStart,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let mut archived = Vec::new();
        if let Some(year) = start.archive_as {
            let variants: Vec<String> = sqlx::query(
                "SELECT DISTINCT variant FROM answers WHERE org_id = $1 AND edition = $2 ORDER BY variant",
            )
            .bind(org_id.get())
            .bind(&start.edition)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
            for v in variants {
                let variant = variant_of(&v)?;
                let answers =
                    answers::load_answers(&mut *tx, org_id, &start.edition, variant).await?;
                // Kept as "item/target/round" → suggestion (JSON object keys are text).
                let evidence: BTreeMap<String, serde_json::Value> =
                    answers::load_evidence(&mut *tx, org_id, &start.edition, variant)
                        .await?
                        .into_iter()
                        .map(|(k, v)| (format!("{}/{}/{}", k.item, k.target.id(), k.round), v))
                        .collect();
                let done = sqlx::query(
                    "INSERT INTO archived_answers (org_id, fiscal_year, edition, variant, answers, evidence, archived_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(org_id.get())
                .bind(i64::from(year))
                .bind(&start.edition)
                .bind(variant.id())
                .bind(serde_json::to_string(&answers).expect("answers serialise"))
                .bind(serde_json::to_string(&evidence).expect("evidence serialises"))
                .bind(ts(at))
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "{year}年度の{}の回答はすでに保管されています",
                        start.edition
                    )));
                }
                archived
                    .push(serde_json::json!({"variant": variant.id(), "answers": answers.len()}));
            }
            sqlx::query("DELETE FROM answers WHERE org_id = $1 AND edition = $2")
                .bind(org_id.get())
                .bind(&start.edition)
                .execute(&mut *tx)
                .await?;
        }
        let before = sqlx::query(
            "SELECT edition, carried_from FROM fiscal_years WHERE org_id = $1 AND fiscal_year = $2",
        )
        .bind(org_id.get())
        .bind(i64::from(start.fiscal_year))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| -> Result<serde_json::Value> {
            Ok(serde_json::json!({
                "edition": r.try_get::<String, _>("edition")?,
                "carried_from": r.try_get::<Option<String>, _>("carried_from")?,
            }))
        })
        .transpose()?;
        // A new row (not an update) each time: its id tells the catalog cache the choice changed.
        sqlx::query("DELETE FROM fiscal_years WHERE org_id = $1 AND fiscal_year = $2")
            .bind(org_id.get())
            .bind(i64::from(start.fiscal_year))
            .execute(&mut *tx)
            .await?;
        let carried = start
            .carried_from
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("source serialises"));
        sqlx::query(
            "INSERT INTO fiscal_years (org_id, fiscal_year, edition, carried_from, started_by, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org_id.get())
        .bind(i64::from(start.fiscal_year))
        .bind(&start.edition)
        .bind(carried.clone())
        .bind(actor)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "fiscal_year",
            &start.fiscal_year.to_string(),
            if before.is_some() { "restart" } else { "start" },
            before,
            Some(serde_json::json!({
                "edition": start.edition,
                "carried_from": carried,
                "archived_as": start.archive_as,
                "archived": archived,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The answers kept for a year of one form, with what the ledgers said at each save.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn archived_answers(
        &self,
        org_id: OrgId,
        fiscal_year: i32,
        edition: &str,
        variant: Variant,
    ) -> Result<Option<KeptAnswers>> {
        let Some(r) = sqlx::query(
            "SELECT answers, evidence FROM archived_answers \
             WHERE org_id = $1 AND fiscal_year = $2 AND edition = $3 AND variant = $4",
        )
        .bind(org_id.get())
        .bind(i64::from(fiscal_year))
        .bind(edition)
        .bind(variant.id())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let corrupt = |e: String| StoreError::Corrupt(format!("保管した回答: {e}"));
        let answers: Vec<Answer> = serde_json::from_str(&r.try_get::<String, _>("answers")?)
            .map_err(|e| corrupt(e.to_string()))?;
        let raw: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&r.try_get::<String, _>("evidence")?)
                .map_err(|e| corrupt(e.to_string()))?;
        let mut evidence = BTreeMap::new();
        for (k, v) in raw {
            let mut parts = k.rsplitn(3, '/');
            let (round, target, item) = (parts.next(), parts.next(), parts.next());
            let (Some(round), Some(target), Some(item)) = (round, target, item) else {
                return Err(corrupt(k));
            };
            let key = AnswerKey::new(
                item.to_string(),
                target.parse::<Target>().map_err(|_| corrupt(k.clone()))?,
                round.parse::<u8>().map_err(|_| corrupt(k.clone()))?,
            );
            evidence.insert(key, v);
        }
        Ok(Some((answers, evidence)))
    }

    /// The forms whose answers were kept, newest year first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn archived_forms(&self, org_id: OrgId) -> Result<Vec<ArchivedForm>> {
        sqlx::query(
            "SELECT fiscal_year, edition, variant, answers, archived_at FROM archived_answers \
             WHERE org_id = $1 ORDER BY fiscal_year DESC, edition, variant",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let answers: Vec<serde_json::Value> =
                serde_json::from_str(&r.try_get::<String, _>("answers")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(ArchivedForm {
                fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?)
                    .map_err(|_| StoreError::Corrupt("年度".into()))?,
                edition: r.try_get("edition")?,
                variant: variant_of(&r.try_get::<String, _>("variant")?)?,
                answers: answers.len(),
                archived_at: r.try_get("archived_at")?,
            })
        })
        .collect()
    }

    /// The forms the organisation has live answers in, with their number and latest 確認日.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn answered_forms(&self, org_id: OrgId) -> Result<Vec<AnsweredForm>> {
        sqlx::query(
            "SELECT edition, variant, COUNT(*) AS n, MAX(checked_on) AS last FROM answers \
             WHERE org_id = $1 GROUP BY edition, variant ORDER BY edition, variant",
        )
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let last: Option<String> = r.try_get("last")?;
            Ok(AnsweredForm {
                edition: r.try_get("edition")?,
                variant: variant_of(&r.try_get::<String, _>("variant")?)?,
                answers: usize::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                last_checked_on: last.as_deref().map(parse_day).transpose()?,
            })
        })
        .collect()
    }
}
