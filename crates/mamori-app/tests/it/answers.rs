//! Saving answers: an answer against the ledgers needs a reason; the suggestion is kept beside it.

use mamori_core::catalog::Variant;
use mamori_evidence::Verdict;

use crate::helpers::*;

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
    let key = mamori_core::AnswerKey::new(item.as_str(), target.parse().unwrap(), 1);
    assert_eq!(key.to_string(), format!("{item}/{target}/1"));
    let kept = &evidence[&key];
    assert_eq!(kept["verdict"], "no");
}
