//! The isolation matrix: for every route of the router and every path of openapi.json, a person of another
//! organisation tries organisation B's ids (ledger rows, log analyses, edition imports and the edition
//! they made, vendor forms, review queue items, tokens, users; B's vendor's products, its link with B, the
//! form it published to B, its MDS/SDS, B's open invitation) and gets 404 — never B's data, and nothing of
//! B changes (B's audit trail stays as it was). Three people try:
//! - facility A's administrator (facility A × facility B and × vendor B);
//! - vendor A's administrator, linked to facility A only (vendor A × facility B, vendor A × vendor B, and
//!   an unlinked vendor × a facility);
//! - vendor B's administrator, linked to B: it may see the link, the form and the thread, but B's
//!   ledgers, answers, logs, people and editions are still 404.
//!
//! On SQLite, and on PostgreSQL when `MAMORI_TEST_PG_URL` is set.

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
    "秘密の事件",
];

/// B's ids by what they name.
#[derive(Default, Clone)]
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
    /// B's vendor: its link with B, the form it published to B, its MDS/SDS; B's open invitation.
    links: Vec<i64>,
    received: Vec<i64>,
    documents: Vec<i64>,
    invitations: Vec<i64>,
    /// B's incident and its evidence file's entry.
    incidents: Vec<(i64, i64)>,
    /// B's vendor's administrator (who tries B's own data as the third person).
    vendor_admin: Option<String>,
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
    // B's incident with an evidence file, and its BCP 確認表 answer.
    let incident = store
        .open_incident(b.id, "秘密の事件", &[], "b-admin", at)
        .await
        .unwrap();
    let entry = store
        .add_incident_entry(
            b.id,
            incident,
            ("evidence", "秘密の事件の画面"),
            Some(&mamori_store::EvidenceFile {
                name: "secret.png",
                content_type: "image/png",
                bytes: b"secret",
            }),
            "b-admin",
            at,
        )
        .await
        .unwrap();
    f.incidents.push((incident, entry));
    store
        .save_bcp_answers(
            b.id,
            "bcp2024",
            &[mamori_store::BcpAnswer {
                item: "1-1-1".into(),
                answer: mamori_core::Choice::No,
                checked_on: at.date_naive(),
                note: "秘密の医院の台帳".into(),
            }],
            "b-admin",
            at,
        )
        .await
        .unwrap();
    // B's 令和7年度 answers, kept when it started 令和8年度 on the same edition.
    let actor = mamori_store::Actor {
        user_id: b_admin.id,
        name: "b-admin".into(),
    };
    store
        .save_answers::<()>(
            b.id,
            "r7",
            mamori_core::Variant::Facility,
            &actor,
            at,
            |_| {
                Ok(vec![mamori_core::Answer {
                    item: "r7.facility.gate".into(),
                    target: mamori_core::Target::General,
                    round: 1,
                    answer: mamori_core::Choice::Yes,
                    checked_on: at.date_naive(),
                    target_date: None,
                    note: "秘密の備考".into(),
                }])
            },
        )
        .await
        .unwrap()
        .unwrap();
    store
        .start_fiscal_year(
            b.id,
            &mamori_store::YearStart {
                fiscal_year: 2026,
                edition: "r7".into(),
                carried_from: None,
                archive_as: Some(2025),
            },
            "b-admin",
            at,
        )
        .await
        .unwrap();
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
    // B links its vendor row to the vendor, which publishes a form and an MDS/SDS to B; another
    // invitation of B's stays open.
    let (_, code) = store
        .create_vendor_invitation(b.id, f.vendors[0], None, "b-admin", at)
        .await
        .unwrap();
    let link = store
        .accept_vendor_invitation(vendor.id, &code, &f.products, "b-vendor", at)
        .await
        .unwrap();
    f.links.push(link);
    let answers = vec![mamori_core::Answer {
        item: "r7.vendor.1".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::Yes,
        checked_on: at.date_naive(),
        target_date: None,
        note: "秘密の備考".into(),
    }];
    store
        .save_product_form(vendor.id, f.products[0], "r7", &answers, "b-vendor", at)
        .await
        .unwrap();
    store
        .publish_product_form(
            vendor.id,
            f.products[0],
            "r7",
            &[(link, answers)],
            "b-vendor",
            at,
        )
        .await
        .unwrap();
    f.received = store
        .received_forms(b.id, None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let doc = mamori_store::DocumentUpload {
        kind: "MDS",
        version: "秘密版",
        issued_on: at.date_naive(),
        file_name: "secret.pdf",
        content_type: "application/pdf",
        bytes: b"%PDF-1.4 secret",
    };
    f.documents.push(
        store
            .add_product_document(vendor.id, f.products[0], &doc, "b-vendor", at)
            .await
            .unwrap(),
    );
    let other_row = store
        .save_ledger_row(
            b.id,
            Kind::Vendors,
            None,
            &fields(&[("name", "秘密商事2")]),
            "b-admin",
            at,
        )
        .await
        .unwrap();
    f.invitations.push(
        store
            .create_vendor_invitation(b.id, other_row, None, "b-admin", at)
            .await
            .unwrap()
            .0,
    );
    f.vendor_admin = Some("b-vendor".into());
    (b.id, f)
}

/// What B's own vendor may see of B (through its link): its products, the link, the published form and
/// thread, its MDS/SDS. The rest of B stays foreign to it.
fn foreign_to_b_vendor(f: &Foreign) -> Foreign {
    Foreign {
        products: Vec::new(),
        links: Vec::new(),
        received: Vec::new(),
        documents: Vec::new(),
        ..f.clone()
    }
}

/// Every concrete path a route pattern gives with B's ids; empty when the pattern names no id of B's.
fn foreign_paths(pattern: &str, f: &Foreign) -> Vec<String> {
    let mut out = Vec::new();
    let each = |ids: &[i64], key: &str| -> Vec<String> {
        ids.iter()
            .map(|id| pattern.replace(key, &id.to_string()))
            .collect()
    };
    if pattern.starts_with("/products/{id}/clients/{link}") {
        for p in &f.products {
            for l in &f.links {
                out.push(
                    pattern
                        .replace("{id}", &p.to_string())
                        .replace("{link}", &l.to_string()),
                );
            }
        }
    } else if pattern.starts_with("/clients/{link}") {
        out.extend(each(&f.links, "{link}"));
    } else if pattern.starts_with("/vendor-links/invitations/{id}") {
        out.extend(each(&f.invitations, "{id}"));
    } else if pattern.starts_with("/vendor-links/{id}") {
        out.extend(each(&f.links, "{id}"));
    } else if pattern.starts_with("/received-forms/{id}") {
        out.extend(each(&f.received, "{id}"));
    } else if pattern.starts_with("/mds-sds/{id}") {
        out.extend(each(&f.documents, "{id}"));
    } else if pattern.contains("{kind}") && pattern.contains("{id}") {
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
    } else if pattern.starts_with("/incidents/{id}") {
        for (id, entry) in &f.incidents {
            out.push(
                pattern
                    .replace("{id}", &id.to_string())
                    .replace("{entry}", &entry.to_string()),
            );
        }
    } else if pattern.starts_with("/years/{year}") {
        out.push(
            pattern
                .replace("{year}", "2025")
                .replace("{edition}", "r7")
                .replace("{variant}", "facility"),
        );
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

/// One person trying B's ids: their session cookie and API token, the ids foreign to them, the texts
/// they must never see, and routes whose foreign id is in the body (path, form body).
struct Actor {
    name: &'static str,
    session: String,
    token: String,
    foreign: Foreign,
    markers: Vec<&'static str>,
    body_cases: Vec<(String, String)>,
}

/// Runs the matrix on a router over `store`, where A (the first organisation, with `session` and
/// `token`) exists, for A's administrator and two vendors' administrators; returns the number of
/// (route, foreign id) pairs tried.
async fn matrix(router: &Router, store: &Store, session: &str, token: &str) -> usize {
    let (b, foreign) = seed_b(store).await;
    let before = b_audit_count(store, b).await;
    let a = store.user_by_login("admin").await.unwrap().unwrap().org_id;
    let (vendor_a, vendor_a_product) = seed_vendor_a(store, a).await;
    let (va_session, va_token) = credentials(store, &vendor_a).await;
    let b_vendor = foreign.vendor_admin.clone().unwrap();
    let (vb_session, vb_token) = credentials(store, &b_vendor).await;
    let form = |pairs: &[(&str, String)]| {
        std::iter::once("csrf=csrf-a".to_string())
            .chain(pairs.iter().map(|(k, v)| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join("&")
    };
    let invite_b_row = (
        "/vendor-links/invite".to_string(),
        form(&[("vendor_row_id", foreign.vendors[0].to_string())]),
    );
    let actors = [
        Actor {
            name: "facility A",
            session: session.to_string(),
            token: token.to_string(),
            foreign: foreign.clone(),
            markers: B_MARKERS.to_vec(),
            body_cases: vec![invite_b_row.clone()],
        },
        Actor {
            name: "vendor A (unlinked to B)",
            session: va_session,
            token: va_token,
            foreign: foreign.clone(),
            markers: B_MARKERS
                .iter()
                .copied()
                .chain(["秘密商会", "秘密の製品", "秘密の備考"])
                .collect(),
            body_cases: vec![
                invite_b_row.clone(),
                (
                    format!("/products/{vendor_a_product}/publish"),
                    form(&[("link", foreign.links[0].to_string())]),
                ),
                (
                    format!(
                        "/products/{vendor_a_product}/clients/{}/form",
                        foreign.links[0]
                    ),
                    form(&[]),
                ),
            ],
        },
        Actor {
            name: "vendor B (linked to B)",
            session: vb_session,
            token: vb_token,
            foreign: foreign_to_b_vendor(&foreign),
            // It knows its client's name; never what is in B's ledgers and logs.
            markers: vec!["秘密商事", "SECRET-PC-B", "secret-user-b", "b-secret.evtx"],
            body_cases: vec![invite_b_row],
        },
    ];
    let mut tried = 0;
    let mut plain = 0;
    for actor in &actors {
        let (t, p) = try_routes(router, b, actor).await;
        println!(
            "isolation matrix, {}: {t} (route, foreign id) pairs, all 404",
            actor.name
        );
        tried += t;
        plain += p;
    }
    assert_eq!(
        b_audit_count(store, b).await,
        before,
        "nothing of B changed"
    );
    assert!(plain > 60, "routes without ids were tried too ({plain})");
    println!(
        "isolation matrix: {tried} (route, foreign id) pairs tried, all 404; {plain} routes without ids show nothing of B's"
    );
    tried
}

/// A vendor organisation linked to facility A, with a product and its saved form; returns its
/// administrator's user id and the product.
async fn seed_vendor_a(store: &Store, a: OrgId) -> (String, i64) {
    let at = now();
    let (vendor, _) = store
        .add_org(
            &NewOrg {
                kind: OrgKind::Vendor,
                name: "あの商事".into(),
                security_officer: "あの 三郎".into(),
                has_vendor_contract: false,
            },
            &NewUser {
                login: "a-vendor".into(),
                display_name: "あの 三郎".into(),
                password_hash: "x".into(),
                role: Role::Admin,
            },
            at,
        )
        .await
        .unwrap();
    let product = store
        .save_product(
            vendor.id,
            None,
            &mamori_store::ProductFields {
                name: "あの製品".into(),
                version: "2".into(),
                kind: "レセコン".into(),
                remote_maintenance: "なし".into(),
            },
            "a-vendor",
            at,
        )
        .await
        .unwrap();
    let row: mamori_store::Fields = [("name".to_string(), "あの商事".to_string())].into();
    let row = store
        .save_ledger_row(a, Kind::Vendors, None, &row, "admin", at)
        .await
        .unwrap();
    let (_, code) = store
        .create_vendor_invitation(a, row, None, "admin", at)
        .await
        .unwrap();
    store
        .accept_vendor_invitation(vendor.id, &code, &[product], "a-vendor", at)
        .await
        .unwrap();
    let answers = vec![mamori_core::Answer {
        item: "r7.vendor.1".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: mamori_core::Choice::Yes,
        checked_on: at.date_naive(),
        target_date: None,
        note: String::new(),
    }];
    store
        .save_product_form(vendor.id, product, "r7", &answers, "a-vendor", at)
        .await
        .unwrap();
    ("a-vendor".into(), product)
}

/// Every route with the actor's foreign ids (and the body cases); returns (pairs tried, plain routes).
async fn try_routes(router: &Router, b: OrgId, actor: &Actor) -> (usize, usize) {
    let (session, token, foreign) = (&actor.session, &actor.token, &actor.foreign);
    let mut tried = 0;
    let mut plain = 0;
    for (path, form) in &actor.body_cases {
        let methods: &[&str] = if path.ends_with("/form") {
            &["GET", "POST"]
        } else {
            &["POST"]
        };
        for method in methods {
            let req = Request::builder()
                .method(*method)
                .uri(path)
                .header(header::COOKIE, session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let body = if *method == "GET" {
                Body::empty()
            } else {
                Body::from(form.clone())
            };
            let r = send(router, req.body(body).unwrap()).await;
            let text = r.text();
            assert_eq!(
                r.status.as_u16(),
                404,
                "{}: {method} {path} ({form}) with B's id: {text}",
                actor.name
            );
            tried += 1;
        }
    }
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
        let paths: Vec<String> = foreign_paths(local, foreign)
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
            } else if path.ends_with("/import")
                || path.ends_with("/upload")
                || path.ends_with("/documents")
                || path.ends_with("/entries")
            {
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
            for m in &actor.markers {
                assert!(
                    !text.contains(m),
                    "{}: {method} {path} shows B's {m}: {text}",
                    actor.name
                );
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
                    "{}: {method} {path} with B's id: {} {:?} {text}",
                    actor.name,
                    r.status,
                    r.headers.get(header::LOCATION)
                );
            } else {
                plain += 1;
            }
        }
    }
    (tried, plain)
}

async fn a_credentials(store: &Store) -> (String, String) {
    credentials(store, "admin").await
}

/// A session (CSRF token `csrf-a`) and an administrator's API token for a user.
async fn credentials(store: &Store, login: &str) -> (String, String) {
    let admin = store.user_by_login(login).await.unwrap().unwrap();
    if !store.totp(admin.id).await.unwrap().enabled {
        enrol_totp(store, &admin).await;
    }
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
