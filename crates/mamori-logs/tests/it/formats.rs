//! Files that are no log: the format tried and why it failed.

use mamori_logs::Options;

use crate::helpers::*;

#[test]
fn random_bytes_name_the_format_tried_and_why() {
    // Issue 23 (11): random bytes given as EVTX were reported as CSV garbage.
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Vec::with_capacity(64 * 1024);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..64 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push((x & 0xFF) as u8);
    }
    let evtx = dir.path().join("Security.evtx");
    std::fs::write(&evtx, &noise).unwrap();
    let other = dir.path().join("export.dat");
    std::fs::write(&other, &noise).unwrap();
    let report = run(&[evtx, other], &Options::at(&mamori_core::Clock::system()));
    let e = &report.files[0].errors;
    assert_eq!(report.files[0].records, 0);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("EVTX") && e[0].contains("ElfFile") && e[0].contains("先頭 8 バイト"),
        "{}",
        e[0]
    );
    let e = &report.files[1].errors;
    assert!(
        e[0].contains("テキストのログ") && e[0].contains("バイナリ"),
        "{}",
        e[0]
    );
    // A text file is still read as text.
    let text = dir.path().join("auth.log");
    std::fs::write(
        &text,
        "Nov 28 03:12:01 host sshd[1]: Failed password for root from 10.0.0.9 port 2 ssh2\n",
    )
    .unwrap();
    assert!(
        run(&[text], &Options::at(&mamori_core::Clock::system())).files[0]
            .errors
            .is_empty()
    );
}
