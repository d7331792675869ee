//! `mamori init …`: First-run set-up from the command line.

use crate::*;

#[derive(clap::Args)]
pub(crate) struct Init {
    #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
    pub(crate) db: String,
    #[arg(long, value_enum)]
    pub(crate) org_kind: Kind,
    #[arg(long)]
    pub(crate) org_name: String,
    /// 医療情報システム安全管理責任者の氏名（省略時は管理者の氏名）
    #[arg(long)]
    pub(crate) security_officer: Option<String>,
    /// 事業者（ベンダー）との契約がない場合に指定（2(2)・2(3)が記入不要になります）
    #[arg(long)]
    pub(crate) no_vendor_contract: bool,
    /// 管理者のログインID
    #[arg(long)]
    pub(crate) admin: String,
    /// 管理者の氏名（省略時はログインID）
    #[arg(long)]
    pub(crate) admin_name: Option<String>,
    /// パスワードを標準入力の1行目から読みます
    #[arg(long, required = true)]
    pub(crate) password_stdin: bool,
}

pub(crate) async fn run(args: Init) -> Result<()> {
    let Init {
        db,
        org_kind,
        org_name,
        security_officer,
        no_vendor_contract,
        admin,
        admin_name,
        password_stdin,
    } = args;
    debug_assert!(password_stdin);
    let password = read_password(&[&admin, admin_name.as_deref().unwrap_or(""), &org_name])?;
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
    let first = mamori_app::setup::FirstAdmin {
        login: admin.clone(),
        display_name: admin_name,
        password,
    };
    let store = open(&db).await?;
    let (org, _) = mamori_app::setup::set_up(&store, &org, first, Clock::system().now()).await?;
    println!(
        "初期設定が完了しました: {}「{}」、管理者 {admin}",
        org.kind.label(),
        org.name
    );
    Ok(())
}
