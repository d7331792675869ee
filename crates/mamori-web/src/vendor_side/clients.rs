//! A vendor organisation's side: its clients (顧客施設) and where each stands, taking an invitation, the
//! products tied to a client, a product's form (once per edition), per-client differences, publishing,
//! MDS/SDS, and the list exported as xlsx or CSV (CP932 / UTF-8).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_app::vendor_side::{self, ClientLine, ClientState};
use mamori_core::AnswerSet;
use mamori_store::{DocumentUpload, Org, Product, ProductDocument, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn, Uploaded};
use crate::layout::{Nav, jst_time, nav, render};
use crate::products::vendor_only;
use crate::vendor_forms::{EditTarget, edit_page, inputs_from, typed_from};

#[derive(Deserialize, Default)]
pub(crate) struct EditionQuery {
    #[serde(default)]
    edition: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

pub(crate) struct ProductProgress {
    name: String,
    id: i64,
    clients: usize,
    published: usize,
    accepted: usize,
    questioned: usize,
}

#[derive(Template)]
#[template(path = "vendor_side/clients.html")]
struct ClientsPage {
    nav: Option<Nav>,
    edition: String,
    edition_name: String,
    /// (label, id, count) for every state.
    counts: Vec<(&'static str, &'static str, usize)>,
    progress: Vec<ProductProgress>,
    lines: Vec<ClientLine>,
    products: Vec<Product>,
    can_edit: bool,
    error: Option<String>,
    typed_code: String,
    accepted: bool,
}

/// A due date (ISO) in 和暦.
fn due(d: &Option<String>) -> String {
    d.as_deref()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(mamori_core::dates::wareki)
                .unwrap_or_else(|_| d.to_string())
        })
        .unwrap_or_default()
}

impl ClientsPage {
    fn when(&self, at: &Option<String>) -> String {
        at.as_deref().map(jst_time).unwrap_or_default()
    }
    fn due(&self, d: &Option<String>) -> String {
        due(d)
    }
    fn ties(&self, line: &ClientLine, product: &i64) -> bool {
        line.link.products.iter().any(|(p, _)| p == product)
    }
}

async fn clients_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    edition: &str,
    (error, typed_code): (Option<String>, String),
) -> Result<ClientsPage, PageError> {
    let lines = vendor_side::client_lines(state, org, edition).await?;
    let products: Vec<Product> = state
        .store
        .products(org.id)
        .await?
        .into_iter()
        .filter(|p| !p.disabled)
        .collect();
    let states = [
        ClientState::Invited,
        ClientState::Linked,
        ClientState::Published,
        ClientState::Questioned,
        ClientState::Accepted,
    ];
    let counts = states
        .iter()
        .map(|s| {
            (
                s.label(),
                s.id(),
                lines.iter().filter(|l| l.state == *s).count(),
            )
        })
        .collect();
    let progress = products
        .iter()
        .map(|p| {
            let of = |s: ClientState| {
                lines
                    .iter()
                    .filter(|l| l.product.as_ref().is_some_and(|x| x.0 == p.id) && l.state == s)
                    .count()
            };
            ProductProgress {
                name: p.name.clone(),
                id: p.id,
                clients: lines
                    .iter()
                    .filter(|l| l.product.as_ref().is_some_and(|x| x.0 == p.id))
                    .count(),
                published: of(ClientState::Published),
                accepted: of(ClientState::Accepted),
                questioned: of(ClientState::Questioned),
            }
        })
        .collect();
    let catalog = state.catalog_of(org.id);
    Ok(ClientsPage {
        nav: Some(nav(state, session, org)),
        edition: edition.to_string(),
        edition_name: catalog
            .edition(edition)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        counts,
        progress,
        lines,
        products,
        can_edit: super::may(session, org, true).is_ok(),
        error,
        typed_code,
        accepted: false,
    })
}

/// `GET /clients`: the dashboard.
pub(crate) async fn clients(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<EditionQuery>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, false)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let p = clients_page(&state, &session, &org, &edition, (None, String::new())).await?;
    Ok(render(&p).into_response())
}

/// The chosen product ids of a posted form (`product` repeated).
fn chosen(fields: &[(String, String)], name: &str) -> Vec<i64> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .filter_map(|(_, v)| v.parse().ok())
        .collect()
}

/// `POST /clients/accept`: takes a facility's invitation code with the products it covers.
pub(crate) async fn accept(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    let code = fields
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let edition = state.edition_or_current(&org, None);
    match vendor_side::accept(
        &state,
        &org,
        &session.user,
        &code,
        &chosen(&fields, "product"),
    )
    .await
    {
        Ok(_) => {
            let mut p =
                clients_page(&state, &session, &org, &edition, (None, String::new())).await?;
            p.accepted = true;
            Ok(render(&p).into_response())
        }
        Err(mamori_app::AppError::Refused(_, m)) => {
            let p = clients_page(&state, &session, &org, &edition, (Some(m), code)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /clients/{link}/products`: which products a client link covers.
pub(crate) async fn link_products(
    State(state): State<AppState>,
    Path(link): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    vendor_side::set_products(
        &state,
        &org,
        &session.user,
        link,
        &chosen(&fields, "product"),
    )
    .await?;
    Ok(Redirect::to("/clients").into_response())
}

/// `GET /clients/export.{format}`: the list as xlsx, or CSV in CP932 (`encoding=cp932`, the default for
/// Excel on Japanese Windows) or UTF-8 with a BOM.
pub(crate) async fn export(
    State(state): State<AppState>,
    Path(format): Path<String>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<EditionQuery>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, false)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let lines = vendor_side::client_lines(&state, &org, &edition).await?;
    let (header, rows) = vendor_side::client_table(&lines);
    let (bytes, content_type, ext) = match format.as_str() {
        "xlsx" => (
            mamori_ledger::table_xlsx("顧客施設", &header, &rows).map_err(|e| {
                PageError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Excelファイルを作成できません",
                    e.to_string(),
                )
            })?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "csv" => {
            let utf8 = q.encoding.as_deref() == Some("utf8");
            let encoding = if utf8 {
                mamori_ledger::Encoding::Utf8Bom
            } else {
                mamori_ledger::Encoding::Cp932
            };
            (
                mamori_ledger::table_csv(&header, &rows, encoding),
                if utf8 {
                    "text/csv; charset=utf-8"
                } else {
                    "text/csv; charset=Shift_JIS"
                },
                "csv",
            )
        }
        other => {
            return Err(PageError::not_found(format!(
                "形式「{other}」では書き出せません（xlsx または csv）"
            )));
        }
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mamori-clients-{edition}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- A product: its form, the differences per client, publishing, MDS/SDS

#[derive(Template)]
#[template(path = "vendor_side/product_clients.html")]
struct ProductPage {
    nav: Option<Nav>,
    product: Product,
    edition: String,
    edition_name: String,
    form_state: String,
    has_form: bool,
    /// (link id, facility, state, has overrides, due)
    clients: Vec<(i64, String, &'static str, bool, String)>,
    documents: Vec<ProductDocument>,
    kinds: &'static [&'static str],
    can_edit: bool,
    message: Option<String>,
    error: Option<String>,
}

impl ProductPage {
    fn when(&self, at: &str) -> String {
        jst_time(at)
    }
}

async fn product_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    product_id: i64,
    edition: &str,
    (message, error): (Option<String>, Option<String>),
) -> Result<ProductPage, PageError> {
    let product = state.store.product(org.id, product_id).await?;
    let catalog = state.catalog_of(org.id);
    let form_edition = catalog.vendor_form_for(edition)?.edition.clone();
    let saved = state
        .store
        .product_form(org.id, product_id, &form_edition)
        .await?;
    let overrides: HashMap<i64, usize> = state
        .store
        .product_overrides(org.id, product_id, &form_edition)
        .await?
        .into_iter()
        .map(|(l, a)| (l, a.len()))
        .collect();
    let lines = vendor_side::client_lines(state, org, edition).await?;
    let clients = lines
        .iter()
        .filter(|l| l.product.as_ref().is_some_and(|p| p.0 == product_id))
        .map(|l| {
            (
                l.link.id,
                l.link.facility_name.clone(),
                l.state.label(),
                overrides.contains_key(&l.link.id),
                due(&l.link.due_on),
            )
        })
        .collect();
    let documents = state
        .store
        .product_documents(org.id, true)
        .await?
        .into_iter()
        .filter(|d| d.product_id == product_id)
        .collect();
    Ok(ProductPage {
        nav: Some(nav(state, session, org)),
        edition_name: catalog
            .edition(&form_edition)
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        edition: form_edition.to_string(),
        has_form: saved.is_some(),
        form_state: match &saved {
            Some(f) => format!(
                "保存済み（回答 {} 件）　{}・{}",
                f.answers.len(),
                f.updated_by,
                jst_time(&f.updated_at)
            ),
            None => "未回答".into(),
        },
        product,
        clients,
        documents,
        kinds: vendor_side::DOCUMENT_KINDS,
        can_edit: super::may(session, org, true).is_ok(),
        message,
        error,
    })
}

/// The product's page after an action: its message, or the reason it was refused (422); other errors
/// as an error page.
async fn said_on_product_page(
    state: &AppState,
    session: &Session,
    org: &Org,
    (id, edition): (i64, &str),
    outcome: Result<String, mamori_app::AppError>,
) -> PageResult {
    let (status, said) = match outcome {
        Ok(m) => (StatusCode::OK, (Some(m), None)),
        Err(mamori_app::AppError::Refused(_, m)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, (None, Some(m)))
        }
        Err(e) => return Err(e.into()),
    };
    let p = product_page(state, session, org, id, edition, said).await?;
    Ok((status, render(&p)).into_response())
}

/// `GET /products/{id}/clients`: the product's form state, its clients, publishing and MDS/SDS.
pub(crate) async fn product_clients(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<EditionQuery>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, false)?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let p = product_page(&state, &session, &org, id, &edition, (None, None)).await?;
    Ok(render(&p).into_response())
}

/// `POST /products/{id}/publish`: to the chosen clients (`link` repeated), or to every linked one
/// (`all`).
pub(crate) async fn publish(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    state.store.product(org.id, id).await?;
    let edition = state.edition_or_current(
        &org,
        fields
            .iter()
            .find(|(k, _)| k == "edition")
            .map(|(_, v)| v.as_str()),
    );
    let all = fields.iter().any(|(k, _)| k == "all");
    let links = chosen(&fields, "link");
    let only = (!all).then_some(links.as_slice());
    let outcome = if only.is_some_and(<[i64]>::is_empty) {
        Err(mamori_app::AppError::Refused(
            "公開できません",
            "公開する施設を選んでください".into(),
        ))
    } else {
        vendor_side::publish(&state, &org, &session.user, id, &edition, only).await
    };
    let outcome = outcome.map(|r| {
        format!(
            "{} 施設に公開しました（施設ごとの違いを反映済み）",
            r.clients
        )
    });
    said_on_product_page(&state, &session, &org, (id, &edition), outcome).await
}

/// `POST /products/{id}/documents`: an MDS/SDS file with its kind, version and date (multipart).
pub(crate) async fn upload_document(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    // Who may upload is checked before the file is read.
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().map(str::to_string).as_deref() {
            Some("file") => {
                file_name = field.file_name().unwrap_or("mds-sds").to_string();
                bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            }
            Some(name) => {
                let name = name.to_string();
                fields.insert(name, field.text().await.unwrap_or_default());
            }
            None => {}
        }
    }
    state.store.product(org.id, id).await?;
    let edition = state.edition_or_current(&org, fields.get("edition").map(String::as_str));
    let get = |k: &str| fields.get(k).map(|v| v.trim()).unwrap_or("");
    let outcome = match mamori_ledger::values::parse_date(get("issued_on")) {
        None => Err(mamori_app::AppError::Refused(
            "MDS/SDSを登録できません",
            "作成日を入力してください（例：2026-04-01）".into(),
        )),
        Some(issued_on) => {
            let doc = DocumentUpload {
                kind: get("kind"),
                version: get("version"),
                issued_on,
                file_name: &file_name,
                content_type: "",
                bytes: &bytes,
            };
            vendor_side::upload_document(&state, &org, &session.user, id, &doc).await
        }
    };
    let outcome = outcome
        .map(|_| "MDS/SDSを登録しました。連携している施設の事業者・契約に反映しました".to_string());
    said_on_product_page(&state, &session, &org, (id, &edition), outcome).await
}

/// The every-row page for a product's form, or for one client's differences (`link`).
fn product_target(
    product: &Product,
    edition: &str,
    client: Option<(i64, &str)>,
    notice: Option<String>,
) -> EditTarget {
    match client {
        None => EditTarget {
            heading: format!("{}の事業者確認用に回答する", product.name),
            intro: "この製品の回答は、連携しているすべての施設に共通です。最後に「保存する」を押し、製品のページから公開してください。".into(),
            action: format!("/products/{}/form", product.id),
            back: format!("/products/{}/clients?edition={edition}", product.id),
            notice,
        },
        Some((link, facility)) => EditTarget {
            heading: format!("{}：{facility}だけの違い", product.name),
            intro: "この施設だけ製品の回答と違う行（例：リモート保守をしていない）だけを入力してください。未回答の行は製品の回答のまま公開されます。".into(),
            action: format!("/products/{}/clients/{link}/form", product.id),
            back: format!("/products/{}/clients?edition={edition}", product.id),
            notice,
        },
    }
}

/// `GET /products/{id}/form`: the product's answers, or an earlier edition's as proposals.
pub(crate) async fn product_form(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<EditionQuery>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    let product = state.store.product(org.id, id).await?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let catalog = state.catalog_of(org.id);
    let form = catalog.vendor_form_for(&edition)?;
    let (answers, proposal) =
        vendor_side::product_form_or_proposal(&state, &org, id, &edition).await?;
    let (typed, notice) = match proposal {
        Some((from, fields)) => (
            fields.into_iter().collect(),
            Some(format!(
                "{from}の回答を提案として入れています。内容を確かめ、確認日を入れて保存してください（保存するまで公開されません）。"
            )),
        ),
        None => (typed_from(&AnswerSet::new(answers)), None),
    };
    let page = edit_page(
        &state,
        &session,
        &org,
        product_target(&product, &form.edition, None, notice),
        form,
        &typed,
        &[],
    );
    Ok(render(&page).into_response())
}

/// `POST /products/{id}/form`
pub(crate) async fn product_form_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    save_rows(state, session, org, id, None, fields).await
}

/// Saves the rows of a product's form (`link` None) or of one client's differences: back to the
/// product's page, or the same page with each mistake beside its field.
async fn save_rows(
    state: AppState,
    session: Session,
    org: Org,
    id: i64,
    link: Option<i64>,
    fields: Vec<(String, String)>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    let product = state.store.product(org.id, id).await?;
    let client = match link {
        Some(l) => Some((l, client_name(&state, &org, id, l).await?)),
        None => None,
    };
    let typed: HashMap<String, String> = fields.into_iter().collect();
    let edition = state.edition_or_current(&org, typed.get("edition").map(String::as_str));
    let catalog = state.catalog_of(org.id);
    let form = catalog.vendor_form_for(&edition)?;
    let inputs = inputs_from(form, &typed);
    let user = &session.user;
    let saved = match link {
        None => vendor_side::save_product_form(&state, &org, user, id, &edition, &inputs).await?,
        Some(l) => vendor_side::save_override(&state, &org, user, id, &edition, l, &inputs).await?,
    };
    match saved {
        Ok(_) => Ok(
            Redirect::to(&format!("/products/{id}/clients?edition={}", form.edition))
                .into_response(),
        ),
        Err(errors) => {
            let target = product_target(
                &product,
                &form.edition,
                client.as_ref().map(|(l, n)| (*l, n.as_str())),
                None,
            );
            let page = edit_page(&state, &session, &org, target, form, &typed, &errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

async fn client_name(
    state: &AppState,
    org: &Org,
    product: i64,
    link: i64,
) -> Result<String, PageError> {
    state
        .store
        .vendor_links(org.id, true)
        .await?
        .into_iter()
        .find(|l| l.id == link && l.ended_at.is_none() && l.products.iter().any(|p| p.0 == product))
        .map(|l| l.facility_name)
        .ok_or_else(|| PageError::not_found(format!("この製品の連携 {link} はありません")))
}

/// `GET /products/{id}/clients/{link}/form`: one client's differences.
pub(crate) async fn override_form(
    State(state): State<AppState>,
    Path((id, link)): Path<(i64, i64)>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<EditionQuery>,
) -> PageResult {
    vendor_only(&org)?;
    super::may(&session, &org, true)?;
    let product = state.store.product(org.id, id).await?;
    let facility = client_name(&state, &org, id, link).await?;
    let edition = state.edition_or_current(&org, q.edition.as_deref());
    let catalog = state.catalog_of(org.id);
    let form = catalog.vendor_form_for(&edition)?;
    let existing = state
        .store
        .product_overrides(org.id, id, &form.edition)
        .await?
        .into_iter()
        .find(|(l, _)| *l == link)
        .map(|(_, a)| a)
        .unwrap_or_default();
    let page = edit_page(
        &state,
        &session,
        &org,
        product_target(&product, &form.edition, Some((link, &facility)), None),
        form,
        &typed_from(&AnswerSet::new(existing)),
        &[],
    );
    Ok(render(&page).into_response())
}

/// `POST /products/{id}/clients/{link}/form`
pub(crate) async fn override_submit(
    State(state): State<AppState>,
    Path((id, link)): Path<(i64, i64)>,
    Posted(SignedIn(session, org), fields): Posted<Vec<(String, String)>>,
) -> PageResult {
    save_rows(state, session, org, id, Some(link), fields).await
}
