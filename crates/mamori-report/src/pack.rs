//! The inspection pack's contents (立入検査用資料), as data for the PDF template: a cover, the facility's form
//! with its answers, every vendor form, ledger summaries (機器台帳, 利用者台帳 with retired accounts, 連絡体制,
//! バックアップ, recent log reviews), and for each いいえ its 目標日 and what the ledgers say.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::{Catalog, Form, UNVERIFIED_LABEL};
use mamori_core::dates::{FiscalYear, wareki};
use mamori_core::{Choice, Variant};
use mamori_ledger::{Kind, Row};
use serde_json::{Value, json};

use crate::{Printed, printed_layout};

/// Rows of a ledger listed in full before 「ほか N 件」.
pub const LEDGER_ROWS: usize = 2000;
/// Log reviews this recent (days) are listed.
pub const RECENT_REVIEW_DAYS: i64 = 365;

/// One form in the pack with its answers.
pub struct PackForm<'a> {
    pub form: &'a Form,
    pub answers: &'a AnswerSet,
    /// For a vendor's form: whose it is.
    pub vendor: Option<String>,
}

pub struct PackInput<'a> {
    pub catalog: &'a Catalog,
    pub org_name: &'a str,
    /// 病院 / 診療所 / 薬局.
    pub org_kind: &'a str,
    pub security_officer: &'a str,
    pub fiscal_year: FiscalYear,
    pub created_on: NaiveDate,
    /// Shown on the cover when the edition is an older one used for this fiscal year.
    pub notice: Option<String>,
    pub has_vendor_contract: bool,
    /// The facility's form first, then the vendors' forms.
    pub forms: Vec<PackForm<'a>>,
    /// The enabled rows of each ledger.
    pub ledgers: &'a HashMap<Kind, Vec<Row>>,
    /// What the ledgers say per item id: (はい/いいえ/判断材料不足, reasons).
    pub evidence: &'a HashMap<mamori_core::ItemId, (String, Vec<String>)>,
    /// The reconciliation: (vendor, contradiction, what to do next).
    pub contradictions: &'a [(String, String, String)],
}

fn printed(p: &Printed) -> &str {
    match p {
        Printed::Exempt(s) => s,
        Printed::Blank | Printed::Open => "",
        Printed::Answer(t) => t,
    }
}

fn form_data(x: &PackInput<'_>, f: &PackForm<'_>) -> Value {
    let form = f.form;
    let edition = x
        .catalog
        .edition(&form.edition)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let sections: Vec<Value> = printed_layout(x.catalog, form, f.answers, x.has_vendor_contract)
        .iter()
        .map(|s| {
            json!({
                "title": s.title,
                "groups": s.groups.iter().map(|g| json!({
                    "heading": g.heading,
                    "rows": g.rows.iter().map(|r| json!({
                        "number": r.number,
                        "text": r.text,
                        "r1": printed(&r.round1),
                        "r2": printed(&r.round2),
                        "note": r.note,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut title = form.title.clone();
    if form.title_confidence.is_unverified() {
        title.push_str(&format!("【{UNVERIFIED_LABEL}】"));
    }
    json!({
        "title": title,
        "label": match &f.vendor {
            Some(v) => format!("{}（{v}）", form.variant.label()),
            None => form.variant.label().to_string(),
        },
        "edition": edition,
        "notes": crate::printed_notes(x.catalog, form, x.fiscal_year)
            .iter()
            .map(crate::PrintedNote::line)
            .collect::<Vec<_>>(),
        "sections": sections,
    })
}

/// Every いいえ of the facility's form: its 目標日 and what the ledgers say.
fn noes(x: &PackInput<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    for f in x.forms.iter().filter(|f| f.form.variant != Variant::Vendor) {
        for (item, target) in f.form.rows() {
            // Only rows left open: not the gate's いいえ (no system), not rows it made 確認不要.
            if mamori_core::answers::open_answer(
                f.form,
                item,
                target,
                f.answers,
                x.has_vendor_contract,
            )
            .is_none()
            {
                continue;
            }
            for round in 1..=2u8 {
                let Some(a) = f.answers.get(&item.id, target, round) else {
                    continue;
                };
                // A later round that says はい closes it.
                if a.answer != Choice::No
                    || f.answers
                        .get(&item.id, target, 2)
                        .is_some_and(|b| round == 1 && b.answer == Choice::Yes)
                {
                    continue;
                }
                let (verdict, reasons) = x
                    .evidence
                    .get(item.id.as_str())
                    .cloned()
                    .unwrap_or_else(|| ("判断材料不足".into(), Vec::new()));
                let section = if item.section == "gate" {
                    String::new()
                } else {
                    item.section.clone()
                };
                out.push(json!({
                    "number": format!("{section}{}", item.number),
                    "text": item.text,
                    "target": target.label(),
                    "round": round,
                    "checked_on": wareki(a.checked_on),
                    "target_date": a.target_date.map(wareki).unwrap_or_default(),
                    "note": a.note,
                    "verdict": verdict,
                    "reasons": reasons.iter().map(|r| for_inspector(r)).collect::<Vec<_>>(),
                }));
            }
        }
    }
    out
}

/// A reason as the 保健所 reads it: the sentences that tell the facility what to do on a screen are left
/// out (the pack is a document, not a to-do list).
fn for_inspector(reason: &str) -> String {
    reason
        .split_inclusive('。')
        .filter(|s| !s.contains("ここに根拠が表示されます") && !s.contains("画面"))
        .collect::<String>()
        .trim_end_matches('。')
        .to_string()
}

/// A ledger as a table of some of its columns (headers from the ledger's fields).
fn table(kind: Kind, keys: &[&str], rows: &[&Row], title: String, summary: String) -> Value {
    let columns: Vec<&str> = keys
        .iter()
        .map(|k| kind.field(k).map_or(*k, |f| f.header))
        .collect();
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .take(LEDGER_ROWS)
        .map(|r| {
            keys.iter()
                .map(|k| r.get(*k).map_or("", String::as_str))
                .collect()
        })
        .collect();
    json!({
        "title": title,
        "summary": summary,
        "columns": columns,
        "rows": cells,
        "more": rows.len().saturating_sub(LEDGER_ROWS),
    })
}

/// Counts of a field's values, as 「サーバ 3、端末PC 15」.
fn counts(rows: &[&Row], key: &str) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *by.entry(r.get(key).map_or("未記入", String::as_str))
            .or_default() += 1;
    }
    by.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join("、")
}

fn ledger_tables(x: &PackInput<'_>) -> Vec<Value> {
    let rows = |k: Kind| -> Vec<&Row> {
        x.ledgers
            .get(&k)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let devices = rows(Kind::Devices);
    out.push(table(
        Kind::Devices,
        &[
            "device_kind",
            "computer_name",
            "maker",
            "os",
            "os_version",
            "location",
            "vendor",
            "remote_maintenance",
            "support_end",
        ],
        &devices,
        Kind::Devices.label().into(),
        format!("{}台（{}）", devices.len(), counts(&devices, "device_kind")),
    ));
    let accounts = rows(Kind::Accounts);
    let today = x.created_on.to_string();
    let retired: Vec<&Row> = accounts
        .iter()
        .copied()
        .filter(|r| {
            r.get("end_date").is_some_and(|d| *d <= today)
                || mamori_ledger::account_status(r).is_some_and(|s| s != "使用可")
        })
        .collect();
    let still_usable = retired
        .iter()
        .filter(|r| mamori_ledger::account_status(r) == Some("使用可"))
        .count();
    out.push(table(
        Kind::Accounts,
        &[
            "system",
            "department",
            "family_name",
            "given_name",
            "user_id",
            "status",
            "end_date",
            "reviewed_on",
        ],
        &retired,
        format!("{}（退職者・利用終了・無効の利用者）", Kind::Accounts.label()),
        format!(
            "登録 {}名（{}）。うち退職日・利用終了日を過ぎたか無効・削除の利用者 {}名（使用可のまま {}名）",
            accounts.len(),
            counts(&accounts, "status"),
            retired.len(),
            still_usable
        ),
    ));
    let contacts = rows(Kind::Contacts);
    out.push(table(
        Kind::Contacts,
        &[
            "category",
            "organisation",
            "person",
            "phone",
            "after_hours_phone",
            "role",
            "verified_on",
        ],
        &contacts,
        format!("{}（連絡体制）", Kind::Contacts.label()),
        format!("{}件", contacts.len()),
    ));
    let vendors = rows(Kind::Vendors);
    out.push(table(
        Kind::Vendors,
        &[
            "name",
            "systems",
            "remote_contract",
            "mds_sds_kind",
            "mds_sds_received_on",
            "vendor_form_received_on",
        ],
        &vendors,
        Kind::Vendors.label().into(),
        format!("{}社", vendors.len()),
    ));
    let backups = rows(Kind::Backups);
    out.push(table(
        Kind::Backups,
        &[
            "system",
            "frequency",
            "method",
            "generations",
            "offline",
            "storage",
            "restore_tested_on",
            "restore_result",
        ],
        &backups,
        Kind::Backups.label().into(),
        format!("{}件", backups.len()),
    ));
    let since = (x.created_on - chrono::Duration::days(RECENT_REVIEW_DAYS)).to_string();
    let mut reviews: Vec<&Row> = rows(Kind::LogReviews)
        .into_iter()
        .filter(|r| r.get("reviewed_on").is_some_and(|d| *d >= since))
        .collect();
    reviews.sort_by(|a, b| b.get("reviewed_on").cmp(&a.get("reviewed_on")));
    out.push(table(
        Kind::LogReviews,
        &[
            "reviewed_on",
            "reviewer",
            "target",
            "period_from",
            "period_to",
            "findings",
            "comment",
        ],
        &reviews,
        format!("{}（直近1年）", Kind::LogReviews.label()),
        format!("{}件", reviews.len()),
    ));
    out
}

/// The pack's data for `mamori_pdf::PACK_TEMPLATE`.
pub fn pack_data(x: &PackInput<'_>) -> Value {
    let edition = x
        .forms
        .first()
        .and_then(|f| x.catalog.edition(&f.form.edition).ok())
        .map(|e| e.name.clone())
        .unwrap_or_default();
    json!({
        "pack_title": "サイバーセキュリティ対策チェックリスト 立入検査用資料",
        "org": x.org_name,
        "org_kind": x.org_kind,
        "officer": x.security_officer,
        "fiscal_year": x.fiscal_year.label(),
        "edition": edition,
        "created": wareki(x.created_on),
        "notice": x.notice,
        "forms": x.forms.iter().map(|f| form_data(x, f)).collect::<Vec<_>>(),
        "noes": noes(x),
        "contradictions": x.contradictions.iter().map(|(v, m, n)| json!({
            "vendor": v, "message": m, "next": n,
        })).collect::<Vec<_>>(),
        "ledgers": ledger_tables(x),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_lose_their_screen_instructions() {
        assert_eq!(
            super::for_inspector(
                "機器台帳が登録されていません。台帳を登録（または取り込み）すると、ここに根拠が表示されます"
            ),
            "機器台帳が登録されていません"
        );
        assert_eq!(
            super::for_inspector("3台すべてがサポート期間内です"),
            "3台すべてがサポート期間内です"
        );
    }
}
