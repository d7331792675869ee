//! What the workbook tests share: answers for every row of a form, and reading a workbook back.

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Catalog, Form};
use mamori_core::{Answer, Choice, FiscalYear};
use mamori_report::{ChecklistExport, SHEET_NAME, checklist_xlsx};
use std::io::Cursor;

pub(crate) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// An answer for every row of the form: はい, いいえ with a 目標日, second rounds and notes mixed.
pub(crate) fn answers_for(catalog: &Catalog, form: &Form) -> Vec<Answer> {
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

pub(crate) fn export(catalog: &Catalog, form: &Form, answers: &AnswerSet) -> Vec<u8> {
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

pub(crate) fn sheet(bytes: &[u8]) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    wb.worksheet_range(SHEET_NAME).unwrap()
}
