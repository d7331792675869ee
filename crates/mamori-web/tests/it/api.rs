//! The JSON API: its rules (422 and nothing stored), tokens, the catalog, and the OpenAPI document kept in step with the routes.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use calamine::{Reader, Xlsx};
use mamori_store::OrgKind;
use serde_json::{Value, json};
use std::io::Cursor;

use crate::helpers::*;

#[tokio::test]
async fn api_refuses_broken_rules_with_422_and_stores_nothing() {
    let app = app().await;
    let good = answer("r7.facility.1.1", "yes", "2025-05-20", None);
    let cases = [
        (
            answer("r7.facility.2.1", "no", "2025-05-20", None),
            "target_date",
            "目標日",
        ),
        (
            answer("r7.facility.2.1", "no", "2025-05-20", Some("2026-04-01")),
            "target_date",
            "令和7年度中",
        ),
        (
            answer("r7.facility.2.1", "yes", "2025-06-02", None),
            "checked_on",
            "未来",
        ),
        (
            answer("r7.facility.9.9", "yes", "2025-05-20", None),
            "item",
            "この様式にありません",
        ),
    ];
    for (bad, field, words) in cases {
        let r = app
            .api(Method::PUT, ANSWERS, Some(json!([good, bad])))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let errors = r.json()["errors"].as_array().unwrap().clone();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["field"], field);
        assert_eq!(errors[0]["item"], bad["item"]);
        assert_eq!(errors[0]["round"], 1);
        assert!(
            errors[0]["message"].as_str().unwrap().contains(words),
            "{}",
            errors[0]["message"]
        );
        assert_eq!(
            app.stored().await,
            json!([]),
            "nothing of a refused request is stored"
        );
    }
    assert!(
        app.store
            .history(mamori_core::OrgId::new(1), Some("answer"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn api_saves_reads_and_exports_answers() {
    let app = app().await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([
                answer("r7.facility.1.1", "yes", "2025-05-20", None),
                {"item": "r7.facility.2.4", "target": "terminal", "round": 1, "answer": "no", "checked_on": "2025-05-20", "target_date": "2026-03-31", "note": "端末の権限を整理中"},
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["saved"], 2);
    let got = app.api(Method::GET, ANSWERS, None).await.json();
    assert_eq!(got["fiscal_year"], 2025);
    assert_eq!(got["summary"]["yes"], 1);
    assert_eq!(got["summary"]["no"], 1);
    assert_eq!(got["answers"][1]["target_date"], "2026-03-31");

    let x = app
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.xlsx",
            None,
        )
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(
        x.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(x.body)).unwrap();
    let range = wb.worksheet_range(mamori_report::SHEET_NAME).unwrap();
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cells
            .iter()
            .any(|c| c == "いいえ\n（令和7年5月20日）\n目標日：令和8年3月31日")
    );
    assert!(cells.iter().any(|c| c == "端末の権限を整理中"));
    assert!(cells.iter().any(|c| c == "施設名：みどりクリニック"));
}

#[tokio::test]
async fn api_catalog_marks_unverified_texts() {
    let app = app().await;
    let c = app
        .api(Method::GET, "/api/v1/catalog/r7/facility", None)
        .await
        .json();
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    let usb = items.iter().find(|i| i["id"] == "r7.facility.2.9").unwrap();
    assert_eq!(usb["unverified"], true);
    let nf = app
        .api(Method::GET, "/api/v1/catalog/r9/facility", None)
        .await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    assert!(nf.json()["error"].as_str().unwrap().contains("r9"));
    let mapping = app
        .api(Method::GET, "/api/v1/catalog/r6/facility", None)
        .await
        .json()["next_edition_mapping"]
        .clone();
    assert!(
        mapping
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["from"] == "r6.facility.2.7" && m["to"] == "r7.facility.2.6")
    );
}

#[tokio::test]
async fn api_needs_a_valid_token_and_reads_bad_json_in_japanese() {
    let app = app().await;
    let r = send(
        &app.router,
        Request::get(ANSWERS).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"].as_str().unwrap().contains("APIトークン"));
    let r = send(
        &app.router,
        Request::get(ANSWERS)
            .header(header::AUTHORIZATION, "Bearer wrong")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &app.router,
        Request::put(ANSWERS)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from("{not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("読めません"));
}

#[tokio::test]
async fn gate_and_vendor_rules_apply_through_the_api() {
    let app = app_with(OrgKind::Clinic, false).await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.2.2",
                "yes",
                "2025-05-20",
                None
            )])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("記入不要")
    );
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(json!([answer(
                "r7.facility.gate",
                "no",
                "2025-05-20",
                None
            )])),
        )
        .await;
    // いいえ on the gate means "no system": no 目標日, and no deficiency in the counts.
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let s = app.api(Method::GET, ANSWERS, None).await.json()["summary"].clone();
    assert_eq!(s["not_needed"], 21);
    assert_eq!(s["no"], 0);
    assert_eq!(s["no_system"], 1);
}

/// Every path and method in openapi.json is served, and every served API route is documented.
#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let spec: Value = serde_json::from_str(include_str!("../../../../openapi.json")).unwrap();
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    documented.sort();
    let mut routes: Vec<(String, String)> = mamori_web::api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes, "openapi.json and api::ROUTES differ");
    let app = app().await;
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
    for (method, path) in routes {
        let uri = path
            .replace("{edition}", "r7")
            .replace("{variant}", "facility")
            .replace("{kind}", "accounts")
            .replace("{vendor_id}", &vendor.to_string())
            .replace("{format}", "csv");
        let method: Method = method.to_uppercase().parse().unwrap();
        let r = if method == Method::POST {
            let body = if uri.contains("/checklists/") {
                Body::from(one_answer_workbook())
            } else if uri.contains("/agent/inventory") {
                Body::from(serde_json::to_vec(&inventory_fixture("9.9")).unwrap())
            } else if uri.contains("/agent/enroll") {
                app.store
                    .create_enrollment(
                        mamori_core::OrgId::new(1),
                        &mamori_app::auth::token_hash("enroll_routes"),
                        "routes",
                        "admin",
                        now(),
                        now() + chrono::Duration::days(1),
                    )
                    .await
                    .unwrap();
                Body::from(r#"{"enroll_token": "enroll_routes", "hostname": "PC-01"}"#)
            } else if uri.contains("/vendor-forms/") {
                Body::from(one_answer_workbook_of(mamori_core::Variant::Vendor))
            } else {
                Body::from("ユーザID,状態\r\nsato,使用可\r\n")
            };
            send(
                &app.router,
                Request::post(&uri)
                    .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                    .header(header::CONTENT_TYPE, "text/csv")
                    .body(body)
                    .unwrap(),
            )
            .await
        } else {
            let body = (method == Method::PUT)
                .then(|| json!([answer("r7.facility.1.1", "yes", "2025-05-20", None)]));
            app.api(method.clone(), &uri, body).await
        };
        assert_eq!(r.status, StatusCode::OK, "{method} {uri}: {}", r.text());
    }
    let r = app.api(Method::DELETE, ANSWERS, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = app.api(Method::GET, "/api/v1/nothing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn large_bodies_are_refused() {
    let app = app().await;
    let big = "x".repeat(mamori_web::BODY_LIMIT + 10);
    let r = send(
        &app.router,
        Request::put(ANSWERS)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Issue 35 (9): said in Japanese, as JSON on the API and as a page elsewhere.
    assert!(
        r.json()["error"].as_str().unwrap().contains("大きすぎます"),
        "{}",
        r.text()
    );
    let session = session_for(&app.store, "admin", "c").await;
    let too_big = format!("csrf=c&comment={}", "x".repeat(mamori_web::BODY_LIMIT + 10));
    let r = send(
        &app.router,
        Request::post("/settings")
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, too_big.len())
            .body(Body::from(too_big))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.text().contains("<html") && r.text().contains("大きすぎます"),
        "{}",
        r.text()
    );
    // An upload over its limit, refused before the role is even relevant: the same page.
    let mut body = b"--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n".to_vec();
    body.resize(mamori_web::IMPORT_LIMIT + 100, b'a');
    let r = send(
        &app.router,
        Request::post("/ledgers/devices/import")
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().contains("大きすぎます"), "{}", r.text());
}
