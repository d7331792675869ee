//! Hostile workbooks: refused with a message within the guard's limits.

use mamori_ledger::{Kind, parse_csv};

#[test]
fn row_cap_and_error_volume_are_bounded() {
    // Issue 23 (2, 3): a file over the cap is refused early; a file of bad rows lists 200 problems and
    // counts the rest; a refused value is quoted in at most 64 characters.
    let mut csv = String::from("コンピュータ名,機器種別\r\n");
    for i in 0..1_001 {
        csv.push_str(&format!("PC-{i},端末PC\r\n"));
    }
    let e = mamori_ledger::parse_file_limited(Kind::Devices, csv.as_bytes(), 1_000).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("上限 1000 行"), "{}", e[0].message);
    assert!(mamori_ledger::parse_file_limited(Kind::Devices, csv.as_bytes(), 1_001).is_ok());
    let long = "x".repeat(30_000);
    let mut bad = String::from("コンピュータ名,機器種別\r\n");
    for i in 0..300 {
        bad.push_str(&format!("PC-{i},{long}\r\n"));
    }
    let e = parse_csv(Kind::Devices, bad.as_bytes()).unwrap_err();
    assert_eq!(e.len(), mamori_ledger::codec::MAX_ERRORS + 1);
    assert!(e.last().unwrap().message.contains("ほかにも 100 件"));
    let total: usize = e.iter().map(|e| e.message.len() + e.column.len()).sum();
    assert!(total < 200_000, "{total} bytes of messages");
}
