//! The settings file (`%ProgramData%\Mamori\mamori.toml`) the server's service reads: written once at
//! install, then the facility's to edit; install never overwrites it.

use std::path::{Path, PathBuf};

/// What install puts in the settings file.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub db: PathBuf,
    /// Only this PC by default; another address is the facility's choice, with TLS and a firewall rule.
    pub listen: String,
    /// A second drive or USB memory for the scheduled backups.
    pub backup_dir: Option<PathBuf>,
    pub backup_every_hours: u32,
    pub backup_keep: usize,
}

/// A TOML string: a literal ('…', backslashes as they are, as a person would type a Windows path) when
/// it can be one, else a basic string with escapes.
fn toml_string(s: &str) -> String {
    if !s.contains(['\'', '\n', '\r']) {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The settings file's text, in Japanese for the person who opens it in Notepad.
pub fn server_settings_toml(s: &ServerSettings) -> String {
    let mut t = String::new();
    t.push_str(
        "# Mamori サーバの設定（Windows サービス）。変更したら、管理者のコマンドプロンプトで\n",
    );
    t.push_str(
        "#   mamori service stop\n#   mamori service start\n# を実行すると反映されます。\n\n",
    );
    t.push_str("# データベース（SQLite のファイル）\n");
    t.push_str(&format!(
        "db = {}\n\n",
        toml_string(&s.db.to_string_lossy())
    ));
    t.push_str("# 待ち受けるアドレス。既定ではこの PC のブラウザからだけ使えます。院内 LAN の他の PC から使うときは\n");
    t.push_str("# listen = '0.0.0.0:8080' とし、証明書（tls_cert / tls_key）を設定して HTTPS にし、Windows ファイアウォールで\n");
    t.push_str("# このポートへの受信を院内のアドレスだけに許可してください（運用ガイド「院内 LAN から使う」）。\n");
    t.push_str(&format!("listen = {}\n\n", toml_string(&s.listen)));
    t.push_str("# 定期バックアップ。2台目のドライブや USB メモリのフォルダを指定します（backup_keep 世代を残します）。\n");
    match &s.backup_dir {
        Some(dir) => t.push_str(&format!(
            "backup_dir = {}\n",
            toml_string(&dir.to_string_lossy())
        )),
        None => t.push_str("# backup_dir = 'E:\\MamoriBackup'\n"),
    }
    t.push_str(&format!(
        "backup_every_hours = {}\nbackup_keep = {}\n",
        s.backup_every_hours, s.backup_keep
    ));
    t
}

/// Writes `text` to `path` unless a file is there (the facility's edits are kept); true when written.
pub fn write_if_absent(path: &Path, text: &str) -> Result<bool, String> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("フォルダ {} を作れません: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{} に書き込めません: {e}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_are_written_as_typed() {
        assert_eq!(
            toml_string("C:\\ProgramData\\Mamori\\mamori.db"),
            "'C:\\ProgramData\\Mamori\\mamori.db'"
        );
        assert_eq!(toml_string("E:\\O'Brien"), "\"E:\\\\O'Brien\"");
    }
}
