//! The isolation matrix: for every route of the router and every path of openapi.json, the administrator
//! of organisation A tries organisation B's ids (ledger rows, log analyses, edition imports and the
//! edition they made, vendor forms, review queue items, tokens, users) and gets 404 — never B's data, and
//! nothing of B changes (B's audit trail stays as it was). On SQLite, and on PostgreSQL when
//! `MAMORI_TEST_PG_URL` is set.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use mamori_app::auth;
use mamori_core::{Catalog, Clock, OrgId, Role};
use mamori_ledger::Kind;
use mamori_report::edition_import::Upload;
use mamori_report::sample_workbook::{SampleLayout, next_edition_sample, sample_workbook};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};

use crate::helpers::*;

/// What only organisation B has: text that must never appear in A's responses.
const B_MARKERS: &[&str] = &[
    "秘密の医院",
    "秘密商事",
    "SECRET-PC-B",
    "secret-user-b",
    "b-secret.evtx",
];

/// B's ids by what they name.
#[derive(Default)]
struct Foreign {
    rows: Vec<(Kind, i64)>,
    analyses: Vec<i64>,
    imports: Vec<i64>,
    vendors: Vec<i64>,
    reviews: Vec<i64>,
    tokens: Vec<i64>,
    users: Vec<i64>,
    editions: Vec<String>,
    /// A vendor organisation's products (the vendor is B's too: another organisation than A).
    products: Vec<i64>,
}

async fn seed_b(store: &Store) -> (OrgId, Foreign) {
    let at = now();
    let (b, b_admin) = store
        .add_org(
            &NewOrg {
                kind: OrgKind::Clinic,
                name: "秘密の医院".into(),
                security_officer: "秘密 太郎".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "b-admin".into(),
                display_name: "秘密 太郎".into(),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            at,
        )
        .await
        .unwrap();
    let mut f = Foreign::default();
    let b_editor = store
        .add_user(
            b.id,
            &NewUser {
                login: "b-editor".into(),
                display_name: "秘密 花子".into(),
                password_hash: "x".into(),
                role: Role::Editor,
            },
            "b-admin",
            at,
        )
        .await
        .unwrap();
    f.users = vec![b_admin.id, b_editor.id];
    let fields = |pairs: &[(&str, &str)]| -> mamori_store::Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for (kind, row) in [
        (Kind::Devices, fields(&[("hostname", "SECRET-PC-B")])),
        (Kind::Accounts, fields(&[("user_id", "secret-user-b")])),
        (Kind::Vendors, fields(&[("name", "秘密商事")])),
        (Kind::Contacts, fields(&[("name", "秘密の連絡先")])),
    ] {
        let id = store
            .save_ledger_row(b.id, kind, None, &row, "b-admin", at)
            .await
            .unwrap();
        f.rows.push((kind, id));
        if kind == Kind::Vendors {
            f.vendors.push(id);
        }
    }
    let analysis = store
        .start_log_analysis(b.id, &["b-secret.evtx".to_string()], "b-admin", at)
        .await
        .unwrap();
    f.analyses.push(analysis);
    f.reviews.push(
        store
            .add_inventory_review(b.id, "agent", "{}", "[]", "秘密の照合", at)
            .await
            .unwrap(),
    );
    let (_, stored) = auth::new_api_token("b", Role::Admin, at + chrono::Duration::days(1));
    f.tokens
        .push(store.create_api_token(&b_admin, &stored, at).await.unwrap());
    // An edition B imported (confirmed) and a second import still pending.
    let catalog = Catalog::builtin().unwrap();
    let app = mamori_app::App::new(store.clone(), catalog.clone(), Clock::fixed(at));
    let form = next_edition_sample(&catalog);
    let uploads = [Upload {
        file_name: "b-secret-r8.xlsx".into(),
        bytes: sample_workbook(&catalog, &form, SampleLayout::Circled).unwrap(),
    }];
    let draft =
        mamori_app::editions::read_uploads(&catalog, "r8", "2026", "auto", &uploads).unwrap();
    for confirm in [true, false] {
        let id = mamori_app::editions::save_draft(&app, b.id, &draft, &uploads, "b-admin")
            .await
            .unwrap();
        if confirm {
            mamori_app::editions::confirm_import(&app, b.id, id, &HashMap::new(), "b-admin")
                .await
                .unwrap();
        }
        f.imports.push(id);
    }
    f.editions.push("r8".into());
    let (vendor, _) = store
        .add_org(
            &NewOrg {
                kind: OrgKind::Vendor,
                name: "秘密商会".into(),
                security_officer: "秘密 次郎".into(),
                has_vendor_contract: false,
            },
            &NewUser {
                login: "b-vendor".into(),
                display_name: "秘密 次郎".into(),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            at,
        )
        .await
        .unwrap();
    let product = mamori_store::ProductFields {
        name: "秘密の製品".into(),
        version: "1".into(),
        kind: "電子カルテ".into(),
        remote_maintenance: "VPN".into(),
    };
    f.products.push(
        store
            .save_product(vendor.id, None, &product, "b-vendor", at)
            .await
            .unwrap(),
    );
    (b.id, f)
}

/// Every concrete path a route pattern gives with B's ids; empty when the pattern names no id of B's.
fn foreign_paths(pattern: &str, f: &Foreign) -> Vec<String> {
    let mut out = Vec::new();
    if pattern.contains("{kind}") && pattern.contains("{id}") {
        for (kind, id) in &f.rows {
            out.push(
                pattern
                    .replace("{kind}", kind.id())
                    .replace("{id}", &id.to_string()),
            );
        }
    } else if pattern.starts_with("/logs/{id}") {
        out.extend(
            f.analyses
                .iter()
                .map(|id| pattern.replace("{id}", &id.to_string())),
        );
    } else if pattern.starts_with("/editions/imports/{id}") {
        out.extend(
            f.imports
                .iter()
                .map(|id| pattern.replace("{id}", &id.to_string())),
        );
    } else if pattern.starts_with("/agents/reviews/{id}") {
        out.extend(
            f.reviews
                .iter()
                .map(|id| pattern.replace("{id}", &id.to_string())),
        );
    } else if pattern.starts_with("/settings/tokens/{id}") {
        out.extend(
            f.tokens
                .iter()
                .map(|id| pattern.replace("{id}", &id.to_string())),
        );
    } else if pattern.starts_with("/settings/users/{id}/{action}") {
        for id in &f.users {
            for action in ["disable", "enable", "sign-out", "password"] {
                out.push(format!("/settings/users/{id}/{action}"));
            }
        }
    } else if pattern.contains("{vendor_id}") {
        for id in &f.vendors {
            out.push(
                pattern
                    .replace("{vendor_id}", &id.to_string())
                    .replace("{format}", "xlsx"),
            );
        }
    } else if pattern.contains("{edition}") {
        for e in &f.editions {
            out.push(
                pattern
                    .replace("{edition}", e)
                    .replace("{variant}", "merged")
                    .replace("{format}", "xlsx"),
            );
        }
    } else if pattern.starts_with("/products/{id}") {
        out.extend(
            f.products
                .iter()
                .map(|id| pattern.replace("{id}", &id.to_string())),
        );
    } else if pattern.starts_with("/operator/orgs/{id}") {
        // B's own id, on the operator's route: a user's session is no operator's.
        out.push("/operator/orgs/{org}/suspend".into());
    }
    out
}

/// (method, pattern) of every route in the router's source and of every path in openapi.json.
fn routes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let source = include_str!("../../src/router.rs");
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + 7..];
        let start = rest.find('"').unwrap() + 1;
        let path = &rest[start..start + rest[start..].find('"').unwrap()];
        let end = rest.find("\n        .").unwrap_or(rest.len());
        let call = &rest[..end];
        for (needle, method) in [("get(", "GET"), ("post(", "POST"), ("put(", "PUT")] {
            if call.contains(needle) {
                out.push((method.to_string(), path.to_string()));
            }
        }
    }
    let api: serde_json::Value =
        serde_json::from_str(include_str!("../../../../openapi.json")).unwrap();
    for (path, methods) in api["paths"].as_object().unwrap() {
        for m in methods.as_object().unwrap().keys() {
            out.push((m.to_uppercase(), format!("/api/v1{path}")));
        }
    }
    out
}

async fn b_audit_count(store: &Store, b: OrgId) -> usize {
    store.history(b, None, None, 100_000).await.unwrap().len()
}

/// Runs the matrix on a router over `store`, where A (the first organisation, with `session` and
/// `token`) exists; returns the number of (route, foreign id) pairs tried.
async fn matrix(router: &Router, store: &Store, session: &str, token: &str) -> usize {
    let (b, foreign) = seed_b(store).await;
    let before = b_audit_count(store, b).await;
    let mut tried = 0;
    let mut plain = 0;
    for (method, pattern) in routes() {
        // Static files carry no data; enrolment takes no user; signing out would end A's session.
        if pattern.starts_with("/static/")
            || pattern.ends_with("/agent/enroll")
            || pattern == "/logout"
        {
            continue;
        }
        let api = pattern.starts_with("/api/v1");
        let local = pattern.trim_start_matches("/api/v1");
        let paths: Vec<String> = foreign_paths(local, &foreign)
            .into_iter()
            .map(|p| {
                let p = p.replace("{org}", &b.to_string());
                if api { format!("/api/v1{p}") } else { p }
            })
            .collect();
        let has_params = pattern.contains('{');
        let concrete = if paths.is_empty() && !has_params {
            vec![pattern.clone()]
        } else {
            paths.clone()
        };
        for path in concrete {
            let mut req = Request::builder().method(method.as_str()).uri(&path);
            req = if api {
                req.header(header::AUTHORIZATION, format!("Bearer {token}"))
            } else {
                req.header(header::COOKIE, session)
            };
            let body = if method == "GET" {
                Body::empty()
            } else if path.ends_with("/import") || path.ends_with("/upload") {
                let (ct, body) = multipart_file("csrf-a", "file", b"a,b\r\n1,2\r\n");
                req = req.header(header::CONTENT_TYPE, ct);
                Body::from(body)
            } else if api {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from("[]")
            } else {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(
                    "csrf=csrf-a&password=Zz%239kLm%23Qr2025&password_confirm=Zz%239kLm%23Qr2025&org=0",
                )
            };
            let r = send(router, req.body(body).unwrap()).await;
            let text = r.text();
            for m in B_MARKERS {
                assert!(!text.contains(m), "{method} {path} shows B's {m}: {text}");
            }
            if paths.contains(&path) {
                tried += 1;
                let to_operator_login = r
                    .headers
                    .get(header::LOCATION)
                    .is_some_and(|l| l == "/operator/login");
                assert!(
                    r.status.as_u16() == 404
                        || (pattern.starts_with("/operator/") && to_operator_login),
                    "{method} {path} with B's id: {} {:?} {text}",
                    r.status,
                    r.headers.get(header::LOCATION)
                );
            } else {
                plain += 1;
            }
        }
    }
    assert_eq!(
        b_audit_count(store, b).await,
        before,
        "nothing of B changed"
    );
    assert!(plain > 20, "routes without ids were tried too ({plain})");
    println!(
        "isolation matrix: {tried} (route, foreign id) pairs tried, all 404; {plain} routes without ids show nothing of B's"
    );
    tried
}

async fn a_credentials(store: &Store) -> (String, String) {
    let admin = store.user_by_login("admin").await.unwrap().unwrap();
    let session = auth::new_token();
    store
        .create_session(
            &auth::token_hash(&session),
            admin.id,
            "csrf-a",
            now(),
            now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let (token, stored) = auth::new_api_token("a", Role::Admin, now() + chrono::Duration::days(1));
    store
        .create_api_token(&admin, &stored, now())
        .await
        .unwrap();
    (format!("mamori_session={session}"), token)
}

#[tokio::test]
async fn isolation_matrix_on_sqlite() {
    let app = app().await;
    let (session, token) = a_credentials(&app.store).await;
    let tried = matrix(&app.router, &app.store, &session, &token).await;
    assert!(tried >= 40, "{tried}");
}

#[tokio::test]
async fn isolation_matrix_on_postgres() {
    let Some((router, store, name)) = pg_app().await else {
        return;
    };
    let (session, token) = a_credentials(&store).await;
    let tried = matrix(&router, &store, &session, &token).await;
    assert!(tried >= 40, "{tried}");
    drop_pg(store, &name).await;
}
