//! Backups with generations: a consistent online snapshot (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`
//! of an exported snapshot), a manifest with its SHA-256, size, schema version and audit-chain head (read
//! in the same snapshot), the oldest generations pruned; and a restore that refuses a damaged or mismatched
//! backup.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, ts};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// "sqlite" or "postgres" (what the file is, and where it can be restored).
    #[serde(default = "sqlite_kind")]
    pub backend: String,
    pub generation: String,
    pub created_at: String,
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub schema_version: i64,
    pub audit_head: String,
    pub audit_records: i64,
}

fn sqlite_kind() -> String {
    "sqlite".into()
}

/// A manifest names its data file; only `mamori-<generation>.db|dump` in the same folder is accepted, so a
/// crafted manifest cannot make restore read, or pruning delete, a file elsewhere.
fn check_names(m: &BackupManifest) -> Result<()> {
    let generation_ok = !m.generation.is_empty()
        && m.generation
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let file_ok = [".db", ".dump"]
        .iter()
        .any(|ext| m.file == format!("mamori-{}{ext}", m.generation));
    if generation_ok && file_ok {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "マニフェストのファイル名「{}」（世代「{}」）が正しくありません",
            m.file, m.generation
        )))
    }
}

fn manifest_path(dir: &Path, generation: &str) -> PathBuf {
    dir.join(format!("mamori-{generation}.json"))
}

fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .sync_all()
}

/// A rename is durable once its folder is synced (POSIX; Windows has no folder handle to sync).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Half-written files of backups that died (a killed process, a full disk) are removed once they are a
/// day old (a younger one may be another instance's backup in progress).
fn remove_stale_partials(dir: &Path) {
    // Files age by the machine's clock, whatever clock the store was given.
    let now = std::time::SystemTime::now();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(".mamori-")
            && (name.ends_with(".partial") || name.contains(".verify.db")))
        {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .map(|t| {
                now.duration_since(t).unwrap_or_default() > std::time::Duration::from_secs(86_400)
            })
            .unwrap_or(false);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Backup(format!("{what}: {e}"))
}

impl Store {
    pub(crate) async fn schema_version(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?
                .try_get::<Option<i64>, _>(0)?
                .unwrap_or(0),
        )
    }

    /// The audit chain's head and its number of records now (written into every backup manifest and
    /// printed on the pack's cover: records of the chain kept outside the database).
    pub async fn audit_head(&self) -> Result<(String, i64)> {
        let head: String = sqlx::query("SELECT hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok((head, n))
    }

    /// Writes a new backup generation into `dir` and keeps the newest `keep` generations.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn backup(
        &self,
        dir: &Path,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<BackupManifest> {
        std::fs::create_dir_all(dir).map_err(io(format!("{} を作成できません", dir.display())))?;
        let generation = now.format("%Y%m%dT%H%M%SZ").to_string();
        let (kind, ext) = match self.backend {
            Backend::Sqlite => ("sqlite", "db"),
            Backend::Postgres => ("postgres", "dump"),
        };
        let file = format!("mamori-{generation}.{ext}");
        let target = dir.join(&file);
        if target.exists() || manifest_path(dir, &generation).exists() {
            return Err(StoreError::Backup(format!(
                "世代 {generation} はすでにあります"
            )));
        }
        let tmp = dir.join(format!(".{file}.partial"));
        let _ = std::fs::remove_file(&tmp);
        let snapshot = match self.backend {
            Backend::Sqlite => self.snapshot_sqlite(&tmp).await,
            Backend::Postgres => self.snapshot_postgres(&tmp).await,
        };
        let (schema_version, audit_head, audit_records) = match snapshot {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        // On disk before it takes its name, and the name on disk before anything older goes.
        sync_file(&tmp).map_err(io(format!("{} を書き込めません", tmp.display())))?;
        std::fs::rename(&tmp, &target)
            .map_err(io(format!("{} を作成できません", target.display())))?;
        sync_dir(dir);
        let (sha256, size) =
            sha256_file(&target).map_err(io(format!("{} を読めません", target.display())))?;
        let manifest = BackupManifest {
            backend: kind.into(),
            generation: generation.clone(),
            created_at: now.to_rfc3339(),
            file,
            sha256,
            size,
            schema_version,
            audit_head,
            audit_records,
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        let manifest_tmp = dir.join(format!(".mamori-{generation}.json.partial"));
        std::fs::write(&manifest_tmp, json)
            .and_then(|()| sync_file(&manifest_tmp))
            .and_then(|()| std::fs::rename(&manifest_tmp, manifest_path(dir, &generation)))
            .map_err(io("マニフェストを書けません".into()))?;
        sync_dir(dir);
        // A backup not known to restore is not a backup: it is restored (SQLite) or read back (PostgreSQL)
        // now, and older generations go only once it has passed.
        self.check_backup(dir, &manifest).await.map_err(|e| {
            StoreError::Backup(format!(
                "世代 {generation} を書き出しましたが、復元できることを確認できませんでした（古い世代は残しています）: {e}"
            ))
        })?;
        for old in list_generations(dir)?.into_iter().rev().skip(keep.max(1)) {
            let _ = std::fs::remove_file(dir.join(&old.file));
            let _ = std::fs::remove_file(manifest_path(dir, &old.generation));
        }
        remove_stale_partials(dir);
        sync_dir(dir);
        Ok(manifest)
    }

    /// What [`Store::check_backup`] proved of a generation that passed, as the dashboard says it.
    pub fn backup_check_text(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => {
                "復元できることを確認済み（別のファイルに実際に復元し、SHA-256・スキーマ・監査記録の連鎖と先頭を照合）"
            }
            Backend::Postgres => {
                "読み返して確認済み（SHA-256、pg_restore で読めること、監査記録の連鎖。空のデータベースへの復元は mamori restore で）"
            }
        }
    }

    /// Whether a generation just written restores: its SHA-256 read back; for SQLite, restored into a
    /// scratch file (schema, the audit chain whole, the manifest's head); for PostgreSQL, the archive's
    /// table of contents read by `pg_restore --list` and the database's chain checked whole
    /// (restoring needs an empty database, which `mamori restore` is given).
    async fn check_backup(&self, dir: &Path, m: &BackupManifest) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                let scratch = dir.join(format!(".mamori-{}.verify.db", m.generation));
                let remove = || {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
                    }
                };
                remove();
                let target = scratch
                    .to_str()
                    .ok_or_else(|| StoreError::Backup("パスに使えない文字があります".into()))?
                    .to_string();
                let r = restore(dir, &m.generation, &target).await;
                remove();
                r.map(|_| ())
            }
            Backend::Postgres => {
                let (sha, size) = sha256_file(&dir.join(&m.file))
                    .map_err(io(format!("{} を読めません", m.file)))?;
                if sha != m.sha256 || size != m.size {
                    return Err(StoreError::Backup(
                        "書き出したファイルを読み返すと SHA-256 が一致しません".into(),
                    ));
                }
                let mut cmd = std::process::Command::new("pg_restore");
                cmd.arg("--list").arg(dir.join(&m.file));
                run_tool(cmd, "pg_restore").await?;
                if let Err(b) = self.verify_audit_chain().await? {
                    return Err(StoreError::Backup(format!("監査記録が壊れています: {b}")));
                }
                Ok(())
            }
        }
    }

    /// `VACUUM INTO` writes one consistent snapshot while the server keeps running; the manifest's
    /// figures are read back from the snapshot itself.
    async fn snapshot_sqlite(&self, tmp: &Path) -> Result<(i64, String, i64)> {
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| StoreError::Backup("保存先のパスに使えない文字があります".into()))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "VACUUM INTO '{}'",
            tmp_str.replace('\'', "''")
        )))
        .execute(&self.pool)
        .await?;
        let snap = sqlx::AnyPool::connect(&crate::sqlite_url(tmp_str, "ro")).await?;
        let snap_store = Store {
            pool: snap,
            backend: Backend::Sqlite,
            url: String::new(),
        };
        let v = snap_store.schema_version().await?;
        let (h, n) = snap_store.audit_head().await?;
        snap_store.close().await;
        Ok((v, h, n))
    }

    /// `pg_dump` of a snapshot exported from a repeatable-read transaction, in which the manifest's
    /// figures are read too: the dump and its manifest describe the same moment.
    async fn snapshot_postgres(&self, tmp: &Path) -> Result<(i64, String, i64)> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
        let result = async {
            let snapshot: String = sqlx::query("SELECT pg_export_snapshot()")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let version: i64 =
                sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get::<Option<i64>, _>(0)?
                    .unwrap_or(0);
            let head: String = sqlx::query("SELECT hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let mut cmd = pg_command("pg_dump", &self.url);
            cmd.arg("--format=custom")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg(format!("--snapshot={snapshot}"))
                .arg("--file")
                .arg(tmp);
            run_tool(cmd, "pg_dump").await?;
            Ok((version, head, n))
        }
        .await;
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        result
    }
}

impl Store {
    /// [`Store::backup`], with the attempt noted in the database (the dashboard shows the last backup's
    /// age and a failure's reason).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn backup_and_record(
        &self,
        dir: &Path,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<BackupManifest> {
        let result = self.backup(dir, keep, now).await;
        let run = crate::BackupRun {
            at: now,
            ok: result.is_ok(),
            generation: result
                .as_ref()
                .map(|m| m.generation.clone())
                .unwrap_or_default(),
            dir: dir.display().to_string(),
            message: match &result {
                Ok(_) => self.backup_check_text().to_string(),
                Err(e) => e.to_string(),
            },
        };
        self.record_backup_run(&run).await?;
        result
    }

    /// Scheduled backups for `serve`: one generation every `every`, counted from the last successful
    /// backup (so a restart does not add one); after a failure, another try within the hour. Runs until
    /// the task is dropped.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn backup_loop(
        self,
        dir: PathBuf,
        every: std::time::Duration,
        keep: usize,
        clock: mamori_core::Clock,
    ) {
        let every_c = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(24));
        let retry = every.min(std::time::Duration::from_secs(3600));
        loop {
            let wait = match self.last_backup_runs().await {
                Ok((_, Some(ok))) => (ok.at + every_c - clock.now()).to_std().unwrap_or_default(),
                Ok((_, None)) => std::time::Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = %e, "定期バックアップ: 記録を読めません");
                    retry
                }
            };
            tokio::time::sleep(wait).await;
            // Every instance wakes; the one holding the lock backs up, unless another just did.
            let run = self.run_exclusive("backup", async {
                if let Ok((_, Some(ok))) = self.last_backup_runs().await
                    && ok.at + every_c - clock.now() > chrono::Duration::minutes(1)
                {
                    return None;
                }
                Some(self.backup_and_record(&dir, keep, clock.now()).await)
            });
            use std::sync::atomic::Ordering::Relaxed;
            match run.await {
                // Another instance is backing up: look again once it has recorded its run.
                Ok(None) => tokio::time::sleep(std::time::Duration::from_secs(60)).await,
                Ok(Some(None)) => {}
                Ok(Some(Some(Ok(m)))) => {
                    crate::jobs::JOBS.runs.fetch_add(1, Relaxed);
                    println!(
                        "定期バックアップを作成しました: {}（世代 {}）",
                        dir.join(&m.file).display(),
                        m.generation
                    )
                }
                Ok(Some(Some(Err(e)))) | Err(e) => {
                    crate::jobs::JOBS.failures.fetch_add(1, Relaxed);
                    tracing::error!(error = %e, "定期バックアップに失敗しました");
                    tokio::time::sleep(retry).await;
                }
            }
        }
    }
}

/// A PostgreSQL client tool for `url`, with the password passed in the environment (not on the command
/// line, where other users of the machine could read it).
fn pg_command(tool: &str, url: &str) -> std::process::Command {
    let (url, password) = split_password(url);
    let mut cmd = std::process::Command::new(tool);
    cmd.arg("--dbname").arg(url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, Some("secret")), percent-decoded.
fn split_password(url: &str) -> (String, Option<String>) {
    let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_string(), None);
    };
    let creds = &url[scheme + 3..at];
    let Some(colon) = creds.find(':').filter(|_| at > scheme) else {
        return (url.to_string(), None);
    };
    let raw = &creds[colon + 1..];
    let mut bytes = Vec::new();
    let mut i = 0;
    let b = raw.as_bytes();
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            bytes.push(v);
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    (
        format!("{}{}{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
        Some(String::from_utf8_lossy(&bytes).into_owned()),
    )
}

/// Runs a PostgreSQL client tool to its end; its error output becomes the message.
async fn run_tool(mut cmd: std::process::Command, tool: &'static str) -> Result<()> {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| StoreError::Backup(format!("{tool} を実行できません: {e}")))?
        .map_err(|e| {
            StoreError::Backup(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{tool} が見つかりません。PostgreSQL のクライアント（Debian/Ubuntu では postgresql-client）をインストールしてください"
                )
            } else {
                format!("{tool} を実行できません: {e}")
            })
        })?;
    if !out.status.success() {
        return Err(StoreError::Backup(format!(
            "{tool} が失敗しました: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The generations in `dir`, oldest first.
pub fn list_generations(dir: &Path) -> Result<Vec<BackupManifest>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(io(format!("{} を開けません", dir.display())))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("mamori-") && name.ends_with(".json") {
            let text =
                std::fs::read_to_string(e.path()).map_err(io(format!("{name} を読めません")))?;
            let m: BackupManifest = serde_json::from_str(&text).map_err(|e| {
                StoreError::Backup(format!(
                    "{name} はバックアップのマニフェストとして読めません: {e}"
                ))
            })?;
            check_names(&m)?;
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.generation.cmp(&b.generation));
    Ok(out)
}

/// Restores generation `generation` of `dir` into `target`: a new SQLite file (for a SQLite backup) or an
/// empty PostgreSQL database (`postgres://…`, for a PostgreSQL backup). The file's SHA-256 and size are
/// checked against the manifest first, and the restored audit chain against the manifest's head after.
pub async fn restore(dir: &Path, generation: &str, target: &str) -> Result<BackupManifest> {
    let text = std::fs::read_to_string(manifest_path(dir, generation)).map_err(io(format!(
        "世代 {generation} のマニフェストがありません（{}）",
        dir.display()
    )))?;
    let m: BackupManifest = serde_json::from_str(&text).map_err(|e| {
        StoreError::Backup(format!(
            "世代 {generation} のマニフェストが壊れています: {e}"
        ))
    })?;
    check_names(&m)?;
    let source = dir.join(&m.file);
    let (sha, size) = sha256_file(&source).map_err(io(format!(
        "バックアップファイル {} を読めません",
        source.display()
    )))?;
    if sha != m.sha256 || size != m.size {
        return Err(StoreError::Backup(format!(
            "バックアップファイル {} が壊れています（SHA-256 または大きさがマニフェストと一致しません）。別の世代から復元してください。",
            m.file
        )));
    }
    let to_postgres = target.starts_with("postgres://") || target.starts_with("postgresql://");
    match (m.backend.as_str(), to_postgres) {
        ("sqlite", false) => restore_sqlite(&m, &source, Path::new(target)).await?,
        ("postgres", true) => restore_postgres(&m, &source, target).await?,
        ("postgres", false) => {
            return Err(StoreError::Backup(
                "PostgreSQL のバックアップです。復元先には空の PostgreSQL データベース（postgres://…）を指定してください".into(),
            ));
        }
        ("sqlite", true) => {
            return Err(StoreError::Backup(
                "SQLite のバックアップです。復元先には新しいファイル名を指定してください".into(),
            ));
        }
        (other, _) => {
            return Err(StoreError::Backup(format!(
                "マニフェストの種別「{other}」が分かりません"
            )));
        }
    }
    Ok(m)
}

/// The restored database matches the manifest: schema, an intact audit chain, the same head.
async fn check_restored(store: &Store, m: &BackupManifest) -> Result<()> {
    if store.schema_version().await? < m.schema_version {
        return Err(StoreError::Backup(
            "復元したデータベースのスキーマがマニフェストより古くなっています".into(),
        ));
    }
    if let Err(b) = store.verify_audit_chain().await? {
        return Err(StoreError::Backup(format!(
            "復元したデータの監査記録が壊れています: {b}"
        )));
    }
    let (head, n) = store.audit_head().await?;
    if head != m.audit_head || n != m.audit_records {
        return Err(StoreError::Backup(
            "復元したデータの監査記録がマニフェストと一致しません".into(),
        ));
    }
    Ok(())
}

async fn restore_sqlite(m: &BackupManifest, source: &Path, target: &Path) -> Result<()> {
    if target.exists() {
        return Err(StoreError::Backup(format!(
            "{} はすでにあります。上書きはしません。新しいファイル名を指定してください。",
            target.display()
        )));
    }
    std::fs::copy(source, target).map_err(io(format!("{} に書き込めません", target.display())))?;
    let checked = async {
        let store = Store::open(
            target
                .to_str()
                .ok_or_else(|| StoreError::Backup("パスに使えない文字があります".into()))?,
        )
        .await?;
        let r = check_restored(&store, m).await;
        store.close().await;
        r
    }
    .await;
    if let Err(e) = checked {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
        }
        return Err(e);
    }
    Ok(())
}

async fn restore_postgres(m: &BackupManifest, source: &Path, target: &str) -> Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(target)
        .await
        .map_err(|source| StoreError::Connect {
            url: crate::redact_url(target),
            source,
        })?;
    let tables: i64 =
        sqlx::query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_one(&pool)
            .await?
            .try_get(0)?;
    pool.close().await;
    if tables > 0 {
        return Err(StoreError::Backup(format!(
            "復元先のデータベース {} は空ではありません。上書きはしません。空のデータベースを指定してください。",
            crate::redact_url(target)
        )));
    }
    let mut cmd = pg_command("pg_restore", target);
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--single-transaction")
        .arg(source);
    run_tool(cmd, "pg_restore").await?;
    let store = Store::open(target).await?;
    let r = check_restored(&store, m).await;
    store.close().await;
    r.map_err(|e| {
        StoreError::Backup(format!(
            "{e}（復元先のデータベースは使わずに削除してください）"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_may_only_name_their_own_file() {
        let m = |generation: &str, file: &str| BackupManifest {
            backend: "sqlite".into(),
            generation: generation.into(),
            created_at: String::new(),
            file: file.into(),
            sha256: String::new(),
            size: 0,
            schema_version: 0,
            audit_head: String::new(),
            audit_records: 0,
        };
        assert!(check_names(&m("20250601T020000Z", "mamori-20250601T020000Z.db")).is_ok());
        assert!(check_names(&m("20250601T020000Z", "mamori-20250601T020000Z.dump")).is_ok());
        for (g, f) in [
            ("20250601T020000Z", "../../etc/passwd"),
            ("20250601T020000Z", "/etc/passwd"),
            ("../x", "mamori-../x.db"),
            ("", "mamori-.db"),
            ("20250601T020000Z", "mamori-20250601T030000Z.db"),
        ] {
            assert!(check_names(&m(g, f)).is_err(), "{g} {f}");
        }
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://mamori:s%40cret@db:5432/m"),
            (
                "postgres://mamori@db:5432/m".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://db/m"),
            ("postgres://db/m".to_string(), None)
        );
        assert_eq!(
            split_password("postgres://u@db/m"),
            ("postgres://u@db/m".to_string(), None)
        );
    }
}

/// One backup attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRun {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub generation: String,
    pub dir: String,
    pub message: String,
}

impl Store {
    /// Notes a backup attempt (its generation on success, the reason on failure).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_backup_run(&self, run: &BackupRun) -> Result<()> {
        sqlx::query(
            "INSERT INTO backup_runs (at, ok, generation, dir, message) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ts(run.at))
        .bind(i64::from(run.ok))
        .bind(&run.generation)
        .bind(&run.dir)
        .bind(&run.message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest backup attempt, and the newest successful one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn last_backup_runs(&self) -> Result<(Option<BackupRun>, Option<BackupRun>)> {
        let get = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_optional(&self.pool).await?;
            row.map(|r| -> Result<BackupRun> {
                let at: String = r.try_get("at")?;
                Ok(BackupRun {
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|_| StoreError::Corrupt(format!("日時 {at}")))?
                        .with_timezone(&Utc),
                    ok: r.try_get::<i64, _>("ok")? != 0,
                    generation: r.try_get("generation")?,
                    dir: r.try_get("dir")?,
                    message: r.try_get("message")?,
                })
            })
            .transpose()
        };
        Ok((
            get("SELECT at, ok, generation, dir, message FROM backup_runs ORDER BY id DESC LIMIT 1")
                .await?,
            get("SELECT at, ok, generation, dir, message FROM backup_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1")
                .await?,
        ))
    }
}
