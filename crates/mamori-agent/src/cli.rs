//! The agent's commands, shared by `mamori agent …` and the `mamori-agent` binary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::{RunOptions, default_state_file, run};

#[derive(clap::Args, Debug, Clone)]
pub struct AgentArgs {
    /// サーバの URL（https://…）
    #[arg(long, env = "MAMORI_SERVER")]
    pub server: String,
    /// 管理者が発行した登録用トークン（初回の登録に使います。登録後は不要）
    #[arg(long, env = "MAMORI_ENROLL_TOKEN")]
    pub enroll_token: Option<String>,
    /// サーバ証明書を確かめる CA 証明書（PEM）。院内の自己署名証明書のときに指定します
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// 資格情報の保存先（省略時: Linux /var/lib/mamori-agent/agent.json、Windows %ProgramData%\Mamori\agent.json）
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// 一覧を送る間隔（時間）
    #[arg(long, default_value_t = 6)]
    pub every_hours: u64,
    /// 1回だけ送って終わります（送れなければ終了コード 1）
    #[arg(long)]
    pub once: bool,
    /// 1回の送信で試す回数（失敗のたびに待ち時間を倍にします）
    #[arg(long, default_value_t = 6)]
    pub tries: u32,
    /// 最初の再試行までの秒数
    #[arg(long, default_value_t = 5)]
    pub retry_seconds: u64,
}

/// `collect --out FILE`: the inventory as JSON, and a line saying what it holds.
pub fn collect_to_file(out: &Path) -> Result<String, String> {
    let started = std::time::Instant::now();
    let inv = crate::collect();
    let json = serde_json::to_vec_pretty(&inv).expect("inventory serialises");
    std::fs::write(out, json).map_err(|e| format!("{} に書き込めません: {e}", out.display()))?;
    let mut line = format!(
        "{} に書き出しました（{}、パッケージ {} 件、アカウント {} 件、待ち受けポート {} 件、{:.2} 秒）",
        out.display(),
        if inv.os.is_empty() {
            "OS 不明"
        } else {
            &inv.os
        },
        inv.packages.len(),
        inv.accounts.len(),
        inv.listeners.len(),
        started.elapsed().as_secs_f64()
    );
    for p in &inv.problems {
        line.push_str(&format!("\n  読めなかったもの: {p}"));
    }
    Ok(line)
}

/// `run`: enrol when needed, then post inventories.
pub fn run_agent(args: &AgentArgs) -> Result<(), String> {
    let mut opts = RunOptions::new(
        &args.server,
        args.state.clone().unwrap_or_else(default_state_file),
    );
    opts.enroll_token = args.enroll_token.clone();
    opts.ca_file = args.ca.clone();
    opts.interval = Duration::from_secs(args.every_hours.max(1) * 3600);
    opts.once = args.once;
    opts.tries = args.tries.max(1);
    opts.first_backoff = Duration::from_secs(args.retry_seconds.max(1));
    run(&opts, &crate::collect, &mut |line| {
        eprintln!("[{}] {line}", crate::linux::rfc3339(now_secs()))
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
