//! Answers to the forms, saved all-or-nothing with the evidence shown at the save, and their history.

use mamori_core::AnswerKey;

use super::*;

pub(crate) async fn load_answers<'e, E>(
    exec: E,
    org_id: OrgId,
    edition: &str,
    variant: Variant,
) -> Result<Vec<Answer>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT item, target, round, answer, checked_on, target_date, note FROM answers \
         WHERE org_id = $1 AND edition = $2 AND variant = $3 ORDER BY item, target, round",
    )
    .bind(org_id.get())
    .bind(edition)
    .bind(variant.id())
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            let bad = |what: &str, v: &str| StoreError::Corrupt(format!("{what} {v}"));
            let target: String = r.try_get("target")?;
            let answer: String = r.try_get("answer")?;
            let checked: String = r.try_get("checked_on")?;
            let target_date: Option<String> = r.try_get("target_date")?;
            let date =
                |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad("日付", s));
            Ok(Answer {
                item: r.try_get::<String, _>("item")?.into(),
                target: target.parse::<Target>().map_err(|_| bad("対象", &target))?,
                round: u8::try_from(r.try_get::<i64, _>("round")?).map_err(|_| bad("回数", "?"))?,
                answer: Choice::parse(&answer).ok_or_else(|| bad("回答", &answer))?,
                checked_on: date(&checked)?,
                target_date: target_date.as_deref().map(date).transpose()?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// What the ledgers said when each answer of a form was saved (answers without it left out).
pub(crate) async fn load_evidence<'e, E>(
    exec: E,
    org_id: OrgId,
    edition: &str,
    variant: Variant,
) -> Result<std::collections::BTreeMap<AnswerKey, serde_json::Value>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT item, target, round, evidence FROM answers \
         WHERE org_id = $1 AND edition = $2 AND variant = $3 AND evidence IS NOT NULL",
    )
    .bind(org_id.get())
    .bind(edition)
    .bind(variant.id())
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            let item: String = r.try_get("item")?;
            let target: String = r.try_get("target")?;
            let round: i64 = r.try_get("round")?;
            let text: String = r.try_get("evidence")?;
            let v = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("回答の{what}"));
            let key = AnswerKey::new(
                item,
                target.parse::<Target>().map_err(|_| corrupt("対象"))?,
                u8::try_from(round).map_err(|_| corrupt("回数"))?,
            );
            Ok((key, v))
        })
        .collect()
}

impl Store {
    /// What the ledgers said when each answer of a form was saved: "item/target/round" → suggestion JSON.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn answer_evidence(
        &self,
        org_id: OrgId,
        edition: &str,
        variant: Variant,
    ) -> Result<std::collections::BTreeMap<AnswerKey, serde_json::Value>> {
        load_evidence(&self.pool, org_id, edition, variant).await
    }

    /// The stored answers of one form of one organisation.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn answers(
        &self,
        org_id: OrgId,
        edition: &str,
        variant: Variant,
    ) -> Result<Vec<Answer>> {
        load_answers(&self.pool, org_id, edition, variant).await
    }

    /// Reads the stored answers, lets `check` turn the request into answers (or refuse it), and writes
    /// them with their audit records, all in one transaction: a refused request changes nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_answers<E>(
        &self,
        org_id: OrgId,
        edition: &str,
        variant: Variant,
        actor: &Actor,
        at: DateTime<Utc>,
        check: impl FnOnce(&AnswerSet) -> std::result::Result<Vec<Answer>, E>,
    ) -> Result<std::result::Result<Vec<Answer>, E>> {
        self.save_answers_with_evidence(
            org_id,
            edition,
            variant,
            actor,
            at,
            &std::collections::HashMap::new(),
            check,
        )
        .await
    }

    /// [`Store::save_answers`], keeping with each saved answer what the ledgers said about its item then
    /// (`evidence`: item id → the suggestion as JSON), in the row and in its audit record.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_answers_with_evidence<E>(
        &self,
        org_id: OrgId,
        edition: &str,
        variant: Variant,
        actor: &Actor,
        at: DateTime<Utc>,
        evidence: &std::collections::HashMap<mamori_core::ItemId, serde_json::Value>,
        check: impl FnOnce(&AnswerSet) -> std::result::Result<Vec<Answer>, E>,
    ) -> Result<std::result::Result<Vec<Answer>, E>> {
        let mut tx = self.write_tx().await?;
        let stored = AnswerSet::new(load_answers(&mut *tx, org_id, edition, variant).await?);
        let answers = match check(&stored) {
            Ok(a) => a,
            Err(e) => {
                tx.rollback().await?;
                return Ok(Err(e));
            }
        };
        for a in &answers {
            let before = stored.get(&a.item, a.target, a.round);
            if before == Some(a) {
                continue;
            }
            sqlx::query(
                "INSERT INTO answers (org_id, edition, variant, item, target, round, answer, checked_on, target_date, note, updated_by, updated_at, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (org_id, edition, variant, item, target, round) DO UPDATE SET \
                 answer = excluded.answer, checked_on = excluded.checked_on, target_date = excluded.target_date, \
                 note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at, \
                 evidence = excluded.evidence",
            )
            .bind(org_id.get())
            .bind(edition)
            .bind(variant.id())
            .bind(a.item.as_str())
            .bind(a.target.id())
            .bind(i64::from(a.round))
            .bind(a.answer.id())
            .bind(a.checked_on.to_string())
            .bind(a.target_date.map(|d| d.to_string()))
            .bind(&a.note)
            .bind(actor.user_id)
            .bind(ts(at))
            .bind(evidence.get(a.item.as_str()).map(|v| v.to_string()))
            .execute(&mut *tx)
            .await?;
            let key = a.key().to_string();
            let before = before.map(|b| serde_json::to_value(b).expect("answer serialises"));
            let action = if before.is_some() { "update" } else { "create" };
            let mut after = serde_json::to_value(a).expect("answer serialises");
            if let Some(e) = evidence.get(a.item.as_str()) {
                after["evidence"] = e.clone();
            }
            audit(
                &mut tx,
                org_id,
                &actor.name,
                at,
                "answer",
                &key,
                action,
                before,
                Some(after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(answers))
    }

    /// The audit trail of an organisation, newest first; `entity_key_prefix` narrows it (e.g. to one item).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn history(
        &self,
        org_id: OrgId,
        entity: Option<&str>,
        entity_key_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let filter = AuditFilter {
            entity: entity.unwrap_or("").to_string(),
            key_prefix: entity_key_prefix.unwrap_or("").to_string(),
            ..AuditFilter::default()
        };
        self.audit_trail(org_id, &filter, limit).await
    }
}
