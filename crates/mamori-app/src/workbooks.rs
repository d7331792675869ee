//! The checklist as Excel: Mamori's own layout for the built-in editions, and for an edition imported
//! from MHLW's workbook a copy of that workbook with the answers written in.

use mamori_core::AnswerSet;
use mamori_core::catalog::Form;
use mamori_core::dates::wareki;
use mamori_store::{Org, StoreError};

use crate::{App, AppError, AppResult};

/// The checklist workbook of one organisation (shared by the page and the API).
pub async fn checklist_workbook(app: &App, org: &Org, form: &Form) -> AppResult<Vec<u8>> {
    let answers = AnswerSet::new(
        app.store
            .answers(org.id, &form.edition, form.variant)
            .await?,
    );
    if let Some(bytes) = filled_official_workbook(app, org, form, &answers).await? {
        return Ok(bytes);
    }
    let today = app.clock.today_jst();
    let fiscal_year = app.fiscal_year(org.id, &form.edition)?;
    mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &app.catalog_of(org.id),
        form,
        org_name: &org.name,
        answers: &answers,
        has_vendor_contract: org.has_vendor_contract,
        fiscal_year,
        created_on: today,
    })
    .map_err(AppError::from)
}

/// For an edition imported from MHLW's workbook: a copy of that workbook with the answers, dates and notes
/// in the cells its layout map found (and the facility's name and dates in the header fields), everything
/// else as it was. `None` for the built-in editions.
async fn filled_official_workbook(
    app: &App,
    org: &Org,
    form: &Form,
    answers: &AnswerSet,
) -> AppResult<Option<Vec<u8>>> {
    if !app.catalog_of(org.id).is_imported(&form.edition) {
        return Ok(None);
    }
    let Some(imp) = app
        .store
        .confirmed_editions(org.id)
        .await?
        .into_iter()
        .find(|i| i.edition == form.edition)
    else {
        return Ok(None);
    };
    let draft: mamori_report::edition_import::EditionDraft = serde_json::from_str(&imp.data)
        .map_err(|e| StoreError::Corrupt(format!("取り込んだ版 {}: {e}", imp.edition)))?;
    let Some(d) = draft.form(form.variant) else {
        return Ok(None);
    };
    let Some(book) = app
        .store
        .edition_workbook(org.id, imp.id, form.variant.id())
        .await?
    else {
        return Ok(None);
    };
    let today = wareki(app.clock.today_jst());
    let checked = answers
        .iter()
        .filter(|a| a.round == 1)
        .map(|a| a.checked_on)
        .max()
        .map(wareki)
        .unwrap_or_default();
    let mut fields: Vec<(&str, String)> = [
        "医療機関・薬局名",
        "医療機関等名",
        "医療機関名",
        "薬局名",
        "施設名",
    ]
    .into_iter()
    .map(|l| (l, org.name.clone()))
    .collect();
    fields.push(("作成日", today.clone()));
    fields.push(("記入日", today));
    if !checked.is_empty() {
        fields.push(("確認日", checked));
    }
    let values = mamori_report::workbook_fill::answer_cells(
        &d.layout,
        form,
        answers,
        org.has_vendor_contract,
        &fields,
    );
    mamori_report::workbook_fill::fill_workbook(&book, &d.layout.sheet, &values)
        .map(Some)
        .map_err(AppError::from)
}
