//! Hostile workbooks, made on the spot, for the tests, the fuzz seeds and `bench/hostile.sh`: each is a
//! valid zip of a minimal xlsx that attacks one of [`crate::xlsx_guard::Limits`]. None is kept as a file.

use std::io::Write;

/// A workbook with one sheet of the given XML body (inside `<sheetData>`) and shared strings.
pub fn workbook(sheet_data: &[u8], shared: &[u8], unique_count: Option<&str>) -> Vec<u8> {
    let mut sst = Vec::new();
    write!(
        sst,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"{}>"#,
        unique_count.map(|n| format!(r#" count="{n}" uniqueCount="{n}""#)).unwrap_or_default()
    )
    .unwrap();
    sst.extend_from_slice(shared);
    sst.extend_from_slice(b"</sst>");
    let mut sheet = Vec::new();
    sheet.extend_from_slice(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
    sheet.extend_from_slice(sheet_data);
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", &sheet),
        ("xl/sharedStrings.xml", &sst),
    ])
}

/// Deflated zip of the entries.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(entries.iter().any(|(_, b)| b.len() > u32::MAX as usize / 2));
    for (name, bytes) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A row of cells that each refer to shared string 0.
fn shared_refs(cells: usize) -> Vec<u8> {
    let mut s = Vec::from(&b"<row r=\"1\">"[..]);
    for i in 0..cells {
        // Columns A, B, … beyond Z as AA … (any distinct references do).
        write!(s, r#"<c r="{}1" t="s"><v>0</v></c>"#, column(i)).unwrap();
    }
    s.extend_from_slice(b"</row>");
    s
}

fn column(mut i: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
        i -= 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap()
}

fn one_string(len: usize) -> Vec<u8> {
    let mut s = Vec::from(&b"<si><t>"[..]);
    s.resize(s.len() + len, b'x');
    s.extend_from_slice(b"</t></si>");
    s
}

/// The names of the hostile cases, in the order of [`cases`].
pub const CASES: [&str; 9] = [
    "declared_unique_count",
    "huge_shared_string",
    "amplified_references",
    "zip_ratio",
    "deep_xml",
    "many_cells",
    "many_shared_strings",
    "long_inline_string",
    "many_entries",
];

/// Every hostile case: (name, workbook). `scale` 1.0 is the size of the attacks reported in issue 23;
/// smaller values make the same shapes smaller (for debug-build tests).
pub fn cases(scale: f64) -> Vec<(&'static str, Vec<u8>)> {
    CASES.iter().map(|n| (*n, case(n, scale))).collect()
}

/// One hostile case by name (an unknown name gives an empty file).
pub fn case(name: &str, scale: f64) -> Vec<u8> {
    let n = |x: usize| ((x as f64 * scale) as usize).max(1);
    match name {
        // A declared count of 100,000,000,000 strings with a handful present (2 KB).
        "declared_unique_count" => workbook(
            br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            b"<si><t>a</t></si><si><t>b</t></si>",
            Some("100000000000"),
        ),
        // One 1 MiB shared string referenced by 1,500 cells.
        "huge_shared_string" => workbook(&shared_refs(1_500), &one_string(1 << 20), Some("1")),
        // A string within Excel's limit, referenced by so many cells the decoded text goes over the total.
        "amplified_references" => workbook(&shared_refs(3_000), &one_string(32_000), Some("1")),
        // Over a gigabyte of XML (whitespace in the sheet) in a small zip.
        "zip_ratio" => {
            let mut padding = Vec::from(&b"<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"[..]);
            padding.resize(n(1 << 30).max(101_000_000), b' ');
            workbook(&padding, b"", None)
        }
        // Elements nested 100,000 deep.
        "deep_xml" => {
            let depth = n(100_000).max(100);
            let mut deep = Vec::with_capacity(depth * 7);
            deep.extend(std::iter::repeat_n(&b"<x>"[..], depth).flatten());
            deep.extend(std::iter::repeat_n(&b"</x>"[..], depth).flatten());
            workbook(&deep, b"", None)
        }
        // More cells than any ledger or checklist (2,000,001 empty ones).
        "many_cells" => {
            let mut many = Vec::from(&b"<row r=\"1\">"[..]);
            many.extend(std::iter::repeat_n(&b"<c/>"[..], 2_000_001).flatten());
            many.extend_from_slice(b"</row>");
            workbook(&many, b"", None)
        }
        // More shared strings than the limit, with a truthful count.
        "many_shared_strings" => {
            let mut strings = Vec::new();
            strings.extend(std::iter::repeat_n(&b"<si><t>a</t></si>"[..], 1_000_001).flatten());
            workbook(b"", &strings, Some("1000001"))
        }
        // An inline string longer than a cell may be.
        "long_inline_string" => {
            let mut inline = Vec::from(&br#"<row r="1"><c r="A1" t="inlineStr"><is><t>"#[..]);
            inline.resize(inline.len() + 40_000, b'y');
            inline.extend_from_slice(b"</t></is></c></row>");
            workbook(&inline, b"", None)
        }
        // Ten thousand and one entries.
        "many_entries" => {
            let names: Vec<String> = (0..10_001).map(|i| format!("xl/media/{i}.bin")).collect();
            let mut entries: Vec<(&str, &[u8])> = vec![
                ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
                ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ];
            entries.extend(names.iter().map(|n| (n.as_str(), &b""[..])));
            zip_of(&entries)
        }
        _ => Vec::new(),
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
