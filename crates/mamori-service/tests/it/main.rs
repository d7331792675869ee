//! mamori-service's integration tests: what a service writes on disk, on any system.

use std::io::Write;

use mamori_service::{ServerSettings, open_log, server_settings_toml, write_if_absent};

#[test]
fn install_writes_the_settings_once_and_keeps_the_facilitys_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Mamori").join("mamori.toml");
    let text = server_settings_toml(&ServerSettings {
        db: "C:\\ProgramData\\Mamori\\mamori.db".into(),
        listen: "127.0.0.1:8080".into(),
        backup_dir: Some("E:\\MamoriBackup".into()),
        backup_every_hours: 24,
        backup_keep: 14,
    });
    assert!(text.contains("db = 'C:\\ProgramData\\Mamori\\mamori.db'"));
    assert!(text.contains("listen = '127.0.0.1:8080'"));
    assert!(text.contains("backup_dir = 'E:\\MamoriBackup'"));
    assert!(text.contains("ファイアウォール"));
    assert!(write_if_absent(&path, &text).unwrap());
    std::fs::write(&path, "listen = '0.0.0.0:8080'\n").unwrap();
    assert!(!write_if_absent(&path, &text).unwrap());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "listen = '0.0.0.0:8080'\n"
    );
}

#[test]
fn without_a_backup_folder_the_file_shows_how_to_set_one() {
    let text = server_settings_toml(&ServerSettings {
        db: "D:\\data\\mamori.db".into(),
        listen: "127.0.0.1:8080".into(),
        backup_dir: None,
        backup_every_hours: 12,
        backup_keep: 7,
    });
    assert!(text.contains("# backup_dir = 'E:\\MamoriBackup'"));
    assert!(text.contains("backup_every_hours = 12\nbackup_keep = 7\n"));
}

#[test]
fn the_log_appends_and_moves_a_large_file_aside() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    writeln!(open_log(&logs, "mamori").unwrap(), "一行目").unwrap();
    writeln!(open_log(&logs, "mamori").unwrap(), "二行目").unwrap();
    assert_eq!(
        std::fs::read_to_string(logs.join("mamori.log")).unwrap(),
        "一行目\n二行目\n"
    );
    std::fs::write(logs.join("mamori.log"), vec![b'x'; 10 * 1024 * 1024 + 1]).unwrap();
    writeln!(open_log(&logs, "mamori").unwrap(), "新しい行").unwrap();
    assert_eq!(
        std::fs::read_to_string(logs.join("mamori.log")).unwrap(),
        "新しい行\n"
    );
    assert_eq!(
        std::fs::metadata(logs.join("mamori.log.1")).unwrap().len(),
        10 * 1024 * 1024 + 1
    );
}
