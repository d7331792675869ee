//! A filled checklist workbook as uploaded, and any text in a result cell: every form reads it or lists
//! its problems, never panics; a result cell that reads prints back as the same answer.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mamori_core::Catalog;
use mamori_report::checklist_import::{parse_result_cell, read_checklist_xlsx};

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::builtin().unwrap());

fuzz_target!(|data: &[u8]| {
    for form in CATALOG.forms() {
        let _ = read_checklist_xlsx(&CATALOG, form, data);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(Some((yes, checked, target))) = parse_result_cell(text)
    {
        let printed = mamori_report::result_cell(&mamori_core::Answer {
            item: Default::default(),
            target: mamori_core::Target::General,
            round: 1,
            answer: if yes {
                mamori_core::Choice::Yes
            } else {
                mamori_core::Choice::No
            },
            checked_on: checked,
            target_date: target,
            note: String::new(),
        });
        assert_eq!(
            parse_result_cell(&printed),
            Ok(Some((yes, checked, target)))
        );
    }
});
