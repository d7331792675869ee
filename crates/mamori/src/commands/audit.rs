//! `mamori audit …`: The audit trail.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// 監査記録のハッシュの連鎖を先頭から検証し、壊れていれば最初の記録を示します
    ///
    /// 連鎖のほか、回答が監査記録のとおりであることも確かめます。--backup-dir を指定すると、そのフォルダの
    /// バックアップのマニフェストに書かれた連鎖の先頭が、今の連鎖に残っているかも確かめます（データベースを
    /// 書き換えられる人が連鎖を計算し直しても、それより前のバックアップと食い違います）。
    Verify {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
        /// 照合するバックアップのフォルダ（serve の --backup-dir と同じもの）
        #[arg(long)]
        backup_dir: Option<std::path::PathBuf>,
        /// 立入検査用資料の表紙などに印刷された連鎖の先頭（64 桁。今の連鎖に残っているかを確かめます）
        #[arg(long)]
        head: Vec<String>,
    },
}

pub(crate) async fn run(command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify {
            db,
            backup_dir,
            head,
        } => {
            let store = open(&db).await?;
            let n = match store.verify_audit_chain().await? {
                Ok(n) => n,
                Err(broken) => bail!("監査記録の連鎖が壊れています。{broken}"),
            };
            println!("監査記録 {n} 件の連鎖は正常です。回答は監査記録のとおりです");
            let hashes = store.audit_hashes().await?;
            for h in &head {
                let h = h.trim().to_ascii_lowercase();
                if !mamori_store::head_in_chain(&hashes, &h) {
                    bail!(
                        "書き留めた連鎖の先頭 {h} が今の連鎖にありません。その後に監査記録が計算し直された（差し替えられた）疑いがあります"
                    );
                }
                println!("書き留めた連鎖の先頭 {h} は今の連鎖にあります");
            }
            if let Some(dir) = backup_dir {
                let manifests = mamori_store::backup::list_generations(&dir)?;
                let missing: Vec<String> = manifests
                    .iter()
                    .filter(|m| !mamori_store::head_in_chain(&hashes, &m.audit_head))
                    .map(|m| m.generation.clone())
                    .collect();
                if !missing.is_empty() {
                    bail!(
                        "バックアップ（世代 {}）に書き留めた監査記録の連鎖の先頭が、今の連鎖にありません。その後に監査記録が計算し直された（差し替えられた）疑いがあります",
                        missing.join("、")
                    );
                }
                println!(
                    "バックアップ {} 世代に書き留めた連鎖の先頭は、すべて今の連鎖にあります",
                    manifests.len()
                );
            }
            Ok(())
        }
    }
}
