//! What the agent reads from a machine and the server reads from the agent: registry exports (UTF-16LE or
//! UTF-8), the PowerShell report, wtmp/lastlog records, /proc tables, and the inventory JSON the server
//! accepts. None may panic; an inventory the server accepts is one it can write into a device row.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_agent::{linux, windows};

fuzz_target!(|data: &[u8]| {
    let keys = windows::parse_reg(&windows::decode_reg_file(data));
    let report: windows::PsReport = serde_json::from_slice(data).unwrap_or_default();
    let _ = windows::inventory_from(
        &[
            ("uninstall-64", keys.clone()),
            ("os", keys.clone()),
            ("services", keys.clone()),
            ("rdp", keys.clone()),
            ("defender", keys),
        ],
        &report,
        "X",
        Vec::new(),
    );
    let _ = linux::parse_wtmp(data);
    let _ = linux::parse_lastlog(data);
    let text = String::from_utf8_lossy(data);
    let _ = linux::parse_fib_trie(&text);
    let _ = linux::parse_if_inet6(&text);
    let _ = linux::parse_proc_net(&text, "tcp");
    let _ = linux::parse_dpkg_status(&text);
    if let Ok(inv) = mamori_app::inventory::parse_inventory(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut row = mamori_app::inventory::device_row(&inv, None, today);
        mamori_app::device_status::annotate(&mut row, &Default::default());
        let _ = mamori_lifecycle::status(&row, today);
    }
});
