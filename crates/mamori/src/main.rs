//! `mamori`: the command line. Wiring only; the work is done in the library crates.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use mamori_core::{Catalog, Clock, Role, Variant};
use mamori_store::{NewOrg, NewUser, OrgKind, Store};
use mamori_web::{AppState, auth};

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = "Mamori（守り）: 医療機関・薬局のサイバーセキュリティ対策チェックリストを、台帳と証跡とともに管理します"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Webアプリを起動します（初回はブラウザで初期設定）
    Serve {
        /// SQLiteファイルのパス、または postgres:// のURL
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 待ち受けるアドレス
        #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Cookie に Secure を付けます（TLS 終端の後ろで動かすとき）
        #[arg(long)]
        secure_cookies: bool,
        /// HTTPS で待ち受けるときの証明書（PEM）。--tls-key と一緒に指定します
        #[arg(long, env = "MAMORI_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// HTTPS の秘密鍵（PEM）
        #[arg(long, env = "MAMORI_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// 定期バックアップの保存先（指定すると定期バックアップが有効になります）
        #[arg(long, env = "MAMORI_BACKUP_DIR")]
        backup_dir: Option<PathBuf>,
        /// 定期バックアップの間隔（時間）
        #[arg(long, env = "MAMORI_BACKUP_EVERY_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..))]
        backup_every_hours: u32,
        /// 定期バックアップで残す世代数
        #[arg(long, env = "MAMORI_BACKUP_KEEP", default_value_t = 14)]
        backup_keep: usize,
        /// 台帳ファイル1つで取り込める行数の上限
        #[arg(long, env = "MAMORI_MAX_IMPORT_ROWS", default_value_t = mamori_ledger::DEFAULT_MAX_ROWS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_import_rows: usize,
    },
    /// 初期設定をコマンドで行います（スクリプトでの導入用）
    Init {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long, value_enum)]
        org_kind: Kind,
        #[arg(long)]
        org_name: String,
        /// 医療情報システム安全管理責任者の氏名（省略時は管理者の氏名）
        #[arg(long)]
        security_officer: Option<String>,
        /// 事業者（ベンダー）との契約がない場合に指定（2(2)・2(3)が記入不要になります）
        #[arg(long)]
        no_vendor_contract: bool,
        /// 管理者のログインID
        #[arg(long)]
        admin: String,
        /// 管理者の氏名（省略時はログインID）
        #[arg(long)]
        admin_name: Option<String>,
        /// パスワードを標準入力の1行目から読みます
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// APIトークン
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// ファイルへの書き出し
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// ファイルの取り込み
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// バックアップを1世代作成し、古い世代を削除します（稼働中でも一貫した内容。PostgreSQL は pg_dump を使います）
    Backup {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 保存先のフォルダ（USBディスクやネットワークから切り離せる場所を推奨）
        #[arg(long)]
        dir: PathBuf,
        /// 残す世代数
        #[arg(long, default_value_t = 7)]
        keep: usize,
    },
    /// バックアップから新しいデータベースファイルへ復元します（壊れたバックアップは拒否します）
    Restore {
        #[arg(long)]
        dir: PathBuf,
        /// 世代（例 20261123T020000Z）。省略時は一覧を表示します
        #[arg(long)]
        generation: Option<String>,
        /// 復元先：SQLite は存在しないファイル、PostgreSQL は空のデータベースの postgres:// URL
        #[arg(long)]
        db: Option<String>,
    },
    /// ログの分析（Windows イベントログ、Linux 認証ログ、電子カルテ・レセコンのアクセスログ）
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// この機器の一覧（OS、パッケージとバージョン、アカウント、待ち受けポート）を集めます
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// 利用者
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 監査記録（変更履歴）
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// チェックリストの版（厚生労働省の Excel から新しい版を取り込む）
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// 開発・性能測定用
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// 起動中のサーバが応答するか確かめます（終了コード 0 = 正常）
    Healthcheck {
        #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
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

#[derive(Subcommand)]
enum UserCommand {
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

#[derive(Subcommand)]
enum AuditCommand {
    /// 監査記録のハッシュの連鎖を先頭から検証し、壊れていれば最初の記録を示します
    Verify {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// チェックリストを書き出します（拡張子 .xlsx なら Excel、.pdf なら PDF）
    Checklist {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 版（r5, r6, r7）
        #[arg(long)]
        edition: String,
        /// 様式（facility, pharmacy, vendor）
        #[arg(long)]
        variant: String,
        /// 事業者確認用（--variant vendor）のとき：取り込んだ事業者の様式（事業者・契約の行の番号）
        #[arg(long)]
        vendor: Option<i64>,
        #[arg(long)]
        out: PathBuf,
    },
    /// 立入検査用資料（表紙、施設の様式、事業者確認用、台帳の要約、「いいえ」の項目の目標日と根拠）を PDF に書き出します
    Pack {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 版（省略時は今年度に使う版）
        #[arg(long)]
        edition: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// 台帳を書き出します（拡張子 .xlsx なら Excel、.csv なら CSV）
    Ledger {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        out: PathBuf,
        /// CSV の文字コード
        #[arg(long, value_enum, default_value = "utf8")]
        encoding: CsvEncoding,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
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

#[derive(Subcommand)]
enum LogsCommand {
    /// ログを読み、イベントの件数、アカウント別のログオン、検出（チェックリストの項目つき）を表示します。
    /// 形式（EVTX／syslog／CSV）はファイルの中身から判断します
    Analyze {
        /// 利用者台帳（CSV または xlsx）。退職・無効・台帳にないアカウントの利用を検出します
        #[arg(long)]
        staff: Option<PathBuf>,
        /// アクセスログ CSV の列の対応づけ（auto, mamori、または JSON ファイル）
        #[arg(long, default_value = "auto")]
        csv_map: String,
        /// text または json
        #[arg(long, default_value = "text")]
        format: String,
        /// 年のない syslog の行（RFC 3164）の年（省略時は今年）
        #[arg(long)]
        year: Option<i32>,
        /// 年のない syslog の行の時差（例 +09:00）
        #[arg(long, default_value = "+09:00")]
        zone: String,
        /// 何回のログオン失敗で「連続した失敗」とするか（--burst-minutes 分間に）
        #[arg(long, default_value_t = 10)]
        burst_count: usize,
        #[arg(long, default_value_t = 10)]
        burst_minutes: i64,
        /// 1つの接続元から何アカウント試されたら「パスワードスプレー」とするか（--spray-minutes 分間に）
        #[arg(long, default_value_t = 5)]
        spray_accounts: usize,
        #[arg(long, default_value_t = 30)]
        spray_minutes: i64,
        /// 診療時間（時、日本時間）: この時刻より前と --work-end 以降の利用を時間外とします
        #[arg(long, default_value_t = 7)]
        work_start: u32,
        #[arg(long, default_value_t = 21)]
        work_end: u32,
        /// 1人が --patients-minutes 分間に開いた患者の数の上限
        #[arg(long, default_value_t = 100)]
        patients_count: usize,
        #[arg(long, default_value_t = 60)]
        patients_minutes: i64,
        /// 保守事業者のアカウントと承認した時間（日本時間）。例 vendor01=13:00-17:00（複数可）
        #[arg(long)]
        vendor_window: Vec<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// 厚生労働省のチェックリストの Excel（1つの版の様式ごとに1ファイル）から版を取り込みます。読み取った内容・
    /// 前の版との違い・確認が必要な点を表示し、--dry-run でなければ確定します（前の版との対応は自動の提案のまま）
    Import {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 版の ID（英小文字と数字。例：r8）
        #[arg(long)]
        edition: String,
        /// 年度（西暦。例：2026）。読めない値は取り込みと同じ日本語のメッセージで断ります
        #[arg(long)]
        fiscal_year: String,
        /// 様式（merged / facility / pharmacy / vendor）。省略するとファイルから判断します
        #[arg(long)]
        variant: Option<String>,
        /// 取り込む管理者のログインID（その組織の版になります）
        #[arg(long)]
        user: String,
        #[arg(long)]
        dry_run: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// 見本の機器台帳・利用者台帳を大量に作ります（性能の確認用。本番のデータベースには使わないでください）
    Seed {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long, default_value_t = 20_000)]
        devices: usize,
        #[arg(long, default_value_t = 50_000)]
        accounts: usize,
    },
    /// 内蔵の版の様式を、公式の Excel に似せた配置で書き出します（取り込みの確認用。公式のファイルではありません）
    EditionWorkbook {
        #[arg(long, default_value = "r7")]
        edition: String,
        #[arg(long, default_value = "facility")]
        variant: String,
        /// rounds / columns / merged / circled / marks
        #[arg(long, default_value = "circled")]
        layout: String,
        /// 書き出す様式の種類を変える（例：merged で医療機関・薬局確認用として書き出す）
        #[arg(long)]
        as_variant: Option<String>,
        /// 表題を変える
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// 台帳を CSV（UTF-8 / Shift_JIS）または Excel（xlsx）から取り込みます。1行でも誤りがあれば何も取り込みません
    Ledger {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 台帳の種類（devices 機器台帳, accounts 利用者台帳, vendors 事業者・契約, contacts 外部連絡リスト,
        /// loglist ログリスト, logreviews ログ確認記録, backups バックアップ台帳, lifecycle サポート期限,
        /// baseline サービス・ソフトの基準）
        #[arg(long)]
        kind: String,
        /// 確認だけして取り込みません
        #[arg(long)]
        dry_run: bool,
        /// 取り込める行数の上限
        #[arg(long, env = "MAMORI_MAX_IMPORT_ROWS", default_value_t = mamori_ledger::DEFAULT_MAX_ROWS)]
        max_rows: usize,
        file: PathBuf,
    },
    /// mamori agent collect の一覧（JSON）を機器台帳に取り込みます（同じ機器は更新、変更がなければ何も記録しません）
    Inventory {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        file: PathBuf,
    },
    /// 記入済みのチェックリスト（xlsx：Mamori の書き出し、または様式どおりの Excel）を回答として取り込みます。
    /// 様式のルールに反する回答が1つでもあれば何も保存しません
    Checklist {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 版（r5, r6, r7）
        #[arg(long)]
        edition: String,
        /// facility（医療機関確認用）, pharmacy（薬局確認用）, vendor（事業者確認用）
        #[arg(long, default_value = "facility")]
        variant: String,
        /// 回答した人として変更履歴に残す利用者のログインID
        #[arg(long)]
        user: String,
        /// 確認だけして保存しません
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
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

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("エラー: {e:#}");
        std::process::exit(1);
    }
}

fn catalog() -> Result<Catalog> {
    Catalog::builtin().context("組み込みのチェックリストを読み込めません")
}

async fn open(db: &str) -> Result<Store> {
    Ok(Store::open(db).await?)
}

/// The facility of a single-facility install.
async fn first_org(store: &Store) -> Result<i64> {
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
        Command::Serve {
            db,
            listen,
            secure_cookies,
            tls_cert,
            tls_key,
            backup_dir,
            backup_every_hours,
            backup_keep,
            max_import_rows,
        } => {
            let catalog = catalog()?;
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(mamori_web::Tls::load(cert, key).await?),
                _ => None,
            };
            let store = open(&db).await?;
            let set_up = store.is_set_up().await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| {
                    format!(
                        "{listen} で待ち受けできません（ほかのプログラムが使用中かもしれません）"
                    )
                })?;
            let addr = listener.local_addr()?;
            let mut state = AppState::new(store.clone(), catalog, Clock::system());
            state.max_import_rows = max_import_rows;
            state.secure_cookies = secure_cookies;
            if let Some(dir) = backup_dir {
                state.backup_every_hours = Some(backup_every_hours);
                println!(
                    "定期バックアップ: {} に {backup_every_hours} 時間ごと（{backup_keep} 世代）",
                    dir.display()
                );
                tokio::spawn(store.backup_loop(
                    dir,
                    std::time::Duration::from_secs(u64::from(backup_every_hours) * 3600),
                    backup_keep,
                    Clock::system(),
                ));
            }
            let scheme = if tls.is_some() { "https" } else { "http" };
            println!("Mamori を起動しました: {scheme}://{addr}/");
            println!("データベース: {}", mamori_store::redact_url(&db));
            if !set_up {
                println!(
                    "初回起動です。ブラウザで {scheme}://{addr}/setup を開いて初期設定をしてください。"
                );
            }
            match tls {
                Some(tls) => mamori_web::serve_tls(listener, state, tls).await?,
                None => mamori_web::serve(listener, state).await?,
            }
            Ok(())
        }
        Command::Init {
            db,
            org_kind,
            org_name,
            security_officer,
            no_vendor_contract,
            admin,
            admin_name,
            password_stdin,
        } => {
            debug_assert!(password_stdin);
            let password =
                read_password(&[&admin, admin_name.as_deref().unwrap_or(""), &org_name])?;
            if org_name.trim().is_empty() {
                bail!("施設名（--org-name）を指定してください");
            }
            let admin_name = admin_name.unwrap_or_else(|| admin.clone());
            let org = NewOrg {
                kind: org_kind.into(),
                name: org_name.trim().into(),
                security_officer: security_officer.unwrap_or_else(|| admin_name.clone()),
                has_vendor_contract: !no_vendor_contract,
            };
            let user = NewUser {
                login: admin.clone(),
                display_name: admin_name,
                password_hash: tokio::task::spawn_blocking(move || auth::hash_password(&password))
                    .await?,
                role: Role::Admin,
            };
            let store = open(&db).await?;
            let (org, _) = store.set_up(&org, &user, Clock::system().now()).await?;
            mamori_web::add_initial_contacts(&store, org.id, &admin, Clock::system().now()).await?;
            println!(
                "初期設定が完了しました: {}「{}」、管理者 {admin}",
                org.kind.label(),
                org.name
            );
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    user,
                    label,
                    role,
                    days,
                },
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
        Command::Token {
            command: TokenCommand::List { db, org },
        } => {
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
        Command::Token {
            command: TokenCommand::Revoke { db, org, id },
        } => {
            let store = open(&db).await?;
            let org_id = org_or_first(&store, org).await?;
            store
                .revoke_api_token(org_id, id, "mamori token revoke", Clock::system().now())
                .await?;
            println!("トークン {id} を取り消しました（監査記録に残しました）");
            Ok(())
        }
        Command::User {
            command:
                command @ (UserCommand::Disable { .. }
                | UserCommand::Enable { .. }
                | UserCommand::ResetPassword { .. }
                | UserCommand::SignOut { .. }),
        } => user_access(command).await,
        Command::Export {
            command:
                ExportCommand::Checklist {
                    db,
                    edition,
                    variant,
                    vendor,
                    out,
                },
        } => {
            let variant: Variant = variant.parse()?;
            let store = open(&db).await?;
            let Some(org_id) = store.first_org_id().await? else {
                bail!("初期設定がまだです（mamori init または mamori serve の初期設定画面）");
            };
            let org = store.org(org_id).await?;
            let state = AppState::new(store, catalog()?, Clock::system());
            // The organisation's catalog: built-in editions and those it imported.
            let catalog = state.catalog_for(org.id).await?;
            let form = catalog.require_form(&edition, variant)?;
            let pdf = out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
            if pdf || vendor.is_some() {
                let recorded = match vendor {
                    Some(_) if variant != Variant::Vendor => {
                        bail!("--vendor は --variant vendor（事業者確認用）と一緒に使ってください")
                    }
                    Some(id) => Some(
                        mamori_web::vendor_forms::vendor_form_of(&state, &org, id, &edition)
                            .await?
                            .with_context(|| {
                                format!(
                                    "事業者 {id} の事業者確認用（{edition}）は登録されていません"
                                )
                            })?,
                    ),
                    None => None,
                };
                let bytes = match (pdf, recorded) {
                    (true, recorded) => {
                        mamori_web::documents::form_pdf(&state, &org, form, recorded).await?
                    }
                    (false, Some((name, answers))) => {
                        mamori_web::vendor_forms::vendor_form_xlsx(
                            &state, &org, &name, &answers, &edition,
                        )
                        .await?
                    }
                    (false, None) => unreachable!("handled below"),
                };
                std::fs::write(&out, bytes)
                    .with_context(|| format!("{} に書き込めません", out.display()))?;
                println!("{} に書き出しました", out.display());
                return Ok(());
            }
            let bytes = mamori_web::checklist_workbook(&state, &org, form).await?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!("{} に書き出しました", out.display());
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Pack { db, edition, out },
        } => {
            let store = open(&db).await?;
            let org = store.org(first_org(&store).await?).await?;
            let state = AppState::new(store, catalog()?, Clock::system());
            state.catalog_for(org.id).await?;
            let edition =
                mamori_web::vendor_forms::edition_or_current(&state, &org, edition.as_deref());
            if edition.is_empty() {
                bail!("使える版がありません");
            }
            let started = std::time::Instant::now();
            let pdf = mamori_web::documents::inspection_pack(&state, &org, &edition).await?;
            std::fs::write(&out, &pdf.bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!(
                "{} に書き出しました（{} ページ、{} KB、{:.1} 秒）",
                out.display(),
                pdf.pages,
                pdf.bytes.len() / 1024,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Export {
            command:
                ExportCommand::Ledger {
                    db,
                    kind,
                    out,
                    encoding,
                },
        } => {
            let kind = ledger_kind(&kind)?;
            let store = open(&db).await?;
            let org_id = first_org(&store).await?;
            let rows: Vec<mamori_ledger::Row> = store
                .ledger_all(org_id, kind.id())
                .await?
                .into_iter()
                .filter(|r| !r.disabled)
                .map(|r| r.data)
                .collect();
            let name = out.to_string_lossy().to_lowercase();
            let bytes = if name.ends_with(".xlsx") {
                mamori_ledger::to_xlsx(kind, &rows)?
            } else if name.ends_with(".csv") {
                let enc = match encoding {
                    CsvEncoding::Utf8 => mamori_ledger::Encoding::Utf8Bom,
                    CsvEncoding::Cp932 => mamori_ledger::Encoding::Cp932,
                };
                mamori_ledger::to_csv(kind, &rows, enc)
            } else {
                bail!("--out の拡張子は .xlsx か .csv にしてください");
            };
            std::fs::write(&out, bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!(
                "{}（{} 行）を {} に書き出しました",
                kind.label(),
                rows.len(),
                out.display()
            );
            Ok(())
        }
        Command::Catalog {
            command:
                CatalogCommand::Import {
                    db,
                    edition,
                    fiscal_year,
                    variant,
                    user,
                    dry_run,
                    files,
                },
        } => {
            let store = open(&db).await?;
            let Some(u) = store.user_by_login(&user).await? else {
                bail!("ログインID「{user}」の利用者がいません");
            };
            if !mamori_core::roles::allowed(u.role, mamori_core::Action::ManageSettings) {
                bail!("版を取り込めるのは管理者だけです");
            }
            let org = store.org(u.org_id).await?;
            let state = AppState::new(store, catalog()?, Clock::system());
            let base = state.catalog_for(org.id).await?.without_imported(&edition);
            let mut uploads = Vec::new();
            for f in &files {
                uploads.push(mamori_report::edition_import::Upload {
                    file_name: f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    bytes: std::fs::read(f)
                        .with_context(|| format!("{} を読めません", f.display()))?,
                });
            }
            let draft = mamori_web::editions::read_uploads(
                &base,
                &edition,
                &fiscal_year,
                variant.as_deref().unwrap_or(""),
                &uploads,
            )
            .map_err(|m| anyhow::anyhow!("{m}（何も変更していません）"))?;
            for f in &draft.forms {
                use mamori_core::edition_import::Change;
                let count = |c| f.links.iter().filter(|l| l.change == c).count();
                println!(
                    "{}: {}（{}）",
                    f.provenance.file_name,
                    f.form.variant.label(),
                    f.form.title
                );
                println!("  SHA-256 {}", f.provenance.fingerprint.sha256);
                println!("  {}", f.provenance.fingerprint.verdict());
                println!(
                    "  区分 {}・項目 {}・回答する行 {}・注記 {}；シート「{}」、{}回分の確認結果の列",
                    f.form.section_ids().len(),
                    f.form.items.len(),
                    f.layout.rows.len(),
                    f.form.notes.len(),
                    f.layout.sheet,
                    f.layout.rounds.len()
                );
                println!(
                    "  前の版との違い: 変更なし {}・文言の変更 {}・新しい項目 {}・なくなった項目 {}",
                    count(Change::Same),
                    count(Change::Changed),
                    count(Change::New),
                    f.removed(&base).len()
                );
                for l in f.links.iter().filter(|l| l.change != Change::Same) {
                    let item = f.form.item_by_key(&l.key).expect("links follow items");
                    println!(
                        "    {} {}：{}{}",
                        item.label(),
                        l.change.label(),
                        item.text,
                        l.previous
                            .as_deref()
                            .map(|p| format!("（← {p}）"))
                            .unwrap_or_default()
                    );
                }
                for a in &f.ambiguities {
                    println!("  確認が必要: {a}");
                }
            }
            if dry_run {
                println!("--dry-run のため保存していません");
                return Ok(());
            }
            let id = mamori_web::editions::save_draft(&state, org.id, &draft, &uploads, &u.login)
                .await?;
            let data = serde_json::to_string(&draft)?;
            let now = Clock::system().now();
            state
                .store
                .confirm_edition_import(org.id, id, &data, &u.login, now)
                .await?;
            state.catalog_for(org.id).await?;
            println!(
                "版「{edition}」（{}）を取り込み、確定しました（取り込み番号 {id}）",
                draft.name
            );
            Ok(())
        }
        Command::Dev {
            command:
                DevCommand::EditionWorkbook {
                    edition,
                    variant,
                    layout,
                    as_variant,
                    title,
                    out,
                },
        } => {
            let catalog = catalog()?;
            let variant: Variant = variant.parse()?;
            let mut form = catalog.require_form(&edition, variant)?.clone();
            if let Some(v) = as_variant {
                form.variant = v.parse()?;
            }
            if let Some(t) = title {
                form.title = t;
            }
            let layout = mamori_report::sample_workbook::SampleLayout::parse(&layout).context(
                "--layout は rounds / columns / merged / circled / marks のいずれかです",
            )?;
            let bytes = mamori_report::sample_workbook::sample_workbook(&catalog, &form, layout)?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!(
                "{} に書き出しました（見本です。公式のファイルではありません）",
                out.display()
            );
            Ok(())
        }
        Command::Dev {
            command:
                DevCommand::Seed {
                    db,
                    devices,
                    accounts,
                },
        } => {
            let store = open(&db).await?;
            let org_id = first_org(&store).await?;
            let started = std::time::Instant::now();
            mamori_web::seed_samples(
                &store,
                org_id,
                devices,
                accounts,
                Clock::system().now(),
                |kind, done, n| eprintln!("{}: {done} / {n}", kind.label()),
            )
            .await?;
            println!(
                "見本データを作成しました: 機器 {devices} 台、利用者 {accounts} 名（{:.1} 秒）",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Ledger {
                    db,
                    kind,
                    dry_run,
                    max_rows,
                    file,
                },
        } => {
            let kind = ledger_kind(&kind)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("{} を読めません", file.display()))?;
            let parsed = match mamori_ledger::parse_file_limited(kind, &bytes, max_rows) {
                Ok(p) => p,
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    bail!(
                        "{} に {} 件の誤りがあるため、何も取り込みませんでした",
                        file.display(),
                        errors.len()
                    );
                }
            };
            if let Some(enc) = parsed.encoding {
                println!("文字コード: {}", enc.label());
            }
            for (header, key) in &parsed.columns {
                match key.and_then(|k| kind.field(k)) {
                    Some(f) => println!("  列「{header}」→ {}", f.header),
                    None if header.trim().is_empty() => {}
                    None => println!("  列「{header}」→ （取り込みません）"),
                }
            }
            for note in &parsed.notes {
                println!("  確認: {note}");
            }
            if dry_run {
                println!(
                    "{} 行を確認しました（--dry-run のため取り込んでいません）",
                    parsed.rows.len()
                );
                return Ok(());
            }
            let store = open(&db).await?;
            let org_id = first_org(&store).await?;
            let mut rows: Vec<_> = parsed.rows.into_iter().map(|(_, r)| r).collect();
            let state = AppState::new(store.clone(), catalog()?, Clock::system());
            mamori_web::device_status::annotate_rows(&state, org_id, kind, &mut rows).await?;
            let counts = store
                .import_ledger(
                    org_id,
                    kind.id(),
                    kind.identity(),
                    &rows,
                    "cli",
                    Clock::system().now(),
                )
                .await?;
            mamori_web::device_status::after_ledger_change(&state, org_id, kind).await?;
            println!(
                "{}を取り込みました: 追加 {} 行、更新 {} 行、変更なし {} 行",
                kind.label(),
                counts.added,
                counts.updated,
                counts.unchanged
            );
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Checklist {
                    db,
                    edition,
                    variant,
                    user,
                    dry_run,
                    file,
                },
        } => {
            let variant: Variant = variant
                .parse()
                .map_err(|e: mamori_core::CatalogError| anyhow::anyhow!("{e}"))?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("{} を読めません", file.display()))?;
            let store = open(&db).await?;
            let Some(u) = store.user_by_login(&user).await? else {
                bail!("ログインID「{user}」の利用者がいません");
            };
            let action = mamori_core::Action::AnswerForm(variant);
            if !mamori_core::roles::allowed(u.role, action) {
                bail!("{}", action.refusal());
            }
            let org = store.org(u.org_id).await?;
            let state = AppState::new(store, Catalog::builtin()?, Clock::system());
            let catalog = state.catalog_for(org.id).await?;
            let form = catalog.require_form(&edition, variant)?;
            match mamori_web::checklist_import::import_checklist(
                &state, &org, &u, form, &bytes, dry_run,
            )
            .await?
            {
                Ok(done) if done.dry_run => println!(
                    "{} 行の項目から {} 件の回答を確認しました（--dry-run のため保存していません）",
                    done.item_rows, done.answers
                ),
                Ok(done) => println!(
                    "{} 行の項目から {} 件の回答を保存しました（変更履歴に記録しました）",
                    done.item_rows, done.answers
                ),
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    bail!(
                        "{} に {} 件の誤りがあるため、何も保存しませんでした",
                        file.display(),
                        errors.len()
                    );
                }
            }
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Inventory { db, file },
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("{} を読めません", file.display()))?;
            let inv = mamori_web::inventory::parse_inventory(&bytes)
                .map_err(|m| anyhow::anyhow!("{}: {m}", file.display()))?;
            let store = open(&db).await?;
            let org = store.org(first_org(&store).await?).await?;
            let state = AppState::new(store, catalog()?, Clock::system());
            let done = mamori_web::inventory::import_inventory(&state, &org, "cli", &inv).await?;
            let name = if inv.hostname.is_empty() {
                &inv.machine_id
            } else {
                &inv.hostname
            };
            println!("{name}: {}", done.message);
            for c in &done.changes {
                println!("  {c}");
            }
            Ok(())
        }
        Command::Logs {
            command:
                LogsCommand::Analyze {
                    staff,
                    csv_map,
                    format,
                    year,
                    zone,
                    burst_count,
                    burst_minutes,
                    spray_accounts,
                    spray_minutes,
                    work_start,
                    work_end,
                    patients_count,
                    patients_minutes,
                    vendor_window,
                    files,
                },
        } => {
            use std::io::IsTerminal;
            if format != "text" && format != "json" {
                bail!("--format は text か json です");
            }
            let mut options = mamori_logs::Options::default();
            if let Some(y) = year {
                options.year = y;
            }
            options.zone = zone
                .parse::<chrono::FixedOffset>()
                .map_err(|_| anyhow::anyhow!("--zone「{zone}」は +09:00 の形で指定してください"))?;
            options.thresholds = mamori_logs::Thresholds {
                burst_count: burst_count.max(1),
                burst_minutes: burst_minutes.max(1),
                spray_accounts: spray_accounts.max(2),
                spray_minutes: spray_minutes.max(1),
                success_after: burst_count.clamp(1, 5),
                work_start,
                work_end,
                patients_count: patients_count.max(1),
                patients_minutes: patients_minutes.max(1),
                vendor_windows: vendor_window
                    .iter()
                    .map(|w| mamori_logs::detect::VendorWindow::parse(w))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)?,
            };
            options.csv_mapping = match mamori_logs::ehr_csv::preset(&csv_map) {
                Some(m) => m,
                None => {
                    let text = std::fs::read_to_string(&csv_map).with_context(|| {
                        format!("列の対応づけ「{csv_map}」は auto・mamori でも、読めるファイルでもありません")
                    })?;
                    mamori_logs::ehr_csv::mapping_from_json(&text).map_err(anyhow::Error::msg)?
                }
            };
            if let Some(path) = &staff {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("{} を読めません", path.display()))?;
                options.staff = Some(
                    mamori_logs::Staff::from_file(&bytes)
                        .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?,
                );
            }
            let tty = std::io::stderr().is_terminal();
            let total = files.len();
            let started = std::time::Instant::now();
            let report = mamori_logs::analyze(&files, &options, &mut |i, n| {
                if tty {
                    eprint!(
                        "\r{}/{total} {}: {n} 件（{:.1} 秒）\x1b[K",
                        i + 1,
                        files[i].display(),
                        started.elapsed().as_secs_f64()
                    );
                }
            });
            if tty {
                eprintln!();
            }
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", mamori_logs::to_text(&report));
            }
            // A file that gave nothing is a failure, not "nothing found": a scheduled job must see it.
            let empty: Vec<String> = report
                .files
                .iter()
                .filter(|f| f.records == 0)
                .map(|f| f.path.clone())
                .collect();
            if !empty.is_empty() {
                // The reasons are in the report's 「注意」 lines (or its JSON "errors"); not repeated here.
                anyhow::bail!(
                    "記録を1件も読めなかったファイルがあります: {}（理由は結果の「注意」・errors を見てください）",
                    empty.join("、")
                );
            }
            Ok(())
        }
        Command::Agent {
            command: AgentCommand::Collect { out },
        } => {
            let line = mamori_agent::cli::collect_to_file(&out).map_err(anyhow::Error::msg)?;
            println!("{line}");
            Ok(())
        }
        Command::Agent {
            command: AgentCommand::Run(args),
        } => {
            // The agent's loop blocks (it sleeps between inventories): off the async runtime.
            tokio::task::spawn_blocking(move || mamori_agent::cli::run_agent(&args))
                .await?
                .map_err(anyhow::Error::msg)
        }
        Command::Agent {
            command: AgentCommand::EnrollToken { db, label, days },
        } => {
            let store = open(&db).await?;
            let org = first_org(&store).await?;
            let state = AppState::new(store, catalog()?, Clock::system());
            let token =
                mamori_web::inventory::create_enrollment(&state, org, &label, days, "cli").await?;
            println!("{token}");
            eprintln!(
                "登録用トークンを発行しました（{days}日間、何台でも登録に使えます。表示はこの1回だけです）。各機器で:\n  mamori-agent run --server https://（このサーバ） --enroll-token {token}"
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    login,
                    name,
                    role,
                    password_stdin,
                },
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
        Command::Backup { db, dir, keep } => {
            let store = open(&db).await?;
            let m = store
                .backup_and_record(&dir, keep, Clock::system().now())
                .await?;
            println!(
                "バックアップを作成しました: {}（{} バイト、SHA-256 {}、監査記録 {} 件）",
                dir.join(&m.file).display(),
                m.size,
                m.sha256,
                m.audit_records
            );
            Ok(())
        }
        Command::Restore {
            dir,
            generation,
            db,
        } => {
            let (Some(generation), Some(db)) = (generation, db) else {
                let gens = mamori_store::backup::list_generations(&dir)?;
                if gens.is_empty() {
                    bail!("{} にバックアップはありません", dir.display());
                }
                println!("世代一覧（--generation で指定し、--db で復元先を指定してください）:");
                for g in gens {
                    println!(
                        "  {}  {} バイト  監査記録 {} 件",
                        g.generation, g.size, g.audit_records
                    );
                }
                return Ok(());
            };
            let m = mamori_store::backup::restore(&dir, &generation, &db).await?;
            println!(
                "世代 {} を {} に復元しました（SHA-256 と監査記録を確認済み）",
                m.generation,
                mamori_store::redact_url(&db)
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let store = open(&db).await?;
            match store.verify_audit_chain().await? {
                Ok(n) => {
                    println!("監査記録 {n} 件の連鎖は正常です");
                    Ok(())
                }
                Err(broken) => bail!("監査記録の連鎖が壊れています。{broken}"),
            }
        }
        Command::Healthcheck { listen } => healthcheck(listen).await,
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).with_context(|| {
        format!("権限「{s}」はありません（admin, editor, viewer, vendor のいずれか）")
    })
}

/// A new password from the first line of standard input, checked against the R7 password rule and
/// common passwords (`personal`: the login, name and facility it must not resemble).
/// The organisation `--org` names, or the first one.
async fn org_or_first(store: &mamori_store::Store, org: Option<i64>) -> Result<i64> {
    match org {
        Some(id) => Ok(store.org(id).await?.id),
        None => store
            .first_org_id()
            .await?
            .context("初期設定がまだです（mamori init または mamori serve の初期設定画面）"),
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

/// GET /healthz over plain HTTP/1.1 on the local address.
async fn healthcheck(addr: SocketAddr) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("{addr} に接続できません"))?;
        s.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        anyhow::Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    let resp = tokio::time::timeout(std::time::Duration::from_secs(5), fut)
        .await
        .context("応答がありません（5秒）")??;
    if resp.starts_with("HTTP/1.1 200") {
        println!("正常です");
        Ok(())
    } else {
        bail!("異常な応答: {}", resp.lines().next().unwrap_or(""))
    }
}
