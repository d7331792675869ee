//! Vendors' 事業者確認用: imported or typed in, and the reconciliation.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::*;

/// A vendor's filled 事業者確認用 imported for that vendor; the reconciliation finds the contradictions
/// with the ledgers and the facility's answers; the page, the vendor's xlsx and the pack show them.
#[tokio::test]
async fn vendor_forms_and_reconciliation() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let import = |path: String, body: Vec<u8>| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(body))
            .unwrap()
    };
    let csv = "事業者名,提供システム,リモートメンテナンス契約,MDS/SDS受領日\r\nA社,電子カルテ,有,2025-04-01\r\nB社,レセコン,無,\r\n";
    assert_eq!(
        send(
            &app.router,
            import("/api/v1/ledgers/vendors/import".into(), csv.into())
        )
        .await
        .status,
        StatusCode::OK
    );
    let csv = "種別,コンピュータ名,管理事業者,リモートメンテナンス\r\nサーバ,SV-01,A社,無\r\n";
    assert_eq!(
        send(
            &app.router,
            import("/api/v1/ledgers/devices/import".into(), csv.into())
        )
        .await
        .status,
        StatusCode::OK
    );
    let vendors = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Vendors)
        .await
        .unwrap();
    let a = vendors.iter().find(|v| v.data["name"] == "A社").unwrap().id;
    // A社's form: MDS/SDS not submitted.
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Vendor).unwrap();
    let mds = form
        .items
        .iter()
        .find(|i| i.topic == mamori_core::Topic::MdsSds)
        .unwrap();
    let answers = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: mds.id.clone(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::No,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: Some(chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()),
        note: String::new(),
    }]);
    let workbook = mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &catalog,
        form,
        org_name: "みどりクリニック",
        answers: &answers,
        has_vendor_contract: true,
        fiscal_year: mamori_core::FiscalYear::new(2025),
        created_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 21).unwrap(),
    })
    .unwrap();
    let r = send(
        &app.router,
        import(
            format!("/api/v1/vendor-forms/{a}/import?edition=r7"),
            workbook.clone(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["answers"], 1);
    // Another organisation's vendor id is not found; a non-workbook is 422.
    let r = send(
        &app.router,
        import(
            "/api/v1/vendor-forms/99999/import?edition=r7".into(),
            workbook,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &app.router,
        import(format!("/api/v1/vendor-forms/{a}/import"), b"x".to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .api(Method::GET, "/api/v1/reconciliation?edition=r7", None)
        .await;
    let kinds: Vec<(String, String)> = r.json()["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["vendor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("remote_maintenance".to_string(), "A社".to_string()),
            ("mds_sds".into(), "A社".into()),
            ("vendor_form".into(), "B社".into()),
        ]
    );
    let html = get(&app.router, "/vendor-forms", &admin).await.text();
    assert!(html.contains("食い違い 3 件"), "{html}");
    assert!(html.contains("回答 1 件（いいえ 1 件）"));
    assert!(html.contains("B社の事業者確認用を受け取った記録がありません"));
    let r = get(
        &app.router,
        &format!("/vendor-forms/{a}/export.xlsx?edition=r7"),
        &admin,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let back =
        mamori_report::checklist_import::read_checklist_xlsx(&catalog, form, &r.body).unwrap();
    assert_eq!(back.inputs.len(), 1, "the vendor's form reads back");
    let r = app
        .api(Method::GET, "/api/v1/pack.pdf?edition=r7", None)
        .await;
    if let Some(text) = pdf_text(&r.body) {
        assert!(text.contains("事業者確認用（A社）"));
        assert!(text.contains("照合（施設・事業者・台帳の食い違い）"));
        assert!(text.contains("B社の事業者確認用を受け取った記録がありません"));
    }
}

/// A vendor's form typed in on one page: a broken rule comes back beside its row with everything typed
/// kept and nothing saved; corrected, the whole form is saved for that vendor.
#[tokio::test]
async fn vendor_form_typed_in() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let vendor = app
        .store
        .save_ledger_row(
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::Vendors,
            None,
            &[("name".to_string(), "A社".to_string())].into(),
            "admin",
            now(),
        )
        .await
        .unwrap();
    let path = format!("/vendor-forms/{vendor}/edit");
    let html = get(&app.router, &format!("{path}?edition=r7"), &admin)
        .await
        .text();
    assert!(html.contains("A社の事業者確認用を入力する"));
    assert!(html.contains("事業者内に、医療情報システム等の提供に係る管理責任者を設置している。"));
    // The R7 vendor form in its own order: each row says which target it answers.
    assert!(
        html.contains("（サーバ、端末PC）　この行：端末PC"),
        "{html}"
    );
    let field = |name: &str| enc(name);
    let body = |target_date: &str| {
        format!(
            "csrf=c&edition=r7&{}=yes&{}=2025-05-20&{}=no&{}=2025-05-20&{}={target_date}&{}={}",
            field("r7.vendor.1.1|general|1|answer"),
            field("r7.vendor.1.1|general|1|checked_on"),
            field("r7.vendor.2.6|general|1|answer"),
            field("r7.vendor.2.6|general|1|checked_on"),
            field("r7.vendor.2.6|general|1|target_date"),
            field("r7.vendor.2.6|general|1|note"),
            enc("更新計画を作成中")
        )
    };
    let r = send(&app.router, form_post(&path, &admin, &body(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("目標日") && html.contains("field-error"),
        "{html}"
    );
    assert!(
        html.contains("value=\"更新計画を作成中\""),
        "what was typed stays"
    );
    assert!(
        app.store
            .vendor_forms(mamori_core::OrgId::new(1), "r7")
            .await
            .unwrap()
            .is_empty()
    );
    let r = send(&app.router, form_post(&path, &admin, &body("2026-03-01"))).await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/vendor-forms?edition=r7&imported=2"
    );
    let forms = app
        .store
        .vendor_forms(mamori_core::OrgId::new(1), "r7")
        .await
        .unwrap();
    assert_eq!((forms[0].vendor_id, forms[0].answers.len()), (vendor, 2));
    let html = get(&app.router, &format!("{path}?edition=r7"), &admin)
        .await
        .text();
    assert!(
        html.contains("value=\"2026-03-01\""),
        "the recorded form opens again"
    );
}
