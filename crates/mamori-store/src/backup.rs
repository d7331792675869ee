//! Backups with generations (SQLite): a consistent online snapshot (`VACUUM INTO`), a manifest with its
//! SHA-256, size, schema version and audit-chain head, the oldest generations pruned; and a restore that
//! refuses a damaged or mismatched backup.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupManifest {
    pub generation: String,
    pub created_at: String,
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub schema_version: i64,
    pub audit_head: String,
    pub audit_records: i64,
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

    pub(crate) async fn audit_head(&self) -> Result<(String, i64)> {
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
    pub async fn backup(
        &self,
        dir: &Path,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<BackupManifest> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Backup(
                "PostgreSQL のバックアップには pg_dump を使ってください（Mamori の backup コマンドは SQLite 用です）".into(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(io(format!("{} を作成できません", dir.display())))?;
        let generation = now.format("%Y%m%dT%H%M%SZ").to_string();
        let file = format!("mamori-{generation}.db");
        let target = dir.join(&file);
        if target.exists() {
            return Err(StoreError::Backup(format!(
                "世代 {generation} はすでにあります"
            )));
        }
        let tmp = dir.join(format!(".{file}.partial"));
        let _ = std::fs::remove_file(&tmp);
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| StoreError::Backup("保存先のパスに使えない文字があります".into()))?;
        // VACUUM INTO writes one consistent snapshot while the server keeps running.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "VACUUM INTO '{}'",
            tmp_str.replace('\'', "''")
        )))
        .execute(&self.pool)
        .await?;
        // The manifest describes the snapshot itself, read back from the file.
        let (schema_version, audit_head, audit_records) = {
            let snap = sqlx::AnyPool::connect(&format!("sqlite://{tmp_str}?mode=ro")).await?;
            let snap_store = Store {
                pool: snap,
                backend: Backend::Sqlite,
                url: String::new(),
            };
            let v = snap_store.schema_version().await?;
            let (h, n) = snap_store.audit_head().await?;
            snap_store.close().await;
            (v, h, n)
        };
        std::fs::rename(&tmp, &target)
            .map_err(io(format!("{} を作成できません", target.display())))?;
        let (sha256, size) =
            sha256_file(&target).map_err(io(format!("{} を読めません", target.display())))?;
        let manifest = BackupManifest {
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
        std::fs::write(manifest_path(dir, &generation), json)
            .map_err(io("マニフェストを書けません".into()))?;
        for old in list_generations(dir)?.into_iter().rev().skip(keep.max(1)) {
            let _ = std::fs::remove_file(dir.join(&old.file));
            let _ = std::fs::remove_file(manifest_path(dir, &old.generation));
        }
        Ok(manifest)
    }
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
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.generation.cmp(&b.generation));
    Ok(out)
}

/// Restores generation `generation` of `dir` into a new SQLite file `target`, after checking the file's
/// SHA-256 and size against the manifest, and the restored audit chain against the manifest's head.
pub async fn restore(dir: &Path, generation: &str, target: &Path) -> Result<BackupManifest> {
    let text = std::fs::read_to_string(manifest_path(dir, generation)).map_err(io(format!(
        "世代 {generation} のマニフェストがありません（{}）",
        dir.display()
    )))?;
    let m: BackupManifest = serde_json::from_str(&text).map_err(|e| {
        StoreError::Backup(format!(
            "世代 {generation} のマニフェストが壊れています: {e}"
        ))
    })?;
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
    if target.exists() {
        return Err(StoreError::Backup(format!(
            "{} はすでにあります。上書きはしません。新しいファイル名を指定してください。",
            target.display()
        )));
    }
    std::fs::copy(&source, target).map_err(io(format!("{} に書き込めません", target.display())))?;
    let checked = async {
        let store = Store::open(
            target
                .to_str()
                .ok_or_else(|| StoreError::Backup("パスに使えない文字があります".into()))?,
        )
        .await?;
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
        store.close().await;
        if head != m.audit_head || n != m.audit_records {
            return Err(StoreError::Backup(
                "復元したデータの監査記録がマニフェストと一致しません".into(),
            ));
        }
        Ok(())
    }
    .await;
    if let Err(e) = checked {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
        }
        return Err(e);
    }
    Ok(m)
}
