//! An EVTX file in any bytes (the signature put in front so the parser goes past it): the records before
//! any damage, messages, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("mamori-fuzz-evtx-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("f.evtx");
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend_from_slice(data);
    std::fs::write(&path, &bytes).unwrap();
    let r = mamori_logs::analyze(
        &[path],
        &mamori_logs::Options {
            threads: 1,
            ..mamori_logs::Options::at(&mamori_core::Clock::fixed(chrono::DateTime::UNIX_EPOCH))
        },
        &mut |_, _| {},
    );
    assert_eq!(r.files.len(), 1);
});
