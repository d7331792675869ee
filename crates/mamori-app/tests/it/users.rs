//! An administrator's actions on users: only the organisation's own, and a bad password refused with the
//! reason.

use mamori_app::AppError;
use mamori_app::users::{UserAction, act_on_user};
use mamori_store::{NewOrg, NewUser, OrgKind};

use crate::helpers::{clinic, now};

#[tokio::test]
async fn user_actions_reach_only_the_organisations_own_users() {
    let (app, org, admin, _dir) = clinic().await;
    let (_other, other_admin) = app
        .store
        .add_org(
            &NewOrg {
                kind: OrgKind::Pharmacy,
                name: "さくら薬局".into(),
                security_officer: "佐藤 花子".into(),
                has_vendor_contract: false,
            },
            &NewUser {
                login: "sakura".into(),
                display_name: "佐藤 花子".into(),
                password_hash: "not used".into(),
                role: mamori_core::Role::Admin,
            },
            now(),
        )
        .await
        .unwrap();
    let err = act_on_user(&app, &org, &admin, other_admin.id, UserAction::Disable)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert!(
        app.store
            .disabled_users(other_admin.org_id)
            .await
            .unwrap()
            .is_empty()
    );

    let mismatch = UserAction::ResetPassword {
        password: "長い合言葉を二つ並べたもの".into(),
        confirm: "違う合言葉".into(),
    };
    let err = act_on_user(&app, &org, &admin, admin.id, mismatch)
        .await
        .unwrap_err();
    match err {
        AppError::Refused(_, m) => assert!(m.contains("確認のパスワードが一致しません"), "{m}"),
        e => panic!("{e:?}"),
    }

    act_on_user(&app, &org, &admin, admin.id, UserAction::SignOutEverywhere)
        .await
        .unwrap();
    assert!(UserAction::parse("delete", String::new(), String::new()).is_none());
}
