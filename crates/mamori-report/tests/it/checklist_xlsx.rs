//! The checklist workbook: every answer in its cell and read back, retyped workbooks, bad cells named.

use mamori_core::answers::AnswerSet;
use mamori_core::catalog::Catalog;
use mamori_core::{Answer, Choice, FiscalYear};
use mamori_report::checklist_import::read_checklist_xlsx;
use mamori_report::{ChecklistExport, KEY_COLUMN, checklist_xlsx, item_cell, result_cell};

use crate::helpers::*;

#[test]
fn every_form_exports_every_answer_in_its_cell_and_reads_back_the_same() {
    let catalog = Catalog::builtin().unwrap();
    for form in catalog.forms() {
        let answers = answers_for(&catalog, form);
        let set = AnswerSet::new(answers.clone());
        let bytes = export(&catalog, form, &set);
        let range = sheet(&bytes);
        let s = |r: usize, c: usize| range.get((r, c)).map(|c| c.to_string()).unwrap_or_default();
        // Every (item, target) row: its text in B, its answers in C/D, found by the hidden key.
        let mut rows = 0;
        for (item, target) in form.rows() {
            let key = format!("{}|{}", item.id, target.id());
            let r = (0..range.height())
                .find(|r| s(*r, KEY_COLUMN as usize) == key)
                .unwrap_or_else(|| panic!("{key}: no row"));
            assert!(s(r, 1).starts_with(&item_cell(item, target)), "{key}");
            for round in 1..=2 {
                let want = set
                    .get(&item.id, target, round)
                    .map(result_cell)
                    .unwrap_or_default();
                assert_eq!(s(r, 1 + round as usize), want, "{key} round {round}");
            }
            rows += 1;
        }
        assert_eq!(rows, form.rows().count());

        let back = read_checklist_xlsx(&catalog, form, &bytes)
            .unwrap_or_else(|e| panic!("{} {:?}: {e:?}", form.edition, form.variant));
        assert_eq!(back.item_rows, rows);
        let mut read: Vec<Answer> = back
            .inputs
            .iter()
            .map(|i| Answer {
                item: i.item.as_str().into(),
                target: mamori_core::Target::ALL
                    .into_iter()
                    .find(|t| Some(t.id()) == i.target.as_deref())
                    .unwrap(),
                round: i.round.unwrap() as u8,
                answer: Choice::parse(i.answer.as_deref().unwrap()).unwrap(),
                checked_on: d(i.checked_on.as_deref().unwrap()),
                target_date: i.target_date.as_deref().map(d),
                note: i.note.clone().unwrap_or_default(),
            })
            .collect();
        let mut want = answers.clone();
        read.sort_by_key(Answer::key);
        want.sort_by_key(Answer::key);
        assert_eq!(read, want, "{} {:?}", form.edition, form.variant);
    }
}

/// A facility's own workbook from an earlier year: the same layout, typed by hand, no key column, the
/// texts in full-width spacing, dates as they write them.
#[test]
fn a_retyped_workbook_reads_by_item_text_under_its_headings() {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r6", mamori_core::Variant::Facility).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "チェックリスト（令和6年度）").unwrap();
    ws.write(3, 0, "チェック項目").unwrap();
    ws.write(3, 2, "確認結果（日付）").unwrap();
    let mut row = 5;
    let mut expected = 0;
    for sec in form.layout() {
        ws.write(row, 0, catalog.section_title(&sec.section))
            .unwrap();
        row += 1;
        for g in &sec.groups {
            if let Some(t) = g.target {
                ws.write(row, 0, catalog.group_heading(t)).unwrap();
                row += 1;
            }
            for &(item, _) in &g.rows {
                ws.write(row, 0, &item.number).unwrap();
                ws.write(row, 1, item.text.replace('。', "。 ")).unwrap();
                ws.write(row, 2, "はい（R6.6.3）").unwrap();
                row += 1;
                expected += 1;
            }
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let back = read_checklist_xlsx(&catalog, form, &bytes).unwrap();
    assert_eq!(back.inputs.len(), expected);
    assert!(
        back.inputs
            .iter()
            .all(|i| i.checked_on.as_deref() == Some("2024-06-03"))
    );
    // Items that appear under several targets got the target of their heading.
    let targets: std::collections::BTreeSet<_> = back
        .inputs
        .iter()
        .map(|i| (i.item.clone(), i.target.clone()))
        .collect();
    assert_eq!(targets.len(), form.rows().count());
}

#[test]
fn bad_cells_are_all_named_and_nothing_is_read() {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let set = AnswerSet::new(answers_for(&catalog, form));
    let bytes = export(&catalog, form, &set);
    // Rewrite two result cells and add an item that is not on the form, via a copy of the cells.
    let range = sheet(&bytes);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in range.rows().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write(r as u32, c as u16, cell.to_string()).unwrap();
        }
    }
    let item_rows: Vec<usize> = (0..range.height())
        .filter(|r| {
            !range
                .get((*r, KEY_COLUMN as usize))
                .unwrap()
                .to_string()
                .is_empty()
        })
        .collect();
    let (first_item, second_item) = (item_rows[0], item_rows[1]);
    ws.write(first_item as u32, 2, "済").unwrap();
    ws.write(second_item as u32, 3, "いいえ（令和7年13月1日）")
        .unwrap();
    let last = range.height() as u32;
    ws.write(last, 1, "存在しない項目").unwrap();
    ws.write(last, KEY_COLUMN, "r7.facility.9.9|general")
        .unwrap();
    let errors = read_checklist_xlsx(&catalog, form, &wb.save_to_buffer().unwrap()).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 3, "{text:?}");
    assert_eq!(
        text[0],
        format!(
            "{}行目「1回目」列: 「済」を読み取れません（「はい」または「いいえ」と確認日を書いてください）",
            first_item + 1
        )
    );
    assert!(
        text[1].contains("「2回目」列: 確認日「令和7年13月1日」を読み取れません"),
        "{}",
        text[1]
    );
    assert!(text[2].contains("この様式にない項目です"));
}

/// Issue 23 (2): a workbook of hundreds of unknown, very long item texts is refused with at most 200
/// problems, each quoting at most 64 characters of the cell.
#[test]
fn refusals_of_a_huge_workbook_stay_small() {
    let c = Catalog::builtin().unwrap();
    let form = c.form("r7", mamori_core::Variant::Facility).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 1, mamori_report::HEADER_ROW_LABEL)
        .unwrap();
    let long = "知らない項目".repeat(5_000);
    for r in 0..300u32 {
        sheet.write_string(r + 2, 0, format!("({r})")).unwrap();
        sheet.write_string(r + 2, 1, &long).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let errors = read_checklist_xlsx(&c, form, &bytes).unwrap_err();
    assert_eq!(errors.len(), 201, "{:?}", &errors[..2]);
    assert!(errors.last().unwrap().message.contains("ほかにも 100 件"));
    let bytes_of_messages: usize = errors.iter().map(|e| e.message.len()).sum();
    assert!(bytes_of_messages < 100_000, "{bytes_of_messages}");
}

/// The 令和7 form used in 令和8年度 (its edition not imported yet): the printed note names the year the
/// 目標日 is checked against, and the note of the form's own year is printed as issued.
#[test]
fn notes_name_the_fiscal_year_of_the_target_dates() {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let answers = AnswerSet::new(Vec::new());
    let text = |fy: i32| {
        let bytes = checklist_xlsx(&ChecklistExport {
            catalog: &catalog,
            form,
            org_name: "みどりクリニック",
            answers: &answers,
            has_vendor_contract: true,
            fiscal_year: FiscalYear::new(fy),
            created_on: d("2026-12-01"),
        })
        .unwrap();
        let range = sheet(&bytes);
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let later = text(2026);
    // A 令和8年度 check on the R7 form: no 「令和7年度中の対応目標日」 beside 令和8年度 目標日, and
    // Mamori's own note, labelled as such, says which year they belong to.
    assert!(
        later.contains("【Mamori による注記】令和8年度の版が取り込まれていないため、令和7年度版の様式で令和8年度の確認をしています。1回目の確認で「いいえ」の場合の目標日は令和8年度中（令和8年4月1日〜令和9年3月31日）の日付です。"),
        "{later}"
    );
    assert!(!later.contains("令和7年度中"), "{later}");
    let own = text(2025);
    assert!(!own.contains("令和8年度"), "{own}");
    assert!(own.contains("令和7年度中"), "{own}");
}
