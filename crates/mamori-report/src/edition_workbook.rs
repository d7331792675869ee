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

/// Half-width, no spaces: the form in which headings and labels are compared.
fn key_text(s: &str) -> String {
    mamori_ledger::values::half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '―' | '‐' | '−' | '－' => '-',
            _ => c,
        })
        .collect()
}

const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";

fn circled(c: char) -> Option<u32> {
    CIRCLED.chars().position(|x| x == c).map(|p| p as u32 + 1)
}

/// An item number as printed: `(3)`, `①`, `1-①`, `2(3)`, `2-(3)`. Returns (section, number).
pub fn parse_number(s: &str) -> Option<(Option<String>, u32)> {
    // 「１ー①」: a long-vowel mark typed for the dash.
    let k = key_text(s).replace('ー', "-");
    let k = k.trim_end_matches(['.', '．']);
    if k.is_empty() {
        return None;
    }
    let digits: String = k.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &k[digits.len()..];
    let (section, rest) = if digits.is_empty() {
        (None, rest)
    } else {
        (Some(digits), rest.strip_prefix('-').unwrap_or(rest))
    };
    let n = if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        inner.parse::<u32>().ok()?
    } else {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => circled(c)?,
            _ => return None,
        }
    };
    (n > 0).then_some((section, n))
}

/// A leading number in an item's cell, e.g. 「(1) 医療情報…」 or 「①医療情報…」: (number, rest).
fn split_number_prefix(s: &str) -> Option<(&str, &str)> {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    // 「(1)」 or 「１－①」 followed by a space; or a circled number / closing parenthesis followed by text.
    let candidates = [
        Some(end),
        t.char_indices()
            .find(|(_, c)| circled(*c).is_some() || *c == ')' || *c == '）')
            .map(|(i, c)| i + c.len_utf8()),
    ];
    for end in candidates.into_iter().flatten() {
        let (num, rest) = t.split_at(end);
        if parse_number(num).is_some() && !rest.trim().is_empty() {
            return Some((num.trim(), rest.trim_start()));
        }
    }
    None
}

/// A section heading: 「1 体制構築」, 「２．医療情報システムの管理・運用」, 「医療情報システムの有無」.
fn parse_section(s: &str) -> Option<String> {
    let k = key_text(s);
    if k == "医療情報システムの有無" {
        return Some("gate".into());
    }
    let digits: String = k.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let rest = k[digits.len()..].trim_start_matches(['.', '．', '、', ',']);
    let first = rest.chars().next()?;
    let plain = !first.is_ascii_digit() && !"(-".contains(first) && circled(first).is_none();
    (plain && !rest.ends_with('。') && rest.chars().count() <= 40 && !s.contains('\n'))
        .then_some(digits)
}

/// A target-group heading (「サーバについて、以下を実施している。」) or a target cell (「端末PC」).
fn parse_target(s: &str) -> Option<Target> {
    let k = key_text(s);
    let heading = k.contains("について") && k.contains("以下");
    let label = k.chars().count() <= 12;
    if !heading && !label {
        return None;
    }
    let pick = if k.starts_with("サーバ") {
        Target::Server
    } else if k.starts_with("端末") {
        Target::Terminal
    } else if k.starts_with("ネットワーク") {
        Target::Network
    } else if k.contains("全般") {
        Target::General
    } else {
        return None;
    };
    Some(pick)
}

fn is_note(s: &str) -> bool {
    s.trim_start().starts_with(['＊', '*', '※'])
}

/// A form note without its leading ＊ or * (※ stays: it belongs to the text).
fn note_text(s: &str) -> String {
    let t = s.trim();
    t.strip_prefix('＊')
        .or_else(|| t.strip_prefix('*'))
        .unwrap_or(t)
        .trim_start()
        .to_string()
}

const FIELD_LABELS: &[&str] = &[
    "医療機関・薬局名",
    "医療機関等名",
    "医療機関名",
    "薬局名",
    "施設名",
    "事業者名",
    "記入者名",
    "記入者",
    "確認者",
    "担当者",
    "確認日",
    "作成日",
    "記入日",
    "所在地",
];

/// The variant a text names, if any.
fn variant_in(s: &str) -> Option<Variant> {
    let k = key_text(s);
    if k.contains("事業者確認用") {
        Some(Variant::Vendor)
    } else if k.contains("医療機関・薬局確認用") || k.contains("医療機関等確認用")
    {
        Some(Variant::Merged)
    } else if k.contains("薬局確認用") {
        Some(Variant::Pharmacy)
    } else if k.contains("医療機関確認用") {
        Some(Variant::Facility)
    } else {
        None
    }
}

fn variant_of_title(title: &str) -> Option<Variant> {
    let k = key_text(title);
    if k.contains("医療機関・薬局") || k.contains("医療機関等における") {
        Some(Variant::Merged)
    } else if k.starts_with("薬局") {
        Some(Variant::Pharmacy)
    } else if k.starts_with("医療機関") {
        Some(Variant::Facility)
    } else {
        None
    }
}

/// The kind of an answer-table column, read from its heading cells (the lowest heading first).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Result(u8),
    /// A column headed just 「いいえ」 beside one headed 「はい」.
    No(u8),
    Date(u8),
    TargetDate(u8),
    Note,
    Text,
    Number,
    Other,
}

fn round_in(s: &str) -> Option<u8> {
    let k = key_text(s);
    let i = k.find("回目")?;
    k[..i].chars().last()?.to_digit(10).map(|d| d as u8)
}

fn classify_column(headings: &[String]) -> Col {
    let round = headings.iter().find_map(|h| round_in(h)).unwrap_or(1);
    for h in headings.iter().rev() {
        let k = key_text(h);
        if k.is_empty() {
            continue;
        }
        if k.contains("備考") {
            return Col::Note;
        }
        if k.contains("目標") {
            return Col::TargetDate(round);
        }
        if k == "いいえ" {
            return Col::No(round);
        }
        if k.contains("結果") || k.contains("回答") || k.contains("はい") {
            return Col::Result(round);
        }
        if k.contains("日付") || k.contains("確認日") {
            return Col::Date(round);
        }
        if k.contains("項目") || k.contains("内容") {
            return Col::Text;
        }
        if k == "No" || k == "No." || k.contains("番号") || k.contains("項番") {
            return Col::Number;
        }
    }
    if headings.iter().any(|h| round_in(h).is_some()) {
        return Col::Result(round);
    }
    Col::Other
}

/// Words of a heading row of the answer table.
const HEADER_WORDS: &[&str] = &[
    "確認結果",
    "チェック項目",
    "確認項目",
    "回目",
    "備考",
    "目標日",
    "回答",
];
/// Words of the rows under it (round numbers, sub-columns).
const SUB_HEADER_WORDS: &[&str] = &[
    "回目",
    "日付",
    "確認日",
    "目標日",
    "結果",
    "はい",
    "いいえ",
    "回答",
    "備考",
];

fn header_score(grid: &Grid, r: u32) -> usize {
    (0..grid.width)
        .filter(|c| {
            let t = grid.text(r, *c);
            t.chars().count() <= 20 && HEADER_WORDS.iter().any(|w| key_text(t).contains(w))
        })
        .count()
}

fn is_sub_header(grid: &Grid, r: u32) -> bool {
    let texts: Vec<&str> = (0..grid.width)
        .map(|c| grid.text(r, c))
        .filter(|t| !t.trim().is_empty())
        .collect();
    !texts.is_empty()
        && texts.iter().all(|t| {
            t.chars().count() <= 16 && SUB_HEADER_WORDS.iter().any(|w| key_text(t).contains(w))
        })
}

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

struct Builder {
    items: Vec<Item>,
    rows: Vec<RowPlace>,
    ambiguities: Vec<String>,
}

/// The columns of the answer table, from its header rows.
struct Columns {
    rounds: BTreeMap<u8, RoundColumns>,
    note_col: Option<u32>,
    text_col: Option<u32>,
    number_col: Option<u32>,
    /// Every column answers are written in (results, marks, dates, notes).
    answer_cols: Vec<u32>,
}

fn answer_columns(grid: &Grid, header: u32, header_end: u32) -> Columns {
    let kinds: Vec<Col> = (0..grid.width)
        .map(|c| {
            let headings: Vec<String> = (header..=header_end)
                .map(|r| grid.shown(r, c).to_string())
                .collect();
            classify_column(&headings)
        })
        .collect();
    let mut cols = Columns {
        rounds: BTreeMap::new(),
        note_col: None,
        text_col: None,
        number_col: None,
        answer_cols: Vec::new(),
    };
    for (c, kind) in kinds.iter().enumerate() {
        let c = c as u32;
        match *kind {
            Col::Result(r) => {
                cols.rounds.entry(r).or_insert(RoundColumns {
                    round: r,
                    result: c,
                    no: None,
                    date: None,
                    target_date: None,
                });
            }
            Col::Note => {
                cols.note_col.get_or_insert(c);
            }
            Col::Text => {
                cols.text_col.get_or_insert(c);
            }
            Col::Number => {
                cols.number_col.get_or_insert(c);
            }
            _ => {}
        }
    }
    for (c, kind) in kinds.iter().enumerate() {
        let c = c as u32;
        let slot = |rounds: &mut BTreeMap<u8, RoundColumns>,
                    r: u8,
                    f: fn(&mut RoundColumns) -> &mut Option<u32>| {
            if let Some(rc) = rounds.get_mut(&r) {
                f(rc).get_or_insert(c);
            }
        };
        match *kind {
            Col::Date(r) => slot(&mut cols.rounds, r, |rc| &mut rc.date),
            Col::TargetDate(r) => slot(&mut cols.rounds, r, |rc| &mut rc.target_date),
            Col::No(r) => slot(&mut cols.rounds, r, |rc| &mut rc.no),
            _ => {}
        }
        if matches!(
            kind,
            Col::Result(_) | Col::No(_) | Col::Date(_) | Col::TargetDate(_) | Col::Note
        ) {
            cols.answer_cols.push(c);
        }
    }
    cols
}

/// What stands above the table: the title, the form's kind, the header fields, the notes.
#[derive(Default)]
struct Above {
    title: Option<String>,
    variant: Option<Variant>,
    fields: Vec<HeaderField>,
    notes: Vec<String>,
}

fn above_table(grid: &Grid, header: u32) -> Above {
    let mut above = Above::default();
    for r in 0..header {
        for c in 0..grid.width {
            if !grid.is_origin(r, c) {
                continue;
            }
            let t = grid.text(r, c);
            if t.trim().is_empty() {
                continue;
            }
            if above.title.is_none() && t.contains("チェックリスト") {
                above.title = Some(t.trim().to_string());
            }
            if above.variant.is_none() {
                above.variant = variant_in(t);
            }
            for line in t.lines().filter(|l| is_note(l)) {
                above.notes.push(note_text(line));
            }
            if let Some(field) = header_field(grid, r, c, t) {
                above.fields.push(field);
            }
        }
    }
    above
}

/// A header field (施設名, 確認日 …) in a cell, with the cell its value goes in: the next one to the
/// right, or the same cell when the label ends with a colon and a value, or at the sheet's edge.
fn header_field(grid: &Grid, r: u32, c: u32, t: &str) -> Option<HeaderField> {
    let k = key_text(t);
    let label = FIELD_LABELS.iter().find(|l| k.starts_with(**l))?;
    let rest = k[label.len()..].trim_start_matches(['：', ':']);
    let inline = k[label.len()..].starts_with(['：', ':']) && !rest.is_empty();
    if k.chars().count() > label.chars().count() + 1 && !inline {
        return None;
    }
    let span = grid.region(r, c).map(|d| d.end.1 - d.start.1).unwrap_or(0);
    let (vr, vc) = if inline || k.ends_with(['：', ':']) && c + span + 1 >= grid.width {
        (r, c)
    } else {
        (r, c + span + 1)
    };
    Some(HeaderField {
        label: label.to_string(),
        row: vr,
        col: vc,
        inline: (vr, vc) == (r, c),
    })
}

/// The form's kind: the one given, else the one the sheet says (its cells, its name, its title).
fn choose_variant(
    given: Option<Variant>,
    found: Option<Variant>,
    ambiguities: &mut Vec<String>,
) -> Result<Variant, WorkbookError> {
    match (given, found) {
        (Some(g), Some(f)) if g != f => {
            ambiguities.push(format!(
                "ブックには「{}」とありますが、指定された「{}」として取り込みます",
                f.label(),
                g.label()
            ));
            Ok(g)
        }
        (Some(g), _) => Ok(g),
        (None, Some(f)) => Ok(f),
        (None, None) => refuse(
            "様式の種類（医療機関・薬局確認用／医療機関確認用／薬局確認用／事業者確認用）が読み取れません。様式を指定して取り込んでください",
        ),
    }
}

/// What the cells of one table row say, apart from the answers.
#[derive(Default)]
struct RowCells<'g> {
    number: Option<(Option<String>, u32, String)>,
    /// The longest other text: the item's own cell.
    candidate: Option<(u32, &'g str)>,
    reference: bool,
    note: Option<String>,
}

/// Reads the table's rows into items, keeping the headings met on the way (section, target group).
struct TableReader {
    variant: Variant,
    b: Builder,
    section: Option<String>,
    section_titles: BTreeMap<String, String>,
    group_headings: BTreeMap<String, String>,
    target: Option<Target>,
    gate_note: Option<String>,
    counters: HashMap<String, u32>,
    last_item: Option<usize>,
    unread: Vec<String>,
    notes: Vec<String>,
}

impl TableReader {
    fn cells<'g>(&mut self, texts: &[(u32, &'g str)]) -> RowCells<'g> {
        let mut cells = RowCells::default();
        for (c, t) in texts {
            let trimmed = t.trim();
            if is_note(trimmed) {
                cells.note = Some(trimmed.to_string());
            } else if let Some(s) = parse_section(trimmed) {
                self.section_titles.insert(s.clone(), trimmed.to_string());
                if s != "2" {
                    self.target = None;
                }
                self.section = Some(s);
            } else if let Some(tg) = parse_target(trimmed) {
                if key_text(trimmed).contains("について") {
                    self.group_headings
                        .insert(tg.id().to_string(), trimmed.to_string());
                }
                self.target = Some(tg);
            } else if let Some((s, n)) = parse_number(trimmed) {
                cells.number = Some((s, n, trimmed.to_string()));
            } else if key_text(trimmed).trim_matches(['(', ')']) == "参考"
                || key_text(trimmed) == "参考項目"
            {
                cells.reference = true;
            } else if cells
                .candidate
                .is_none_or(|(_, x)| t.chars().count() > x.chars().count())
            {
                cells.candidate = Some((*c, t));
            }
        }
        cells
    }

    fn row(&mut self, r: u32, texts: &[(u32, &str)]) {
        let mut cells = self.cells(texts);
        let Some((_, cell)) = cells.candidate else {
            if let Some(n) = cells.note {
                attach_note(&mut self.b, self.last_item, &n, &mut self.notes);
            }
            return;
        };
        // The item's own cell: text lines, then ※ notes, （参考項目） and the gate's （「いいえ」の場合…）.
        let mut lines: Vec<&str> = cell.trim().lines().collect();
        let mut item_note = Vec::new();
        while lines.len() > 1 {
            let last = lines[lines.len() - 1].trim();
            if key_text(last) == "(参考項目)" {
                cells.reference = true;
            } else if is_note(last) {
                item_note.insert(0, last.to_string());
            } else if last.starts_with("（「いいえ」") || last.starts_with("(「いいえ」")
            {
                self.gate_note = Some(last.to_string());
            } else {
                break;
            }
            lines.pop();
        }
        let mut text = lines.join("\n");
        if cells.number.is_none()
            && let Some((num, rest)) = split_number_prefix(&text)
        {
            let (s, n) = parse_number(num).expect("split_number_prefix parses");
            cells.number = Some((s, n, num.to_string()));
            text = rest.to_string();
        }
        // The vendor form has no gate: an item there is read as an ordinary item of its section.
        let gate = self.variant != Variant::Vendor
            && (self.section.as_deref() == Some("gate")
                || (self.section.is_none() && key_text(&text).contains("医療情報システムを導入")));
        if cells.number.is_none() && !gate && !text.ends_with('。') {
            // Not an item: a deadline block (○令和5年度中), a caption, or a stray text.
            self.unread
                .push(format!("{}行目「{}」", r + 1, first_line(&text)));
            return;
        }
        let sec = self.section_of(r, gate, &cells.number);
        let (key, printed) = self.key_of(r, gate, &sec, &cells.number);
        let group = if sec == "2" {
            self.target.unwrap_or(Target::General)
        } else {
            Target::General
        };
        let note = (!item_note.is_empty()).then(|| item_note.join("\n"));
        self.last_item = add_row(
            &mut self.b,
            r,
            key,
            sec,
            printed,
            text,
            note,
            gate,
            group,
            cells.reference,
        );
        if let Some(n) = cells.note {
            attach_note(&mut self.b, self.last_item, &n, &mut self.notes);
        }
    }

    /// The item's section: the gate's, its number's (over the heading's), the heading's, or 1.
    fn section_of(
        &mut self,
        r: u32,
        gate: bool,
        number: &Option<(Option<String>, u32, String)>,
    ) -> String {
        if gate {
            return "gate".to_string();
        }
        if let Some(s) = number.as_ref().and_then(|(s, _, _)| s.clone()) {
            if self.section.as_deref().is_some_and(|x| x != s) {
                self.b.ambiguities.push(format!(
                    "{}行目：番号「{}」の区分と見出しの区分（{}）が違います。番号に従いました",
                    r + 1,
                    number.as_ref().map(|n| n.2.as_str()).unwrap_or(""),
                    self.section.as_deref().unwrap_or("")
                ));
            }
            return s;
        }
        if let Some(s) = &self.section {
            return s.clone();
        }
        self.b.ambiguities.push(format!(
            "{}行目：区分の見出しより前の項目です。区分1として読みました",
            r + 1
        ));
        "1".into()
    }

    /// The item's key and its number as printed; an item without a number takes the next in its section.
    fn key_of(
        &mut self,
        r: u32,
        gate: bool,
        sec: &str,
        number: &Option<(Option<String>, u32, String)>,
    ) -> (String, String) {
        if gate {
            return ("gate".to_string(), String::new());
        }
        let counter = self.counters.entry(sec.to_string()).or_insert(0);
        match number {
            Some((_, n, printed)) => {
                *counter = (*counter).max(*n);
                (format!("{sec}.{n}"), printed.clone())
            }
            None => {
                *counter += 1;
                self.b.ambiguities.push(format!(
                    "{}行目：番号がありません。{}番目の項目として読みました",
                    r + 1,
                    counter
                ));
                (format!("{sec}.{counter}"), String::new())
            }
        }
    }
}

/// Items in number order within their sections (section 2 is printed grouped by target, so the sheet's
/// order is not the items' order).
fn sort_items(items: &mut [Item]) {
    let mut order: Vec<String> = Vec::new();
    for i in items.iter() {
        if !order.contains(&i.section) {
            order.push(i.section.clone());
        }
    }
    let number_of = |k: &str| -> u32 {
        k.split_once('.')
            .and_then(|(_, n)| n.split('-').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    items.sort_by_key(|i| {
        (
            order.iter().position(|s| *s == i.section),
            number_of(&i.key),
        )
    });
}

/// Reads the checklist on one sheet.
pub(crate) fn read_sheet(
    sheet: &str,
    grid: &Grid,
    given: Option<Variant>,
) -> Result<ParsedWorkbook, WorkbookError> {
    if grid.cells.is_empty() {
        return refuse(format!("シート「{sheet}」は空です"));
    }
    let not_checklist = || {
        format!(
            "シート「{sheet}」にチェックリストの表が見つかりません（「確認結果」「1回目」「備考」などの見出しの行と、番号のついた項目が必要です）。厚生労働省のチェックリストの Excel を選んでください"
        )
    };
    let Some(header) = (0..grid.height.min(80)).find(|r| header_score(grid, *r) >= 2) else {
        return refuse(not_checklist());
    };
    let mut header_end = header;
    while header_end < header + 2 && is_sub_header(grid, header_end + 1) {
        header_end += 1;
    }
    let cols = answer_columns(grid, header, header_end);
    if cols.rounds.is_empty() {
        return refuse(not_checklist());
    }
    let first_answer = *cols.answer_cols.iter().min().expect("a result column");
    let above = above_table(grid, header);
    let mut ambiguities = Vec::new();
    let title = above.title.unwrap_or_else(|| {
        ambiguities.push("表題（「…チェックリスト」）が見つかりません".into());
        String::new()
    });
    let found_variant = above
        .variant
        .or_else(|| variant_in(sheet))
        .or_else(|| variant_of_title(&title));
    let variant = choose_variant(given, found_variant, &mut ambiguities)?;

    let mut t = TableReader {
        variant,
        b: Builder {
            items: Vec::new(),
            rows: Vec::new(),
            ambiguities,
        },
        section: None,
        section_titles: BTreeMap::new(),
        group_headings: BTreeMap::new(),
        target: None,
        gate_note: None,
        counters: HashMap::new(),
        last_item: None,
        unread: Vec::new(),
        notes: above.notes,
    };
    for r in header_end + 1..grid.height {
        let texts: Vec<(u32, &str)> = (0..first_answer.max(1))
            .chain((first_answer..grid.width).filter(|c| !cols.answer_cols.contains(c)))
            .filter(|c| grid.is_origin(r, *c))
            .map(|c| (c, grid.text(r, c)))
            .filter(|(_, t)| !t.trim().is_empty())
            .collect();
        if !texts.is_empty() {
            t.row(r, &texts);
        }
    }
    let mut b = t.b;
    if b.items.is_empty() {
        return refuse(not_checklist());
    }
    sort_items(&mut b.items);
    if !t.unread.is_empty() {
        b.ambiguities.push(format!(
            "項目として読まなかった行があります: {}",
            t.unread.join("、")
        ));
    }
    if variant != Variant::Vendor && !b.items.iter().any(|i| i.gate) {
        b.ambiguities.push(
            "「医療情報システムを導入、運用している。」の項目が見つかりません（医療機関・薬局の様式には通常あります）"
                .into(),
        );
    }
    let form = Form {
        edition: String::new(),
        variant,
        title,
        title_confidence: Confidence::C,
        notes: t
            .notes
            .into_iter()
            .map(|text| Note {
                text,
                confidence: Confidence::C,
            })
            .collect(),
        items: b.items,
        section_titles: t.section_titles,
        group_headings: t.group_headings,
        gate_note: t.gate_note,
    };
    Ok(ParsedWorkbook {
        form,
        variant_found: found_variant.is_some(),
        layout: LayoutMap {
            sheet: sheet.to_string(),
            header_rows: (header, header_end),
            text_col: cols.text_col.unwrap_or(0),
            number_col: cols.number_col,
            rounds: cols.rounds.into_values().collect(),
            note_col: cols.note_col,
            fields: above.fields,
            rows: b.rows,
        },
        ambiguities: b.ambiguities,
    })
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 30 {
        format!("{}…", l.chars().take(30).collect::<String>())
    } else {
        l.to_string()
    }
}

/// A note row: a ※ right under an item belongs to it; others are the form's notes.
fn attach_note(b: &mut Builder, last_item: Option<usize>, note: &str, notes: &mut Vec<String>) {
    match last_item {
        Some(i) if note.starts_with('※') => {
            let it = &mut b.items[i];
            it.note = Some(match it.note.take() {
                Some(n) if !n.split('\n').any(|l| l == note) => format!("{n}\n{note}"),
                Some(n) => n,
                None => note.to_string(),
            });
        }
        _ => notes.push(note_text(note)),
    }
}

#[allow(clippy::too_many_arguments)]
fn add_row(
    b: &mut Builder,
    row: u32,
    mut key: String,
    section: String,
    number: String,
    text: String,
    note: Option<String>,
    gate: bool,
    group: Target,
    reference: bool,
) -> Option<usize> {
    use mamori_core::edition_import::normalized;
    if let Some(i) = b.items.iter().position(|i| i.key == key) {
        if normalized(&b.items[i].text) == normalized(&text) {
            if b.items[i].has_target(group) {
                b.ambiguities.push(format!(
                    "{}行目：同じ項目（{}）が同じ対象に2回あります。最初の行を使います",
                    row + 1,
                    first_line(&text)
                ));
                return Some(i);
            }
            b.items[i].targets.push(ItemTarget { group, reference });
            b.rows.push(RowPlace {
                key,
                target: group,
                row,
            });
            return Some(i);
        }
        b.ambiguities.push(format!(
            "{}行目：番号「{number}」が別の文言の項目と重なります。別の項目として読みました",
            row + 1
        ));
        let base = key.clone();
        let taken: std::collections::HashSet<&str> =
            b.items.iter().map(|i| i.key.as_str()).collect();
        let mut k = 2;
        while taken.contains(key.as_str()) {
            key = format!("{base}-{k}");
            k += 1;
        }
    }
    b.rows.push(RowPlace {
        key: key.clone(),
        target: group,
        row,
    });
    b.items.push(Item {
        id: String::new(),
        key,
        section,
        number,
        topic: mamori_core::Topic::New,
        text,
        confidence: Confidence::C,
        note,
        gate,
        vendor_contract_only: false,
        targets: vec![ItemTarget { group, reference }],
        source: String::new(),
        guidance: String::new(),
        guidance_edition: String::new(),
    });
    Some(b.items.len() - 1)
}

#[cfg(test)]
mod tests;
