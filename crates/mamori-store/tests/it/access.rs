//! Users, tokens, lockout and revocation, and one organisation never reading another's.

use chrono::Duration;
use mamori_core::Role;
use mamori_store::{NewToken, NewUser, Store, StoreError};

use crate::helpers::*;

/// Ledgers: import merges by identity, search and sort page on the server, edits and disabling are audited,
/// and another organisation sees none of it.
/// Issue 23 (7): revoking tokens, disabling users, resetting passwords, ending sessions; another
/// organisation's users and tokens cannot be touched.
pub(crate) async fn access_story(
    store: &Store,
    org_id: mamori_core::OrgId,
    other_id: mamori_core::OrgId,
) {
    let user = store
        .add_user(
            org_id,
            &NewUser {
                role: Role::Editor,
                ..new_user("leaver")
            },
            "admin",
            at(),
        )
        .await
        .unwrap();
    store
        .create_session("s-leaver", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    let token = NewToken {
        hash: "t-leaver".into(),
        label: "連携".into(),
        role: Role::Editor,
        expires_at: at() + Duration::days(30),
    };
    let token_id = store.create_api_token(&user, &token, at()).await.unwrap();
    assert!(store.session("s-leaver", at()).await.unwrap().is_some());
    // Disabled: the session and the token stop at once.
    store
        .set_user_disabled(org_id, "leaver", true, "admin", at())
        .await
        .unwrap();
    assert!(store.session("s-leaver", at()).await.unwrap().is_none());
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.disabled_users(org_id).await.unwrap(), ["leaver"]);
    assert!(store.user_disabled(user.id).await.unwrap());
    // Enabled again: the token works; revoked: it stops for good.
    store
        .set_user_disabled(org_id, "leaver", false, "admin", at())
        .await
        .unwrap();
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_some()
    );
    let listed = store.api_tokens(org_id).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.id == token_id && t.user_login == "leaver" && t.revoked_at.is_none())
    );
    assert!(matches!(
        store
            .revoke_api_token(other_id, token_id, "mallory", at())
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .revoke_api_token(org_id, token_id, "admin", at())
        .await
        .unwrap();
    assert!(
        store
            .user_by_token("t-leaver", at())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .api_tokens(other_id)
            .await
            .unwrap()
            .iter()
            .all(|t| t.id != token_id)
    );
    // A password reset ends sessions; so does signing out everywhere.
    store
        .create_session("s-leaver2", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    store
        .reset_password(org_id, "leaver", "new-hash", "admin", at())
        .await
        .unwrap();
    assert!(store.session("s-leaver2", at()).await.unwrap().is_none());
    assert_eq!(
        store
            .user_by_login("leaver")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    store
        .create_session("s-leaver3", user.id, "c", at(), at() + Duration::hours(8))
        .await
        .unwrap();
    assert_eq!(
        store
            .sign_out_everywhere(org_id, "leaver", "admin", at())
            .await
            .unwrap(),
        1
    );
    assert!(store.session("s-leaver3", at()).await.unwrap().is_none());
    // Another organisation's user cannot be disabled from here; nor oneself, nor the last administrator.
    assert!(
        store
            .set_user_disabled(other_id, "leaver", true, "admin", at())
            .await
            .is_err()
    );
    assert!(
        store
            .set_user_disabled(org_id, "admin", true, "admin", at())
            .await
            .is_err()
    );
    assert!(matches!(
        store
            .set_user_disabled(org_id, "admin", true, "someone", at())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let actions: Vec<String> = store
        .history(org_id, Some("user"), Some(&user.id.to_string()), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    for a in ["disable", "enable", "password_reset", "sign_out_everywhere"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}
