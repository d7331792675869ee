//! 新年度の準備 in the web app (fixed clock: 2025-06-01, 令和7年度): a clinic that answered the 令和6年度版
//! is told the year waits; the page shows the 令和7年度版's new and changed items against last year's
//! answers and the proposals; the administrator starts the year and the form offers last year's answers;
//! answers kept for a year read back as a page and as CSV (CP932), and a mistake is refused with words.

use axum::http::{Method, StatusCode, header};

use crate::helpers::*;

#[tokio::test]
async fn a_new_year_is_started_with_last_years_answers_as_proposals() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/checklists/r6/facility/answers",
            Some(serde_json::json!([
                answer("r6.facility.gate", "yes", "2024-06-01", None),
                on("r6.facility.2.4", "server", "yes", None),
                on("r6.facility.2.7", "server", "no", Some("2025-03-31")),
                on("r6.facility.2.7", "terminal", "yes", None),
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let dash = get(&app.router, "/dashboard", &admin).await.text();
    assert!(dash.contains("id=\"new-year-notice\""), "{dash}");
    assert!(dash.contains("令和7年度になりました"));

    let page = get(&app.router, "/years", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("<option value=\"r7\" selected>令和7年度版（内蔵の版）</option>"),
        "{html}"
    );
    assert!(html.contains("value=\"r6/facility\" checked"), "{html}");
    // パスワード, 外部記録媒体, 二要素認証, 運用管理規程 … are new; 2(4)'s words changed.
    assert!(html.contains("data-change=\"新しい項目\""));
    assert!(html.contains("パスワードの使い回しを禁止している。"));
    assert!(html.contains("data-change=\"文言の変更\""));
    assert!(html.contains(
        "変更前：2(4) 利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定している。"
    ));
    assert!(html.contains("令和6年度版 2(7)：サーバ：いいえ（令和6年6月1日） 目標日 令和7年3月31日／端末PC：はい（令和6年6月1日）"), "{html}");

    // Last year's form stays where it is, listed among the years.
    assert!(
        html.contains("<a href=\"/checklists/r6/facility\">令和6年度版 医療機関確認用（4件）</a>"),
        "{html}"
    );

    // Not carrying anything is a choice too: the page shows no proposals then.
    let none = get(&app.router, "/years?edition=r7&from=", &admin)
        .await
        .text();
    assert!(none.contains("提案 0"), "{none}");

    // A mistake (an unknown edition) is refused with words, and nothing starts.
    let bad = send(
        &app.router,
        form_post(
            "/years/start",
            &admin,
            "csrf=c&edition=r9&from=r6%2Ffacility",
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("版を選んでください"));
    assert!(
        app.store
            .fiscal_years(org(&app).await)
            .await
            .unwrap()
            .is_empty()
    );

    let r = send(
        &app.router,
        form_post(
            "/years/start",
            &admin,
            "csrf=c&edition=r7&from=r6%2Ffacility",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.headers[header::LOCATION], "/checklists/r7/facility");
    let form = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    assert!(
        form.contains(
            "昨年度からの引き継ぎ（提案。回答ではありません）：令和6年度版 2(7)：サーバ：いいえ"
        ),
        "{form}"
    );
    assert!(form.contains("data-change=\"new-item\""));
    let dash = get(&app.router, "/dashboard", &admin).await.text();
    assert!(!dash.contains("new-year-notice"));
    let html = get(&app.router, "/years", &admin).await.text();
    assert!(html.contains("id=\"year-started\""));
    let trail = app
        .store
        .history(org(&app).await, Some("fiscal_year"), None, 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);

    // Answers kept for a year: the page and the CSV.
    app.store
        .start_fiscal_year(
            org(&app).await,
            &mamori_store::YearStart {
                fiscal_year: 2025,
                edition: "r6".into(),
                carried_from: None,
                archive_as: Some(2024),
            },
            "admin",
            now(),
        )
        .await
        .unwrap();
    let kept = get(&app.router, "/years/2024/r6/facility", &admin).await;
    assert_eq!(kept.status, StatusCode::OK);
    let html = kept.text();
    assert!(
        html.contains("令和6年度の回答（令和6年度版 医療機関確認用）"),
        "{html}"
    );
    assert!(html.contains("目標日を過ぎて2回目が未確認"), "{html}");
    let csv = get(&app.router, "/years/2024/r6/facility/answers.csv", &admin).await;
    assert_eq!(csv.status, StatusCode::OK);
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&csv.body);
    assert!(!bad);
    assert!(
        text.starts_with("項目,文言,1回目,目標日,2回目,状況,備考\r\n"),
        "{text}"
    );
    assert!(
        text.contains("いいえ（令和6年6月1日）,令和7年3月31日"),
        "{text}"
    );
    let missing = get(&app.router, "/years/2023/r6/facility", &admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("保管した回答が見つかりません"));
}

fn on(item: &str, target: &str, answer: &str, due: Option<&str>) -> serde_json::Value {
    serde_json::json!({"item": item, "target": target, "round": 1, "answer": answer,
        "checked_on": "2024-06-01", "target_date": due, "note": ""})
}

async fn org(app: &App) -> mamori_core::OrgId {
    app.store.first_org_id().await.unwrap().unwrap()
}
