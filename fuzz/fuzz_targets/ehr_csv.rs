//! An access-log CSV in any bytes, with the automatic and Mamori mappings: rows or messages, no panic;
//! every row read has a user and a time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_logs::ehr_csv;

fuzz_target!(|data: &[u8]| {
    for name in ["auto", "mamori"] {
        let m = ehr_csv::preset(name).unwrap();
        let mut events = Vec::new();
        let (n, _, _) = ehr_csv::read(data, &m, &mut |e| events.push(e.clone()), &mut |_| {});
        assert_eq!(n as usize, events.len());
        assert!(
            events
                .iter()
                .all(|e| !e.account.is_empty() && e.time.is_some())
        );
    }
    let _ = ehr_csv::mapping_from_json(&String::from_utf8_lossy(data));
});
