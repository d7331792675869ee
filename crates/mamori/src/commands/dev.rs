//! `mamori dev …`: Development and benchmark helpers.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum DevCommand {
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

pub(crate) async fn run(command: DevCommand) -> Result<()> {
    match command {
        DevCommand::EditionWorkbook {
            edition,
            variant,
            layout,
            as_variant,
            title,
            out,
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
        DevCommand::Seed {
            db,
            devices,
            accounts,
        } => {
            let store = open(&db).await?;
            let org_id = first_org(&store).await?;
            let started = std::time::Instant::now();
            mamori_app::setup::seed_samples(
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
    }
}
