//! The checklist page: answering (htmx and whole page), history of answers, the edition in force, workbook imports.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::DateTime;
use mamori_app::auth;
use mamori_store::OrgKind;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_answer_form_and_history() {
    let app = app().await;
    let page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let cookies = format!("mamori_pre={csrf}");
    let r = send(
        &app.router,
        form_post(
            "/login",
            &cookies,
            &format!("csrf={csrf}&login=admin&password=wrong"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .contains("ログインID・パスワード・確認コードのいずれかが違います")
    );
    assert!(r.text().contains("value=\"admin\""));
    let r = send(
        &app.router,
        form_post(
            "/login",
            &cookies,
            &format!(
                "csrf={csrf}&login=admin&password={}&code={}",
                enc("Midori#2025"),
                test_code(now())
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let session = format!(
        "mamori_session={}",
        cookie_value(&r.set_cookies(), "mamori_session").unwrap()
    );

    let page = send(
        &app.router,
        Request::get("/checklists/r7/facility")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = page.text();
    assert!(html.contains("USBストレージ等の外部記録媒体の接続を制限している。"));
    assert!(html.contains("未確認の文言"));
    // Our explanations say they are ours; the item's text names where it was seen, in Japanese.
    assert!(html.contains("Mamori による解説（厚生労働省の文言ではありません）"));
    assert!(!html.contains("マニュアルの要点"));
    assert!(html.contains("文言の出典："));
    assert!(!html.contains("not seen"));
    let csrf = form_field(&html, "csrf");

    // Wrong CSRF token: refused, nothing stored.
    let body = "csrf=bad&item=r7.facility.2.1&target=general&round=1&answer=no&checked_on=2025-05-20&target_date=&note=";
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, body),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // いいえ without 目標日 through htmx: the row comes back with the message and the typed values.
    let body = format!(
        "csrf={csrf}&item=r7.facility.2.1&target=general&round=1&answer=no&checked_on=2025-05-20&target_date=&note={}",
        enc("台帳作成中")
    );
    let mut req = form_post("/checklists/r7/facility/answers", &session, &body);
    req.headers_mut()
        .insert("hx-request", "true".parse().unwrap());
    let r = send(&app.router, req).await;
    assert_eq!(r.status, StatusCode::OK);
    let row = r.text();
    assert!(row.starts_with("<div class=\"item"), "{row}");
    assert!(row.contains("「いいえ」の場合は令和7年度中の目標日を入力してください"));
    assert!(row.contains("value=\"台帳作成中\""));
    assert!(row.contains("value=\"no\" checked"));
    assert_eq!(app.stored().await, json!([]));

    // The same without htmx: the whole page again, 422, typed values kept.
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("入力に誤りがあります"));
    assert!(r.text().contains("value=\"台帳作成中\""));

    // With a target date: saved, redirected to the row.
    let body = body.replace("target_date=&", "target_date=2025-12-01&");
    let r = send(
        &app.router,
        form_post("/checklists/r7/facility/answers", &session, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers[header::LOCATION],
        "/checklists/r7/facility#row-r7-facility-2-1-general"
    );
    assert_eq!(app.stored().await[0]["target_date"], "2025-12-01");

    let r = send(
        &app.router,
        Request::get("/history?item=r7.facility.2.1/general")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = r.text();
    assert!(
        html.contains("いいえ（令和7年5月20日） 目標日 令和7年12月1日 備考：台帳作成中"),
        "{html}"
    );
    assert!(
        html.contains("令和7年6月1日 10:00:00"),
        "times are shown in JST"
    );
    assert!(html.contains("絞り込み：令和7年度版 2(1) サーバ、端末PC、ネットワーク機器の台帳管理を行っている。（全般）"));

    // Logout ends the session.
    let r = send(
        &app.router,
        form_post("/logout", &session, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &app.router,
        Request::get("/dashboard")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers[header::LOCATION], "/login");
}

/// In 令和8年度 no newer edition is built in: R7 is used, the page says so, and 目標日 must fall in 令和8年度.
#[tokio::test]
async fn newest_edition_is_used_in_a_later_fiscal_year_and_says_so() {
    let at = DateTime::parse_from_rfc3339("2026-11-23T03:00:00Z")
        .unwrap()
        .to_utc();
    let app = app_at(OrgKind::Pharmacy, true, at).await;
    let path = "/api/v1/checklists/r7/pharmacy/answers";
    let item = |target_date: &str| json!([{"item": "r7.pharmacy.2.1", "answer": "no", "checked_on": "2026-11-20", "target_date": target_date}]);
    let r = app.api(Method::PUT, path, Some(item("2026-03-31"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("令和8年度中")
    );
    let r = app.api(Method::PUT, path, Some(item("2027-03-31"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.api(Method::GET, path, None).await.json()["fiscal_year"],
        2026
    );

    let session = auth::new_token();
    let user = app.store.user_by_login("admin").await.unwrap().unwrap();
    app.store
        .create_session(
            &auth::token_hash(&session),
            user.id,
            "c",
            at,
            at + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let r = send(
        &app.router,
        Request::get("/dashboard")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = r.text();
    assert!(
        html.contains("令和8年度の版はまだ取り込まれていないため、令和7年度版を使用しています。厚生労働省は令和8年度版のチェックリスト"),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/editions">版の取り込みへ</a>"#),
        "{html}"
    );
    assert!(html.contains("令和7年度版 薬局確認用（令和8年度）"));
    assert!(
        html.contains("令和9年3月31日"),
        "the open item shows its 目標日"
    );
}

/// A facility's exported workbook, imported into another (empty) facility, gives the same answers; a dry
/// run saves nothing; a file that is not a workbook, or a workbook breaking the form's rules, saves nothing
/// and says where.
#[tokio::test]
async fn checklist_workbook_import_reproduces_answers() {
    let from = app().await;
    let mut answers = vec![
        answer("r7.facility.1.1", "yes", "2025-05-20", None),
        answer("r7.facility.2.1", "no", "2025-05-21", Some("2026-03-01")),
    ];
    answers[1]["note"] = json!("台帳を作成中");
    let r = from
        .api(
            Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(json!(answers)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let xlsx = from
        .api(
            Method::GET,
            "/api/v1/checklists/r7/facility/export.xlsx",
            None,
        )
        .await
        .body;

    let to = app().await;
    let import = |query: &str, body: Vec<u8>| {
        Request::post(format!("/api/v1/checklists/r7/facility/import{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", to.token))
            .body(Body::from(body))
            .unwrap()
    };
    let stored = |app: &App| {
        let app = app.store.clone();
        async move {
            let org = app.first_org_id().await.unwrap().unwrap();
            let mut a = app
                .answers(org, "r7", mamori_core::Variant::Facility)
                .await
                .unwrap();
            a.sort_by_key(mamori_core::Answer::key);
            a
        }
    };
    let r = send(&to.router, import("?dry_run=true", xlsx.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["answers"], 2);
    assert!(stored(&to).await.is_empty(), "a dry run saves nothing");
    let r = send(&to.router, import("", xlsx.clone())).await;
    assert_eq!(r.json()["dry_run"], false);
    assert_eq!(stored(&to).await, stored(&from).await);

    let r = send(&to.router, import("", b"No.,item\r\n".to_vec())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("xlsx")
    );
    // いいえ without a 目標日 in the workbook: refused by the form's rule, named by row and column.
    let catalog = mamori_core::Catalog::builtin().unwrap();
    let form = catalog.form("r7", mamori_core::Variant::Facility).unwrap();
    let bad = mamori_core::AnswerSet::new([mamori_core::Answer {
        item: "r7.facility.2.1".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::No,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    }]);
    let bad = mamori_report::checklist_xlsx(&mamori_report::ChecklistExport {
        catalog: &catalog,
        form,
        org_name: "x",
        answers: &bad,
        has_vendor_contract: true,
        fiscal_year: mamori_core::FiscalYear::new(2025),
        created_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
    })
    .unwrap();
    let r = send(&to.router, import("", bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = &r.json()["errors"][0];
    assert_eq!(e["column"], "1回目");
    assert!(e["row"].as_u64().unwrap() > 5);
    assert!(e["message"].as_str().unwrap().contains("目標日"), "{e}");
    assert_eq!(stored(&to).await, stored(&from).await, "nothing changed");
}

/// The page flow: upload a workbook, see its answers (nothing saved yet), confirm, land on the checklist
/// with the answers in place; a bad workbook shows every problem and offers no confirmation.
#[tokio::test]
async fn checklist_workbook_import_on_the_page() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let upload = |bytes: &[u8]| {
        let (ct, body) = multipart_file("c", "令和7年度.xlsx", bytes);
        Request::post("/checklists/r7/facility/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(&app.router, upload(&one_answer_workbook())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"preview-count\">1 件の回答"), "{html}");
    assert!(html.contains("<td>令和7年5月20日</td>"));
    let org = app.store.first_org_id().await.unwrap().unwrap();
    let saved = || async {
        app.store
            .answers(org, "r7", mamori_core::Variant::Facility)
            .await
            .unwrap()
    };
    assert!(saved().await.is_empty(), "the preview saves nothing");
    let token = form_field(&html, "token");
    let r = send(
        &app.router,
        form_post(
            "/checklists/r7/facility/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/checklists/r7/facility?imported=1"
    );
    assert_eq!(saved().await.len(), 1);
    let html = get(&app.router, "/checklists/r7/facility?imported=1", &admin)
        .await
        .text();
    assert!(html.contains("Excel から 1 件の回答を取り込みました"));

    let r = send(&app.router, upload(b"not a workbook")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"import-errors\"") && !html.contains("confirm-import"));
}
