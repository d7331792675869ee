//! The log file of a service (it has no console): `logs\<name>.log` under the data folder, appended to,
//! moved aside to `<name>.log.1` when it passes 10 MB so that a year of running does not fill the disk.

use std::fs::{File, OpenOptions};
use std::path::Path;

const ROTATE_AT: u64 = 10 * 1024 * 1024;

/// Opens (creating the folder) `dir/<name>.log` for appending, after moving a large one aside.
pub fn open_log(dir: &Path, name: &str) -> Result<File, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("ログのフォルダ {} を作れません: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.log"));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_AT) {
        let _ = std::fs::rename(&path, dir.join(format!("{name}.log.1")));
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("ログ {} を開けません: {e}", path.display()))
}
