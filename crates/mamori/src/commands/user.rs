//! `mamori user …`: Users: add, disable, enable, reset password, sign out.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// 利用者を追加します（パスワードは標準入力の1行目）
    Add {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
        /// 氏名（省略時はログインID）
        #[arg(long)]
        name: Option<String>,
        /// 権限: admin（管理者）, editor（編集者）, viewer（閲覧者）, vendor（事業者）
        #[arg(long)]
        role: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// 利用者を無効にします（ログイン中の画面とAPIトークンはすぐに使えなくなります）
    Disable {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
    },
    /// 無効にした利用者を有効に戻します
    Enable {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
    },
    /// パスワードを再設定します（新しいパスワードは標準入力の1行目。ログイン中の画面は終了します）
    ResetPassword {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// その利用者のすべての端末のログインを終了します
    SignOut {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
    },
}

pub(crate) async fn run(command: UserCommand) -> Result<()> {
    match command {
        command @ (UserCommand::Disable { .. }
        | UserCommand::Enable { .. }
        | UserCommand::ResetPassword { .. }
        | UserCommand::SignOut { .. }) => user_access(command).await,
        UserCommand::Add {
            db,
            login,
            name,
            role,
            password_stdin,
        } => {
            debug_assert!(password_stdin);
            let role = parse_role(&role)?;
            let password = read_password(&[&login, name.as_deref().unwrap_or("")])?;
            let store = open(&db).await?;
            let Some(org_id) = store.first_org_id().await? else {
                bail!("初期設定がまだです（mamori init または mamori serve の初期設定画面）");
            };
            let user = NewUser {
                display_name: name.unwrap_or_else(|| login.clone()),
                login,
                password_hash: tokio::task::spawn_blocking(move || auth::hash_password(&password))
                    .await?,
                role,
            };
            let u = store
                .add_user(org_id, &user, "mamori user add", Clock::system().now())
                .await?;
            println!("利用者 {}（{}）を追加しました", u.login, u.role.label());
            Ok(())
        }
    }
}

/// `mamori user disable|enable|reset-password|sign-out`: on the user's own organisation, audited as the
/// command.
async fn user_access(command: UserCommand) -> Result<()> {
    let now = Clock::system().now();
    let (db, login) = match &command {
        UserCommand::Disable { db, login }
        | UserCommand::Enable { db, login }
        | UserCommand::ResetPassword { db, login, .. }
        | UserCommand::SignOut { db, login } => (db.clone(), login.clone()),
        UserCommand::Add { .. } => unreachable!("handled before"),
    };
    let store = open(&db).await?;
    let Some(user) = store.user_by_login(&login).await? else {
        bail!("ログインID「{login}」の利用者がいません");
    };
    match command {
        UserCommand::Disable { .. } => {
            store
                .set_user_disabled(user.org_id, &login, true, "mamori user disable", now)
                .await?;
            println!(
                "利用者 {login} を無効にしました（ログイン中の画面とAPIトークンは使えなくなりました）"
            );
        }
        UserCommand::Enable { .. } => {
            store
                .set_user_disabled(user.org_id, &login, false, "mamori user enable", now)
                .await?;
            println!("利用者 {login} を有効に戻しました");
        }
        UserCommand::ResetPassword { .. } => {
            let password = read_password(&[&login, &user.display_name])?;
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await?;
            store
                .reset_password(
                    user.org_id,
                    &login,
                    &hash,
                    "mamori user reset-password",
                    now,
                )
                .await?;
            println!(
                "利用者 {login} のパスワードを再設定しました（ログイン中の画面は終了しました）"
            );
        }
        UserCommand::SignOut { .. } => {
            let n = store
                .sign_out_everywhere(user.org_id, &login, "mamori user sign-out", now)
                .await?;
            println!("利用者 {login} のログインを {n} 件終了しました");
        }
        UserCommand::Add { .. } => unreachable!("handled before"),
    }
    Ok(())
}
