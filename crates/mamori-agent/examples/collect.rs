//! Wall time and peak memory of the Linux collector on this machine (issue 7's goal: ≤ 1 s, ≤ 30 MB).
//! Run: `bash bench/agent.sh [RUNS]`. The first run is the cold one (files not yet in the page cache).

use std::time::Instant;

/// Peak resident set size of this process (VmHWM), in kB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut times = Vec::new();
    let mut inv = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        inv = Some(mamori_agent::collect());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let inv = inv.expect("at least one run");
    let first = times[0];
    times.sort_by(f64::total_cmp);
    println!(
        "collector on {} ({} packages, {} accounts, {} listeners): first {first:.1} ms, p50 {:.1} ms, max {:.1} ms \
         over {runs} runs; peak RSS {:.1} MB (goal ≤ 1000 ms, ≤ 30 MB)",
        inv.os,
        inv.packages.len(),
        inv.accounts.len(),
        inv.listeners.len(),
        times[times.len() / 2],
        times[times.len() - 1],
        peak_rss_kb() as f64 / 1024.0
    );
}
