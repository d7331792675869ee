//! Editions imported from MHLW's workbooks: drafts, confirmation, and their workbooks.

use mamori_store::{Store, StoreError};

use crate::helpers::*;

/// Imported editions: pending, confirmed (one per edition, the older replaced), discarded; the workbook
/// kept byte for byte; nothing seen from another organisation.
pub(crate) async fn edition_story(
    store: &Store,
    org_id: mamori_core::OrgId,
    other_id: mamori_core::OrgId,
) {
    let book: Vec<u8> = (0..=255u8).cycle().take(30_000).collect();
    let id = store
        .create_edition_import(
            org_id,
            "r8",
            2026,
            r#"{"forms":[],"links":[]}"#,
            r#"[{"name":"001716187.xlsx"}]"#,
            &[("merged".into(), book.clone())],
            "admin",
            at(),
        )
        .await
        .unwrap();
    let imp = store.edition_import(org_id, id).await.unwrap().unwrap();
    assert_eq!((imp.status.as_str(), imp.fiscal_year), ("pending", 2026));
    assert!(store.confirmed_editions(org_id).await.unwrap().is_empty());
    assert_eq!(store.editions_version(org_id).await.unwrap(), (0, 0));
    // Another organisation sees nothing of it and cannot confirm it.
    assert!(store.edition_import(other_id, id).await.unwrap().is_none());
    assert!(
        store
            .edition_workbook(other_id, id, "merged")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .confirm_edition_import(other_id, id, "{}", "other", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .confirm_edition_import(org_id, id, r#"{"links":[["a","b"]]}"#, "admin", at())
        .await
        .unwrap();
    let confirmed = store.confirmed_editions(org_id).await.unwrap();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].data, r#"{"links":[["a","b"]]}"#);
    assert_eq!(confirmed[0].confirmed_by.as_deref(), Some("admin"));
    assert_eq!(store.editions_version(org_id).await.unwrap(), (id, 0));
    assert_eq!(
        store.edition_workbook(org_id, id, "merged").await.unwrap(),
        Some(book)
    );
    // Confirming twice is refused; a second import of the same edition replaces the first.
    assert!(
        store
            .confirm_edition_import(org_id, id, "{}", "admin", at())
            .await
            .is_err()
    );
    let id2 = store
        .create_edition_import(org_id, "r8", 2026, "{}", "[]", &[], "admin", at())
        .await
        .unwrap();
    store
        .confirm_edition_import(org_id, id2, "{}", "admin", at())
        .await
        .unwrap();
    let confirmed = store.confirmed_editions(org_id).await.unwrap();
    assert_eq!(confirmed.iter().map(|c| c.id).collect::<Vec<_>>(), [id2]);
    assert_eq!(
        store
            .edition_import(org_id, id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "replaced"
    );
    let id3 = store
        .create_edition_import(org_id, "r9", 2027, "{}", "[]", &[], "admin", at())
        .await
        .unwrap();
    store
        .discard_edition_import(org_id, id3, "admin", at())
        .await
        .unwrap();
    assert_eq!(store.edition_imports(org_id).await.unwrap().len(), 3);
    assert!(store.edition_imports(other_id).await.unwrap().is_empty());
    let trail = store
        .history(org_id, Some("edition_import"), None, 10)
        .await
        .unwrap();
    assert_eq!(
        trail.len(),
        6,
        "create, confirm, create, confirm, create, discard"
    );
}
