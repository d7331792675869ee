//! `mamori catalog …`: Checklist editions from MHLW workbooks.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum CatalogCommand {
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

pub(crate) async fn run(command: CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::Import {
            db,
            edition,
            fiscal_year,
            variant,
            user,
            dry_run,
            files,
        } => {
            let store = open(&db).await?;
            let Some(u) = store.user_by_login(&user).await? else {
                bail!("ログインID「{user}」の利用者がいません");
            };
            if !mamori_core::roles::allowed(u.role, mamori_core::Action::ManageSettings) {
                bail!("版を取り込めるのは管理者だけです");
            }
            let org = store.org(u.org_id).await?;
            let app = App::new(store, catalog()?, Clock::system());
            let base = app.catalog_for(org.id).await?.without_imported(&edition);
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
            let draft = mamori_app::editions::read_uploads(
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
            let id =
                mamori_app::editions::save_draft(&app, org.id, &draft, &uploads, &u.login).await?;
            let data = serde_json::to_string(&draft)?;
            let now = Clock::system().now();
            app.store
                .confirm_edition_import(org.id, id, &data, &u.login, now)
                .await?;
            app.catalog_for(org.id).await?;
            println!(
                "版「{edition}」（{}）を取り込み、確定しました（取り込み番号 {id}）",
                draft.name
            );
            Ok(())
        }
    }
}
