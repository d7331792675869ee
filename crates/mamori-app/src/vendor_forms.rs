//! Each vendor's 事業者確認用 (imported from the vendor's filled workbook) and the reconciliation of the
//! facility's answers, the vendors' answers and the ledgers: what the page `/vendor-forms`, its API, the
//! inspection pack and `mamori export checklist --vendor` use.

use mamori_core::answers::validate_batch;
use mamori_core::{AnswerInput, AnswerSet, FieldError, RuleContext};
use mamori_evidence::reconcile::{Contradiction, VendorForm, reconcile};
use mamori_ledger::Kind;
use mamori_report::checklist_import::SheetError;
use mamori_store::{Org, StoreError, User};

use crate::{App, AppError};

/// A vendor of the 事業者・契約 ledger with its recorded form, if any.
pub struct VendorWithForm {
    pub vendor_id: i64,
    pub name: String,
    pub systems: String,
    pub answers: Option<AnswerSet>,
    pub updated: Option<(String, String)>,
}

/// Every enabled vendor of the organisation, with its form for the edition.
pub async fn vendors_with_forms(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<Vec<VendorWithForm>, StoreError> {
    let mut forms = app.store.vendor_forms(org.id, edition).await?;
    let mut out = Vec::new();
    for row in app.store.ledger_all(org.id, Kind::Vendors).await? {
        if row.disabled {
            continue;
        }
        let recorded = forms
            .iter()
            .position(|f| f.vendor_id == row.id)
            .map(|i| forms.swap_remove(i));
        out.push(VendorWithForm {
            vendor_id: row.id,
            name: row.data.get("name").cloned().unwrap_or_default(),
            systems: row.data.get("systems").cloned().unwrap_or_default(),
            updated: recorded
                .as_ref()
                .map(|f| (f.updated_by.clone(), f.updated_at.clone())),
            answers: recorded.map(|f| AnswerSet::new(f.answers)),
        });
    }
    Ok(out)
}

/// The contradictions for an edition (see `mamori_evidence::reconcile`).
pub async fn reconciliation(
    app: &App,
    org: &Org,
    edition: &str,
) -> Result<Vec<Contradiction>, AppError> {
    let catalog = app.catalog_of(org.id);
    let facility_form =
        catalog.require_form(edition, crate::own_variant(&catalog, edition, org))?;
    let vendor_form = catalog.vendor_form_for(edition)?;
    let facility = AnswerSet::new(
        app.store
            .answers(org.id, edition, facility_form.variant)
            .await?,
    );
    let vendors = vendors_with_forms(app, org, edition).await?;
    let received = received_answers(app, org, vendor_form).await?;
    let recorded: Vec<VendorForm<'_>> = vendors
        .iter()
        .filter_map(|v| {
            Some(VendorForm {
                vendor_id: v.vendor_id,
                product: None,
                form: vendor_form,
                answers: v.answers.as_ref()?,
            })
        })
        .chain(received.iter().map(|(f, answers)| VendorForm {
            vendor_id: f.vendor_row_id,
            product: Some(&f.product_name),
            form: vendor_form,
            answers,
        }))
        .collect();
    let version = app.store.ledger_version(org.id).await?;
    let facts = crate::evidence::evidence_facts(app, org, version).await?;
    Ok(reconcile(facility_form, &facility, &recorded, &facts))
}

/// The forms linked vendors published to the facility for the vendor form's edition, with their answers.
pub async fn received_answers(
    app: &App,
    org: &Org,
    vendor_form: &mamori_core::catalog::Form,
) -> Result<Vec<(mamori_store::ReceivedForm, AnswerSet)>, StoreError> {
    Ok(app
        .store
        .received_forms(org.id, Some(&vendor_form.edition))
        .await?
        .into_iter()
        .map(|f| {
            let answers = AnswerSet::new(f.answers.clone());
            (f, answers)
        })
        .collect())
}

/// Reads a vendor's filled 事業者確認用 and records it (replacing the one before). All-or-nothing: the
/// form's rules apply as to the facility's own answers.
pub async fn import_vendor_form(
    app: &App,
    org: &Org,
    user: &User,
    vendor_id: i64,
    edition: &str,
    bytes: &[u8],
) -> Result<Result<usize, Vec<SheetError>>, AppError> {
    // Another organisation's vendor is not found, before any file is read.
    app.store
        .ledger_row(org.id, Kind::Vendors, vendor_id)
        .await?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let imported = match crate::checklist_import::read_answers(app, &catalog, form, bytes).await {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    let answers = match checked(app, org, edition, form, &imported.inputs)? {
        Ok(a) => a,
        Err(errors) => {
            return Ok(Err(errors
                .into_iter()
                .map(|e| SheetError {
                    row: imported
                        .rows
                        .get(&(e.item.clone(), e.target.clone()))
                        .copied()
                        .unwrap_or(0),
                    column: if e.round == 2 { "2回目" } else { "1回目" }.into(),
                    message: e.message,
                })
                .collect()));
        }
    };
    if answers.is_empty() {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: "回答（はい／いいえと確認日）が1件もありません".into(),
        }]));
    }
    save(app, org, user, vendor_id, edition, &answers).await
}

/// Records a vendor's form as typed in on the page (replacing the one before), checked by the form's
/// rules. Returns the number of answers, or the broken rules with nothing saved.
pub async fn save_typed_vendor_form(
    app: &App,
    org: &Org,
    user: &User,
    vendor_id: i64,
    edition: &str,
    inputs: &[AnswerInput],
) -> Result<Result<usize, Vec<FieldError>>, AppError> {
    app.store
        .ledger_row(org.id, Kind::Vendors, vendor_id)
        .await?;
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    match checked(app, org, edition, form, inputs)? {
        Ok(answers) => save(app, org, user, vendor_id, edition, &answers).await,
        Err(errors) => Ok(Err(errors)),
    }
}

/// A vendor form's answers checked by the form's rules (a vendor form has its vendor, so 2(2) and 2(3)
/// are asked), whether they came from a workbook or the page.
pub(crate) fn checked(
    app: &App,
    org: &Org,
    edition: &str,
    form: &mamori_core::catalog::Form,
    inputs: &[AnswerInput],
) -> Result<Result<Vec<mamori_core::Answer>, Vec<FieldError>>, AppError> {
    let ctx = RuleContext {
        form,
        fiscal_year: app.fiscal_year(org.id, edition)?,
        today: app.clock.today_jst(),
        has_vendor_contract: true,
    };
    Ok(validate_batch(&ctx, &AnswerSet::default(), inputs))
}

/// Records a vendor's checked form, replacing the one before; how many answers it holds.
async fn save<E>(
    app: &App,
    org: &Org,
    user: &User,
    vendor_id: i64,
    edition: &str,
    answers: &[mamori_core::Answer],
) -> Result<Result<usize, E>, AppError> {
    app.store
        .save_vendor_form(
            org.id,
            vendor_id,
            edition,
            answers,
            &user.login,
            app.clock.now(),
        )
        .await?;
    Ok(Ok(answers.len()))
}

/// One vendor's recorded form (name, answers) for the edition, or a Japanese "not found".
pub async fn vendor_form_of(
    app: &App,
    org: &Org,
    vendor_id: i64,
    edition: &str,
) -> Result<Option<(String, AnswerSet)>, StoreError> {
    Ok(vendors_with_forms(app, org, edition)
        .await?
        .into_iter()
        .find(|v| v.vendor_id == vendor_id)
        .and_then(|v| Some((v.name, v.answers?))))
}

/// A vendor's form as the facility recorded it, as xlsx (the facility's name and the vendor's on the header).
pub async fn vendor_form_xlsx(
    app: &App,
    org: &Org,
    name: &str,
    answers: &AnswerSet,
    edition: &str,
) -> Result<Vec<u8>, AppError> {
    let catalog = app.catalog_of(org.id);
    let form = catalog.vendor_form_for(edition)?;
    let org_name = format!("{}（事業者：{name}）", org.name);
    Ok(mamori_report::checklist_xlsx(
        &mamori_report::ChecklistExport {
            catalog: &catalog,
            form,
            org_name: &org_name,
            answers,
            has_vendor_contract: true,
            fiscal_year: app.fiscal_year(org.id, edition)?,
            created_on: app.clock.today_jst(),
        },
    )?)
}
