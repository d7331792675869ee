//! Editions imported from MHLW's workbooks: the upload's checks, the draft read from the workbooks, and the
//! draft kept (with its workbooks and their provenance) until an administrator confirms it.

use mamori_core::OrgId;
use mamori_core::catalog::{Catalog, Variant};
use mamori_report::edition_import::{EditionDraft, Upload, check_edition_id, draft};

use crate::App;

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
