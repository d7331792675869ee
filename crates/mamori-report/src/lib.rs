//! Mamori's documents: the facility (or pharmacy, or vendor) checklist as an xlsx workbook laid out like the
//! official form (header, notes, sections, items, 1回目/2回目 result columns and 備考, A4 print setup, the
//! sheet protected except the cells a person fills in), and reading such a workbook back into answers.

pub mod bcp_doc;
pub mod charts;
pub mod checklist_import;
pub mod edition_import;
pub mod edition_workbook;
pub mod pack;
pub mod sample_workbook;
pub mod workbook_fill;

use chrono::NaiveDate;
use mamori_core::answers::{AnswerSet, RowStatus, exemption};
use mamori_core::catalog::{Catalog, Form, Item, Target, UNVERIFIED_LABEL};
use mamori_core::dates::{FiscalYear, wareki};
use mamori_core::{Answer, Choice};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("Excelファイルを作成できません: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Everything the checklist workbook shows.
pub struct ChecklistExport<'a> {
    pub catalog: &'a Catalog,
    pub form: &'a Form,
    pub org_name: &'a str,
    pub answers: &'a AnswerSet,
    pub has_vendor_contract: bool,
    pub fiscal_year: FiscalYear,
    pub created_on: NaiveDate,
}

pub const SHEET_NAME: &str = "チェックリスト";
/// The hidden column holding each item row's `item id|target`, so that an exported workbook reads back
/// exactly, whatever the person did to the texts.
pub const KEY_COLUMN: u16 = 5;
/// How the 備考 cell marks a note of the second round.
pub const NOTE_ROUND2: &str = "（2回目）";
/// Row (0-based) of the column headings; items start two rows below.
pub const HEADER_ROW_LABEL: &str = "チェック項目";

/// A result cell as written on the form: 「はい」/「いいえ」, the check date, and the 目標日 for いいえ.
pub fn result_cell(a: &Answer) -> String {
    let mut s = format!("{}\n（{}）", a.answer.label(), wareki(a.checked_on));
    if a.answer == Choice::No
        && let Some(t) = a.target_date
    {
        s.push_str(&format!("\n目標日：{}", wareki(t)));
    }
    s
}

/// One note above a form's table.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedNote {
    pub text: String,
    /// A note of the form whose wording the reference could not confirm (C).
    pub unverified: bool,
    /// Mamori's own note (labelled 【Mamori による注記】), not the form's.
    pub ours: bool,
}

impl PrintedNote {
    /// The note as a printed line: 「＊…【未確認の文言】」 for the form's, the text for Mamori's.
    pub fn line(&self) -> String {
        match (self.ours, self.unverified) {
            (true, _) => self.text.clone(),
            (false, true) => format!("＊{}【{UNVERIFIED_LABEL}】", self.text),
            (false, false) => format!("＊{}", self.text),
        }
    }
}

/// The form's notes as printed for `fy`. A note that names the edition's own year (「令和7年度中の対応
/// 目標日」) is left out when the form serves another year (no newer edition imported) and Mamori's own
/// note, labelled as such, says which year the 目標日 belong to; a form whose layout the reference could
/// not confirm says so. The page, the xlsx and the PDF all print these.
pub fn printed_notes(catalog: &Catalog, form: &Form, fy: FiscalYear) -> Vec<PrintedNote> {
    let edition_year = catalog.edition(&form.edition).map(|e| e.fiscal_year).ok();
    let other_year = edition_year.is_some_and(|y| y != fy.start_year());
    let ours = |text: String| PrintedNote {
        text,
        unverified: false,
        ours: true,
    };
    let mut out: Vec<PrintedNote> = form
        .notes
        .iter()
        .filter(|n| !(other_year && n.text.contains("年度中")))
        .map(|n| PrintedNote {
            text: n.text.clone(),
            unverified: n.confidence.is_unverified(),
            ours: false,
        })
        .collect();
    if other_year {
        let name = catalog
            .edition(&form.edition)
            .map(|e| e.name.clone())
            .unwrap_or_default();
        out.push(ours(format!(
            "【Mamori による注記】{}の版が取り込まれていないため、{name}の様式で{}の確認をしています。1回目の確認で「いいえ」の場合の目標日は{}中（{}〜{}）の日付です。",
            fy.label(),
            fy.label(),
            fy.label(),
            wareki(fy.first_day()),
            wareki(fy.last_day())
        )));
    }
    if form.layout_unverified {
        out.push(ours(
            "【Mamori による注記】この版の様式の配置（番号の書き方、対象の示し方）は公式の様式で確認できていません【未確認】。マニュアル案の順に並べ、各項目の後に対象を示しています。"
                .to_string(),
        ));
    }
    out
}

/// The scope label after an item of a form kept in its own order, and which target the row answers
/// when the item has several: 「（サーバ、端末PC）　この行：端末PC」.
pub fn scope_line(item: &Item, target: Target) -> String {
    let mut s = item.scope_label();
    if item.targets.len() > 1 {
        s.push_str(&format!("　この行：{}", target.label()));
    }
    s
}

/// A row's text as `form` prints it: the item's cell, and in a form kept in its own order the scope label
/// and the row's target (every page and print that lists a form's rows uses this).
pub fn row_text(form: &Form, item: &Item, target: Target) -> String {
    let mut text = item_cell(item, target);
    if form.in_order && item.section == "2" {
        text.push('\n');
        text.push_str(&scope_line(item, target));
    }
    text
}

/// The text of an item as printed: its text, its ※ note, 参考 and unverified marks.
pub fn item_cell(item: &Item, target: Target) -> String {
    let mut s = item.text.clone();
    if let Some(n) = &item.note {
        s.push('\n');
        s.push_str(n);
    }
    if item.is_reference_for(target) {
        s.push_str("\n（参考項目）");
    }
    if item.confidence.is_unverified() {
        s.push_str(&format!("\n【{UNVERIFIED_LABEL}】"));
    }
    s
}

/// A result cell as printed.
#[derive(Debug, Clone, PartialEq)]
pub enum Printed {
    /// 確認不要 / 記入不要 (first round only).
    Exempt(&'static str),
    /// Nothing to fill in (the second round of an exempt row).
    Blank,
    /// Not answered yet: to be filled in.
    Open,
    Answer(String),
}

/// One (item, target) row of a form as printed.
#[derive(Debug, Clone)]
pub struct PrintedRow {
    pub item: mamori_core::ItemId,
    pub target: Target,
    pub number: String,
    /// The item's text with its ※ note, 参考 and unverified marks (and the gate's note).
    pub text: String,
    pub round1: Printed,
    pub round2: Printed,
    /// Both rounds' 備考 (the second marked [`NOTE_ROUND2`]).
    pub note: String,
}

pub struct PrintedGroup {
    /// 全般/サーバ/端末PC/ネットワーク機器 in section 2.
    pub heading: Option<String>,
    pub rows: Vec<PrintedRow>,
}

pub struct PrintedSection {
    pub title: String,
    pub groups: Vec<PrintedGroup>,
}

/// The form as printed, with its answers: what the xlsx and the PDF both show.
pub fn printed_layout(
    catalog: &Catalog,
    form: &Form,
    answers: &AnswerSet,
    has_vendor_contract: bool,
) -> Vec<PrintedSection> {
    form.layout()
        .into_iter()
        .map(|sec| PrintedSection {
            title: catalog.section_title_in(form, &sec.section).to_string(),
            groups: sec
                .groups
                .iter()
                .map(|g| PrintedGroup {
                    heading: g
                        .target
                        .map(|t| catalog.group_heading_in(form, t).to_string()),
                    rows: g
                        .rows
                        .iter()
                        .map(|&(item, target)| {
                            printed_row(catalog, form, item, target, answers, has_vendor_contract)
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

fn printed_row(
    catalog: &Catalog,
    form: &Form,
    item: &Item,
    target: Target,
    answers: &AnswerSet,
    has_vendor_contract: bool,
) -> PrintedRow {
    let mut text = row_text(form, item, target);
    if item.gate {
        text.push('\n');
        text.push_str(catalog.gate_note_in(form));
    }
    let exempt = exemption(form, item, answers, has_vendor_contract);
    let mut notes = Vec::new();
    let mut results = [Printed::Open, Printed::Open];
    for round in 1..=2u8 {
        results[usize::from(round - 1)] = match (exempt, answers.get(&item.id, target, round)) {
            (Some(s @ (RowStatus::NotNeeded | RowStatus::NotApplicable)), _) if round == 1 => {
                Printed::Exempt(s.label())
            }
            (Some(_), _) => Printed::Blank,
            (None, Some(a)) => {
                if !a.note.is_empty() {
                    notes.push(if round == 1 {
                        a.note.clone()
                    } else {
                        format!("{NOTE_ROUND2}{}", a.note)
                    });
                }
                Printed::Answer(if item.gate {
                    result_cell(&Answer {
                        target_date: None,
                        ..a.clone()
                    })
                } else {
                    result_cell(a)
                })
            }
            (None, None) => Printed::Open,
        };
    }
    let [round1, round2] = results;
    PrintedRow {
        item: item.id.clone(),
        target,
        number: item.number.clone(),
        text,
        round1,
        round2,
        note: notes.join("\n"),
    }
}

/// Column widths of the checklist sheet (Excel's units: about one half-width character each).
const WIDTHS: [f64; 5] = [6.0, 60.0, 22.0, 22.0, 28.0];
/// Points per printed line of 10 pt text, and the cell's top and bottom padding together.
const LINE_POINTS: f64 = 15.0;
const ROW_PADDING: f64 = 4.0;

/// Lines `text` takes wrapped in a column `width` units wide: full-width characters take two units.
fn wrapped_lines(text: &str, width: f64) -> usize {
    let room = (width - 1.5).max(2.0);
    text.split('\n')
        .map(|line| {
            let units: f64 = line
                .chars()
                .map(|c| {
                    if c.is_ascii() || ('\u{ff61}'..='\u{ff9f}').contains(&c) {
                        1.0
                    } else {
                        2.0
                    }
                })
                .sum();
            ((units / room).ceil() as usize).max(1)
        })
        .sum()
}

/// A row's height in points: enough for its tallest cell, never below the default.
fn row_height(cells: &[(&str, f64)]) -> f64 {
    let lines = cells
        .iter()
        .map(|(t, w)| wrapped_lines(t, *w))
        .max()
        .unwrap_or(1);
    (lines as f64 * LINE_POINTS + ROW_PADDING).max(18.0)
}

/// The cell formats of the checklist sheet.
struct Formats {
    base: Format,
    cell: Format,
    title: Format,
    head: Format,
    section: Format,
    group: Format,
    center: Format,
    muted: Format,
    /// The cells a person fills in stay editable when the sheet is protected.
    input: Format,
    input_note: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new()
            .set_font_name("Yu Gothic")
            .set_font_size(10)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        let cell = base.clone().set_border(FormatBorder::Thin);
        let center = cell.clone().set_align(FormatAlign::Center);
        Formats {
            title: base.clone().set_bold().set_font_size(14),
            head: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xD9E1F2)),
            section: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xEDEDED)),
            group: cell.clone().set_italic(),
            muted: center.clone().set_font_color(Color::RGB(0x595959)),
            input: center.clone().set_unlocked(),
            input_note: cell.clone().set_unlocked(),
            center,
            cell,
            base,
        }
    }
}

pub fn checklist_xlsx(x: &ChecklistExport<'_>) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_NAME)?;
    let f = Formats::new();
    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let header_row = write_heading(ws, x, &f)?;
    write_items(ws, x, &f, header_row + 2)?;
    ws.set_column_hidden(KEY_COLUMN)?;
    // Protected without a password: against slips, not people (the form's texts must stay as issued).
    ws.protect();
    ws.set_paper_size(9); // A4
    ws.set_portrait();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
    ws.set_repeat_rows(header_row, header_row + 1)?;
    ws.set_header(format!("&L{}&R&P / &N", x.org_name.replace('&', "&&")));
    Ok(wb.save_to_buffer()?)
}

/// The title, the form and year, the facility, who filled it in, the notes, and the table's header;
/// returns the header's first row.
fn write_heading(
    ws: &mut rust_xlsxwriter::Worksheet,
    x: &ChecklistExport<'_>,
    f: &Formats,
) -> Result<u32, ReportError> {
    let all: f64 = WIDTHS.iter().sum();
    let form = x.form;
    let edition = x
        .catalog
        .edition(&form.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let mut title_text = form.title.clone();
    if form.title_confidence.is_unverified() {
        title_text.push_str(&format!("【{UNVERIFIED_LABEL}】"));
    }
    let mut row: u32 = 0;
    ws.merge_range(row, 0, row, 4, &title_text, &f.title)?;
    row += 1;
    ws.merge_range(
        row,
        0,
        row,
        4,
        &format!(
            "{}　{}（{}）",
            form.variant.label(),
            edition,
            x.fiscal_year.label()
        ),
        &f.base,
    )?;
    row += 1;
    ws.merge_range(row, 0, row, 2, &format!("施設名：{}", x.org_name), &f.base)?;
    ws.merge_range(
        row,
        3,
        row,
        4,
        &format!("作成日：{}", wareki(x.created_on)),
        &f.base,
    )?;
    row += 1;
    // Who filled it in (and, on the vendor form, for which vendor): written by hand, so left open.
    let filled_by = f
        .base
        .clone()
        .set_unlocked()
        .set_border_bottom(FormatBorder::Thin);
    let who = if form.variant == mamori_core::Variant::Vendor {
        "事業者名・記入者："
    } else {
        "記入者："
    };
    // The label spans the number and item columns: in the narrow number column alone it wrapped into
    // the line above when printed.
    ws.merge_range(
        row,
        0,
        row,
        1,
        who,
        &f.base.clone().set_align(FormatAlign::Right),
    )?;
    ws.merge_range(row, 2, row, 4, "", &filled_by)?;
    row += 1;
    for t in printed_notes(x.catalog, form, x.fiscal_year)
        .iter()
        .map(PrintedNote::line)
    {
        ws.merge_range(row, 0, row, 4, &t, &f.base)?;
        ws.set_row_height(row, row_height(&[(&t, all)]))?;
        row += 1;
    }
    row += 1;
    ws.merge_range(row, 0, row + 1, 1, HEADER_ROW_LABEL, &f.head)?;
    ws.merge_range(row, 2, row, 3, "確認結果（日付）", &f.head)?;
    ws.merge_range(row, 4, row + 1, 4, "備考", &f.head)?;
    ws.write_with_format(row + 1, 2, "1回目", &f.head)?;
    ws.write_with_format(row + 1, 3, "2回目", &f.head)?;
    Ok(row)
}

/// The sections, their target headings and the items with their answers, from `row` on.
fn write_items(
    ws: &mut rust_xlsxwriter::Worksheet,
    x: &ChecklistExport<'_>,
    f: &Formats,
    mut row: u32,
) -> Result<(), ReportError> {
    let all: f64 = WIDTHS.iter().sum();
    for sec in printed_layout(x.catalog, x.form, x.answers, x.has_vendor_contract) {
        ws.merge_range(row, 0, row, 4, &sec.title, &f.section)?;
        ws.set_row_height(row, row_height(&[(&sec.title, all)]))?;
        row += 1;
        for g in &sec.groups {
            if let Some(h) = &g.heading {
                ws.merge_range(row, 0, row, 4, h, &f.group)?;
                ws.set_row_height(row, row_height(&[(h, all)]))?;
                row += 1;
            }
            for r in &g.rows {
                let shown = |p: &Printed| match p {
                    Printed::Exempt(label) => label.to_string(),
                    Printed::Answer(t) => t.clone(),
                    Printed::Blank | Printed::Open => String::new(),
                };
                let (a, b) = (shown(&r.round1), shown(&r.round2));
                ws.set_row_height(
                    row,
                    row_height(&[
                        (&r.text, WIDTHS[1]),
                        (&a, WIDTHS[2]),
                        (&b, WIDTHS[3]),
                        (&r.note, WIDTHS[4]),
                    ]),
                )?;
                ws.write_with_format(row, 0, &r.number, &f.center)?;
                ws.write_with_format(row, 1, &r.text, &f.cell)?;
                for (col, result) in [(2, &r.round1), (3, &r.round2)] {
                    match result {
                        Printed::Exempt(label) => {
                            ws.write_with_format(row, col, *label, &f.muted)?
                        }
                        Printed::Blank => ws.write_with_format(row, col, "", &f.center)?,
                        Printed::Open => ws.write_with_format(row, col, "", &f.input)?,
                        Printed::Answer(t) => ws.write_with_format(row, col, t, &f.input)?,
                    };
                }
                ws.write_with_format(row, 4, &r.note, &f.input_note)?;
                ws.write(row, KEY_COLUMN, format!("{}|{}", r.item, r.target.id()))?;
                row += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use mamori_core::Variant;
    use std::io::Cursor;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn answer(
        item: &str,
        target: Target,
        round: u8,
        choice: Choice,
        target_date: Option<&str>,
        note: &str,
    ) -> Answer {
        Answer {
            item: item.into(),
            target,
            round,
            answer: choice,
            checked_on: d("2025-05-20"),
            target_date: target_date.map(d),
            note: note.into(),
        }
    }

    fn export(
        form: &Form,
        catalog: &Catalog,
        answers: &AnswerSet,
        vendor: bool,
    ) -> calamine::Range<Data> {
        let bytes = checklist_xlsx(&ChecklistExport {
            catalog,
            form,
            org_name: "みどりクリニック",
            answers,
            has_vendor_contract: vendor,
            fiscal_year: FiscalYear::new(2025),
            created_on: d("2025-06-01"),
        })
        .unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        wb.worksheet_range(SHEET_NAME).unwrap()
    }

    fn find_row(range: &calamine::Range<Data>, text_start: &str, after: usize) -> usize {
        (after..range.height())
            .find(|r| {
                range
                    .get((*r, 1))
                    .is_some_and(|c| c.to_string().starts_with(text_start))
            })
            .unwrap_or_else(|| panic!("no row starting with {text_start}"))
    }

    #[test]
    fn rows_are_as_tall_as_their_wrapped_lines() {
        assert_eq!(wrapped_lines("", 22.0), 1);
        assert_eq!(wrapped_lines("はい\n（令和7年5月20日）", 22.0), 2);
        // 60 units hold 29 full-width characters a line: 30 take two lines, 10 half-width one.
        assert_eq!(wrapped_lines(&"あ".repeat(29), 60.0), 1);
        assert_eq!(wrapped_lines(&"あ".repeat(30), 60.0), 2);
        assert_eq!(wrapped_lines("abcdefghij", 60.0), 1);
        // Full-width characters are counted at two units, a little wider than most fonts print them:
        // a row a little too tall prints; one too low hides lines.
        let three = row_height(&[
            ("いいえ\n（令和7年5月20日）\n目標日：令和8年3月1日", 28.0),
            ("短い", 60.0),
        ]);
        assert_eq!(three, 3.0 * LINE_POINTS + ROW_PADDING);
        assert_eq!(row_height(&[("", 60.0)]), 19.0);
    }

    #[test]
    fn every_row_and_answer_lands_in_its_cell() {
        let c = Catalog::builtin().unwrap();
        let form = c.form("r7", Variant::Facility).unwrap();
        let answers = AnswerSet::new([
            answer("r7.facility.1.1", Target::General, 1, Choice::Yes, None, ""),
            answer(
                "r7.facility.2.4",
                Target::Terminal,
                1,
                Choice::No,
                Some("2026-03-31"),
                "更新予定",
            ),
            answer(
                "r7.facility.2.4",
                Target::Terminal,
                2,
                Choice::Yes,
                None,
                "",
            ),
        ]);
        let r = export(form, &c, &answers, false);
        let s =
            |row: usize, col: usize| r.get((row, col)).map(|c| c.to_string()).unwrap_or_default();
        assert!(
            s(0, 0).starts_with(
                "医療機関におけるサイバーセキュリティ対策チェックリスト（令和7年5月）"
            )
        );
        assert_eq!(s(1, 0), "医療機関確認用　令和7年度版（令和7年度）");
        assert_eq!(s(2, 0), "施設名：みどりクリニック");
        assert_eq!(s(2, 3), "作成日：令和7年6月1日");
        assert_eq!(s(3, 0), "記入者：", "a line to write who filled it in");
        let header = (0..r.height())
            .find(|row| s(*row, 0) == "チェック項目")
            .unwrap();
        assert_eq!(
            (
                s(header, 2),
                s(header + 1, 2),
                s(header + 1, 3),
                s(header, 4)
            ),
            (
                "確認結果（日付）".into(),
                "1回目".into(),
                "2回目".into(),
                "備考".into()
            )
        );
        // Every (item, target) row is there, in form order.
        let rows: Vec<usize> = (header + 2..r.height())
            .filter(|row| !s(*row, 1).is_empty())
            .collect();
        assert_eq!(rows.len(), form.rows().count());
        let officer = find_row(&r, "医療情報システム安全管理責任者", header);
        assert_eq!(s(officer, 2), "はい\n（令和7年5月20日）");
        // 2(4) appears under サーバ and 端末PC; the 端末PC one holds the answers.
        let server = find_row(&r, "利用者の職種", header);
        let terminal = find_row(&r, "利用者の職種", server + 1);
        assert_eq!(s(server, 2), "");
        assert_eq!(
            s(terminal, 2),
            "いいえ\n（令和7年5月20日）\n目標日：令和8年3月31日"
        );
        assert_eq!(s(terminal, 3), "はい\n（令和7年5月20日）");
        assert_eq!(s(terminal, 4), "更新予定");
        assert!(
            s(terminal, 1).contains("【未確認の文言】"),
            "C texts are marked"
        );
        // Without a vendor contract 2(2) and 2(3) are 記入不要.
        let remote = find_row(&r, "リモートメンテナンス", header);
        assert_eq!(s(remote, 2), "記入不要");
        assert!((0..header).any(|row| s(row, 0).starts_with("＊")));
    }

    #[test]
    fn gate_no_marks_everything_else_not_needed() {
        let c = Catalog::builtin().unwrap();
        let form = c.form("r5", Variant::Pharmacy).unwrap();
        let answers = AnswerSet::new([answer(
            "r5.pharmacy.gate",
            Target::General,
            1,
            Choice::No,
            Some("2024-03-01"),
            "",
        )]);
        let r = export(form, &c, &answers, true);
        let s =
            |row: usize, col: usize| r.get((row, col)).map(|c| c.to_string()).unwrap_or_default();
        let gate = find_row(&r, "医療情報システムを導入", 0);
        assert!(s(gate, 1).contains("（「いいえ」の場合、以下すべての項目は確認不要）"));
        let bcp = find_row(&r, "サイバー攻撃を想定した", gate);
        assert_eq!(s(bcp, 2), "確認不要");
        assert!(s(bcp, 1).contains("（参考項目）"));
    }
}
