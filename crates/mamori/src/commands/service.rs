//! `mamori service …`: Mamori as a Windows service, with its database, settings and logs under
//! `%ProgramData%\Mamori`. Runs before the async runtime and the console logging (`main`).

use crate::*;
use mamori_service::{SERVER, ServerSettings, win_join};

#[derive(Subcommand)]
pub(crate) enum ServiceCommand {
    /// Windows のサービスとして登録します（データベース・設定・ログは %ProgramData%\Mamori。管理者として実行してください）
    Install {
        /// 待ち受けるアドレス（既定はこの PC のブラウザからだけ）
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// 定期バックアップの保存先（2台目のドライブや USB メモリのフォルダ。24 時間ごと）
        #[arg(long)]
        backup_dir: Option<PathBuf>,
        /// 定期バックアップで残す世代数
        #[arg(long, default_value_t = 14)]
        backup_keep: usize,
        /// データのフォルダ（省略時 %ProgramData%\Mamori）
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// サービスを停止し、登録を削除します（データベース・設定・ログは残ります）
    Uninstall,
    /// サービスを開始します
    Start,
    /// サービスを停止します
    Stop,
    /// サービスの状態を表示します
    Status,
    /// サービス管理から起動されるコマンドです（手動では serve を使ってください）
    #[command(hide = true)]
    Run(Box<crate::commands::serve::Serve>),
}

/// `config`: the `--config` the service was started with (its folder holds the logs).
pub(crate) fn run(command: ServiceCommand, config: Option<PathBuf>) -> Result<()> {
    match command {
        ServiceCommand::Install {
            listen,
            backup_dir,
            backup_keep,
            data_dir,
        } => install(listen, backup_dir, backup_keep, data_dir),
        ServiceCommand::Uninstall => {
            mamori_service::uninstall(&SERVER).map_err(anyhow::Error::msg)?;
            println!(
                "サービス「{}」を削除しました（データベース・設定・ログは残っています。既定の場所は {}）",
                SERVER.display_name,
                mamori_service::data_dir().display()
            );
            Ok(())
        }
        ServiceCommand::Start => {
            mamori_service::start(&SERVER).map_err(anyhow::Error::msg)?;
            println!("サービス「{}」を開始しました", SERVER.display_name);
            Ok(())
        }
        ServiceCommand::Stop => {
            mamori_service::stop(&SERVER).map_err(anyhow::Error::msg)?;
            println!("サービス「{}」を停止しました", SERVER.display_name);
            Ok(())
        }
        ServiceCommand::Status => {
            let s = mamori_service::status(&SERVER).map_err(anyhow::Error::msg)?;
            println!("サービス「{}」: {s}", SERVER.display_name);
            Ok(())
        }
        ServiceCommand::Run(args) => run_service(*args, config),
    }
}

fn install(
    listen: SocketAddr,
    backup_dir: Option<PathBuf>,
    backup_keep: usize,
    data_dir: Option<PathBuf>,
) -> Result<()> {
    if !cfg!(windows) {
        bail!("{}", mamori_service::NOT_WINDOWS);
    }
    let dir = match data_dir {
        Some(d) => {
            std::path::absolute(&d).with_context(|| format!("{} を使えません", d.display()))?
        }
        None => mamori_service::data_dir(),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("フォルダ {} を作れません", dir.display()))?;
    if let Err(e) = mamori_service::restrict_to_admins(&dir) {
        eprintln!(
            "注意: フォルダ {} の権限を管理者だけにできませんでした（{e}）",
            dir.display()
        );
    }
    let backup_dir = match backup_dir {
        Some(b) => {
            std::fs::create_dir_all(&b)
                .with_context(|| format!("バックアップの保存先 {} を作れません", b.display()))?;
            Some(std::path::absolute(&b)?)
        }
        None => None,
    };
    let settings = win_join(&dir, "mamori.toml");
    let text = mamori_service::server_settings_toml(&ServerSettings {
        db: win_join(&dir, "mamori.db"),
        listen: listen.to_string(),
        backup_dir: backup_dir.clone(),
        backup_every_hours: 24,
        backup_keep,
    });
    let exe = std::env::current_exe().context("このプログラムの場所が分かりません")?;
    let args: Vec<std::ffi::OsString> = vec![
        "--config".into(),
        settings.clone().into(),
        "service".into(),
        "run".into(),
    ];
    // Registered first: without administrator rights this fails and leaves no settings behind.
    mamori_service::install(&SERVER, &exe, &args).map_err(anyhow::Error::msg)?;
    match mamori_service::write_if_absent(&settings, &text) {
        Ok(true) => {}
        Ok(false) => println!(
            "設定ファイル {} はすでにあるので、そのまま使います（--listen などの指定は反映されません。変えるときはこのファイルを編集してください）",
            settings.display()
        ),
        Err(e) => {
            let _ = mamori_service::uninstall(&SERVER);
            bail!("{e}（サービスの登録は取り消しました）");
        }
    }
    println!(
        "サービス「{}」を登録しました（Windows の起動時に自動で開始します）。\n\
         データ: {}\n設定: {}\nログ: {}",
        SERVER.display_name,
        dir.display(),
        settings.display(),
        win_join(&win_join(&dir, "logs"), "mamori.log").display()
    );
    match &backup_dir {
        Some(b) => println!(
            "定期バックアップ: {}（24 時間ごと、{backup_keep} 世代）",
            b.display()
        ),
        None => println!(
            "定期バックアップは未設定です。2台目のドライブや USB メモリへ残すには、設定ファイルの backup_dir を設定してください。"
        ),
    }
    println!("\n今すぐ開始するには: mamori service start");
    println!("その後、この PC のブラウザで http://{listen}/ を開くと初期設定画面が表示されます。");
    if !listen.ip().is_loopback() {
        println!(
            "\n院内 LAN の他の PC から使うときは、HTTPS（設定ファイルの tls_cert / tls_key）にし、Windows ファイアウォールで\n\
             院内のアドレスからだけ受け付けてください。例（管理者のコマンドプロンプト）:\n  \
             netsh advfirewall firewall add rule name=\"Mamori\" dir=in action=allow protocol=TCP localport={} remoteip=localsubnet",
            listen.port()
        );
    }
    Ok(())
}

/// The service's body: `serve` with the settings file's values, logging to `logs\mamori.log`, until
/// the service manager asks it to stop.
fn run_service(args: crate::commands::serve::Serve, config: Option<PathBuf>) -> Result<()> {
    let dir = config
        .as_deref()
        .and_then(|c| c.parent())
        .map(|p| p.to_path_buf())
        .unwrap_or_else(mamori_service::data_dir);
    let log =
        mamori_service::open_log(&win_join(&dir, "logs"), "mamori").map_err(anyhow::Error::msg)?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(log))
        .with_ansi(false)
        .init();
    let body = Box::new(
        move |stop: mamori_service::Stop| -> std::result::Result<(), String> {
            tracing::info!(listen = %args.listen, "サービスとして起動します");
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("非同期ランタイムを起動できません: {e}"))?;
            let stopped = async move {
                let _ = tokio::task::spawn_blocking(move || stop.wait()).await;
            };
            let result = runtime
                .block_on(crate::commands::serve::run_until(args, stopped))
                .map_err(|e| format!("{e:#}"));
            match &result {
                Ok(()) => tracing::info!("サービスを停止しました"),
                Err(e) => tracing::error!("サービスが止まりました: {e}"),
            }
            result
        },
    );
    mamori_service::run(&SERVER, body).map_err(anyhow::Error::msg)
}
