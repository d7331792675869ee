//! Reminders by e-mail: a digest per person, organisation and day at the hour they chose (Japan time),
//! through the configured SMTP relay (STARTTLS, TLS or none; optional authentication), in Japanese
//! (UTF-8, the subject MIME-encoded, the body base64). A 目標日 is mailed 30 and 7 days before; every other
//! reminder while it stands; kinds a person stopped are left out. One instance sends (`run_exclusive`),
//! and each digest is taken in the database before it goes.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use mamori_core::dates::wareki;

use crate::App;
use crate::reminders::{Reminder, ReminderKind, TARGET_WARNINGS};

/// How the relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
    /// Plain SMTP: only for a relay on the same machine or a test's sink.
    None,
}

/// The SMTP relay (`serve --smtp-host …`).
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, String)>,
    pub from: String,
    /// Mamori's address as people open it (links in the mail).
    pub base_url: String,
}

impl std::fmt::Debug for SmtpConfig {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("メールの宛先・差出人が正しくありません: {0}")]
    Address(String),
    #[error("メールを作成できません: {0}")]
    Build(String),
    #[error("メールを送信できません（SMTP）: {0}")]
    Send(String),
}

/// The reminders a day's digest carries: a 目標日 on the warning days only, the rest while they stand,
/// without the kinds the person stopped.
pub fn digest_items(all: &[Reminder], off_kinds: &[String]) -> Vec<Reminder> {
    all.iter()
        .filter(|r| !off_kinds.iter().any(|k| k == r.kind.id()))
        .filter(|r| {
            r.kind != ReminderKind::TargetSoon
                || r.days_left.is_some_and(|d| TARGET_WARNINGS.contains(&d))
        })
        .cloned()
        .collect()
}

/// The digest as a mail; with the person's stop token, each kind it carries has a link that stops it
/// (the link opens a page asking to confirm: mail scanners that follow links stop nothing).
pub fn compose(
    smtp: &SmtpConfig,
    (to_name, to_email): (&str, &str),
    org_name: &str,
    today: chrono::NaiveDate,
    items: &[Reminder],
    stop_token: &str,
) -> Result<Message, MailError> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| MailError::Address(format!("{}（{e}）", smtp.from)))?;
    let to = Mailbox::new(
        Some(to_name.to_string()),
        to_email
            .parse()
            .map_err(|e| MailError::Address(format!("{to_email}（{e}）")))?,
    );
    let base = smtp.base_url.trim_end_matches('/');
    let mut body = format!(
        "{to_name} 様\n\n{org_name}の{}時点のお知らせです（{} 件）。\n\n",
        wareki(today),
        items.len()
    );
    for r in items {
        body.push_str(&format!(
            "■ {}：{}\n  {}\n  担当：{}\n  {base}{}\n\n",
            r.kind.label(),
            r.subject,
            r.message,
            r.responsible,
            r.link
        ));
    }
    if !stop_token.is_empty() {
        let mut kinds: Vec<ReminderKind> = Vec::new();
        for r in items {
            if !kinds.contains(&r.kind) {
                kinds.push(r.kind);
            }
        }
        for k in kinds {
            body.push_str(&format!(
                "「{}」のメールを止める：{base}/mail/stop?t={stop_token}&kind={}\n",
                k.label(),
                k.id()
            ));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "すべてのお知らせ：{base}/reminders\n配信の時刻・種類ごとの停止：{base}/account/mail\n\n-- \nMamori（守り）\n"
    ));
    Message::builder()
        .from(from)
        .to(to)
        .subject(format!(
            "【Mamori】{org_name}：お知らせ {} 件（{}）",
            items.len(),
            wareki(today)
        ))
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .header(ContentTransferEncoding::Base64)
                .body(body),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}

fn transport(smtp: &SmtpConfig) -> Result<SmtpTransport, MailError> {
    let builder = match smtp.security {
        SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&smtp.host),
        SmtpSecurity::Tls => SmtpTransport::relay(&smtp.host),
        SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(&smtp.host)),
    }
    .map_err(|e| MailError::Send(e.to_string()))?;
    let builder = builder.port(smtp.port);
    let builder = match &smtp.credentials {
        Some((user, password)) => {
            builder.credentials(Credentials::new(user.clone(), password.clone()))
        }
        None => builder,
    };
    Ok(builder.build())
}

/// Sends the digests due at the clock's hour (Japan time); returns how many went. Each person and
/// organisation gets at most one a day, and none when nothing is to be said.
pub async fn send_digests(app: &App, smtp: &SmtpConfig) -> Result<usize, crate::AppError> {
    use chrono::Timelike;
    let now = app.clock.now();
    let local = mamori_core::dates::to_jst(now);
    let today = local.date();
    let mut sent = 0;
    for person in app.store.digest_recipients(i64::from(local.hour())).await? {
        for (org_id, org_name) in &person.orgs {
            let org = app.store.org(*org_id).await?;
            let all = crate::reminders::for_org(app, &org).await?;
            let items = digest_items(&all, &person.settings.off_kinds);
            if items.is_empty()
                || !app
                    .store
                    .take_digest(person.user_id, *org_id, today, now)
                    .await?
            {
                continue;
            }
            let mail = match compose(
                smtp,
                (&person.display_name, &person.settings.email),
                org_name,
                today,
                &items,
                &person.stop_token,
            ) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(user = person.user_id, error = %e, "お知らせのメールを作成できません");
                    continue;
                }
            };
            let smtp = smtp.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                transport(&smtp)?
                    .send(&mail)
                    .map_err(|e| MailError::Send(e.to_string()))
            })
            .await
            .map_err(|e| MailError::Send(e.to_string()));
            match outcome.and_then(|r| r) {
                Ok(_) => sent += 1,
                Err(e) => {
                    tracing::warn!(user = person.user_id, org = org_id.get(), error = %e, "お知らせのメールを送れません")
                }
            }
        }
    }
    Ok(sent)
}

/// Every few minutes, the digests due now, by one instance at a time.
pub async fn digest_loop(app: App, smtp: SmtpConfig) {
    loop {
        let run = app
            .store
            .run_exclusive("mail", send_digests(&app, &smtp))
            .await;
        match run {
            Ok(Some(Ok(n))) if n > 0 => tracing::info!(sent = n, "お知らせのメールを送りました"),
            Ok(Some(Err(e))) => tracing::error!(error = %e, "お知らせのメール"),
            Err(e) => tracing::error!(error = %e, "お知らせのメール: データベース"),
            _ => {}
        }
        tokio::time::sleep(std::time::Duration::from_secs(300)).await;
    }
}
