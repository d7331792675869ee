//! The hostile workbooks of issue 23 at full size, for `bench/hostile.sh`: `write CASE FILE` makes one,
//! `read FILE` times the guard and the ledger reader on it (a process of its own, so that its peak
//! memory is the reader's, not the generator's). `list` names the cases.

use std::time::Instant;

use mamori_ledger::{Kind, hostile_xlsx, parse_xlsx, xlsx_guard};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list"] => hostile_xlsx::CASES.iter().for_each(|n| println!("{n}")),
        ["write", name, file] => {
            assert!(hostile_xlsx::CASES.contains(name), "no case {name}");
            std::fs::write(file, hostile_xlsx::case(name, 1.0)).unwrap();
        }
        ["read", file] => {
            let bytes = std::fs::read(file).unwrap();
            let started = Instant::now();
            let guard = xlsx_guard::check(&bytes, &xlsx_guard::Limits::default());
            let guard_ms = started.elapsed().as_secs_f64() * 1000.0;
            let started = Instant::now();
            let read = parse_xlsx(Kind::Devices, &bytes);
            let read_ms = started.elapsed().as_secs_f64() * 1000.0;
            let message = match (&guard, &read) {
                (Err(m), Err(_)) => m.chars().take(40).collect::<String>(),
                _ => "ACCEPTED (a defect)".into(),
            };
            println!(
                "{:>10} {guard_ms:>9.1} {read_ms:>9.1}  {message}",
                bytes.len()
            );
        }
        _ => eprintln!("usage: hostile list | write CASE FILE | read FILE"),
    }
}
