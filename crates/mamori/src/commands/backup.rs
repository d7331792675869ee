//! `mamori backup` and `mamori restore`: backups and restores.

use crate::*;

#[derive(clap::Args)]
pub(crate) struct Backup {
    #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
    pub(crate) db: String,
    /// 保存先のフォルダ（USBディスクやネットワークから切り離せる場所を推奨）
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// 残す世代数
    #[arg(long, default_value_t = 7)]
    pub(crate) keep: usize,
}

pub(crate) async fn run_backup(args: Backup) -> Result<()> {
    let Backup { db, dir, keep } = args;
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

#[derive(clap::Args)]
pub(crate) struct Restore {
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// 世代（例 20261123T020000Z）。省略時は一覧を表示します
    #[arg(long)]
    pub(crate) generation: Option<String>,
    /// 復元先：SQLite は存在しないファイル、PostgreSQL は空のデータベースの postgres:// URL
    #[arg(long)]
    pub(crate) db: Option<String>,
}

pub(crate) async fn run_restore(args: Restore) -> Result<()> {
    let Restore {
        dir,
        generation,
        db,
    } = args;
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
