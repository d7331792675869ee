//! The facility's side, shown on 「事業者確認用・照合」: per 事業者・契約 row its link or invitation, the forms
//! received and the MDS/SDS shared; inviting, withdrawing an invitation, ending a link.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_ledger::Kind;
use mamori_store::{Org, OrgKind, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{jst_time, render};

pub(crate) struct LinkRow {
    pub vendor_row_id: i64,
    pub name: String,
    /// 「連携中：カルテ商事（クラウドカルテ）」 etc.
    pub state: String,
    pub link_id: Option<i64>,
    /// An open invitation (id, 「有効期限 …」).
    pub invitation: Option<(i64, String)>,
}

pub(crate) struct ReceivedRow {
    pub id: i64,
    pub vendor_row_id: i64,
    /// The form's edition id (`edition` is its name).
    pub edition_id: mamori_core::EditionId,
    pub vendor: String,
    pub product: String,
    pub edition: String,
    pub published: String,
    pub status: String,
}

pub(crate) struct DocumentRow {
    pub id: i64,
    pub vendor: String,
    pub product: String,
    pub kind: String,
    pub version: String,
    pub issued_on: String,
    pub uploaded: String,
}

/// The facility's links, received forms and documents, for the page.
#[derive(Default)]
pub(crate) struct LinkSection {
    pub shown: bool,
    pub rows: Vec<LinkRow>,
    pub received: Vec<ReceivedRow>,
    pub documents: Vec<DocumentRow>,
    /// A code just made: shown this once.
    pub new_code: Option<String>,
    pub error: Option<String>,
}

pub(crate) async fn section(state: &AppState, org: &Org) -> Result<LinkSection, PageError> {
    if !org.kind.is_facility() {
        return Ok(LinkSection::default());
    }
    let now = state.clock.now();
    let links = state.store.vendor_links(org.id, false).await?;
    let invitations = state.store.vendor_invitations(org.id).await?;
    let mut rows = Vec::new();
    for row in state.store.ledger_all(org.id, Kind::Vendors).await? {
        if row.disabled {
            continue;
        }
        let active = links
            .iter()
            .find(|l| l.vendor_row_id == row.id && l.ended_at.is_none());
        let invitation = invitations
            .iter()
            .find(|i| i.vendor_row_id == row.id && i.open(now))
            .map(|i| {
                (
                    i.id,
                    format!("招待中（有効期限 {}）", jst_time(&i.expires_at)),
                )
            });
        let state = match active {
            Some(l) => format!(
                "連携中：{}{}",
                l.vendor_name,
                if l.products.is_empty() {
                    "（製品は未選択）".to_string()
                } else {
                    format!(
                        "（{}）",
                        l.products
                            .iter()
                            .map(|p| p.1.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    )
                }
            ),
            None => match &invitation {
                Some((_, s)) => s.clone(),
                None => "未連携".into(),
            },
        };
        rows.push(LinkRow {
            vendor_row_id: row.id,
            name: row.data.get("name").cloned().unwrap_or_default(),
            state,
            link_id: active.map(|l| l.id),
            invitation,
        });
    }
    let catalog = state.catalog_of(org.id);
    let received = state
        .store
        .received_forms(org.id, None)
        .await?
        .into_iter()
        .map(|f| ReceivedRow {
            id: f.id,
            vendor_row_id: f.vendor_row_id,
            edition_id: f.edition.clone(),
            vendor: f.vendor_name,
            product: f.product_name,
            edition: catalog
                .edition(&f.edition)
                .map(|e| e.name.clone())
                .unwrap_or_else(|_| f.edition.to_string()),
            published: format!("{}　{}", f.published_by, jst_time(&f.published_at)),
            status: f.status.label().to_string(),
        })
        .collect();
    let documents = state
        .store
        .product_documents(org.id, false)
        .await?
        .into_iter()
        .map(|d| DocumentRow {
            id: d.id,
            vendor: d.vendor_name,
            product: d.product_name,
            kind: d.kind,
            version: d.version,
            issued_on: d.issued_on,
            uploaded: jst_time(&d.uploaded_at),
        })
        .collect();
    Ok(LinkSection {
        shown: true,
        rows,
        received,
        documents,
        new_code: None,
        error: None,
    })
}

fn facility_only(org: &Org) -> Result<(), PageError> {
    if org.kind.is_facility() && org.kind != OrgKind::Group {
        Ok(())
    } else {
        Err(PageError::not_found(
            "事業者の招待は医療機関・薬局の組織で行います",
        ))
    }
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    vendor_row_id: i64,
    #[serde(default)]
    due_on: String,
}

async fn vendor_forms_with(
    state: &AppState,
    session: &Session,
    org: &Org,
    status: StatusCode,
    change: impl FnOnce(&mut LinkSection),
) -> PageResult {
    let edition = state.edition_or_current(org, None);
    let mut p = crate::vendor_forms::page(state, session, org, &edition, None, Vec::new()).await?;
    change(&mut p.links);
    Ok((status, render(&p)).into_response())
}

/// `POST /vendor-links/invite`: a one-time code for the vendor of a 事業者・契約 row, shown once on the
/// page that comes back.
pub(crate) async fn invite(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<InviteForm>,
) -> PageResult {
    facility_only(&org)?;
    super::may(&session, &org, true)?;
    // Another organisation's row is not found, before the date is looked at.
    state
        .store
        .ledger_row(org.id, Kind::Vendors, f.vendor_row_id)
        .await?;
    let due_on = match f.due_on.trim() {
        "" => None,
        d => match mamori_ledger::values::parse_date(d) {
            Some(d) => Some(d),
            None => {
                return vendor_forms_with(
                    &state,
                    &session,
                    &org,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    |s| {
                        s.error = Some(format!(
                            "回答期限「{d}」を日付として読めません（例：2026-07-31）"
                        ))
                    },
                )
                .await;
            }
        },
    };
    let code =
        mamori_app::vendor_side::invite(&state, &org, &session.user, f.vendor_row_id, due_on)
            .await?;
    vendor_forms_with(&state, &session, &org, StatusCode::OK, |s| {
        s.new_code = Some(code)
    })
    .await
}

/// `POST /vendor-links/invitations/{id}/revoke`
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), _): Posted<serde::de::IgnoredAny>,
) -> PageResult {
    facility_only(&org)?;
    super::may(&session, &org, true)?;
    state
        .store
        .revoke_vendor_invitation(org.id, id, &session.user.login, state.clock.now())
        .await?;
    Ok(Redirect::to("/vendor-forms").into_response())
}

/// `POST /vendor-links/{id}/end`: from either side; what the facility received stays.
pub(crate) async fn end(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), _): Posted<serde::de::IgnoredAny>,
) -> PageResult {
    super::may(&session, &org, true)?;
    state
        .store
        .end_vendor_link(org.id, id, &session.user.login, state.clock.now())
        .await?;
    Ok(Redirect::to(if org.kind == OrgKind::Vendor {
        "/clients"
    } else {
        "/vendor-forms"
    })
    .into_response())
}
