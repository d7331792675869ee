//! Property tests: any row is assessed without a panic.

use crate::lifecycle::{day, row};
use mamori_lifecycle::baseline::{self};
use mamori_lifecycle::{assess, status};
use proptest::prelude::*;
proptest! {
    #[test]
    fn any_row(os in "\\PC{0,40}", version in "[0-9A-Za-z. ]{0,16}", software in "\\PC{0,200}") {
        let r = row(&[("os", &os), ("os_version", &version), ("software", &software), ("services", &software)]);
        let a = assess(&r, &[]);
        let _ = status(&r, day("2026-12-01"));
        let _ = baseline::check(&r, &baseline::rules(&[]));
        if let Some(e) = a.end { prop_assert!(e <= day("2100-01-01")); }
    }
}
