//! The cyber BCP's records: the BCP 確認表's answers, the facility's own texts of its BCP (想定する事象,
//! 代替手順 …), and incidents — opened by an administrator, with a timeline of actions and contacts,
//! evidence files kept with their SHA-256, the affected devices and the facts for the report, closed with
//! a summary. Every change is in the audit trail.

use std::collections::BTreeMap;

use sha2::Digest;

use super::*;

/// One answer of the BCP 確認表.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BcpAnswer {
    pub item: String,
    pub answer: Choice,
    pub checked_on: NaiveDate,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub opened_by: String,
    pub opened_at: String,
    /// The facts for the report to MHLW / the police (JSON object: field → text).
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The affected devices: 機器台帳 row ids.
    pub devices: Vec<i64>,
    pub closed_at: Option<String>,
    pub summary: Option<String>,
}

/// One line of an incident's timeline: an action, a contact made, or an evidence file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// action / contact / evidence / note
    pub kind: String,
    pub body: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
}

/// An evidence file as uploaded.
pub struct EvidenceFile<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

const INCIDENT_COLUMNS: &str =
    "id, title, opened_by, opened_at, facts, devices, closed_at, summary FROM incidents";

fn incident_row(r: &AnyRow) -> Result<Incident> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("インシデント: {e}"));
    Ok(Incident {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        opened_by: r.try_get("opened_by")?,
        opened_at: r.try_get("opened_at")?,
        facts: serde_json::from_str(&r.try_get::<String, _>("facts")?).map_err(corrupt)?,
        devices: serde_json::from_str(&r.try_get::<String, _>("devices")?).map_err(corrupt)?,
        closed_at: r.try_get("closed_at")?,
        summary: r.try_get("summary")?,
    })
}

impl Store {
    /// The answers of one BCP 確認表.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn bcp_answers(&self, org_id: OrgId, catalog: &str) -> Result<Vec<BcpAnswer>> {
        sqlx::query(
            "SELECT item, answer, checked_on, note FROM bcp_answers WHERE org_id = $1 AND catalog = $2 ORDER BY item",
        )
        .bind(org_id.get())
        .bind(catalog)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let answer: String = r.try_get("answer")?;
            Ok(BcpAnswer {
                item: r.try_get("item")?,
                answer: Choice::parse(&answer)
                    .ok_or_else(|| StoreError::Corrupt(format!("回答 {answer}")))?,
                checked_on: report::parse_day(&r.try_get::<String, _>("checked_on")?)?,
                note: r.try_get("note")?,
            })
        })
        .collect()
    }

    /// Saves answers of the BCP 確認表 (each replacing the item's earlier one), all or nothing; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_bcp_answers(
        &self,
        org_id: OrgId,
        catalog: &str,
        answers: &[BcpAnswer],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for a in answers {
            sqlx::query(
                "INSERT INTO bcp_answers (org_id, catalog, item, answer, checked_on, note, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, catalog, item) DO UPDATE SET \
                 answer = excluded.answer, checked_on = excluded.checked_on, note = excluded.note, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(org_id.get())
            .bind(catalog)
            .bind(&a.item)
            .bind(a.answer.id())
            .bind(a.checked_on.to_string())
            .bind(&a.note)
            .bind(actor)
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                org_id,
                actor,
                at,
                "bcp_answer",
                &format!("{catalog}/{}", a.item),
                "save",
                None,
                Some(serde_json::json!({
                    "answer": a.answer.id(), "checked_on": a.checked_on.to_string(), "note": a.note,
                })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The facility's own texts of its BCP, by section.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn bcp_texts(&self, org_id: OrgId) -> Result<BTreeMap<String, String>> {
        sqlx::query("SELECT section, body FROM bcp_texts WHERE org_id = $1")
            .bind(org_id.get())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("section")?, r.try_get("body")?)))
            .collect()
    }

    /// Saves the facility's texts of its BCP (section → text); audited with the text before.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn save_bcp_texts(
        &self,
        org_id: OrgId,
        texts: &[(String, String)],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (section, body) in texts {
            let before: Option<String> =
                sqlx::query("SELECT body FROM bcp_texts WHERE org_id = $1 AND section = $2")
                    .bind(org_id.get())
                    .bind(section)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            if before.as_deref() == Some(body.as_str()) {
                continue;
            }
            sqlx::query(
                "INSERT INTO bcp_texts (org_id, section, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id, section) DO UPDATE SET body = excluded.body, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(org_id.get())
            .bind(section)
            .bind(body)
            .bind(actor)
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                org_id,
                actor,
                at,
                "bcp_text",
                section,
                "save",
                before.map(|b| serde_json::json!({ "body": b })),
                Some(serde_json::json!({ "body": body })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens an incident; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn open_incident(
        &self,
        org_id: OrgId,
        title: &str,
        devices: &[i64],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let devices = serde_json::to_string(devices).expect("ids serialise");
        let id: i64 = sqlx::query(
            "INSERT INTO incidents (org_id, title, opened_by, opened_at, facts, devices) \
             VALUES ($1, $2, $3, $4, '{}', $5) RETURNING id",
        )
        .bind(org_id.get())
        .bind(title)
        .bind(actor)
        .bind(ts(at))
        .bind(&devices)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "incident",
            &id.to_string(),
            "open",
            None,
            Some(serde_json::json!({ "title": title, "devices": devices })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The organisation's incidents, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn incidents(&self, org_id: OrgId) -> Result<Vec<Incident>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} WHERE org_id = $1 ORDER BY id DESC"
        )))
        .bind(org_id.get())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(incident_row)
        .collect()
    }

    /// One incident of the organisation ([`StoreError::NotFound`] for another's).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn incident(&self, org_id: OrgId, id: i64) -> Result<Incident> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("インシデントが見つかりません".into()))?;
        incident_row(&r)
    }

    async fn open_incident_in(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        org_id: OrgId,
        id: i64,
    ) -> Result<Incident> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound("インシデントが見つかりません".into()))?;
        let incident = incident_row(&r)?;
        if incident.closed_at.is_some() {
            return Err(StoreError::Conflict(
                "このインシデントは終了しています（記録の追加・変更はできません）".into(),
            ));
        }
        Ok(incident)
    }

    /// Adds a line to an open incident's timeline, with an evidence file when given (its SHA-256 taken
    /// here, at upload); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn add_incident_entry(
        &self,
        org_id: OrgId,
        incident: i64,
        (kind, body): (&str, &str),
        file: Option<&EvidenceFile<'_>>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        Self::open_incident_in(&mut tx, org_id, incident).await?;
        let sha = file.map(|f| hex::encode(sha2::Sha256::digest(f.bytes)));
        let id: i64 = sqlx::query(
            "INSERT INTO incident_entries (org_id, incident_id, at, actor, kind, body, file_name, content_type, sha256, size, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(org_id.get())
        .bind(incident)
        .bind(ts(at))
        .bind(actor)
        .bind(kind)
        .bind(body)
        .bind(file.map(|f| f.name.to_string()))
        .bind(file.map(|f| f.content_type.to_string()))
        .bind(sha.clone())
        .bind(file.map(|f| f.bytes.len() as i64))
        .bind(file.map(|f| data_encoding::BASE64.encode(f.bytes)))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "incident",
            &incident.to_string(),
            "entry",
            None,
            Some(serde_json::json!({
                "entry": id, "kind": kind, "body": body,
                "file": file.map(|f| f.name), "sha256": sha, "size": file.map(|f| f.bytes.len()),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An incident's timeline, oldest first (files' contents left out).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn incident_entries(
        &self,
        org_id: OrgId,
        incident: i64,
    ) -> Result<Vec<IncidentEntry>> {
        sqlx::query(
            "SELECT id, at, actor, kind, body, file_name, content_type, sha256, size \
             FROM incident_entries WHERE org_id = $1 AND incident_id = $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(incident)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(IncidentEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                file_name: r.try_get("file_name")?,
                content_type: r.try_get("content_type")?,
                sha256: r.try_get("sha256")?,
                size: r.try_get("size")?,
            })
        })
        .collect()
    }

    /// An evidence file of an incident of the organisation, with its bytes.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn incident_file(
        &self,
        org_id: OrgId,
        incident: i64,
        entry: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let r = sqlx::query(
            "SELECT file_name, content_type, content FROM incident_entries \
             WHERE org_id = $1 AND incident_id = $2 AND id = $3 AND content IS NOT NULL",
        )
        .bind(org_id.get())
        .bind(incident)
        .bind(entry)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("証拠ファイルが見つかりません".into()))?;
        let content: String = r.try_get("content")?;
        let bytes = data_encoding::BASE64
            .decode(content.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("証拠ファイル: {e}")))?;
        Ok((r.try_get("file_name")?, r.try_get("content_type")?, bytes))
    }

    /// Records the facts for the report and the affected devices of an open incident; audited with
    /// what they were before.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn update_incident(
        &self,
        org_id: OrgId,
        id: i64,
        facts: &serde_json::Map<String, serde_json::Value>,
        devices: &[i64],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = Self::open_incident_in(&mut tx, org_id, id).await?;
        let facts_text = serde_json::Value::Object(facts.clone()).to_string();
        sqlx::query("UPDATE incidents SET facts = $1, devices = $2 WHERE org_id = $3 AND id = $4")
            .bind(&facts_text)
            .bind(serde_json::to_string(devices).expect("ids serialise"))
            .bind(org_id.get())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "incident",
            &id.to_string(),
            "update",
            Some(serde_json::json!({ "facts": before.facts, "devices": before.devices })),
            Some(serde_json::json!({ "facts": facts, "devices": devices })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes an open incident with its summary; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()))]
    pub async fn close_incident(
        &self,
        org_id: OrgId,
        id: i64,
        summary: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        Self::open_incident_in(&mut tx, org_id, id).await?;
        sqlx::query(
            "UPDATE incidents SET closed_at = $1, summary = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(ts(at))
        .bind(summary)
        .bind(org_id.get())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            org_id,
            actor,
            at,
            "incident",
            &id.to_string(),
            "close",
            None,
            Some(serde_json::json!({ "summary": summary })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
