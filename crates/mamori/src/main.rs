//! `mamori`: the command line. Wiring only; the work is done in the library crates.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use mamori_app::{App, auth};
use mamori_core::{Catalog, Clock, Role, Variant};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};

mod commands;
mod config;

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = "Mamori（守り）: 医療機関・薬局のサイバーセキュリティ対策チェックリストを、台帳と証跡とともに管理します"
)]
struct Cli {
    /// 設定ファイル（TOML。db, listen, metrics_listen, backup_dir などを MAMORI_* の代わりに書けます）
    #[arg(long, global = true, env = "MAMORI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Webアプリを起動します（初回はブラウザで初期設定）
    Serve(commands::serve::Serve),
    /// 初期設定をコマンドで行います（スクリプトでの導入用）
    Init(commands::init::Init),
    /// APIトークン
    Token {
        #[command(subcommand)]
        command: commands::token::TokenCommand,
    },
    /// ファイルへの書き出し
    Export {
        #[command(subcommand)]
        command: commands::export::ExportCommand,
    },
    /// ファイルの取り込み
    Import {
        #[command(subcommand)]
        command: commands::import::ImportCommand,
    },
    /// バックアップを1世代作成し、古い世代を削除します（稼働中でも一貫した内容。PostgreSQL は pg_dump を使います）
    Backup(commands::backup::Backup),
    /// バックアップから新しいデータベースファイルへ復元します（壊れたバックアップは拒否します）
    Restore(commands::backup::Restore),
    /// ログの分析（Windows イベントログ、Linux 認証ログ、電子カルテ・レセコンのアクセスログ）
    Logs {
        #[command(subcommand)]
        command: commands::logs::LogsCommand,
    },
    /// この機器の一覧（OS、パッケージとバージョン、アカウント、待ち受けポート）を集めます
    Agent {
        #[command(subcommand)]
        command: commands::agent::AgentCommand,
    },
    /// 利用者
    User {
        #[command(subcommand)]
        command: commands::user::UserCommand,
    },
    /// 組織（1つの環境で複数の施設・事業者・グループを預かるとき。運用管理者の操作）
    Org {
        #[command(subcommand)]
        command: commands::org::OrgCommand,
    },
    /// 運用管理者（組織の作成・停止を行い、組織のデータは見られない）
    Operator {
        #[command(subcommand)]
        command: commands::org::OperatorCommand,
    },
    /// 監査記録（変更履歴）
    Audit {
        #[command(subcommand)]
        command: commands::audit::AuditCommand,
    },
    /// チェックリストの版（厚生労働省の Excel から新しい版を取り込む）
    Catalog {
        #[command(subcommand)]
        command: commands::catalog::CatalogCommand,
    },
    /// 開発・性能測定用
    Dev {
        #[command(subcommand)]
        command: commands::dev::DevCommand,
    },
    /// 起動中のサーバが応答するか確かめます（終了コード 0 = 正常）
    Healthcheck(commands::healthcheck::Healthcheck),
    /// Windows のサービスとして動かします（install / uninstall / start / stop / status）
    Service {
        #[command(subcommand)]
        command: commands::service::ServiceCommand,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CsvEncoding {
    /// UTF-8（BOM付き、Excel で開けます）
    Utf8,
    /// Shift_JIS（CP932）
    Cp932,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Clinic,
    Hospital,
    Pharmacy,
}

impl From<Kind> for OrgKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Clinic => OrgKind::Clinic,
            Kind::Hospital => OrgKind::Hospital,
            Kind::Pharmacy => OrgKind::Pharmacy,
        }
    }
}

/// Logs to stderr: `RUST_LOG` when set, else the server's requests and warnings (`serve`) or only warnings
/// (the other commands, whose output is for a person).
fn init_logging(serving: bool) {
    let default = if serving { "info,sqlx=warn" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() {
    // The configuration file is applied to the environment before any thread exists.
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = config::apply(&args) {
        eprintln!("エラー: {e:#}");
        std::process::exit(1);
    }
    if args.len() == 1 {
        first_steps();
    }
    let cli = Cli::parse();
    // The service commands talk to the service manager (and the service logs to a file): no runtime.
    if let Command::Service { command } = cli.command {
        if let Err(e) = commands::service::run(command, cli.config) {
            eprintln!("エラー: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    init_logging(matches!(cli.command, Command::Serve(_)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("エラー: {e:#}");
        std::process::exit(1);
    }
}

/// Run without a command — on Windows, most likely a double click on mamori.exe, whose window would
/// close before clap's usage could be read: how to start, then (in a console) a wait for Enter.
fn first_steps() -> ! {
    println!(
        "Mamori（守り）{}\n\n\
         使い方（コマンドプロンプトで実行します）:\n  \
         mamori serve                  この PC で起動し、ブラウザで http://127.0.0.1:8080/ を開きます\n  \
         mamori service install        Windows のサービスとして登録します（管理者として実行）\n  \
         mamori service start          サービスを開始します\n  \
         mamori --help                 すべてのコマンド",
        env!("CARGO_PKG_VERSION")
    );
    if cfg!(windows) && std::io::stdin().is_terminal() {
        println!("\nEnter キーを押すと閉じます。");
        let _ = std::io::stdin().read_line(&mut String::new());
    }
    std::process::exit(2)
}

fn catalog() -> Result<Catalog> {
    Catalog::builtin().context("組み込みのチェックリストを読み込めません")
}

async fn open(db: &str) -> Result<Store> {
    Ok(Store::open(db).await?)
}

/// The facility of a single-facility install.
async fn first_org(store: &Store) -> Result<mamori_core::OrgId> {
    match store.first_org_id().await? {
        Some(id) => Ok(id),
        None => bail!("初期設定がまだです（mamori init または mamori serve の初期設定画面）"),
    }
}

fn ledger_kind(s: &str) -> Result<mamori_ledger::Kind> {
    mamori_ledger::Kind::parse(s).with_context(|| {
        let all: Vec<String> = mamori_ledger::Kind::ALL
            .iter()
            .map(|k| format!("{}（{}）", k.id(), k.label()))
            .collect();
        format!(
            "台帳の種類「{s}」はありません。{} のいずれかを指定してください",
            all.join("、")
        )
    })
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Token { command } => commands::token::run(command).await,
        Command::Export { command } => commands::export::run(command).await,
        Command::Import { command } => commands::import::run(command).await,
        Command::Logs { command } => commands::logs::run(command).await,
        Command::Agent { command } => commands::agent::run(command).await,
        Command::User { command } => commands::user::run(command).await,
        Command::Audit { command } => commands::audit::run(command).await,
        Command::Org { command } => commands::org::run(command).await,
        Command::Operator { command } => commands::org::run_operator(command).await,
        Command::Catalog { command } => commands::catalog::run(command).await,
        Command::Dev { command } => commands::dev::run(command).await,
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Init(args) => commands::init::run(args).await,
        Command::Backup(args) => commands::backup::run_backup(args).await,
        Command::Restore(args) => commands::backup::run_restore(args).await,
        Command::Healthcheck(args) => commands::healthcheck::run(args).await,
        Command::Service { .. } => unreachable!("service commands run before the runtime"),
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).with_context(|| {
        format!("権限「{s}」はありません（admin, editor, viewer, vendor のいずれか）")
    })
}

/// The organisation `--org` names, or the first one.
async fn org_or_first(store: &mamori_store::Store, org: Option<i64>) -> Result<mamori_core::OrgId> {
    match org {
        Some(id) => Ok(store.org(mamori_core::OrgId::new(id)).await?.id),
        None => store
            .first_org_id()
            .await?
            .context("初期設定がまだです（mamori init または mamori serve の初期設定画面）"),
    }
}

/// A new password from the first line of standard input, checked against the R7 password rule and
/// common passwords (`personal`: the login, name and facility it must not resemble).
fn read_password(personal: &[&str]) -> Result<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("パスワードを入力して Enter を押してください:");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("標準入力からパスワードを読めません")?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    if let Some(p) = auth::password_problem(&password, personal) {
        bail!("{p}");
    }
    Ok(password)
}
