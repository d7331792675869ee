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
    #[command(flatten)]
    pub(crate) first: FirstAdminArgs,
}

/// The organisation's officer and contract, and its first administrator: what `init` and `org create`
/// both ask for.
#[derive(clap::Args)]
pub(crate) struct FirstAdminArgs {
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

impl FirstAdminArgs {
    /// The new organisation and its administrator, the password read from standard input and checked
    /// against the login, the name and the organisation's name.
    pub(crate) fn read(
        self,
        kind: OrgKind,
        name: &str,
    ) -> Result<(NewOrg, mamori_app::setup::FirstAdmin)> {
        debug_assert!(self.password_stdin);
        let password =
            read_password(&[&self.admin, self.admin_name.as_deref().unwrap_or(""), name])?;
        let admin_name = self.admin_name.unwrap_or_else(|| self.admin.clone());
        let org = NewOrg {
            kind,
            name: name.trim().into(),
            security_officer: self.security_officer.unwrap_or_else(|| admin_name.clone()),
            has_vendor_contract: !self.no_vendor_contract,
        };
        let first = mamori_app::setup::FirstAdmin {
            login: self.admin,
            display_name: admin_name,
            password,
        };
        Ok((org, first))
    }
}

pub(crate) async fn run(args: Init) -> Result<()> {
    let Init {
        db,
        org_kind,
        org_name,
        first,
    } = args;
    let (org, first) = first.read(org_kind.into(), &org_name)?;
    if org_name.trim().is_empty() {
        bail!("施設名（--org-name）を指定してください");
    }
    let admin = first.login.clone();
    let store = open(&db).await?;
    let (org, _) = mamori_app::setup::set_up(&store, &org, first, Clock::system().now()).await?;
    println!(
        "初期設定が完了しました: {}「{}」、管理者 {admin}",
        org.kind.label(),
        org.name
    );
    Ok(())
}
