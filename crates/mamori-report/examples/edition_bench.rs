//! Times reading an edition from a workbook and filling it, beside calamine reading the same sheet's cells
//! (the floor: what any xlsx reader must do). Prints p50 over RUNS.
//! Usage: cargo run --release -p mamori-report --example edition_bench -- [RUNS] [ITEMS]

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use mamori_core::catalog::{Catalog, Variant};
use mamori_report::edition_workbook::read_edition_workbook;
use mamori_report::sample_workbook::{SampleLayout, sample_workbook};
use mamori_report::workbook_fill::fill_workbook;

fn p50(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let items: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(400);
    let c = Catalog::builtin().unwrap();
    let r7 = c.form("r7", Variant::Facility).unwrap().clone();
    // A much larger form than any MHLW has published: the same items repeated under new numbers.
    let mut big = r7.clone();
    big.items.clear();
    for n in 0..items {
        let mut i = r7.items[1 + n % (r7.items.len() - 1)].clone();
        i.section = "2".into();
        i.key = format!("2.{}", n + 1);
        i.number = format!("({})", n + 1);
        i.text = format!("{}（{}）", i.text, n + 1);
        i.targets = vec![mamori_core::catalog::ItemTarget {
            group: mamori_core::Target::General,
            reference: false,
        }];
        big.items.push(i);
    }
    println!("runs {runs}, p50; machine: see README (2 cores)");
    println!(
        "{:<28} {:>6} {:>9} {:>11} {:>9} {:>9}",
        "form / layout", "rows", "import ms", "calamine ms", "ratio", "fill ms"
    );
    for (name, form) in [("R7 医療機関確認用", &r7), ("合成 (items)", &big)] {
        for layout in SampleLayout::ALL {
            let bytes = sample_workbook(&c, form, layout).unwrap();
            let parsed = read_edition_workbook(&bytes, None).unwrap();
            let import = p50(
                || {
                    read_edition_workbook(&bytes, None).unwrap();
                },
                runs,
            );
            let floor = p50(
                || {
                    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&bytes)).unwrap();
                    let range = wb.worksheet_range(&parsed.layout.sheet).unwrap();
                    let _ = wb.merge_cells_by_sheet_name(&parsed.layout.sheet);
                    std::hint::black_box(range.used_cells().count());
                },
                runs,
            );
            let cells: BTreeMap<(u32, u32), String> = parsed
                .layout
                .rows
                .iter()
                .map(|r| {
                    (
                        (r.row, parsed.layout.rounds[0].result),
                        "はい\n（令和8年6月1日）".into(),
                    )
                })
                .collect();
            let fill = p50(
                || {
                    fill_workbook(&bytes, &parsed.layout.sheet, &cells).unwrap();
                },
                runs,
            );
            println!(
                "{:<28} {:>6} {:>9.2} {:>11.2} {:>8.2}× {:>9.2}",
                format!("{name} {}", layout.id()).replace("(items)", &format!("{items}")),
                parsed.layout.rows.len(),
                ms(import),
                ms(floor),
                import.as_secs_f64() / floor.as_secs_f64(),
                ms(fill)
            );
        }
    }
}
