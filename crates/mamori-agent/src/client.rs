//! `agent run`: enrols once with an enrolment token (the server answers with this machine's own
//! credential, kept in a state file only its owner can read), then posts an inventory over HTTPS
//! (rustls; the server's certificate checked against the Mozilla roots or a CA file the facility gives)
//! at every interval, retrying with backoff and saying plainly when the server cannot be reached.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Inventory;

/// What the agent keeps between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub server: String,
    pub agent_id: i64,
    pub credential: String,
    pub organization: String,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server's base URL (https://…; http:// only to this machine itself, for trials).
    pub server: String,
    pub enroll_token: Option<String>,
    /// A PEM file of the CA (or the self-signed certificate) the server's certificate is checked against.
    pub ca_file: Option<PathBuf>,
    pub state_file: PathBuf,
    /// Between inventories.
    pub interval: Duration,
    /// Post one inventory and stop (exit status tells whether it arrived).
    pub once: bool,
    /// The first wait after a failure; it doubles up to [`RunOptions::max_backoff`].
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Tries per inventory before giving up on it (`once`) or waiting for the next interval.
    pub tries: u32,
    /// A service's stop request: waits end at once and the loop returns.
    pub stop: mamori_service::Stop,
}

impl RunOptions {
    pub fn new(server: &str, state_file: PathBuf) -> Self {
        RunOptions {
            server: server.trim_end_matches('/').to_string(),
            enroll_token: None,
            ca_file: None,
            state_file,
            interval: Duration::from_secs(6 * 3600),
            once: false,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(600),
            tries: 6,
            stop: mamori_service::Stop::new(),
        }
    }
}

/// Where the credential is kept unless `--state` says otherwise.
pub fn default_state_file() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        Path::new(&base).join("Mamori").join("agent.json")
    } else {
        PathBuf::from("/var/lib/mamori-agent/agent.json")
    }
}

/// Why a request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// No answer from the server (address, network, TLS): worth trying again.
    Unreachable(String),
    /// The server refused the credential: enrol again.
    Unauthorized(String),
    /// The server answered with an error that a retry will not mend.
    Refused(u16, String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unreachable(m) => write!(f, "サーバに接続できません（{m}）"),
            SendError::Unauthorized(m) => write!(f, "サーバが資格情報を受け付けません: {m}"),
            SendError::Refused(s, m) => write!(f, "サーバが受け付けませんでした（{s}）: {m}"),
        }
    }
}

/// The HTTP client: rustls, the Mozilla roots or the given CA, 30-second timeouts.
pub struct Client {
    agent: ureq::Agent,
    server: String,
}

impl Client {
    pub fn new(server: &str, ca_file: Option<&Path>) -> Result<Client, String> {
        let server = server.trim_end_matches('/').to_string();
        check_scheme(&server)?;
        let mut tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::Rustls);
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("CA 証明書 {} を読めません: {e}", path.display()))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!(
                    "{} に証明書（PEM の CERTIFICATE）がありません",
                    path.display()
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
        }
        let agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Client { agent, server })
    }

    fn post_json(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<(u16, String), SendError> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.server))
            .header("Content-Type", "application/json");
        if let Some(b) = bearer {
            req = req.header("Authorization", format!("Bearer {b}"));
        }
        let mut resp = req
            .send(body)
            .map_err(|e| SendError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let mut text = String::new();
        resp.body_mut()
            .as_reader()
            .take(1 << 20)
            .read_to_string(&mut text)
            .map_err(|e| SendError::Unreachable(format!("応答を読めません: {e}")))?;
        Ok((status, text))
    }

    /// Exchanges the enrolment token for this machine's credential.
    pub fn enroll(&self, token: &str, inv: &Inventory) -> Result<Credential, SendError> {
        let body = serde_json::json!({
            "enroll_token": token,
            "hostname": inv.hostname,
            "machine_id": inv.machine_id,
        });
        let (status, text) =
            self.post_json("/api/v1/agent/enroll", None, body.to_string().as_bytes())?;
        #[derive(Deserialize)]
        struct Enrolled {
            agent_id: i64,
            credential: String,
            organization: String,
        }
        match status {
            200 => {
                let e: Enrolled = serde_json::from_str(&text).map_err(|e| {
                    SendError::Refused(status, format!("登録の応答を読めません: {e}"))
                })?;
                Ok(Credential {
                    server: self.server.clone(),
                    agent_id: e.agent_id,
                    credential: e.credential,
                    organization: e.organization,
                })
            }
            401 => Err(SendError::Unauthorized(error_message(&text))),
            s => Err(SendError::Refused(s, error_message(&text))),
        }
    }

    /// Posts an inventory; the server's message on success.
    pub fn post_inventory(&self, cred: &Credential, inv: &Inventory) -> Result<String, SendError> {
        let body = serde_json::to_vec(inv).expect("inventory serialises");
        let (status, text) =
            self.post_json("/api/v1/agent/inventory", Some(&cred.credential), &body)?;
        match status {
            200 | 202 => Ok(serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(String::from))
                .unwrap_or_else(|| "受け付けました".into())),
            401 => Err(SendError::Unauthorized(error_message(&text))),
            s if s >= 500 || s == 429 => Err(SendError::Unreachable(format!(
                "{s} {}",
                error_message(&text)
            ))),
            s => Err(SendError::Refused(s, error_message(&text))),
        }
    }
}

/// HTTPS, or plain HTTP to this machine only (an inventory names accounts and software: not for the
/// network in clear).
fn check_scheme(server: &str) -> Result<(), String> {
    if server.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = server.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        let host = if rest.starts_with('[') {
            rest.split(']').next().unwrap_or("").trim_start_matches('[')
        } else {
            host
        };
        if ["localhost", "127.0.0.1", "::1"].contains(&host) {
            return Ok(());
        }
        return Err(format!(
            "{server}: 一覧は暗号化せずに送れません。https:// の URL を指定してください（http:// はこの機器自身のサーバだけ）"
        ));
    }
    Err(format!(
        "{server}: サーバの URL は https:// で始めてください"
    ))
}

fn error_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["error"].as_str().map(String::from))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

/// Reads the stored credential, if there is one.
pub fn load_credential(path: &Path) -> Result<Option<Credential>, String> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            format!(
                "{} は資格情報として読めません（{e}）。削除して登録し直してください",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{} を読めません: {e}", path.display())),
    }
}

/// Writes the credential readable by its owner only (on Unix; on Windows the ProgramData folder's
/// permissions apply).
pub fn save_credential(path: &Path, cred: &Credential) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{} を作れません: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    let json = serde_json::to_vec_pretty(cred).expect("credential serialises");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(&tmp)
        .and_then(|mut f| f.write_all(&json).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{} に資格情報を保存できません: {e}", path.display()))
}

/// The wait before try `n` (0-based) after a failure: first, doubled each time, at most max.
pub fn backoff(n: u32, first: Duration, max: Duration) -> Duration {
    first.saturating_mul(2u32.saturating_pow(n)).min(max)
}

/// Enrols when needed, then posts inventories: once (`once`), or every interval until stopped. `log`
/// receives each line to show; `collect` makes the inventory (tests pass a fixture).
pub fn run(
    opts: &RunOptions,
    collect: &dyn Fn() -> Inventory,
    log: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let client = Client::new(&opts.server, opts.ca_file.as_deref())?;
    let mut cred = load_credential(&opts.state_file)?.filter(|c| c.server == client.server);
    loop {
        let inv = collect();
        let mut sent = false;
        for n in 0..opts.tries.max(1) {
            if opts.stop.is_requested() {
                return Ok(());
            }
            if cred.is_none() {
                let Some(token) = &opts.enroll_token else {
                    return Err(format!(
                        "この機器はまだ登録されていません。管理者が発行した登録用トークンを --enroll-token で指定してください（資格情報の保存先: {}）",
                        opts.state_file.display()
                    ));
                };
                match client.enroll(token, &inv) {
                    Ok(c) => {
                        save_credential(&opts.state_file, &c)?;
                        log(&format!(
                            "{} に「{}」の機器として登録しました（資格情報: {}）",
                            c.server,
                            c.organization,
                            opts.state_file.display()
                        ));
                        cred = Some(c);
                    }
                    Err(SendError::Unreachable(m)) => {
                        wait_or_fail(opts, n, &SendError::Unreachable(m), log)?;
                        continue;
                    }
                    Err(e) => return Err(format!("登録できません: {e}")),
                }
            }
            let c = cred.as_ref().expect("enrolled");
            match client.post_inventory(c, &inv) {
                Ok(message) => {
                    log(&format!(
                        "一覧を送りました（パッケージ {}件）: {message}",
                        inv.packages.len()
                    ));
                    sent = true;
                    break;
                }
                Err(SendError::Unauthorized(m)) => {
                    // Revoked or replaced: enrol again if a token was given, else say what to do.
                    log(&format!("資格情報が使えません: {m}"));
                    cred = None;
                    if opts.enroll_token.is_none() {
                        return Err(
                            "資格情報が無効になりました。--enroll-token を付けて登録し直してください"
                                .into(),
                        );
                    }
                }
                Err(e @ SendError::Unreachable(_)) => wait_or_fail(opts, n, &e, log)?,
                Err(e) => return Err(e.to_string()),
            }
        }
        if opts.once {
            return if sent {
                Ok(())
            } else {
                Err(format!(
                    "{} に一覧を送れませんでした（{}回試行）。サーバが動いているか、URL・ネットワーク・証明書を確認してください",
                    opts.server,
                    opts.tries.max(1)
                ))
            };
        }
        if !sent {
            log(&format!(
                "この回の一覧は送れませんでした。{}秒後に次の一覧を送ります",
                opts.interval.as_secs()
            ));
        }
        if opts.stop.wait_timeout(opts.interval) {
            return Ok(());
        }
    }
}

/// Waits before the next try, or (after the last) returns nothing so the caller gives up this round.
fn wait_or_fail(
    opts: &RunOptions,
    n: u32,
    e: &SendError,
    log: &mut dyn FnMut(&str),
) -> Result<(), String> {
    if n + 1 >= opts.tries.max(1) {
        log(&format!("{e}"));
        return Ok(());
    }
    let wait = backoff(n, opts.first_backoff, opts.max_backoff);
    log(&format!(
        "{e}。{}秒後にもう一度試します（{}/{}回目）",
        wait.as_secs_f32(),
        n + 1,
        opts.tries
    ));
    opts.stop.wait_timeout(wait);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_request_ends_the_waits_of_a_running_agent() {
        // Nobody listens: the agent waits an hour between tries, and would for ever.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let dir = tempfile::tempdir().unwrap();
        let mut opts = RunOptions::new(
            &format!("http://127.0.0.1:{port}"),
            dir.path().join("a.json"),
        );
        opts.enroll_token = Some("enroll_x".into());
        opts.first_backoff = Duration::from_secs(3600);
        opts.interval = Duration::from_secs(3600);
        let stop = opts.stop.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            let r = run(&opts, &crate::Inventory::default, &mut |l| {
                lines.push(l.to_string())
            });
            let _ = tx.send((r, lines));
        });
        std::thread::sleep(Duration::from_millis(200));
        stop.request();
        let (r, lines) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the loop ended on the stop request");
        assert_eq!(r, Ok(()));
        assert!(lines[0].contains("もう一度試します"), "{lines:?}");
    }

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let (f, m) = (Duration::from_secs(5), Duration::from_secs(60));
        let waits: Vec<u64> = (0..6).map(|n| backoff(n, f, m).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        assert_eq!(backoff(40, f, m), m);
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(check_scheme("https://mamori.example.jp").is_ok());
        assert!(check_scheme("http://127.0.0.1:8080").is_ok());
        assert!(check_scheme("http://localhost").is_ok());
        assert!(check_scheme("http://[::1]:8080").is_ok());
        let e = check_scheme("http://192.168.1.5:8080").unwrap_err();
        assert!(e.contains("暗号化せずに"), "{e}");
        assert!(check_scheme("ftp://x").is_err());
        assert!(check_scheme("http://localhost.evil.example").is_err());
    }

    #[test]
    fn credential_file_round_trip_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/agent.json");
        let c = Credential {
            server: "https://s".into(),
            agent_id: 3,
            credential: "agent_x".into(),
            organization: "医院".into(),
        };
        save_credential(&path, &c).unwrap();
        assert_eq!(load_credential(&path).unwrap(), Some(c));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"{").unwrap();
        assert!(load_credential(&path).unwrap_err().contains("登録し直して"));
        assert_eq!(load_credential(&dir.path().join("none")).unwrap(), None);
    }
}
