//! An administrator's actions on the organisation's users: disable, enable, sign out everywhere, and a
//! new password.

use mamori_store::{Org, User};

use crate::{App, AppError, AppResult, auth};

/// What an administrator does to one user.
pub enum UserAction {
    Disable,
    Enable,
    SignOutEverywhere,
    /// A new password, typed twice.
    ResetPassword {
        password: String,
        confirm: String,
    },
}

impl UserAction {
    /// The action named in the page's URL (`disable`, `enable`, `sign-out`, `password`).
    pub fn parse(name: &str, password: String, confirm: String) -> Option<UserAction> {
        Some(match name {
            "disable" => UserAction::Disable,
            "enable" => UserAction::Enable,
            "sign-out" => UserAction::SignOutEverywhere,
            "password" => UserAction::ResetPassword { password, confirm },
            _ => return None,
        })
    }
}

/// Carries out `action` on the user numbered `user_id`, looked up among `org`'s own users only.
pub async fn act_on_user(
    app: &App,
    org: &Org,
    admin: &User,
    user_id: i64,
    action: UserAction,
) -> AppResult<()> {
    let user = app
        .store
        .users(org.id)
        .await?
        .into_iter()
        .find(|u| u.id == user_id)
        .ok_or_else(|| AppError::NotFound("この組織の利用者ではありません".into()))?;
    let (actor, now) = (admin.login.as_str(), app.clock.now());
    match action {
        UserAction::Disable | UserAction::Enable => {
            let disable = matches!(action, UserAction::Disable);
            app.store
                .set_user_disabled(org.id, &user.login, disable, actor, now)
                .await?
        }
        UserAction::SignOutEverywhere => {
            app.store
                .sign_out_everywhere(org.id, &user.login, actor, now)
                .await?;
        }
        UserAction::ResetPassword { password, confirm } => {
            let problem = if password != confirm {
                Some("確認のパスワードが一致しません")
            } else {
                auth::password_problem(&password, &[&user.login, &user.display_name, &org.name])
            };
            if let Some(p) = problem {
                return Err(AppError::Refused(
                    "パスワードを再設定できません",
                    format!("「{}」のパスワードを再設定できません: {p}", user.login),
                ));
            }
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
                .await
                .expect("hashing does not panic");
            app.store
                .reset_password(org.id, &user.login, &hash, actor, now)
                .await?;
        }
    }
    Ok(())
}
