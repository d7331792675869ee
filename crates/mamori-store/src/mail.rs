//! E-mail digests: each person's address, the hour they receive it (Japan time) and the reminder kinds they
//! stopped; and the record of digests sent, taken before a mail goes so that it goes once.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailSettings {
    pub email: String,
    /// 0–23, Japan time.
    pub hour: i64,
    /// Reminder kinds (their ids) the person does not want mailed.
    pub off_kinds: Vec<String>,
}

/// A person to mail at an hour, with the organisations whose reminders they may read.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRecipient {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub settings: MailSettings,
    /// (organisation, its name): active hospitals, clinics and pharmacies where the person is no vendor.
    pub orgs: Vec<(OrgId, String)>,
    /// For the mail's "stop this kind" links (empty for settings saved before they existed).
    pub stop_token: String,
}

impl Store {
    /// The person's mail settings, if they gave an address.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn mail_settings(&self, user_id: i64) -> Result<Option<MailSettings>> {
        sqlx::query("SELECT email, hour, off_kinds FROM mail_settings WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                Ok(MailSettings {
                    email: r.try_get("email")?,
                    hour: r.try_get("hour")?,
                    off_kinds: r
                        .try_get::<String, _>("off_kinds")?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .transpose()
    }

    /// Sets (or, with None, removes) the person's mail settings; audited in their organisation.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_mail_settings(
        &self,
        user: &User,
        settings: Option<&MailSettings>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // The stop links of mails already sent keep working while the person keeps an address.
        let token: Option<String> =
            sqlx::query("SELECT stop_token FROM mail_settings WHERE user_id = $1")
                .bind(user.id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .flatten();
        let token = token.unwrap_or_else(|| hex::encode(rand::random::<[u8; 16]>()));
        sqlx::query("DELETE FROM mail_settings WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        if let Some(s) = settings {
            sqlx::query(
                "INSERT INTO mail_settings (user_id, email, hour, off_kinds, updated_at, stop_token) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(user.id)
            .bind(&s.email)
            .bind(s.hour)
            .bind(s.off_kinds.join(","))
            .bind(ts(at))
            .bind(&token)
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            user.org_id,
            &user.login,
            at,
            "mail_settings",
            &user.id.to_string(),
            "update",
            None,
            settings.map(|s| {
                serde_json::json!({"hour": s.hour, "off_kinds": s.off_kinds, "has_email": !s.email.is_empty()})
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Everyone to mail at `hour`: enabled people with an address, with the active facilities where they
    /// hold a role other than 事業者.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn digest_recipients(&self, hour: i64) -> Result<Vec<DigestRecipient>> {
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.display_name, s.email, s.hour, s.off_kinds, s.stop_token, o.id AS org_id, o.name AS org_name \
             FROM mail_settings s JOIN users u ON u.id = s.user_id \
             JOIN memberships m ON m.user_id = u.id JOIN orgs o ON o.id = m.org_id \
             WHERE s.hour = $1 AND u.disabled = 0 AND o.status = 'active' AND m.role <> 'vendor' \
             AND o.kind IN ('hospital', 'clinic', 'pharmacy') ORDER BY u.id, o.id",
        )
        .bind(hour)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<DigestRecipient> = Vec::new();
        for r in &rows {
            let user_id: i64 = r.try_get("id")?;
            let org = (OrgId::new(r.try_get("org_id")?), r.try_get("org_name")?);
            match out.last_mut() {
                Some(last) if last.user_id == user_id => last.orgs.push(org),
                _ => out.push(DigestRecipient {
                    user_id,
                    login: r.try_get("login")?,
                    display_name: r.try_get("display_name")?,
                    settings: MailSettings {
                        email: r.try_get("email")?,
                        hour: r.try_get("hour")?,
                        off_kinds: r
                            .try_get::<String, _>("off_kinds")?
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    },
                    stop_token: r
                        .try_get::<Option<String>, _>("stop_token")?
                        .unwrap_or_default(),
                    orgs: vec![org],
                }),
            }
        }
        Ok(out)
    }

    /// Stops one kind of mail for the person whose stop token this is (the mail's link); audited in their
    /// organisation. Returns their display name, or None for a token nobody has.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn stop_mail_kind(
        &self,
        token: &str,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<String>> {
        if token.len() != 32 {
            return Ok(None);
        }
        let mut tx = self.write_tx().await?;
        let Some(r) = sqlx::query(
            "SELECT u.id, u.login, u.display_name, u.org_id, s.off_kinds FROM mail_settings s \
             JOIN users u ON u.id = s.user_id WHERE s.stop_token = $1",
        )
        .bind(token)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let user_id: i64 = r.try_get("id")?;
        let login: String = r.try_get("login")?;
        let off: String = r.try_get("off_kinds")?;
        let mut kinds: Vec<&str> = off.split(',').filter(|k| !k.is_empty()).collect();
        if !kinds.contains(&kind) {
            kinds.push(kind);
            sqlx::query(
                "UPDATE mail_settings SET off_kinds = $1, updated_at = $2 WHERE user_id = $3",
            )
            .bind(kinds.join(","))
            .bind(ts(at))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                OrgId::new(r.try_get("org_id")?),
                &login,
                at,
                "mail_settings",
                &user_id.to_string(),
                "stop",
                None,
                Some(serde_json::json!({ "off_kinds": kinds, "by": "mail link" })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(r.try_get("display_name")?))
    }

    /// Takes the day's digest for a person and organisation: true if it was not taken yet (the caller
    /// sends it), false if it was.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn take_digest(
        &self,
        user_id: i64,
        org_id: OrgId,
        day: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO mail_digests (user_id, org_id, day, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, org_id, day) DO NOTHING",
        )
        .bind(user_id)
        .bind(org_id.get())
        .bind(day.to_string())
        .bind(ts(at))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
