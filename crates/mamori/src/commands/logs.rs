//! `mamori logs …`: Log analysis.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum LogsCommand {
    /// ログを読み、イベントの件数、アカウント別のログオン、検出（チェックリストの項目つき）を表示します。
    /// 形式（EVTX／syslog／CSV）はファイルの中身から判断します
    Analyze {
        /// 利用者台帳（CSV または xlsx）。退職・無効・台帳にないアカウントの利用を検出します
        #[arg(long)]
        staff: Option<PathBuf>,
        /// アクセスログ CSV の列の対応づけ（auto, mamori、または JSON ファイル）
        #[arg(long, default_value = "auto")]
        csv_map: String,
        /// text または json
        #[arg(long, default_value = "text")]
        format: String,
        /// 年のない syslog の行（RFC 3164）の年（省略時は今年）
        #[arg(long)]
        year: Option<i32>,
        /// 年のない syslog の行の時差（例 +09:00）
        #[arg(long, default_value = "+09:00")]
        zone: String,
        /// 何回のログオン失敗で「連続した失敗」とするか（--burst-minutes 分間に）
        #[arg(long, default_value_t = 10)]
        burst_count: usize,
        #[arg(long, default_value_t = 10)]
        burst_minutes: i64,
        /// 1つの接続元から何アカウント試されたら「パスワードスプレー」とするか（--spray-minutes 分間に）
        #[arg(long, default_value_t = 5)]
        spray_accounts: usize,
        #[arg(long, default_value_t = 30)]
        spray_minutes: i64,
        /// 診療時間（時、日本時間）: この時刻より前と --work-end 以降の利用を時間外とします
        #[arg(long, default_value_t = 7)]
        work_start: u32,
        #[arg(long, default_value_t = 21)]
        work_end: u32,
        /// 1人が --patients-minutes 分間に開いた患者の数の上限
        #[arg(long, default_value_t = 100)]
        patients_count: usize,
        #[arg(long, default_value_t = 60)]
        patients_minutes: i64,
        /// 保守事業者のアカウントと承認した時間（日本時間）。例 vendor01=13:00-17:00（複数可）
        #[arg(long)]
        vendor_window: Vec<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub(crate) async fn run(command: LogsCommand) -> Result<()> {
    match command {
        LogsCommand::Analyze {
            staff,
            csv_map,
            format,
            year,
            zone,
            burst_count,
            burst_minutes,
            spray_accounts,
            spray_minutes,
            work_start,
            work_end,
            patients_count,
            patients_minutes,
            vendor_window,
            files,
        } => {
            use std::io::IsTerminal;
            if format != "text" && format != "json" {
                bail!("--format は text か json です");
            }
            let mut options = mamori_logs::Options::at(&Clock::system());
            if let Some(y) = year {
                options.year = y;
            }
            options.zone = zone
                .parse::<chrono::FixedOffset>()
                .map_err(|_| anyhow::anyhow!("--zone「{zone}」は +09:00 の形で指定してください"))?;
            options.thresholds = mamori_logs::Thresholds {
                burst_count: burst_count.max(1),
                burst_minutes: burst_minutes.max(1),
                spray_accounts: spray_accounts.max(2),
                spray_minutes: spray_minutes.max(1),
                success_after: burst_count.clamp(1, 5),
                work_start,
                work_end,
                patients_count: patients_count.max(1),
                patients_minutes: patients_minutes.max(1),
                vendor_windows: vendor_window
                    .iter()
                    .map(|w| mamori_logs::detect::VendorWindow::parse(w))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)?,
            };
            options.csv_mapping = match mamori_logs::ehr_csv::preset(&csv_map) {
                Some(m) => m,
                None => {
                    let text = std::fs::read_to_string(&csv_map).with_context(|| {
                        format!("列の対応づけ「{csv_map}」は auto・mamori でも、読めるファイルでもありません")
                    })?;
                    mamori_logs::ehr_csv::mapping_from_json(&text).map_err(anyhow::Error::msg)?
                }
            };
            if let Some(path) = &staff {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("{} を読めません", path.display()))?;
                options.staff = Some(
                    mamori_logs::Staff::from_file(&bytes)
                        .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?,
                );
            }
            let tty = std::io::stderr().is_terminal();
            let total = files.len();
            let started = std::time::Instant::now();
            let report = mamori_logs::analyze(&files, &options, &mut |i, n| {
                if tty {
                    eprint!(
                        "\r{}/{total} {}: {n} 件（{:.1} 秒）\x1b[K",
                        i + 1,
                        files[i].display(),
                        started.elapsed().as_secs_f64()
                    );
                }
            });
            if tty {
                eprintln!();
            }
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", mamori_logs::to_text(&report));
            }
            // A file that gave nothing is a failure, not "nothing found": a scheduled job must see it.
            let empty: Vec<String> = report
                .files
                .iter()
                .filter(|f| f.records == 0)
                .map(|f| f.path.clone())
                .collect();
            if !empty.is_empty() {
                // The reasons are in the report's 「注意」 lines (or its JSON "errors"); not repeated here.
                anyhow::bail!(
                    "記録を1件も読めなかったファイルがあります: {}（理由は結果の「注意」・errors を見てください）",
                    empty.join("、")
                );
            }
            Ok(())
        }
    }
}
