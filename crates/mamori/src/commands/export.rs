//! `mamori export …`: Exports: the checklist (xlsx/PDF), the inspection pack, ledgers.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum ExportCommand {
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

pub(crate) async fn run(command: ExportCommand) -> Result<()> {
    match command {
        ExportCommand::Checklist {
            db,
            edition,
            variant,
            vendor,
            out,
        } => {
            let variant: Variant = variant.parse()?;
            let store = open(&db).await?;
            let Some(org_id) = store.first_org_id().await? else {
                bail!("初期設定がまだです（mamori init または mamori serve の初期設定画面）");
            };
            let org = store.org(org_id).await?;
            let app = App::new(store, catalog()?, Clock::system());
            // The organisation's catalog: built-in editions and those it imported.
            let catalog = app.catalog_for(org.id).await?;
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
                        mamori_app::vendor_forms::vendor_form_of(&app, &org, id, &edition)
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
                        mamori_app::documents::form_pdf(&app, &org, form, recorded).await?
                    }
                    (false, Some((name, answers))) => {
                        mamori_app::vendor_forms::vendor_form_xlsx(
                            &app, &org, &name, &answers, &edition,
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
            let bytes = mamori_app::workbooks::checklist_workbook(&app, &org, form).await?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            println!("{} に書き出しました", out.display());
            Ok(())
        }
        ExportCommand::Pack { db, edition, out } => {
            let store = open(&db).await?;
            let org = store.org(first_org(&store).await?).await?;
            let app = App::new(store, catalog()?, Clock::system());
            app.catalog_for(org.id).await?;
            let edition = app.edition_or_current(&org, edition.as_deref());
            if edition.is_empty() {
                bail!("使える版がありません");
            }
            let started = std::time::Instant::now();
            let pdf = mamori_app::documents::inspection_pack(&app, &org, &edition).await?;
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
        ExportCommand::Ledger {
            db,
            kind,
            out,
            encoding,
        } => {
            let kind = ledger_kind(&kind)?;
            let store = open(&db).await?;
            let org_id = first_org(&store).await?;
            let rows: Vec<mamori_ledger::Row> = store
                .ledger_all(org_id, kind)
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
    }
}
