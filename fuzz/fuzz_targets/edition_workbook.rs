//! MHLW's workbook as a user brings it: arbitrary bytes, and arbitrary cell texts laid out on a sheet (so
//! the layout recognition itself is exercised, not only the zip reader). Reading never panics; whatever
//! reads as a checklist can be filled, and the filled copy reads as the same form.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use mamori_report::edition_workbook::read_edition_workbook;
use mamori_report::workbook_fill::{fill_workbook, rewrite_sheet_xml};

fuzz_target!(|data: &[u8]| {
    let _ = read_edition_workbook(data, None);
    // Any XML: rewriting a sheet never panics.
    let mut values = BTreeMap::new();
    values.insert((1, 2), "はい".to_string());
    let _ = rewrite_sheet_xml(data, &values);
    // Cell texts from the input: lines are rows, tabs are columns; a few rows are merged.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().take(200).enumerate() {
        for (c, cell) in line.split('\t').take(12).enumerate() {
            let _ = ws.write(r as u32, c as u16, cell.replace("\\n", "\n"));
        }
    }
    let Ok(bytes) = wb.save_to_buffer() else {
        return;
    };
    if let Ok(p) = read_edition_workbook(&bytes, None) {
        let cells: BTreeMap<(u32, u32), String> = p
            .layout
            .rows
            .iter()
            .map(|r| ((r.row, p.layout.rounds[0].result), "はい".to_string()))
            .collect();
        let filled = fill_workbook(&bytes, &p.layout.sheet, &cells).expect("a read workbook fills");
        let again = read_edition_workbook(&filled, None).expect("a filled workbook reads");
        assert_eq!(again.form.items.len(), p.form.items.len());
    }
});
