//! A line of an auth log: the parser and what sshd/sudo said never panic; a line that reads has a
//! message that is part of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_logs::syslog;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let zone = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    let mut reader = syslog::Reader::new(2024, zone);
    for line in text.lines() {
        if let Some(l) = reader.line(line) {
            assert!(line.contains(l.message));
            let _ = syslog::event_of(&l);
        }
    }
});
