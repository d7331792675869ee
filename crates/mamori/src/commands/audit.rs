//! `mamori audit …`: The audit trail.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// 監査記録のハッシュの連鎖を先頭から検証し、壊れていれば最初の記録を示します
    Verify {
        #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
        db: String,
    },
}

pub(crate) async fn run(command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify { db } => {
            let store = open(&db).await?;
            match store.verify_audit_chain().await? {
                Ok(n) => {
                    println!("監査記録 {n} 件の連鎖は正常です");
                    Ok(())
                }
                Err(broken) => bail!("監査記録の連鎖が壊れています。{broken}"),
            }
        }
    }
}
