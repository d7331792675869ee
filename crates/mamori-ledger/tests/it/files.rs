//! Ledger files: CSV (UTF-8 and CP932) and xlsx read and written, bad rows named, office words read.

use mamori_ledger::{Encoding, Kind, Row, parse_csv, parse_xlsx, to_csv, to_xlsx};
use proptest::prelude::*;

/// The MIST deck's 利用者台帳 example, with the columns the checklist needs added, and a title row above.
pub(crate) const ACCOUNTS_CSV: &str = "利用者台帳（令和7年5月）,,,,,,,,,,,\r\n\
No.,所属部署,姓,名,電話番号,ユーザーID,説明,権限,状態,退職日,最終確認日,二要素認証\r\n\
001,システム管理,山田,太郎,0312345678,abc@def,安全管理責任者,Admin,使用可,,令和7年4月1日,有\r\n\
002,A科,佐藤,花子,03-1234-5679,sato,\"使用者, 看護師\",User,使用可,2026/3/31,2025-04-01,無\r\n\
003,B科,鈴木,一郎,,suzuki,使用者,User,無効,R7.3.31,,\r\n";

pub(crate) fn cp932(s: &str) -> Vec<u8> {
    let (bytes, _, errors) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!errors);
    bytes.into_owned()
}

#[test]
fn cp932_and_utf8_twins_give_the_same_rows() {
    let utf8 = parse_csv(Kind::Accounts, ACCOUNTS_CSV.as_bytes()).unwrap();
    let bom = parse_csv(
        Kind::Accounts,
        &[b"\xEF\xBB\xBF".as_slice(), ACCOUNTS_CSV.as_bytes()].concat(),
    )
    .unwrap();
    let sjis = parse_csv(Kind::Accounts, &cp932(ACCOUNTS_CSV)).unwrap();
    assert_eq!(utf8.encoding, Some(Encoding::Utf8));
    assert_eq!(bom.encoding, Some(Encoding::Utf8Bom));
    assert_eq!(sjis.encoding, Some(Encoding::Cp932));
    assert_eq!(utf8.rows, sjis.rows);
    assert_eq!(utf8.rows, bom.rows);
    assert_eq!(utf8.rows.len(), 3);

    let (line, first) = &utf8.rows[0];
    assert_eq!(*line, 3, "rows are numbered as the file shows them");
    assert_eq!(first["user_id"], "abc@def");
    assert_eq!(first["no"], "001", "leading zeros kept");
    assert_eq!(first["phone"], "0312345678");
    assert_eq!(first["reviewed_on"], "2025-04-01", "和暦 read");
    assert_eq!(first["two_factor"], "有");
    let second = &utf8.rows[1].1;
    assert_eq!(second["description"], "使用者, 看護師");
    assert_eq!(second["end_date"], "2026-03-31");
    assert_eq!(utf8.rows[2].1["end_date"], "2025-03-31");
    assert_eq!(utf8.rows[2].1["status"], "無効");
    assert!(
        !utf8.rows[2].1.contains_key("phone"),
        "empty cells are left out"
    );
    assert!(
        utf8.columns
            .iter()
            .any(|(h, k)| h == "ユーザーID" && *k == Some("user_id")),
        "alias mapped: {:?}",
        utf8.columns
    );
}

#[test]
fn two_bad_rows_import_nothing_and_are_named_by_row_and_column() {
    let bad = ACCOUNTS_CSV
        .replace("使用可,2026/3/31", "休憩中,2026/3/31")
        .replace("R7.3.31", "来年3月");
    let errors = parse_csv(Kind::Accounts, &cp932(&bad)).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        text,
        [
            "4行目「状態」列: 「休憩中」は選べません（使用可／無効／削除 のいずれか。有効・使用中・利用中・利用可・在職・在籍・稼働・稼働中・運用中・はい・○・退職・退職済・退職済み・休職・休職中・停止・停止中・利用停止・使用停止・一時停止・休止・無効化・無効化済・ロック・ロック中・凍結・産休・育休・削除済・削除済み・廃止・抹消も使えます）",
            "5行目「退職日」列: 日付「来年3月」を読み取れません（例：2025-05-20、令和7年5月20日）",
        ]
    );

    let missing_id = ACCOUNTS_CSV.replace(",suzuki,", ",,");
    let errors = parse_csv(Kind::Accounts, missing_id.as_bytes()).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "5行目「ユーザーID」列: 「ユーザID」は必須です"
    );

    let twice = format!("{ACCOUNTS_CSV}004,C科,高橋,次郎,,sato,,User,使用可,,,\r\n");
    let errors = parse_csv(Kind::Accounts, twice.as_bytes()).unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .starts_with("6行目: 4行目とシステム・ユーザIDが同じです"),
        "{errors:?}"
    );
}

#[test]
fn files_that_are_not_this_ledger_are_refused() {
    let e = parse_csv(Kind::Accounts, "a,b,c\r\n1,2,3\r\n".as_bytes()).unwrap_err();
    assert!(
        e[0].message
            .contains("利用者台帳の見出し行が見つかりません"),
        "{e:?}"
    );
    let e = parse_csv(Kind::Accounts, &[0x82, 0xA0, 0xFF, 0xFF, 0x80]).unwrap_err();
    assert!(e[0].message.contains("文字コードを判別できません"), "{e:?}");
    // Issue 35 (9): a book with a password to open is an OLE2 file, not text in an unknown encoding.
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.extend(std::iter::repeat_n(0u8, 600));
    for e in [
        mamori_ledger::parse_file(Kind::Accounts, &ole).unwrap_err(),
        parse_xlsx(Kind::Accounts, &ole).unwrap_err(),
    ] {
        assert!(e[0].message.contains("パスワードで保護された"), "{e:?}");
    }
    let e = parse_xlsx(Kind::Accounts, b"PK not really").unwrap_err();
    assert!(e[0].message.contains("xlsx"), "{e:?}");
}

#[test]
fn xlsx_round_trip_keeps_every_cell() {
    let rows: Vec<Row> = parse_csv(Kind::Accounts, ACCOUNTS_CSV.as_bytes())
        .unwrap()
        .rows
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let first = to_xlsx(Kind::Accounts, &rows).unwrap();
    let back = parse_xlsx(Kind::Accounts, &first).unwrap();
    let back_rows: Vec<Row> = back.rows.into_iter().map(|(_, r)| r).collect();
    assert_eq!(back_rows, rows);
    let cells = |bytes: &[u8]| {
        use calamine::{Reader, Xlsx};
        let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = book.worksheet_range("利用者台帳").unwrap();
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    let second = to_xlsx(Kind::Accounts, &back_rows).unwrap();
    assert_eq!(cells(&first), cells(&second));
    assert_eq!(cells(&first)[1][0], "001", "IDs are text cells");
}

pub(crate) fn text_value() -> impl Strategy<Value = String> {
    // Commas, quotes and Japanese (CP932-encodable) inside; no outer spaces. One line: these are one-line
    // columns (line breaks go into notes, below).
    proptest::string::string_regex("[a-zA-Z0-9あ-ん漢字台帳,\"@.-]{1,12}")
        .unwrap()
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

pub(crate) fn account_row() -> impl Strategy<Value = Row> {
    (
        text_value(),
        text_value(),
        proptest::option::of(text_value()),
        prop::sample::select(vec!["使用可", "無効", "削除"]),
        proptest::option::of((2000i32..2040, 1u32..13, 1u32..29)),
        proptest::option::of(prop::sample::select(vec!["有", "無", "未確認"])),
    )
        .prop_map(|(system, user_id, dept, status, end, mfa)| {
            let mut r = Row::new();
            r.insert("system".into(), system);
            r.insert("user_id".into(), user_id);
            if let Some(d) = dept {
                r.insert("department".into(), d);
            }
            r.insert("status".into(), status.into());
            if let Some((y, m, d)) = end {
                r.insert("end_date".into(), format!("{y:04}-{m:02}-{d:02}"));
            }
            if let Some(m) = mfa {
                r.insert("two_factor".into(), m.into());
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// What is written is read back, in every encoding, for any text values.
    #[test]
    fn csv_round_trip(rows in proptest::collection::vec(account_row(), 0..8)) {
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| seen.insert((r["system"].clone(), r["user_id"].clone())))
            .collect();
        for enc in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Cp932] {
            let bytes = to_csv(Kind::Accounts, &rows, enc);
            let back = parse_csv(Kind::Accounts, &bytes).unwrap();
            let back: Vec<Row> = back.rows.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(&back, &rows);
        }
    }

    /// Notes of several lines (quotes and commas inside) are written and read back in every encoding.
    #[test]
    fn multi_line_notes_round_trip(notes in proptest::collection::vec(
        proptest::string::string_regex("[a-zあ-ん漢字,\"]{1,8}(\n[a-zあ-ん漢字,\"]{1,8}){0,3}").unwrap(), 1..6)) {
        let rows: Vec<Row> = notes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut r = mamori_ledger::sample::device(i);
                r.insert("notes".into(), n.clone());
                r
            })
            .collect();
        for enc in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Cp932] {
            let back = parse_csv(Kind::Devices, &to_csv(Kind::Devices, &rows, enc)).unwrap();
            let back: Vec<Row> = back.rows.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(&back, &rows);
        }
    }

    /// Any bytes: an answer or a list of problems, never a panic.
    #[test]
    fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_csv(Kind::Accounts, &bytes);
        let _ = parse_csv(Kind::Devices, &bytes);
    }
}

#[test]
fn csv_cells_that_spreadsheets_would_run_are_neutralised_and_read_back() {
    // Issue 23 (8): names reported by agents reach these cells.
    let mut rows: Vec<Row> = (0..3).map(mamori_ledger::sample::device).collect();
    let hostile = [
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tTAB",
        "\rCR",
    ];
    for (i, h) in hostile.iter().enumerate() {
        let mut r = mamori_ledger::sample::device(10 + i);
        r.insert("computer_name".into(), format!("{h}{i}"));
        rows.push(r);
    }
    for enc in [Encoding::Utf8Bom, Encoding::Cp932] {
        let bytes = to_csv(Kind::Devices, &rows, enc);
        let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
        let text = if enc == Encoding::Cp932 {
            text.into_owned()
        } else {
            String::from_utf8(bytes[3..].to_vec()).unwrap()
        };
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "raw formula cell {cell:?}"
                );
            }
        }
        let back = parse_csv(Kind::Devices, &bytes).unwrap();
        let names: Vec<&str> = back
            .rows
            .iter()
            .filter_map(|(_, r)| r.get("computer_name").map(String::as_str))
            .collect();
        for (i, h) in hostile.iter().enumerate() {
            assert!(
                names.contains(&format!("{h}{i}").trim()),
                "{h:?} not read back: {names:?}"
            );
        }
    }
}

#[test]
fn staff_ledger_with_the_words_offices_write_imports_as_written() {
    let csv = "ユーザID,姓,名,状態,退職日\r\n\
               yamada,山田,花子,在職,\r\n\
               sato,佐藤,一郎,退職,2025/3/31\r\n\
               suzuki,鈴木,次郎,休職,\r\n\
               tanaka,田中,三郎,退職済,\r\n\
               kato,加藤,四郎,廃止,\r\n";
    let parsed = parse_csv(Kind::Accounts, &cp932(csv)).unwrap();
    let written: Vec<&str> = parsed
        .rows
        .iter()
        .map(|(_, r)| r["status"].as_str())
        .collect();
    assert_eq!(written, ["在職", "退職", "休職", "退職済", "廃止"]);
    let meant: Vec<Option<&str>> = parsed
        .rows
        .iter()
        .map(|(_, r)| mamori_ledger::account_status(r))
        .collect();
    assert_eq!(
        meant,
        [
            Some("使用可"),
            Some("無効"),
            Some("無効"),
            Some("無効"),
            Some("削除")
        ]
    );
    // 退職 without its end date is taken, with a note naming the row.
    assert_eq!(parsed.notes.len(), 1, "{:?}", parsed.notes);
    assert!(
        parsed.notes[0].starts_with("5行目: 状態が「退職」"),
        "{:?}",
        parsed.notes
    );
}

/// Issue 35 (2): a stray 「"」 (`"Mate` typed for a model) must not take the rows after it into one value.
#[test]
fn a_stray_quote_is_named_by_its_row_and_nothing_is_imported() {
    let head = "種別,メーカー,機種,コンピュータ名,備考\r\n";
    let row = |i: usize| format!("端末PC,NEC,Mate J,PC-{i:05},\r\n");
    // Unclosed to the end of the file: 10 rows and 15,000 rows.
    for n in [10usize, 15_000] {
        let mut csv = head.to_string();
        for i in 1..=n {
            csv.push_str(&if i == 2 {
                format!("端末PC,NEC,\"Mate,PC-{i:05},\r\n")
            } else {
                row(i)
            });
        }
        let errors = parse_csv(Kind::Devices, csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].row, 3,
            "the line where the quote opens: {errors:?}"
        );
        assert!(errors[0].message.contains("閉じられないまま"), "{errors:?}");
    }
    // Closed by a later quote: the swallowed lines are one value of a one-line column.
    let mut csv = head.to_string();
    for i in 1..=10 {
        csv.push_str(&match i {
            2 => "端末PC,NEC,\"Mate,PC-00002,\r\n".to_string(),
            6 => "端末PC,NEC,Mate,PC-00006,\"メモ\"\r\n".to_string(),
            _ => row(i),
        });
    }
    let errors = parse_csv(Kind::Devices, csv.as_bytes()).unwrap_err();
    assert_eq!(errors[0].row, 3, "{errors:?}");
    assert_eq!(errors[0].column, "機種", "{errors:?}");
    assert!(errors[0].message.contains("行をまたいで"), "{errors:?}");
    // The same rows in a note (a multi-line column) are refused too: its lines look like whole rows.
    let mut csv = head.to_string();
    for i in 1..=10 {
        csv.push_str(&match i {
            2 => "端末PC,NEC,Mate,PC-00002,\"点検済み\r\n".to_string(),
            6 => "端末PC,NEC,Mate,PC-00006,メモ\"\r\n".to_string(),
            _ => row(i),
        });
    }
    let errors = parse_csv(Kind::Devices, csv.as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].row, errors[0].column.as_str()),
        (3, "備考"),
        "{errors:?}"
    );
    // A real note of two lines is taken, and the rows after it keep the numbers an editor shows.
    let csv = format!(
        "{head}{}端末PC,NEC,Mate,PC-9,\"1行目\r\n2行目\"\r\n{}",
        row(1),
        row(3)
    );
    let parsed = parse_csv(Kind::Devices, csv.as_bytes()).unwrap();
    let lines: Vec<usize> = parsed.rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [2, 3, 5]);
    assert_eq!(parsed.rows[1].1["notes"], "1行目\r\n2行目");
}

/// Issue 35 (3): every column has a limit; what is over is refused with its row, cheaply.
#[test]
fn cells_over_their_limit_are_refused_with_the_row() {
    let big = "あ".repeat(40_000);
    let csv = format!("種別,機種,備考\r\n端末PC,Mate,ok\r\n端末PC,{big},\r\n端末PC,Mate,{big}\r\n");
    let errors = parse_csv(Kind::Devices, csv.as_bytes()).unwrap_err();
    let named: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(named, [(3, "機種"), (4, "備考")], "{errors:?}");
    assert!(errors[0].message.contains("500 文字まで"), "{errors:?}");
    assert!(errors[1].message.contains("32767 文字まで"), "{errors:?}");
    // The message does not quote the value.
    assert!(errors.iter().all(|e| e.message.len() < 400));
    // At the limit is taken.
    let at = "a".repeat(mamori_ledger::fields::MAX_SHORT_CHARS);
    let csv = format!("種別,機種\r\n端末PC,{at}\r\n");
    assert_eq!(
        parse_csv(Kind::Devices, csv.as_bytes()).unwrap().rows[0].1["model"],
        at
    );
    // A 20 MB cell: refused (reading it costs what the file costs, no more).
    let huge = format!("種別,機種\r\n端末PC,{}\r\n", "x".repeat(20 << 20));
    let errors = parse_csv(Kind::Devices, huge.as_bytes()).unwrap_err();
    assert_eq!(errors[0].row, 2);
}

/// Issue 35 (9): lines pasted from a UTF-8 file into a Shift_JIS one are refused, naming the lines.
#[test]
fn a_file_of_two_encodings_is_refused_naming_a_line_of_each() {
    let mut bytes = cp932("ユーザーID,姓,名,状態\r\nyamada,山田,花子,使用可\r\n");
    bytes.extend_from_slice("sato,佐藤,一郎,使用可\r\n".as_bytes());
    let errors = parse_csv(Kind::Accounts, &bytes).unwrap_err();
    assert!(
        errors[0]
            .message
            .contains("3行目は UTF-8、1行目は Shift_JIS"),
        "{errors:?}"
    );
}
