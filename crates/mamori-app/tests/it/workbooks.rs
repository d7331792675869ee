//! The exported checklist workbook read back as the same answers; what is no workbook refused.

use mamori_core::catalog::Variant;

use crate::helpers::*;

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
