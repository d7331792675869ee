//! The use cases on a real SQLite database, without HTTP: saving answers against the evidence, the
//! checklist workbook read back as answers, inventories merged into the 機器台帳.

use chrono::{DateTime, Utc};
use mamori_app::App;
use mamori_core::catalog::Variant;
use mamori_core::{AnswerInput, Catalog, Clock};
use mamori_evidence::Verdict;
use mamori_store::{NewOrg, NewUser, Org, OrgKind, Store, User};

/// 2025-06-01 10:00 JST: fiscal year 令和7年度.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T01:00:00Z")
        .unwrap()
        .to_utc()
}

async fn clinic() -> (App, Org, User, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db").to_str().unwrap())
        .await
        .unwrap();
    let (org, user) = store
        .set_up(
            &NewOrg {
                kind: OrgKind::Clinic,
                name: "みどりクリニック".into(),
                security_officer: "山田 太郎".into(),
                has_vendor_contract: true,
            },
            &NewUser {
                login: "admin".into(),
                display_name: "山田 太郎".into(),
                password_hash: "not used".into(),
                role: mamori_core::Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    let app = App::new(store, Catalog::builtin().unwrap(), Clock::fixed(now()));
    (app, org, user, dir)
}

fn answer(item: &str, target: &str, yes: bool, note: &str) -> AnswerInput {
    AnswerInput {
        item: item.into(),
        target: Some(target.into()),
        round: Some(1),
        answer: Some(if yes { "yes" } else { "no" }.into()),
        checked_on: Some("2025-05-20".into()),
        target_date: (!yes).then(|| "2026-03-01".into()),
        note: Some(note.into()),
    }
}

#[tokio::test]
async fn an_answer_against_the_ledgers_is_saved_only_with_a_reason() {
    let (app, org, user, _dir) = clinic().await;
    let catalog = app.catalog_for(org.id).await.unwrap();
    let form = catalog.require_form("r7", Variant::Facility).unwrap();
    let suggest = async || {
        mamori_app::evidence::by_item(
            &mamori_app::evidence::suggestions_for(&app, &org, &user, form)
                .await
                .unwrap(),
        )
    };
    assert!(suggest().await.values().all(|s| s.verdict != Verdict::No));
    // A user ledger with retired staff still able to sign in: the cached suggestions are computed again.
    mamori_app::setup::seed_samples(&app.store, org.id, 0, 60, now(), |_, _, _| {})
        .await
        .unwrap();
    let suggestions = suggest().await;
    let (item, s) = suggestions
        .iter()
        .filter(|(_, s)| s.verdict == Verdict::No)
        .min_by_key(|(id, _)| (*id).clone())
        .expect("retired staff who can sign in make an item いいえ");
    let target = form.item(item).unwrap().targets[0].group.id();
    let without = [answer(item, target, true, "")];
    let refused =
        mamori_app::answers::save_answers(&app, &org, &user, form, &without, &suggestions)
            .await
            .unwrap()
            .unwrap_err();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].field, "note");
    assert!(
        refused[0].message.contains(&s.reasons[0]),
        "{}",
        refused[0].message
    );
    assert!(
        app.store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .is_empty()
    );

    let with = [answer(item, target, true, "台帳は紙で管理しています")];
    let saved = mamori_app::answers::save_answers(&app, &org, &user, form, &with, &suggestions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.len(), 1);
    // The suggestion shown at the save is kept beside the answer.
    let evidence = app
        .store
        .answer_evidence(org.id, "r7", Variant::Facility)
        .await
        .unwrap();
    let kept = &evidence[&format!("{item}/{target}/1")];
    assert_eq!(kept["verdict"], "no");
}

#[tokio::test]
async fn the_exported_workbook_reads_back_as_the_same_answers() {
    let (app, org, user, _dir) = clinic().await;
    let catalog = app.catalog_for(org.id).await.unwrap();
    let form = catalog.require_form("r7", Variant::Facility).unwrap();
    let gate = form.gate_item().expect("the form has its gate item");
    let first = [answer(&gate.id, gate.targets[0].group.id(), true, "")];
    mamori_app::answers::save_answers(&app, &org, &user, form, &first, &Default::default())
        .await
        .unwrap()
        .unwrap();
    let xlsx = mamori_app::workbooks::checklist_workbook(&app, &org, form)
        .await
        .unwrap();
    assert_eq!(&xlsx[..2], b"PK");
    let dry = mamori_app::checklist_import::import_checklist(&app, &org, &user, form, &xlsx, true)
        .await
        .unwrap()
        .unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.answers, 1);
    // Not a workbook: refused with a reason, nothing changes.
    let bad =
        mamori_app::checklist_import::import_checklist(&app, &org, &user, form, b"a,b", false)
            .await
            .unwrap()
            .unwrap_err();
    assert!(!bad.is_empty());
    assert_eq!(
        app.store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_inventory_is_added_once_and_then_unchanged() {
    let (app, org, _user, _dir) = clinic().await;
    let inv = mamori_agent::Inventory {
        format: mamori_agent::FORMAT,
        hostname: "PC-01".into(),
        machine_id: "0123456789abcdef".into(),
        ..Default::default()
    };
    let json = serde_json::to_vec(&inv).unwrap();
    let parsed = mamori_app::inventory::parse_inventory(&json).unwrap();
    let first = mamori_app::inventory::import_inventory(&app, &org, "test", &parsed)
        .await
        .unwrap();
    assert_eq!(first.outcome, "added");
    let again = mamori_app::inventory::import_inventory(&app, &org, "test", &parsed)
        .await
        .unwrap();
    assert_eq!(
        (again.outcome, again.device_id),
        ("unchanged", first.device_id)
    );
    assert!(mamori_app::inventory::parse_inventory(b"{").is_err());
}
