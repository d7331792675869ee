//! Mamori and its agent as Windows services. `install` registers a program with the service control
//! manager (automatic start, restart after a crash), `start`/`stop`/`uninstall` do what they say, and
//! [`run`] is what the registered command line calls: it reports to the manager and hands the program a
//! [`Stop`] that the manager's stop request sets.
//!
//! The data, the settings file and the logs live under `%ProgramData%\Mamori`, a folder that install
//! restricts to SYSTEM and Administrators (clinic PCs are shared by staff; the database is not theirs to
//! copy). The parts that are not Windows calls — paths, the settings file a service reads, the log file,
//! the stop request, the messages for Windows' error codes — are plain code tested on any system; on
//! other systems the service commands say they are for Windows.

mod logfile;
mod settings;
mod stop;
#[cfg(windows)]
mod windows;

pub use logfile::open_log;
pub use settings::{ServerSettings, server_settings_toml, write_if_absent};
pub use stop::Stop;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// One service: its name with the service manager, the name people see, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
}

/// The web application (`mamori.exe service run`).
pub const SERVER: ServiceSpec = ServiceSpec {
    name: "Mamori",
    display_name: "Mamori（守り）サーバ",
    description: "医療情報システムのサイバーセキュリティ対策チェックリスト・台帳・証跡を管理する Mamori の Web アプリです。",
};

/// The inventory agent (`mamori-agent.exe service run`).
pub const AGENT: ServiceSpec = ServiceSpec {
    name: "MamoriAgent",
    display_name: "Mamori エージェント",
    description: "この機器の一覧（OS、ソフトウェア、アカウント、待ち受けポート）を定期的に Mamori サーバへ送ります。",
};

/// What the service commands say on a system that is not Windows.
pub const NOT_WINDOWS: &str = "Windows のサービスの操作は Windows でだけ使えます（Linux では deploy/mamori.service の systemd ユニットを使ってください）";

/// `%ProgramData%\Mamori`, from the value of `ProgramData` (`C:\ProgramData` when unset).
pub fn data_dir_from(program_data: Option<OsString>) -> PathBuf {
    let base = program_data
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from("C:\\ProgramData"));
    // Joined with a backslash whatever system builds the path: it is a Windows path.
    let mut dir = base;
    if !dir.to_string_lossy().ends_with('\\') {
        dir.push("\\");
    }
    dir.push("Mamori");
    PathBuf::from(dir)
}

/// This machine's `%ProgramData%\Mamori`.
pub fn data_dir() -> PathBuf {
    data_dir_from(std::env::var_os("ProgramData"))
}

/// A file or folder inside a Windows folder (a backslash between them on any system).
pub fn win_join(dir: &Path, name: &str) -> PathBuf {
    let mut s = dir.as_os_str().to_os_string();
    if !s.to_string_lossy().ends_with('\\') {
        s.push("\\");
    }
    s.push(name);
    PathBuf::from(s)
}

/// The message for a Windows error code the service manager returns, where a person can act on it.
pub fn explain_error(code: i32) -> Option<&'static str> {
    Some(match code {
        5 => {
            "権限がありません。管理者として実行したコマンドプロンプト（またはPowerShell）で実行してください"
        }
        1056 => "サービスはすでに実行中です",
        1058 => "サービスが無効になっています（サービス管理ツールで「自動」にしてください）",
        1060 => "サービスは登録されていません（先に service install を実行してください）",
        1062 => "サービスは実行されていません",
        1072 => {
            "サービスは削除の途中です。サービス管理ツールを閉じてから、もう一度実行してください"
        }
        1073 => {
            "サービスはすでに登録されています（設定を変えるときは service uninstall の後に service install）"
        }
        _ => return None,
    })
}

/// Registers `exe args…` as an automatically started service that restarts after a crash.
pub fn install(spec: &ServiceSpec, exe: &Path, args: &[OsString]) -> Result<(), String> {
    #[cfg(windows)]
    return windows::install(spec, exe, args);
    #[cfg(not(windows))]
    {
        let _ = (spec, exe, args);
        Err(NOT_WINDOWS.into())
    }
}

/// Stops the service if it runs, then removes it. The data folder stays.
pub fn uninstall(spec: &ServiceSpec) -> Result<(), String> {
    #[cfg(windows)]
    return windows::uninstall(spec);
    #[cfg(not(windows))]
    {
        let _ = spec;
        Err(NOT_WINDOWS.into())
    }
}

pub fn start(spec: &ServiceSpec) -> Result<(), String> {
    #[cfg(windows)]
    return windows::start(spec);
    #[cfg(not(windows))]
    {
        let _ = spec;
        Err(NOT_WINDOWS.into())
    }
}

/// Asks the service to stop and waits (up to 30 s) until it has.
pub fn stop(spec: &ServiceSpec) -> Result<(), String> {
    #[cfg(windows)]
    return windows::stop(spec);
    #[cfg(not(windows))]
    {
        let _ = spec;
        Err(NOT_WINDOWS.into())
    }
}

/// The service's state in words: 実行中, 停止, 未登録 …
pub fn status(spec: &ServiceSpec) -> Result<String, String> {
    #[cfg(windows)]
    return windows::status(spec);
    #[cfg(not(windows))]
    {
        let _ = spec;
        Err(NOT_WINDOWS.into())
    }
}

/// Runs `body` as the service `spec` (called by the command line the service manager starts): reports
/// 実行中 to the manager, hands `body` the stop request, and reports 停止 with `body`'s outcome.
pub fn run(
    spec: &ServiceSpec,
    body: Box<dyn FnOnce(Stop) -> Result<(), String> + Send>,
) -> Result<(), String> {
    #[cfg(windows)]
    return windows::run(spec, body);
    #[cfg(not(windows))]
    {
        let _ = (spec, body);
        Err(NOT_WINDOWS.into())
    }
}

/// Leaves `dir` to SYSTEM and the Administrators group only (by SID, so the localised group names of a
/// Japanese Windows do not matter). Windows only; elsewhere the folder's own permissions apply.
pub fn restrict_to_admins(dir: &Path) -> Result<(), String> {
    #[cfg(windows)]
    return windows::restrict_to_admins(dir);
    #[cfg(not(windows))]
    {
        let _ = dir;
        Err(NOT_WINDOWS.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_is_under_program_data() {
        assert_eq!(
            data_dir_from(Some("D:\\ProgramData".into())),
            PathBuf::from("D:\\ProgramData\\Mamori")
        );
        assert_eq!(
            data_dir_from(Some("D:\\".into())),
            PathBuf::from("D:\\Mamori")
        );
        assert_eq!(
            data_dir_from(None),
            PathBuf::from("C:\\ProgramData\\Mamori")
        );
        assert_eq!(
            data_dir_from(Some("".into())),
            PathBuf::from("C:\\ProgramData\\Mamori")
        );
        assert_eq!(
            win_join(Path::new("C:\\ProgramData\\Mamori"), "mamori.db"),
            PathBuf::from("C:\\ProgramData\\Mamori\\mamori.db")
        );
    }

    #[test]
    fn known_error_codes_say_what_to_do() {
        assert!(explain_error(5).unwrap().contains("管理者として実行"));
        assert!(explain_error(1060).unwrap().contains("service install"));
        assert_eq!(explain_error(2), None);
    }

    #[cfg(not(windows))]
    #[test]
    fn elsewhere_the_commands_say_they_are_for_windows() {
        assert_eq!(status(&SERVER), Err(NOT_WINDOWS.to_string()));
        assert_eq!(
            install(&AGENT, Path::new("/bin/true"), &[]),
            Err(NOT_WINDOWS.to_string())
        );
        assert_eq!(
            run(&SERVER, Box::new(|_| Ok(()))),
            Err(NOT_WINDOWS.to_string())
        );
    }
}
