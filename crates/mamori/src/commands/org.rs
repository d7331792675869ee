//! `mamori org …` and `mamori operator …`: hosting many organisations in one deployment (the hosting
//! operator's work: organisations created, listed, suspended, resumed, grouped; members let in).

use crate::*;
use mamori_store::OrgStatus;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum AnyKind {
    Clinic,
    Hospital,
    Pharmacy,
    /// 事業者（ベンダー）
    Vendor,
    /// グループ（医療法人・医師会など、複数の施設をまとめる）
    Group,
}

impl From<AnyKind> for OrgKind {
    fn from(k: AnyKind) -> Self {
        match k {
            AnyKind::Clinic => OrgKind::Clinic,
            AnyKind::Hospital => OrgKind::Hospital,
            AnyKind::Pharmacy => OrgKind::Pharmacy,
            AnyKind::Vendor => OrgKind::Vendor,
            AnyKind::Group => OrgKind::Group,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    /// 組織と最初の管理者を作成します（管理者のパスワードは標準入力の1行目）
    Create {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long, value_enum)]
        kind: AnyKind,
        #[arg(long)]
        name: String,
        /// 所属するグループの番号（施設のみ）
        #[arg(long)]
        group: Option<i64>,
        /// 記録に残る運用管理者の名前
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
        #[command(flatten)]
        first: crate::commands::init::FirstAdminArgs,
    },
    /// 組織の一覧（番号・種別・名前・状態・グループ・利用者数・回答数・台帳の行数・最終操作）
    List {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
    },
    /// 組織を停止します（利用者はログインできず、APIトークンも使えなくなります。データは消えません）
    Suspend {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: i64,
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
    },
    /// 停止した組織を再開します
    Resume {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: i64,
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
    },
    /// 施設をグループに入れます（--group を省くとグループから外します）
    SetGroup {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: i64,
        #[arg(long)]
        group: Option<i64>,
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
    },
    /// 1つの組織のデータ（回答・台帳・事業者確認用・ログ分析・取り込んだ版・利用者・変更履歴）をファイルに書き出します。
    /// 別の環境へ移るときに使います（APIトークンとエージェントの登録は含みません。移行先で発行し直します）
    Export {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// mamori org export のファイルを、この環境の新しい組織として取り込みます（すべてか、何もしないか）
    Import {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
    },
    /// 別の組織の利用者を、この組織にも権限つきで加えます（グループの事務長、事業者の担当者など）
    AddMember {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        org: i64,
        #[arg(long)]
        login: String,
        /// admin, editor, viewer, vendor
        #[arg(long)]
        role: String,
        #[arg(long, env = "USER", default_value = "cli")]
        operator: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum OperatorCommand {
    /// 運用管理者を追加します（パスワードは標準入力の1行目）。運用管理者は組織の回答・台帳・ログを見られません
    Add {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub(crate) async fn run(command: OrgCommand) -> Result<()> {
    let now = Clock::system().now();
    match command {
        OrgCommand::Create {
            db,
            kind,
            name,
            group,
            operator,
            first,
        } => {
            let (org, first) = first.read(kind.into(), &name)?;
            let admin = first.login.clone();
            let store = open(&db).await?;
            let group = group.map(mamori_core::OrgId::new);
            let (org, _) =
                mamori_app::hosting::create_org(&store, &org, first, group, &operator, now).await?;
            println!(
                "組織 {} を作成しました: {}「{}」、管理者 {admin}",
                org.id,
                org.kind.label(),
                org.name
            );
        }
        OrgCommand::List { db } => {
            let store = open(&db).await?;
            println!("番号\t種別\t名前\t状態\tグループ\t利用者\t回答\t台帳の行\t最終操作");
            for u in store.orgs_overview().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    u.org.id,
                    u.org.kind.label(),
                    u.org.name,
                    u.org.status.label(),
                    u.org.group_id.map(|g| g.to_string()).unwrap_or_default(),
                    u.users,
                    u.answers,
                    u.ledger_rows,
                    u.last_activity.unwrap_or_default()
                );
            }
        }
        OrgCommand::Suspend { db, org, operator } => {
            let store = open(&db).await?;
            let org = mamori_core::OrgId::new(org);
            let org =
                mamori_app::hosting::set_status(&store, org, OrgStatus::Suspended, &operator, now)
                    .await?;
            println!(
                "組織 {}「{}」を停止しました（利用者はログインできません。データはそのままです）",
                org.id, org.name
            );
        }
        OrgCommand::Resume { db, org, operator } => {
            let store = open(&db).await?;
            let org = mamori_core::OrgId::new(org);
            let org =
                mamori_app::hosting::set_status(&store, org, OrgStatus::Active, &operator, now)
                    .await?;
            println!("組織 {}「{}」を再開しました", org.id, org.name);
        }
        OrgCommand::SetGroup {
            db,
            org,
            group,
            operator,
        } => {
            let store = open(&db).await?;
            let actor = mamori_app::hosting::operator_actor(&operator);
            let org = mamori_core::OrgId::new(org);
            store
                .set_org_group(org, group.map(mamori_core::OrgId::new), &actor, now)
                .await?;
            match group {
                Some(g) => println!("組織 {org} をグループ {g} に入れました"),
                None => println!("組織 {org} をグループから外しました"),
            }
        }
        OrgCommand::Export { db, org, out } => {
            let store = open(&db).await?;
            let doc = store.export_org(mamori_core::OrgId::new(org), now).await?;
            let text = serde_json::to_vec(&doc)?;
            std::fs::write(&out, &text)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!(
                "組織 {org}「{}」を書き出しました: {}（{} バイト）",
                doc["org"]["name"].as_str().unwrap_or_default(),
                out.display(),
                text.len()
            );
        }
        OrgCommand::Import { db, file, operator } => {
            let text =
                std::fs::read(&file).with_context(|| format!("{} を開けません", file.display()))?;
            let doc: serde_json::Value = serde_json::from_slice(&text).with_context(|| {
                format!(
                    "{} は組織の書き出しファイル（JSON）として読めません",
                    file.display()
                )
            })?;
            let store = open(&db).await?;
            let imported = store
                .import_org(&doc, &mamori_app::hosting::operator_actor(&operator), now)
                .await?;
            let counts: Vec<String> = imported
                .counts
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect();
            println!(
                "組織 {}「{}」として取り込みました（{}）",
                imported.org.id,
                imported.org.name,
                counts.join("、")
            );
        }
        OrgCommand::AddMember {
            db,
            org,
            login,
            role,
            operator,
        } => {
            let role = parse_role(&role)?;
            let store = open(&db).await?;
            let org = mamori_core::OrgId::new(org);
            store
                .add_membership(
                    org,
                    &login,
                    role,
                    &mamori_app::hosting::operator_actor(&operator),
                    now,
                )
                .await?;
            println!("{login} を組織 {org} の{}にしました", role.label());
        }
    }
    Ok(())
}

pub(crate) async fn run_operator(command: OperatorCommand) -> Result<()> {
    match command {
        OperatorCommand::Add {
            db,
            login,
            name,
            password_stdin,
        } => {
            debug_assert!(password_stdin);
            let password = read_password(&[&login, name.as_deref().unwrap_or("")])?;
            let name = name.unwrap_or_else(|| login.clone());
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await?;
            let store = open(&db).await?;
            store
                .add_operator(&login, &name, &hash, Clock::system().now())
                .await?;
            println!("運用管理者 {login} を追加しました（/operator からログインします）");
        }
    }
    Ok(())
}
