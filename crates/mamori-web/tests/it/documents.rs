//! The inspection pack as PDF.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::*;

/// The inspection pack holds every item text of the facility's and the vendor's forms, the facility's
/// name, the 和暦 date, each いいえ with its 目標日 and the ledgers' reason, and the ledgers.
#[tokio::test]
async fn the_inspection_pack_holds_the_forms_ledgers_and_evidence() {
    let app = app().await;
    let csv = "ユーザID,状態,姓,退職日\r\nyamada,使用可,山田,2025-03-31\r\nsato,使用可,佐藤,\r\n";
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut no = answer("r7.facility.2.5", "no", "2025-05-21", Some("2026-02-27"));
    no["target"] = json!("server");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(json!([
                answer("r7.facility.gate", "yes", "2025-05-20", None),
                no
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(r.body.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&r.body) else {
        println!(
            "SKIP: pdftotext (poppler-utils) is not installed; the pack's text is not checked"
        );
        return;
    };
    // Issue 35 (10): the cover records the audit chain's head now (text compared without spaces).
    let (head, records) = app.store.audit_head().await.unwrap();
    assert!(
        text.contains(&format!("監査記録）:{records}件、連鎖の先頭{head}")),
        "{text}"
    );
    let catalog = mamori_core::Catalog::builtin().unwrap();
    for item in &catalog
        .form("r7", mamori_core::Variant::Facility)
        .unwrap()
        .items
    {
        let want: String = item.text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&want), "{}: {want}", item.id);
    }
    // No vendor form was answered or received: no blank 事業者確認用 is printed (the missing ones are
    // listed on a page of their own).
    let vendor_only = &catalog
        .form("r7", mamori_core::Variant::Vendor)
        .unwrap()
        .items[0]
        .text;
    assert!(
        !text.contains(vendor_only.as_str()),
        "a blank vendor form was printed"
    );
    for want in [
        "みどりクリニック",
        "作成日：令和7年6月1日",
        "立入検査用資料",
        "事業者確認用",
        "目標日：令和8年2月27日",
        "退職日（利用終了日）を過ぎた利用者のうち1名が使用可のままです",
        "厚生労働省",
        "yamada",
    ] {
        assert!(text.contains(want), "{want} not in the pack");
    }
    // A single form as PDF, from the page.
    let admin = session_for(&app.store, "admin", "c").await;
    let r = get(&app.router, "/checklists/r7/facility/export.pdf", &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = pdf_text(&r.body).unwrap();
    assert!(text.contains("医療機関確認用") && !text.contains("立入検査用資料"));
    assert!(text.contains("目標日：令和8年2月27日") && !text.contains("目次"));
}
