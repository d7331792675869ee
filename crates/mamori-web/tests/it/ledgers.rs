//! Ledgers: import with preview, edit and history, filters, and the evidence they give.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn ledger_pages_import_with_preview_edit_and_history() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let upload = |bytes: Vec<u8>| {
        let (ct, body) = multipart_file("c", "利用者台帳.csv", &bytes);
        Request::post("/ledgers/accounts/import")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    // Two bad rows: nothing stored, both named by row and column.
    let bad = "No.,所属部署,姓,名,ユーザID,状態,退職日\r\n1,医事課,山田,花子,yamada,休憩,\r\n2,看護部,佐藤,一郎,sato,使用可,いつか\r\n";
    let r = send(&app.router, upload(encoding_rs_sjis(bad))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("何も取り込んでいません（2 件）"), "{html}");
    assert!(html.contains("2行目「状態」列: 「休憩」は選べません"));
    assert!(html.contains("3行目「退職日」列: 日付「いつか」を読み取れません"));
    assert_eq!(
        app.store
            .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .len(),
        0
    );

    // A good file larger than the 1 MiB form limit: previewed, nothing stored until confirmed.
    let mut good = String::from("No.,所属部署,姓,名,ユーザID,状態,退職日\r\n");
    let long = "病棟の電子カルテ端末を使う。".repeat(8);
    for i in 0..6_000 {
        good.push_str(&format!(
            "{i},看護部{long},佐藤,一郎,user{i:05},使用可,\r\n"
        ));
    }
    assert!(good.len() > mamori_web::BODY_LIMIT);
    let r = send(&app.router, upload(encoding_rs_sjis(&good))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Shift_JIS（CP932）"));
    assert!(html.contains("id=\"preview-count\">6000 行"));
    assert_eq!(
        app.store
            .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .len(),
        0
    );
    let token = form_field(&html, "token");
    let r = send(
        &app.router,
        form_post(
            "/ledgers/accounts/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/ledgers/accounts?imported=6000,0,0"
    );
    // The same confirmation twice does nothing.
    let r = send(
        &app.router,
        form_post(
            "/ledgers/accounts/import/confirm",
            &admin,
            &format!("csrf=c&token={token}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // List: server-side search, sort and paging.
    let html = get(&app.router, "/ledgers/accounts?q=user05999", &admin)
        .await
        .text();
    assert!(
        html.contains("<td>user05999</td>") && html.contains("1 行"),
        "{html}"
    );
    let html = get(&app.router, "/ledgers/accounts?sort=user_id&desc=1", &admin)
        .await
        .text();
    assert!(html.contains("6000 行") && html.contains("1 / 120 ページ"));
    let first = html.find("<td>user05999</td>").unwrap();
    assert!(first < html.find("<td>user05998</td>").unwrap());

    // Edit: a bad date comes back beside the field with the typed values kept; a good one is saved.
    let row = app
        .store
        .ledger_page(
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::Accounts,
            &mamori_store::LedgerQuery {
                search: "user00007".into(),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0[0]
        .clone();
    let path = format!("/ledgers/accounts/{}", row.id);
    let body = format!(
        "csrf=c&user_id=user00007&status={}&family_name={}&end_date=2025%2F13%2F01",
        enc("使用可"),
        enc("佐藤")
    );
    let r = send(&app.router, form_post(&path, &admin, &body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("日付「2025/13/01」を読み取れません"));
    assert!(r.text().contains("value=\"2025/13/01\""));
    let body = body.replace("2025%2F13%2F01", enc("令和7年3月31日").as_str());
    let r = send(&app.router, form_post(&path, &admin, &body)).await;
    assert_eq!(r.headers[header::LOCATION], path.as_str());
    let html = get(&app.router, &path, &admin).await.text();
    assert!(html.contains("value=\"2025-03-31\""));
    assert!(
        html.contains("<td>変更</td>") && html.contains("<td>取り込み</td>"),
        "{html}"
    );

    // The API: 422 with the same errors; xlsx export of the rows.
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(bad))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][1]["column"], "退職日");
    assert_eq!(r.json()["errors"][1]["row"], 3);
    let r = app
        .api(
            Method::GET,
            "/api/v1/ledgers/accounts?search=user0000&sort=user_id&limit=3",
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 10);
    assert_eq!(r.json()["rows"][2]["data"]["user_id"], "user00002");
}

fn encoding_rs_sjis(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

#[tokio::test]
async fn ledger_evidence_suggests_answers_and_disagreement_needs_a_note() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let item = "r7.facility.2.5";
    // Nothing in the ledgers: 判断材料不足, and any answer is accepted.
    let evidence = app
        .api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json();
    let s = evidence["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == item)
        .unwrap()
        .clone();
    assert_eq!(s["verdict"], "unknown");

    let csv = "ユーザID,状態,退職日\r\nyamada,使用可,2025-03-31\r\nsato,使用可,\r\n";
    let r = send(
        &app.router,
        Request::post("/api/v1/ledgers/accounts/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = get(&app.router, "/checklists/r7/facility", &admin)
        .await
        .text();
    let row = &html[html.find("id=\"row-r7-facility-2-5-server\"").unwrap()..];
    let row = &row[..row.find("</form>").unwrap()];
    assert!(row.contains("台帳から：いいえ"), "{row}");
    assert!(row.contains("退職日（利用終了日）を過ぎた利用者のうち1名が使用可のままです"));
    assert!(row.contains("href=\"/ledgers/accounts/1\""));

    // はい against the ledger without a 備考: refused beside the note; with one: saved.
    let answer_yes = |note: &str| json!([{"item": item, "target": "server", "answer": "yes", "checked_on": "2025-05-20", "note": note}]);
    let r = app.api(Method::PUT, ANSWERS, Some(answer_yes(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "note");
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("台帳からの判断（いいえ")
    );
    let body = "csrf=c&item=r7.facility.2.5&target=server&round=1&answer=yes&checked_on=2025-05-20&target_date=&note=";
    let mut req = form_post("/checklists/r7/facility/answers", &admin, body);
    req.headers_mut()
        .insert("hx-request", "true".parse().unwrap());
    let r = send(&app.router, req).await;
    assert!(
        r.text().contains("理由を備考に書いてください"),
        "{}",
        r.text()
    );
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(answer_yes("山田さんは6月まで嘱託で継続")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // What the ledger said is kept with the answer, and in its audit record.
    let stored = app.api(Method::GET, ANSWERS, None).await.json();
    let kept = &stored["evidence_at_save"]["r7.facility.2.5/server/1"];
    assert_eq!(kept["verdict"], "no", "{stored}");
    assert!(
        kept["reasons"][0]
            .as_str()
            .unwrap()
            .contains("使用可のまま")
    );
    let trail = app
        .store
        .history(
            mamori_core::OrgId::new(1),
            Some("answer"),
            Some("r7.facility.2.5/server/1"),
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        trail[0].after.as_ref().unwrap()["evidence"]["verdict"],
        "no"
    );
    // Agreeing needs no note.
    let r = app
        .api(Method::PUT, ANSWERS, Some(json!([{"item": item, "target": "server", "round": 2, "answer": "no", "checked_on": "2025-05-25", "target_date": "2025-07-01"}])))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Filters by a column's value on the page and the API; log reviews turn the access-log item (R7 2(10))
/// from いいえ to はい, and disabling the review turns it back (the evidence cache is patched with each
/// change, never stale).
#[tokio::test]
async fn ledger_filters_and_log_reviews_drive_the_access_log_item() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let import = |kind: &str, csv: &str| {
        Request::post(format!("/api/v1/ledgers/{kind}/import"))
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
            .body(Body::from(csv.to_string()))
            .unwrap()
    };
    let csv = "ユーザID,状態,姓\r\nyamada,使用可,山田\r\nsato,無効,佐藤\r\nsuzuki,使用可,鈴木\r\n";
    assert_eq!(
        send(&app.router, import("accounts", csv)).await.status,
        StatusCode::OK
    );
    let html = get(
        &app.router,
        &format!("/ledgers/accounts?f_status={}", enc("無効")),
        &admin,
    )
    .await
    .text();
    assert!(
        html.contains("1 行") && html.contains("<td>sato</td>"),
        "{html}"
    );
    assert!(html.contains("<option selected>無効</option>"));
    // A value that is not one of the column's choices is no filter at all.
    let html = get(&app.router, "/ledgers/accounts?f_status=x", &admin)
        .await
        .text();
    assert!(html.contains("3 行"));
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/ledgers/accounts?f_status={}", enc("使用可")),
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 2);

    let csv = "機器・システム,ログの種類,確認者,確認頻度\r\n電子カルテ,操作ログ,事務長,月1回\r\n";
    assert_eq!(
        send(&app.router, import("loglist", csv)).await.status,
        StatusCode::OK
    );
    let s = access_log_suggestion(&app).await;
    assert_eq!(s["verdict"], "no");
    assert!(
        s["reasons"][0]
            .as_str()
            .unwrap()
            .contains("ログを確認した記録がありません")
    );

    let csv = "確認日,確認者,確認したログ,結果,コメント\r\n令和7年5月10日,事務長,電子カルテ 操作ログ,異常なし,\r\n";
    let r = send(&app.router, import("logreviews", csv)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let s = access_log_suggestion(&app).await;
    assert_eq!(s["verdict"], "yes", "{s}");
    assert!(s["reasons"][0].as_str().unwrap().contains("令和7年5月10日"));
    let html = get(&app.router, "/ledgers/logreviews", &admin).await.text();
    assert!(
        html.contains("ログ確認記録") && html.contains("<td>2025-05-10</td>"),
        "{html}"
    );

    let review = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::LogReviews)
        .await
        .unwrap()[0]
        .id;
    app.store
        .set_ledger_row_disabled(
            mamori_core::OrgId::new(1),
            mamori_ledger::Kind::LogReviews,
            review,
            true,
            "admin",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(access_log_suggestion(&app).await["verdict"], "no");
}

async fn access_log_suggestion(app: &App) -> Value {
    app.api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json()["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == "r7.facility.2.10")
        .unwrap()
        .clone()
}

/// Issue 35 (2, 3): through the page and the API, a stray 「"」 or a cell over its limit imports nothing
/// and is named by its row.
#[tokio::test]
async fn a_stray_quote_or_an_oversized_cell_imports_nothing_through_the_page_and_the_api() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let mut stray = String::from("種別,メーカー,機種,コンピュータ名\r\n");
    for i in 1..=10 {
        stray.push_str(&if i == 2 {
            format!("端末PC,NEC,\"Mate,PC-{i:03}\r\n")
        } else {
            format!("端末PC,NEC,Mate,PC-{i:03}\r\n")
        });
    }
    let oversized = format!("種別,機種\r\n端末PC,{}\r\n", "長".repeat(600));
    for (file, row) in [
        (stray.as_str(), "3行目"),
        (oversized.as_str(), "2行目「機種」列"),
    ] {
        let (ct, body) = multipart_file("c", "機器台帳.csv", file.as_bytes());
        let r = send(
            &app.router,
            Request::post("/ledgers/devices/import")
                .header(header::COOKIE, &admin)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains(row), "{}", r.text());
        let r = send(
            &app.router,
            Request::post("/api/v1/ledgers/devices/import")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                .body(Body::from(file.to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(
            r.json()["errors"]
                .to_string()
                .contains(&row[..row.find('行').unwrap()]),
            "{}",
            r.text()
        );
    }
    assert!(
        app.store
            .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::Devices)
            .await
            .unwrap()
            .is_empty()
    );
}
