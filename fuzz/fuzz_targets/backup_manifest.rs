//! A backup folder's manifest (a file anyone with access to the backup disk can edit): listing and
//! restoring never panic, never read or write outside the folder, and a refused restore leaves no file.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
});

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("backups");
    std::fs::create_dir(&gen_dir).unwrap();
    std::fs::write(gen_dir.join("mamori-20250601T020000Z.json"), data).unwrap();
    std::fs::write(
        gen_dir.join("mamori-20250601T020000Z.db"),
        b"not a database",
    )
    .unwrap();
    let _ = mamori_store::backup::list_generations(&gen_dir);
    let target = dir.path().join("restored.db");
    let result = RT.block_on(mamori_store::backup::restore(
        &gen_dir,
        "20250601T020000Z",
        target.to_str().unwrap(),
    ));
    if result.is_err() {
        assert!(!target.exists());
    }
});
