//! The agent on its own, for the machines of a facility: `mamori-agent collect` and `mamori-agent run`
//! (the same as `mamori agent …`, without the server, database or PDF code).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mamori_agent::cli::{AgentArgs, ServiceCommand, collect_to_file, run_agent, service};

#[derive(Parser)]
#[command(
    name = "mamori-agent",
    version,
    about = "Mamori エージェント: この機器の一覧を作り、サーバへ送ります"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// この機器の一覧を JSON ファイルに書き出します（閉じた院内ネットワークでは USB メモリなどでサーバへ運びます）
    Collect {
        #[arg(long)]
        out: PathBuf,
    },
    /// サーバに登録し（初回のみ）、一覧を定期的に HTTPS で送ります
    Run(AgentArgs),
    /// Windows のサービスとして動かします（install / uninstall / start / stop / status）
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Collect { out } => collect_to_file(&out).map(|m| println!("{m}")),
        Command::Run(args) => run_agent(&args),
        Command::Service { command } => service(command).map(|m| {
            if !m.is_empty() {
                println!("{m}")
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("エラー: {e}");
            ExitCode::FAILURE
        }
    }
}
