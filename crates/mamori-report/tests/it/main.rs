//! Every edition and variant: the workbook holds every item text and answer in its cell, and reading it
//! back gives the same answers; a retyped workbook without Mamori's key column reads by item text; bad
//! cells are all named and nothing is returned.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Catalog, Form};
use mamori_core::{Answer, Choice, FiscalYear};
use mamori_report::checklist_import::read_checklist_xlsx;
use mamori_report::{
    ChecklistExport, KEY_COLUMN, SHEET_NAME, checklist_xlsx, item_cell, result_cell,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// An answer for every row of the form: はい, いいえ with a 目標日, second rounds and notes mixed.
fn answers_for(catalog: &Catalog, form: &Form) -> Vec<Answer> {
    let fy = catalog.edition(&form.edition).unwrap().fiscal_year;
    let mut out = Vec::new();
    for (i, (item, target)) in form.rows().enumerate() {
        let no = !item.gate && i % 3 == 1;
        out.push(Answer {
            item: item.id.clone(),
            target,
            round: 1,
            answer: if no { Choice::No } else { Choice::Yes },
            checked_on: NaiveDate::from_ymd_opt(fy, 5, 20).unwrap(),
            target_date: no.then(|| NaiveDate::from_ymd_opt(fy + 1, 3, 1).unwrap()),
            note: if i % 4 == 0 {
                format!("備考{i}：台帳で確認")
            } else {
                String::new()
            },
        });
        if no && i % 2 == 1 {
            out.push(Answer {
                item: item.id.clone(),
                target,
                round: 2,
                answer: Choice::Yes,
                checked_on: NaiveDate::from_ymd_opt(fy, 11, 2).unwrap(),
                target_date: None,
                note: "対応済み".into(),
            });
        }
    }
    out
}

fn export(catalog: &Catalog, form: &Form, answers: &AnswerSet) -> Vec<u8> {
    checklist_xlsx(&ChecklistExport {
        catalog,
        form,
        org_name: "みどりクリニック",
        answers,
        has_vendor_contract: true,
        fiscal_year: FiscalYear::new(catalog.edition(&form.edition).unwrap().fiscal_year),
        created_on: d("2026-12-01"),
    })
    .unwrap()
}

fn sheet(bytes: &[u8]) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    wb.worksheet_range(SHEET_NAME).unwrap()
}

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
                item: i.item.clone(),
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
            for item in &g.items {
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

mod result_cells {
    use super::*;
    use mamori_report::checklist_import::parse_result_cell;
    use proptest::prelude::*;

    proptest! {
        /// Any text: read or refused with a reason, never a panic.
        #[test]
        fn any_text_is_read_or_refused(s in "\\PC{0,40}") {
            let _ = parse_result_cell(&s);
        }

        /// Every answer the form prints reads back as itself (和暦, 元年 and the 目標日 included).
        #[test]
        fn printed_answers_read_back(days in 0u64..40_000, later in 0u64..400, yes: bool) {
            let checked = d("1927-01-01") + chrono::Days::new(days);
            let target = (!yes).then(|| checked + chrono::Days::new(later));
            let printed = result_cell(&Answer {
                item: String::new(),
                target: mamori_core::Target::General,
                round: 1,
                answer: if yes { Choice::Yes } else { Choice::No },
                checked_on: checked,
                target_date: target,
                note: String::new(),
            });
            prop_assert_eq!(parse_result_cell(&printed), Ok(Some((yes, checked, target))));
        }
    }
}
mod edition_workbook;

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

/// A text line of a PDF page as `pdftotext -bbox-layout` gives it.
#[derive(Debug)]
struct PdfLine {
    page: usize,
    x: (f64, f64),
    y: (f64, f64),
    text: String,
}

fn attr(tag: &str, name: &str) -> f64 {
    let i = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    tag[i..tag[i..].find('"').unwrap() + i].parse().unwrap()
}

/// The text lines of a PDF with their boxes, from poppler's XHTML.
fn pdf_lines(pdf: &std::path::Path) -> Vec<PdfLine> {
    let out = std::process::Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    let mut lines = Vec::new();
    let mut page = 0;
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
        } else if part.starts_with("line ") {
            lines.push(PdfLine {
                page,
                x: (attr(part, "xMin"), attr(part, "xMax")),
                y: (attr(part, "yMin"), attr(part, "yMax")),
                text: String::new(),
            });
        } else if let Some(w) = part.strip_prefix("word ") {
            let word = w.split_once('>').map_or("", |(_, t)| t);
            if let Some(l) = lines.last_mut() {
                l.text.push_str(word);
            }
        }
    }
    lines
}

/// The checklist as LibreOffice Calc opens and prints it: every line of every cell is on the page and
/// no line is drawn over another (a row too low for its wrapped text makes lines run into the next row).
#[test]
fn the_checklist_prints_in_libreoffice_with_every_line_readable() {
    let have = |cmd: &str, flag: &str| {
        std::process::Command::new(cmd)
            .arg(flag)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("soffice", "--version") || !have("pdftotext", "-v") {
        // CI installs both (.ci/run): there a missing tool is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs libreoffice-calc and poppler-utils"
        );
        println!(
            "SKIP: LibreOffice (libreoffice-calc) or pdftotext is not installed; the print is not checked"
        );
        return;
    }
    let catalog = Catalog::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for form in catalog.forms() {
        let answers = AnswerSet::new(answers_for(&catalog, form));
        let xlsx = dir
            .path()
            .join(format!("{}-{:?}.xlsx", form.edition, form.variant));
        std::fs::write(&xlsx, export(&catalog, form, &answers)).unwrap();
        files.push(xlsx);
    }
    // One LibreOffice for every form (its start-up is most of the time).
    let out = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/lo",
            dir.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (form, xlsx) in catalog.forms().iter().zip(&files) {
        let pdf = xlsx.with_extension("pdf");
        let lines = pdf_lines(&pdf);
        assert!(lines.len() > 50, "{}: {} lines", form.title, lines.len());
        // Every item's text is printed, whole.
        let all: String = lines.iter().map(|l| l.text.as_str()).collect();
        for (item, _) in form.rows() {
            let start: String = item
                .text
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(20)
                .collect();
            assert!(
                all.contains(&start),
                "{}: {} is not printed",
                form.title,
                item.id
            );
        }
        // No two lines overlap on a page.
        for (i, a) in lines.iter().enumerate() {
            for b in &lines[i + 1..] {
                let overlap = a.page == b.page
                    && a.x.0 < b.x.1 - 1.0
                    && b.x.0 < a.x.1 - 1.0
                    && a.y.0 < b.y.1 - 1.5
                    && b.y.0 < a.y.1 - 1.5;
                assert!(
                    !overlap,
                    "{}: lines drawn over each other:\n{a:?}\n{b:?}",
                    form.title
                );
            }
        }
        if let Ok(keep) = std::env::var("MAMORI_KEEP_PRINT") {
            std::fs::copy(
                &pdf,
                std::path::Path::new(&keep)
                    .join(format!("{}-{:?}.pdf", form.edition, form.variant)),
            )
            .unwrap();
        }
    }
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
    assert!(
        later.contains("（この様式は令和8年度の確認に使っています。目標日は令和8年度中（令和8年4月1日〜令和9年3月31日）の日付です）"),
        "{later}"
    );
    let own = text(2025);
    assert!(!own.contains("この様式は"), "{own}");
    assert!(own.contains("令和7年度中"), "{own}");
}
