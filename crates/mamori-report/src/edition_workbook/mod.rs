//! Reading a checklist edition from MHLW's own workbook (令和8年度 and later): the layout is recognised from
//! the cells' content, not from fixed positions — title and variant, header fields (施設名, 記入者, 確認日 …),
//! section headings, target-group headings, items numbered (1), ①, 1-① or 2(3), notes (＊, *, ※), and the
//! answer columns (確認結果, 1回目/2回目, 日付, 目標日, 備考), merged cells included. Item texts are kept exactly
//! as they stand in the cells. The result is a catalog form plus the map of the cells to fill later.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Dimensions, Reader, Xlsx, XlsxError};
use mamori_core::catalog::{Confidence, Form, Item, ItemTarget, Note, Target, Variant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// MHLW's published workbooks known to this build (from shared/reference/current-editions.md, retrieved
/// 2026-07-16): file name, what it holds, size, SHA-256.
pub const KNOWN_OFFICIAL_FILES: &[(&str, &str, u64, &str)] = &[
    (
        "001716187.xlsx",
        "令和8年度 医療機関・薬局確認用",
        25655,
        "b811208b1d29fe0f3310adf810aa3b072e6272eb3669de768b79949b6872c987",
    ),
    (
        "001716188.xlsx",
        "令和8年度 事業者確認用",
        25018,
        "e1a2a763c97c5434d53b745c5fc1643a22a9497ea48354182ab6a93df1e881a0",
    ),
];

pub const OFFICIAL_MATCH: &str = "公式ファイルと一致";
pub const OFFICIAL_MISMATCH: &str = "既知のファイルと一致しません";

/// The SHA-256 of a file and, when it is one of MHLW's known workbooks, which one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub sha256: String,
    pub bytes: u64,
    /// The known official file it equals.
    pub official: Option<String>,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let official = KNOWN_OFFICIAL_FILES
            .iter()
            .find(|(_, _, _, h)| *h == sha256)
            .map(|(name, what, _, _)| format!("{name}（{what}）"));
        Fingerprint {
            sha256,
            bytes: bytes.len() as u64,
            official,
        }
    }
    /// 「公式ファイルと一致」 or 「既知のファイルと一致しません」 (a warning, not a refusal: MHLW may replace files).
    pub fn verdict(&self) -> String {
        match &self.official {
            Some(f) => format!("{OFFICIAL_MATCH}：{f}"),
            None => format!(
                "{OFFICIAL_MISMATCH}（MHLW が差し替えた新しいファイルか、編集されたファイルの可能性があります。厚生労働省のページから取り直したものか確認してください）"
            ),
        }
    }
}

/// The columns of one round of answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundColumns {
    pub round: u8,
    /// はい／いいえ (with the date too when there is no date column); with `no`, the 「はい」 column to mark.
    pub result: u32,
    /// A separate 「いいえ」 column: the form is marked ○ in one of the two.
    #[serde(default)]
    pub no: Option<u32>,
    pub date: Option<u32>,
    pub target_date: Option<u32>,
}

/// What is written in the 「はい」 or 「いいえ」 column of a form marked by columns.
pub const MARK: &str = "○";

/// A header field of the form (施設名, 記入者, 確認日 …) and the cell that takes its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderField {
    pub label: String,
    pub row: u32,
    pub col: u32,
    /// The value goes into the label's own cell, after 「：」.
    pub inline: bool,
}

/// Where an (item, target) row's answers go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPlace {
    pub key: String,
    pub target: Target,
    pub row: u32,
}

/// Where everything is on the checklist sheet: what the fill writes into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutMap {
    pub sheet: String,
    /// The table's heading rows (0-based, first and last).
    pub header_rows: (u32, u32),
    pub text_col: u32,
    pub number_col: Option<u32>,
    pub rounds: Vec<RoundColumns>,
    pub note_col: Option<u32>,
    pub fields: Vec<HeaderField>,
    pub rows: Vec<RowPlace>,
}

/// What was read from a workbook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParsedWorkbook {
    /// The form, with item ids, topics and guidance still to be set (see `edition_import`).
    pub form: Form,
    /// Whether the variant was read from the workbook (rather than given).
    pub variant_found: bool,
    pub layout: LayoutMap,
    /// Things a person should look at before confirming.
    pub ambiguities: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorkbookError {
    #[error("{0}")]
    Refused(String),
}

fn refuse<T>(m: impl Into<String>) -> Result<T, WorkbookError> {
    Err(WorkbookError::Refused(m.into()))
}

/// The cells of one sheet by absolute (row, col), with its merged regions.
pub(crate) struct Grid {
    cells: HashMap<(u32, u32), String>,
    merges: Vec<Dimensions>,
    /// Each covered cell's merged region (index into `merges`).
    merged_at: HashMap<(u32, u32), usize>,
    height: u32,
    width: u32,
}

/// Only this much of a sheet is read: checklists are a few dozen rows and columns wide, and a single cell
/// far out (XFD1048576) must not make the reader walk a billion empty cells.
pub const MAX_ROWS: u32 = 5_000;
pub const MAX_COLS: u32 = 200;

impl Grid {
    /// Builds the grid from cells (absolute positions) as the sheet's XML lists them; cells beyond
    /// [`MAX_ROWS`] × [`MAX_COLS`] are left out. (Reading a whole range would allocate the dense rectangle up
    /// to the farthest cell: one cell at XFD1048576 asks for half a terabyte.)
    fn from_cells(
        found: impl IntoIterator<Item = ((u32, u32), Data)>,
        merges: Vec<Dimensions>,
    ) -> Grid {
        let mut cells = HashMap::new();
        let (mut height, mut width) = (0, 0);
        for ((r, c), d) in found {
            if r >= MAX_ROWS || c >= MAX_COLS {
                continue;
            }
            let text = match d {
                Data::Empty => continue,
                Data::String(s) => s,
                Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|e| e.checked_add_days(chrono::Days::new(d.as_f64() as u64)))
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| d.to_string()),
                other => other.to_string(),
            };
            if !text.trim().is_empty() {
                height = height.max(r + 1);
                width = width.max(c + 1);
                cells.insert((r, c), text);
            }
        }
        for d in &merges {
            height = height.max((d.end.0 + 1).min(MAX_ROWS));
            width = width.max((d.end.1 + 1).min(MAX_COLS));
        }
        // Regions may not overlap in Excel; a file whose regions cover more than the sheet read is
        // broken, and the rest of its regions are ignored.
        let mut merged_at = HashMap::new();
        let mut budget = (MAX_ROWS * MAX_COLS) as usize;
        'regions: for (i, d) in merges.iter().enumerate() {
            for r in d.start.0..=d.end.0.min(MAX_ROWS - 1) {
                for c in d.start.1..=d.end.1.min(MAX_COLS - 1) {
                    if budget == 0 {
                        break 'regions;
                    }
                    budget -= 1;
                    merged_at.entry((r, c)).or_insert(i);
                }
            }
        }
        Grid {
            cells,
            merges,
            merged_at,
            height,
            width,
        }
    }
    pub(crate) fn text(&self, r: u32, c: u32) -> &str {
        self.cells.get(&(r, c)).map(String::as_str).unwrap_or("")
    }
    /// The merged region a cell lies in.
    fn region(&self, r: u32, c: u32) -> Option<&Dimensions> {
        self.merged_at.get(&(r, c)).map(|i| &self.merges[*i])
    }
    /// The text shown at a cell: its own, or its merged region's.
    fn shown(&self, r: u32, c: u32) -> &str {
        match self.region(r, c) {
            Some(d) => self.text(d.start.0, d.start.1),
            None => self.text(r, c),
        }
    }
    /// Whether a cell holds its own text (not covered by another cell's merged region).
    fn is_origin(&self, r: u32, c: u32) -> bool {
        self.region(r, c).is_none_or(|d| d.start == (r, c))
    }
}

mod sheet;
mod words;

use sheet::read_sheet;
pub use words::parse_number;

/// Reads every sheet and returns the checklist found on the best one.
pub fn read_edition_workbook(
    bytes: &[u8],
    variant: Option<Variant>,
) -> Result<ParsedWorkbook, WorkbookError> {
    read_with_grid(bytes, variant).map(|(p, _)| p)
}

/// The checklist found and the cells of its sheet.
pub(crate) fn read_with_grid(
    bytes: &[u8],
    variant: Option<Variant>,
) -> Result<(ParsedWorkbook, Grid), WorkbookError> {
    if bytes.is_empty() {
        return refuse("ファイルが空です");
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return refuse(
            "パスワードで保護された（暗号化された）ブック、または古い形式（xls）のファイルです。Excel で保護を解除し、xlsx 形式で保存してから取り込んでください",
        );
    }
    if !bytes.starts_with(b"PK") {
        return refuse(
            "Excel（xlsx）ファイルではありません（ファイルが壊れているか、別の形式です）",
        );
    }
    // Hostile workbooks (declared counts, huge or much-repeated strings, zip bombs) stop here.
    if let Err(m) = mamori_ledger::xlsx_guard::check(bytes, &Default::default()) {
        return refuse(m);
    }
    let mut wb: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(XlsxError::Password) => {
            return refuse(
                "パスワードで保護されたブックです。Excel で保護を解除して保存してから取り込んでください",
            );
        }
        Err(e) => {
            return refuse(format!(
                "Excel（xlsx）ファイルとして読めません（ファイルが壊れている可能性があります）: {e}"
            ));
        }
    };
    let mut best: Option<(usize, ParsedWorkbook, Grid)> = None;
    let mut first_error = None;
    for name in wb.sheet_names() {
        let merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
        let mut found = Vec::new();
        let Ok(mut reader) = wb.worksheet_cells_reader(&name) else {
            continue;
        };
        while let Ok(Some(cell)) = reader.next_cell() {
            let (r, c) = cell.get_position();
            if r < MAX_ROWS && c < MAX_COLS {
                found.push(((r, c), Data::from(cell.get_value().clone())));
            }
        }
        drop(reader);
        let grid = Grid::from_cells(found, merges);
        match read_sheet(&name, &grid, variant) {
            Ok(p) => {
                let score = p.layout.rows.len();
                if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                    best = Some((score, p, grid));
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (best, first_error) {
        (Some((_, p, grid)), _) => Ok((p, grid)),
        (None, Some(e)) => Err(e),
        (None, None) => refuse("ブックにシートがないか、すべてのシートが空です"),
    }
}

#[cfg(test)]
mod tests;
