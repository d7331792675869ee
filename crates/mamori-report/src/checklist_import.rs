//! Reading a filled checklist workbook back into answers: Mamori's own export (matched by the hidden key
//! column) or a workbook laid out like it, such as a facility's own Excel from an earlier year (matched by
//! item text under the 全般/サーバ/端末PC/ネットワーク機器 headings). All-or-nothing: every cell that cannot
//! be read is named by row and column, and no answer is returned.

use std::collections::HashMap;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use mamori_core::AnswerInput;
use mamori_core::catalog::{Catalog, Form, Item, Target};
use mamori_ledger::values::parse_date;
use serde::Serialize;

use crate::{HEADER_ROW_LABEL, KEY_COLUMN, NOTE_ROUND2};

/// A cell that could not be read: Excel's row number (1-based) and the column's heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for SheetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            // The whole file (not one of its rows).
            write!(f, "{}", self.message)
        } else if self.column.is_empty() {
            write!(f, "{}行目: {}", self.row, self.message)
        } else {
            write!(f, "{}行目「{}」列: {}", self.row, self.column, self.message)
        }
    }
}

/// The answers found in a workbook, and the Excel row of each (item, target) for later messages.
#[derive(Debug, Clone, Default)]
pub struct ImportedAnswers {
    pub inputs: Vec<AnswerInput>,
    pub rows: HashMap<(String, String), usize>,
    /// Item rows read (answered or not).
    pub item_rows: usize,
}

/// A cell's value as quoted in a message: at most 64 characters (a refused cell may hold 32,767).
fn clip(s: &str) -> String {
    mamori_ledger::xlsx_guard::clip(s, 64)
}

/// At most 200 problems, and how many more there were.
fn capped(mut errors: Vec<SheetError>) -> Vec<SheetError> {
    const MAX: usize = 200;
    if errors.len() > MAX {
        let more = errors.len() - MAX;
        errors.truncate(MAX);
        errors.push(SheetError {
            row: 0,
            column: String::new(),
            message: format!(
                "ほかにも {more} 件の問題があります（最初の {MAX} 件を表示しています）"
            ),
        });
    }
    errors
}

fn whole_file(message: impl Into<String>) -> Vec<SheetError> {
    vec![SheetError {
        row: 0,
        column: String::new(),
        message: message.into(),
    }]
}

fn cell_text(range: &calamine::Range<Data>, row: usize, col: usize) -> String {
    match range.get((row, col)) {
        None | Some(Data::Empty) => String::new(),
        // A date cell typed by hand: written back as text the parser reads.
        Some(Data::DateTime(d)) => NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(d.as_f64() as u64)))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        Some(c) => c.to_string().trim().to_string(),
    }
}

/// Compare item texts without the spacing and width differences of retyped forms.
fn normal(s: &str) -> String {
    mamori_ledger::values::half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A result cell as the form writes it: 「はい」 or 「いいえ」, the check date (in parentheses or on the next
/// line), and for いいえ 「目標日：…」. `Ok(None)` for an empty, 確認不要 or 記入不要 cell.
pub fn parse_result_cell(s: &str) -> Result<Option<(bool, NaiveDate, Option<NaiveDate>)>, String> {
    let t = s.trim();
    if t.is_empty() || ["確認不要", "記入不要", "未回答", "-", "－"].contains(&t) {
        return Ok(None);
    }
    let (yes, rest) = if let Some(r) = t.strip_prefix("いいえ") {
        (false, r)
    } else if let Some(r) = t.strip_prefix("はい") {
        (true, r)
    } else {
        return Err(format!(
            "「{}」を読み取れません（「はい」または「いいえ」と確認日を書いてください）",
            clip(t)
        ));
    };
    let (checked, target) = match rest.split_once("目標日") {
        Some((c, g)) => (c, Some(g.trim_start_matches([':', '：', ' ', '　']))),
        None => (rest, None),
    };
    let clean = |p: &str| {
        p.trim_matches(|c: char| c.is_whitespace() || "（）()【】「」".contains(c))
            .to_string()
    };
    let checked = clean(checked);
    if checked.is_empty() {
        return Err("確認日がありません（例：はい（令和7年5月20日））".into());
    }
    let checked_on = parse_date(&checked)
        .ok_or_else(|| format!("確認日「{}」を読み取れません", clip(&checked)))?;
    let target_date = match target.map(clean) {
        None => None,
        Some(g) if g.is_empty() => None,
        Some(g) => {
            Some(parse_date(&g).ok_or_else(|| format!("目標日「{}」を読み取れません", clip(&g)))?)
        }
    };
    if yes && target_date.is_some() {
        return Err("「はい」に目標日は書けません".into());
    }
    Ok(Some((yes, checked_on, target_date)))
}

/// Reads the answers of `form` from a workbook (the sheet with the 「チェック項目」 heading).
pub fn read_checklist_xlsx(
    catalog: &Catalog,
    form: &Form,
    bytes: &[u8],
) -> Result<ImportedAnswers, Vec<SheetError>> {
    let mut wb = mamori_ledger::xlsx_guard::open(bytes).map_err(whole_file)?;
    let names = wb.sheet_names();
    let mut found = None;
    for name in names {
        if mamori_ledger::codec::sheet_too_large(&mut wb, &name).is_some() {
            continue;
        }
        let Ok(range) = wb.worksheet_range(&name) else {
            continue;
        };
        let header = (0..range.height().min(200)).find(|r| {
            (0..range.width().min(10)).any(|c| cell_text(&range, *r, c) == HEADER_ROW_LABEL)
        });
        if let Some(h) = header {
            found = Some((range, h));
            break;
        }
    }
    let Some((range, header)) = found else {
        return Err(whole_file(format!(
            "「{HEADER_ROW_LABEL}」の見出しがあるシートが見つかりません"
        )));
    };
    // Columns: A number, B item text, C 1回目, D 2回目, E 備考, and Mamori's key column (hidden).
    let by_key: HashMap<&str, &Item> = form.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let by_text: HashMap<String, &Item> = form.items.iter().map(|i| (normal(&i.text), i)).collect();
    let headings: Vec<(String, Target)> = Target::ALL
        .iter()
        .map(|t| (normal(catalog.group_heading_in(form, *t)), *t))
        .filter(|(h, _)| !h.is_empty())
        .collect();
    let mut out = ImportedAnswers::default();
    let mut errors = Vec::new();
    let mut group: Option<Target> = None;
    for r in header + 2..range.height() {
        let excel_row = r + 1;
        let (a, b) = (cell_text(&range, r, 0), cell_text(&range, r, 1));
        let key = cell_text(&range, r, KEY_COLUMN as usize);
        if b.is_empty() {
            // A heading row (section or target group) spans the row from column A.
            if let Some((_, t)) = headings.iter().find(|(h, _)| *h == normal(&a)) {
                group = Some(*t);
            }
            continue;
        }
        let (item, target) = if let Some((id, target)) = key.split_once('|') {
            let item = by_key.get(id).copied();
            let target = Target::ALL.iter().copied().find(|t| t.id() == target);
            match (item, target) {
                (Some(i), Some(t)) => (i, t),
                _ => {
                    errors.push(SheetError {
                        row: excel_row,
                        column: String::new(),
                        message: format!("この様式にない項目です（{}）", clip(&key)),
                    });
                    continue;
                }
            }
        } else {
            let first = b.lines().next().unwrap_or_default();
            let Some(item) = by_text.get(&normal(first)).copied() else {
                errors.push(SheetError {
                    row: excel_row,
                    column: "チェック項目".into(),
                    message: format!(
                        "「{}」はこの様式の項目にありません（版や様式が違う可能性があります）",
                        clip(first)
                    ),
                });
                continue;
            };
            let target = group
                .filter(|g| item.targets.iter().any(|t| t.group == *g))
                .unwrap_or(item.targets[0].group);
            (item, target)
        };
        out.item_rows += 1;
        out.rows
            .insert((item.id.to_string(), target.id().to_string()), excel_row);
        let notes = cell_text(&range, r, 4);
        let (mut note1, mut note2) = (Vec::new(), Vec::new());
        for line in notes.lines() {
            match line.strip_prefix(NOTE_ROUND2) {
                Some(n) => note2.push(n),
                None => note1.push(line),
            }
        }
        for (round, col, column, note) in [
            (1, 2, "1回目", note1.join("\n")),
            (2, 3, "2回目", note2.join("\n")),
        ] {
            match parse_result_cell(&cell_text(&range, r, col)) {
                Ok(Some((yes, checked_on, target_date))) => out.inputs.push(AnswerInput {
                    item: item.id.to_string(),
                    target: Some(target.id().into()),
                    round: Some(round),
                    answer: Some(if yes { "yes" } else { "no" }.into()),
                    checked_on: Some(checked_on.to_string()),
                    target_date: target_date.map(|d| d.to_string()),
                    note: (!note.is_empty()).then_some(note),
                }),
                Ok(None) if !note.trim().is_empty() => errors.push(SheetError {
                    row: excel_row,
                    column: "備考".into(),
                    message: format!("{column}の回答がないのに備考があります"),
                }),
                Ok(None) => {}
                Err(message) => errors.push(SheetError {
                    row: excel_row,
                    column: column.into(),
                    message,
                }),
            }
        }
    }
    if out.item_rows == 0 && errors.is_empty() {
        errors.extend(whole_file("チェック項目の行がありません"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(capped(errors))
    }
}

/// A mark cell without its mark: what follows (a date written beside it).
fn strip_mark(s: &str) -> &str {
    let t = s.trim_start();
    match t.chars().next() {
        Some(c) if "○〇◯✓✔レvVxX×1●".contains(c) => &t[c.len_utf8()..],
        _ => t,
    }
}

/// Reads the answers of an imported edition's `form` from its official workbook as filled in (by Mamori
/// or by hand): the layout is recognised again, the items must be the form's (same numbers and texts),
/// and each answer cell is read as the form writes it. All-or-nothing, like [`read_checklist_xlsx`].
pub fn read_official_answers(
    form: &Form,
    bytes: &[u8],
) -> Result<ImportedAnswers, Vec<SheetError>> {
    use crate::edition_workbook::read_with_grid;
    use mamori_core::edition_import::normalized;
    let (parsed, grid) = read_with_grid(bytes, Some(form.variant))
        .map_err(|crate::edition_workbook::WorkbookError::Refused(m)| whole_file(m))?;
    let layout = &parsed.layout;
    let mut errors = Vec::new();
    for item in &parsed.form.items {
        match form.item_by_key(&item.key) {
            Some(i) if normalized(&i.text) == normalized(&item.text) => {}
            _ => {
                let row = layout
                    .rows
                    .iter()
                    .find(|r| r.key == item.key)
                    .map(|r| r.row as usize + 1)
                    .unwrap_or(0);
                errors.push(SheetError {
                    row,
                    column: "チェック項目".into(),
                    message: format!(
                        "「{}」はこの様式の項目にありません（版や様式が違う可能性があります）",
                        item.text.lines().next().unwrap_or_default()
                    ),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(capped(errors));
    }
    let several_rounds = layout.rounds.len() > 1;
    let mut out = ImportedAnswers::default();
    for place in &layout.rows {
        let item = form.item_by_key(&place.key).expect("checked above");
        let excel_row = place.row as usize + 1;
        out.item_rows += 1;
        out.rows.insert(
            (item.id.to_string(), place.target.id().to_string()),
            excel_row,
        );
        let cell = |c: Option<u32>| -> String {
            c.map(|c| grid.text(place.row, c).trim().to_string())
                .unwrap_or_default()
        };
        let notes = cell(layout.note_col);
        let mut by_round: HashMap<u8, Vec<&str>> = HashMap::new();
        for line in notes.lines() {
            use crate::workbook_fill::round_mark;
            let round = if several_rounds {
                (2..=9u8)
                    .find(|r| line.starts_with(&round_mark(*r)))
                    .unwrap_or(1)
            } else {
                1
            };
            let text = line.strip_prefix(&round_mark(round)).unwrap_or(line);
            by_round.entry(round).or_default().push(text);
        }
        for rc in &layout.rounds {
            let column = format!("{}回目", rc.round);
            let result = cell(Some(rc.result));
            let mut text = match rc.no {
                // Marked in the はい or いいえ column: the mark (○, ✓, 1 …) stands for the answer.
                Some(nc) => {
                    let no = cell(Some(nc));
                    match (result.is_empty(), no.is_empty()) {
                        (true, true) => String::new(),
                        (false, false) => {
                            errors.push(SheetError {
                                row: excel_row,
                                column: column.clone(),
                                message: "「はい」と「いいえ」の両方に印があります".into(),
                            });
                            continue;
                        }
                        (false, true) => format!("はい{}", strip_mark(&result)),
                        (true, false) => format!("いいえ{}", strip_mark(&no)),
                    }
                }
                None if result.contains("はい") && result.contains("いいえ") => String::new(),
                None => result,
            };
            // Separate date and 目標日 columns are read as if written in the result cell.
            let date = cell(rc.date);
            if !text.is_empty() && !date.is_empty() {
                // The date goes right after はい／いいえ (a 目標日 may follow in the result cell).
                let label = ["いいえ", "はい"]
                    .into_iter()
                    .find(|l| text.starts_with(l))
                    .unwrap_or("");
                text = format!("{label}（{date}）{}", &text[label.len()..]);
            }
            let target = cell(rc.target_date);
            if !text.is_empty() && !target.is_empty() {
                text = format!("{text}\n目標日：{target}");
            }
            let note = by_round
                .get(&rc.round)
                .map(|v| v.join("\n"))
                .unwrap_or_default();
            match parse_result_cell(&text) {
                Ok(Some((yes, checked_on, target_date))) => out.inputs.push(AnswerInput {
                    item: item.id.to_string(),
                    target: Some(place.target.id().into()),
                    round: Some(rc.round.into()),
                    answer: Some(if yes { "yes" } else { "no" }.into()),
                    checked_on: Some(checked_on.to_string()),
                    target_date: target_date.map(|d| d.to_string()),
                    note: (!note.is_empty()).then_some(note),
                }),
                Ok(None) if !note.trim().is_empty() && rc.round == 1 => errors.push(SheetError {
                    row: excel_row,
                    column: "備考".into(),
                    message: format!("{column}の回答がないのに備考があります"),
                }),
                Ok(None) => {}
                Err(message) => errors.push(SheetError {
                    row: excel_row,
                    column,
                    message,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(capped(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn result_cells_as_forms_write_them() {
        assert_eq!(
            parse_result_cell("はい\n（令和7年5月20日）"),
            Ok(Some((true, d("2025-05-20"), None)))
        );
        assert_eq!(
            parse_result_cell("いいえ（R7.5.20）目標日：令和8年3月31日"),
            Ok(Some((false, d("2025-05-20"), Some(d("2026-03-31")))))
        );
        assert_eq!(
            parse_result_cell("いいえ\n2025/5/20\n目標日:2026/3/1"),
            Ok(Some((false, d("2025-05-20"), Some(d("2026-03-01")))))
        );
        assert!(parse_result_cell("いいえ（令和7年13月1日）").is_err());
        assert_eq!(parse_result_cell("確認不要"), Ok(None));
        assert_eq!(parse_result_cell(""), Ok(None));
        assert!(
            parse_result_cell("済")
                .unwrap_err()
                .contains("「済」を読み取れません")
        );
        assert!(
            parse_result_cell("はい")
                .unwrap_err()
                .contains("確認日がありません")
        );
        assert!(
            parse_result_cell("はい（5月頃）")
                .unwrap_err()
                .contains("確認日「5月頃」")
        );
    }
}
