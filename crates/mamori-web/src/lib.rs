//! Mamori's web app and JSON API: axum router, askama templates (Japanese UI), sessions in the database,
//! CSRF tokens on every form, bearer tokens for the API.

mod agents;
pub mod api;
mod auth;
mod bcp;
mod checklist;
mod conn_limits;
mod dashboard;
mod documents;
mod editions;
mod error;
mod extract;
mod history;
mod layout;
mod ledgers;
mod logs;
pub mod metrics;
mod operator;
mod orgs;
mod products;
mod reminders;
mod report;
mod request_log;
mod router;
mod settings;
mod system;
mod vendor_forms;
mod vendor_side;
mod years;

pub use error::WebError;
pub use mamori_app::{App, totp};
pub use router::router;

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use mamori_core::{Catalog, Clock};
use mamori_store::{Session, Store};
use tower_http::set_header::SetResponseHeaderLayer;

/// The web app's state: the application and what only the web side keeps (cookies' flags, the login
/// limiter, ledger files awaiting confirmation, log analyses in progress).
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (when served over TLS or behind a TLS proxy).
    pub secure_cookies: bool,
    /// Hours between scheduled backups, when `serve` runs them (the dashboard warns after twice that).
    pub backup_every_hours: Option<u32>,
    /// Behind a reverse proxy: the client's address is the proxy's `X-Real-IP`.
    pub trust_proxy: bool,
    /// Parsed ledger files awaiting an administrator's or editor's confirmation.
    pub(crate) pending_imports: Arc<ledgers::PendingImports>,
    /// Log analyses running now: id → records read so far, as shown.
    pub(crate) log_progress: Arc<std::sync::Mutex<std::collections::HashMap<i64, String>>>,
}

/// Handlers reach the application's store, clock and catalogs through the state.
impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

pub use mamori_app::throttle::LOGIN_FAILURES_PER_MINUTE;

impl AppState {
    pub fn new(store: Store, catalog: Catalog, clock: Clock) -> Self {
        Self::with_app(App::new(store, catalog, clock))
    }

    pub fn with_app(app: App) -> Self {
        AppState {
            app,
            secure_cookies: false,
            backup_every_hours: None,
            trust_proxy: false,
            pending_imports: Arc::default(),
            log_progress: Arc::default(),
        }
    }

    /// The live session of a request, from its session cookie.
    pub(crate) async fn session(&self, headers: &HeaderMap) -> Option<Session> {
        self.store
            .session(&session_hash(headers)?, self.clock.now())
            .await
            .ok()
            .flatten()
    }
}

/// The one place pages and the API ask whether a user (or a token's role) may do something.
pub(crate) fn permit(
    user: &mamori_store::User,
    action: mamori_core::Action,
) -> Result<(), &'static str> {
    if mamori_core::roles::allowed(user.role, action) {
        Ok(())
    } else {
        Err(action.refusal())
    }
}

pub(crate) const SESSION_COOKIE: &str = "mamori_session";

/// The stored hash of the request's session token, if it carries one.
pub(crate) fn session_hash(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(|t| mamori_app::auth::token_hash(&t))
}
/// Double-submit token for the forms shown before login (setup, login).
pub(crate) const PRE_CSRF_COOKIE: &str = "mamori_pre";
/// The hosting operator's session cookie (apart from users' sessions).
pub(crate) const OPERATOR_COOKIE: &str = "mamori_operator";
/// Sessions end after this long, whatever happens.
pub(crate) const SESSION_HOURS: i64 = 8;
/// Request bodies larger than this are refused.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Ledger files (CSV, xlsx) may be this large.
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Whether percent-decoded form or query text is valid UTF-8 (`+` and malformed escapes are left as
/// they are: neither can make it invalid).
pub fn decodes_as_utf8(encoded: &[u8]) -> bool {
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (encoded[i], encoded.get(i + 1), encoded.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&out).is_ok()
}

const INVALID_UTF8: &str = "送信された内容に、文字として読めないバイト（UTF-8 ではない文字）があります。文字化けした内容を貼り付けていないか確認して、入力し直してください（何も保存していません）";

/// Forms and queries with bytes that are not UTF-8 are refused: the extractors would store U+FFFD in
/// their place without a word.
pub(crate) async fn refuse_invalid_utf8(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(q) = req.uri().query()
        && !decodes_as_utf8(q.as_bytes())
    {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            INVALID_UTF8,
        )
            .into_response();
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "送信された内容が大きすぎます",
        )
            .into_response();
    };
    if !decodes_as_utf8(&bytes) {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            INVALID_UTF8,
        )
            .into_response();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// Serves until the process gets Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves until `stop` completes (a signal, or a Windows service's stop request), then lets the
/// requests in progress finish.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_plain(listener, state, stop, HEADER_READ_TIMEOUT).await
}

/// How long a client may take to send a request's headers, and how long a kept-alive connection may sit
/// idle before the next request (hyper's timer covers both): slow or idle clients must not hold the
/// server's connections and file descriptors.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long requests in progress may take to finish after a stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The connection limits of both listeners: the header and idle timeout on HTTP/1, pings that close
/// dead HTTP/2 connections.
fn limit_connections(
    b: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    header_read: std::time::Duration,
) {
    b.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read);
    b.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(std::time::Duration::from_secs(30)))
        .keep_alive_timeout(std::time::Duration::from_secs(20));
}

/// Plain HTTP with `header_read` as the header and idle timeout (tests pass a short one).
pub async fn serve_plain(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    header_read: std::time::Duration,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stop.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let mut server = axum_server::from_tcp(listener.into_std()?)?
        .handle(handle)
        .map(|inner| conn_limits::FirstBytesAcceptor {
            inner,
            limit: header_read,
        });
    limit_connections(server.http_builder(), header_read);
    server.serve(app).await
}

/// A certificate and private key for serving HTTPS on a LAN (rustls, ring).
#[derive(Clone)]
pub struct Tls(axum_server::tls_rustls::RustlsConfig);

impl Tls {
    /// Reads a PEM certificate chain and private key, with a Japanese message naming what failed.
    pub async fn load(cert: &std::path::Path, key: &std::path::Path) -> std::io::Result<Tls> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
            .await
            .map(Tls)
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "TLS の証明書（{}）または秘密鍵（{}）を読み込めません（PEM 形式の証明書と、対応する秘密鍵を指定してください）: {e}",
                        cert.display(),
                        key.display()
                    ),
                )
            })
    }
}

/// Serves HTTPS until the process gets Ctrl-C or SIGTERM. Cookies are marked `Secure` and browsers are
/// told to keep to HTTPS.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Tls,
) -> std::io::Result<()> {
    serve_tls_until(listener, state, tls, shutdown_signal()).await
}

/// [`serve_tls`] until `stop` completes.
pub async fn serve_tls_until(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    tls: Tls,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.secure_cookies = true;
    let app = router(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stop.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let mut server = axum_server::from_tcp_rustls(listener.into_std()?, tls.0)?
        .handle(handle)
        .map(|inner| conn_limits::FirstBytesAcceptor {
            inner,
            limit: HEADER_READ_TIMEOUT,
        });
    limit_connections(server.http_builder(), HEADER_READ_TIMEOUT);
    server.serve(app).await
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
