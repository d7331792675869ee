//! Every route against every role and another organisation's ids.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_app::auth;
use mamori_store::{NewOrg, NewUser, OrgKind};
use serde_json::json;

use crate::helpers::*;

/// Every route, tried by each role of one facility and by the administrator of another: only what the
/// policy allows succeeds, and no one sees another organisation's data. The route list is checked against
/// the router's source, so a new route fails this test until it is added here.
#[tokio::test]
async fn role_and_tenancy_matrix_covers_every_route() {
    use mamori_core::Role;
    // (method, route pattern, concrete path, expected status for admin, editor, viewer, vendor)
    const OK: u16 = 200;
    const MOVED: u16 = 303;
    const NO: u16 = 403;
    let pages: &[(&str, &str, &str, [u16; 4])] = &[
        ("GET", "/dashboard", "/dashboard", [OK, OK, OK, MOVED]),
        ("GET", "/reminders", "/reminders", [OK, OK, OK, NO]),
        ("GET", "/report", "/report", [OK, OK, OK, NO]),
        ("GET", "/report.pdf", "/report.pdf", [OK, OK, OK, NO]),
        // The matrix's form names no one: refused with the reason (422) for those who may record.
        (
            "POST",
            "/report/signoff",
            "/report/signoff",
            [422, 422, NO, NO],
        ),
        ("GET", "/bcp", "/bcp", [OK, OK, OK, NO]),
        // The matrix's forms carry no answers or texts: nothing to change, back to the page.
        (
            "POST",
            "/bcp/answers",
            "/bcp/answers",
            [MOVED, MOVED, NO, NO],
        ),
        ("POST", "/bcp/texts", "/bcp/texts", [MOVED, MOVED, NO, NO]),
        (
            "GET",
            "/bcp/document.pdf",
            "/bcp/document.pdf",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/bcp/document.docx",
            "/bcp/document.docx",
            [OK, OK, OK, NO],
        ),
        ("GET", "/bcp/card", "/bcp/card", [OK, OK, OK, NO]),
        ("GET", "/bcp/card.html", "/bcp/card.html", [OK, OK, OK, NO]),
        ("GET", "/incidents", "/incidents", [OK, OK, OK, NO]),
        // Only an administrator opens one; the matrix's form has no title (422).
        ("POST", "/incidents", "/incidents", [422, NO, NO, NO]),
        // No incident 999 in this clinic.
        (
            "GET",
            "/incidents/{id}",
            "/incidents/999",
            [404, 404, 404, NO],
        ),
        (
            "POST",
            "/incidents/{id}/entries",
            "/incidents/999/entries",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/incidents/{id}/facts",
            "/incidents/999/facts",
            [404, NO, NO, NO],
        ),
        (
            "POST",
            "/incidents/{id}/close",
            "/incidents/999/close",
            [404, NO, NO, NO],
        ),
        (
            "GET",
            "/incidents/{id}/files/{entry}",
            "/incidents/999/files/1",
            [404, 404, 404, NO],
        ),
        (
            "GET",
            "/incidents/{id}/report.txt",
            "/incidents/999/report.txt",
            [404, 404, 404, NO],
        ),
        ("GET", "/years", "/years", [OK, OK, OK, NO]),
        // Only an administrator starts the year; the matrix's form names no edition (422).
        ("POST", "/years/start", "/years/start", [422, NO, NO, NO]),
        // This clinic kept no answers for 令和7年度.
        (
            "GET",
            "/years/{year}/{edition}/{variant}",
            "/years/2025/r7/facility",
            [404, 404, 404, NO],
        ),
        (
            "GET",
            "/years/{year}/{edition}/{variant}/answers.csv",
            "/years/2025/r7/facility/answers.csv",
            [404, 404, 404, NO],
        ),
        // One's own mail settings: everyone; the matrix's form has no valid hour (422).
        ("GET", "/account/mail", "/account/mail", [OK; 4]),
        ("POST", "/account/mail", "/account/mail", [422; 4]),
        // A clinic is no group: its roll-up page is not there.
        ("GET", "/group", "/group", [404, 404, 404, 404]),
        // The matrix's form names no organisation: 422 for everyone.
        ("POST", "/orgs/switch", "/orgs/switch", [422, 422, 422, 422]),
        // Products are a vendor organisation's: a clinic has none.
        ("GET", "/products", "/products", [404; 4]),
        ("POST", "/products", "/products", [404; 4]),
        ("GET", "/products/{id}", "/products/1", [404; 4]),
        ("POST", "/products/{id}", "/products/1", [404; 4]),
        (
            "POST",
            "/products/{id}/disable",
            "/products/1/disable",
            [404; 4],
        ),
        // A vendor organisation's side: a clinic has no clients, product forms or publishing.
        ("GET", "/clients", "/clients", [404; 4]),
        ("POST", "/clients/accept", "/clients/accept", [404; 4]),
        (
            "POST",
            "/clients/{link}/products",
            "/clients/1/products",
            [404; 4],
        ),
        (
            "GET",
            "/clients/export.{format}",
            "/clients/export.csv",
            [404; 4],
        ),
        (
            "GET",
            "/products/{id}/clients",
            "/products/1/clients",
            [404; 4],
        ),
        ("GET", "/products/{id}/form", "/products/1/form", [404; 4]),
        ("POST", "/products/{id}/form", "/products/1/form", [404; 4]),
        (
            "GET",
            "/products/{id}/clients/{link}/form",
            "/products/1/clients/1/form",
            [404; 4],
        ),
        (
            "POST",
            "/products/{id}/clients/{link}/form",
            "/products/1/clients/1/form",
            [404; 4],
        ),
        (
            "POST",
            "/products/{id}/publish",
            "/products/1/publish",
            [404; 4],
        ),
        (
            "POST",
            "/products/{id}/documents",
            "/products/1/documents",
            [404; 4],
        ),
        // The facility's side of the links: the matrix's form names no 事業者・契約 row (422); the ids
        // are none of this clinic's (404) for those who keep the ledgers.
        (
            "POST",
            "/vendor-links/invite",
            "/vendor-links/invite",
            [422; 4],
        ),
        (
            "POST",
            "/vendor-links/invitations/{id}/revoke",
            "/vendor-links/invitations/1/revoke",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/vendor-links/{id}/end",
            "/vendor-links/1/end",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/received-forms/{id}",
            "/received-forms/1",
            [404, 404, 404, NO],
        ),
        (
            "POST",
            "/received-forms/{id}",
            "/received-forms/1",
            [404, 404, NO, NO],
        ),
        ("GET", "/mds-sds/{id}", "/mds-sds/1", [404, 404, 404, NO]),
        // The operator's pages: a user's session is no operator's, whatever the role.
        ("GET", "/operator", "/operator", [MOVED; 4]),
        ("POST", "/operator/logout", "/operator/logout", [MOVED; 4]),
        ("POST", "/operator/orgs", "/operator/orgs", [MOVED; 4]),
        ("POST", "/operator/members", "/operator/members", [MOVED; 4]),
        (
            "POST",
            "/operator/orgs/{id}/{action}",
            "/operator/orgs/1/suspend",
            [MOVED; 4],
        ),
        ("GET", "/history", "/history", [OK, OK, OK, NO]),
        ("GET", "/settings", "/settings", [OK, NO, NO, NO]),
        ("GET", "/agents", "/agents", [OK, NO, NO, NO]),
        ("GET", "/logs", "/logs", [OK, OK, OK, NO]),
        // The matrix uploads a file under another field name: nothing to analyse, 422.
        ("POST", "/logs/upload", "/logs/upload", [422, 422, NO, NO]),
        ("GET", "/logs/{id}", "/logs/1", [404, 404, 404, NO]),
        (
            "POST",
            "/logs/{id}/review",
            "/logs/1/review",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/agents/enroll-token",
            "/agents/enroll-token",
            [OK, NO, NO, NO],
        ),
        (
            "GET",
            "/agents/reviews",
            "/agents/reviews",
            [OK, OK, OK, NO],
        ),
        // No review 1 in this facility: 404 where resolving is allowed.
        (
            "POST",
            "/agents/reviews/{id}",
            "/agents/reviews/1",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}",
            "/ledgers/accounts",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/export.{format}",
            "/ledgers/accounts/export.csv",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/new",
            "/ledgers/accounts/new",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/new",
            "/ledgers/accounts/new",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/{id}",
            "/ledgers/accounts/1",
            [OK, OK, OK, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/{id}",
            "/ledgers/accounts/1",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/{id}/disable",
            "/ledgers/accounts/1/disable",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import",
            "/ledgers/accounts/import",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import/confirm",
            "/ledgers/accounts/import/confirm",
            [409, 409, NO, NO],
        ),
        // The matrix uploads a CSV: not a workbook, so 422 where answering is allowed.
        (
            "POST",
            "/checklists/{edition}/{variant}/import",
            "/checklists/r7/facility/import",
            [422, 422, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/import/confirm",
            "/checklists/r7/facility/import/confirm",
            [409, 409, NO, NO],
        ),
        ("POST", "/settings", "/settings", [MOVED, NO, NO, NO]),
        // No such user or token: 404 for administrators, refused before the lookup for everyone else.
        (
            "POST",
            "/settings/users/{id}/{action}",
            "/settings/users/999/sign-out",
            [404, NO, NO, NO],
        ),
        (
            "POST",
            "/settings/tokens/{id}/revoke",
            "/settings/tokens/999/revoke",
            [404, NO, NO, NO],
        ),
        ("GET", "/account/totp", "/account/totp", [OK, OK, OK, OK]),
        (
            "POST",
            "/account/totp",
            "/account/totp",
            // The administrator has two-factor already (it is required); the others may enrol.
            [MOVED, 422, 422, 422],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}",
            "/checklists/r7/facility",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}",
            "/checklists/r7/vendor",
            [OK, OK, OK, OK],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/answers",
            "/checklists/r7/facility/answers",
            [MOVED, MOVED, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/answers",
            "/checklists/r7/vendor/answers",
            [MOVED, MOVED, NO, MOVED],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/checklists/r7/facility/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/checklists/r7/facility/export.pdf",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/checklists/r7/vendor/export.pdf",
            [OK, OK, OK, OK],
        ),
        ("GET", "/pack.pdf", "/pack.pdf?edition=r7", [OK, OK, OK, NO]),
        ("GET", "/editions", "/editions", [OK, OK, OK, NO]),
        // The matrix uploads a CSV without an edition id: refused with the reason, 422.
        (
            "POST",
            "/editions/import",
            "/editions/import",
            [422, NO, NO, NO],
        ),
        (
            "GET",
            "/editions/imports/{id}",
            "/editions/imports/1",
            [404, 404, 404, NO],
        ),
        (
            "POST",
            "/editions/imports/{id}/confirm",
            "/editions/imports/1/confirm",
            [404, NO, NO, NO],
        ),
        (
            "POST",
            "/editions/imports/{id}/discard",
            "/editions/imports/1/discard",
            [404, NO, NO, NO],
        ),
        ("GET", "/vendor-forms", "/vendor-forms", [OK, OK, OK, NO]),
        // Row 1 is a 利用者台帳 row: no vendor form there.
        (
            "GET",
            "/vendor-forms/{vendor_id}/export.{format}",
            "/vendor-forms/1/export.xlsx",
            [404, 404, 404, NO],
        ),
        // Row 1 is an account, not a vendor: no vendor 1 in this facility.
        (
            "POST",
            "/vendor-forms/{vendor_id}/import",
            "/vendor-forms/1/import",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/vendor-forms/{vendor_id}/edit",
            "/vendor-forms/1/edit",
            [404, 404, NO, NO],
        ),
        (
            "POST",
            "/vendor-forms/{vendor_id}/edit",
            "/vendor-forms/1/edit",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/checklists/r7/vendor/export.xlsx",
            [OK, OK, OK, OK],
        ),
    ];
    let api: &[(&str, &str, &str, [u16; 4])] = &[
        (
            "GET",
            "/catalog/{edition}/{variant}",
            "/api/v1/catalog/r7/facility",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/catalog/{edition}/{variant}",
            "/api/v1/catalog/r7/vendor",
            [OK, OK, OK, OK],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/facility/answers",
            [OK, OK, OK, NO],
        ),
        (
            "PUT",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/facility/answers",
            [OK, OK, NO, NO],
        ),
        (
            "PUT",
            "/checklists/{edition}/{variant}/answers",
            "/api/v1/checklists/r7/vendor/answers",
            [OK, OK, NO, OK],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.xlsx",
            "/api/v1/checklists/r7/facility/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/export.pdf",
            "/api/v1/checklists/r7/facility/export.pdf",
            [OK, OK, OK, NO],
        ),
        ("GET", "/pack.pdf", "/api/v1/pack.pdf", [OK, OK, OK, NO]),
        (
            "GET",
            "/reconciliation",
            "/api/v1/reconciliation?edition=r7",
            [OK, OK, OK, NO],
        ),
        // The matrix posts a CSV: not an inventory, so 422 where changing the ledgers is allowed.
        (
            "POST",
            "/agent/inventory",
            "/api/v1/agent/inventory",
            [422, 422, NO, NO],
        ),
        // Enrolment takes an enrolment token in the body, not a user's token: a CSV is 422 for everyone.
        (
            "POST",
            "/agent/enroll",
            "/api/v1/agent/enroll",
            [422, 422, 422, 422],
        ),
        // Row 1 is an account, not a vendor.
        (
            "POST",
            "/vendor-forms/{vendor_id}/import",
            "/api/v1/vendor-forms/1/import",
            [404, 404, NO, NO],
        ),
        (
            "GET",
            "/checklists/{edition}/{variant}/evidence",
            "/api/v1/checklists/r7/facility/evidence",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}",
            "/api/v1/ledgers/accounts",
            [OK, OK, OK, NO],
        ),
        (
            "GET",
            "/ledgers/{kind}/export.{format}",
            "/api/v1/ledgers/accounts/export.xlsx",
            [OK, OK, OK, NO],
        ),
        (
            "POST",
            "/ledgers/{kind}/import",
            "/api/v1/ledgers/accounts/import",
            [OK, OK, NO, NO],
        ),
        (
            "POST",
            "/checklists/{edition}/{variant}/import",
            "/api/v1/checklists/r7/facility/import",
            [OK, OK, NO, NO],
        ),
    ];
    // Routes open to anyone (setup, login, health, static files) carry no facility data.
    let public = [
        "/",
        "/setup",
        "/login",
        "/logout",
        "/operator/login",
        "/healthz",
        "/readyz",
        "/static/{file}",
        "/favicon.ico",
        // The mail's stop link: its token, not a session (tested in tests/it/reminders.rs).
        "/mail/stop",
    ];

    let source = concat!(
        include_str!("../../src/router.rs"),
        include_str!("../../src/api/mod.rs")
    );
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + 7..];
        let start = rest.find('"').unwrap() + 1;
        let path = &rest[start..start + rest[start..].find('"').unwrap()];
        let covered = public.contains(&path) || pages.iter().chain(api).any(|r| r.1 == path);
        assert!(covered, "route {path} is not in the role matrix");
    }

    let app = app().await;
    let org_id = app.store.first_org_id().await.unwrap().unwrap();
    let mut who = Vec::new();
    for role in Role::ALL {
        let login = format!("u-{}", role.id());
        let user = app
            .store
            .add_user(
                org_id,
                &NewUser {
                    login: login.clone(),
                    display_name: login.clone(),
                    password_hash: "x".into(),
                    role,
                },
                "admin",
                now(),
            )
            .await
            .unwrap();
        if role == Role::Admin {
            enrol_totp(&app.store, &user).await;
        }
        let session = auth::new_token();
        app.store
            .create_session(
                &auth::token_hash(&session),
                user.id,
                "csrf-token",
                now(),
                now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
        let (token, stored) =
            auth::new_api_token("matrix", role, now() + chrono::Duration::days(1));
        app.store
            .create_api_token(&user, &stored, now())
            .await
            .unwrap();
        who.push((role, session, token));
    }
    let form_body = |path: &str| {
        let variant = if path.contains("/vendor/") {
            "vendor"
        } else {
            "facility"
        };
        // Answer fields, and ledger fields (ignored by the answer form).
        format!(
            "csrf=csrf-token&item=r7.{variant}.1.1&target=general&round=1&answer=yes&checked_on=2025-05-20&target_date=&note=&user_id=u1&status={}",
            enc("使用可")
        )
    };
    let ledger_csv = "ユーザID,状態\r\nsato,使用可\r\n";
    let ledger_id = app
        .store
        .save_ledger_row(
            org_id,
            mamori_ledger::Kind::Accounts,
            None,
            &[("user_id".to_string(), "first".to_string())].into(),
            "admin",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(ledger_id, 1, "the matrix's paths name row 1");
    for (i, (role, session, token)) in who.iter().enumerate() {
        for (method, _, path, expect) in pages {
            let mut req = Request::builder()
                .method(*method)
                .uri(*path)
                .header(header::COOKIE, format!("mamori_session={session}"));
            let body = if *method == "POST"
                && (path.ends_with("/import")
                    || path.ends_with("/upload")
                    || path.ends_with("/documents")
                    || path.ends_with("/entries"))
            {
                req = req.header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ");
                Body::from(format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ncsrf-token\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{ledger_csv}\r\n--XyZ--\r\n"
                ))
            } else if *method == "POST" {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form_body(path))
            } else {
                Body::empty()
            };
            let r = send(&app.router, req.body(body).unwrap()).await;
            assert_eq!(
                r.status.as_u16(),
                expect[i],
                "{role:?} {method} {path}: {}",
                r.text()
            );
        }
        for (method, _, path, expect) in api {
            let mut req = Request::builder()
                .method(*method)
                .uri(*path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            let body = if *method == "POST" && path.contains("/checklists/") {
                Body::from(one_answer_workbook())
            } else if *method == "POST" {
                Body::from(ledger_csv)
            } else if *method == "PUT" {
                let variant = if path.contains("/vendor/") {
                    "vendor"
                } else {
                    "facility"
                };
                Body::from(
                    json!([answer(
                        &format!("r7.{variant}.1.1"),
                        "yes",
                        "2025-05-20",
                        None
                    )])
                    .to_string(),
                )
            } else {
                Body::empty()
            };
            req = req.header(header::CONTENT_TYPE, "application/json");
            let r = send(&app.router, req.body(body).unwrap()).await;
            assert_eq!(
                r.status.as_u16(),
                expect[i],
                "{role:?} {method} {path}: {}",
                r.text()
            );
            if r.status == StatusCode::FORBIDDEN {
                assert!(r.json()["error"].as_str().unwrap().contains("権限"));
            }
        }
    }

    // Another organisation's administrator sees none of the first one's answers or history.
    let (_, other) = app
        .store
        .add_org(
            &NewOrg {
                kind: OrgKind::Hospital,
                name: "別の病院".into(),
                security_officer: "他".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "other-admin".into(),
                display_name: "他".into(),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    enrol_totp(&app.store, &other).await;
    let (token, stored) =
        auth::new_api_token("other", Role::Admin, now() + chrono::Duration::days(1));
    app.store
        .create_api_token(&other, &stored, now())
        .await
        .unwrap();
    assert!(
        !app.stored().await.as_array().unwrap().is_empty(),
        "the first facility has answers"
    );
    for path in [
        "/api/v1/checklists/r7/facility/answers",
        "/api/v1/checklists/r7/vendor/answers",
    ] {
        let r = send(
            &app.router,
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["answers"], json!([]), "{path}");
    }
    let session = auth::new_token();
    app.store
        .create_session(
            &auth::token_hash(&session),
            other.id,
            "c",
            now(),
            now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let r = send(
        &app.router,
        Request::get("/history")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for path in ["/ledgers/accounts/1", "/ledgers/accounts"] {
        let page = get(&app.router, path, &format!("mamori_session={session}")).await;
        assert!(
            page.status == StatusCode::NOT_FOUND || !page.text().contains("sato"),
            "{path}: no ledger rows of the first facility"
        );
    }
    let r = send(
        &app.router,
        Request::get("/history")
            .header(header::COOKIE, format!("mamori_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        !r.text().contains("みどりクリニック") && !r.text().contains("u-editor"),
        "no history of the first facility"
    );
}
