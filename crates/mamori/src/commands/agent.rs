//! `mamori agent …`: The agent on this machine, and enrolment tokens for it.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum AgentCommand {
    /// この機器の一覧を JSON ファイルに書き出します（閉じた院内ネットワークでは USB メモリなどでサーバへ運びます）
    Collect {
        #[arg(long)]
        out: PathBuf,
    },
    /// サーバに登録し（初回のみ）、この機器の一覧を定期的に HTTPS で送ります
    Run(mamori_agent::cli::AgentArgs),
    /// 機器の登録用トークンを発行します（表示は1回だけ。期限内なら何台でも登録に使えます）
    EnrollToken {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long, default_value = "コマンドで発行")]
        label: String,
        /// 有効期限（日数、1〜365）
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
}

pub(crate) async fn run(command: AgentCommand) -> Result<()> {
    match command {
        AgentCommand::Collect { out } => {
            let line = mamori_agent::cli::collect_to_file(&out).map_err(anyhow::Error::msg)?;
            println!("{line}");
            Ok(())
        }
        AgentCommand::Run(args) => {
            // The agent's loop blocks (it sleeps between inventories): off the async runtime.
            tokio::task::spawn_blocking(move || mamori_agent::cli::run_agent(&args))
                .await?
                .map_err(anyhow::Error::msg)
        }
        AgentCommand::EnrollToken { db, label, days } => {
            let store = open(&db).await?;
            let org = first_org(&store).await?;
            let app = App::new(store, catalog()?, Clock::system());
            let token =
                mamori_app::inventory::create_enrollment(&app, org, &label, days, "cli").await?;
            println!("{token}");
            eprintln!(
                "登録用トークンを発行しました（{days}日間、何台でも登録に使えます。表示はこの1回だけです）。各機器で:\n  mamori-agent run --server https://（このサーバ） --enroll-token {token}"
            );
            Ok(())
        }
    }
}
