//! Incident mode: an administrator opens an incident; people record what they did and whom they contacted
//! (who, when, what), upload evidence files (SHA-256 kept at upload), name the affected devices from the
//! 機器台帳, enter the facts, and print a report draft for MHLW or the police; closing writes a summary.
//! Everything goes to the audit trail (the store does it).

use mamori_core::Role;
use mamori_core::dates::{to_jst, wareki};
use mamori_ledger::Kind;
use mamori_store::{EvidenceFile, Incident, IncidentEntry, Org, StoreError, User};
use serde::Serialize;

use crate::{App, AppError};

/// The facts a report to MHLW or the police asks for: (key, label).
pub const FACTS: &[(&str, &str)] = &[
    ("found_at", "発見日時"),
    ("found_how", "発見の経緯"),
    ("symptoms", "被害の状況（画面の表示、止まった業務）"),
    ("patients", "診療・患者への影響"),
    ("data", "情報の漏えい・改ざんの可能性"),
    ("attack", "攻撃の種類（ランサムウェア、不正アクセス等）"),
    (
        "response",
        "これまでの対応（切り離し、バックアップの確認等）",
    ),
    ("reported", "連絡・報告済みの機関"),
];

/// Kinds of timeline entries: (key, label).
pub const ENTRY_KINDS: &[(&str, &str)] = &[
    ("action", "対応"),
    ("contact", "連絡"),
    ("note", "記録"),
    ("evidence", "証拠ファイル"),
];

pub fn entry_label(kind: &str) -> &'static str {
    ENTRY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("記録")
}

/// Largest evidence file kept (screenshots, ransom notes, log extracts).
pub const MAX_FILE: usize = 20 * 1024 * 1024;

/// A device of the 機器台帳 as the incident names it.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedDevice {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub location: String,
}

fn refuse<T>(m: impl Into<String>) -> Result<Result<T, String>, AppError> {
    Ok(Err(m.into()))
}

/// Opens an incident (administrators only).
pub async fn open(
    app: &App,
    org: &Org,
    user: &User,
    title: &str,
) -> Result<Result<i64, String>, AppError> {
    if user.role != Role::Admin {
        return refuse("インシデントを開始できるのは管理者だけです");
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return refuse(
            "件名を200文字以内で入力してください（例：電子カルテ端末で身代金要求の画面）",
        );
    }
    Ok(Ok(app
        .store
        .open_incident(org.id, title, &[], &user.login, app.clock.now())
        .await?))
}

fn closed(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Conflict(m) => Ok(m),
        e => Err(e.into()),
    }
}

/// Adds a timeline entry (an evidence file needs a file; others need words).
pub async fn add_entry(
    app: &App,
    org: &Org,
    user: &User,
    incident: i64,
    (kind, body): (&str, &str),
    file: Option<EvidenceFile<'_>>,
) -> Result<Result<(), String>, AppError> {
    if !ENTRY_KINDS.iter().any(|(k, _)| *k == kind) {
        return refuse("記録の種類を選んでください");
    }
    let body = body.trim();
    if body.chars().count() > 5000 {
        return refuse("内容は5000文字以内で入力してください");
    }
    if let Some(f) = &file {
        if f.bytes.is_empty() {
            return refuse("ファイルが空です");
        }
        if f.bytes.len() > MAX_FILE {
            return refuse("ファイルは20MBまでです");
        }
    } else if kind == "evidence" {
        return refuse("証拠ファイルを選んでください");
    } else if body.is_empty() {
        return refuse("何をしたか（誰に連絡したか）を入力してください");
    }
    let kind = if file.is_some() { "evidence" } else { kind };
    match app
        .store
        .add_incident_entry(
            org.id,
            incident,
            (kind, body),
            file.as_ref(),
            &user.login,
            app.clock.now(),
        )
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(e) => Ok(Err(closed(e)?)),
    }
}

/// Records the facts and the affected devices (computer names, one per line, looked up in the
/// 機器台帳; a name it does not have is refused with the name).
pub async fn set_facts(
    app: &App,
    org: &Org,
    user: &User,
    incident: i64,
    facts: &[(String, String)],
    device_names: &str,
) -> Result<Result<(), String>, AppError> {
    if user.role != Role::Admin {
        return refuse("事実の記録と影響を受けた機器は管理者が入力します");
    }
    let mut map = serde_json::Map::new();
    for (k, v) in facts {
        if !FACTS.iter().any(|(key, _)| key == k) {
            return refuse(format!("「{k}」という項目はありません"));
        }
        if v.chars().count() > 5000 {
            return refuse("各項目は5000文字以内で入力してください");
        }
        if !v.trim().is_empty() {
            map.insert(k.clone(), serde_json::Value::from(v.trim()));
        }
    }
    let devices = app.store.ledger_all(org.id, Kind::Devices).await?;
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for name in device_names
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match devices.iter().find(|d| {
            d.data
                .get("computer_name")
                .is_some_and(|c| c.eq_ignore_ascii_case(name))
        }) {
            Some(d) if !ids.contains(&d.id) => ids.push(d.id),
            Some(_) => {}
            None => unknown.push(name.to_string()),
        }
    }
    if !unknown.is_empty() {
        return refuse(format!(
            "機器台帳にないコンピュータ名です：{}",
            unknown.join("、")
        ));
    }
    match app
        .store
        .update_incident(org.id, incident, &map, &ids, &user.login, app.clock.now())
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(e) => Ok(Err(closed(e)?)),
    }
}

/// Closes the incident with its summary (administrators only).
pub async fn close(
    app: &App,
    org: &Org,
    user: &User,
    incident: i64,
    summary: &str,
) -> Result<Result<(), String>, AppError> {
    if user.role != Role::Admin {
        return refuse("インシデントを終了できるのは管理者だけです");
    }
    let summary = summary.trim();
    if summary.is_empty() || summary.chars().count() > 5000 {
        return refuse("終了の要約（原因、影響、復旧、再発防止）を5000文字以内で入力してください");
    }
    match app
        .store
        .close_incident(org.id, incident, summary, &user.login, app.clock.now())
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(e) => Ok(Err(closed(e)?)),
    }
}

/// The affected devices as the 機器台帳 has them now.
pub async fn affected(app: &App, org: &Org, i: &Incident) -> Result<Vec<AffectedDevice>, AppError> {
    let devices = app.store.ledger_all(org.id, Kind::Devices).await?;
    Ok(i.devices
        .iter()
        .filter_map(|id| devices.iter().find(|d| d.id == *id))
        .map(|d| {
            let f = |k: &str| d.data.get(k).cloned().unwrap_or_default();
            AffectedDevice {
                id: d.id,
                name: f("computer_name"),
                kind: f("device_kind"),
                location: f("location"),
            }
        })
        .collect())
}

/// A time as the timeline shows it: 令和8年12月6日 21:30.
pub fn when(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            let local = to_jst(t.to_utc());
            format!("{} {}", wareki(local.date()), local.format("%H:%M"))
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// The report draft for MHLW or the police: the facts entered, the affected devices and the timeline.
pub fn report_draft(
    org: &Org,
    i: &Incident,
    devices: &[AffectedDevice],
    entries: &[IncidentEntry],
) -> String {
    let mut s = format!(
        "【報告書（案）】{}\n\n施設名：{}\n医療情報システム安全管理責任者：{}\nインシデント：{}（{} 開始）\n\n",
        if i.closed_at.is_some() {
            "終了"
        } else {
            "対応中"
        },
        org.name,
        org.security_officer,
        i.title,
        when(&i.opened_at),
    );
    for (k, label) in FACTS {
        let v = i
            .facts
            .get(*k)
            .and_then(|v| v.as_str())
            .unwrap_or("（未記入）");
        s.push_str(&format!("■ {label}\n{v}\n\n"));
    }
    s.push_str("■ 影響を受けた機器\n");
    if devices.is_empty() {
        s.push_str("（未記入）\n");
    }
    for d in devices {
        s.push_str(&format!("・{}（{}、{}）\n", d.name, d.kind, d.location));
    }
    s.push_str("\n■ 経過\n");
    for e in entries {
        s.push_str(&format!(
            "・{} {}［{}］{}",
            when(&e.at),
            e.actor,
            entry_label(&e.kind),
            e.body
        ));
        if let (Some(name), Some(sha)) = (&e.file_name, &e.sha256) {
            s.push_str(&format!("（ファイル {name}、SHA-256 {sha}）"));
        }
        s.push('\n');
    }
    if let Some(summary) = &i.summary {
        s.push_str(&format!("\n■ 終了時の要約\n{summary}\n"));
    }
    s
}
