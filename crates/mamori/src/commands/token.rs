//! `mamori token …`: API tokens: create, list, revoke.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// 新しいAPIトークンを発行して表示します（保存されるのはハッシュだけです）
    Create {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "コマンドで発行")]
        label: String,
        /// トークンの権限（admin, editor, viewer, vendor。省略時は利用者と同じ。利用者より上にはできません）
        #[arg(long)]
        role: Option<String>,
        /// 有効期限（日数）
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// 組織のAPIトークンの一覧（番号・利用者・名前・権限・期限・状態）を表示します
    List {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 組織の番号（省略時は最初の組織）
        #[arg(long)]
        org: Option<i64>,
    },
    /// APIトークンを取り消します（すぐに使えなくなります。監査記録に残ります）
    Revoke {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: Option<i64>,
        /// トークンの番号（token list の「番号」）
        #[arg(long)]
        id: i64,
    },
}

pub(crate) async fn run(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            db,
            user,
            label,
            role,
            days,
        } => {
            let store = open(&db).await?;
            let Some(u) = store.user_by_login(&user).await? else {
                bail!("ログインID「{user}」の利用者がいません");
            };
            let role = match role {
                Some(r) => parse_role(&r)?,
                None => u.role,
            };
            if !(1..=3650).contains(&days) {
                bail!("有効期限（--days）は1〜3650日にしてください");
            }
            let now = Clock::system().now();
            let (token, stored) =
                auth::new_api_token(&label, role, now + chrono::Duration::days(days));
            store.create_api_token(&u, &stored, now).await?;
            println!("{token}");
            eprintln!("このトークンは再表示できません。安全な場所に保管してください。");
            Ok(())
        }
        TokenCommand::List { db, org } => {
            let store = open(&db).await?;
            let org_id = org_or_first(&store, org).await?;
            let tokens = store.api_tokens(org_id).await?;
            if tokens.is_empty() {
                println!("APIトークンはありません");
            }
            let now = Clock::system().now();
            for t in tokens {
                let state = match &t.revoked_at {
                    Some(r) => format!("取り消し済み（{r}）"),
                    None if chrono::DateTime::parse_from_rfc3339(&t.expires_at)
                        .is_ok_and(|e| e <= now) =>
                    {
                        "期限切れ".into()
                    }
                    None => "有効".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t期限 {}\t{state}",
                    t.id, t.user_login, t.label, t.role, t.expires_at
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { db, org, id } => {
            let store = open(&db).await?;
            let org_id = org_or_first(&store, org).await?;
            store
                .revoke_api_token(org_id, id, "mamori token revoke", Clock::system().now())
                .await?;
            println!("トークン {id} を取り消しました（監査記録に残しました）");
            Ok(())
        }
    }
}
