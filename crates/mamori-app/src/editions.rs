//! Editions imported from MHLW's workbooks: the upload's checks, the draft read from the workbooks, and the
//! draft kept (with its workbooks and their provenance) until an administrator confirms it.

use std::collections::HashMap;

use mamori_core::OrgId;
use mamori_core::catalog::{Catalog, Variant};
use mamori_report::edition_import::{EditionDraft, Upload, check_edition_id, draft};
use mamori_store::StoreError;

use crate::{App, AppError, AppResult};

/// Keeps a draft as a pending import with its workbooks and their provenance (file name, SHA-256, size,
/// the match with the known official files). Returns the import's number.
pub async fn save_draft(
    app: &App,
    org_id: OrgId,
    d: &EditionDraft,
    uploads: &[Upload],
    actor: &str,
) -> Result<i64, mamori_store::StoreError> {
    // Drafts hold one form per upload, in upload order.
    let workbooks: Vec<(String, Vec<u8>)> = d
        .forms
        .iter()
        .zip(uploads)
        .map(|(f, u)| (f.form.variant.id().to_string(), u.bytes.clone()))
        .collect();
    app.store
        .create_edition_import(
            org_id,
            &d.edition,
            d.fiscal_year,
            &serde_json::to_string(d).expect("drafts serialise"),
            &serde_json::to_string(&d.provenance()).expect("provenance serialises"),
            &workbooks,
            actor,
            app.clock.now(),
        )
        .await
}

/// The checks of the upload form, then the workbooks read into a draft.
pub fn read_uploads(
    catalog: &Catalog,
    edition: &str,
    fiscal_year: &str,
    variant: &str,
    uploads: &[Upload],
) -> Result<EditionDraft, String> {
    check_edition_id(catalog, edition)?;
    let fy: i32 = fiscal_year
        .parse()
        .map_err(|_| format!("年度「{fiscal_year}」を読み取れません（西暦の4桁。例：2026）"))?;
    let variant = match variant.trim() {
        "" | "auto" => None,
        v => Some(v.parse::<Variant>().map_err(|e| e.to_string())?),
    };
    draft(catalog, edition, fy, variant, uploads)
}

/// An organisation's edition import and the draft it holds.
pub async fn load_import(
    app: &App,
    org_id: OrgId,
    id: i64,
) -> AppResult<(mamori_store::EditionImport, EditionDraft)> {
    let imp = app
        .store
        .edition_import(org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("取り込み {id} はありません")))?;
    let d: EditionDraft = serde_json::from_str(&imp.data)
        .map_err(|e| StoreError::Corrupt(format!("取り込み {id}: {e}")))?;
    Ok((imp, d))
}

/// Confirms a pending import with the links as the administrator chose them (per variant, item key →
/// the previous edition's item id, or `None` for a new item): the edition becomes the organisation's.
/// Returns the confirmed draft.
pub async fn confirm_import(
    app: &App,
    org_id: OrgId,
    id: i64,
    choices: &HashMap<Variant, HashMap<String, Option<String>>>,
    actor: &str,
) -> AppResult<EditionDraft> {
    let (imp, mut d) = load_import(app, org_id, id).await?;
    if imp.status != "pending" {
        return Err(AppError::Conflict(
            "確定できません",
            "この取り込みは確認待ちではありません（確定済みか、破棄されています）".into(),
        ));
    }
    // Links are to the previous edition, never to an earlier import of this one.
    let base = app.catalog_of(org_id).without_imported(&d.edition);
    let none = HashMap::new();
    for f in &mut d.forms {
        f.relink(&base, choices.get(&f.form.variant).unwrap_or(&none));
    }
    // Check the result builds before anything is stored (a built-in edition's id is refused here too).
    base.with_imported(&[d.to_edition(&base, app.clock.today_jst())])
        .map_err(|e| AppError::Refused("確定できません", e.to_string()))?;
    app.store
        .confirm_edition_import(
            org_id,
            id,
            &serde_json::to_string(&d).expect("drafts serialise"),
            actor,
            app.clock.now(),
        )
        .await?;
    crate::fiscal_years::follow_import(app, org_id, &d.edition, d.fiscal_year, actor).await?;
    Ok(d)
}
