//! Agents: enrolment, credentials, inventories and the review queue.

use mamori_store::{Store, StoreError};

use crate::helpers::*;
use crate::ledger::fields;

/// Enrolment, agents' credentials, inventories' history, the review queue: within the organisation.
pub(crate) async fn agent_story(store: &Store, org_id: mamori_core::OrgId) {
    let later = at() + chrono::Duration::days(7);
    store
        .create_enrollment(org_id, "h-enroll", "受付PC", "admin", at(), later)
        .await
        .unwrap();
    assert_eq!(store.enrollments(org_id).await.unwrap()[0].label, "受付PC");
    // Unknown or expired enrolment tokens enrol nobody.
    assert!(
        store
            .enroll_agent("h-nope", "h-a0", "PC", "m1", at())
            .await
            .unwrap()
            .is_none()
    );
    let late = later + chrono::Duration::seconds(1);
    assert!(
        store
            .enroll_agent("h-enroll", "h-a0", "PC", "m1", late)
            .await
            .unwrap()
            .is_none()
    );
    let first = store
        .enroll_agent("h-enroll", "h-a1", "PC-01", "m1", at())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.org_id, org_id);
    let seen = store.agent_by_token("h-a1", later).await.unwrap().unwrap();
    assert_eq!(seen.last_seen.as_deref(), Some("2025-06-08T01:00:00Z"));
    // The same machine enrolled again: the old credential is revoked.
    store
        .enroll_agent("h-enroll", "h-a2", "PC-01", "m1", at())
        .await
        .unwrap()
        .unwrap();
    assert!(store.agent_by_token("h-a1", at()).await.unwrap().is_none());
    assert!(store.agent_by_token("h-a2", at()).await.unwrap().is_some());
    let agents = store.agents(org_id).await.unwrap();
    assert_eq!(
        (agents.len(), agents[0].revoked, agents[1].revoked),
        (2, false, true)
    );

    let device = store
        .save_inventory(
            org_id,
            None,
            &fields(&[("device_kind", "端末PC"), ("computer_name", "PC-01")]),
            &["登録".into()],
            "agent:PC-01",
            at(),
        )
        .await
        .unwrap();
    store
        .save_inventory(
            org_id,
            Some(device),
            &fields(&[
                ("device_kind", "端末PC"),
                ("computer_name", "PC-01"),
                ("os", "Windows 11"),
            ]),
            &[],
            "agent:PC-01",
            at(),
        )
        .await
        .unwrap();
    let h = store.inventory_history(org_id, device).await.unwrap();
    assert_eq!(h.len(), 1, "a write without changes adds no history line");
    assert_eq!(
        (h[0].source.as_str(), h[0].changes.as_slice()),
        ("agent:PC-01", &["登録".to_string()][..])
    );
    assert_eq!(
        store
            .ledger_row(org_id, mamori_ledger::Kind::Devices, device)
            .await
            .unwrap()
            .data["os"],
        "Windows 11"
    );
    assert!(
        store
            .inventory_history(mamori_core::OrgId::new(org_id.get() + 1), device)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .update_ledger_rows(
            org_id,
            mamori_ledger::Kind::Devices,
            &[(
                device,
                fields(&[("device_kind", "端末PC"), ("computer_name", "PC-02")]),
            )],
            "mamori",
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .ledger_row(org_id, mamori_ledger::Kind::Devices, device)
            .await
            .unwrap()
            .data["computer_name"],
        "PC-02"
    );

    let review = store
        .add_inventory_review(org_id, "agent:PC-01", "{}", "[]", "2台", at())
        .await
        .unwrap();
    assert!(
        store
            .inventory_review(mamori_core::OrgId::new(org_id.get() + 1), review)
            .await
            .is_err(),
        "another organisation's"
    );
    store
        .resolve_inventory_review(org_id, review, "破棄", "admin", at())
        .await
        .unwrap();
    assert!(matches!(
        store
            .resolve_inventory_review(org_id, review, "破棄", "admin", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    let r = store.inventory_review(org_id, review).await.unwrap();
    assert_eq!(
        (r.resolution.as_deref(), r.resolved_by.as_deref()),
        (Some("破棄"), Some("admin"))
    );
}
