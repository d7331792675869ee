//! The ledgers behind the checklist answers (機器台帳, 利用者台帳, 事業者・契約, 外部連絡リスト, ログリスト,
//! バックアップ台帳): their columns with the Japanese headers people already use, the rules of each value,
//! and reading and writing them as CSV (UTF-8 with or without BOM, or CP932) and xlsx. All-or-nothing:
//! a file with any bad row yields every problem, by row and column, and no rows.

pub mod codec;
pub mod fields;
pub mod hostile_xlsx;
pub mod sample;
pub mod values;
pub mod xlsx_guard;

pub use codec::{
    DEFAULT_MAX_ROWS, Encoding, ImportError, Parsed, parse_csv, parse_file, parse_file_limited,
    parse_xlsx, table_csv, table_xlsx, to_csv, to_xlsx,
};
pub use fields::{Field, FieldType, Kind};
pub use values::{accepted_words, meaning, row_meaning};

/// One ledger row: field key → normalised value (dates as YYYY-MM-DD, choices as their canonical word).
/// Empty values are left out.
pub type Row = std::collections::BTreeMap<String, String>;

/// What a 利用者台帳 row's 状態 means: 使用可, 無効 or 削除 (「退職」「休職」 are 無効, 「廃止」 is 削除).
pub fn account_status(row: &Row) -> Option<&'static str> {
    Kind::Accounts
        .field("status")
        .and_then(|f| row_meaning(f, row))
}
