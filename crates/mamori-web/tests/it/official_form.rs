//! The form's rules as MHLW wrote them, held through every page that counts or prints answers: the gate's
//! いいえ is no deficiency anywhere (dashboard, API, report, reminders, the pack, the group roll-up), the
//! R7 print keeps the form's order with scope labels, and the pack lists missing vendor forms on one page.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_gate_no_is_no_deficiency_anywhere() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    // First a real いいえ with its 目標日, then the facility finds it runs no 医療情報システム.
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.2.1",
                "no",
                "2025-05-20",
                Some("2025-05-25")
            )])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The gate's いいえ takes no 目標日 (200 without one) and refuses one.
    let with_target = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.gate",
                "no",
                "2025-05-21",
                Some("2026-03-31")
            )])),
        )
        .await;
    assert_eq!(with_target.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.gate",
                "no",
                "2025-05-21",
                None
            )])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let got = app.api(Method::GET, ANSWERS, None).await.json();
    assert_eq!(got["summary"]["no"], 0, "{}", got["summary"]);
    assert_eq!(got["summary"]["no_system"], 1);
    let dash = get(&app.router, "/dashboard", &admin).await.text();
    assert!(
        dash.contains(r#"data-count="no">0<"#),
        "dashboard counts no いいえ"
    );
    let report = get(&app.router, "/report", &admin).await.text();
    assert!(report.contains("いいえ 0 項目"), "{report}");
    assert!(!report.contains("目標日に向けて対応中"));
    let reminders = get(&app.router, "/reminders", &admin).await.text();
    assert!(!reminders.contains("台帳管理を行っている"), "{reminders}");
    assert!(!reminders.contains("医療情報システムを導入、運用している"));

    let pack = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    assert_eq!(pack.status, StatusCode::OK);
    if let Some(text) = pdf_text(&pack.body) {
        assert!(
            text.contains("「いいえ」と回答した項目はありません"),
            "{text}"
        );
        assert!(
            !text.contains("目標日：令和"),
            "no 目標日 printed for the gate"
        );
        // A document for the 保健所: no screen instructions, no blank vendor forms, one page of what is missing.
        assert!(!text.contains("「版の取り込み」画面"));
    } else {
        println!("SKIP: pdftotext is not installed; the pack's text was not read");
    }
}

#[tokio::test]
async fn the_r7_print_keeps_the_forms_order_with_scope_labels() {
    let app = app().await;
    let xlsx = app
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.xlsx",
            None,
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let admin = session_for(&app.store, "admin", "c").await;
    let page = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    // Section 2 in order (1)…(13): 2(4) comes before 2(6), not after the general items.
    let at = |s: &str| {
        page.find(s)
            .unwrap_or_else(|| panic!("{s} not on the page"))
    };
    assert!(at("利用者の職種・担当業務別") < at("セキュリティパッチ"));
    assert!(at("セキュリティパッチ") < at("パスワードは英数字"));
    assert!(at("アクセスログを管理している") < at("接続元制限を実施している"));
    assert!(page.contains("（サーバ、端末PC）　この行：端末PC"));
    assert!(page.contains("（医療情報システム全般）"));
    assert!(
        page.contains("この版の様式の配置"),
        "the layout is marked 未確認"
    );
    let pdf = app
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.pdf",
            None,
        )
        .await;
    if pdf.status == StatusCode::OK
        && let Some(text) = pdf_text(&pdf.body)
    {
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} not in the PDF"));
        assert!(at("利用者の職種・担当業務別") < at("セキュリティパッチ"));
        assert!(text.contains("（サーバ、端末PC）"));
    }
}

#[tokio::test]
async fn the_pack_lists_vendors_whose_forms_are_missing_on_one_page() {
    let app = app().await;
    ledger_row(
        &app,
        mamori_ledger::Kind::Vendors,
        &[("name", "ひかりシステム"), ("systems", "電子カルテ")],
    )
    .await;
    let pack = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    assert_eq!(pack.status, StatusCode::OK);
    let Some(text) = pdf_text(&pack.body) else {
        println!("SKIP: pdftotext is not installed; the pack's text was not read");
        return;
    };
    assert!(text.contains("事業者確認用（未受領の事業者）"), "{text}");
    assert!(text.contains("ひかりシステム"));
    // No blank 事業者確認用 page for it.
    assert!(!text.contains("医療機関に製造業者"));
}
