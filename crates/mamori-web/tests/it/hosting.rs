//! Several organisations in one deployment: a group's 事務長 sees the roll-up and switches between the
//! facilities; a clinic's user cannot reach another clinic; a suspended clinic's users cannot sign in.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_app::auth;
use mamori_core::Role;
use mamori_store::{NewOrg, NewUser, OrgKind, OrgStatus};

use crate::helpers::*;

fn new_org(kind: OrgKind, name: &str) -> NewOrg {
    NewOrg {
        kind,
        name: name.into(),
        security_officer: "責任者".into(),
        has_vendor_contract: true,
    }
}

fn new_admin(login: &str, password: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("{login} さん"),
        password_hash: auth::hash_password(password),
        role: Role::Admin,
    }
}

#[tokio::test]
async fn a_groups_clerk_rolls_up_and_switches_and_clinics_stay_apart() {
    let app = app().await;
    let a = app.store.first_org_id().await.unwrap().unwrap();
    let (b, hikari) = app
        .store
        .add_org(
            &new_org(OrgKind::Clinic, "ひかり医院"),
            &new_admin("hikari", "Sora#Umi#2025"),
            now(),
        )
        .await
        .unwrap();
    let (g, jimucho) = app
        .store
        .add_org(
            &new_org(OrgKind::Group, "医療法人 みどり会"),
            &new_admin("jimucho", "Kawa#Mori#2025"),
            now(),
        )
        .await
        .unwrap();
    enrol_totp(&app.store, &hikari).await;
    enrol_totp(&app.store, &jimucho).await;
    for f in [a, b.id] {
        app.store
            .set_org_group(f, Some(g.id), "ops", now())
            .await
            .unwrap();
        app.store
            .add_membership(f, "jimucho", Role::Viewer, "admin", now())
            .await
            .unwrap();
    }
    // The first clinic has an いいえ whose 目標日 has passed.
    let r = app
        .api(
            axum::http::Method::PUT,
            "/api/v1/checklists/r7/facility/answers",
            Some(serde_json::json!([
                answer("r7.facility.1.1", "yes", "2025-05-20", None),
                answer("r7.facility.2.1", "no", "2025-05-20", Some("2025-05-31")),
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // The clerk signs in to the group: the dashboard is the roll-up of both clinics.
    let clerk = session_for(&app.store, "jimucho", "c-j").await;
    let r = get(&app.router, "/dashboard", &clerk).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/group");
    let page = get(&app.router, "/group", &clerk).await.text();
    assert!(
        page.contains("みどりクリニック") && page.contains("ひかり医院"),
        "{page}"
    );
    assert!(
        page.contains("目標日を過ぎた「いいえ」は合わせて <strong>1</strong> 件"),
        "{page}"
    );
    assert_eq!(page.matches(">開く</button>").count(), 2);

    // Switching: the clerk works in the first clinic with the role held there (viewer: reads, no edits).
    let switch = |cookie: &str, csrf: &str, org: mamori_core::OrgId| {
        form_post("/orgs/switch", cookie, &format!("csrf={csrf}&org={org}"))
    };
    let r = send(&app.router, switch(&clerk, "c-j", a)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app.router, "/dashboard", &clerk).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("組織の切り替え") && html.contains("医療法人 みどり会"),
        "{html}"
    );
    assert!(get(&app.router, "/ledgers/accounts", &clerk).await.status == StatusCode::OK);
    assert_eq!(
        get(&app.router, "/ledgers/accounts/new", &clerk)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A wrong CSRF token moves nothing.
    let r = send(&app.router, switch(&clerk, "wrong", b.id)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&app.router, switch(&clerk, "c-j", b.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        get(&app.router, "/dashboard", &clerk)
            .await
            .text()
            .contains("ひかり医院")
    );

    // The other clinic's administrator cannot switch into the first clinic, nor see its rows.
    let other = session_for(&app.store, "hikari", "c-h").await;
    let r = send(&app.router, switch(&other, "c-h", a)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let html = get(&app.router, "/dashboard", &other).await.text();
    assert!(
        html.contains("ひかり医院") && !html.contains("みどりクリニック"),
        "{html}"
    );
    assert!(!html.contains("組織の切り替え"));
    assert_eq!(
        get(&app.router, "/group", &other).await.status,
        StatusCode::NOT_FOUND
    );

    // Suspended: the clinic's sessions end at once and sign-in says why; the clerk keeps the rest.
    app.store
        .set_org_status(b.id, OrgStatus::Suspended, "運用管理者 ops", now())
        .await
        .unwrap();
    let r = get(&app.router, "/dashboard", &other).await;
    assert_eq!(r.headers[header::LOCATION], "/login");
    let login_page = send(
        &app.router,
        Request::get("/login").body(Body::empty()).unwrap(),
    )
    .await;
    let csrf = form_field(&login_page.text(), "csrf");
    let body = format!(
        "csrf={csrf}&login=hikari&password={}&code={}",
        enc("Sora#Umi#2025"),
        test_code(now())
    );
    let r = send(
        &app.router,
        form_post("/login", &format!("mamori_pre={csrf}"), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("停止中"), "{}", r.text());
    // The clerk was working in the suspended clinic: that session ends too; the group stays theirs.
    assert_eq!(
        get(&app.router, "/dashboard", &clerk).await.status,
        StatusCode::SEE_OTHER
    );
    let clerk = session_for(&app.store, "jimucho", "c-j2").await;
    let page = get(&app.router, "/group", &clerk).await.text();
    assert!(page.contains("ひかり医院（停止中）"), "{page}");
    assert_eq!(page.matches(">開く</button>").count(), 1);
}
