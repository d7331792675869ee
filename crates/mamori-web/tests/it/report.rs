//! 経営層への報告: the page with its charts drawn on the server (inline SVG), the PDF with the same charts,
//! the sign-off (a mistake shown with what was typed), and the sign-off in the inspection pack.

use axum::http::Method;

use crate::helpers::*;

#[tokio::test]
async fn a_report_is_made_signed_off_and_carried_by_the_pack() {
    let app = app().await;
    let admin = session_for(&app.store, "admin", "c").await;
    let r = app
        .api(
            Method::PUT,
            ANSWERS,
            Some(serde_json::json!([
                answer("r7.facility.1.1", "yes", "2025-05-20", None),
                answer("r7.facility.2.6", "no", "2025-05-20", Some("2025-05-31")),
            ])),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let org = app.store.first_org_id().await.unwrap().unwrap();
    ledger_row(
        &app,
        mamori_ledger::Kind::Backups,
        &[
            ("system", "電子カルテ"),
            ("method", "外付けHDD（世代管理）"),
            ("restore_tested_on", "2024-01-10"),
        ],
    )
    .await;
    ledger_row(
        &app,
        mamori_ledger::Kind::LogReviews,
        &[
            ("reviewed_on", "2025-05-30"),
            ("target", "電子カルテ アクセスログ"),
            ("findings", "異常なし"),
        ],
    )
    .await;
    ledger_row(
        &app,
        mamori_ledger::Kind::Vendors,
        &[("name", "ひかりシステム")],
    )
    .await;
    let page = get(&app.router, "/report", &admin).await;
    assert_eq!(page.status.as_u16(), 200);
    let html = page.text();
    assert!(
        html.contains(
            r#"<figure class="chart" id="chart-sections"><svg xmlns="http://www.w3.org/2000/svg""#
        ),
        "{html}"
    );
    assert!(html.contains(r#"aria-label="年度の回答の推移""#));
    assert!(html.contains("はい 1 項目　いいえ 1 項目"));
    assert!(
        html.contains("令和7年5月31日"),
        "the overdue いいえ with its 目標日"
    );
    // The いいえ's year, the log review, the backup's old restore test, the vendor's missing form.
    assert!(html.contains("<td>いいえ（令和7年5月20日）</td><td>令和7年5月31日</td><td></td><td>目標日を過ぎて2回目が未確認</td>"), "{html}");
    assert!(
        html.contains("<td>令和7年5月30日</td><td>電子カルテ アクセスログ</td><td>異常なし</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>令和6年1月10日</td><td>1年以上復旧テストなし</td>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<td>事業者：ひかりシステム</td><td>この版の事業者確認用がまだありません</td>"
        ),
        "{html}"
    );

    let bad = send(
        &app.router,
        form_post(
            "/report/signoff",
            &admin,
            &format!(
                "csrf=c&received_by={}&received_on=2025-06-01&decision=",
                enc("理事長 山田一郎")
            ),
        ),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(bad.text().contains("判断・コメントを") && bad.text().contains("理事長 山田一郎"));
    let ok = send(
        &app.router,
        form_post(
            "/report/signoff",
            &admin,
            &format!(
                "csrf=c&received_by={}&received_on=2025-06-01&decision={}",
                enc("理事長 山田一郎"),
                enc("承認。2(6)は来月までに対応すること")
            ),
        ),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 303);
    assert!(
        get(&app.router, "/report", &admin)
            .await
            .text()
            .contains("承認。2(6)は来月までに対応すること")
    );
    assert!(
        app.store
            .history(org, None, None, 10)
            .await
            .unwrap()
            .iter()
            .any(|h| h.entity == "report_signoff")
    );

    let pdf = get(&app.router, "/report.pdf", &admin).await;
    assert!(pdf.body.starts_with(b"%PDF"));
    let pack = get(&app.router, "/pack.pdf?edition=r7", &admin).await;
    match (pdf_text(&pdf.body), pdf_text(&pack.body)) {
        (Some(report), Some(pack)) => {
            assert!(
                report.contains("経営層への報告") && report.contains("体制構築"),
                "{report}"
            );
            assert!(
                report.contains("目標日を過ぎて2回目が未確認")
                    && report.contains("1年以上復旧テストなし")
                    && report.contains("電子カルテアクセスログ"),
                "{report}"
            );
            assert!(
                report.contains("年度の推移")
                    && report.contains("4月")
                    && report.contains("理事長山田一郎"),
                "{report}"
            );
            assert!(
                pack.contains("経営層への報告を受けた記録")
                    && pack.contains("承認。2(6)は来月までに対応すること"),
                "{pack}"
            );
        }
        _ => println!(
            "SKIP: pdftotext (poppler-utils) is not installed; the PDFs' text is not checked"
        ),
    }
    if let Ok(dir) = std::env::var("MAMORI_KEEP_REPORT") {
        std::fs::write(format!("{dir}/report.pdf"), &pdf.body).unwrap();
    }
}
