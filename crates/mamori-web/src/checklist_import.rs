//! Importing a filled checklist workbook (Mamori's own export, or a facility's Excel from an earlier year
//! laid out like the form) into answers: the same rules as answering on the page, all-or-nothing, every
//! problem named by the workbook's row and column. Used by the page, the API and `mamori import checklist`.

use mamori_core::answers::validate_batch;
use mamori_core::catalog::Form;
use mamori_core::{FieldError, RuleContext};
use mamori_report::checklist_import::{ImportedAnswers, SheetError, read_checklist_xlsx};
use mamori_store::{Actor, Org, StoreError, User};

use crate::AppState;

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

/// Reads `bytes` as the form's workbook and saves its answers (over the stored ones of the same rows),
/// or only checks them with `dry_run`. `Ok(Err(..))`: nothing was saved, and here is why.
pub async fn import_checklist(
    state: &AppState,
    org: &Org,
    user: &User,
    form: &Form,
    bytes: &[u8],
    dry_run: bool,
) -> Result<Result<ChecklistImport, Vec<SheetError>>, StoreError> {
    let imported = match read_checklist_xlsx(&state.catalog, form, bytes) {
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
    let Ok(fy) = state.fiscal_year(&form.edition) else {
        return Ok(Err(vec![SheetError {
            row: 0,
            column: String::new(),
            message: format!("版「{}」の年度がわかりません", form.edition),
        }]));
    };
    let ctx = RuleContext {
        form,
        fiscal_year: fy,
        today: state.clock.today_jst(),
        has_vendor_contract: org.has_vendor_contract,
    };
    let suggestions =
        crate::pages::by_item(&crate::pages::form_suggestions(state, org, form).await?);
    let check = |stored: &mamori_core::AnswerSet| {
        crate::pages::checked_with_evidence(
            validate_batch(&ctx, stored, &imported.inputs),
            &suggestions,
            &imported.inputs,
        )
    };
    let result = if dry_run {
        let stored = state
            .store
            .answers(org.id, &form.edition, form.variant)
            .await?;
        check(&mamori_core::AnswerSet::new(stored))
    } else {
        state
            .store
            .save_answers_with_evidence(
                org.id,
                &form.edition,
                form.variant,
                &Actor {
                    user_id: user.id,
                    name: user.login.clone(),
                },
                state.clock.now(),
                &crate::pages::evidence_json(&suggestions),
                check,
            )
            .await?
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
