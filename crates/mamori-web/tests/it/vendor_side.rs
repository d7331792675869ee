//! The vendor's side over HTTP: two clinics invite one vendor; the vendor takes the codes (a wrong one is
//! refused with the code kept), answers a product's form once (a mistake shown beside the field), keeps
//! one clinic's difference, publishes to both; each clinic receives its own form, its reconciliation
//! changes and its inspection pack grows; a question and its answer go both ways; MDS/SDS fill the
//! clinics' 事業者・契約 rows; the list exports as CP932 and UTF-8 CSV and xlsx; a viewer cannot publish;
//! ending the link leaves the clinic its form and takes it from the vendor.

use axum::http::StatusCode;
use mamori_core::{Catalog, Role, Variant};
use mamori_ledger::Kind;
use mamori_store::{NewOrg, NewUser, OrgKind, Store};

use crate::helpers::*;

async fn org_with_admin(
    store: &Store,
    kind: OrgKind,
    name: &str,
    login: &str,
) -> mamori_core::OrgId {
    let (org, user) = store
        .add_org(
            &NewOrg {
                kind,
                name: name.into(),
                security_officer: "担当 一郎".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: login.into(),
                display_name: format!("{login} さん"),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    enrol_totp(store, &user).await;
    org.id
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    &html[i..i + html[i..].find(end).unwrap()]
}

/// Every row of the r7 vendor form answered はい on 2025-05-20, as the page posts it.
fn all_yes() -> String {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Vendor).unwrap();
    form.rows()
        .map(|(item, target)| {
            let p = enc(&format!("{}|{}|1|", item.id, target.id()));
            format!("&{p}answer=yes&{p}checked_on=2025-05-20")
        })
        .collect()
}

#[tokio::test]
async fn a_vendor_answers_once_and_every_client_receives_it() {
    let app = app().await;
    let store = &app.store;
    let a = store.user_by_login("admin").await.unwrap().unwrap().org_id;
    org_with_admin(store, OrgKind::Pharmacy, "みなと薬局", "minato").await;
    let vendor = org_with_admin(store, OrgKind::Vendor, "カルテ商事", "karte").await;
    store
        .add_user(
            vendor,
            &NewUser {
                login: "karte-viewer".into(),
                display_name: "閲覧 さん".into(),
                password_hash: "x".into(),
                role: Role::Viewer,
            },
            "karte",
            now(),
        )
        .await
        .unwrap();
    let product = store
        .save_product(
            vendor,
            None,
            &mamori_store::ProductFields {
                name: "クラウドカルテ".into(),
                version: "5".into(),
                kind: "電子カルテ".into(),
                remote_maintenance: "VPN".into(),
            },
            "karte",
            now(),
        )
        .await
        .unwrap();
    let facility_a = session_for(store, "admin", "ca").await;
    let facility_b = session_for(store, "minato", "cb").await;
    let karte = session_for(store, "karte", "cv").await;
    let viewer = session_for(store, "karte-viewer", "cw").await;

    // Each clinic has the vendor in its 事業者・契約 ledger and invites it.
    let mut codes = Vec::new();
    for (cookie, csrf, login) in [(&facility_a, "ca", "admin"), (&facility_b, "cb", "minato")] {
        let org = store.user_by_login(login).await.unwrap().unwrap().org_id;
        let row: mamori_store::Fields = [("name".to_string(), "カルテ商事".to_string())].into();
        let row = store
            .save_ledger_row(org, Kind::Vendors, None, &row, login, now())
            .await
            .unwrap();
        let bad = send(
            &app.router,
            form_post(
                "/vendor-links/invite",
                cookie,
                &format!("csrf={csrf}&vendor_row_id={row}&due_on=来週"),
            ),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text()
                .contains("回答期限「来週」を日付として読めません")
        );
        let ok = send(
            &app.router,
            form_post(
                "/vendor-links/invite",
                cookie,
                &format!("csrf={csrf}&vendor_row_id={row}&due_on=2025-07-31"),
            ),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK);
        codes.push(between(&ok.text(), r#"<strong class="code">"#, "<").to_string());
        let page = get(&app.router, "/vendor-forms", cookie).await.text();
        assert!(page.contains("招待中（有効期限"), "{page}");
        assert!(page.contains("カルテ商事の事業者確認用を受け取った記録がありません"));
    }

    // The vendor takes the codes; a wrong one is refused and stays in the box.
    let wrong = send(
        &app.router,
        form_post("/clients/accept", &karte, "csrf=cv&code=ABCD-EFGH-JKMN"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.text().contains("招待コードが正しくないか")
            && wrong.text().contains("ABCD-EFGH-JKMN")
    );
    for code in &codes {
        let r = send(
            &app.router,
            form_post(
                "/clients/accept",
                &karte,
                &format!("csrf=cv&code={code}&product={product}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.text().contains("施設と連携しました"));
    }
    // Used once.
    let again = send(
        &app.router,
        form_post(
            "/clients/accept",
            &karte,
            &format!("csrf=cv&code={}", codes[0]),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = store.vendor_links(vendor, true).await.unwrap();
    let link_of = |login_org: mamori_core::OrgId| {
        links
            .iter()
            .find(|l| l.facility_org_id == login_org)
            .unwrap()
            .id
    };
    let link_a = link_of(a);
    let b = links
        .iter()
        .find(|l| l.facility_org_id != a)
        .unwrap()
        .facility_org_id;
    let link_b = link_of(b);

    // Answer once: a いいえ without 目標日 is shown beside its field, with what was typed kept.
    // Last year's answers come back as proposals for the new edition, without a 確認日.
    let last_year = vec![mamori_core::Answer {
        item: "r6.vendor.1.1".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::No,
        checked_on: chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
        target_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 31),
        note: "前年度の備考".into(),
    }];
    store
        .save_product_form(vendor, product, "r6", &last_year, "karte", now())
        .await
        .unwrap();
    let form = get(&app.router, &format!("/products/{product}/form"), &karte).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("令和6年度版の回答を提案として入れています"),
        "{html}"
    );
    assert!(html.contains(r#"<option value="no" selected>いいえ</option>"#));
    assert!(html.contains("前年度の備考"));
    let first = enc("r7.vendor.1.1|general|1|");
    let broken = send(
        &app.router,
        form_post(
            &format!("/products/{product}/form"),
            &karte,
            &format!(
                "csrf=cv&edition=r7&{first}answer=no&{first}checked_on=2025-05-20&{first}note={}",
                enc("保守中")
            ),
        ),
    )
    .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.text().contains("field-error") && broken.text().contains("保守中"));
    let saved = send(
        &app.router,
        form_post(
            &format!("/products/{product}/form"),
            &karte,
            &format!("csrf=cv&edition=r7{}", all_yes()),
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());

    // The pharmacy has no remote maintenance: its difference on one row.
    let over = send(
        &app.router,
        form_post(
            &format!("/products/{product}/clients/{link_b}/form"),
            &karte,
            &format!(
                "csrf=cv&edition=r7&{first}answer=no&{first}checked_on=2025-05-20&{first}target_date=2026-03-31&{first}note={}",
                enc("リモート保守なし")
            ),
        ),
    )
    .await;
    assert_eq!(over.status, StatusCode::SEE_OTHER, "{}", over.text());

    // A viewer cannot publish; the editor publishes to both.
    let refused = send(
        &app.router,
        form_post(
            &format!("/products/{product}/publish"),
            &viewer,
            "csrf=cw&all=1",
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let pack_before = get(&app.router, "/pack.pdf?edition=r7", &facility_a)
        .await
        .body;
    let published = send(
        &app.router,
        form_post(
            &format!("/products/{product}/publish"),
            &karte,
            &format!("csrf=cv&edition=r7&link={link_a}&link={link_b}"),
        ),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK);
    assert!(
        published.text().contains("2 施設に公開しました"),
        "{}",
        published.text()
    );

    // Each clinic has its own form; the reconciliation no longer misses it; the pack carries it.
    let page_a = get(&app.router, "/vendor-forms", &facility_a).await.text();
    assert!(
        page_a.contains(&format!(r#"action="/vendor-links/{link_a}/end""#)),
        "{page_a}"
    );
    assert!(page_a.contains("クラウドカルテ") && page_a.contains("受領（未確認）"));
    assert!(page_a.contains("連携で受領済み"));
    assert!(!page_a.contains("カルテ商事の事業者確認用を受け取った記録がありません"));
    let pack = get(&app.router, "/pack.pdf?edition=r7", &facility_a).await;
    assert!(pack.body.starts_with(b"%PDF") && pack.body != pack_before);
    match pdf_text(&pack.body) {
        Some(text) => assert!(text.contains("カルテ商事（クラウドカルテ）"), "{text}"),
        None => println!(
            "SKIP: pdftotext (poppler-utils) is not installed; the pack's text is not checked"
        ),
    }
    let use_cases = mamori_app::App::new(
        store.clone(),
        Catalog::builtin().unwrap(),
        mamori_core::Clock::fixed(now()),
    );
    let org_a = store.org(a).await.unwrap();
    let catalog = use_cases.catalog_of(a);
    let printed = mamori_app::documents::pack_forms(&use_cases, &org_a, &catalog, "r7")
        .await
        .unwrap();
    let carried = printed
        .iter()
        .find(|f| {
            f.vendor
                .as_deref()
                .is_some_and(|v| v.starts_with("カルテ商事（クラウドカルテ）"))
        })
        .expect("the pack carries the published form");
    assert_eq!(
        carried.answers.iter().count(),
        catalog.form("r7", Variant::Vendor).unwrap().rows().count()
    );
    let received_a = store.received_forms(a, None).await.unwrap()[0].id;
    let received_b = store.received_forms(b, None).await.unwrap()[0].id;
    let shown_a = get(
        &app.router,
        &format!("/received-forms/{received_a}"),
        &facility_a,
    )
    .await
    .text();
    let shown_b = get(
        &app.router,
        &format!("/received-forms/{received_b}"),
        &facility_b,
    )
    .await
    .text();
    assert!(!shown_a.contains("リモート保守なし") && shown_b.contains("リモート保守なし"));
    // A clinic does not open the other's.
    assert_eq!(
        get(
            &app.router,
            &format!("/received-forms/{received_b}"),
            &facility_a
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // A question needs words; then it reaches the vendor, who answers; the clinic accepts.
    let empty = send(
        &app.router,
        form_post(
            &format!("/received-forms/{received_a}"),
            &facility_a,
            "csrf=ca&decision=question&body=",
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let q = format!(
        "csrf=ca&decision=question&body={}",
        enc("VPNの接続元は制限していますか")
    );
    let asked = send(
        &app.router,
        form_post(&format!("/received-forms/{received_a}"), &facility_a, &q),
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let dash = get(&app.router, "/clients", &karte).await.text();
    assert!(
        dash.contains(r#"data-state="questioned">質問あり：<strong>1</strong>"#),
        "{dash}"
    );
    let seen = get(
        &app.router,
        &format!("/received-forms/{received_a}"),
        &karte,
    )
    .await
    .text();
    assert!(seen.contains("VPNの接続元は制限していますか"));
    let reply = format!(
        "csrf=cv&body={}",
        enc("保守拠点のIPアドレスのみ許可しています")
    );
    let answered = send(
        &app.router,
        form_post(&format!("/received-forms/{received_a}"), &karte, &reply),
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    let thread = get(
        &app.router,
        &format!("/received-forms/{received_a}"),
        &facility_a,
    )
    .await
    .text();
    assert!(thread.contains("保守拠点のIPアドレスのみ許可しています"));
    let accepted = send(
        &app.router,
        form_post(
            &format!("/received-forms/{received_a}"),
            &facility_a,
            "csrf=ca&decision=accept&body=",
        ),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let dash = get(&app.router, "/clients", &karte).await.text();
    assert!(dash.contains(r#"data-state="accepted">受理済み：<strong>1</strong>"#));

    // MDS/SDS once: a text file is refused; a PDF fills both clinics' rows.
    let upload = |bytes: &[u8]| {
        let mut body = Vec::new();
        for (k, v) in [
            ("csrf", "cv"),
            ("kind", "MDS・SDS"),
            ("version", "2025.1"),
            ("issued_on", "2025-04-01"),
        ] {
            body.extend(
                format!(
                    "--B0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .into_bytes(),
            );
        }
        body.extend(b"--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mds.pdf\"\r\nContent-Type: application/pdf\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend(b"\r\n--B0undary--\r\n");
        axum::http::Request::post(format!("/products/{product}/documents"))
            .header(
                axum::http::header::CONTENT_TYPE,
                "multipart/form-data; boundary=B0undary",
            )
            .header(axum::http::header::COOKIE, &karte)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let text = send(&app.router, upload(b"just text")).await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.text().contains("PDF または Excel"));
    let pdf = send(&app.router, upload(b"%PDF-1.4 MDS")).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    for org in [a, b] {
        let rows = store.ledger_all(org, Kind::Vendors).await.unwrap();
        assert_eq!(
            rows[0].data.get("mds_sds_version").map(String::as_str),
            Some("2025.1")
        );
        assert_eq!(
            rows[0].data.get("mds_sds_kind").map(String::as_str),
            Some("MDS・SDS")
        );
    }
    // A client linked later receives the MDS/SDS already there.
    let c = org_with_admin(store, OrgKind::Clinic, "第三医院", "third").await;
    let row: mamori_store::Fields = [("name".to_string(), "カルテ商事".to_string())].into();
    let row = store
        .save_ledger_row(c, Kind::Vendors, None, &row, "third", now())
        .await
        .unwrap();
    let (_, code) = store
        .create_vendor_invitation(c, row, None, "third", now())
        .await
        .unwrap();
    let late = send(
        &app.router,
        form_post(
            "/clients/accept",
            &karte,
            &format!("csrf=cv&code={code}&product={product}"),
        ),
    )
    .await;
    assert_eq!(late.status, StatusCode::OK);
    let row = store.ledger_row(c, Kind::Vendors, row).await.unwrap();
    assert_eq!(
        row.data.get("mds_sds_version").map(String::as_str),
        Some("2025.1")
    );
    let doc = store.product_documents(a, false).await.unwrap()[0].id;
    let file = get(&app.router, &format!("/mds-sds/{doc}"), &facility_a).await;
    assert_eq!(file.body, b"%PDF-1.4 MDS");

    // The list, exported.
    let csv = get(&app.router, "/clients/export.csv", &karte).await.body;
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&csv);
    assert!(
        !bad && text.contains("みなと薬局") && text.contains("受理済み"),
        "{text}"
    );
    let utf8 = get(&app.router, "/clients/export.csv?encoding=utf8", &karte)
        .await
        .body;
    assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
    assert!(
        String::from_utf8_lossy(&utf8)
            .contains("みなと薬局,クラウドカルテ,公開済み（施設の確認待ち）,2025-07-31")
    );
    assert!(
        get(&app.router, "/clients/export.xlsx", &karte)
            .await
            .body
            .starts_with(b"PK")
    );

    // The vendor ends the link with the clinic: the clinic keeps the form; the vendor no longer sees it.
    let end = send(
        &app.router,
        form_post(&format!("/vendor-links/{link_a}/end"), &karte, "csrf=cv"),
    )
    .await;
    assert_eq!(end.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(
            &app.router,
            &format!("/received-forms/{received_a}"),
            &facility_a
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        get(
            &app.router,
            &format!("/received-forms/{received_a}"),
            &karte
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
}
