//! Fiscal years on SQLite and PostgreSQL: starting a year records its edition and source (the catalog's
//! version moves); a year reusing its edition keeps the answers of every form of it for the year before
//! and clears them, once only (a second keep of that year is refused and changes nothing); kept answers
//! read back whole, with what the ledgers said; another organisation sees none of it.

use mamori_core::{Answer, Choice, Target, Variant};
use mamori_store::{Actor, CarrySource, OrgKind, Store, StoreError, YearStart};

use crate::helpers::*;

fn yes(item: &str, note: &str) -> Answer {
    Answer {
        item: item.into(),
        target: Target::General,
        round: 1,
        answer: Choice::Yes,
        checked_on: at().date_naive(),
        target_date: None,
        note: note.into(),
    }
}

async fn years_story(store: &Store) {
    let (a, admin) = store
        .set_up(&org(OrgKind::Clinic, "あおば"), &new_user("aoba"), at())
        .await
        .unwrap();
    let (b, _) = store
        .add_org(&org(OrgKind::Clinic, "ばんどう"), &new_user("bando"), at())
        .await
        .unwrap();
    let actor = Actor {
        user_id: admin.id,
        name: "aoba".into(),
    };
    let evidence = std::collections::HashMap::from([(
        "r7.facility.2.1".into(),
        serde_json::json!({"verdict": "yes", "reasons": ["台帳 3 台"]}),
    )]);
    store
        .save_answers_with_evidence::<()>(
            a.id,
            "r7",
            Variant::Facility,
            &actor,
            at(),
            &evidence,
            |_| {
                Ok(vec![
                    yes("r7.facility.gate", "導入済み"),
                    yes("r7.facility.2.1", ""),
                ])
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.editions_version(a.id).await.unwrap(), (0, 0));
    let forms = store.answered_forms(a.id).await.unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(
        (forms[0].answers, forms[0].last_checked_on),
        (2, Some(at().date_naive()))
    );

    let start = YearStart {
        fiscal_year: 2026,
        edition: "r7".into(),
        carried_from: Some(CarrySource {
            edition: "r7".into(),
            variant: Variant::Facility,
            archived_year: Some(2025),
        }),
        archive_as: Some(2025),
    };
    store
        .start_fiscal_year(a.id, &start, "aoba", at())
        .await
        .unwrap();
    let version = store.editions_version(a.id).await.unwrap();
    assert_ne!(version.1, 0);
    let years = store.fiscal_years(a.id).await.unwrap();
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].edition, "r7");
    assert_eq!(years[0].carried_from, start.carried_from);
    assert!(
        store
            .answers(a.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .is_empty()
    );
    let (kept, kept_evidence) = store
        .archived_answers(a.id, 2025, "r7", Variant::Facility)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter()
            .any(|k| k.item == "r7.facility.gate" && k.note == "導入済み")
    );
    assert_eq!(kept_evidence.len(), 1);
    let archived = store.archived_forms(a.id).await.unwrap();
    assert_eq!((archived[0].fiscal_year, archived[0].answers), (2025, 2));

    // Again, with new answers: that year is kept already; nothing changes.
    store
        .save_answers::<()>(a.id, "r7", Variant::Facility, &actor, at(), |_| {
            Ok(vec![yes("r7.facility.gate", "今年度")])
        })
        .await
        .unwrap()
        .unwrap();
    let err = store.start_fiscal_year(a.id, &start, "aoba", at()).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    assert_eq!(
        store
            .answers(a.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.editions_version(a.id).await.unwrap(), version);
    // Started again without keeping: a new record, the version moves.
    let again = YearStart {
        archive_as: None,
        carried_from: None,
        ..start.clone()
    };
    store
        .start_fiscal_year(a.id, &again, "aoba", at())
        .await
        .unwrap();
    assert_ne!(store.editions_version(a.id).await.unwrap(), version);
    assert_eq!(
        store.fiscal_years(a.id).await.unwrap()[0].carried_from,
        None
    );

    // B sees none of A's years or kept answers.
    assert!(store.fiscal_years(b.id).await.unwrap().is_empty());
    assert!(store.archived_forms(b.id).await.unwrap().is_empty());
    assert!(
        store
            .archived_answers(b.id, 2025, "r7", Variant::Facility)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.editions_version(b.id).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn sqlite_years() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    years_story(&store).await;
}

#[tokio::test]
async fn postgres_years() {
    let Some((store, db)) = fresh_pg("fiscal years").await else {
        return;
    };
    years_story(&store).await;
    drop_pg(store, db).await;
}
