//! PDF documents of an organisation: one form as PDF, and the inspection pack (立入検査用資料) — cover, the
//! facility's form, the vendor form, ledger summaries and the evidence behind each いいえ. Shared by the
//! pages, the API and `mamori export pack`.

use std::collections::HashMap;

use mamori_core::AnswerSet;
use mamori_core::catalog::Form;
use mamori_ledger::Kind;
use mamori_report::pack::{PackForm, PackInput, pack_data};
use mamori_store::{Org, StoreError};

use crate::{App, AppError};

/// A form in a document, with the answers it shows and, for a vendor's form, the vendor's name.
pub struct DocForm<'a> {
    pub form: &'a Form,
    pub answers: AnswerSet,
    pub vendor: Option<String>,
}

/// What the pack's cover says when the form is an older edition used for the year: a statement for the
/// 保健所, labelled as Mamori's, without the screens' instructions.
fn pack_notice(app: &App, org: &Org, edition: &str) -> Result<Option<String>, AppError> {
    if app.fallback_notice(org, edition).is_none() {
        return Ok(None);
    }
    let catalog = app.catalog_of(org.id);
    let fy = app.fiscal_year(org.id, edition)?;
    let name = catalog.edition(edition)?.name.clone();
    Ok(Some(format!(
        "【Mamori による注記】{}の確認に{name}の様式を使用しています（{}の版の様式はこの施設の Mamori に取り込まれていません）。「いいえ」の目標日は{}中の日付です。",
        fy.label(),
        fy.label(),
        fy.label()
    )))
}

/// The 事業者・契約 rows that have a 事業者確認用 for `edition`, recorded in Mamori or received from the
/// vendor.
pub async fn vendor_rows_with_forms(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<std::collections::HashSet<i64>, AppError> {
    let catalog = app.catalog_of(org.id);
    let vendor_form = catalog.vendor_form_for(edition)?;
    let mut have: std::collections::HashSet<i64> = app
        .store
        .vendor_forms(org.id, edition)
        .await?
        .into_iter()
        .map(|f| f.vendor_id)
        .collect();
    have.extend(
        app.store
            .received_forms(org.id, Some(&vendor_form.edition))
            .await?
            .into_iter()
            .map(|f| f.vendor_row_id),
    );
    Ok(have)
}

/// The vendors of the 事業者・契約 ledger without a 事業者確認用 for `edition` (neither recorded nor
/// received): (name, systems).
pub async fn missing_vendor_forms(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let have = vendor_rows_with_forms(app, org, edition).await?;
    Ok(app
        .store
        .ledger_all(org.id, Kind::Vendors)
        .await?
        .into_iter()
        .filter(|r| !r.disabled && !have.contains(&r.id))
        .map(|r| {
            let get = |k: &str| r.data.get(k).cloned().unwrap_or_default();
            (get("name"), get("systems"))
        })
        .collect())
}

/// The organisation's own answers to a form.
async fn own(app: &App, org: &Org, form: &Form) -> Result<AnswerSet, StoreError> {
    Ok(AnswerSet::new(
        app.store
            .answers(org.id, &form.edition, form.variant)
            .await?,
    ))
}

/// Renders the forms and, for the pack, the いいえ, the reconciliation and the ledgers.
async fn render(
    app: &App,
    org: &Org,
    forms: Vec<DocForm<'_>>,
    whole_pack: bool,
) -> Result<mamori_pdf::Pdf, AppError> {
    let first = forms[0].form;
    let mut ledgers = HashMap::new();
    let mut evidence = HashMap::new();
    let mut contradictions = Vec::new();
    if whole_pack {
        for kind in Kind::ALL {
            let rows = app
                .store
                .ledger_all(org.id, kind)
                .await?
                .into_iter()
                .filter(|r| !r.disabled)
                .map(|r| r.data)
                .collect();
            ledgers.insert(kind, rows);
        }
        for s in crate::evidence::form_suggestions(app, org, first)
            .await?
            .iter()
        {
            evidence.insert(
                s.item.clone(),
                (s.verdict.label().to_string(), s.reasons.clone()),
            );
        }
        contradictions = crate::vendor_forms::reconciliation(app, org, &first.edition)
            .await?
            .into_iter()
            .map(|c| (c.vendor.unwrap_or_default(), c.message, c.next))
            .collect();
    }
    let input = PackInput {
        catalog: &app.catalog_of(org.id),
        org_name: &org.name,
        org_kind: org.kind.label(),
        security_officer: &org.security_officer,
        fiscal_year: app.fiscal_year(org.id, &first.edition)?,
        created_on: app.clock.today_jst(),
        notice: pack_notice(app, org, &first.edition)?,
        has_vendor_contract: org.has_vendor_contract,
        forms: forms
            .iter()
            .map(|f| PackForm {
                form: f.form,
                answers: &f.answers,
                vendor: f.vendor.clone(),
            })
            .collect(),
        ledgers: &ledgers,
        evidence: &evidence,
        contradictions: &contradictions,
    };
    let mut data = pack_data(&input);
    if whole_pack {
        data["signoffs"] = crate::report::pack_signoffs(app, org, &first.edition).await?;
        // Vendors whose 事業者確認用 was not received: listed on one page, never printed as blank forms.
        if org.has_vendor_contract {
            data["missing_vendor_forms"] = missing_vendor_forms(app, org, &first.edition)
                .await?
                .into_iter()
                .map(|(name, systems)| serde_json::json!({ "name": name, "systems": systems }))
                .collect::<Vec<_>>()
                .into();
        }
        // The audit chain's head now, printed on the cover: a record of it kept outside the database
        // (`mamori audit verify` tells whether a later chain still holds it).
        let (head, records) = app.store.audit_head().await?;
        data["audit_anchor"] = format!(
            "Mamori の変更履歴（監査記録）: {records} 件、連鎖の先頭 {head}（作成時点。mamori audit verify --head で、後の記録に残っているかを確かめられます）"
        )
        .into();
        // 3(1)'s 連絡体制図, drawn from the 外部連絡リスト.
        if org.kind.is_facility() {
            data["contact_chart"] = crate::bcp::contact_chart(app, org).await?.into();
        }
    }
    if !whole_pack {
        data["ledgers"] = serde_json::json!([]);
        data["noes"] = serde_json::Value::Null;
        data["contradictions"] = serde_json::Value::Null;
        data["cover"] = false.into();
        data["pack_title"] = first.title.clone().into();
    }
    let today = app.clock.today_jst();
    Ok(app
        .heavy(move || mamori_pdf::render(mamori_pdf::PACK_TEMPLATE, &data, today))
        .await?)
}

/// One form with its answers (the organisation's own, or a vendor's), as PDF.
pub async fn form_pdf(
    app: &App,
    org: &Org,
    form: &Form,
    vendor: Option<(String, AnswerSet)>,
) -> Result<Vec<u8>, AppError> {
    let doc = match vendor {
        Some((name, answers)) => DocForm {
            form,
            answers,
            vendor: Some(name),
        },
        None => DocForm {
            form,
            answers: own(app, org, form).await?,
            vendor: None,
        },
    };
    Ok(render(app, org, vec![doc], false).await?.bytes)
}

/// The inspection pack for an edition: the organisation's own form; the vendor form as answered in
/// Mamori (when it has a vendor contract and no vendor's form was imported, or it has answers); every
/// vendor's imported 事業者確認用; the いいえ; the reconciliation; the ledgers.
pub async fn inspection_pack(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<mamori_pdf::Pdf, AppError> {
    let catalog = app.catalog_of(org.id);
    let forms = pack_forms(app, org, &catalog, edition).await?;
    render(app, org, forms, true).await
}

/// The forms the inspection pack prints, in order (see [`inspection_pack`]); `catalog` is the
/// organisation's.
pub async fn pack_forms<'a>(
    app: &App,
    org: &Org,
    catalog: &'a mamori_core::Catalog,
    edition: &str,
) -> Result<Vec<DocForm<'a>>, AppError> {
    let own_form = catalog.require_form(edition, crate::own_variant(catalog, edition, org))?;
    let vendor_form = catalog.vendor_form_for(edition)?;
    let mut forms = vec![DocForm {
        form: own_form,
        answers: own(app, org, own_form).await?,
        vendor: None,
    }];
    let imported: Vec<DocForm<'_>> = crate::vendor_forms::vendors_with_forms(app, org, edition)
        .await?
        .into_iter()
        .filter_map(|v| {
            Some(DocForm {
                form: vendor_form,
                answers: v.answers?,
                vendor: Some(v.name),
            })
        })
        .collect();
    let received: Vec<DocForm<'_>> = crate::vendor_forms::received_answers(app, org, vendor_form)
        .await?
        .into_iter()
        .map(|(f, answers)| DocForm {
            form: vendor_form,
            answers,
            vendor: Some(format!(
                "{}（{}）{}公開・{}",
                f.vendor_name,
                f.product_name,
                f.published_at.get(..10).unwrap_or_default(),
                f.status.label()
            )),
        })
        .collect();
    let in_mamori = own(app, org, vendor_form).await?;
    // The vendor form answered in Mamori only when it has answers: a blank form is no evidence (the
    // vendors whose forms are missing are listed on a page of their own).
    if org.has_vendor_contract && in_mamori.iter().next().is_some() {
        forms.push(DocForm {
            form: vendor_form,
            answers: in_mamori,
            vendor: None,
        });
    }
    forms.extend(imported);
    forms.extend(received);
    Ok(forms)
}
