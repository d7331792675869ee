//! PDF documents rendered in process with typst. A template (a `.typ` file of this crate) reads its data
//! from `/data.json` — the facility's names and answers never become typst markup, so nothing a user types
//! can change the document's code. The only font is the embedded IPAexGothic: the same output on any
//! machine, with Japanese glyphs and no system fonts.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// IPAexGothic (IPA Font License v1.0, see `fonts/`).
static FONT_DATA: &[u8] = include_bytes!("../fonts/ipaexg.ttf");

/// The inspection pack: cover, the facility's form, the vendors' forms, ledger summaries, the evidence
/// behind each いいえ.
pub const PACK_TEMPLATE: &str = include_str!("../templates/pack.typ");

/// The management report (経営層への報告): progress with its charts (SVG), overdue いいえ, evidence gaps,
/// what is due, and the sign-offs.
pub const REPORT_TEMPLATE: &str = include_str!("../templates/report.typ");
/// The cyber BCP document (mamori-app's bcp.rs).
pub const BCP_TEMPLATE: &str = include_str!("../templates/bcp.typ");

static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = Font::iter(Bytes::new(FONT_DATA)).collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("PDF を作成できません（テンプレートの誤り）: {0}")]
    Template(String),
    #[error("PDF を作成できません: {0}")]
    Export(String),
}

struct DocWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Datetime,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("our own paths are valid"),
    )
    .intern()
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// A rendered document.
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

/// Renders `template` with `data` as its `/data.json`; `today` is the document's date (its metadata).
pub fn render(
    template: &str,
    data: &serde_json::Value,
    today: chrono::NaiveDate,
) -> Result<Pdf, PdfError> {
    use chrono::Datelike;
    let world = DocWorld {
        main: Source::new(file_id("/main.typ"), template.to_string()),
        data_id: file_id("/data.json"),
        data: Bytes::new(serde_json::to_vec(data).expect("JSON values serialise")),
        today: Datetime::from_ymd(today.year(), today.month() as u8, today.day() as u8)
            .ok_or_else(|| PdfError::Template(format!("日付 {today} を使えません")))?,
    };
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world).output;
    // typst memoises layouts across compilations; a server renders many different packs, so nothing is
    // kept (bounded memory, and every render's time is an honest one).
    typst::comemo::evict(0);
    let messages = |errors: &[typst::diag::SourceDiagnostic]| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let doc = compiled.map_err(|e| PdfError::Template(messages(&e)))?;
    let bytes = typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| PdfError::Export(messages(&e)))?;
    Ok(Pdf {
        bytes,
        pages: doc.pages().len(),
    })
}
