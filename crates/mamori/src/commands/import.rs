//! `mamori import …`: Imports: ledgers, agent inventories, filled-in checklists.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
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

pub(crate) async fn run(command: ImportCommand) -> Result<()> {
    match command {
        ImportCommand::Ledger {
            db,
            kind,
            dry_run,
            max_rows,
            file,
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
            let rows: Vec<_> = parsed.rows.into_iter().map(|(_, r)| r).collect();
            let app = App::new(store.clone(), catalog()?, Clock::system());
            let counts = mamori_app::ledgers::import_rows(&app, org_id, kind, rows, "cli").await?;
            println!(
                "{}を取り込みました: 追加 {} 行、更新 {} 行、変更なし {} 行",
                kind.label(),
                counts.added,
                counts.updated,
                counts.unchanged
            );
            Ok(())
        }
        ImportCommand::Checklist {
            db,
            edition,
            variant,
            user,
            dry_run,
            file,
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
            let app = App::new(store, Catalog::builtin()?, Clock::system());
            let catalog = app.catalog_for(org.id).await?;
            let form = catalog.require_form(&edition, variant)?;
            match mamori_app::checklist_import::import_checklist(
                &app, &org, &u, form, &bytes, dry_run,
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
        ImportCommand::Inventory { db, file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("{} を読めません", file.display()))?;
            let inv = mamori_app::inventory::parse_inventory(&bytes)
                .map_err(|m| anyhow::anyhow!("{}: {m}", file.display()))?;
            let store = open(&db).await?;
            let org = store.org(first_org(&store).await?).await?;
            let app = App::new(store, catalog()?, Clock::system());
            let done = mamori_app::inventory::import_inventory(&app, &org, "cli", &inv).await?;
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
    }
}
