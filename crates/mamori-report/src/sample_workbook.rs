//! Checklist workbooks in several plausible layouts of an official form, written from a catalog form. MHLW's
//! own workbooks are not in the repository: these stand in for them in tests, in the browser test and for
//! anyone trying the import (`mamori dev edition-workbook`).

use mamori_core::catalog::{Catalog, Form, Item, Target, Variant};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// A plausible next edition as a merged 医療機関・薬局確認用: R7's items with the password item's text changed,
/// the last item of section 3 gone and a new 3(4) (責任分界). For tests and trials, not MHLW's text.
pub fn next_edition_sample(catalog: &Catalog) -> Form {
    let mut form = catalog
        .form("r7", Variant::Facility)
        .expect("the built-in catalog has R7")
        .clone();
    form.variant = Variant::Merged;
    form.title = "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト（令和8年度）".into();
    form.items.retain(|i| i.key != "3.4");
    if let Some(pw) = form.items.iter_mut().find(|i| i.key == "2.7") {
        pw.text =
            "パスワードは英数字、記号が混在した8文字以上とし、使い回しを禁止している。".into();
        pw.note = None;
    }
    if let Some(mut new) = form.items.iter().find(|i| i.key == "3.3").cloned() {
        new.key = "3.4".into();
        new.number = "(4)".into();
        new.text = "事業者との責任分界を契約書等で明確にしている。".into();
        form.items.push(new);
    }
    form
}

/// Layouts seen (or plausible) in MHLW's forms so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleLayout {
    /// The R5 form: チェック項目 | 確認結果（日付） over 1回目 | 2回目 | 備考; headings as merged rows.
    Rounds,
    /// 区分 | No. | チェック項目 | 確認結果 | 確認日 | 目標日 | 備考 in one heading row; targets in the 区分 column.
    Columns,
    /// Section titles in a vertically merged first column; numbers inside the item cell; ※ notes as rows;
    /// 1回目 and 2回目 each over 結果 | 日付.
    MergedSections,
    /// 項番 1-①, circled numbers; 1回目 and 2回目 each over 確認結果 | 確認日 | 目標日; notes with *.
    Circled,
    /// Marked, not written: 1回目 and 2回目 each over はい | いいえ | 確認日 | 目標日 (○ in one of the two).
    Marks,
}

impl SampleLayout {
    pub const ALL: [SampleLayout; 5] = [
        SampleLayout::Rounds,
        SampleLayout::Columns,
        SampleLayout::MergedSections,
        SampleLayout::Circled,
        SampleLayout::Marks,
    ];
    pub fn id(self) -> &'static str {
        match self {
            SampleLayout::Rounds => "rounds",
            SampleLayout::Columns => "columns",
            SampleLayout::MergedSections => "merged",
            SampleLayout::Circled => "circled",
            SampleLayout::Marks => "marks",
        }
    }
    pub fn parse(s: &str) -> Option<SampleLayout> {
        SampleLayout::ALL.into_iter().find(|l| l.id() == s)
    }
}

/// The item number as the layout prints it.
fn printed_number(layout: SampleLayout, item: &Item) -> String {
    // The number the form prints (the R7 vendor form's 3(3) has the key 3.4), else the key's.
    let digits: String = item.number.chars().filter(char::is_ascii_digit).collect();
    let n: u32 = digits
        .parse()
        .ok()
        .or_else(|| item.key.rsplit('.').next().and_then(|k| k.parse().ok()))
        .unwrap_or(0);
    match layout {
        SampleLayout::Circled => {
            let c = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
                .chars()
                .nth(n.saturating_sub(1) as usize)
                .unwrap_or('⑳');
            format!("{}-{c}", item.section)
        }
        SampleLayout::Columns => format!("（{n}）"),
        _ => format!("({n})"),
    }
}

/// The item's cell: text, ※ note (in the cell for some layouts), 参考 and the gate's note.
fn item_text(
    catalog: &Catalog,
    form: &Form,
    item: &Item,
    target: Target,
    note_in_cell: bool,
) -> String {
    let mut s = item.text.clone();
    if note_in_cell && let Some(n) = &item.note {
        s.push('\n');
        s.push_str(n);
    }
    if item.is_reference_for(target) {
        s.push_str("\n（参考項目）");
    }
    if item.gate {
        s.push('\n');
        s.push_str(catalog.gate_note_in(form));
    }
    s
}

struct Row<'a> {
    item: &'a Item,
    target: Target,
}

/// Writes `form` as a blank checklist workbook in `layout`.
pub fn sample_workbook(
    catalog: &Catalog,
    form: &Form,
    layout: SampleLayout,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    if layout == SampleLayout::Circled {
        // A cover sheet first: the importer must find the checklist on a later sheet.
        let cover = wb.add_worksheet();
        cover.set_name("表紙")?;
        cover.write(0, 0, "記入の手引き")?;
        cover.write(1, 0, "次のシートに記入してください。")?;
    }
    let ws = wb.add_worksheet();
    ws.set_name(match layout {
        SampleLayout::Rounds => "チェックリスト",
        SampleLayout::Columns => "Sheet1",
        SampleLayout::MergedSections => "確認用",
        SampleLayout::Circled => form.variant.label(),
        SampleLayout::Marks => "様式",
    })?;
    let base = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let cell = base.clone().set_border(FormatBorder::Thin);
    let bold = cell.clone().set_bold();
    let title = form.title.clone();
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 50)?;
    ws.set_column_width(2, 50)?;
    let mut r: u32 = 0;
    ws.write_with_format(r, 0, &title, &base)?;
    r += 1;
    r = write_header_fields(ws, form, layout, &cell, r)?;
    for n in &form.notes {
        let mark = if layout == SampleLayout::Circled {
            "*"
        } else {
            "＊"
        };
        ws.write(r, 0, format!("{mark}{}", n.text))?;
        r += 1;
    }
    r += 1;
    let (next, text_col, result_col, note_col) = write_table_heading(ws, layout, &bold, r)?;
    r = next;
    let width: u16 = note_col + 1;
    for sec in form.layout_by_target() {
        let title = catalog.section_title_in(form, &sec.section).to_string();
        let section_start = r;
        if layout != SampleLayout::MergedSections {
            ws.merge_range(r, 0, r, width - 1, &title, &bold)?;
            r += 1;
        }
        for g in &sec.groups {
            let rows: Vec<Row<'_>> = g
                .rows
                .iter()
                .map(|&(item, target)| Row { item, target })
                .collect();
            let heading = g
                .target
                .map(|t| catalog.group_heading_in(form, t).to_string());
            let group_start = r;
            if let Some(h) = &heading
                && layout != SampleLayout::Columns
            {
                ws.merge_range(r, 1, r, width - 1, h, &cell)?;
                r += 1;
            }
            for row in &rows {
                write_item(
                    ws, catalog, form, layout, row, r, text_col, result_col, note_col, &cell,
                )?;
                r += 1;
                if matches!(
                    layout,
                    SampleLayout::MergedSections | SampleLayout::Circled | SampleLayout::Marks
                ) && let Some(n) = &row.item.note
                {
                    ws.merge_range(r, text_col, r, width - 1, n, &base)?;
                    r += 1;
                }
            }
            if layout == SampleLayout::Columns
                && let Some(t) = g.target
            {
                // The 区分 column names the target group, merged over its rows.
                let label = t.label();
                if r - 1 > group_start {
                    ws.merge_range(group_start, 0, r - 1, 0, label, &cell)?;
                } else {
                    ws.write_with_format(group_start, 0, label, &cell)?;
                }
            }
        }
        if layout == SampleLayout::MergedSections {
            if r - 1 > section_start {
                ws.merge_range(section_start, 0, r - 1, 0, &title, &cell)?;
            } else {
                ws.write_with_format(section_start, 0, &title, &cell)?;
            }
        }
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    wb.save_to_buffer()
}

/// The lines under the title: the form's kind and the header fields, as each layout places them.
fn write_header_fields(
    ws: &mut Worksheet,
    form: &Form,
    layout: SampleLayout,
    cell: &Format,
    mut r: u32,
) -> Result<u32, XlsxError> {
    let label = form.variant.label();
    match layout {
        SampleLayout::Rounds => {
            ws.write(r, 0, format!("【{label}】"))?;
            r += 1;
            ws.write(r, 0, "施設名：")?;
            ws.write(r, 3, "記入者：")?;
            r += 1;
        }
        SampleLayout::Columns => {
            ws.write(r, 5, label)?;
            r += 1;
            let who = if form.variant == Variant::Vendor {
                "事業者名"
            } else {
                "医療機関名"
            };
            ws.write(r, 0, who)?;
            ws.merge_range(r, 1, r, 2, "", cell)?;
            ws.write(r, 3, "確認日")?;
            ws.write_with_format(r, 4, "", cell)?;
            r += 1;
            ws.write(r, 0, "記入者")?;
            ws.merge_range(r, 1, r, 2, "", cell)?;
            r += 1;
        }
        SampleLayout::MergedSections => {
            ws.write(r, 0, format!("（{label}）"))?;
            r += 1;
            ws.write(r, 0, "施設名")?;
            ws.write(r, 2, "記入者")?;
            r += 1;
        }
        SampleLayout::Circled => {
            ws.write(r, 0, label)?;
            r += 1;
            ws.write(r, 0, "確認日：")?;
            r += 1;
        }
        SampleLayout::Marks => {
            ws.write(r, 4, format!("【{label}】"))?;
            r += 1;
            ws.write(r, 0, "施設名：")?;
            r += 1;
        }
    }
    Ok(r)
}

/// The answer table's heading, as each layout draws it; returns the next row and the columns: (item
/// text, first result, note).
fn write_table_heading(
    ws: &mut Worksheet,
    layout: SampleLayout,
    bold: &Format,
    mut r: u32,
) -> Result<(u32, u16, u16, u16), XlsxError> {
    let cols = match layout {
        SampleLayout::Rounds => {
            ws.merge_range(r, 0, r + 1, 1, "チェック項目", bold)?;
            ws.merge_range(r, 2, r, 3, "確認結果（日付）", bold)?;
            ws.write_with_format(r + 1, 2, "1回目", bold)?;
            ws.write_with_format(r + 1, 3, "2回目", bold)?;
            ws.merge_range(r, 4, r + 1, 4, "備考", bold)?;
            r += 2;
            (1, 2, 4)
        }
        SampleLayout::Columns => {
            for (c, h) in [
                "区分",
                "No.",
                "チェック項目",
                "確認結果",
                "確認日",
                "目標日",
                "備考",
            ]
            .iter()
            .enumerate()
            {
                ws.write_with_format(r, c as u16, *h, bold)?;
            }
            r += 1;
            (2, 3, 6)
        }
        SampleLayout::MergedSections => {
            ws.merge_range(r, 0, r + 1, 0, "区分", bold)?;
            ws.merge_range(r, 1, r + 1, 1, "確認項目", bold)?;
            ws.merge_range(r, 2, r, 3, "1回目", bold)?;
            ws.merge_range(r, 4, r, 5, "2回目", bold)?;
            for (c, h) in [(2, "結果"), (3, "日付"), (4, "結果"), (5, "日付")] {
                ws.write_with_format(r + 1, c, h, bold)?;
            }
            ws.merge_range(r, 6, r + 1, 6, "備考", bold)?;
            r += 2;
            (1, 2, 6)
        }
        SampleLayout::Circled => {
            ws.merge_range(r, 0, r + 1, 0, "項番", bold)?;
            ws.merge_range(r, 1, r + 1, 1, "確認項目", bold)?;
            ws.merge_range(r, 2, r, 4, "1回目", bold)?;
            ws.merge_range(r, 5, r, 7, "2回目", bold)?;
            for (c, h) in [
                (2, "確認結果"),
                (3, "確認日"),
                (4, "目標日"),
                (5, "確認結果"),
                (6, "確認日"),
                (7, "目標日"),
            ] {
                ws.write_with_format(r + 1, c, h, bold)?;
            }
            ws.merge_range(r, 8, r + 1, 8, "備考", bold)?;
            r += 2;
            (1, 2, 8)
        }
        SampleLayout::Marks => {
            ws.merge_range(r, 0, r + 1, 0, "No", bold)?;
            ws.merge_range(r, 1, r + 1, 1, "チェック項目", bold)?;
            ws.merge_range(r, 2, r, 5, "1回目", bold)?;
            ws.merge_range(r, 6, r, 9, "2回目", bold)?;
            for (c, h) in [
                (2, "はい"),
                (3, "いいえ"),
                (4, "確認日"),
                (5, "目標日"),
                (6, "はい"),
                (7, "いいえ"),
                (8, "確認日"),
                (9, "目標日"),
            ] {
                ws.write_with_format(r + 1, c, h, bold)?;
            }
            ws.merge_range(r, 10, r + 1, 10, "備考", bold)?;
            r += 2;
            (1, 2, 10)
        }
    };
    Ok((r, cols.0, cols.1, cols.2))
}

#[allow(clippy::too_many_arguments)]
fn write_item(
    ws: &mut Worksheet,
    catalog: &Catalog,
    form: &Form,
    layout: SampleLayout,
    row: &Row<'_>,
    r: u32,
    text_col: u16,
    result_col: u16,
    note_col: u16,
    cell: &Format,
) -> Result<(), XlsxError> {
    let item = row.item;
    let note_in_cell = matches!(layout, SampleLayout::Rounds | SampleLayout::Columns);
    let text = item_text(catalog, form, item, row.target, note_in_cell);
    let number = if item.gate {
        String::new()
    } else {
        printed_number(layout, item)
    };
    match layout {
        SampleLayout::Rounds => {
            ws.write_with_format(r, 0, &number, cell)?;
            ws.write_with_format(r, text_col, &text, cell)?;
        }
        SampleLayout::Columns => {
            ws.write_with_format(r, 1, &number, cell)?;
            ws.write_with_format(r, text_col, &text, cell)?;
            ws.write_with_format(r, result_col, "はい・いいえ", cell)?;
        }
        SampleLayout::MergedSections => {
            let t = if number.is_empty() {
                text
            } else {
                format!("{number}　{text}")
            };
            ws.write_with_format(r, text_col, &t, cell)?;
        }
        SampleLayout::Circled | SampleLayout::Marks => {
            ws.write_with_format(r, 0, &number, cell)?;
            ws.write_with_format(r, text_col, &text, cell)?;
        }
    }
    for c in result_col..note_col {
        if !(layout == SampleLayout::Columns && c == result_col) {
            ws.write_with_format(r, c, "", cell)?;
        }
    }
    ws.write_with_format(r, note_col, "", cell)?;
    Ok(())
}
