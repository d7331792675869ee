//! The hosting operator: a sign-in of their own, organisations created with their first administrator,
//! suspended and resumed; no way into any organisation's pages.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_store::OrgStatus;

use crate::helpers::*;

async fn operator_session(app: &App) -> (String, String) {
    let page = send(
        &app.router,
        Request::get("/operator/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&page.text(), "csrf");
    let pre = format!("mamori_pre={csrf}");
    let wrong = format!("csrf={csrf}&login=ops&password=wrong");
    let r = send(&app.router, form_post("/operator/login", &pre, &wrong)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let body = format!("csrf={csrf}&login=ops&password={}", enc("Unyou#Kanri#2025"));
    let r = send(&app.router, form_post("/operator/login", &pre, &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let token = cookie_value(&r.set_cookies(), "mamori_operator").unwrap();
    let cookie = format!("mamori_operator={token}");
    let page = get(&app.router, "/operator", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = form_field(&page.text(), "csrf");
    (cookie, csrf)
}

#[tokio::test]
async fn the_operator_creates_and_suspends_organisations_but_reads_none() {
    let app = app().await;
    app.store
        .add_operator(
            "ops",
            "運用 太郎",
            &mamori_app::auth::hash_password("Unyou#Kanri#2025"),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        get(&app.router, "/operator", "").await.headers[header::LOCATION],
        "/operator/login"
    );
    let (cookie, csrf) = operator_session(&app).await;

    let create =
        |fields: &str| form_post("/operator/orgs", &cookie, &format!("csrf={csrf}&{fields}"));
    let r = send(
        &app.router,
        create(&format!(
            "kind=group&name={}&group=&admin_login=jimucho&admin_name=&password={}",
            enc("医療法人 みどり会"),
            enc("Kawa#Mori#2025")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let group = app
        .store
        .user_by_login("jimucho")
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let r = send(
        &app.router,
        create(&format!(
            "kind=clinic&name={}&group={group}&admin_login=hikari&admin_name=&password={}",
            enc("ひかり医院"),
            enc("Sora#Umi#2025")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let hikari = app.store.user_by_login("hikari").await.unwrap().unwrap();
    let clinic = app.store.org(hikari.org_id).await.unwrap();
    assert_eq!(clinic.group_id, Some(group));
    // A new clinic starts with the public contacts, as at first-run setup.
    assert!(
        app.store
            .ledger_all(clinic.id, mamori_ledger::Kind::Contacts)
            .await
            .unwrap()
            .len()
            >= 3
    );
    // A weak password, a login in use and a group that is no group are refused with the reason.
    for (fields, says) in [
        (
            format!(
                "kind=clinic&name=x&group=&admin_login=x1&password={}",
                enc("password")
            ),
            "管理者のパスワード",
        ),
        (
            format!(
                "kind=clinic&name=x&group=&admin_login=hikari&password={}",
                enc("Niji#Tori#2025")
            ),
            "hikari",
        ),
        (
            format!(
                "kind=clinic&name=x&group={}&admin_login=x2&password={}",
                clinic.id,
                enc("Niji#Tori#2025")
            ),
            "グループではありません",
        ),
    ] {
        let r = send(&app.router, create(&fields)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields}");
        assert!(r.text().contains(says), "{fields}: {}", r.text());
    }
    let page = get(&app.router, "/operator", &cookie).await.text();
    assert!(
        page.contains("ひかり医院") && page.contains("医療法人 みどり会"),
        "{page}"
    );
    assert_eq!(app.store.orgs_overview().await.unwrap().len(), 3);

    // Suspend and resume, recorded in the clinic's own audit trail.
    let r = send(
        &app.router,
        form_post(
            &format!("/operator/orgs/{}/suspend", clinic.id),
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.org(clinic.id).await.unwrap().status,
        OrgStatus::Suspended
    );
    let r = send(
        &app.router,
        form_post(
            &format!("/operator/orgs/{}/suspend", clinic.id),
            &cookie,
            "csrf=wrong",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audit = app
        .store
        .history(clinic.id, Some("org"), None, 10)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.actor == "運用管理者 ops" && a.action == "suspended")
    );

    // The operator's cookie opens no organisation's page or API.
    for path in ["/dashboard", "/ledgers/accounts", "/history", "/group"] {
        let r = get(&app.router, path, &cookie).await;
        assert_eq!(r.headers[header::LOCATION], "/login", "{path}");
    }
    let r = send(
        &app.router,
        Request::get("/api/v1/ledgers/accounts")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Signed out: the cookie is dead.
    let r = send(
        &app.router,
        form_post("/operator/logout", &cookie, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app.router, "/operator", &cookie).await.headers[header::LOCATION],
        "/operator/login"
    );
}
