//! The vendor's side: invitations (single use, expiring, withdrawn), links ended from either side, a
//! product's form published to many clients in a fixed number of statements, the facility's decision and
//! the comment thread, MDS/SDS seen only where linked. On SQLite and on PostgreSQL.

use chrono::{Duration, NaiveDate};
use mamori_core::{Answer, Choice, OrgId, Target};
use mamori_ledger::Kind;
use mamori_store::{DocumentUpload, Fields, FormStatus, OrgKind, ProductFields, Store, StoreError};

use crate::helpers::*;

fn answer(item: &str, choice: Choice) -> Answer {
    Answer {
        item: item.into(),
        target: Target::General,
        round: 1,
        answer: choice,
        checked_on: NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    }
}

async fn vendor_row(store: &Store, facility: OrgId, name: &str) -> i64 {
    let row: Fields = [("name".to_string(), name.to_string())].into();
    store
        .save_ledger_row(facility, Kind::Vendors, None, &row, "admin", at())
        .await
        .unwrap()
}

async fn product(store: &Store, vendor: OrgId, name: &str) -> i64 {
    let f = ProductFields {
        name: name.into(),
        version: "1".into(),
        kind: "電子カルテ".into(),
        remote_maintenance: "VPN".into(),
    };
    store
        .save_product(vendor, None, &f, "se", at())
        .await
        .unwrap()
}

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

async fn vendor_story(store: &Store) {
    let (a, _) = store
        .set_up(
            &org(OrgKind::Clinic, "あおばクリニック"),
            &new_user("aoba"),
            at(),
        )
        .await
        .unwrap();
    let (b, _) = store
        .add_org(
            &org(OrgKind::Pharmacy, "ばんどう薬局"),
            &new_user("bando"),
            at(),
        )
        .await
        .unwrap();
    let (v, _) = store
        .add_org(&org(OrgKind::Vendor, "カルテ商事"), &new_user("se"), at())
        .await
        .unwrap();
    let (w, _) = store
        .add_org(
            &org(OrgKind::Vendor, "ほかの商事"),
            &new_user("other-se"),
            at(),
        )
        .await
        .unwrap();
    let karte = product(store, v.id, "クラウドカルテ").await;
    let foreign_product = product(store, w.id, "別の製品").await;
    let row_a = vendor_row(store, a.id, "カルテ商事").await;
    let row_b = vendor_row(store, b.id, "カルテ商事").await;

    // A row of another organisation cannot be invited for.
    assert!(not_found(
        store
            .create_vendor_invitation(a.id, row_b, None, "aoba", at())
            .await
    ));
    let due = NaiveDate::from_ymd_opt(2025, 7, 31);
    let (_, code_a) = store
        .create_vendor_invitation(a.id, row_a, due, "aoba", at())
        .await
        .unwrap();
    // A facility cannot take an invitation; a vendor cannot tie another vendor's product.
    assert!(conflict(
        store
            .accept_vendor_invitation(b.id, &code_a, &[], "bando", at())
            .await
    ));
    assert!(not_found(
        store
            .accept_vendor_invitation(v.id, &code_a, &[foreign_product], "se", at())
            .await
    ));
    // Typed loosely, the code works once.
    let loose = code_a.to_lowercase().replace('-', " ");
    let link_a = store
        .accept_vendor_invitation(v.id, &loose, &[karte], "se", at())
        .await
        .unwrap();
    assert!(conflict(
        store
            .accept_vendor_invitation(w.id, &code_a, &[], "other-se", at())
            .await
    ));
    assert!(conflict(
        store
            .accept_vendor_invitation(v.id, "AAAA-BBBB-CCCC", &[], "se", at())
            .await
    ));

    // An expired code and a withdrawn one are refused.
    let (_, code_b) = store
        .create_vendor_invitation(b.id, row_b, None, "bando", at())
        .await
        .unwrap();
    let late = at() + Duration::days(mamori_store::vendor_links::INVITATION_DAYS + 1);
    assert!(conflict(
        store
            .accept_vendor_invitation(v.id, &code_b, &[karte], "se", late)
            .await
    ));
    let (withdrawn, code_w) = store
        .create_vendor_invitation(b.id, row_b, None, "bando", at())
        .await
        .unwrap();
    store
        .revoke_vendor_invitation(b.id, withdrawn, "bando", at())
        .await
        .unwrap();
    assert!(conflict(
        store
            .accept_vendor_invitation(v.id, &code_w, &[karte], "se", at())
            .await
    ));
    let link_b = store
        .accept_vendor_invitation(v.id, &code_b, &[karte], "se", at())
        .await
        .unwrap();
    let links = store.vendor_links(v.id, true).await.unwrap();
    assert_eq!(links.len(), 2);
    assert!(
        links
            .iter()
            .all(|l| l.products == vec![(karte, "クラウドカルテ".to_string())])
    );
    assert_eq!(
        store.vendor_links(a.id, false).await.unwrap()[0]
            .due_on
            .as_deref(),
        Some("2025-07-31")
    );
    assert!(store.vendor_links(w.id, true).await.unwrap().is_empty());

    // Answer once, override for B, publish to both.
    let base = vec![answer("r7.vendor.1", Choice::Yes)];
    store
        .save_product_form(v.id, karte, "r7", &base, "se", at())
        .await
        .unwrap();
    assert!(not_found(
        store
            .save_product_form(w.id, karte, "r7", &base, "other-se", at())
            .await
    ));
    let report = store
        .publish_product_form(
            v.id,
            karte,
            "r7",
            &[
                (link_a, base.clone()),
                (link_b, vec![answer("r7.vendor.1", Choice::No)]),
            ],
            "se",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(report.clients, 2);
    // Another vendor cannot publish to these links.
    assert!(not_found(
        store
            .publish_product_form(
                w.id,
                foreign_product,
                "r7",
                &[(link_a, base.clone())],
                "x",
                at()
            )
            .await
    ));
    let got_a = store.received_forms(a.id, Some("r7")).await.unwrap();
    let got_b = store.received_forms(b.id, None).await.unwrap();
    assert_eq!(got_a.len(), 1);
    assert_eq!(got_a[0].answers[0].answer, Choice::Yes);
    assert_eq!(got_b[0].answers[0].answer, Choice::No);
    assert_eq!(got_a[0].vendor_name, "カルテ商事");
    assert_eq!(got_a[0].status, FormStatus::Published);

    // Who sees a received form: its facility and its vendor; not the other facility or vendor.
    let form_a = got_a[0].id;
    assert!(store.received_form(a.id, form_a).await.is_ok());
    assert!(store.received_form(v.id, form_a).await.is_ok());
    assert!(not_found(store.received_form(b.id, form_a).await));
    assert!(not_found(store.received_form(w.id, form_a).await));
    assert!(not_found(
        store
            .decide_received_form(b.id, form_a, FormStatus::Accepted, None, "bando", at())
            .await
    ));

    // A question and its answer; republishing reopens the form and keeps the thread.
    store
        .decide_received_form(
            a.id,
            form_a,
            FormStatus::Questioned,
            Some("2要素認証は？"),
            "aoba",
            at(),
        )
        .await
        .unwrap();
    store
        .add_form_comment(v.id, form_a, "次の版で対応します", "se", at())
        .await
        .unwrap();
    assert!(not_found(
        store
            .add_form_comment(w.id, form_a, "横から", "other-se", at())
            .await
    ));
    let thread = store.form_comments(a.id, form_a).await.unwrap();
    assert_eq!(
        thread.iter().map(|c| c.side.as_str()).collect::<Vec<_>>(),
        ["facility", "vendor"]
    );
    assert_eq!(
        store.received_form(a.id, form_a).await.unwrap().status,
        FormStatus::Questioned
    );
    store
        .publish_product_form(v.id, karte, "r7", &[(link_a, base.clone())], "se", at())
        .await
        .unwrap();
    let again = store.received_form(a.id, form_a).await.unwrap();
    assert_eq!(again.status, FormStatus::Published);
    assert_eq!(store.form_comments(a.id, form_a).await.unwrap().len(), 2);

    // MDS/SDS: the vendor's, and the linked facilities'; not the other vendor's.
    let pdf = b"%PDF-1.4 test";
    let doc = store
        .add_product_document(
            v.id,
            karte,
            &DocumentUpload {
                kind: "MDS・SDS",
                version: "2025.1",
                issued_on: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
                file_name: "mds.pdf",
                content_type: "application/pdf",
                bytes: pdf,
            },
            "se",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(store.product_document(a.id, doc).await.unwrap().1, pdf);
    assert_eq!(
        store.product_document(v.id, doc).await.unwrap().0.version,
        "2025.1"
    );
    assert!(not_found(store.product_document(w.id, doc).await));

    // Either side ends the link: the facility keeps what it received; the vendor no longer sees it.
    assert!(not_found(
        store.end_vendor_link(w.id, link_a, "other-se", at()).await
    ));
    store
        .end_vendor_link(a.id, link_a, "aoba", at())
        .await
        .unwrap();
    assert!(store.received_form(a.id, form_a).await.is_ok());
    assert!(not_found(store.received_form(v.id, form_a).await));
    assert!(store.product_document(a.id, doc).await.is_ok());
    assert!(not_found(
        store
            .publish_product_form(v.id, karte, "r7", &[(link_a, base.clone())], "se", at())
            .await
    ));
    store
        .end_vendor_link(v.id, link_b, "se", at())
        .await
        .unwrap();
    assert!(
        store
            .vendor_links(v.id, true)
            .await
            .unwrap()
            .iter()
            .all(|l| l.ended_at.is_some())
    );
    // The row is free for a new invitation.
    let (_, code) = store
        .create_vendor_invitation(a.id, row_a, None, "aoba", at())
        .await
        .unwrap();
    store
        .accept_vendor_invitation(w.id, &code, &[foreign_product], "other-se", at())
        .await
        .unwrap();

    assert!(store.verify_audit_chain().await.unwrap().is_ok());
}

/// Publishing to 60 clients takes as many statements as to 2 (no statement per client).
async fn publishing_is_not_per_client(store: &Store) {
    let (v, _) = store
        .add_org(
            &org(OrgKind::Vendor, "大手カルテ"),
            &new_user("big-se"),
            at(),
        )
        .await
        .unwrap();
    let p = product(store, v.id, "大手カルテ").await;
    let mut links = Vec::new();
    for n in 0..60 {
        let (f, _) = store
            .add_org(
                &org(OrgKind::Clinic, &format!("診療所{n}")),
                &new_user(&format!("c{n}")),
                at(),
            )
            .await
            .unwrap();
        let row = vendor_row(store, f.id, "大手カルテ").await;
        let (_, code) = store
            .create_vendor_invitation(f.id, row, None, "c", at())
            .await
            .unwrap();
        links.push(
            store
                .accept_vendor_invitation(v.id, &code, &[p], "big-se", at())
                .await
                .unwrap(),
        );
    }
    let base = vec![answer("r7.vendor.1", Choice::Yes)];
    let to = |n: usize| -> Vec<(i64, Vec<Answer>)> {
        links[..n].iter().map(|l| (*l, base.clone())).collect()
    };
    let two = store
        .publish_product_form(v.id, p, "r7", &to(2), "big-se", at())
        .await
        .unwrap();
    let sixty = store
        .publish_product_form(v.id, p, "r7", &to(60), "big-se", at())
        .await
        .unwrap();
    assert_eq!(sixty.clients, 60);
    assert_eq!(two.statements, sixty.statements);
    assert_eq!(store.published_forms(v.id).await.unwrap().len(), 60);
}

#[tokio::test]
async fn sqlite_vendor_side() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    vendor_story(&store).await;
    publishing_is_not_per_client(&store).await;
}

#[tokio::test]
async fn postgres_vendor_side() {
    let Some((store, db)) = fresh_pg("the vendor side").await else {
        return;
    };
    vendor_story(&store).await;
    publishing_is_not_per_client(&store).await;
    drop_pg(store, db).await;
}
