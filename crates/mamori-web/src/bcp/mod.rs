//! BCP: the BCP 確認表 (answered like the checklist, the ledgers' word beside each item), the
//! 連絡体制図, the facility's own texts, the BCP document as PDF and Word, and the incident card.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_app::bcp::{BackupLine, BcpDocument, BcpInput, BcpTable, TEXT_SECTIONS};
use mamori_core::Action;
use mamori_store::{Org, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, nav, render};

pub(crate) mod incidents;

#[derive(Template)]
#[template(path = "bcp/bcp.html")]
struct BcpPage {
    nav: Option<Nav>,
    table: BcpTable,
    chart: String,
    /// (key, heading, hint, text)
    texts: Vec<(String, String, String, String)>,
    can_edit: bool,
    saved: bool,
    card_notice: Option<String>,
    /// What was typed, by item: (answer, 確認日, 備考), when a save was refused.
    typed: HashMap<String, (String, String, String)>,
    errors: HashMap<String, String>,
}

impl BcpPage {
    fn typed(&self, key: &str) -> (String, String, String) {
        if let Some(t) = self.typed.get(key) {
            return t.clone();
        }
        self.table
            .steps
            .iter()
            .flat_map(|s| &s.headings)
            .flat_map(|h| &h.rows)
            .find(|r| r.key == key)
            .and_then(|r| r.answer.as_ref())
            .map(|a| {
                (
                    a.answer.id().to_string(),
                    a.checked_on.to_string(),
                    a.note.clone(),
                )
            })
            .unwrap_or_default()
    }
    fn error(&self, key: &str) -> Option<&String> {
        self.errors.get(key)
    }
}

#[derive(Template)]
#[template(path = "bcp/card.html")]
struct CardPage {
    doc: BcpDocument,
}

impl CardPage {
    fn offline(&self) -> Vec<&BackupLine> {
        self.doc
            .backups
            .iter()
            .filter(|b| b.offline == "はい")
            .collect()
    }
}

pub(super) fn facility_only(org: &Org) -> Result<(), PageError> {
    if org.kind.is_facility() {
        Ok(())
    } else {
        Err(PageError::not_found(
            "BCPは医療機関・薬局の組織で作成します",
        ))
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct SavedQuery {
    saved: Option<String>,
}

async fn page(
    state: &AppState,
    session: &Session,
    org: &Org,
    typed: HashMap<String, (String, String, String)>,
    errors: HashMap<String, String>,
    saved: bool,
) -> Result<BcpPage, PageError> {
    let stored = state.store.bcp_texts(org.id).await?;
    let card_notice = match mamori_app::bcp::card_outdated(state, org).await? {
        Some(true) => Some(
            "緊急時連絡カードを作った後に外部連絡リストまたはバックアップ台帳が変わりました。カードを印刷し直してください。"
                .to_string(),
        ),
        Some(false) => None,
        None => Some("緊急時連絡カードをまだ作っていません。".to_string()),
    };
    Ok(BcpPage {
        nav: Some(nav(state, session, org)),
        table: mamori_app::bcp::table(state, org).await?,
        chart: mamori_app::bcp::contact_chart(state, org).await?,
        texts: TEXT_SECTIONS
            .iter()
            .map(|(k, h, hint)| {
                (
                    k.to_string(),
                    h.to_string(),
                    hint.to_string(),
                    stored.get(*k).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        saved,
        card_notice,
        typed,
        errors,
    })
}

/// `GET /bcp`
pub(crate) async fn bcp(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let p = page(
        &state,
        &session,
        &org,
        HashMap::new(),
        HashMap::new(),
        q.saved.is_some(),
    )
    .await?;
    Ok(render(&p).into_response())
}

/// `POST /bcp/answers`: `answer.<key>`, `checked_on.<key>`, `note.<key>` for each item; a mistake shows
/// the page again with what was typed and nothing saved.
pub(crate) async fn save_answers(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let mut inputs: Vec<BcpInput> = Vec::new();
    for (k, v) in fields {
        let Some((what, item)) = k.split_once('.') else {
            continue;
        };
        let i = match inputs.iter().position(|i| i.item == item) {
            Some(i) => i,
            None => {
                inputs.push(BcpInput {
                    item: item.to_string(),
                    ..BcpInput::default()
                });
                inputs.len() - 1
            }
        };
        match what {
            "answer" => inputs[i].answer = v,
            "checked_on" => inputs[i].checked_on = v,
            "note" => inputs[i].note = v,
            _ => {}
        }
    }
    match mamori_app::bcp::save(&state, &org, &session.user, &inputs).await? {
        Ok(_) => Ok(Redirect::to("/bcp?saved=1#bcp-table").into_response()),
        Err(errors) => {
            let typed = inputs
                .into_iter()
                .map(|i| (i.item, (i.answer, i.checked_on, i.note)))
                .collect();
            let p = page(
                &state,
                &session,
                &org,
                typed,
                errors.into_iter().collect(),
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
    }
}

/// `POST /bcp/texts`: `text.<section>` for each of the facility's texts.
pub(crate) async fn save_texts(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let texts: Vec<(String, String)> = fields
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("text.").map(|k| (k.to_string(), v)))
        .collect();
    match mamori_app::bcp::save_texts(&state, &org, &session.user, &texts).await? {
        Ok(()) => Ok(Redirect::to("/bcp?saved=1#bcp-texts").into_response()),
        Err(m) => Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "保存できません",
            m,
        )),
    }
}

/// `GET /bcp/document.pdf`
pub(crate) async fn document_pdf(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let pdf = mamori_app::bcp::document_pdf(&state, &org).await?;
    Ok(crate::documents::pdf_response(
        &format!("mamori-bcp-{}.pdf", state.clock.today_jst()),
        pdf.bytes,
    ))
}

/// `GET /bcp/document.docx`: the same document as an editable Word file.
pub(crate) async fn document_docx(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    facility_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let doc = mamori_app::bcp::document(&state, &org).await?;
    let bytes = mamori_report::bcp_doc::docx(&doc).map_err(|e| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Wordファイルを作成できません",
            e.to_string(),
        )
    })?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"mamori-bcp-{}.docx\"",
                    state.clock.today_jst()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn card_page(state: &AppState, session: &Session, org: &Org) -> Result<CardPage, PageError> {
    facility_only(org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let doc = mamori_app::bcp::card(state, org).await?;
    mamori_app::bcp::card_issued(state, org, &session.user, &doc).await?;
    Ok(CardPage { doc })
}

/// The card's policy: nothing but its own inline style (allowed by its hash, so that the same file works
/// offline) and links.
fn card_policy(html: &str) -> String {
    use sha2::Digest;
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(s, _)| s)
        .unwrap_or("");
    let hash = data_encoding::BASE64.encode(&sha2::Sha256::digest(style.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )
}

/// `GET /bcp/card`: the one-page card to print (it is also the offline file: no script, styles inline).
pub(crate) async fn card(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    let p = card_page(&state, &session, &org).await?;
    let html = render(&p).0;
    Ok((
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            card_policy(&html),
        )],
        axum::response::Html(html),
    )
        .into_response())
}

/// `GET /bcp/card.html`: the card as a file to keep where the network is not needed.
pub(crate) async fn card_file(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    let p = card_page(&state, &session, &org).await?;
    let html = p.render().map_err(|e| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "カードを作成できません",
            e.to_string(),
        )
    })?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/html; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"mamori-incident-card.html\"".to_string(),
            ),
        ],
        html,
    )
        .into_response())
}
