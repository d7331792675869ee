//! Importing a filled checklist workbook (Mamori's own export, or a facility's Excel from an earlier year
//! laid out like the form) into answers: the same rules as answering on the page, all-or-nothing, every
//! problem named by the workbook's row and column. Used by the page, the API and `mamori import checklist`.

use mamori_core::FieldError;
use mamori_core::catalog::Form;
use mamori_report::checklist_import::{
    ImportedAnswers, SheetError, read_checklist_xlsx, read_official_answers,
};
use mamori_store::{Org, User};

use crate::{App, AppResult};

/// What an import did, or would do with `dry_run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ChecklistImport {
    /// Item rows read from the workbook.
    pub item_rows: usize,
    /// Answers (rounds) found, and saved unless this was a dry run.
    pub answers: usize,
    pub dry_run: bool,
}

/// A broken rule, as a cell of the workbook.
fn sheet_error(imported: &ImportedAnswers, e: FieldError) -> SheetError {
    let row = imported
        .rows
        .get(&(e.item.clone(), e.target.clone()))
        .copied()
        .unwrap_or(0);
    let column = match e.field.as_str() {
        "note" => "備考".to_string(),
        _ if e.round == 2 => "2回目".to_string(),
        _ => "1回目".to_string(),
    };
    SheetError {
        row,
        column,
        message: e.message,
    }
}

/// The answers in a filled workbook: an imported edition's official workbook by its recognised layout,
/// a built-in edition's by Mamori's layout (or its item texts).
/// Read on the heavy-work pool.
pub async fn read_answers(
    app: &App,
    catalog: &std::sync::Arc<mamori_core::Catalog>,
    form: &Form,
    bytes: &[u8],
) -> Result<ImportedAnswers, Vec<SheetError>> {
    let (catalog, form, bytes) = (catalog.clone(), form.clone(), bytes.to_vec());
    app.heavy(move || {
        if catalog.is_imported(&form.edition) {
            read_official_answers(&form, &bytes)
        } else {
            read_checklist_xlsx(&catalog, &form, &bytes)
        }
    })
    .await
}

/// Reads `bytes` as the form's workbook and saves its answers (over the stored ones of the same rows),
/// or only checks them with `dry_run`. `Ok(Err(..))`: nothing was saved, and here is why.
pub async fn import_checklist(
    app: &App,
    org: &Org,
    user: &User,
    form: &Form,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<Result<ChecklistImport, Vec<SheetError>>> {
    let imported = match read_answers(app, &app.catalog_of(org.id), form, bytes).await {
        Ok(i) => i,
        Err(errors) => return Ok(Err(errors)),
    };
    if imported.inputs.is_empty() {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: "回答（はい／いいえと確認日）が1件もありません".into(),
        }]));
    }
    if app.fiscal_year(org.id, &form.edition).is_err() {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: format!("版「{}」の年度がわかりません", form.edition),
        }]));
    }
    let suggestions =
        crate::evidence::by_item(&crate::evidence::suggestions_for(app, org, user, form).await?);
    let result = if dry_run {
        let stored = app
            .store
            .answers(org.id, &form.edition, form.variant)
            .await?;
        let ctx = crate::answers::rule_context(app, org, form)?;
        crate::answers::check(
            &ctx,
            &mamori_core::AnswerSet::new(stored),
            &imported.inputs,
            &suggestions,
        )
    } else {
        crate::answers::save_answers(app, org, user, form, &imported.inputs, &suggestions).await?
    };
    Ok(match result {
        Ok(saved) => Ok(ChecklistImport {
            item_rows: imported.item_rows,
            answers: saved.len(),
            dry_run,
        }),
        Err(errors) => {
            let mut errors: Vec<SheetError> = errors
                .into_iter()
                .map(|e| sheet_error(&imported, e))
                .collect();
            errors.sort_by_key(|e| e.row);
            Err(errors)
        }
    })
}
