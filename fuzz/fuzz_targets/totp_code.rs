//! A typed two-factor code (and a stored secret, in case it is damaged): never panics, and only a code of
//! one of the three steps around now is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_app::totp;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (secret, code) = text.split_once('\n').unwrap_or(("JBSWY3DPEHPK3PXP", &text));
    let now = 1_750_000_000;
    if let Some(step) = totp::matching_step(secret, code, now) {
        assert!((step - totp::step_of(now)).abs() <= 1);
    }
});
