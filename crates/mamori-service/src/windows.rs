//! The service control manager's calls (windows-service).

use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_dispatcher;
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

use crate::{ServiceSpec, Stop, explain_error};

type Body = Box<dyn FnOnce(Stop) -> Result<(), String> + Send>;

/// What `run` hands to the service's main function, which the dispatcher calls on its own thread.
static PENDING: Mutex<Option<(&'static str, Body)>> = Mutex::new(None);
static OUTCOME: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// A Windows error in words: the known codes in Japanese, else the system's text.
fn say(what: &str, e: windows_service::Error) -> String {
    if let windows_service::Error::Winapi(io) = &e {
        return match io.raw_os_error().and_then(explain_error) {
            Some(m) => format!("{what}: {m}"),
            // The system's own words and the code, for whoever looks it up.
            None => format!("{what}: {io}"),
        };
    }
    format!("{what}: {e}")
}

fn manager(access: ServiceManagerAccess) -> Result<ServiceManager, String> {
    ServiceManager::local_computer(None::<&str>, access)
        .map_err(|e| say("サービス管理に接続できません", e))
}

pub(crate) fn install(spec: &ServiceSpec, exe: &Path, args: &[OsString]) -> Result<(), String> {
    let m = manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
    let info = ServiceInfo {
        name: spec.name.into(),
        display_name: spec.display_name.into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe.to_path_buf(),
        launch_arguments: args.to_vec(),
        dependencies: vec![],
        // LocalSystem: the agent reads the whole machine; the server's folder is kept to SYSTEM and
        // Administrators (restrict_to_admins).
        account_name: None,
        account_password: None,
    };
    let service = m
        .create_service(&info, ServiceAccess::CHANGE_CONFIG | ServiceAccess::START)
        .map_err(|e| say(&format!("サービス「{}」を登録できません", spec.name), e))?;
    // Neither is needed for the service to run; Wine, for one, lacks them.
    let _ = service.set_description(spec.description);
    let restart = ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(60),
    };
    let _ = service.update_failure_actions(ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(24 * 3600)),
        reboot_msg: None,
        command: None,
        actions: Some(vec![restart.clone(), restart.clone(), restart]),
    });
    Ok(())
}

pub(crate) fn uninstall(spec: &ServiceSpec) -> Result<(), String> {
    let m = manager(ServiceManagerAccess::CONNECT)?;
    let service = m
        .open_service(
            spec.name,
            ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
        )
        .map_err(|e| say(&format!("サービス「{}」を開けません", spec.name), e))?;
    if let Ok(s) = service.query_status()
        && s.current_state != ServiceState::Stopped
    {
        let _ = service.stop();
        wait_for(&service, ServiceState::Stopped, Duration::from_secs(30));
    }
    service
        .delete()
        .map_err(|e| say(&format!("サービス「{}」を削除できません", spec.name), e))
}

pub(crate) fn start(spec: &ServiceSpec) -> Result<(), String> {
    let m = manager(ServiceManagerAccess::CONNECT)?;
    let service = m
        .open_service(
            spec.name,
            ServiceAccess::START | ServiceAccess::QUERY_STATUS,
        )
        .map_err(|e| say(&format!("サービス「{}」を開けません", spec.name), e))?;
    match service.start::<&str>(&[]) {
        Ok(()) => {}
        // Already running is what was asked for.
        Err(windows_service::Error::Winapi(e)) if e.raw_os_error() == Some(1056) => return Ok(()),
        Err(e) => {
            return Err(say(
                &format!("サービス「{}」を開始できません", spec.name),
                e,
            ));
        }
    }
    if wait_for(&service, ServiceState::Running, Duration::from_secs(30)) {
        Ok(())
    } else {
        Err(format!(
            "サービス「{}」が開始しませんでした（ログ: {}）",
            spec.name,
            crate::win_join(&crate::data_dir(), "logs").display()
        ))
    }
}

pub(crate) fn stop(spec: &ServiceSpec) -> Result<(), String> {
    let m = manager(ServiceManagerAccess::CONNECT)?;
    let service = m
        .open_service(spec.name, ServiceAccess::STOP | ServiceAccess::QUERY_STATUS)
        .map_err(|e| say(&format!("サービス「{}」を開けません", spec.name), e))?;
    service
        .stop()
        .map_err(|e| say(&format!("サービス「{}」を停止できません", spec.name), e))?;
    if wait_for(&service, ServiceState::Stopped, Duration::from_secs(30)) {
        Ok(())
    } else {
        Err(format!(
            "サービス「{}」が30秒たっても停止しません",
            spec.name
        ))
    }
}

pub(crate) fn status(spec: &ServiceSpec) -> Result<String, String> {
    let m = manager(ServiceManagerAccess::CONNECT)?;
    let service = match m.open_service(spec.name, ServiceAccess::QUERY_STATUS) {
        Ok(s) => s,
        Err(windows_service::Error::Winapi(e)) if e.raw_os_error() == Some(1060) => {
            return Ok("未登録".into());
        }
        Err(e) => return Err(say(&format!("サービス「{}」を開けません", spec.name), e)),
    };
    let s = service
        .query_status()
        .map_err(|e| say(&format!("サービス「{}」の状態を読めません", spec.name), e))?;
    Ok(match s.current_state {
        ServiceState::Running => "実行中",
        ServiceState::Stopped => "停止",
        ServiceState::StartPending => "開始中",
        ServiceState::StopPending => "停止中",
        _ => "一時停止",
    }
    .into())
}

/// Polls until the service is in `state`; false after `limit`.
fn wait_for(
    service: &windows_service::service::Service,
    state: ServiceState,
    limit: Duration,
) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        match service.query_status() {
            Ok(s) if s.current_state == state => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(250)),
            Err(_) => return false,
        }
    }
    false
}

windows_service::define_windows_service!(ffi_service_main, service_main);

pub(crate) fn run(spec: &ServiceSpec, body: Body) -> Result<(), String> {
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = Some((spec.name, body));
    service_dispatcher::start(spec.name, ffi_service_main).map_err(|e| {
        say(
            "サービスとして起動できません（このコマンドはサービス管理から起動されるものです。手動で動かすときは serve / run を使ってください）",
            e,
        )
    })?;
    OUTCOME
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or(Ok(()))
}

fn status_of(state: ServiceState, exit: ServiceExitCode) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: exit,
        checkpoint: 0,
        wait_hint: if state == ServiceState::StopPending {
            Duration::from_secs(15)
        } else {
            Duration::default()
        },
        process_id: None,
    }
}

fn service_main(_arguments: Vec<OsString>) {
    let Some((name, body)) = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return;
    };
    let stop = Stop::new();
    let asker = stop.clone();
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            asker.request();
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let handle = match service_control_handler::register(name, handler) {
        Ok(h) => h,
        Err(e) => {
            *OUTCOME.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Err(say("サービス管理に登録できません", e)));
            return;
        }
    };
    let _ = handle.set_service_status(status_of(ServiceState::Running, ServiceExitCode::NO_ERROR));
    // Report 停止中 as soon as the request arrives, so the manager waits for the body to finish; never
    // after 停止 (the flag, under its lock, orders the two reports).
    let stopped = std::sync::Arc::new(Mutex::new(false));
    let (pending, reported) = (stop.clone(), stopped.clone());
    std::thread::spawn(move || {
        pending.wait();
        let done = reported.lock().unwrap_or_else(|e| e.into_inner());
        if !*done {
            let _ = handle.set_service_status(status_of(
                ServiceState::StopPending,
                ServiceExitCode::NO_ERROR,
            ));
        }
    });
    let outcome = body(stop);
    let exit = match outcome {
        Ok(()) => ServiceExitCode::NO_ERROR,
        Err(_) => ServiceExitCode::ServiceSpecific(1),
    };
    // Kept before 停止 is reported: the dispatcher in `run` returns as soon as it is.
    *OUTCOME.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    let mut done = stopped.lock().unwrap_or_else(|e| e.into_inner());
    *done = true;
    let _ = handle.set_service_status(status_of(ServiceState::Stopped, exit));
}

/// `icacls DIR /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F`.
pub(crate) fn restrict_to_admins(dir: &Path) -> Result<(), String> {
    let out = std::process::Command::new("icacls")
        .arg(dir)
        .args([
            "/inheritance:r",
            "/grant:r",
            "*S-1-5-18:(OI)(CI)F",
            "*S-1-5-32-544:(OI)(CI)F",
        ])
        .output()
        .map_err(|e| format!("icacls を実行できません: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "icacls が失敗しました（{}）",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
