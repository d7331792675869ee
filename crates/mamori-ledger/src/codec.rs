//! Reading and writing ledgers as CSV and xlsx. Reading finds the header row by its content, maps headers
//! (and their aliases) to fields, checks every cell, and returns either every row or every problem.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::Row;
use crate::fields::{Field, FieldType, Kind};
use crate::values::{header_key, normalise};

/// A problem with an imported file: 1-based row number as the file shows it (header row included), the
/// column's header as written in the file, and a Japanese reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            // A problem with the whole file, not one row.
            write!(f, "{}", self.message)
        } else if self.column.is_empty() {
            write!(f, "{}行目: {}", self.row, self.message)
        } else {
            write!(f, "{}行目「{}」列: {}", self.row, self.column, self.message)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Cp932,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8（BOM付き）",
            Encoding::Cp932 => "Shift_JIS（CP932）",
        }
    }
}

/// What a file held: its rows, and how it was read (for the preview).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    pub kind: Kind,
    pub encoding: Option<Encoding>,
    /// Each header of the file and the field it was taken as (None: ignored column).
    pub columns: Vec<(String, Option<&'static str>)>,
    /// Row number in the file of each row, then the row.
    pub rows: Vec<(usize, Row)>,
    /// What was taken but deserves a look (「退職」 without an end date), by row.
    pub notes: Vec<String>,
}

/// The text of a CSV file: UTF-8 (a BOM is dropped) when it is valid UTF-8, otherwise CP932.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), Encoding::Utf8Bom))
            .map_err(|e| {
                file_error(format!(
                    "UTF-8 として読めない文字があります（{} バイト目）",
                    e.valid_up_to() + 4
                ))
            });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), Encoding::Utf8));
    }
    if let Some(message) = mixed_encodings(bytes) {
        return Err(file_error(message));
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(file_error(
            "文字コードを判別できません（UTF-8 でも Shift_JIS（CP932）でもありません）".into(),
        ));
    }
    Ok((text.into_owned(), Encoding::Cp932))
}

/// A file that is not UTF-8 as a whole but has lines that are (and are not plain ASCII): lines pasted from
/// two files of different encodings. Read as CP932 it would be stored as mojibake without a word.
fn mixed_encodings(bytes: &[u8]) -> Option<String> {
    let mut utf8_line = None;
    let mut other_line = None;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => utf8_line = utf8_line.or(Some(i + 1)),
            Err(_) => other_line = other_line.or(Some(i + 1)),
        }
        if let (Some(u), Some(o)) = (utf8_line, other_line) {
            return Some(format!(
                "1つのファイルに2つの文字コードが混ざっています（{u}行目は UTF-8、{o}行目は Shift_JIS（CP932）など）。表計算ソフトで開き、1つの文字コードで保存し直してください"
            ));
        }
    }
    None
}

/// The line where a quoted field opens and never closes (RFC 4180: a quote opens a field only at its
/// start). Such a field would swallow every following row silently.
fn unclosed_quote(text: &str) -> Option<usize> {
    let (mut in_quotes, mut field_start, mut line, mut opened) = (false, true, 1usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' => in_quotes = false,
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            '"' if field_start => {
                in_quotes = true;
                opened = line;
            }
            ',' | '\r' => {
                field_start = true;
                continue;
            }
            '\n' => {
                line += 1;
                field_start = true;
                continue;
            }
            _ => {}
        }
        field_start = false;
    }
    in_quotes.then_some(opened)
}

fn file_error(message: String) -> ImportError {
    ImportError {
        row: 0,
        column: String::new(),
        message,
    }
}

/// Rows a ledger file may hold unless the operator says otherwise (`serve --max-import-rows`,
/// `MAMORI_MAX_IMPORT_ROWS`): far above any clinic's or hospital's ledger, low enough that one upload
/// cannot take the server's memory.
pub const DEFAULT_MAX_ROWS: usize = 100_000;

/// Reads a ledger file: xlsx when it is a zip (as every xlsx is), CSV otherwise.
pub fn parse_file(kind: Kind, bytes: &[u8]) -> Result<Parsed, Vec<ImportError>> {
    parse_file_limited(kind, bytes, DEFAULT_MAX_ROWS)
}

/// [`parse_file`] with at most `max_rows` rows; reading stops as soon as the file has more.
pub fn parse_file_limited(
    kind: Kind,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Parsed, Vec<ImportError>> {
    if let Some(m) = crate::xlsx_guard::protected_or_xls(bytes) {
        return Err(vec![file_error(m)]);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        xlsx_rows(kind, bytes, max_rows)
    } else {
        csv_rows(kind, bytes, max_rows)
    }
}

fn too_many_rows(max_rows: usize) -> Vec<ImportError> {
    vec![file_error(format!(
        "行が多すぎます（上限 {max_rows} 行）。ファイルを分けて取り込んでください（上限は serve の --max-import-rows、mamori import ledger の --max-rows、または環境変数 MAMORI_MAX_IMPORT_ROWS で変えられます）"
    ))]
}

/// Problems listed for one file; the rest are counted (a file of bad rows must not make a huge page).
pub const MAX_ERRORS: usize = 200;

/// Title rows above the header row that a file may have besides its `max_rows` rows.
const HEADER_SEARCH_ROWS: usize = 20;

/// Reads a CSV ledger (UTF-8 with or without BOM, or CP932).
pub fn parse_csv(kind: Kind, bytes: &[u8]) -> Result<Parsed, Vec<ImportError>> {
    csv_rows(kind, bytes, DEFAULT_MAX_ROWS)
}

fn csv_rows(kind: Kind, bytes: &[u8], max_rows: usize) -> Result<Parsed, Vec<ImportError>> {
    let (text, encoding) = decode(bytes).map_err(|e| vec![e])?;
    if let Some(line) = unclosed_quote(&text) {
        return Err(vec![ImportError {
            row: line,
            column: String::new(),
            message: "「\"」で始まる値が閉じられないまま、ファイルの終わりまで続いています（この行から後ろがすべて1つの値になります）。値の中の「\"」は「\"\"」と2つ重ねるか、値全体を「\"」で囲んでください".into(),
        }]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut lines = Vec::new();
    let (mut counted_to, mut line) = (0usize, 1usize);
    for (i, r) in reader.records().enumerate() {
        if records.len() > max_rows + HEADER_SEARCH_ROWS {
            return Err(too_many_rows(max_rows));
        }
        match r {
            Ok(r) => {
                // The line a record starts on: rows after a multi-line note keep the numbers an editor shows.
                // The position is where reading the record began, which may be before the line break
                // that ended the previous one.
                let mut start = r
                    .position()
                    .map(|p| p.byte() as usize)
                    .unwrap_or(counted_to);
                while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                if let Some(skipped) = text.as_bytes().get(counted_to..start) {
                    line += skipped.iter().filter(|b| **b == b'\n').count();
                    counted_to = start;
                }
                lines.push(if counted_to == start { line } else { i + 1 });
                records.push(r.iter().map(|v| unguard_formula(v).to_string()).collect())
            }
            Err(e) => {
                return Err(vec![ImportError {
                    row: e.position().map(|p| p.line() as usize).unwrap_or(i + 1),
                    column: String::new(),
                    message: format!("CSV として読めません: {e}"),
                }]);
            }
        }
    }
    let mut parsed = parse_table(kind, &records, Source::Csv(&lines))?;
    if parsed.rows.len() > max_rows {
        return Err(too_many_rows(max_rows));
    }
    parsed.encoding = Some(encoding);
    Ok(parsed)
}

/// Sheets whose rectangle up to the farthest cell holds more cells than this are not read as a whole:
/// calamine's `worksheet_range` allocates that rectangle, and one cell at XFD1048576 would ask for half a
/// terabyte (a few bytes of upload could stop the server).
pub const MAX_SHEET_CELLS: u64 = 5_000_000;

/// Whether a sheet's rectangle (up to its farthest cell, found by streaming its cells) is too large to read
/// whole; the message says so in Japanese.
pub fn sheet_too_large<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Option<String> {
    let mut reader = book.worksheet_cells_reader(name).ok()?;
    let (mut rows, mut cols) = (0u64, 0u64);
    while let Ok(Some(cell)) = reader.next_cell() {
        let (r, c) = cell.get_position();
        rows = rows.max(u64::from(r) + 1);
        cols = cols.max(u64::from(c) + 1);
    }
    (rows * cols > MAX_SHEET_CELLS).then(|| {
        format!(
            "シート「{name}」は大きすぎて読めません（{rows}行×{cols}列。離れたセルに値がないか確認してください）"
        )
    })
}

/// Reads an xlsx ledger: the first sheet whose rows hold a header row of this ledger.
pub fn parse_xlsx(kind: Kind, bytes: &[u8]) -> Result<Parsed, Vec<ImportError>> {
    xlsx_rows(kind, bytes, DEFAULT_MAX_ROWS)
}

fn xlsx_rows(kind: Kind, bytes: &[u8], max_rows: usize) -> Result<Parsed, Vec<ImportError>> {
    use calamine::{Data, Reader};
    let mut book = crate::xlsx_guard::open(bytes).map_err(|e| vec![file_error(e)])?;
    let names = book.sheet_names().to_vec();
    let mut last_errors = vec![file_error(format!(
        "{}の見出し行がどのシートにも見つかりません",
        kind.label()
    ))];
    for name in names {
        if let Some(m) = sheet_too_large(&mut book, &name) {
            last_errors = vec![file_error(m)];
            continue;
        }
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        // Rows as the sheet numbers them, from row 1, so error rows match what Excel shows.
        let start_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        if range.height() > max_rows + HEADER_SEARCH_ROWS {
            return Err(too_many_rows(max_rows));
        }
        let mut records: Vec<Vec<String>> = vec![Vec::new(); start_row];
        for row in range.rows() {
            records.push(
                row.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                            format!("{}", *f as i64)
                        }
                        Data::Float(f) => f.to_string(),
                        Data::Int(i) => i.to_string(),
                        Data::Bool(b) => if *b { "はい" } else { "いいえ" }.to_string(),
                        // Serial days from 1899-12-30 (Excel's 1900 date system).
                        Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                            .and_then(|epoch| {
                                epoch.checked_add_signed(chrono::Duration::days(
                                    d.as_f64().floor() as i64
                                ))
                            })
                            .map(|t| t.format("%Y-%m-%d").to_string())
                            .unwrap_or_default(),
                        Data::DateTimeIso(s) => s.chars().take(10).collect(),
                        Data::DurationIso(s) => s.clone(),
                        Data::Error(e) => format!("#{e:?}"),
                    })
                    .collect(),
            );
        }
        match parse_table(kind, &records, Source::Xlsx) {
            Ok(p) if p.rows.len() > max_rows => return Err(too_many_rows(max_rows)),
            Ok(p) => return Ok(p),
            Err(e) if e.len() == 1 && e[0].row == 0 => last_errors = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_errors)
}

/// The header row: the first of the first 20 rows naming at least two fields (or the one required field).
fn find_header(
    kind: Kind,
    records: &[Vec<String>],
) -> Option<(usize, Vec<Option<&'static Field>>)> {
    let by_name: HashMap<String, &'static Field> = kind
        .fields()
        .iter()
        .flat_map(|f| {
            std::iter::once(f.header)
                .chain(f.aliases.iter().copied())
                .map(move |n| (header_key(n), f))
        })
        .collect();
    records.iter().enumerate().take(20).find_map(|(i, r)| {
        let map: Vec<Option<&'static Field>> = r
            .iter()
            .map(|h| by_name.get(&header_key(h)).copied())
            .collect();
        let found = map.iter().flatten().count();
        let required_found = kind
            .fields()
            .iter()
            .filter(|f| f.required)
            .all(|f| map.iter().flatten().any(|m| m.key == f.key));
        (found >= 2 && required_found).then_some((i, map))
    })
}

/// Where a table's records came from: a CSV file (with the line each record starts on) or a sheet (one
/// record a row).
#[derive(Clone, Copy)]
enum Source<'a> {
    Csv(&'a [usize]),
    Xlsx,
}

/// A line break in a cell of a CSV file where none belongs: in a one-line column, in a column Mamori does
/// not read, or a note whose lines look like whole rows. Each is the sign of a stray 「"」 that took the
/// rows after it into one value.
fn swallowed_rows(field: Option<&Field>, value: &str, columns: usize) -> bool {
    if !value.contains(['\n', '\r']) {
        return false;
    }
    match field {
        Some(f) if f.multiline() => {
            columns >= 3
                && value
                    .lines()
                    .any(|l| l.matches(',').count() + 1 >= columns - 1)
        }
        _ => true,
    }
}

fn parse_table(
    kind: Kind,
    records: &[Vec<String>],
    source: Source,
) -> Result<Parsed, Vec<ImportError>> {
    let Some((header_at, map)) = find_header(kind, records) else {
        let required: Vec<&str> = kind
            .fields()
            .iter()
            .filter(|f| f.required)
            .map(|f| f.header)
            .collect();
        return Err(vec![file_error(format!(
            "{}の見出し行が見つかりません（「{}」などの見出しが必要です）",
            kind.label(),
            required.join("」「")
        ))]);
    };
    let headers = &records[header_at];
    let mut errors = Vec::new();
    // The same field twice: ambiguous, refused.
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (h, f) in headers.iter().zip(&map) {
        if let Some(f) = f
            && let Some(first) = seen.insert(f.key, h)
        {
            errors.push(ImportError {
                row: header_at + 1,
                column: crate::xlsx_guard::clip(h, 64),
                message: format!("「{first}」と同じ項目（{}）の列が2つあります", f.header),
            });
        }
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut identities: HashMap<Vec<String>, usize> = HashMap::new();
    for (i, record) in records.iter().enumerate().skip(header_at + 1) {
        let line = match source {
            Source::Csv(lines) => lines.get(i).copied().unwrap_or(i + 1),
            Source::Xlsx => i + 1,
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if matches!(source, Source::Csv(_))
            && let Some(col) = (0..record.len()).find(|c| {
                swallowed_rows(map.get(*c).copied().flatten(), &record[*c], headers.len())
            })
        {
            let spans = record[col].lines().count();
            errors.push(ImportError {
                row: line,
                column: headers.get(col).map(|h| crate::xlsx_guard::clip(h, 64)).unwrap_or_default(),
                message: format!(
                    "「\"」で囲まれた値が行をまたいで {spans} 行分続いています（閉じる「\"」がずれているか、値の中の「\"」が重ねられていません）。その後ろの行が1つの値に取り込まれてしまうため、何も取り込みません"
                ),
            });
            continue;
        }
        let mut row = Row::new();
        for (col, field) in map.iter().enumerate() {
            let Some(field) = field else { continue };
            let raw = record.get(col).map(String::as_str).unwrap_or("");
            // A sheet's cell typed with Alt+Enter in a one-line column is one line with spaces.
            let folded;
            let raw = if matches!(source, Source::Xlsx)
                && !field.multiline()
                && raw.contains(['\n', '\r'])
            {
                folded = raw
                    .split(['\n', '\r'])
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                folded.as_str()
            } else {
                raw
            };
            match normalise(field, raw) {
                Ok(Some(v)) => {
                    row.insert(field.key.to_string(), v);
                }
                Ok(None) => {}
                Err(message) => errors.push(ImportError {
                    row: line,
                    column: crate::xlsx_guard::clip(&headers[col], 64),
                    message,
                }),
            }
        }
        let identity: Vec<String> = kind
            .identity()
            .iter()
            .map(|k| row.get(*k).cloned().unwrap_or_default())
            .collect();
        if identity.iter().any(|v| !v.is_empty())
            && let Some(first) = identities.insert(identity.clone(), line)
        {
            let names: Vec<&str> = kind
                .identity()
                .iter()
                .filter_map(|k| kind.field(k).map(|f| f.header))
                .collect();
            errors.push(ImportError {
                row: line,
                column: String::new(),
                message: format!(
                    "{}行目と{}が同じです（{}）",
                    first,
                    names.join("・"),
                    crate::xlsx_guard::clip(
                        &identity
                            .iter()
                            .filter(|v| !v.is_empty())
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("・"),
                        64
                    )
                ),
            });
        }
        if let Some(note) = note_of(kind, &row) {
            notes.push(format!("{line}行目: {note}"));
        }
        rows.push((line, row));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        if errors.len() > MAX_ERRORS {
            let more = errors.len() - MAX_ERRORS;
            errors.truncate(MAX_ERRORS);
            errors.push(file_error(format!(
                "ほかにも {more} 件の問題があります（最初の {MAX_ERRORS} 件を表示しています）"
            )));
        }
        return Err(errors);
    }
    Ok(Parsed {
        kind,
        encoding: None,
        columns: headers
            .iter()
            .zip(&map)
            .map(|(h, f)| (h.clone(), f.map(|f| f.key)))
            .collect(),
        rows,
        notes,
    })
}

/// A row taken whose words ask for more: a retired user (退職) is expected to have its end date.
fn note_of(kind: Kind, row: &Row) -> Option<String> {
    if kind == Kind::Accounts
        && row.get("status").is_some_and(|s| s.starts_with("退職"))
        && !row.contains_key("end_date")
    {
        return Some(
            "状態が「退職」ですが「退職日・利用終了日」が空です。退職した日を記入してください"
                .into(),
        );
    }
    None
}

/// Characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A value as written into a CSV cell: one that a spreadsheet would run as a formula gets a leading `'`
/// (host names and account names come from agents and other people's files).
pub fn guard_formula(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(FORMULA_STARTS) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// The value [`guard_formula`] wrote, read back (Mamori's own CSV re-imports unchanged).
fn unguard_formula(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => v,
    }
}

/// CSV with every field's header, UTF-8 with a BOM (Excel opens it as UTF-8) or CP932.
pub fn to_csv(kind: Kind, rows: &[Row], encoding: Encoding) -> Vec<u8> {
    // A line break in a one-line column (an agent's report) is written as a space, so that the file
    // imports again.
    let cells: Vec<Vec<std::borrow::Cow<'_, str>>> = rows
        .iter()
        .map(|row| {
            kind.fields()
                .iter()
                .map(|f| {
                    let v = row.get(f.key).map(String::as_str).unwrap_or("");
                    if !f.multiline() && v.contains(['\n', '\r']) {
                        v.replace(['\n', '\r'], " ").into()
                    } else {
                        v.into()
                    }
                })
                .collect()
        })
        .collect();
    let headers: Vec<&str> = kind.fields().iter().map(|f| f.header).collect();
    table_csv(&headers, &cells, encoding)
}

/// Any table as CSV (CRLF, cells guarded against formulas) in the encoding asked for.
pub fn table_csv<S: AsRef<str>>(headers: &[&str], rows: &[Vec<S>], encoding: Encoding) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(headers).expect("writing to memory");
    for row in rows {
        w.write_record(row.iter().map(|v| guard_formula(v.as_ref()).into_owned()))
            .expect("writing to memory");
    }
    let text = String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8");
    match encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Cp932 => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
    }
}

/// Any table as an xlsx workbook of one sheet, every cell text, the header bold and frozen.
pub fn table_xlsx<S: AsRef<str>>(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<S>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let text = Format::new().set_num_format("@");
    let head = Format::new().set_bold().set_num_format("@");
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &head)?;
        sheet.set_column_width(c as u16, 18.0)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string_with_format(r as u32 + 1, c as u16, v.as_ref(), &text)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// An xlsx workbook with one sheet named after the ledger; every cell is text (IDs, phone numbers and
/// codes keep their leading zeros; dates stay as written).
pub fn to_xlsx(kind: Kind, rows: &[Row]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(kind.label())?;
    let text = Format::new().set_num_format("@");
    let head = Format::new().set_bold().set_num_format("@");
    for (c, f) in kind.fields().iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, f.header, &head)?;
        let width = match f.ty {
            FieldType::Date => 12.0,
            FieldType::Choice(_) => 10.0,
            _ => 16.0,
        };
        sheet.set_column_width(c, width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, f) in kind.fields().iter().enumerate() {
            if let Some(v) = row.get(f.key) {
                sheet.write_string_with_format(r as u32 + 1, c as u16, v, &text)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
