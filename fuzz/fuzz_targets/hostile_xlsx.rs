//! Hostile workbooks (issue 23): the fuzzer's bytes choose the shape of an attack — declared string
//! count, string length, references to it, nesting depth, padding — or are taken as a workbook as they
//! are. The guard and every reader behind it must refuse or read within the memory limit; run with
//! `ASAN_OPTIONS=quarantine_size_mb=16 cargo +nightly fuzz run hostile_xlsx -- -rss_limit_mb=512` (ASan's
//! default 256 MB quarantine of freed memory counts towards the limit; a run past it is a failure).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_ledger::hostile_xlsx::workbook;
use mamori_ledger::xlsx_guard::{Limits, check};
use mamori_ledger::{Kind, parse_xlsx};

fn read_everywhere(bytes: &[u8]) {
    let guarded = check(bytes, &Limits::default());
    let ledger = parse_xlsx(Kind::Devices, bytes);
    if guarded.is_err() {
        assert!(
            ledger.is_err(),
            "the ledger reader took a workbook the guard refused"
        );
    }
    let _ = mamori_report::edition_workbook::read_edition_workbook(bytes, None);
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let _ = mamori_report::checklist_import::read_checklist_xlsx(&catalog, form, bytes);
}

fuzz_target!(|data: &[u8]| {
    if data.first().is_some_and(|b| b & 1 == 0) {
        read_everywhere(&data[1..]);
        return;
    }
    let n = |i: usize| u64::from(*data.get(i).unwrap_or(&0));
    // Up to 2^40 declared strings, 64 KiB strings, 4,096 references, 4,096 levels, 4 MiB of padding.
    let declared = n(1) << (n(2) % 41);
    let len = (n(3) << 8 | n(4)) as usize;
    let refs = ((n(5) << 8 | n(6)) % 4_096) as usize;
    let depth = ((n(7) << 8 | n(8)) % 4_096) as usize;
    let pad = ((n(9) << 16 | n(10) << 8) % (4 << 20)) as usize;
    let mut sheet = String::from("<row r=\"1\">");
    for i in 0..refs {
        sheet.push_str(&format!("<c r=\"A{}\" t=\"s\"><v>0</v></c>", i + 1));
    }
    sheet.push_str("</row>");
    sheet.push_str(&"<x>".repeat(depth));
    sheet.push_str(&"</x>".repeat(depth));
    let mut sheet = sheet.into_bytes();
    sheet.resize(sheet.len() + pad, b' ');
    let text = String::from_utf8_lossy(data.get(11..).unwrap_or_default()).replace(['<', '&'], "");
    let shared = format!("<si><t>{}{}</t></si>", text, "x".repeat(len));
    read_everywhere(&workbook(
        &sheet,
        shared.as_bytes(),
        Some(&declared.to_string()),
    ));
});
