//! What the rule tests share: facts from small ledgers, the r7 facility form, suggestions by topic.

use chrono::NaiveDate;
use mamori_core::{Catalog, Variant};
use mamori_evidence::{Facts, Suggestion, suggest};
use mamori_ledger::{Kind, Row};

pub(crate) fn row(pairs: &[(&str, &str)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn facts(ledgers: &[(Kind, Vec<Row>)]) -> Facts {
    let mut f = Facts {
        today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        security_officer: "山田 太郎".into(),
        ..Facts::default()
    };
    let mut map = std::collections::BTreeMap::new();
    for (kind, rows) in ledgers {
        map.insert(
            kind.id(),
            rows.iter()
                .cloned()
                .enumerate()
                .map(|(i, r)| (i as i64 + 1, r))
                .collect(),
        );
    }
    f.ledgers = std::sync::Arc::new(map);
    f
}

/// The suggestion for the R7 facility item of `topic`.
pub(crate) fn on(topic: &str, f: &Facts) -> Suggestion {
    let catalog = Catalog::builtin().unwrap();
    let form = catalog.form("r7", Variant::Facility).unwrap();
    let item = form.items.iter().find(|i| i.topic.id() == topic).unwrap();
    suggest(item, f)
}

pub(crate) fn device(
    software: bool,
    remote: &str,
    confirmed: bool,
    support_end: Option<&str>,
) -> Row {
    let mut r = row(&[
        ("device_kind", "端末PC"),
        ("os", "Windows 11"),
        ("os_version", "24H2"),
    ]);
    if software {
        r.insert("software".into(), "電子カルテ 5.2".into());
    }
    if !remote.is_empty() {
        r.insert("remote_maintenance".into(), remote.into());
    }
    if confirmed {
        r.insert("remote_confirmed_on".into(), "2025-04-01".into());
    }
    if let Some(d) = support_end {
        r.insert("support_end".into(), d.into());
    }
    r
}

pub(crate) fn account(
    status: &str,
    end: Option<&str>,
    reviewed: Option<&str>,
    admin: Option<&str>,
    mfa: Option<&str>,
) -> Row {
    let mut r = row(&[("user_id", "u"), ("status", status)]);
    for (k, v) in [
        ("end_date", end),
        ("reviewed_on", reviewed),
        ("admin", admin),
        ("two_factor", mfa),
    ] {
        if let Some(v) = v {
            r.insert(k.into(), v.into());
        }
    }
    r
}

pub(crate) fn log_list_row() -> Row {
    row(&[
        ("target", "電子カルテ"),
        ("log_kind", "操作ログ"),
        ("reviewer", "事務長"),
        ("frequency", "月1回"),
    ])
}

pub(crate) fn review(on: &str, findings: &str, comment: &str) -> Row {
    let mut r = row(&[
        ("reviewed_on", on),
        ("reviewer", "事務長"),
        ("target", "電子カルテ 操作ログ"),
        ("findings", findings),
    ]);
    if !comment.is_empty() {
        r.insert("comment".into(), comment.into());
    }
    r
}
