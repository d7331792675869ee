//! What a use case can fail with. The web crate turns each into a page or a JSON error; the CLI prints it.

use mamori_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database failed, or a row is not the organisation's (`StoreError::NotFound`).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An edition, form or item the catalog does not have.
    #[error(transparent)]
    Catalog(#[from] mamori_core::CatalogError),
    #[error(transparent)]
    Pdf(#[from] mamori_pdf::PdfError),
    #[error(transparent)]
    Xlsx(#[from] mamori_report::ReportError),
    /// An official workbook that could not be filled in.
    #[error("Excelファイルを作成できません: {0}")]
    Workbook(#[from] mamori_report::edition_workbook::WorkbookError),
    /// Nothing of that number in this organisation (a page says 「{0}」).
    #[error("{0}")]
    NotFound(String),
    /// The thing is not in the state the action needs (confirmed already, discarded …): a heading such
    /// as 「確定できません」 and the reason.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The input breaks a rule: a heading and a message that says which and how to mend it.
    #[error("{1}")]
    Refused(&'static str, String),
}

pub type AppResult<T> = Result<T, AppError>;
