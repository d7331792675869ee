//! The cyber BCP in the web app: the 確認表 with the ledgers' word (a mistake refused with what was
//! typed), 3(3) following it, the 連絡体制図, the facility's texts, the BCP document as PDF and as Word
//! (opened by LibreOffice and printed to PDF when it is installed), the incident card and its staleness
//! on the dashboard, and an incident from opening to closing.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_ledger::Kind;

use crate::helpers::*;

fn all_yes() -> String {
    let mut body = String::from("csrf=c");
    for i in &mamori_app::bcp::catalog().items {
        body.push_str(&format!(
            "&answer.{0}=yes&checked_on.{0}=2025-05-30&note.{0}=",
            i.key
        ));
    }
    body
}

fn entry(
    id: i64,
    admin: &str,
    kind: &str,
    text: &str,
    file: Option<(&str, &[u8])>,
) -> Request<Body> {
    let mut body = format!(
        "--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n--B0undary\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{text}\r\n"
    )
    .into_bytes();
    let (name, bytes) = file.unwrap_or(("", b""));
    body.extend_from_slice(
        format!("--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    Request::post(format!("/incidents/{id}/entries"))
        .header(header::COOKIE, admin)
        .header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=B0undary",
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn the_bcp_table_document_card_and_an_incident() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    ledger_row(
        &app,
        Kind::Contacts,
        &[
            ("category", "事業者"),
            ("organisation", "ひかりシステム"),
            ("person", "佐藤"),
            ("phone", "03-1111-2222"),
            ("role", "復旧作業"),
        ],
    )
    .await;
    ledger_row(
        &app,
        Kind::Contacts,
        &[
            ("category", "公的機関"),
            ("organisation", "厚生労働省 医政局"),
            ("phone", "03-5253-1111"),
        ],
    )
    .await;
    ledger_row(
        &app,
        Kind::Backups,
        &[
            ("system", "電子カルテ"),
            ("method", "外付けHDD"),
            ("offline", "はい"),
            ("storage", "院長室の金庫"),
            ("restore_tested_on", "2025-01-10"),
            ("restore_procedure", "手順書あり"),
        ],
    )
    .await;
    ledger_row(
        &app,
        Kind::Devices,
        &[
            ("device_kind", "サーバ"),
            ("computer_name", "EMR-SV"),
            ("recovery_priority", "1"),
        ],
    )
    .await;
    ledger_row(
        &app,
        Kind::Exercises,
        &[
            ("held_on", "2025-03-01"),
            ("exercise_kind", "BCP訓練"),
            ("scenario", "ランサムウェアで電子カルテ停止"),
            ("result", "紙運用へ30分で切替"),
        ],
    )
    .await;

    let html = get(&app.router, "/bcp", &admin).await.text();
    assert!(html.contains("サイバー攻撃を想定した事業継続計画(BCP)策定の確認表"));
    // The five steps with the real 項番; gaps shown as 「未確認」 without words of ours.
    for step in ["1 平時", "2 検知", "3 初動対応", "4 復旧処理", "5 事後対応"] {
        assert!(html.contains(step), "{step}");
    }
    for gap in ["2-1", "2-2", "3-2", "3-3", "5-1", "2-1-1", "5-6-1"] {
        assert!(html.contains(&format!("data-gap=\"{gap}\"")), "{gap}");
    }
    assert!(html.contains("バックアップの実施と復旧手順が確認できているか。"));
    assert!(!html.contains("ネットワークからの切り離し、被害範囲の確認"));
    assert!(!html.contains("代替手順（紙運用等）が整備できているか"));
    assert!(
        html.contains("1年以内に訓練を実施しています（最新 2025-03-01）"),
        "{html}"
    );
    assert!(html.contains("機器台帳の1台に復旧優先順位があり、最優先は1台です"));
    assert!(html.contains("aria-label=\"連絡体制図\"") && html.contains("ひかりシステム"));
    assert!(html.contains("緊急時連絡カードをまだ作っていません"));

    // A row with words but no 確認日: refused beside the row, what was typed kept, nothing saved.
    let bad = send(
        &app.router,
        form_post("/bcp/answers", &admin, "csrf=c&answer.1-1-1=yes&note.1-1-1=台帳あり&answer.1-1-2=yes&checked_on.1-1-2=2025-05-30"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(
        text.contains("data-error=\"1-1-1\">確認日を入力してください"),
        "{text}"
    );
    assert!(text.contains("value=\"台帳あり\""));
    let org = app.store.first_org_id().await.unwrap().unwrap();
    assert!(
        app.store
            .bcp_answers(org, "bcp2024")
            .await
            .unwrap()
            .is_empty()
    );
    // Answers to gaps alone decide nothing: 3(3) still waits for the rows MHLW's words are known of.
    let gaps_only = send(
        &app.router,
        form_post(
            "/bcp/answers",
            &admin,
            "csrf=c&answer.2-1-1=yes&checked_on.2-1-1=2025-05-30&answer.5-1-1=yes&checked_on.5-1-1=2025-05-30",
        ),
    )
    .await;
    assert_eq!(gaps_only.status, StatusCode::SEE_OTHER);
    let form = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    assert!(
        form.contains("BCP確認表にまだ回答していません"),
        "answers to gaps must not decide 3(3)"
    );
    let ok = send(&app.router, form_post("/bcp/answers", &admin, &all_yes())).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    // The page posts every row again: unchanged ones are not written again (nor audited).
    let again = send(&app.router, form_post("/bcp/answers", &admin, &all_yes())).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let saved = app
        .store
        .history(org, Some("bcp_answer"), None, 100)
        .await
        .unwrap();
    // The two gap rows were saved first and all_yes wrote the rest: each row once.
    assert_eq!(saved.len(), mamori_app::bcp::catalog().items.len());
    // 3(3) follows the table.
    let form = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    assert!(
        form.contains("BCP確認表の文言を確認できた全16項目が「はい」です"),
        "{form}"
    );

    let ok = send(
        &app.router,
        form_post(
            "/bcp/texts",
            &admin,
            &format!(
                "csrf=c&text.alternatives={}",
                enc("紙カルテと手書き伝票に切り替える")
            ),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let bad = send(
        &app.router,
        form_post("/bcp/texts", &admin, "csrf=c&text.nothing=x"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let pdf = get(&app.router, "/bcp/document.pdf", &admin).await;
    assert!(pdf.body.starts_with(b"%PDF"));
    if let Some(t) = pdf_text(&pdf.body) {
        assert!(
            t.contains("診療継続のための代替手順")
                && t.contains("紙カルテと手書き伝票に切り替える"),
            "{t}"
        );
        assert!(
            t.contains("ひかりシステム") && t.contains("EMR-SV") && t.contains("院長室の金庫"),
            "{t}"
        );
    } else {
        println!("SKIP: pdftotext (poppler-utils) is not installed; the PDF's text is not checked");
    }
    // The inspection pack carries the 連絡体制図 too.
    let pack = get(&app.router, "/pack.pdf?edition=r7", &admin).await;
    if let Some(t) = pdf_text(&pack.body) {
        assert!(
            t.contains("外部連絡リストから作成（インシデント発生時"),
            "{t}"
        );
    }
    let docx = get(&app.router, "/bcp/document.docx", &admin).await;
    assert_eq!(docx.status, StatusCode::OK);
    assert!(docx.body.starts_with(b"PK"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bcp.docx"), &docx.body).unwrap();
    let converted = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(dir.path().join("bcp.docx"))
        .env("HOME", dir.path())
        .output();
    match converted {
        Ok(out) if dir.path().join("bcp.pdf").exists() => {
            let t =
                pdf_text(&std::fs::read(dir.path().join("bcp.pdf")).unwrap()).unwrap_or_default();
            assert!(
                t.contains("紙カルテと手書き伝票に切り替える") && t.contains("ひかりシステム"),
                "{t} {out:?}"
            );
            if let Ok(keep) = std::env::var("MAMORI_KEEP_BCP") {
                std::fs::copy(dir.path().join("bcp.pdf"), format!("{keep}/bcp-docx.pdf")).unwrap();
                std::fs::write(format!("{keep}/bcp.pdf"), &pdf.body).unwrap();
            }
        }
        other => println!("SKIP: LibreOffice (soffice) could not convert the Word file: {other:?}"),
    }

    // The card, then a contact changes: the dashboard says the card is out of date.
    let card = get(&app.router, "/bcp/card", &admin).await;
    let policy = card.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("style-src 'sha256-") && !policy.contains("unsafe"),
        "{policy}"
    );
    let card = card.text();
    assert!(
        card.contains("身代金を支払わない")
            && card.contains("03-1111-2222")
            && card.contains("院長室の金庫")
    );
    assert!(!card.contains("<script"), "the offline card has no script");
    let file = get(&app.router, "/bcp/card.html", &admin).await;
    assert!(
        file.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        !get(&app.router, "/dashboard", &admin)
            .await
            .text()
            .contains("card-outdated")
    );
    ledger_row(
        &app,
        Kind::Contacts,
        &[
            ("category", "公的機関"),
            ("organisation", "警察署"),
            ("phone", "110"),
        ],
    )
    .await;
    assert!(
        get(&app.router, "/dashboard", &admin)
            .await
            .text()
            .contains("id=\"card-outdated\"")
    );

    // An incident: opened, an entry with a file (its SHA-256 shown), the facts, closed.
    let r = send(
        &app.router,
        form_post("/incidents", &admin, "csrf=c&title="),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = send(
        &app.router,
        form_post(
            "/incidents",
            &admin,
            &format!("csrf=c&title={}", enc("受付PCに身代金要求の画面")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let r = send(
        &app.router,
        entry(
            id,
            &admin,
            "action",
            "LANケーブルを抜いた",
            Some(("画面.png", b"\x89PNG fake")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = send(&app.router, entry(id, &admin, "contact", "", None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains("何をしたか（誰に連絡したか）を入力してください")
    );
    let page = get(&app.router, &path, &admin).await.text();
    let sha = mamori_store_sha(b"\x89PNG fake");
    assert!(page.contains(&sha), "{page}");
    let r = send(
        &app.router,
        form_post(
            &format!("{path}/facts"),
            &admin,
            "csrf=c&fact.attack=x&devices=NOPE",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("機器台帳にないコンピュータ名です：NOPE"));
    let r = send(
        &app.router,
        form_post(
            &format!("{path}/facts"),
            &admin,
            &format!(
                "csrf=c&fact.attack={}&devices=emr-sv",
                enc("ランサムウェア")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let report = get(&app.router, &format!("{path}/report.txt"), &admin)
        .await
        .text();
    assert!(
        report.contains("ランサムウェア")
            && report.contains("EMR-SV")
            && report.contains("LANケーブルを抜いた")
    );
    assert!(report.contains(&sha));
    let file = get(&app.router, &format!("{path}/files/1"), &admin).await;
    assert_eq!(file.body, b"\x89PNG fake");
    let r = send(
        &app.router,
        form_post(
            &format!("{path}/close"),
            &admin,
            &format!(
                "csrf=c&summary={}",
                enc("バックアップから復旧。再発防止にUSB制限")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&app.router, entry(id, &admin, "note", "後から", None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("このインシデントは終了しています"));
    let trail = app
        .store
        .history(org, Some("incident"), None, 20)
        .await
        .unwrap();
    let actions: Vec<&str> = trail.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(actions, ["close", "update", "entry", "open"]);
}

fn mamori_store_sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
