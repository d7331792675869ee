//! Imports from the command line: ledgers, checklists, inventories, editions.

use crate::helpers::*;

/// Every cell of the first sheet of an xlsx file, as text.
pub(crate) fn xlsx_cells(path: &std::path::Path) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn ledger_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let csv = "No.,所属部署,姓,名,電話番号,ユーザID,説明,権限,状態,退職日\r\n\
               001,薬局,山田,太郎,0312345678,yamada,管理薬剤師,Admin,使用可,\r\n\
               002,薬局,佐藤,花子,,sato,薬剤師,User,使用可,令和7年3月31日\r\n";
    let sjis = dir.path().join("accounts-sjis.csv");
    std::fs::write(&sjis, encoding_rs::SHIFT_JIS.encode(csv).0).unwrap();

    // A bad file: nothing imported, every problem named.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        csv.replace("使用可,\r\n", "休憩,\r\n")
            .replace("令和7年3月31日", "いつか"),
    )
    .unwrap();
    let out = mamori()
        .args(["import", "ledger", "--db", db, "--kind", "accounts"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2行目「状態」列: 「休憩」は選べません"),
        "{err}"
    );
    assert!(
        err.contains("3行目「退職日」列: 日付「いつか」を読み取れません"),
        "{err}"
    );
    assert!(
        err.contains("2 件の誤りがあるため、何も取り込みませんでした"),
        "{err}"
    );

    let out = run_ok(&[
        "import",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        sjis.to_str().unwrap(),
    ]);
    assert!(out.contains("文字コード: Shift_JIS（CP932）"), "{out}");
    assert!(out.contains("追加 2 行、更新 0 行、変更なし 0 行"), "{out}");
    let out = run_ok(&[
        "import",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        sjis.to_str().unwrap(),
    ]);
    assert!(
        out.contains("追加 0 行、更新 0 行、変更なし 2 行"),
        "importing twice adds nothing"
    );

    // xlsx round trip: export, import into an empty facility, export again: identical cells.
    let first = dir.path().join("first.xlsx");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        "--out",
        first.to_str().unwrap(),
    ]);
    let db2 = dir.path().join("m2.db");
    let db2 = db2.to_str().unwrap();
    assert!(init(db2, "Sakura#2025!").status.success());
    run_ok(&[
        "import",
        "ledger",
        "--db",
        db2,
        "--kind",
        "accounts",
        first.to_str().unwrap(),
    ]);
    let second = dir.path().join("second.xlsx");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db2,
        "--kind",
        "accounts",
        "--out",
        second.to_str().unwrap(),
    ]);
    let cells = xlsx_cells(&first);
    assert_eq!(cells, xlsx_cells(&second));
    assert_eq!(cells[1][0], "001");
    assert_eq!(
        cells[1][5], "0312345678",
        "phone numbers keep their leading zero"
    );
    assert!(cells.iter().any(|r| r.contains(&"2025-03-31".to_string())));

    // CSV export in CP932 reads back as the same rows.
    let out_csv = dir.path().join("out.csv");
    run_ok(&[
        "export",
        "ledger",
        "--db",
        db,
        "--kind",
        "accounts",
        "--out",
        out_csv.to_str().unwrap(),
        "--encoding",
        "cp932",
    ]);
    let bytes = std::fs::read(&out_csv).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "written as CP932");
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(
        text.starts_with("No.,システム,所属部署,姓,名,電話番号,ユーザID"),
        "{text}"
    );
    assert!(text.contains("佐藤"));

    let out = mamori()
        .args(["import", "ledger", "--db", db, "--kind", "printers"])
        .arg(&sjis)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("台帳の種類「printers」はありません"));
}

/// A filled workbook imported from the command line: a dry run saves nothing, the import saves every
/// answer, the facility's export then reads into an empty facility and exports the same cells; a workbook
/// breaking the form's rules saves nothing and names the cell.
#[test]
fn checklist_import_from_the_command_line() {
    use mamori_core::{Answer, AnswerSet, Catalog, Choice, FiscalYear, Target, Variant};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    // Today's fiscal year, whatever the date: the CLI checks against the real clock.
    let today = chrono::Utc::now().date_naive();
    let fy = FiscalYear::containing(today);
    let catalog = Catalog::builtin().unwrap();
    let edition = catalog.edition_for(fy).unwrap().edition;
    let form = catalog.form(&edition, Variant::Pharmacy).unwrap();
    let workbook = |answers: Vec<Answer>| {
        mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
            catalog: &catalog,
            form,
            org_name: "さくら薬局",
            answers: &AnswerSet::new(answers),
            has_vendor_contract: true,
            fiscal_year: fy,
            created_on: today,
        })
        .unwrap()
    };
    let gate = form.items.iter().find(|i| i.gate).unwrap();
    let officer = form
        .items
        .iter()
        .find(|i| i.topic == mamori_core::Topic::Officer)
        .unwrap();
    let answer = |item: &mamori_core::Item, choice, target_date| Answer {
        item: item.id.clone(),
        target: Target::General,
        round: 1,
        answer: choice,
        checked_on: today,
        target_date,
        note: String::new(),
    };
    let good = dir.path().join("filled.xlsx");
    std::fs::write(
        &good,
        workbook(vec![
            answer(gate, Choice::Yes, None),
            // Against the ledgers' はい (an officer is set): the note says why.
            Answer {
                note: "責任者の交代を予定".into(),
                ..answer(officer, Choice::No, Some(fy.last_day()))
            },
        ]),
    )
    .unwrap();
    let args = |db: &str, file: &std::path::Path, dry: bool| {
        let mut a = vec![
            "import".to_string(),
            "checklist".into(),
            "--db".into(),
            db.into(),
            "--edition".into(),
            edition.to_string(),
            "--variant".into(),
            "pharmacy".into(),
            "--user".into(),
            "admin".into(),
        ];
        if dry {
            a.push("--dry-run".into());
        }
        a.push(file.to_str().unwrap().into());
        a
    };
    let a = args(db, &good, true);
    let out = run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("2 件の回答を確認しました（--dry-run"), "{out}");
    let a = args(db, &good, false);
    let out = run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("2 件の回答を保存しました"), "{out}");

    let export = |db: &str, name: &str| {
        let path = dir.path().join(name);
        run_ok(&[
            "export",
            "checklist",
            "--db",
            db,
            "--edition",
            &edition,
            "--variant",
            "pharmacy",
            "--out",
            path.to_str().unwrap(),
        ]);
        path
    };
    let first = export(db, "first.xlsx");
    let db2 = dir.path().join("m2.db");
    let db2 = db2.to_str().unwrap();
    assert!(init(db2, "Sakura#2025!").status.success());
    let a = args(db2, &first, false);
    run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let second = export(db2, "second.xlsx");
    assert_eq!(xlsx_cells(&first), xlsx_cells(&second));
    assert!(
        xlsx_cells(&second)
            .iter()
            .flatten()
            .any(|c| c.starts_with("いいえ\n") && c.contains("目標日"))
    );

    // いいえ without a 目標日: nothing saved, the cell named.
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(
        &bad,
        workbook(vec![Answer {
            note: "交代予定".into(),
            ..answer(officer, Choice::No, None)
        }]),
    )
    .unwrap();
    let a = args(db2, &bad, false);
    let out = mamori().args(&a).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("「1回目」列:") && err.contains("目標日"),
        "{err}"
    );
    assert!(
        err.contains("1 件の誤りがあるため、何も保存しませんでした"),
        "{err}"
    );
}

/// `import inventory`: this machine's inventory into the 機器台帳 twice is one device with nothing new the
/// second time; a truncated file is refused in Japanese and changes nothing.
#[test]
fn inventory_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let inv = dir.path().join("inventory.json");
    run_ok(&["agent", "collect", "--out", inv.to_str().unwrap()]);
    let inv = inv.to_str().unwrap();
    let first = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(first.contains("を登録しました"), "{first}");
    let second = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(second.contains("変更はありません"), "{second}");
    let bytes = std::fs::read(inv).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = mamori()
        .args(["import", "inventory", "--db", db])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("途中で切れていないか"));
    let third = run_ok(&["import", "inventory", "--db", db, inv]);
    assert!(
        third.contains("変更はありません"),
        "the refused file changed nothing: {third}"
    );
}

/// Every cell of a named sheet of an xlsx file, by (row, col), as text.
pub(crate) fn sheet_cells(
    path: &std::path::Path,
    sheet: &str,
) -> std::collections::BTreeMap<(u32, u32), String> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    range
        .used_cells()
        .map(|(r, c, d)| ((r as u32 + r0, c as u32 + c0), d.to_string()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

#[test]
fn edition_import_from_the_command_line_then_the_official_file_filled() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let db = db.to_str().unwrap();
    assert!(init(db, "Sakura#2025!").status.success());
    let book = dir.path().join("001716187.xlsx");
    let book_s = book.to_str().unwrap();
    run_ok(&[
        "dev",
        "edition-workbook",
        "--edition",
        "r7",
        "--variant",
        "pharmacy",
        "--as-variant",
        "merged",
        "--title",
        "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト",
        "--layout",
        "columns",
        "--out",
        book_s,
    ]);
    // Not a checklist: refused, nothing stored.
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"not a workbook").unwrap();
    let out = mamori()
        .args([
            "catalog",
            "import",
            "--db",
            db,
            "--edition",
            "r8",
            "--fiscal-year",
            "2026",
            "--user",
            "admin",
        ])
        .arg(&junk)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.xlsx：Excel（xlsx）ファイルではありません")
            && err.contains("何も変更していません"),
        "{err}"
    );
    // A built-in edition's id is refused.
    let out = mamori()
        .args([
            "catalog",
            "import",
            "--db",
            db,
            "--edition",
            "r7",
            "--fiscal-year",
            "2026",
            "--user",
            "admin",
            book_s,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("すでにあります"));
    // The preview, then the import.
    let dry = run_ok(&[
        "catalog",
        "import",
        "--db",
        db,
        "--edition",
        "r8",
        "--fiscal-year",
        "2026",
        "--user",
        "admin",
        "--dry-run",
        book_s,
    ]);
    assert!(dry.contains("医療機関・薬局確認用"), "{dry}");
    assert!(dry.contains("既知のファイルと一致しません"), "{dry}");
    assert!(
        dry.contains("変更なし 19・文言の変更 0・新しい項目 0・なくなった項目 0"),
        "{dry}"
    );
    assert!(dry.contains("保存していません"));
    let done = run_ok(&[
        "catalog",
        "import",
        "--db",
        db,
        "--edition",
        "r8",
        "--fiscal-year",
        "2026",
        "--user",
        "admin",
        book_s,
    ]);
    assert!(done.contains("確定しました"), "{done}");
    // Answers into the merged form of the imported edition, then the official file filled.
    let answers = dir.path().join("answers.xlsx");
    run_ok(&[
        "export",
        "checklist",
        "--db",
        db,
        "--edition",
        "r8",
        "--variant",
        "merged",
        "--out",
        answers.to_str().unwrap(),
    ]);
    let before = sheet_cells(&book, "Sheet1");
    let after = sheet_cells(&answers, "Sheet1");
    // Nothing answered yet: the same cells, but the facility's name beside 「医療機関名」.
    let label = before
        .iter()
        .find(|(_, v)| *v == "医療機関名")
        .map(|(k, _)| *k)
        .unwrap();
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .collect();
    assert_eq!(
        changed,
        [(&(label.0, label.1 + 1), &"さくら薬局".to_string())]
    );
    assert!(before.keys().all(|k| after.contains_key(k)));
}
