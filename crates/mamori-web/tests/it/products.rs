//! A vendor organisation's products: added, corrected with the message beside the field, edited, stopped;
//! another vendor cannot read or change them; a viewer reads only; a clinic has no products page.

use axum::http::StatusCode;
use mamori_core::Role;
use mamori_store::{NewOrg, NewUser, OrgKind};

use crate::helpers::*;

async fn vendor(app: &App, name: &str, login: &str) -> mamori_store::User {
    let (_, user) = app
        .store
        .add_org(
            &NewOrg {
                kind: OrgKind::Vendor,
                name: name.into(),
                security_officer: "保守 担当".into(),
                has_vendor_contract: false,
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
    enrol_totp(&app.store, &user).await;
    user
}

#[tokio::test]
async fn a_vendor_keeps_its_products_and_no_one_else_reaches_them() {
    let app = app().await;
    let v1 = vendor(&app, "カルテ商事", "karte-admin").await;
    vendor(&app, "別の事業者", "other-vendor").await;
    let cookie = session_for(&app.store, "karte-admin", "c1").await;
    let post = |path: &str, cookie: &str, body: &str| form_post(path, cookie, body);

    let page = get(&app.router, "/products", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("製品はまだありません") && page.text().contains(r#"href="/products""#)
    );
    // A mistake keeps what was typed and says why beside the field.
    let r = send(
        &app.router,
        post(
            "/products",
            &cookie,
            &format!(
                "csrf=c1&name=&version=5&kind={}&remote_maintenance=VPN",
                enc("電子カルテ")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("製品名を入力してください") && r.text().contains(r#"value="電子カルテ""#)
    );
    let r = send(
        &app.router,
        post(
            "/products",
            &cookie,
            &format!(
                "csrf=c1&name={}&version=5.2&kind={}&remote_maintenance=VPN",
                enc("カルテ太郎"),
                enc("電子カルテ")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = app.store.products(v1.org_id).await.unwrap()[0].id;
    let edit = get(&app.router, &format!("/products/{id}"), &cookie)
        .await
        .text();
    assert!(edit.contains(r#"value="カルテ太郎""#) && edit.contains("製品を編集する"));
    let r = send(
        &app.router,
        post(
            &format!("/products/{id}"),
            &cookie,
            &format!(
                "csrf=c1&name={}&version=6.0&kind={}&remote_maintenance={}",
                enc("カルテ太郎"),
                enc("電子カルテ"),
                enc("なし")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.product(v1.org_id, id).await.unwrap().version,
        "6.0"
    );

    // Another vendor: not found, and nothing changes.
    let other = session_for(&app.store, "other-vendor", "c2").await;
    assert_eq!(
        get(&app.router, &format!("/products/{id}"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = send(
        &app.router,
        post(
            &format!("/products/{id}"),
            &other,
            "csrf=c2&name=x&version=1&kind=x&remote_maintenance=x",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &app.router,
        post(
            &format!("/products/{id}/disable"),
            &other,
            "csrf=c2&disable=1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        !get(&app.router, "/products", &other)
            .await
            .text()
            .contains("カルテ太郎")
    );
    assert_eq!(
        app.store.product(v1.org_id, id).await.unwrap().name,
        "カルテ太郎"
    );

    // A viewer of the vendor reads the list but cannot change it.
    app.store
        .add_user(
            v1.org_id,
            &NewUser {
                login: "karte-viewer".into(),
                display_name: "閲覧者".into(),
                password_hash: "x".into(),
                role: Role::Viewer,
            },
            "karte-admin",
            now(),
        )
        .await
        .unwrap();
    let viewer = session_for(&app.store, "karte-viewer", "c3").await;
    let list = get(&app.router, "/products", &viewer).await.text();
    assert!(list.contains("カルテ太郎") && !list.contains("製品を追加する"));
    let r = send(
        &app.router,
        post(
            &format!("/products/{id}/disable"),
            &viewer,
            "csrf=c3&disable=1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Stopped: kept, marked.
    let r = send(
        &app.router,
        post(
            &format!("/products/{id}/disable"),
            &cookie,
            "csrf=c1&disable=1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        get(&app.router, "/products", &cookie)
            .await
            .text()
            .contains("カルテ太郎（提供終了）")
    );

    // A clinic has no products page.
    let clinic = session_for(&app.store, "admin", "c4").await;
    assert_eq!(
        get(&app.router, "/products", &clinic).await.status,
        StatusCode::NOT_FOUND
    );
}
