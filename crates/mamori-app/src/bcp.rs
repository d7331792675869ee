//! The cyber BCP: MHLW's BCP 確認表 answered like the checklist with the ledgers' word beside each item
//! (and feeding 3(3)), the facility's own texts, and the BCP document, 連絡体制図 and incident card built
//! from the ledgers.

use std::sync::OnceLock;

use mamori_core::Choice;
use mamori_core::bcp::BcpCatalog;
use mamori_core::dates::wareki;
use mamori_evidence::{BcpState, Verdict};
use mamori_ledger::{Kind, Row};
use mamori_store::{BcpAnswer, Org, User};
use serde::Serialize;

pub use mamori_report::bcp_doc::{BackupLine, BcpDocument, Contact, CriticalSystem};

use crate::{App, AppError};

/// The built-in 確認表 (parsed once).
pub fn catalog() -> &'static BcpCatalog {
    static C: OnceLock<BcpCatalog> = OnceLock::new();
    C.get_or_init(|| BcpCatalog::builtin().expect("the built-in BCP 確認表 is valid"))
}

/// One row of the 確認表 as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BcpRow {
    pub key: String,
    /// Empty for a gap: the page shows 「未確認」 and no words.
    pub text: String,
    /// Only the start of the text was seen.
    pub partial: bool,
    /// Not MHLW's whole text as seen (a gap, a partial text, or B): an answer here decides nothing.
    pub unverified: bool,
    pub answer: Option<BcpAnswer>,
    /// (はい/いいえ/判断材料不足, css class, reasons) from the ledgers.
    pub suggestion: Option<(&'static str, &'static str, Vec<String>)>,
}

/// A sub-item (項番 `1-1` …) with its 大項目 and rows.
#[derive(Debug, Clone, Serialize)]
pub struct BcpHeadingView {
    pub key: String,
    /// Empty for a gap.
    pub text: String,
    pub partial: bool,
    pub rows: Vec<BcpRow>,
}

/// One of the five steps.
#[derive(Debug, Clone, Serialize)]
pub struct BcpStepView {
    pub no: String,
    pub name: String,
    /// The step's name is from a secondary source (B).
    pub name_secondary: bool,
    /// The step's row text as printed; empty where it was not seen.
    pub text: String,
    pub more_unknown: bool,
    pub headings: Vec<BcpHeadingView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BcpTable {
    pub title: String,
    pub title_unverified: bool,
    pub source: String,
    pub columns: Vec<String>,
    /// (note, unverified)
    pub notes: Vec<(String, bool)>,
    pub steps: Vec<BcpStepView>,
    pub yes: usize,
    pub no: usize,
    pub unanswered: usize,
    /// Rows whose text is not (wholly) known: their answers decide nothing.
    pub gaps: usize,
}

/// The 確認表 with the organisation's answers and the ledgers' word on each item.
pub async fn table(app: &App, org: &Org) -> Result<BcpTable, AppError> {
    let c = catalog();
    let answers = app.store.bcp_answers(org.id, &c.id).await?;
    let version = app.store.ledger_version(org.id).await?;
    let facts = crate::evidence::evidence_facts(app, org, version).await?;
    let mut t = BcpTable {
        title: c.title.clone(),
        title_unverified: c.title_confidence.is_unverified(),
        source: c.source.clone(),
        columns: c.columns.clone(),
        notes: c
            .notes
            .iter()
            .map(|n| (n.text.clone(), n.confidence.is_unverified()))
            .collect(),
        steps: Vec::new(),
        yes: 0,
        no: 0,
        unanswered: 0,
        gaps: 0,
    };
    for (step, headings) in c.steps() {
        let mut view = BcpStepView {
            no: step.no.clone(),
            name: step.name.clone(),
            name_secondary: step.name_confidence != mamori_core::catalog::Confidence::A,
            text: step.text.clone(),
            more_unknown: step.more_unknown,
            headings: Vec::new(),
        };
        for (h, items) in headings {
            let mut rows = Vec::new();
            for i in items {
                let answer = answers.iter().find(|a| a.item == i.key).cloned();
                if i.is_verified() {
                    match answer.as_ref().map(|a| a.answer) {
                        Some(Choice::Yes) => t.yes += 1,
                        Some(Choice::No) => t.no += 1,
                        None => t.unanswered += 1,
                    }
                } else {
                    t.gaps += 1;
                }
                let suggestion = i.evidence.map(|e| {
                    let s = mamori_evidence::suggest_bcp(e, &facts);
                    let class = match s.verdict {
                        Verdict::Yes => "yes",
                        Verdict::No => "no",
                        Verdict::Unknown => "unknown",
                    };
                    (s.verdict.label(), class, s.reasons)
                });
                rows.push(BcpRow {
                    key: i.key.clone(),
                    text: i.text.clone(),
                    partial: i.partial,
                    unverified: !i.is_verified(),
                    answer,
                    suggestion,
                });
            }
            view.headings.push(BcpHeadingView {
                key: h.key.clone(),
                text: h.text.clone(),
                partial: h.partial,
                rows,
            });
        }
        t.steps.push(view);
    }
    Ok(t)
}

/// One answer as posted.
#[derive(Debug, Clone, Default)]
pub struct BcpInput {
    pub item: String,
    pub answer: String,
    pub checked_on: String,
    pub note: String,
}

/// Checks and saves answers of the 確認表: rows left blank are skipped; a row with anything in it needs
/// はい/いいえ and a 確認日 that is not in the future. Returns how many changed; `Ok(Err(errors))`:
/// (item, message) for each mistake, nothing saved.
pub async fn save(
    app: &App,
    org: &Org,
    user: &User,
    inputs: &[BcpInput],
) -> Result<Result<usize, Vec<(String, String)>>, AppError> {
    let c = catalog();
    let today = app.clock.today_jst();
    let mut errors = Vec::new();
    let mut answers = Vec::new();
    for i in inputs {
        let (answer, checked, note) = (i.answer.trim(), i.checked_on.trim(), i.note.trim());
        if answer.is_empty() && checked.is_empty() && note.is_empty() {
            continue;
        }
        let mut fail = |m: &str| errors.push((i.item.clone(), m.to_string()));
        if c.item(&i.item).is_none() {
            fail("確認表にない項目です");
            continue;
        }
        let Some(choice) = Choice::parse(answer) else {
            fail("「はい」か「いいえ」を選んでください");
            continue;
        };
        let Some(on) = mamori_ledger::values::parse_date(checked) else {
            fail("確認日を入力してください（例：2026-04-30）");
            continue;
        };
        if on > today {
            fail("確認日に未来の日付は入れられません");
            continue;
        }
        if note.chars().count() > 1000 {
            fail("備考は1000文字以内で入力してください");
            continue;
        }
        answers.push(BcpAnswer {
            item: i.item.clone(),
            answer: choice,
            checked_on: on,
            note: note.to_string(),
        });
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    // The page posts every row: only the changed ones are written (and audited).
    let stored = app.store.bcp_answers(org.id, &c.id).await?;
    answers.retain(|a| !stored.contains(a));
    app.store
        .save_bcp_answers(org.id, &c.id, &answers, &user.login, app.clock.now())
        .await?;
    Ok(Ok(answers.len()))
}

/// Where the 確認表 stands, for 3(3)'s suggestion: only the rows whose whole text is MHLW's count (an
/// answer to a gap decides nothing by itself).
pub async fn state(app: &App, org: &Org) -> Result<BcpState, mamori_store::StoreError> {
    let c = catalog();
    let answers = app.store.bcp_answers(org.id, &c.id).await?;
    let mut s = BcpState {
        total: c.verified_items().count(),
        ..BcpState::default()
    };
    for i in c.verified_items() {
        match answers.iter().find(|a| a.item == i.key).map(|a| a.answer) {
            Some(Choice::Yes) => s.yes += 1,
            Some(Choice::No) => s.no.push(format!("{} {}", i.key, i.text)),
            None => {}
        }
    }
    Ok(s)
}

/// The facility's own texts of its BCP: (section key, heading, hint shown when empty).
pub const TEXT_SECTIONS: &[(&str, &str, &str)] = &[
    (
        "events",
        "想定する事象",
        "例：電子カルテが参照・入力できない、院内の連絡手段が使えない、医療機器が誤動作する（ランサムウェア、不正アクセス、標的型メール、DDoS など）",
    ),
    (
        "roles",
        "体制と役割",
        "例：対策本部長（院長）、医療情報システム安全管理責任者、各部署の連絡担当、事業者との窓口",
    ),
    (
        "alternatives",
        "診療継続のための代替手順",
        "例：紙カルテ・紙伝票への切り替え、処方・検査オーダーの手書き運用、受付・会計の手作業、患者への説明",
    ),
    (
        "recovery",
        "復旧手順",
        "例：感染端末の隔離 → 被害範囲の確認 → 安全なバックアップの確認 → 優先順位に沿った復旧 → 正常性の確認",
    ),
    (
        "exercises",
        "訓練計画",
        "例：年1回のBCP訓練（机上訓練）、年1回のバックアップからの復旧テスト",
    ),
    (
        "management",
        "文書の管理および周知",
        "例：経営層が承認し、全職員に周知する。年1回見直す",
    ),
];

/// Saves the facility's texts (unknown sections refused; each at most 5,000 characters).
pub async fn save_texts(
    app: &App,
    org: &Org,
    user: &User,
    texts: &[(String, String)],
) -> Result<Result<(), String>, AppError> {
    let mut keep = Vec::new();
    for (k, v) in texts {
        let Some((_, heading, _)) = TEXT_SECTIONS.iter().find(|(key, _, _)| key == k) else {
            return Ok(Err(format!("「{k}」という項目はありません")));
        };
        if v.chars().count() > 5000 {
            return Ok(Err(format!(
                "「{heading}」は5000文字以内で入力してください"
            )));
        }
        keep.push((k.clone(), v.trim().replace("\r\n", "\n")));
    }
    app.store
        .save_bcp_texts(org.id, &keep, &user.login, app.clock.now())
        .await?;
    Ok(Ok(()))
}

/// A ledger's active rows.
async fn rows(app: &App, org: &Org, kind: Kind) -> Result<Vec<(i64, Row)>, AppError> {
    Ok(app
        .store
        .ledger_all(org.id, kind)
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| (r.id, r.data))
        .collect())
}

fn field(r: &Row, k: &str) -> String {
    r.get(k).cloned().unwrap_or_default()
}

async fn contacts(app: &App, org: &Org) -> Result<Vec<Contact>, AppError> {
    Ok(rows(app, org, Kind::Contacts)
        .await?
        .iter()
        .map(|(_, r)| Contact {
            category: field(r, "category"),
            organisation: field(r, "organisation"),
            person: field(r, "person"),
            phone: field(r, "phone"),
            after_hours: field(r, "after_hours_phone"),
            role: field(r, "role"),
        })
        .collect())
}

/// The 連絡体制図 as SVG, from the 外部連絡リスト.
pub async fn contact_chart(app: &App, org: &Org) -> Result<String, AppError> {
    let contacts = contacts(app, org).await?;
    let nodes: Vec<(String, String, String)> = contacts
        .iter()
        .map(|c| {
            (
                c.category.clone(),
                c.organisation.clone(),
                [c.person.as_str(), c.phone.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("　"),
            )
        })
        .collect();
    Ok(mamori_report::charts::contact_chart(
        &org.security_officer,
        &nodes,
    ))
}

async fn backups(app: &App, org: &Org) -> Result<Vec<BackupLine>, AppError> {
    Ok(rows(app, org, Kind::Backups)
        .await?
        .iter()
        .map(|(_, r)| BackupLine {
            system: field(r, "system"),
            frequency: field(r, "frequency"),
            method: field(r, "method"),
            generations: field(r, "generations"),
            storage: field(r, "storage"),
            offline: field(r, "offline"),
            restore_procedure: field(r, "restore_procedure"),
            restore_tested_on: mamori_ledger::values::parse_date(&field(r, "restore_tested_on"))
                .map(wareki)
                .unwrap_or_default(),
        })
        .collect())
}

pub async fn document(app: &App, org: &Org) -> Result<BcpDocument, AppError> {
    let texts = app.store.bcp_texts(org.id).await?;
    let mut systems: Vec<CriticalSystem> = rows(app, org, Kind::Devices)
        .await?
        .iter()
        .filter(|(_, r)| {
            let p = field(r, "recovery_priority");
            !p.is_empty() && p != "対象外"
        })
        .map(|(_, r)| CriticalSystem {
            priority: field(r, "recovery_priority"),
            name: [field(r, "computer_name"), field(r, "software")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            kind: field(r, "device_kind"),
            location: field(r, "location"),
            vendor: field(r, "vendor"),
        })
        .collect();
    systems.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.name.cmp(&b.name)));
    let backups = backups(app, org).await?;
    let mut exercises: Vec<_> = rows(app, org, Kind::Exercises)
        .await?
        .iter()
        .map(|(_, r)| {
            (
                mamori_ledger::values::parse_date(&field(r, "held_on")),
                field(r, "exercise_kind"),
                field(r, "scenario"),
                field(r, "result"),
            )
        })
        .collect();
    exercises.sort_by_key(|e| std::cmp::Reverse(e.0));
    Ok(BcpDocument {
        org_name: org.name.clone(),
        officer: org.security_officer.clone(),
        created_on: wareki(app.clock.today_jst()),
        texts: TEXT_SECTIONS
            .iter()
            .map(
                |(k, heading, hint)| match texts.get(*k).filter(|t| !t.is_empty()) {
                    Some(t) => (heading.to_string(), t.clone(), true),
                    None => (heading.to_string(), format!("（未記入）{hint}"), false),
                },
            )
            .collect(),
        contacts: contacts(app, org).await?,
        chart_svg: contact_chart(app, org).await?,
        systems,
        backups,
        exercises: exercises
            .into_iter()
            .map(|(d, k, s, r)| (d.map(wareki).unwrap_or_default(), k, s, r))
            .collect(),
    })
}

/// What the incident card prints: the contacts and backups only (not the device ledger, which a
/// hospital keeps by the ten thousand, nor the diagram).
pub async fn card(app: &App, org: &Org) -> Result<BcpDocument, AppError> {
    Ok(BcpDocument {
        org_name: org.name.clone(),
        officer: org.security_officer.clone(),
        created_on: wareki(app.clock.today_jst()),
        texts: Vec::new(),
        contacts: contacts(app, org).await?,
        chart_svg: String::new(),
        systems: Vec::new(),
        backups: backups(app, org).await?,
        exercises: Vec::new(),
    })
}

/// The BCP document as PDF (the same data as the Word file; the 連絡体制図 drawn in).
pub async fn document_pdf(app: &App, org: &Org) -> Result<mamori_pdf::Pdf, AppError> {
    let doc = document(app, org).await?;
    let mut data = serde_json::to_value(&doc).expect("the document serialises");
    data["events"] = serde_json::Value::from(mamori_report::bcp_doc::EVENTS);
    let today = app.clock.today_jst();
    Ok(app
        .heavy(move || mamori_pdf::render(mamori_pdf::BCP_TEMPLATE, &data, today))
        .await?)
}

/// The card's contents that come from the ledgers (contacts, offline backups), as a fingerprint: a card
/// printed from other contents is out of date.
fn card_fingerprint(officer: &str, contacts: &[Contact], backups: &[BackupLine]) -> String {
    use sha2::Digest;
    let offline: Vec<&BackupLine> = backups.iter().filter(|b| b.offline == "はい").collect();
    let text = serde_json::json!({ "officer": officer, "contacts": contacts, "offline": offline })
        .to_string();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The section under which the last issued card's fingerprint is kept.
const CARD_SECTION: &str = "_card";

/// Records that the card was issued from `doc` (kept only when it changed; audited then).
pub async fn card_issued(
    app: &App,
    org: &Org,
    user: &User,
    doc: &BcpDocument,
) -> Result<(), AppError> {
    app.store
        .save_bcp_texts(
            org.id,
            &[(
                CARD_SECTION.to_string(),
                card_fingerprint(&doc.officer, &doc.contacts, &doc.backups),
            )],
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(())
}

/// Whether the card last issued is older than the ledgers it came from (`None`: never issued).
pub async fn card_outdated(app: &App, org: &Org) -> Result<Option<bool>, AppError> {
    let Some(issued) = app.store.bcp_texts(org.id).await?.remove(CARD_SECTION) else {
        return Ok(None);
    };
    let now = card_fingerprint(
        &org.security_officer,
        &contacts(app, org).await?,
        &backups(app, org).await?,
    );
    Ok(Some(issued != now))
}
