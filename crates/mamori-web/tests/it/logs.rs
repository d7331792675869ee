//! Log analysis pages: uploads, stored results, review records.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::*;

/// Log analysis on the web: upload an auth log and an access-log CSV, the analysis runs in the
/// background and is stored; findings are listed and filtered; a retired account found in use makes
/// 2(5)'s evidence いいえ; a review recorded from the analysis becomes a ログ確認記録 row (a comment is
/// required when there are findings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_analysis_pages_store_results_and_record_reviews() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    for (user, status) in [("yamada", "使用可"), ("sato", "無効")] {
        app.store
            .save_ledger_row(
                mamori_core::OrgId::new(1),
                mamori_ledger::Kind::Accounts,
                None,
                &[
                    ("user_id".to_string(), user.to_string()),
                    ("status".to_string(), status.to_string()),
                ]
                .into(),
                "admin",
                now(),
            )
            .await
            .unwrap();
    }
    let mut auth = String::new();
    for i in 0..12 {
        auth.push_str(&format!("Jun  1 10:{i:02}:00 srv sshd[9]: Failed password for yamada from 203.0.113.7 port 5{i} ssh2\n"));
    }
    auth.push_str(
        "Jun  1 10:13:00 srv sshd[9]: Accepted password for yamada from 203.0.113.7 port 60 ssh2\n",
    );
    let csv = "ユーザID,アクセス日時,患者ID\r\nyamada,2025/06/01 09:00:00,P1\r\nsato,2025/06/01 09:05:00,P2\r\n";
    let mut body =
        b"--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n".to_vec();
    body.extend_from_slice("--B0undary\r\nContent-Disposition: form-data; name=\"vendor_windows\"\r\n\r\nyamada=13:00-17:00\r\n".as_bytes());
    for (name, bytes) in [
        ("auth.log", auth.as_bytes()),
        ("カルテ.csv", csv.as_bytes()),
    ] {
        body.extend(format!("--B0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--B0undary--\r\n");
    let r = send(
        &app.router,
        Request::post("/logs/upload")
            .header(header::COOKIE, &admin)
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=B0undary",
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page_of = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = page_of.rsplit('/').next().unwrap().parse().unwrap();
    let get = |path: String| {
        let admin = admin.clone();
        let router = app.router.clone();
        async move {
            send(
                &router,
                Request::get(path)
                    .header(header::COOKIE, admin)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .text()
        }
    };
    let mut html = String::new();
    for _ in 0..100 {
        html = get(page_of.clone()).await;
        if !html.contains(r#"id="analysis-status">分析中"#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains(r#"id="analysis-status">完了"#), "{html}");
    assert!(html.contains("auth.log") && html.contains("カルテ.csv"));
    assert!(
        html.contains("アカウント「yamada」へのログオン失敗が10分間に10回以上あります"),
        "{html}"
    );
    assert!(html.contains(
        "利用者台帳で「無効」のアカウント「sato」による電子カルテ・レセコンの利用があります"
    ));
    let filtered = get(format!("{page_of}?kind=retired_account_used")).await;
    assert!(
        filtered.contains("「sato」") && !filtered.contains("ログオン失敗が10分間"),
        "{filtered}"
    );
    let list = get("/logs".into()).await;
    assert!(list.contains(&format!("#{id}")) && list.contains("完了"));

    // 2(5): the retired account in use.
    let evidence = app
        .api(Method::GET, "/api/v1/checklists/r7/facility/evidence", None)
        .await
        .json();
    let s = evidence["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == "r7.facility.2.5")
        .unwrap()
        .clone();
    assert_eq!(s["verdict"], "no", "{s}");
    assert!(
        s["reasons"].to_string().contains(&format!(
            "ログの分析（#{id}）で、退職・無効のアカウント1件の利用が見つかりました: sato"
        )),
        "{s}"
    );

    // A review without a comment is refused; with one it is recorded.
    let review = |extra: &str| {
        form_post(
            &format!("/logs/{id}/review"),
            &admin,
            &format!(
                "csrf=c&reviewer={}&reviewed_on=2025-06-01&period_from=2025-06-01&period_to=2025-06-01{extra}",
                enc("山田 太郎")
            ),
        )
    };
    let r = send(&app.router, review("")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("コメント・対応を入力してください"));
    let r = send(
        &app.router,
        review(&format!(
            "&comment={}&acknowledged=1",
            enc("sato のアカウントを削除、yamada のパスワードを変更")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let rows = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::LogReviews)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0].data;
    assert_eq!(row["findings"], "異常あり");
    assert_eq!(row["reviewer"], "山田 太郎");
    assert!(row["target"].starts_with(&format!("ログの分析 #{id}（auth.log、カルテ.csv）")));
    assert!(row["comment"].contains("確認した検出"), "{row:?}");
    // Another organisation's analysis is not found.
    assert!(
        app.store
            .log_analysis(mamori_core::OrgId::new(2), id)
            .await
            .is_err()
    );
}

/// Issue 35 (8): an analysis that read no record (an EVTX cut after its file header) says so instead of
/// 「該当する検出はありません」, and cannot be recorded as a log review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_that_read_nothing_is_not_a_review() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    // The file header of an EVTX and nothing after it: what a copy stopped early leaves.
    let mut evtx = b"ElfFile\0".to_vec();
    evtx.resize(4096, 0);
    let mut body =
        b"--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc\r\n".to_vec();
    body.extend(b"--B0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"Security.evtx\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    body.extend_from_slice(&evtx);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    let r = send(
        &app.router,
        Request::post("/logs/upload")
            .header(header::COOKIE, &admin)
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=B0undary",
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page_of = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = page_of.rsplit('/').next().unwrap().parse().unwrap();
    let mut html = String::new();
    for _ in 0..200 {
        html = send(
            &app.router,
            Request::get(page_of.clone())
                .header(header::COOKIE, &admin)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .text();
        if !html.contains(r#"id="analysis-status">分析中"#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("完了（読めた記録なし）"), "{html}");
    assert!(html.contains(r#"id="nothing-read""#), "{html}");
    assert!(!html.contains("該当する検出はありません"), "{html}");
    assert!(
        !html.contains(&format!("/logs/{id}/review")),
        "no review form"
    );
    let r = send(
        &app.router,
        form_post(
            &format!("/logs/{id}/review"),
            &admin,
            "csrf=c&reviewer=x&reviewed_on=2025-06-01",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("記録を1件も読めていない"), "{}", r.text());
    let reviews = app
        .store
        .ledger_all(mamori_core::OrgId::new(1), mamori_ledger::Kind::LogReviews)
        .await
        .unwrap();
    assert!(reviews.is_empty());
}
