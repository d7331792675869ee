//! Unit tests of `edition_workbook`.

use super::words::*;
use super::*;

#[test]
fn numbers_in_every_style() {
    assert_eq!(parse_number("(3)"), Some((None, 3)));
    assert_eq!(parse_number("（１３）"), Some((None, 13)));
    assert_eq!(parse_number("⑫"), Some((None, 12)));
    assert_eq!(parse_number("1-①"), Some((Some("1".into()), 1)));
    assert_eq!(parse_number("２－⑬"), Some((Some("2".into()), 13)));
    assert_eq!(parse_number("2(3)"), Some((Some("2".into()), 3)));
    assert_eq!(parse_number("2-(3)"), Some((Some("2".into()), 3)));
    assert_eq!(parse_number("体制構築"), None);
    assert_eq!(parse_number("1"), None);
    assert_eq!(parse_number("(0)"), None);
}

#[test]
fn sections_targets_and_prefixes() {
    assert_eq!(parse_section("1 体制構築").as_deref(), Some("1"));
    assert_eq!(
        parse_section("２．医療情報システムの管理・運用").as_deref(),
        Some("2")
    );
    assert_eq!(
        parse_section("医療情報システムの有無").as_deref(),
        Some("gate")
    );
    assert_eq!(parse_section("2(3)"), None);
    assert_eq!(parse_section("1-①"), None);
    assert_eq!(parse_section("3 連絡体制図がある。"), None);
    assert_eq!(
        parse_target("サーバについて、以下を実施している。"),
        Some(Target::Server)
    );
    assert_eq!(parse_target("端末PC"), Some(Target::Terminal));
    assert_eq!(parse_target("医療情報システム全般"), Some(Target::General));
    assert_eq!(
        parse_target("サーバ、端末PC、ネットワーク機器の台帳管理を行っている。"),
        None
    );
    assert_eq!(
        split_number_prefix("(1) 医療情報システム安全管理責任者を設置している。"),
        Some(("(1)", "医療情報システム安全管理責任者を設置している。"))
    );
    assert_eq!(
        split_number_prefix("①医療情報システム安全管理責任者を設置している。"),
        Some(("①", "医療情報システム安全管理責任者を設置している。"))
    );
    assert_eq!(
        split_number_prefix("医療情報システムを導入、運用している。"),
        None
    );
}

#[test]
fn columns_from_their_headings() {
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        classify_column(&h(&["確認結果（日付）", "1回目"])),
        Col::Result(1)
    );
    assert_eq!(
        classify_column(&h(&["確認結果（日付）", "2回目"])),
        Col::Result(2)
    );
    assert_eq!(classify_column(&h(&["2回目", "確認日"])), Col::Date(2));
    assert_eq!(
        classify_column(&h(&["1回目", "目標日"])),
        Col::TargetDate(1)
    );
    assert_eq!(classify_column(&h(&["確認結果", "日付"])), Col::Date(1));
    assert_eq!(classify_column(&h(&["備考", ""])), Col::Note);
    assert_eq!(classify_column(&h(&["2回目", "はい"])), Col::Result(2));
    assert_eq!(classify_column(&h(&["2回目", "いいえ"])), Col::No(2));
    assert_eq!(classify_column(&h(&["チェック項目", ""])), Col::Text);
}

#[test]
fn huge_merged_regions_are_indexed_within_the_sheet_read() {
    let huge = Dimensions {
        start: (0, 0),
        end: (1_000_000, 16_000),
    };
    let grid = Grid::from_cells([((0, 0), Data::String("x".into()))], vec![huge; 50]);
    assert_eq!(grid.merged_at.len(), (MAX_ROWS * MAX_COLS) as usize);
    assert!(!grid.is_origin(3, 3));
    assert!(grid.is_origin(0, 0));
}

#[test]
fn fingerprints_of_known_files() {
    let f = Fingerprint::of(b"not the official file");
    assert_eq!(f.official, None);
    assert!(f.verdict().starts_with(OFFICIAL_MISMATCH));
    assert_eq!(f.sha256.len(), 64);
}
