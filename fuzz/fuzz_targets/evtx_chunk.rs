//! One EVTX chunk in any bytes (its signature put in front), read straight from its BinXML: every
//! record's EventID, channel, provider, fields and time asked for; errors, no panic, no endless loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_logs::evtx_binxml::{FIELDS, read_chunk};

fuzz_target!(|data: &[u8]| {
    let mut chunk = b"ElfChnk\0".to_vec();
    chunk.extend_from_slice(data);
    let mut seen = 0u64;
    let read = read_chunk(&chunk, &mut |rec| {
        seen += 1;
        rec.event_id()?;
        rec.channel_is("Security")?;
        rec.provider_is("Microsoft-Windows-Security-Auditing")?;
        for (_, f) in FIELDS {
            rec.field(f)?;
        }
        rec.time()?;
        Ok(())
    });
    if let Ok(n) = read {
        assert_eq!(n, seen);
    }
});
