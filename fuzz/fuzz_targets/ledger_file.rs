//! A ledger file as uploaded (CSV in any encoding, or xlsx): every ledger kind reads it or lists its
//! problems, never panics; what it accepts writes back and reads again as the same rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_ledger::{Encoding, Kind, parse_csv, parse_file, to_csv};

fuzz_target!(|data: &[u8]| {
    for kind in Kind::ALL {
        if let Ok(parsed) = parse_file(kind, data) {
            if parsed.encoding.is_some() {
                let rows: Vec<_> = parsed.rows.into_iter().map(|(_, r)| r).collect();
                let again = parse_csv(kind, &to_csv(kind, &rows, Encoding::Utf8Bom))
                    .expect("written ledgers read back");
                let again: Vec<_> = again.rows.into_iter().map(|(_, r)| r).collect();
                assert_eq!(again, rows);
            }
        }
    }
});
