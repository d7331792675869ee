//! Reminders by e-mail, on a fixed calendar, to an SMTP sink this test runs: a いいえ with 目標日
//! 2025-09-30 is mailed 30 and 7 days before (not 31), once a day however often the job runs, only at
//! the person's hour, then as the 2回目 due the day after; a stopped kind is left out. The mails are in
//! Japanese: the subject MIME-encoded (RFC 2047), the body UTF-8 in base64.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use mamori_app::App;
use mamori_app::mail::{SmtpConfig, SmtpSecurity, send_digests};
use mamori_core::{Catalog, Clock, Variant};
use mamori_store::MailSettings;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

/// A minimal SMTP server: accepts every message and keeps its DATA.
pub(crate) async fn sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            kept.lock().unwrap().push(std::mem::take(d));
                            data = None;
                            write.write_all(b"250 OK\r\n").await.unwrap();
                        } else {
                            d.push_str(line.strip_prefix('.').unwrap_or(&line));
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded: the space between two encoded words is dropped, a
/// space next to plain text kept.
fn decode_header(v: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = None;
    for word in v.split_whitespace() {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        if previous_encoded.is_some() && !(previous_encoded == Some(true) && encoded.is_some()) {
            out.push(' ');
        }
        match encoded {
            Some(b64) => out.push_str(
                &String::from_utf8(data_encoding::BASE64.decode(b64.as_bytes()).unwrap()).unwrap(),
            ),
            None => out.push_str(word),
        }
        previous_encoded = Some(encoded.is_some());
    }
    out
}

/// (subject, body) of a kept message.
pub(crate) fn read(message: &str) -> (String, String) {
    let (head, body) = message.split_once("\n\n").unwrap();
    // Folded header lines continue with whitespace.
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let subject = unfolded
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap();
    assert!(
        unfolded.contains("Content-Transfer-Encoding: base64"),
        "{head}"
    );
    assert!(
        unfolded.to_ascii_lowercase().contains("charset=utf-8"),
        "{head}"
    );
    let b64: String = body.split_whitespace().collect();
    (
        decode_header(subject),
        String::from_utf8(data_encoding::BASE64.decode(b64.as_bytes()).unwrap()).unwrap(),
    )
}

/// 08:00 Japan time on a day.
pub(crate) fn at(day: &str, hour: u32) -> DateTime<Utc> {
    let local = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap();
    mamori_core::dates::from_jst(local)
}

/// The relay settings that reach the sink on `port`.
pub(crate) fn sink_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        credentials: None,
        from: "Mamori <mamori@example.jp>".into(),
        base_url: "https://mamori.example.jp/".into(),
    }
}

#[tokio::test]
async fn digests_reach_the_sink_on_the_right_days() {
    let (app, org, user, _dir) = clinic().await;
    let (port, got) = sink().await;
    let smtp = sink_config(port);
    // One いいえ with its 目標日; the clinic has no vendors, ledgers or backups to speak of, and the
    // person stops the backup reminders.
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Facility).unwrap();
    let mut no = answer("r7.facility.2.6", "general", false, "更新手順を調整中");
    no.target_date = Some("2025-09-30".into());
    mamori_app::answers::save_answers(&app, &org, &user, form, &[no], &Default::default())
        .await
        .unwrap()
        .unwrap();
    app.store
        .save_mail_settings(
            &user,
            Some(&MailSettings {
                email: "yamada@example.jp".into(),
                hour: 8,
                off_kinds: vec!["backup".into()],
            }),
            now(),
        )
        .await
        .unwrap();

    let on = |t: DateTime<Utc>| {
        App::new(
            app.store.clone(),
            Catalog::builtin().unwrap(),
            Clock::fixed(t),
        )
    };
    let mut expect = 0;
    for (day, hour, mails) in [
        ("2025-08-30", 8, 0), // 31 days before: nothing yet
        ("2025-08-31", 8, 1), // 30 days before
        ("2025-08-31", 8, 0), // the job again the same day: already sent
        ("2025-09-23", 9, 0), // 7 days before, but not the person's hour
        ("2025-09-23", 8, 1), // 7 days before
        ("2025-09-24", 8, 0), // 6 days before: no mail
        ("2025-10-01", 8, 1), // the day after: the 2回目 is due
    ] {
        let sent = send_digests(&on(at(day, hour)), &smtp).await.unwrap();
        assert_eq!(sent, mails, "{day} {hour}:00");
        expect += mails;
        assert_eq!(got.lock().unwrap().len(), expect, "{day}");
    }
    let mails = got.lock().unwrap().clone();
    let (subject, body) = read(&mails[0]);
    assert_eq!(
        subject,
        "【Mamori】みどりクリニック：お知らせ 1 件（令和7年8月31日）"
    );
    assert!(body.contains("山田 太郎 様"), "{body}");
    assert!(
        body.contains("目標日（令和7年9月30日）まであと30日です"),
        "{body}"
    );
    assert!(
        body.contains(
            "https://mamori.example.jp/checklists/r7/facility#row-r7-facility-2-6-general"
        )
    );
    assert!(body.contains("https://mamori.example.jp/account/mail"));
    // Each kind in the mail has its stop link (the person's token; a page asks before stopping).
    assert!(
        body.contains("のメールを止める：https://mamori.example.jp/mail/stop?t=")
            && body.contains("&kind=target_soon"),
        "{body}"
    );
    assert!(!body.contains("バックアップ"), "a stopped kind is left out");
    assert!(read(&mails[1]).1.contains("あと7日です"));
    let (_, last) = read(&mails[2]);
    assert!(
        last.contains("2回目の確認") && last.contains("2回目として回答してください"),
        "{last}"
    );
}
