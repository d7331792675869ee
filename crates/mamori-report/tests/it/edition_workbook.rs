//! Editions from workbooks: the built-in editions written out in several plausible layouts read back as the
//! same items and texts; random forms do too (property test); filling a workbook changes only the answer
//! cells; bad files are refused with a clear message.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Catalog, Confidence, Form, Item, ItemTarget, Note, Target, Variant};
use mamori_core::{Answer, Choice};
use mamori_report::edition_workbook::{
    Fingerprint, OFFICIAL_MISMATCH, ParsedWorkbook, WorkbookError, read_edition_workbook,
};
use mamori_report::sample_workbook::{SampleLayout, sample_workbook};
use mamori_report::workbook_fill::{answer_cells, fill_workbook};
use proptest::prelude::*;

/// What must survive the round trip: key, section, text, note, gate, targets with 参考.
type Shape = (
    String,
    String,
    String,
    Option<String>,
    bool,
    Vec<(Target, bool)>,
);

/// The items' shape; `by_number`: keyed by the number printed (what an import reads), for a built-in form.
fn shape_by(form: &Form, by_number: bool) -> Vec<Shape> {
    form.items
        .iter()
        .map(|i| {
            let mut t: Vec<(Target, bool)> =
                i.targets.iter().map(|t| (t.group, t.reference)).collect();
            t.sort();
            // A form's item is known by the number it prints (the R7 vendor form's 3(3) is keyed 3.4
            // inside Mamori, to pair with the facility's 3(4)).
            let digits: String = i.number.chars().filter(char::is_ascii_digit).collect();
            let printed = if !by_number || i.gate || digits.is_empty() {
                i.key.clone()
            } else {
                format!("{}.{digits}", i.section)
            };
            (
                printed,
                i.section.clone(),
                i.text.clone(),
                i.note.clone(),
                i.gate,
                t,
            )
        })
        .collect()
}

fn shape(form: &Form) -> Vec<Shape> {
    shape_by(form, false)
}

fn import(bytes: &[u8], variant: Option<Variant>) -> ParsedWorkbook {
    read_edition_workbook(bytes, variant).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn builtin_editions_in_every_layout_read_back_exactly() {
    let c = Catalog::builtin().unwrap();
    for form in c.forms() {
        for layout in SampleLayout::ALL {
            let bytes = sample_workbook(&c, form, layout).unwrap();
            let p = import(&bytes, None);
            let ctx = format!("{} {} {:?}", form.edition, form.variant, layout);
            assert_eq!(p.form.variant, form.variant, "{ctx}: variant");
            assert!(p.variant_found, "{ctx}");
            assert_eq!(p.form.title, form.title, "{ctx}: title");
            assert_eq!(shape(&p.form), shape_by(form, true), "{ctx}: items");
            let notes: Vec<&str> = p.form.notes.iter().map(|n| n.text.as_str()).collect();
            let want: Vec<&str> = form.notes.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(notes, want, "{ctx}: notes");
            // Section titles as printed.
            for s in form.section_ids() {
                assert_eq!(
                    p.form.section_titles.get(s).map(String::as_str),
                    Some(c.section_title(s)),
                    "{ctx}: section {s}"
                );
            }
            if form.variant != Variant::Vendor {
                assert_eq!(p.form.gate_note.as_deref(), Some(c.gate_note()), "{ctx}");
            }
            // Every (item, target) row has its place, once.
            let places: BTreeSet<(String, Target)> = p
                .layout
                .rows
                .iter()
                .map(|r| (r.key.clone(), r.target))
                .collect();
            assert_eq!(places.len(), form.rows().count(), "{ctx}: rows");
            assert_eq!(p.layout.rows.len(), form.rows().count(), "{ctx}: rows");
            assert!(p.ambiguities.is_empty(), "{ctx}: {:?}", p.ambiguities);
            if matches!(
                layout,
                SampleLayout::Rounds
                    | SampleLayout::MergedSections
                    | SampleLayout::Circled
                    | SampleLayout::Marks
            ) {
                assert_eq!(p.layout.rounds.len(), 2, "{ctx}: two rounds");
            }
            // Numbers as printed in the styles that print them plainly.
            if layout == SampleLayout::Rounds {
                let numbers: Vec<&str> = p.form.items.iter().map(|i| i.number.as_str()).collect();
                let want: Vec<&str> = form.items.iter().map(|i| i.number.as_str()).collect();
                assert_eq!(numbers, want, "{ctx}: numbers");
            }
        }
    }
}

#[test]
fn header_fields_and_answer_columns_are_found() {
    let c = Catalog::builtin().unwrap();
    let form = c.form("r7", Variant::Facility).unwrap();
    let p = import(
        &sample_workbook(&c, form, SampleLayout::Columns).unwrap(),
        None,
    );
    let labels: Vec<&str> = p.layout.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["医療機関名", "確認日", "記入者"]);
    let r = &p.layout.rounds[0];
    assert_eq!((r.result, r.date, r.target_date), (3, Some(4), Some(5)));
    assert_eq!(p.layout.note_col, Some(6));
    let p = import(
        &sample_workbook(&c, form, SampleLayout::Circled).unwrap(),
        None,
    );
    assert_eq!(
        p.layout.sheet, "医療機関確認用",
        "the cover sheet is passed over"
    );
    let r2 = &p.layout.rounds[1];
    assert_eq!(
        (r2.round, r2.result, r2.date, r2.target_date),
        (2, 5, Some(6), Some(7))
    );
}

#[test]
fn a_cell_far_out_does_not_make_the_reader_walk_the_whole_sheet() {
    let c = Catalog::builtin().unwrap();
    let form = c.form("r7", Variant::Facility).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, &form.title).unwrap();
    ws.write(1, 0, "【医療機関確認用】").unwrap();
    ws.write(3, 0, "No.").unwrap();
    ws.write(3, 1, "チェック項目").unwrap();
    ws.write(3, 2, "確認結果").unwrap();
    ws.write(3, 3, "備考").unwrap();
    ws.write(4, 1, "1 体制構築").unwrap();
    ws.write(5, 0, "(1)").unwrap();
    ws.write(5, 1, "医療情報システム安全管理責任者を設置している。")
        .unwrap();
    ws.write(1_048_575, 16_383, "x").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let p = import(&bytes, None);
    assert_eq!(p.form.items.len(), 1);
    assert_eq!(p.form.items[0].key, "1.1");
    // The answers reader and the ledger reader refuse it rather than allocate the whole rectangle.
    let c = Catalog::builtin().unwrap();
    let form = c.form("r7", Variant::Facility).unwrap();
    assert!(mamori_report::checklist_import::read_checklist_xlsx(&c, form, &bytes).is_err());
    let e =
        mamori_ledger::codec::parse_xlsx(mamori_ledger::Kind::parse("accounts").unwrap(), &bytes)
            .unwrap_err();
    assert!(e[0].to_string().contains("大きすぎて読めません"), "{e:?}");
}

#[test]
fn forms_without_the_gate_item_still_become_editions() {
    use mamori_report::edition_import::{Upload, draft};
    let c = Catalog::builtin().unwrap();
    let mut form = r8_like(&c);
    form.items.retain(|i| !i.gate);
    let bytes = sample_workbook(&c, &form, SampleLayout::Rounds).unwrap();
    let d = draft(
        &c,
        "r8",
        2026,
        None,
        &[Upload {
            file_name: "001716187.xlsx".into(),
            bytes,
        }],
    )
    .unwrap();
    let f = d.form(Variant::Merged).unwrap();
    assert!(
        f.ambiguities
            .iter()
            .any(|a| a.contains("医療情報システムを導入、運用している。"))
    );
    let ed = d.to_edition(&c, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    let org = c.with_imported(&[ed]).unwrap();
    assert!(
        org.form("r8", Variant::Merged)
            .unwrap()
            .gate_item()
            .is_none()
    );
    // A vendor workbook with a 医療情報システムの有無 section reads its row as an ordinary item (the
    // vendor form has no gate), and the edition is valid.
    let mut vendor = c.form("r7", Variant::Vendor).unwrap().clone();
    let mut gate = c.form("r7", Variant::Facility).unwrap().items[0].clone();
    gate.gate = false;
    vendor.items.insert(0, gate);
    let bytes = sample_workbook(&c, &vendor, SampleLayout::Columns).unwrap();
    let p = import(&bytes, None);
    assert_eq!(p.form.variant, Variant::Vendor);
    let row = p.form.items.iter().find(|i| i.section == "gate").unwrap();
    assert!(!row.gate);
    let d = draft(
        &c,
        "r8",
        2026,
        None,
        &[Upload {
            file_name: "001716188.xlsx".into(),
            bytes,
        }],
    )
    .unwrap();
    c.with_imported(&[d.to_edition(&c, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap())])
        .unwrap();
}

#[test]
fn a_merged_form_serves_every_facility_kind() {
    let c = Catalog::builtin().unwrap();
    let mut form = c.form("r7", Variant::Facility).unwrap().clone();
    form.variant = Variant::Merged;
    form.title = "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト".into();
    for layout in SampleLayout::ALL {
        let p = import(&sample_workbook(&c, &form, layout).unwrap(), None);
        assert_eq!(p.form.variant, Variant::Merged, "{layout:?}");
        assert!(p.form.variant.serves_facility(true) && p.form.variant.serves_facility(false));
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Every stored zip entry of an xlsx, by name.
fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().unwrap().to_string(), v)
        })
        .collect()
}

fn cells(bytes: &[u8], sheet: &str) -> BTreeMap<(u32, u32), String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    range
        .used_cells()
        .filter(|(_, _, d)| !matches!(d, Data::Empty))
        .map(|(r, c, d)| ((r as u32 + r0, c as u32 + c0), d.to_string()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

#[test]
fn filling_changes_only_the_answer_cells() {
    let c = Catalog::builtin().unwrap();
    for layout in SampleLayout::ALL {
        let mut form = c.form("r7", Variant::Facility).unwrap().clone();
        form.variant = Variant::Merged;
        form.edition = "r8".into();
        form.title = "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト".into();
        let input = sample_workbook(&c, &form, layout).unwrap();
        let p = import(&input, None);
        let mut f = p.form.clone();
        f.edition = "r8".into();
        for i in &mut f.items {
            i.id = format!("r8.merged.{}", i.key).into();
        }
        let mut answers = Vec::new();
        for (n, (item, target)) in f.rows().enumerate() {
            let no = n % 3 == 1 && !item.gate;
            answers.push(Answer {
                item: item.id.clone(),
                target,
                round: 1,
                answer: if no { Choice::No } else { Choice::Yes },
                checked_on: d("2026-06-01"),
                target_date: no.then(|| d("2027-02-01")),
                note: if no {
                    format!("対応中 <{n}> & 予定")
                } else {
                    String::new()
                },
            });
            if no {
                answers.push(Answer {
                    item: item.id.clone(),
                    target,
                    round: 2,
                    answer: Choice::Yes,
                    checked_on: d("2027-02-10"),
                    target_date: None,
                    note: String::new(),
                });
            }
        }
        let set = AnswerSet::new(answers.clone());
        let values = answer_cells(
            &p.layout,
            &f,
            &set,
            true,
            &[
                ("医療機関名", "みどりクリニック".to_string()),
                ("施設名", "みどりクリニック".to_string()),
            ],
        );
        let out = fill_workbook(&input, &p.layout.sheet, &values).unwrap();
        // Every other part of the file is byte for byte the same.
        let (a, b) = (entries(&input), entries(&out));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        let sheet_path = a
            .keys()
            .find(|k| k.starts_with("xl/worksheets/sheet") && a[*k] != b[*k])
            .cloned()
            .expect("the sheet changed");
        for (k, v) in &a {
            if *k != sheet_path {
                assert_eq!(v, &b[k], "{layout:?}: {k} unchanged");
            }
        }
        // In the sheet, every cell outside the answer cells is as it was; the answer cells hold the answers.
        let (before, after) = (cells(&input, &p.layout.sheet), cells(&out, &p.layout.sheet));
        for (pos, v) in &before {
            if !values.contains_key(pos) {
                assert_eq!(after.get(pos), Some(v), "{layout:?}: cell {pos:?}");
            }
        }
        for (pos, v) in &after {
            match values.get(pos) {
                Some(want) => assert_eq!(v, want, "{layout:?}: answer cell {pos:?}"),
                None => assert_eq!(before.get(pos), Some(v), "{layout:?}: {pos:?}"),
            }
        }
        // The answers are where the layout says, and the workbook still reads as the same form.
        let rc = &p.layout.rounds[0];
        for place in &p.layout.rows {
            let id = format!("r8.merged.{}", place.key);
            let a = set.get(&id, place.target, 1).unwrap();
            let first = match rc.no {
                // Marked: ○ in the はい or the いいえ column, the other left blank.
                Some(no) => {
                    let (marked, blank) = if a.answer == Choice::No {
                        (no, rc.result)
                    } else {
                        (rc.result, no)
                    };
                    assert!(!after.contains_key(&(place.row, blank)), "{layout:?}");
                    after.get(&(place.row, marked)).unwrap()
                }
                None => {
                    let first = after.get(&(place.row, rc.result)).unwrap();
                    assert!(first.starts_with(a.answer.label()), "{layout:?}: {first}");
                    first
                }
            };
            match rc.date {
                Some(dc) => assert_eq!(after.get(&(place.row, dc)).unwrap(), "令和8年6月1日"),
                None => assert!(first.contains("令和8年6月1日")),
            }
            if a.answer == Choice::No {
                let t = "令和9年2月1日";
                match rc.target_date {
                    Some(tc) => assert_eq!(after.get(&(place.row, tc)).unwrap(), t),
                    None => assert!(first.contains(t), "{layout:?}: {first}"),
                }
                if let Some(nc) = p.layout.note_col {
                    assert!(after.get(&(place.row, nc)).unwrap().contains("対応中 <"));
                }
            }
        }
        let again = import(&out, None);
        assert_eq!(shape(&again.form), shape(&p.form), "{layout:?}");
        // The filled file reads back as the same answers (a facility may upload it again).
        let read = mamori_report::checklist_import::read_official_answers(&f, &out)
            .unwrap_or_else(|e| panic!("{layout:?}: {e:?}"));
        let mut got: Vec<String> = read
            .inputs
            .iter()
            .map(|i| {
                format!(
                    "{}|{}|{}|{}|{}|{}|{}",
                    i.item,
                    i.target.as_deref().unwrap(),
                    i.round.unwrap(),
                    i.answer.as_deref().unwrap(),
                    i.checked_on.as_deref().unwrap(),
                    i.target_date.as_deref().unwrap_or(""),
                    i.note.as_deref().unwrap_or("")
                )
            })
            .collect();
        let mut want: Vec<String> = answers
            .iter()
            .filter(|a| a.round <= p.layout.rounds.len() as u8)
            .map(|a| {
                format!(
                    "{}|{}|{}|{}|{}|{}|{}",
                    a.item,
                    a.target.id(),
                    a.round,
                    a.answer.id(),
                    a.checked_on,
                    a.target_date.map(|d| d.to_string()).unwrap_or_default(),
                    a.note
                )
            })
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{layout:?}");
        // An unfilled workbook has no answers; another form's workbook is refused by item.
        let blank = mamori_report::checklist_import::read_official_answers(&f, &input).unwrap();
        assert!(
            blank.inputs.is_empty(),
            "{layout:?}: placeholders are not answers"
        );
        let vendor = sample_workbook(&c, c.form("r7", Variant::Vendor).unwrap(), layout).unwrap();
        let errs = mamori_report::checklist_import::read_official_answers(&f, &vendor).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.message.contains("この様式の項目にありません")),
            "{errs:?}"
        );
        // Merged cells and print setup are in the unchanged parts or the sheet's other XML.
        let xml_in = String::from_utf8(a[&sheet_path].clone()).unwrap();
        let xml_out = String::from_utf8(b[&sheet_path].clone()).unwrap();
        let tail = |x: &str| x[x.find("</sheetData>").unwrap()..].to_string();
        assert_eq!(
            tail(&xml_in),
            tail(&xml_out),
            "{layout:?}: merges, print setup"
        );
    }
}

#[test]
fn bad_files_get_a_clear_message() {
    let refused = |bytes: &[u8]| match read_edition_workbook(bytes, None) {
        Err(WorkbookError::Refused(m)) => m,
        Ok(_) => panic!("accepted"),
    };
    assert!(refused(b"").contains("空"));
    assert!(refused(b"PK\x03\x04garbage").contains("読めません"));
    assert!(refused(b"hello, world").contains("Excel（xlsx）ファイルではありません"));
    // Encrypted (password-protected) workbooks are OLE compound files.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    assert!(refused(&ole).contains("パスワード"));
    // An unrelated spreadsheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "氏名").unwrap();
    ws.write(0, 1, "電話番号").unwrap();
    ws.write(1, 0, "山田").unwrap();
    let m = refused(&wb.save_to_buffer().unwrap());
    assert!(m.contains("チェックリストの表が見つかりません"), "{m}");
    // An empty sheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet();
    let m = refused(&wb.save_to_buffer().unwrap());
    assert!(m.contains("空"), "{m}");
    // A truncated workbook.
    let c = Catalog::builtin().unwrap();
    let good = sample_workbook(
        &c,
        c.form("r7", Variant::Vendor).unwrap(),
        SampleLayout::Rounds,
    )
    .unwrap();
    let m = refused(&good[..good.len() / 2]);
    assert!(m.contains("読めません"), "{m}");
    let f = Fingerprint::of(&good);
    assert!(f.verdict().starts_with(OFFICIAL_MISMATCH));
    // A zip bomb: a small file that unpacks to 105 MB.
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file(
        "xl/worksheets/sheet1.xml",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..100 {
        std::io::Write::write_all(&mut z, &zeros).unwrap();
    }
    let bomb = z.finish().unwrap().into_inner();
    assert!(bomb.len() < 2_000_000);
    assert!(refused(&bomb).contains("大きなファイル"));
}

#[test]
fn a_workbook_without_a_variant_needs_one_given() {
    let c = Catalog::builtin().unwrap();
    let mut form = c.form("r7", Variant::Vendor).unwrap().clone();
    form.title = "サイバーセキュリティ対策チェックリスト".into();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let _ = &mut wb;
    // The Columns layout prints the variant beside the header; remove it by writing a form without one.
    let bytes = sample_workbook(&c, &form, SampleLayout::Rounds).unwrap();
    // It still says 【事業者確認用】: found.
    assert_eq!(import(&bytes, None).form.variant, Variant::Vendor);
    // Given a different variant, the given one is used and the difference is reported.
    let p = import(&bytes, Some(Variant::Merged));
    assert_eq!(p.form.variant, Variant::Merged);
    assert!(p.ambiguities.iter().any(|a| a.contains("指定された")));
}

fn arb_text() -> impl Strategy<Value = String> {
    // Texts as items are written: Japanese, ending with 。, not starting with a number or a mark.
    proptest::collection::vec(
        proptest::sample::select(
            "医療情報システム安全管理責任者台帳端末機器接続制限を実施している、のアカウント削除"
                .chars()
                .collect::<Vec<_>>(),
        ),
        14..40,
    )
    .prop_map(|cs| {
        let mut s: String = cs.into_iter().collect();
        s.insert_str(0, "当院は");
        s.push('。');
        s
    })
}

prop_compose! {
    fn arb_item(section: &'static str, n: u32)(
        text in arb_text(),
        targets in proptest::sample::subsequence(vec![Target::General, Target::Server, Target::Terminal, Target::Network], 1..=4),
        reference in any::<bool>(),
        note in proptest::option::of(arb_text().prop_map(|t| format!("※{t}"))),
    ) -> Item {
        let targets = if section == "2" { targets } else { vec![Target::General] };
        Item {
            id: Default::default(),
            key: format!("{section}.{n}"),
            section: section.into(),
            number: format!("({n})"),
            topic: mamori_core::Topic::New,
            text,
            confidence: Confidence::C,
            note,
            gate: false,
            vendor_contract_only: false,
            targets: targets.into_iter().map(|group| ItemTarget { group, reference: reference && section == "2" }).collect(),
            source: String::new(),
            guidance: String::new(),
            guidance_sources: String::new(),
            guidance_edition: String::new(),
        }
    }
}

fn arb_form() -> impl Strategy<Value = Form> {
    (
        1usize..4,
        1usize..8,
        1usize..4,
        any::<bool>(),
        proptest::collection::vec(arb_text(), 0..3),
        proptest::sample::select(vec![
            Variant::Merged,
            Variant::Vendor,
            Variant::Facility,
            Variant::Pharmacy,
        ]),
    )
        .prop_flat_map(|(n1, n2, n3, gate, notes, variant)| {
            let items = (
                (1..=n1 as u32)
                    .map(|n| arb_item("1", n))
                    .collect::<Vec<_>>(),
                (1..=n2 as u32)
                    .map(|n| arb_item("2", n))
                    .collect::<Vec<_>>(),
                (1..=n3 as u32)
                    .map(|n| arb_item("3", n))
                    .collect::<Vec<_>>(),
            );
            (items, Just(gate), Just(notes), Just(variant))
        })
        .prop_map(|((s1, s2, s3), gate, notes, variant)| {
            let mut items = Vec::new();
            if gate && variant != Variant::Vendor {
                items.push(Item {
                    id: Default::default(),
                    key: "gate".into(),
                    section: "gate".into(),
                    number: String::new(),
                    topic: mamori_core::Topic::New,
                    text: "医療情報システムを導入、運用している。".into(),
                    confidence: Confidence::C,
                    note: None,
                    gate: true,
                    vendor_contract_only: false,
                    targets: vec![ItemTarget {
                        group: Target::General,
                        reference: false,
                    }],
                    source: String::new(),
                    guidance: String::new(),
                    guidance_sources: String::new(),
                    guidance_edition: String::new(),
                });
            }
            items.extend(s1);
            items.extend(s2);
            items.extend(s3);
            Form {
                edition: "rx".into(),
                variant,
                title: format!(
                    "{}におけるサイバーセキュリティ対策チェックリスト",
                    match variant {
                        Variant::Pharmacy => "薬局",
                        Variant::Merged => "医療機関・薬局",
                        _ => "医療機関",
                    }
                ),
                title_confidence: Confidence::C,
                notes: notes
                    .into_iter()
                    .map(|text| Note {
                        text,
                        confidence: Confidence::C,
                    })
                    .collect(),
                items,
                section_titles: Default::default(),
                group_headings: Default::default(),
                gate_note: None,
                in_order: false,
                layout_unverified: false,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_forms_survive_workbook_and_import(form in arb_form(), layout in proptest::sample::select(SampleLayout::ALL.to_vec())) {
        let c = Catalog::builtin().unwrap();
        let bytes = sample_workbook(&c, &form, layout).unwrap();
        let p = read_edition_workbook(&bytes, None).unwrap();
        prop_assert_eq!(p.form.variant, form.variant);
        prop_assert_eq!(shape(&p.form), shape(&form));
        prop_assert_eq!(p.layout.rows.len(), form.rows().count());
    }
}

fn r8_like(c: &Catalog) -> Form {
    mamori_report::sample_workbook::next_edition_sample(c)
}

#[test]
fn a_draft_links_to_the_previous_edition_and_becomes_an_edition() {
    use mamori_core::edition_import::Change;
    use mamori_report::edition_import::{Upload, check_edition_id, draft};
    let c = Catalog::builtin().unwrap();
    assert!(
        check_edition_id(&c, "r7")
            .unwrap_err()
            .contains("すでにあります")
    );
    assert!(check_edition_id(&c, "R8!").is_err());
    check_edition_id(&c, "r8").unwrap();
    let book = sample_workbook(&c, &r8_like(&c), SampleLayout::Circled).unwrap();
    let vendor = sample_workbook(
        &c,
        c.form("r7", Variant::Vendor).unwrap(),
        SampleLayout::Columns,
    )
    .unwrap();
    let d = draft(
        &c,
        "r8",
        2026,
        None,
        &[
            Upload {
                file_name: "001716187.xlsx".into(),
                bytes: book.clone(),
            },
            Upload {
                file_name: "001716188.xlsx".into(),
                bytes: vendor,
            },
        ],
    )
    .unwrap();
    let merged = d.form(Variant::Merged).unwrap();
    assert_eq!(merged.previous, Some(("r7".into(), Variant::Facility)));
    assert!(
        merged
            .provenance
            .fingerprint
            .verdict()
            .starts_with(OFFICIAL_MISMATCH)
    );
    assert_eq!(merged.change_of("2.6"), Change::Same);
    assert_eq!(merged.change_of("2.7"), Change::Changed);
    assert_eq!(merged.change_of("3.4"), Change::New);
    let removed: Vec<&str> = merged.removed(&c).iter().map(|i| i.id.as_str()).collect();
    assert_eq!(removed, ["r7.facility.3.4"]);
    assert_eq!(
        d.form(Variant::Vendor).unwrap().previous,
        Some(("r7".into(), Variant::Vendor))
    );
    // Two workbooks of one variant, a bad year, a file that is not a checklist: refused.
    let twice = [
        Upload {
            file_name: "a.xlsx".into(),
            bytes: book.clone(),
        },
        Upload {
            file_name: "b.xlsx".into(),
            bytes: book.clone(),
        },
    ];
    assert!(
        draft(&c, "r8", 2026, None, &twice)
            .unwrap_err()
            .contains("2つあります")
    );
    assert!(draft(&c, "r8", 1999, None, &twice[..1]).is_err());
    let junk = [Upload {
        file_name: "名簿.xlsx".into(),
        bytes: b"hello".to_vec(),
    }];
    assert!(
        draft(&c, "r8", 2026, None, &junk)
            .unwrap_err()
            .starts_with("名簿.xlsx：")
    );

    // Confirmed: the organisation's catalog has the edition, used for FY2026, serving every facility kind.
    let ed = d.to_edition(&c, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    let org = c.with_imported(&[ed]).unwrap();
    let choice = org.edition_for(mamori_core::FiscalYear::new(2026)).unwrap();
    assert_eq!(choice.edition, "r8");
    assert_eq!(choice.fallback_notice, None);
    assert_eq!(org.own_form("r8", true).unwrap().variant, Variant::Merged);
    assert_eq!(org.own_form("r8", false).unwrap().variant, Variant::Merged);
    assert_eq!(org.own_form("r7", true).unwrap().variant, Variant::Pharmacy);
    let f = org.form("r8", Variant::Merged).unwrap();
    let remote = f.item_by_key("2.2").unwrap();
    assert_eq!(remote.id, "r8.merged.2.2");
    assert!(remote.vendor_contract_only, "inherited from R7's 2(2)");
    assert!(
        remote.confidence.is_unverified(),
        "not the official file: shown unverified"
    );
    assert_eq!(f.item_by_key("3.4").unwrap().topic, mamori_core::Topic::New);
    assert_eq!(org.predecessor("r8.merged.2.6"), Some("r7.facility.2.6"));
    assert_eq!(
        org.successor("r7.vendor.2.3").as_deref(),
        Some("r8.vendor.2.3")
    );
    // The organisation's catalog only: the built-in one is unchanged.
    assert!(c.edition("r8").is_err());
    // Importing r8 again is read against the catalog without it; built-in editions cannot be dropped.
    let again = org.without_imported("r8");
    assert!(again.edition("r8").is_err() && again.successor("r7.facility.2.6").is_none());
    assert!(org.without_imported("r7").edition("r7").is_ok());
}
