//! The agent's commands, shared by `mamori agent …` and the `mamori-agent` binary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::{RunOptions, default_state_file, run};
use mamori_service::{AGENT, Stop};

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

fn options(args: &AgentArgs) -> RunOptions {
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
    opts
}

/// `run`: enrol when needed, then post inventories.
pub fn run_agent(args: &AgentArgs) -> Result<(), String> {
    run(&options(args), &crate::collect, &mut |line| {
        eprintln!("[{}] {line}", crate::linux::rfc3339(now_secs()))
    })
}

/// `mamori-agent service …`: the agent as a Windows service.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum ServiceCommand {
    /// Windows のサービスとして登録します。先にサーバへ登録して一覧を1回送り（登録用トークンを使います）、資格情報を %ProgramData%\Mamori に保存します。管理者として実行してください
    Install(AgentArgs),
    /// サービスを停止し、登録を削除します（資格情報とログは残ります）
    Uninstall,
    /// サービスを開始します
    Start,
    /// サービスを停止します
    Stop,
    /// サービスの状態を表示します
    Status,
    /// サービス管理から起動されるコマンドです（手動では run を使ってください）
    #[command(hide = true)]
    Run(AgentArgs),
}

/// Runs a service command; the text to show on success.
pub fn service(command: ServiceCommand) -> Result<String, String> {
    match command {
        ServiceCommand::Install(args) => install_service(args),
        ServiceCommand::Uninstall => mamori_service::uninstall(&AGENT).map(|()| {
            format!(
                "サービス「{}」を削除しました（資格情報とログは残っています。既定の場所は {}）",
                AGENT.display_name,
                mamori_service::data_dir().display()
            )
        }),
        ServiceCommand::Start => mamori_service::start(&AGENT)
            .map(|()| format!("サービス「{}」を開始しました", AGENT.display_name)),
        ServiceCommand::Stop => mamori_service::stop(&AGENT)
            .map(|()| format!("サービス「{}」を停止しました", AGENT.display_name)),
        ServiceCommand::Status => mamori_service::status(&AGENT)
            .map(|s| format!("サービス「{}」: {s}", AGENT.display_name)),
        ServiceCommand::Run(args) => {
            mamori_service::run(&AGENT, Box::new(move |stop| run_as_service(&args, stop)))
                .map(|()| String::new())
        }
    }
}

/// The service's command line after the program: the run options, without the enrolment token (the
/// service's command line is readable by every user; the credential file is not).
pub fn service_arguments(args: &AgentArgs, state: &Path) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = vec![
        "service".into(),
        "run".into(),
        "--server".into(),
        args.server.clone().into(),
        "--state".into(),
        state.into(),
        "--every-hours".into(),
        args.every_hours.max(1).to_string().into(),
    ];
    if let Some(ca) = &args.ca {
        out.push("--ca".into());
        out.push(
            std::path::absolute(ca)
                .unwrap_or_else(|_| ca.clone())
                .into(),
        );
    }
    out
}

fn install_service(args: AgentArgs) -> Result<String, String> {
    if !cfg!(windows) {
        return Err(mamori_service::NOT_WINDOWS.into());
    }
    let dir = mamori_service::data_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("フォルダ {} を作れません: {e}", dir.display()))?;
    let mut notes = Vec::new();
    if let Err(e) = mamori_service::restrict_to_admins(&dir) {
        notes.push(format!(
            "注意: フォルダの権限を管理者だけにできませんでした（{e}）"
        ));
    }
    let state = args.state.clone().unwrap_or_else(default_state_file);
    // Enrol and send once now: a wrong address or token shows here, not in a log later.
    let mut first = args.clone();
    first.once = true;
    first.state = Some(state.clone());
    run_agent(&first)?;
    let exe =
        std::env::current_exe().map_err(|e| format!("このプログラムの場所が分かりません: {e}"))?;
    mamori_service::install(&AGENT, &exe, &service_arguments(&args, &state))?;
    notes.push(format!(
        "サービス「{}」を登録しました（Windows の起動時に自動で開始し、{} 時間ごとに一覧を送ります）。\n今すぐ開始するには: mamori-agent service start\nログ: {}",
        AGENT.display_name,
        args.every_hours.max(1),
        mamori_service::win_join(&log_dir(&state), "mamori-agent.log").display()
    ));
    Ok(notes.join("\n"))
}

/// The service's log folder: `logs` beside the credential file the install named (a service's own
/// environment may put %ProgramData% elsewhere, as Wine does).
fn log_dir(state: &Path) -> PathBuf {
    let dir = state
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(mamori_service::data_dir);
    mamori_service::win_join(&dir, "logs")
}

/// The body of the service: the run loop, its lines in the log file, until the stop request.
fn run_as_service(args: &AgentArgs, stop: Stop) -> Result<(), String> {
    use std::io::Write;
    let state = args.state.clone().unwrap_or_else(default_state_file);
    let mut log = mamori_service::open_log(&log_dir(&state), "mamori-agent")?;
    let mut opts = options(args);
    opts.once = false;
    opts.stop = stop;
    let _ = writeln!(
        log,
        "[{}] サービスを開始しました",
        crate::linux::rfc3339(now_secs())
    );
    let result = run(&opts, &crate::collect, &mut |line| {
        let _ = writeln!(log, "[{}] {line}", crate::linux::rfc3339(now_secs()));
    });
    let _ = writeln!(
        log,
        "[{}] サービスを停止しました{}",
        crate::linux::rfc3339(now_secs()),
        match &result {
            Ok(()) => String::new(),
            Err(e) => format!(": {e}"),
        }
    );
    result
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_command_line_keeps_no_enrolment_token() {
        let args = AgentArgs {
            server: "https://mamori.clinic.local".into(),
            enroll_token: Some("enroll_secret".into()),
            ca: Some("ca.pem".into()),
            state: None,
            every_hours: 0,
            once: true,
            tries: 6,
            retry_seconds: 5,
        };
        let line: Vec<String> =
            service_arguments(&args, Path::new("C:\\ProgramData\\Mamori\\agent.json"))
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
        assert_eq!(
            line[..8],
            [
                "service",
                "run",
                "--server",
                "https://mamori.clinic.local",
                "--state",
                "C:\\ProgramData\\Mamori\\agent.json",
                "--every-hours",
                "1"
            ]
        );
        assert_eq!(line[8], "--ca");
        assert!(Path::new(&line[9]).is_absolute(), "{}", line[9]);
        assert!(!line.iter().any(|a| a.contains("enroll")), "{line:?}");
    }

    #[test]
    fn service_commands_say_they_are_for_windows_elsewhere() {
        if cfg!(windows) {
            return;
        }
        assert_eq!(
            service(ServiceCommand::Status),
            Err(mamori_service::NOT_WINDOWS.into())
        );
        let args = AgentArgs {
            server: "https://x".into(),
            enroll_token: None,
            ca: None,
            state: None,
            every_hours: 6,
            once: false,
            tries: 1,
            retry_seconds: 1,
        };
        assert_eq!(
            service(ServiceCommand::Install(args)),
            Err(mamori_service::NOT_WINDOWS.into())
        );
    }
}
