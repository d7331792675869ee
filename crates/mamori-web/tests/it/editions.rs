//! A new edition from MHLW's workbooks on the web: upload, preview (nothing changes), correct a link,
//! confirm, answer the merged form with the previous answers as proposals, and export the official file
//! filled. Bad files change nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use calamine::{Reader, Xlsx};
use chrono::{DateTime, Utc};
use mamori_app::auth;
use mamori_core::Catalog;
use mamori_store::{OrgKind, Store};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Cursor;

use mamori_core::catalog::{Form, Variant};
use mamori_report::sample_workbook::{SampleLayout, sample_workbook};

use crate::helpers::*;

/// 2026-07-01 10:00 JST: 令和8年度, before its edition is imported.
fn fy2026() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-07-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

async fn session_at(store: &Store, login: &str, at: DateTime<Utc>) -> String {
    let user = store.user_by_login(login).await.unwrap().unwrap();
    let token = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&token),
            user.id,
            "c",
            at,
            at + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    format!("mamori_session={token}")
}

fn r8_like(c: &Catalog) -> Form {
    mamori_report::sample_workbook::next_edition_sample(c)
}

fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--B0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--B0undary--\r\n");
    ("multipart/form-data; boundary=B0undary".into(), body)
}

fn sheet_cells(bytes: &[u8], sheet: &str) -> BTreeMap<(u32, u32), String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    range
        .used_cells()
        .map(|(r, c, d)| ((r as u32 + r0, c as u32 + c0), d.to_string()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

#[tokio::test]
async fn upload_preview_confirm_answer_and_fill_the_official_file() {
    let at = fy2026();
    let app = app_at(OrgKind::Pharmacy, true, at).await;
    let admin = session_at(&app.store, "admin", at).await;
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let c = Catalog::builtin().unwrap();
    // The pharmacy answered R7's 1(1) last year (its own 薬局確認用).
    let r = app
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/pharmacy/answers",
            Some(
                json!([{"item": "r7.pharmacy.1.1", "target": "general", "round": 1, "answer": "yes",
                         "checked_on": "2026-05-20", "note": "院長が兼任"}]),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        html.contains("令和8年度の版はまだ取り込まれていない"),
        "falls back to R7 and says so"
    );

    let upload = |fields: Vec<(&'static str, String)>, files: Vec<(&'static str, Vec<u8>)>| {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fl: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let (ct, body) = multipart(&f, &fl);
        Request::post("/editions/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let fields = |ed: &str| {
        vec![
            ("csrf", "c".to_string()),
            ("edition", ed.to_string()),
            ("fiscal_year", "2026".to_string()),
            ("variant", String::new()),
        ]
    };
    // Bad input: an unrelated spreadsheet, an empty sheet, a password-protected file, a broken one,
    // a built-in edition's id. Each says why; nothing is stored.
    let mut unrelated = rust_xlsxwriter::Workbook::new();
    unrelated.add_worksheet().write(0, 0, "患者名").unwrap();
    let mut empty = rust_xlsxwriter::Workbook::new();
    empty.add_worksheet();
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(2048, 0);
    for (ed, file, bytes, says) in [
        (
            "r8",
            "名簿.xlsx",
            unrelated.save_to_buffer().unwrap(),
            "チェックリストの表が見つかりません",
        ),
        ("r8", "空.xlsx", empty.save_to_buffer().unwrap(), "空"),
        ("r8", "保護.xlsx", ole, "パスワード"),
        (
            "r8",
            "壊れた.xlsx",
            b"PK\x03\x04broken".to_vec(),
            "読めません",
        ),
        (
            "r7",
            "001716187.xlsx",
            sample_workbook(&c, &r8_like(&c), SampleLayout::Rounds).unwrap(),
            "すでにあります",
        ),
    ] {
        let r = send(&app.router, upload(fields(ed), vec![(file, bytes)])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{file}");
        let html = r.text();
        assert!(
            html.contains("id=\"import-error\"") && html.contains(says),
            "{file}: {html}"
        );
        assert!(html.contains("何も変更していません"));
    }
    assert!(app.store.edition_imports(org).await.unwrap().is_empty());

    // The two workbooks of the edition.
    let merged_book = sample_workbook(&c, &r8_like(&c), SampleLayout::Columns).unwrap();
    let vendor_book = sample_workbook(
        &c,
        c.form("r7", Variant::Vendor).unwrap(),
        SampleLayout::Circled,
    )
    .unwrap();
    let r = send(
        &app.router,
        upload(
            fields("r8"),
            vec![
                ("001716187.xlsx", merged_book.clone()),
                ("001716188.xlsx", vendor_book),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let preview_path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let html = get(&app.router, &preview_path, &admin).await.text();
    assert!(html.contains("確認待ち"));
    assert!(html.contains("医療機関・薬局確認用：医療機関・薬局におけるサイバーセキュリティ対策チェックリスト（令和8年度）"));
    assert!(html.contains("事業者確認用："));
    assert!(
        html.contains("既知のファイルと一致しません"),
        "the fingerprint is checked"
    );
    assert!(
        html.contains("変更なし 17件・文言の変更 1件・新しい項目 1件・なくなった項目 1件"),
        "{html}"
    );
    assert!(html.contains("事業者との責任分界を契約書等で明確にしている。"));
    assert!(
        html.contains("確認結果 D列、日付 E列、目標日 F列"),
        "the layout map"
    );
    assert!(html.contains("name=\"link.merged.2.7\""));
    // Nothing changes before the confirmation.
    assert_eq!(app.store.editions_version(org).await.unwrap(), (0, 0));
    let r = get(&app.router, "/checklists/r8/merged", &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Confirmed with one link corrected: the changed password item counts as a new item.
    let id = preview_path.rsplit('/').next().unwrap();
    let mut body = String::from("csrf=c");
    for key in ["gate", "1.1", "2.1", "2.2", "2.6"] {
        body.push_str(&format!("&link.merged.{key}=r7.facility.{key}"));
    }
    body.push_str("&link.merged.2.7=");
    let r = send(
        &app.router,
        form_post(&format!("/editions/imports/{id}/confirm"), &admin, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.headers[header::LOCATION], "/checklists/r8/merged");
    let html = get(&app.router, "/checklists/r8/merged", &admin)
        .await
        .text();
    assert!(
        html.contains("医療機関・薬局におけるサイバーセキュリティ対策チェックリスト（令和8年度）")
    );
    assert!(
        html.contains("未確認の文言"),
        "not the official file: shown unverified"
    );
    assert_eq!(
        html.matches("data-change=\"new-item\"").count(),
        2,
        "3(4) and the relinked 2(7)"
    );
    assert!(
        html.contains("昨年度からの引き継ぎ（提案。回答ではありません）：令和7年度版 1(1)：はい"),
        "{html}"
    );
    assert!(html.contains("院長が兼任"));
    assert!(
        html.contains("回答時の台帳からの判断："),
        "the evidence saved with last year's answer"
    );
    // The dashboard now uses 令和8年度's own edition and its merged form.
    let html = get(&app.router, "/dashboard", &admin).await.text();
    assert!(!html.contains("まだ取り込まれていない"));
    assert!(html.contains("/checklists/r8/merged"));
    // Answering the new edition.
    let r = send(
        &app.router,
        form_post(
            "/checklists/r8/merged/answers",
            &admin,
            "csrf=c&item=r8.merged.1.1&target=general&round=1&answer=yes&checked_on=2026-06-30&target_date=&note=",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = send(
        &app.router,
        form_post(
            "/checklists/r8/merged/answers",
            &admin,
            "csrf=c&item=r8.merged.3.4&target=general&round=1&answer=no&checked_on=2026-06-30&target_date=2027-03-01&note=%E5%A5%91%E7%B4%84%E6%9B%B4%E6%96%B0%E6%99%82",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = get(&app.router, "/checklists/r8/merged", &admin)
        .await
        .text();
    assert!(
        !html.contains("昨年度からの引き継ぎ（提案。回答ではありません）：令和7年度版 1(1)"),
        "answered: no proposal"
    );

    // The official file, filled: only the answer cells and the facility's name differ.
    let r = get(&app.router, "/checklists/r8/merged/export.xlsx", &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let (before, after) = (
        sheet_cells(&merged_book, "Sheet1"),
        sheet_cells(&r.body, "Sheet1"),
    );
    let changed: BTreeMap<_, _> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    assert!(
        before.keys().all(|k| after.contains_key(k)),
        "nothing removed"
    );
    let find = |t: &str| {
        before
            .iter()
            .find(|(_, v)| v.starts_with(t))
            .map(|(k, _)| *k)
            .unwrap()
    };
    let officer = find("医療情報システム安全管理責任者を設置している。");
    let split = find("事業者との責任分界");
    let name = find("医療機関名");
    let want: BTreeMap<(u32, u32), String> = [
        ((name.0, name.1 + 1), "みどりクリニック".to_string()),
        ((officer.0, 3), "はい".to_string()),
        ((officer.0, 4), "令和8年6月30日".to_string()),
        ((split.0, 3), "いいえ".to_string()),
        ((split.0, 4), "令和8年6月30日".to_string()),
        ((split.0, 5), "令和9年3月1日".to_string()),
        ((split.0, 6), "契約更新時".to_string()),
    ]
    .into();
    // 確認日 in the header: the latest check date.
    let checked = find("確認日");
    let mut want = want;
    want.insert((checked.0, checked.1 + 1), "令和8年6月30日".to_string());
    assert_eq!(changed, want);

    // The filled official file, uploaded again on the checklist page, reads as the same two answers.
    let (ct, body) = multipart(&[("csrf", "c")], &[("記入済み.xlsx", &r.body)]);
    let again = send(
        &app.router,
        Request::post("/checklists/r8/merged/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert!(
        again.text().contains("id=\"preview-count\">2 件の回答"),
        "{}",
        again.text()
    );

    // The PDF of the form and the inspection pack use the new edition too.
    let pdf = get(&app.router, "/checklists/r8/merged/export.pdf", &admin).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF"));
    if let Some(text) = pdf_text(&pdf.body) {
        assert!(
            text.contains("事業者との責任分界を契約書等で明確にしている"),
            "{text}"
        );
    }
    let pack = get(&app.router, "/pack.pdf?edition=r8", &admin).await;
    assert_eq!(pack.status, StatusCode::OK, "{}", pack.text());

    // The import is recorded; another import of r8 replaces it only when confirmed.
    let html = get(&app.router, "/editions", &admin).await.text();
    assert!(html.contains("厚生労働省の Excel から取り込み") && html.contains("使用中"));
    let trail = app
        .store
        .history(org, Some("edition_import"), None, 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 2, "create and confirm");
}

/// Issue 23 (5): an edition confirmed with only its merged form still has a pack, a reconciliation and
/// vendor pages (the newest earlier 事業者確認用, said on the page).
#[tokio::test]
async fn a_merged_form_without_its_vendor_workbook_falls_back_to_the_last_vendor_form() {
    let at = fy2026();
    let app = app_at(OrgKind::Clinic, true, at).await;
    let admin = session_at(&app.store, "admin", at).await;
    let c = Catalog::builtin().unwrap();
    let merged_book = sample_workbook(&c, &r8_like(&c), SampleLayout::Columns).unwrap();
    let f = [
        ("csrf", "c"),
        ("edition", "r8"),
        ("fiscal_year", "2026"),
        ("variant", ""),
    ];
    let (ct, body) = multipart(&f, &[("001716187.xlsx", &merged_book)]);
    let r = send(
        &app.router,
        Request::post("/editions/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = r.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = send(
        &app.router,
        form_post(&format!("/editions/imports/{id}/confirm"), &admin, "csrf=c"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let pack = get(&app.router, "/pack.pdf?edition=r8", &admin).await;
    assert_eq!(pack.status, StatusCode::OK, "{}", pack.text());
    let page = get(&app.router, "/vendor-forms?edition=r8", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text()
            .contains("令和7年度版の事業者確認用を使っています")
            || page.text().contains("の事業者確認用を使っています"),
        "{}",
        page.text()
    );
    let r = app
        .api(Method::GET, "/api/v1/reconciliation?edition=r8", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}
