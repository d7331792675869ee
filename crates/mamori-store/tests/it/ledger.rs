//! Ledgers: rows, imports (small and large), versions, history and the facts the evidence reads.

use mamori_store::{Store, StoreError};

use crate::helpers::*;

pub(crate) fn fields(pairs: &[(&str, &str)]) -> mamori_store::Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) async fn ledger_story(store: &Store, org_id: mamori_core::OrgId) {
    use mamori_store::LedgerQuery;
    let identity = ["system", "user_id"];
    let rows: Vec<_> = (0..30)
        .map(|i| {
            fields(&[
                ("system", "電子カルテ"),
                ("user_id", &format!("u{i:02}")),
                ("family_name", if i % 2 == 0 { "山田" } else { "佐藤" }),
                ("status", "使用可"),
            ])
        })
        .collect();
    let counts = store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Accounts,
            &identity,
            &rows,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (30, 0, 0));
    // The same file again with one change: one update, the rest unchanged, nothing added.
    let mut again = rows.clone();
    again[3].insert("status".into(), "無効".into());
    let version = store.ledger_version(org_id).await.unwrap();
    let counts = store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Accounts,
            &identity,
            &again,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (0, 1, 29));
    assert_eq!(store.ledger_version(org_id).await.unwrap(), version + 1);
    store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Accounts,
            &identity,
            &again,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.ledger_version(org_id).await.unwrap(),
        version + 1,
        "an import that changes nothing keeps the version"
    );

    let q = |search: &str, sort: &str, descending: bool| LedgerQuery {
        search: search.into(),
        sort: sort.into(),
        descending,
        filters: Vec::new(),
        include_disabled: false,
        offset: 0,
        limit: 10,
    };
    let (page, total) = store
        .ledger_page(org_id, mamori_ledger::Kind::Accounts, &q("山田", "", false))
        .await
        .unwrap();
    assert_eq!((page.len(), total), (10, 15));
    // Issue 23 (3): an import over STAGED_ABOVE rows goes through the staging table: the same counts,
    // every row audited, the chain still verifies, nothing left staged; then part of it updated.
    let big: Vec<_> = (0..mamori_store::ledger::STAGED_ABOVE + 500)
        .map(|i| fields(&[("system", "staged"), ("name", &format!("PC-{i:05}"))]))
        .collect();
    let counts = store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Backups,
            &["system", "name"],
            &big,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!((counts.added, counts.updated), (big.len(), 0));
    let mut changed = big.clone();
    for r in changed.iter_mut().step_by(2) {
        r.insert("location".into(), "外来".into());
    }
    let counts = store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Backups,
            &["system", "name"],
            &changed,
            "admin",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        (counts.added, counts.updated, counts.unchanged),
        (0, 1250, 1250)
    );
    let stored = store
        .ledger_all(org_id, mamori_ledger::Kind::Backups)
        .await
        .unwrap();
    assert_eq!(stored.len(), big.len());
    assert_eq!(
        stored
            .iter()
            .filter(|r| r.data.contains_key("location"))
            .count(),
        1250
    );
    assert!(
        store.verify_audit_chain().await.unwrap().is_ok(),
        "the chain with two import blocks"
    );
    let (page, total) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Backups,
            &q("pc-00042", "", false),
        )
        .await
        .unwrap();
    assert_eq!(
        (page.len(), total),
        (1, 1),
        "search columns written by the staged path"
    );
    // Issue 23 (4): `_` and `%` are matched literally, not as wildcards nor stripped.
    let odd: Vec<_> = ["t_yamada", "tXyamada", "50%off", "a\\b"]
        .iter()
        .map(|u| fields(&[("name", u)]))
        .collect();
    store
        .import_ledger(
            org_id,
            mamori_ledger::Kind::Vendors,
            &["name"],
            &odd,
            "admin",
            at(),
        )
        .await
        .unwrap();
    for (needle, found) in [
        ("t_yamada", 1),
        ("t_", 1),
        ("50%", 1),
        ("%", 1),
        ("_", 1),
        ("a\\b", 1),
    ] {
        let (_, total) = store
            .ledger_page(org_id, mamori_ledger::Kind::Vendors, &q(needle, "", false))
            .await
            .unwrap();
        assert_eq!(total, found, "search {needle:?}");
    }
    assert!(store.verify_audit_chain().await.unwrap().is_ok());
    let (page, _) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &q("", "user_id", true),
        )
        .await
        .unwrap();
    assert_eq!(page[0].data["user_id"], "u29");
    // Sorted by a list column (its sortable copy) and by another field (the JSON): the same order rules,
    // rows without the field last either way.
    let (page, _) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &q("", "family_name", false),
        )
        .await
        .unwrap();
    assert_eq!(page[0].data["family_name"], "佐藤");
    let (page, _) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &q("", "family_name", true),
        )
        .await
        .unwrap();
    assert_eq!(page[0].data["family_name"], "山田");
    let (page, _) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &q("", "end_date", false),
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 10, "rows without the field still come");
    // Filtered by a list column's value.
    let (page, total) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &LedgerQuery {
                filters: vec![("status".into(), "無効".into())],
                ..q("", "", false)
            },
        )
        .await
        .unwrap();
    assert_eq!((total, page[0].data["user_id"].as_str()), (1, "u03"));
    let (_, total) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &LedgerQuery {
                filters: vec![
                    ("status".into(), "使用可".into()),
                    ("family_name".into(), "山田".into()),
                ],
                ..q("", "", false)
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 15, "status 使用可 (29) and 山田 (15): u03 is 佐藤");
    let (page, total) = store
        .ledger_page(
            org_id,
            mamori_ledger::Kind::Accounts,
            &q("無効 u03", "", false),
        )
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 1));
    let id = page[0].id;

    let before_edit = store.ledger_version(org_id).await.unwrap();
    let mut edited = page[0].data.clone();
    edited.insert("end_date".into(), "2025-03-31".into());
    store
        .save_ledger_row(
            org_id,
            mamori_ledger::Kind::Accounts,
            Some(id),
            &edited,
            "admin",
            at(),
        )
        .await
        .unwrap();
    store
        .set_ledger_row_disabled(
            org_id,
            mamori_ledger::Kind::Accounts,
            id,
            true,
            "admin",
            at(),
        )
        .await
        .unwrap();
    let (_, total) = store
        .ledger_page(org_id, mamori_ledger::Kind::Accounts, &q("", "", false))
        .await
        .unwrap();
    assert_eq!(total, 29, "disabled rows are hidden unless asked for");
    // A reader that last looked before the edit gets just that row, now disabled; one that looked
    // before any import gets every row.
    let now = store.ledger_version(org_id).await.unwrap();
    assert_eq!(now, before_edit + 2);
    let changed = store
        .ledger_facts(org_id, mamori_ledger::Kind::Accounts, before_edit, now)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    let (changed_id, disabled, facts) = &changed[0];
    assert_eq!((*changed_id, *disabled), (id, true));
    assert_eq!(
        facts,
        &fields(&[("end_date", "2025-03-31"), ("status", "無効")]),
        "just the fields the evidence reads"
    );
    assert!(
        store
            .ledger_facts(org_id, mamori_ledger::Kind::Accounts, now, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .ledger_facts(org_id, mamori_ledger::Kind::Accounts, -1, now)
            .await
            .unwrap()
            .len(),
        30
    );
    assert!(
        store
            .ledger_facts(org_id, mamori_ledger::Kind::Devices, -1, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .ledger_row(org_id, mamori_ledger::Kind::Accounts, id)
            .await
            .unwrap()
            .disabled
    );
    let history = store
        .history(org_id, Some("ledger"), Some(&format!("accounts/{id}")), 10)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.action.as_str())
            .collect::<Vec<_>>(),
        ["disable", "update", "import", "import"]
    );

    // Another organisation: empty lists, and no way to touch the first one's rows.
    let (other, _) = store
        .add_org(&new_org("別の薬局", false), &new_user("other-admin"), at())
        .await
        .unwrap();
    let (page, total) = store
        .ledger_page(other.id, mamori_ledger::Kind::Accounts, &q("", "", false))
        .await
        .unwrap();
    assert!(page.is_empty() && total == 0);
    assert!(
        store
            .ledger_all(other.id, mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .ledger_row(other.id, mamori_ledger::Kind::Accounts, id)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .save_ledger_row(
                other.id,
                mamori_ledger::Kind::Accounts,
                Some(id),
                &edited,
                "x",
                at()
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .set_ledger_row_disabled(
                other.id,
                mamori_ledger::Kind::Accounts,
                id,
                false,
                "x",
                at()
            )
            .await
            .is_err()
    );
    assert_eq!(
        store
            .ledger_all(org_id, mamori_ledger::Kind::Accounts)
            .await
            .unwrap()
            .len(),
        30
    );

    // A vendor's 事業者確認用: saved per vendor row and edition, replaced on a second save, audited; only
    // for the organisation's own vendors.
    let vendor = store
        .save_ledger_row(
            org_id,
            mamori_ledger::Kind::Vendors,
            None,
            &fields(&[("name", "A社")]),
            "admin",
            at(),
        )
        .await
        .unwrap();
    let answer = |choice| mamori_core::Answer {
        item: "r7.vendor.2.3".into(),
        target: mamori_core::Target::General,
        round: 1,
        answer: choice,
        checked_on: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
        target_date: None,
        note: String::new(),
    };
    for choice in [mamori_core::Choice::No, mamori_core::Choice::Yes] {
        store
            .save_vendor_form(org_id, vendor, "r7", &[answer(choice)], "admin", at())
            .await
            .unwrap();
    }
    let forms = store.vendor_forms(org_id, "r7").await.unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].answers, [answer(mamori_core::Choice::Yes)]);
    assert!(store.vendor_forms(org_id, "r6").await.unwrap().is_empty());
    let trail = store
        .history(
            org_id,
            Some("vendor_form"),
            Some(&format!("{vendor}/r7")),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        trail.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(),
        ["update", "create"]
    );
    assert!(matches!(
        store
            .save_vendor_form(other.id, vendor, "r7", &[], "x", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.vendor_forms(other.id, "r7").await.unwrap().is_empty());
    assert!(matches!(
        store
            .save_vendor_form(org_id, id, "r7", &[], "x", at())
            .await,
        Err(StoreError::NotFound(_)),
    ));
}
