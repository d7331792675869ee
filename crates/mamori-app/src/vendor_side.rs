//! The vendor's side: a facility invites its vendor from a 事業者・契約 row; the vendor answers the
//! 事業者確認用 once per product and edition (answers of an earlier edition offered as proposals), keeps
//! per-client overrides, publishes to every linked client or chosen ones, and uploads MDS/SDS once; the
//! facility accepts or questions what it received. Used by the web pages and the benchmark.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use mamori_core::{Answer, AnswerInput, AnswerSet, FieldError};
use mamori_ledger::Kind;
use mamori_store::{
    DocumentUpload, FormStatus, Link, Org, OrgKind, PublishReport, ReceivedForm, User,
};

use crate::{App, AppError};

/// The largest MDS/SDS file taken (a few pages of PDF or a workbook).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// The kinds of disclosure document (the 事業者・契約 ledger's choices).
pub const DOCUMENT_KINDS: &[&str] = &["MDS", "SDS", "MDS・SDS"];

fn vendor_only(org: &Org) -> Result<(), AppError> {
    if org.kind == OrgKind::Vendor {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "このページは事業者の組織で使います".into(),
        ))
    }
}

fn facility_only(org: &Org) -> Result<(), AppError> {
    if org.kind.is_facility() {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "このページは医療機関・薬局の組織で使います".into(),
        ))
    }
}

/// The facility makes a one-time code for the vendor of one 事業者・契約 row (shown once).
pub async fn invite(
    app: &App,
    org: &Org,
    user: &User,
    vendor_row_id: i64,
    due_on: Option<NaiveDate>,
) -> Result<String, AppError> {
    facility_only(org)?;
    let (_, code) = app
        .store
        .create_vendor_invitation(org.id, vendor_row_id, due_on, &user.login, app.clock.now())
        .await?;
    Ok(code)
}

/// The vendor organisation takes a code, tying the chosen products to the facility's row.
pub async fn accept(
    app: &App,
    org: &Org,
    user: &User,
    code: &str,
    products: &[i64],
) -> Result<i64, AppError> {
    vendor_only(org)?;
    if code.trim().is_empty() {
        return Err(AppError::Refused(
            "招待コードを入力してください",
            "施設から受け取った招待コード（XXXX-XXXX-XXXX）を入力してください".into(),
        ));
    }
    let link = match app
        .store
        .accept_vendor_invitation(org.id, code, products, &user.login, app.clock.now())
        .await
    {
        Ok(id) => id,
        Err(mamori_store::StoreError::Conflict(m)) => {
            return Err(AppError::Refused("連携できません", m));
        }
        Err(e) => return Err(e.into()),
    };
    share_documents_with(app, org, user, link).await?;
    Ok(link)
}

/// Changes which products a client link covers; the products' MDS/SDS reach the client's row.
pub async fn set_products(
    app: &App,
    org: &Org,
    user: &User,
    link: i64,
    products: &[i64],
) -> Result<(), AppError> {
    vendor_only(org)?;
    app.store
        .set_link_products(org.id, link, products, &user.login, app.clock.now())
        .await?;
    share_documents_with(app, org, user, link).await
}

/// A newly linked client receives the newest MDS/SDS already uploaded for its products.
async fn share_documents_with(
    app: &App,
    org: &Org,
    user: &User,
    link_id: i64,
) -> Result<(), AppError> {
    let Some(link) = app
        .store
        .vendor_links(org.id, true)
        .await?
        .into_iter()
        .find(|l| l.id == link_id)
    else {
        return Ok(());
    };
    let newest = app
        .store
        .product_documents(org.id, true)
        .await?
        .into_iter()
        .find(|d| link.products.iter().any(|(p, _)| *p == d.product_id));
    if let Some(d) = newest {
        fill_mds_sds(app, org, user, &link, &d.kind, &d.version).await?;
    }
    Ok(())
}

/// Writes an MDS/SDS's kind, version and today's date into a client's 事業者・契約 row, audited in the
/// client's trail with the vendor named as the source.
async fn fill_mds_sds(
    app: &App,
    org: &Org,
    user: &User,
    link: &Link,
    kind: &str,
    version: &str,
) -> Result<(), AppError> {
    let row = app
        .store
        .ledger_row(link.facility_org_id, Kind::Vendors, link.vendor_row_id)
        .await?;
    let mut data = row.data.clone();
    data.insert("mds_sds_kind".into(), kind.to_string());
    data.insert("mds_sds_version".into(), version.trim().to_string());
    data.insert(
        "mds_sds_received_on".into(),
        app.clock.today_jst().to_string(),
    );
    app.store
        .save_ledger_row(
            link.facility_org_id,
            Kind::Vendors,
            Some(link.vendor_row_id),
            &data,
            &format!("{}（{}からMDS/SDS共有）", user.login, org.name),
            app.clock.now(),
        )
        .await?;
    Ok(())
}

/// A product's form for an edition as the vendor will see it: the saved answers, or (none saved yet)
/// the latest earlier edition's answers carried to the items that continue them, as proposals without a
/// 確認日 (the vendor confirms each). Returns the answers and, for proposals, the edition they came from.
pub async fn product_form_or_proposal(
    app: &App,
    org: &Org,
    product_id: i64,
    edition: &str,
) -> Result<(Vec<Answer>, Option<(String, Vec<(String, String)>)>), AppError> {
    vendor_only(org)?;
    app.store.product(org.id, product_id).await?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let forms = app.store.product_forms(org.id, product_id).await?;
    if let Some(f) = forms.iter().find(|f| f.edition == form.edition) {
        return Ok((f.answers.clone(), None));
    }
    // The newest earlier edition the product was answered for.
    let fy = catalog.edition(&form.edition)?.fiscal_year;
    let Some(previous) = forms
        .iter()
        .filter_map(|f| Some((catalog.edition(&f.edition).ok()?.fiscal_year, f)))
        .filter(|(y, _)| *y < fy)
        .max_by_key(|(y, _)| *y)
        .map(|(_, f)| f)
    else {
        return Ok((Vec::new(), None));
    };
    let set = AnswerSet::new(previous.answers.clone());
    let mut proposals = Vec::new();
    for (item, target) in form.rows() {
        // The item it continues (an imported edition's link), or the same place in the earlier form.
        let prev_id = catalog
            .predecessor(&item.id)
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "{}.{}.{}",
                    previous.edition,
                    mamori_core::Variant::Vendor.id(),
                    item.key
                )
            });
        if let Some(a) = set.latest(&prev_id, target) {
            let prefix = format!("{}|{}|1|", item.id, target.id());
            proposals.push((
                format!("{prefix}answer"),
                if a.answer == mamori_core::Choice::Yes {
                    "yes"
                } else {
                    "no"
                }
                .to_string(),
            ));
            if !a.note.is_empty() {
                proposals.push((format!("{prefix}note"), a.note.clone()));
            }
        }
    }
    let name = catalog
        .edition(&previous.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    Ok((Vec::new(), Some((name, proposals))))
}

/// Saves a product's form for an edition after the form's rules (nothing saved on a mistake).
pub async fn save_product_form(
    app: &App,
    org: &Org,
    user: &User,
    product_id: i64,
    edition: &str,
    inputs: &[AnswerInput],
) -> Result<Result<usize, Vec<FieldError>>, AppError> {
    vendor_only(org)?;
    app.store.product(org.id, product_id).await?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let answers = match crate::vendor_forms::checked(app, org, edition, form, inputs)? {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    if answers.is_empty() {
        return Ok(Err(vec![FieldError {
            item: String::new(),
            target: String::new(),
            round: 1,
            field: String::new(),
            message: "回答（はい／いいえと確認日）が1件もありません".into(),
        }]));
    }
    app.store
        .save_product_form(
            org.id,
            product_id,
            &form.edition,
            &answers,
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(Ok(answers.len()))
}

/// Saves one client's differences from the product's answers (checked by the same rules; none removes
/// them).
pub async fn save_override(
    app: &App,
    org: &Org,
    user: &User,
    product_id: i64,
    edition: &str,
    link_id: i64,
    inputs: &[AnswerInput],
) -> Result<Result<usize, Vec<FieldError>>, AppError> {
    vendor_only(org)?;
    app.store.product(org.id, product_id).await?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let answers = match crate::vendor_forms::checked(app, org, edition, form, inputs)? {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    app.store
        .save_product_override(
            org.id,
            (link_id, product_id, &form.edition),
            &answers,
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(Ok(answers.len()))
}

/// The product's answers with one client's overrides on top (same item, target and round replaced).
pub fn with_overrides(base: &[Answer], overrides: &[Answer]) -> Vec<Answer> {
    let mut merged: BTreeMap<(String, String, u8), Answer> = base
        .iter()
        .map(|a| {
            (
                (a.item.to_string(), a.target.id().to_string(), a.round),
                a.clone(),
            )
        })
        .collect();
    for a in overrides {
        merged.insert(
            (a.item.to_string(), a.target.id().to_string(), a.round),
            a.clone(),
        );
    }
    merged.into_values().collect()
}

/// Publishes a product's saved form to its linked clients (all of them, or the chosen links), each with
/// its overrides applied.
pub async fn publish(
    app: &App,
    org: &Org,
    user: &User,
    product_id: i64,
    edition: &str,
    only: Option<&[i64]>,
) -> Result<PublishReport, AppError> {
    vendor_only(org)?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let Some(base) = app
        .store
        .product_form(org.id, product_id, &form.edition)
        .await?
    else {
        return Err(AppError::Refused(
            "公開できません",
            "この製品の事業者確認用がまだ保存されていません。先に回答を保存してください".into(),
        ));
    };
    let overrides: HashMap<i64, Vec<Answer>> = app
        .store
        .product_overrides(org.id, product_id, &form.edition)
        .await?
        .into_iter()
        .collect();
    let links: Vec<i64> = match only {
        Some(chosen) => chosen.to_vec(),
        None => app
            .store
            .vendor_links(org.id, true)
            .await?
            .into_iter()
            .filter(|l| l.ended_at.is_none() && l.products.iter().any(|(p, _)| *p == product_id))
            .map(|l| l.id)
            .collect(),
    };
    if links.is_empty() {
        return Err(AppError::Refused(
            "公開できません",
            "この製品と連携している施設がありません（施設を選んでください）".into(),
        ));
    }
    let to: Vec<(i64, Vec<Answer>)> = links
        .into_iter()
        .map(|l| {
            let answers = match overrides.get(&l) {
                Some(o) => with_overrides(&base.answers, o),
                None => base.answers.clone(),
            };
            (l, answers)
        })
        .collect();
    Ok(app
        .store
        .publish_product_form(
            org.id,
            product_id,
            &form.edition,
            &to,
            &user.login,
            app.clock.now(),
        )
        .await?)
}

/// Keeps a product's MDS/SDS once for every linked client and fills the clients' 事業者・契約 rows (kind,
/// version, 受領日) with the vendor named as the source in their audit trails.
pub async fn upload_document(
    app: &App,
    org: &Org,
    user: &User,
    product_id: i64,
    doc: &DocumentUpload<'_>,
) -> Result<i64, AppError> {
    vendor_only(org)?;
    app.store.product(org.id, product_id).await?;
    let refuse = |m: &str| Err(AppError::Refused("MDS/SDSを登録できません", m.to_string()));
    if !DOCUMENT_KINDS.contains(&doc.kind) {
        return refuse("種類は MDS、SDS、MDS・SDS のどれかを選んでください");
    }
    if doc.bytes.is_empty() {
        return refuse("ファイル（PDF または xlsx）を選んでください");
    }
    if doc.bytes.len() > MAX_DOCUMENT_BYTES {
        return refuse("ファイルが大きすぎます（20MBまで）");
    }
    let content_type = if doc.bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if doc.bytes.starts_with(b"PK\x03\x04") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        return refuse("PDF または Excel（xlsx）のファイルを選んでください");
    };
    if doc.version.trim().is_empty() || doc.version.chars().count() > 50 {
        return refuse("版を50文字以内で入力してください");
    }
    let doc = DocumentUpload {
        content_type,
        ..*doc
    };
    let now = app.clock.now();
    let id = app
        .store
        .add_product_document(org.id, product_id, &doc, &user.login, now)
        .await?;
    for link in app.store.vendor_links(org.id, true).await? {
        if link.ended_at.is_some() || !link.products.iter().any(|(p, _)| *p == product_id) {
            continue;
        }
        fill_mds_sds(app, org, user, &link, doc.kind, doc.version).await?;
    }
    Ok(id)
}

/// Where a client stands with the vendor for one product and edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum ClientState {
    /// Linked, no product chosen yet.
    Invited,
    Linked,
    Published,
    Questioned,
    Accepted,
}

impl ClientState {
    pub fn label(self) -> &'static str {
        match self {
            ClientState::Invited => "招待受諾（製品未選択）",
            ClientState::Linked => "連携済み（未公開）",
            ClientState::Published => "公開済み（施設の確認待ち）",
            ClientState::Questioned => "質問あり",
            ClientState::Accepted => "受理済み",
        }
    }
    pub fn id(self) -> &'static str {
        match self {
            ClientState::Invited => "invited",
            ClientState::Linked => "linked",
            ClientState::Published => "published",
            ClientState::Questioned => "questioned",
            ClientState::Accepted => "accepted",
        }
    }
}

/// One line of the vendor's dashboard: a client and one product (or none chosen yet).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientLine {
    pub link: Link,
    pub product: Option<(i64, String)>,
    pub state: ClientState,
    /// The published form's id (the thread), if published.
    pub form_id: Option<i64>,
    pub published_at: Option<String>,
}

/// The vendor's clients (active links) by product, with where each stands for the edition: two store
/// reads however many clients.
pub async fn client_lines(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<Vec<ClientLine>, AppError> {
    vendor_only(org)?;
    let catalog = app.catalog_of(org.id);
    let form_edition = catalog.vendor_form_for(edition)?.edition.clone();
    let published: HashMap<(i64, i64), ReceivedForm> = app
        .store
        .published_forms(org.id)
        .await?
        .into_iter()
        .filter(|f| f.edition == form_edition)
        .map(|f| ((f.link_id, f.product_id), f))
        .collect();
    let mut out = Vec::new();
    for link in app.store.vendor_links(org.id, true).await? {
        if link.ended_at.is_some() {
            continue;
        }
        if link.products.is_empty() {
            out.push(ClientLine {
                link,
                product: None,
                state: ClientState::Invited,
                form_id: None,
                published_at: None,
            });
            continue;
        }
        for product in link.products.clone() {
            let form = published.get(&(link.id, product.0));
            out.push(ClientLine {
                link: link.clone(),
                state: match form.map(|f| f.status) {
                    None => ClientState::Linked,
                    Some(FormStatus::Published) => ClientState::Published,
                    Some(FormStatus::Questioned) => ClientState::Questioned,
                    Some(FormStatus::Accepted) => ClientState::Accepted,
                },
                form_id: form.map(|f| f.id),
                published_at: form.map(|f| f.published_at.clone()),
                product: Some(product),
            });
        }
    }
    Ok(out)
}

/// The dashboard's list as a table (header, rows) for CSV and xlsx.
pub fn client_table(lines: &[ClientLine]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["施設", "製品", "状況", "回答期限", "公開日時", "連携日"];
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                l.link.facility_name.clone(),
                l.product.as_ref().map(|p| p.1.clone()).unwrap_or_default(),
                l.state.label().to_string(),
                l.link.due_on.clone().unwrap_or_default(),
                l.published_at.clone().unwrap_or_default(),
                l.link.created_at.get(..10).unwrap_or_default().to_string(),
            ]
        })
        .collect();
    (header, rows)
}

/// The facility accepts a received form, or questions it with a comment (required).
pub async fn decide(
    app: &App,
    org: &Org,
    user: &User,
    form_id: i64,
    accept: bool,
    comment: &str,
) -> Result<(), AppError> {
    facility_only(org)?;
    let comment = comment.trim();
    if !accept && comment.is_empty() {
        return Err(AppError::Refused(
            "質問を送れません",
            "事業者への質問の内容を入力してください".into(),
        ));
    }
    if comment.chars().count() > 2000 {
        return Err(AppError::Refused(
            "送れません",
            "コメントは2000文字以内にしてください".into(),
        ));
    }
    let status = if accept {
        FormStatus::Accepted
    } else {
        FormStatus::Questioned
    };
    app.store
        .decide_received_form(
            org.id,
            form_id,
            status,
            Some(comment).filter(|c| !c.is_empty()),
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(())
}

/// Either side writes in a received form's thread.
pub async fn comment(
    app: &App,
    org: &Org,
    user: &User,
    form_id: i64,
    body: &str,
) -> Result<(), AppError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 2000 {
        // Not found comes first: another organisation's form is not there at all.
        app.store.received_form(org.id, form_id).await?;
        return Err(AppError::Refused(
            "送れません",
            "コメントを2000文字以内で入力してください".into(),
        ));
    }
    app.store
        .add_form_comment(
            org.id,
            form_id,
            body,
            &format!("{}（{}）", user.login, org.name),
            app.clock.now(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_core::{Choice, Target};
    use proptest::prelude::*;

    proptest! {
        /// Merging keeps every place of the product's answers and of the overrides, once each, and an
        /// override wins where both answer.
        #[test]
        fn overrides_win_and_nothing_is_lost(
            base in proptest::collection::vec((1u8..6, 1u8..3, any::<bool>()), 0..12),
            over in proptest::collection::vec((1u8..6, 1u8..3, any::<bool>()), 0..6),
        ) {
            let to_answers = |v: &[(u8, u8, bool)]| -> Vec<Answer> {
                v.iter()
                    .map(|(i, r, yes)| answer(&format!("r7.vendor.{i}"), *r, if *yes { Choice::Yes } else { Choice::No }))
                    .collect()
            };
            let (base, over) = (to_answers(&base), to_answers(&over));
            let merged = with_overrides(&base, &over);
            let key = |a: &Answer| (a.item.to_string(), a.round);
            let mut places: Vec<_> = base.iter().chain(&over).map(key).collect();
            places.sort();
            places.dedup();
            prop_assert_eq!(merged.iter().map(key).collect::<Vec<_>>(), places);
            for o in &over {
                let last = over.iter().rev().find(|x| key(x) == key(o)).unwrap();
                prop_assert_eq!(merged.iter().find(|m| key(m) == key(o)).unwrap().answer, last.answer);
            }
        }
    }

    fn answer(item: &str, round: u8, choice: Choice) -> Answer {
        Answer {
            item: item.into(),
            target: Target::General,
            round,
            answer: choice,
            checked_on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            target_date: None,
            note: String::new(),
        }
    }

    #[test]
    fn an_override_replaces_only_its_own_item_and_round() {
        let base = vec![
            answer("r7.vendor.1", 1, Choice::Yes),
            answer("r7.vendor.2", 1, Choice::Yes),
            answer("r7.vendor.2", 2, Choice::Yes),
        ];
        let merged = with_overrides(&base, &[answer("r7.vendor.2", 1, Choice::No)]);
        assert_eq!(merged.len(), 3);
        let of = |item: &str, round| {
            merged
                .iter()
                .find(|a| a.item == item && a.round == round)
                .unwrap()
                .answer
        };
        assert_eq!(of("r7.vendor.1", 1), Choice::Yes);
        assert_eq!(of("r7.vendor.2", 1), Choice::No);
        assert_eq!(of("r7.vendor.2", 2), Choice::Yes);
        assert_eq!(with_overrides(&base, &[]), {
            let mut b = base.clone();
            b.sort_by_key(|x| (x.item.to_string(), x.round));
            b
        });
    }
}
