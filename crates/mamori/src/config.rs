//! Settings from a file and secrets from files, for hosted installs: `--config mamori.toml` (or
//! `MAMORI_CONFIG`) sets the `MAMORI_*` environment variables it names, and `MAMORI_X_FILE` (a path,
//! e.g. a systemd credential or a Kubernetes secret) sets `MAMORI_X` from that file's contents. A flag
//! beats the environment, which beats the file: only variables not yet set are set.

use anyhow::{Context, Result, bail};

/// The keys a configuration file may hold: `serve`'s settings, as `MAMORI_<KEY>`.
pub(crate) const KEYS: &[&str] = &[
    "db",
    "db_file",
    "listen",
    "metrics_listen",
    "secure_cookies",
    "trust_proxy",
    "tls_cert",
    "tls_key",
    "backup_dir",
    "backup_every_hours",
    "backup_keep",
    "max_import_rows",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_password",
    "smtp_from",
    "base_url",
];

/// The `--config` path among the command-line arguments, or `MAMORI_CONFIG`.
fn config_path(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().cloned();
        }
        if let Some(p) = a.strip_prefix("--config=") {
            return Some(p.to_string());
        }
    }
    std::env::var("MAMORI_CONFIG").ok()
}

/// The environment variables a configuration file sets: (`MAMORI_KEY`, value).
pub(crate) fn parse(text: &str, path: &str) -> Result<Vec<(String, String)>> {
    let table: toml::Table =
        toml::from_str(text).with_context(|| format!("設定ファイル {path} を読めません"))?;
    let mut out = Vec::new();
    for (key, value) in table {
        if !KEYS.contains(&key.as_str()) {
            bail!(
                "設定ファイル {path} の項目「{key}」は使えません（{} のいずれか）",
                KEYS.join(", ")
            );
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "設定ファイル {path} の「{key}」の値 {other} は文字・数・true/false のいずれかにしてください"
            ),
        };
        out.push((format!("MAMORI_{}", key.to_uppercase()), value));
    }
    Ok(out)
}

/// Applies the configuration file and the `*_FILE` secrets to this process's environment. Called once
/// at start, before any thread is spawned.
pub(crate) fn apply(args: &[String]) -> Result<()> {
    let set_if_unset = |k: &str, v: &str| {
        if std::env::var_os(k).is_none() {
            // SAFETY: called at the start of main, before the runtime or any other thread starts.
            unsafe { std::env::set_var(k, v) };
        }
    };
    if let Some(path) = config_path(args) {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("設定ファイル {path} を開けません"))?;
        for (k, v) in parse(&text, &path)? {
            set_if_unset(&k, &v);
        }
    }
    let files: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| {
            let base = k.strip_suffix("_FILE")?;
            base.starts_with("MAMORI_").then(|| (base.to_string(), v))
        })
        .collect();
    for (key, path) in files {
        let secret = std::fs::read_to_string(&path)
            .with_context(|| format!("{key}_FILE に指定されたファイル {path} を開けません"))?;
        set_if_unset(&key, secret.trim_end_matches(['\r', '\n']));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_windows_service_settings_file_reads_back() {
        let text = mamori_service::server_settings_toml(&mamori_service::ServerSettings {
            db: "C:\\ProgramData\\Mamori\\mamori.db".into(),
            listen: "127.0.0.1:8080".into(),
            backup_dir: Some("E:\\Mamori バックアップ".into()),
            backup_every_hours: 24,
            backup_keep: 14,
        });
        let vars = parse(&text, "mamori.toml").unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("MAMORI_DB"), Some("C:\\ProgramData\\Mamori\\mamori.db"));
        assert_eq!(get("MAMORI_LISTEN"), Some("127.0.0.1:8080"));
        assert_eq!(get("MAMORI_BACKUP_DIR"), Some("E:\\Mamori バックアップ"));
        assert_eq!(get("MAMORI_BACKUP_KEEP"), Some("14"));
    }

    #[test]
    fn a_file_names_settings_by_their_environment_variables() {
        let vars = parse(
            "db = \"postgres://mamori@db/mamori\"\nlisten = \"0.0.0.0:8080\"\ntrust_proxy = true\nbackup_keep = 30\n",
            "m.toml",
        )
        .unwrap();
        assert_eq!(
            vars,
            [
                ("MAMORI_BACKUP_KEEP".to_string(), "30".to_string()),
                ("MAMORI_DB".into(), "postgres://mamori@db/mamori".into()),
                ("MAMORI_LISTEN".into(), "0.0.0.0:8080".into()),
                ("MAMORI_TRUST_PROXY".into(), "true".into()),
            ]
        );
        let err = parse("password = \"x\"", "m.toml").unwrap_err().to_string();
        assert!(err.contains("「password」は使えません"), "{err}");
        assert!(parse("listen = [1]", "m.toml").is_err());
        assert_eq!(
            config_path(&["serve".into(), "--config=/etc/m.toml".into()]).as_deref(),
            Some("/etc/m.toml")
        );
    }
}
