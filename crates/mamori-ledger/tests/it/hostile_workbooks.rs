//! Issue 23: every hostile workbook is refused with a Japanese message before calamine reads it, by the
//! guard and by the ledger reader; ordinary workbooks pass.
use mamori_ledger::xlsx_guard::{Limits, check, clip};
use mamori_ledger::{Kind, hostile_xlsx, parse_xlsx, sample, to_xlsx};

#[test]
fn every_hostile_case_is_refused_with_a_message() {
    let cases = hostile_xlsx::cases(0.05);
    assert_eq!(cases.len(), 9);
    for (name, bytes) in cases {
        let message = check(&bytes, &Limits::default())
            .expect_err(&format!("{name}: the guard let it through"));
        assert!(
            message
                .chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
            "{name}: {message}"
        );
        assert!(message.chars().count() < 200, "{name}: {message}");
        let errors = parse_xlsx(Kind::Devices, &bytes).expect_err(name);
        assert_eq!(errors.len(), 1, "{name}");
        assert_eq!(errors[0].message, message, "{name}");
    }
}

#[test]
fn the_two_kilobyte_file_of_the_report_is_refused() {
    let (_, bytes) = hostile_xlsx::cases(0.01).remove(0);
    assert!(bytes.len() < 2_500, "{} bytes", bytes.len());
    let m = check(&bytes, &Limits::default()).unwrap_err();
    assert!(m.contains("100000000000"), "{m}");
}

#[test]
fn ordinary_workbooks_pass_and_limits_are_exact() {
    let rows: Vec<_> = (0..500).map(sample::device).collect();
    let bytes = to_xlsx(Kind::Devices, &rows).unwrap();
    check(&bytes, &Limits::default()).unwrap();
    assert_eq!(parse_xlsx(Kind::Devices, &bytes).unwrap().rows.len(), 500);
    // A string of exactly the cell limit passes; one character more does not.
    let at = |n: usize| {
        hostile_xlsx::workbook(
            br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            format!("<si><t>{}</t></si>", "あ".repeat(n)).as_bytes(),
            Some("1"),
        )
    };
    check(&at(32_767), &Limits::default()).unwrap();
    assert!(
        check(&at(32_768), &Limits::default())
            .unwrap_err()
            .contains("32767")
    );
    // The total text counts each reference again.
    let limits = Limits {
        max_text_bytes: 1_000,
        ..Limits::default()
    };
    let refs = |cells: usize| {
        let row: String = (0..cells)
            .map(|i| format!(r#"<c r="A{}" t="s"><v>0</v></c>"#, i + 1))
            .collect();
        hostile_xlsx::workbook(
            format!("<row>{row}</row>").as_bytes(),
            b"<si><t>0123456789</t></si>",
            Some("1"),
        )
    };
    check(&refs(100), &limits).unwrap();
    assert!(check(&refs(101), &limits).is_err());
}

#[test]
fn inflated_bytes_are_counted_whatever_the_zip_says() {
    let limits = Limits {
        max_unpacked: 10_000,
        ..Limits::default()
    };
    let mut big = Vec::from(&b"<row r=\"1\"></row>"[..]);
    big.resize(20_000, b' ');
    let bytes = hostile_xlsx::workbook(&big, b"", None);
    assert!(check(&bytes, &limits).unwrap_err().contains("展開すると"));
}

#[test]
fn parts_are_checked_wherever_the_workbook_puts_them() {
    // calamine reads "{the workbook's folder}sharedStrings.xml" and sheets wherever the relationships
    // say: a workbook under evil/ must not slip past the guard.
    let sst = br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="100000000000"><si><t>a</t></si></sst>"#;
    let bytes = hostile_xlsx::zip_of(&[
        ("evil/SharedStrings.xml", &sst[..]),
        ("evil/workbook.xml", b"<workbook/>"),
    ]);
    assert!(
        check(&bytes, &Limits::default())
            .unwrap_err()
            .contains("100000000000")
    );
    let mut cells = Vec::from(&b"<row>"[..]);
    cells.extend(std::iter::repeat_n(&b"<c/>"[..], 2_000_001).flatten());
    let bytes = hostile_xlsx::zip_of(&[("evil/sheets/s1.xml", &cells[..])]);
    assert!(
        check(&bytes, &Limits::default())
            .unwrap_err()
            .contains("セルが多すぎます")
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// The guard refuses exactly the workbooks whose counted amounts go over the limits: string
    /// length, decoded text (each reference counted), cells.
    #[test]
    fn the_guard_refuses_exactly_what_is_over(
        lens in proptest::collection::vec(0usize..60, 1..6),
        refs in proptest::collection::vec(0usize..6, 0..40),
    ) {
        let limits = Limits { max_cell_chars: 50, max_text_bytes: 400, max_cells: 30, ..Limits::default() };
        let shared: String = lens.iter().map(|l| format!("<si><t>{}</t></si>", "a".repeat(*l))).collect();
        let cells: String = refs
            .iter()
            .enumerate()
            .map(|(i, r)| format!(r#"<c r="A{}" t="s"><v>{}</v></c>"#, i + 1, r % lens.len()))
            .collect();
        let bytes = hostile_xlsx::workbook(
            format!("<row>{cells}</row>").as_bytes(),
            shared.as_bytes(),
            Some(&lens.len().to_string()),
        );
        let text: usize = refs.iter().map(|r| lens[r % lens.len()]).sum();
        let over = lens.iter().any(|l| *l > 50) || text > 400 || refs.len() > 30;
        proptest::prop_assert_eq!(check(&bytes, &limits).is_err(), over, "text {} cells {}", text, refs.len());
    }
}

#[test]
fn quoted_values_are_clipped() {
    assert_eq!(clip("短い", 64), "短い");
    let long = "あ".repeat(1_000);
    let c = clip(&long, 64);
    assert!(c.starts_with(&"あ".repeat(64)));
    assert!(c.ends_with("…（全1000文字）"), "{c}");
}
