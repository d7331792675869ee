//! The BCP records on SQLite and PostgreSQL: 確認表 answers replaced per item, texts kept with what they
//! were, an incident's timeline with a file and its SHA-256, facts and devices, closing (after which
//! nothing is added), and another organisation seeing none of it.

use mamori_core::Choice;
use mamori_store::{BcpAnswer, EvidenceFile, OrgKind, Store, StoreError};

use crate::helpers::*;

async fn bcp_story(store: &Store) {
    let (a, _) = store
        .set_up(&org(OrgKind::Clinic, "あおば"), &new_user("aoba"), at())
        .await
        .unwrap();
    let (b, _) = store
        .add_org(&org(OrgKind::Clinic, "ばんどう"), &new_user("bando"), at())
        .await
        .unwrap();
    let answer = |item: &str, c: Choice| BcpAnswer {
        item: item.into(),
        answer: c,
        checked_on: at().date_naive(),
        note: String::new(),
    };
    store
        .save_bcp_answers(
            a.id,
            "bcp2024",
            &[answer("1-1-1", Choice::No), answer("1-1-2", Choice::Yes)],
            "aoba",
            at(),
        )
        .await
        .unwrap();
    store
        .save_bcp_answers(
            a.id,
            "bcp2024",
            &[answer("1-1-1", Choice::Yes)],
            "aoba",
            at(),
        )
        .await
        .unwrap();
    let got = store.bcp_answers(a.id, "bcp2024").await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|g| g.answer == Choice::Yes));
    store
        .save_bcp_texts(
            a.id,
            &[("alternatives".into(), "紙カルテ".into())],
            "aoba",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.bcp_texts(a.id).await.unwrap()["alternatives"],
        "紙カルテ"
    );

    let id = store
        .open_incident(a.id, "身代金要求", &[], "aoba", at())
        .await
        .unwrap();
    let file = EvidenceFile {
        name: "画面.png",
        content_type: "image/png",
        bytes: b"\x89PNG",
    };
    let entry = store
        .add_incident_entry(a.id, id, ("evidence", "受付PC"), Some(&file), "aoba", at())
        .await
        .unwrap();
    let entries = store.incident_entries(a.id, id).await.unwrap();
    assert_eq!(entries.len(), 1);
    // SHA-256 of the four bytes 89 50 4E 47 (sha256sum), taken at upload.
    assert_eq!(
        entries[0].sha256.as_deref(),
        Some("0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543")
    );
    assert_eq!(entries[0].size, Some(4));
    let (name, _, bytes) = store.incident_file(a.id, id, entry).await.unwrap();
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("画面.png", b"\x89PNG".as_slice())
    );
    let mut facts = serde_json::Map::new();
    facts.insert("attack".into(), "ランサムウェア".into());
    store
        .update_incident(a.id, id, &facts, &[7], "aoba", at())
        .await
        .unwrap();
    store
        .close_incident(a.id, id, "復旧済み", "aoba", at())
        .await
        .unwrap();
    let i = store.incident(a.id, id).await.unwrap();
    assert_eq!(
        (i.devices.clone(), i.summary.as_deref()),
        (vec![7], Some("復旧済み"))
    );
    let late = store
        .add_incident_entry(a.id, id, ("note", "後から"), None, "aoba", at())
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    assert!(matches!(
        store.close_incident(a.id, id, "again", "aoba", at()).await,
        Err(StoreError::Conflict(_))
    ));

    // B sees none of it.
    assert!(store.bcp_answers(b.id, "bcp2024").await.unwrap().is_empty());
    assert!(store.bcp_texts(b.id).await.unwrap().is_empty());
    assert!(store.incidents(b.id).await.unwrap().is_empty());
    assert!(matches!(
        store.incident(b.id, id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.incident_entries(b.id, id).await.unwrap().is_empty());
    assert!(matches!(
        store.incident_file(b.id, id, entry).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .add_incident_entry(b.id, id, ("note", "x"), None, "bando", at())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn sqlite_bcp() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    bcp_story(&store).await;
}

#[tokio::test]
async fn postgres_bcp() {
    let Some((store, db)) = fresh_pg("bcp").await else {
        return;
    };
    bcp_story(&store).await;
    drop_pg(store, db).await;
}
