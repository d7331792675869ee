//! `mamori serve …`: The web application.

use crate::*;

#[derive(clap::Args)]
pub(crate) struct Serve {
    /// SQLiteファイルのパス、または postgres:// のURL
    #[arg(long, env = "MAMORI_DB", default_value = "mamori.db")]
    pub(crate) db: String,
    /// 待ち受けるアドレス
    #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Cookie に Secure を付けます（TLS 終端の後ろで動かすとき）
    #[arg(long, env = "MAMORI_SECURE_COOKIES")]
    pub(crate) secure_cookies: bool,
    /// HTTPS で待ち受けるときの証明書（PEM）。--tls-key と一緒に指定します
    #[arg(long, env = "MAMORI_TLS_CERT", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// HTTPS の秘密鍵（PEM）
    #[arg(long, env = "MAMORI_TLS_KEY", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// 定期バックアップの保存先（指定すると定期バックアップが有効になります）
    #[arg(long, env = "MAMORI_BACKUP_DIR")]
    pub(crate) backup_dir: Option<PathBuf>,
    /// 定期バックアップの間隔（時間）
    #[arg(long, env = "MAMORI_BACKUP_EVERY_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) backup_every_hours: u32,
    /// 定期バックアップで残す世代数
    #[arg(long, env = "MAMORI_BACKUP_KEEP", default_value_t = 14)]
    pub(crate) backup_keep: usize,
    /// 台帳ファイル1つで取り込める行数の上限
    #[arg(long, env = "MAMORI_MAX_IMPORT_ROWS", default_value_t = mamori_ledger::DEFAULT_MAX_ROWS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub(crate) max_import_rows: usize,
    /// Prometheus の /metrics を待ち受けるアドレス（公開するアドレスとは分けてください。例：127.0.0.1:9100）
    #[arg(long, env = "MAMORI_METRICS_LISTEN")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// 前段のリバースプロキシ（nginx）が付ける X-Real-IP を利用者のアドレスとして使います（ログイン失敗の回数制限）。
    /// プロキシの後ろで動かすときだけ指定してください
    #[arg(long, env = "MAMORI_TRUST_PROXY")]
    pub(crate) trust_proxy: bool,
    /// お知らせのメールを送る SMTP リレー（指定するとメールの配信が有効になります）
    #[arg(long, env = "MAMORI_SMTP_HOST")]
    pub(crate) smtp_host: Option<String>,
    /// SMTP のポート
    #[arg(long, env = "MAMORI_SMTP_PORT", default_value_t = 587)]
    pub(crate) smtp_port: u16,
    /// SMTP の暗号化: starttls（既定）、tls、none（同じ機械のリレーのときだけ）
    #[arg(long, env = "MAMORI_SMTP_SECURITY", default_value = "starttls", value_parser = ["starttls", "tls", "none"])]
    pub(crate) smtp_security: String,
    /// SMTP の認証のユーザー名（パスワードは MAMORI_SMTP_PASSWORD または MAMORI_SMTP_PASSWORD_FILE）
    #[arg(long, env = "MAMORI_SMTP_USER")]
    pub(crate) smtp_user: Option<String>,
    /// 差出人（例：Mamori <mamori@example.jp>）
    #[arg(long, env = "MAMORI_SMTP_FROM", requires = "smtp_host")]
    pub(crate) smtp_from: Option<String>,
    /// メールに書く Mamori のアドレス（例：https://mamori.example.jp）
    #[arg(long, env = "MAMORI_BASE_URL")]
    pub(crate) base_url: Option<String>,
}

pub(crate) async fn run(args: Serve) -> Result<()> {
    run_until(args, mamori_web::shutdown_signal()).await
}

/// Serves until `stop` completes (Ctrl-C for `serve`; the service manager's request for the service).
pub(crate) async fn run_until(
    args: Serve,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let Serve {
        db,
        listen,
        secure_cookies,
        tls_cert,
        tls_key,
        backup_dir,
        backup_every_hours,
        backup_keep,
        max_import_rows,
        metrics_listen,
        trust_proxy,
        smtp_host,
        smtp_port,
        smtp_security,
        smtp_user,
        smtp_from,
        base_url,
    } = args;
    let catalog = catalog()?;
    let tls = match (&tls_cert, &tls_key) {
        (Some(cert), Some(key)) => Some(mamori_web::Tls::load(cert, key).await?),
        _ => None,
    };
    let store = open(&db).await?;
    let set_up = store.is_set_up().await?;
    // What an import killed halfway left behind (staged rows) is not kept until the next import.
    match store.prune_import_leftovers(chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "途中で止まった取り込みの一時データを削除しました"),
        Err(e) => tracing::warn!(error = %e, "途中で止まった取り込みの一時データを削除できません"),
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("{listen} で待ち受けできません（ほかのプログラムが使用中かもしれません）")
        })?;
    let addr = listener.local_addr()?;
    let mut state = mamori_web::AppState::new(store.clone(), catalog, Clock::system());
    state.max_import_rows = max_import_rows;
    state.secure_cookies = secure_cookies;
    state.trust_proxy = trust_proxy;
    if let Some(addr) = metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("{addr} で /metrics を待ち受けできません"))?;
        println!("メトリクス: http://{}/metrics", listener.local_addr()?);
        tokio::spawn(mamori_web::metrics::serve(listener, state.clone()));
    }
    if let Some(dir) = backup_dir {
        state.backup_every_hours = Some(backup_every_hours);
        println!(
            "定期バックアップ: {} に {backup_every_hours} 時間ごと（{backup_keep} 世代）",
            dir.display()
        );
        tokio::spawn(store.backup_loop(
            dir,
            std::time::Duration::from_secs(u64::from(backup_every_hours) * 3600),
            backup_keep,
            Clock::system(),
        ));
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(host) = smtp_host {
        let Some(from) = smtp_from else {
            bail!("--smtp-from（差出人のアドレス）を指定してください");
        };
        // The password only from the environment (or its _FILE), never a flag that `ps` shows.
        let credentials = match (smtp_user, std::env::var("MAMORI_SMTP_PASSWORD").ok()) {
            (Some(user), Some(password)) => Some((user, password)),
            (Some(_), None) => {
                bail!("MAMORI_SMTP_PASSWORD（または MAMORI_SMTP_PASSWORD_FILE）を設定してください")
            }
            (None, _) => None,
        };
        let smtp = mamori_app::mail::SmtpConfig {
            host,
            port: smtp_port,
            security: match smtp_security.as_str() {
                "tls" => mamori_app::mail::SmtpSecurity::Tls,
                "none" => mamori_app::mail::SmtpSecurity::None,
                _ => mamori_app::mail::SmtpSecurity::StartTls,
            },
            credentials,
            from,
            base_url: base_url.unwrap_or_else(|| format!("{scheme}://{addr}")),
        };
        println!(
            "お知らせのメール: {}:{}（{}）から配信します",
            smtp.host, smtp.port, smtp_security
        );
        tokio::spawn(mamori_app::mail::digest_loop(state.app.clone(), smtp));
    }
    println!("Mamori を起動しました: {scheme}://{addr}/");
    println!("データベース: {}", mamori_store::redact_url(&db));
    if !set_up {
        println!(
            "初回起動です。ブラウザで {scheme}://{addr}/setup を開いて初期設定をしてください。"
        );
    }
    match tls {
        Some(tls) => mamori_web::serve_tls_until(listener, state, tls, stop).await?,
        None => mamori_web::serve_until(listener, state, stop).await?,
    }
    Ok(())
}
