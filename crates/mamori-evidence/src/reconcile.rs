//! Reconciliation (the manual's step 「確認」): where the facility's answers, each vendor's 事業者確認用 and
//! the ledgers contradict each other, each with what to do next. Pure: the caller brings the answers and
//! the ledgers.

use mamori_core::Choice;
use mamori_core::Topic;
use mamori_core::answers::AnswerSet;
use mamori_core::catalog::Form;
use mamori_ledger::{Kind, Row};
use serde::Serialize;

use crate::{Facts, RowRef};

/// A vendor's 事業者確認用 as the facility recorded it.
pub struct VendorForm<'a> {
    /// The 事業者・契約 ledger row of the vendor.
    pub vendor_id: i64,
    /// The product the form is for, when the vendor published one per product (named in messages).
    pub product: Option<&'a str>,
    pub form: &'a Form,
    pub answers: &'a AnswerSet,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contradiction {
    /// `remote_maintenance`, `mds_sds`, `answers`, `vendor_form`.
    pub kind: &'static str,
    pub vendor: Option<String>,
    pub message: String,
    /// What to do about it.
    pub next: String,
    pub rows: Vec<RowRef>,
}

/// The latest answer (second round over the first) of a form's item of `topic`, over its targets: いいえ
/// if any target's latest is いいえ.
fn latest_by_topic(form: &Form, answers: &AnswerSet, topic: Topic) -> Option<Choice> {
    let mut seen = None;
    for (item, target) in form.rows().filter(|(i, _)| i.topic == topic) {
        // A row the gate's いいえ made 確認不要 says nothing either way.
        if mamori_core::answers::exemption(form, item, answers, true)
            == Some(mamori_core::answers::RowStatus::NotNeeded)
        {
            continue;
        }
        if let Some(a) = answers.latest(&item.id, target) {
            if a.answer == Choice::No {
                return Some(Choice::No);
            }
            seen = Some(Choice::Yes);
        }
    }
    seen
}

fn field<'a>(r: &'a Row, k: &str) -> &'a str {
    r.get(k).map_or("", String::as_str)
}

fn vendor_ref(id: i64) -> RowRef {
    RowRef {
        kind: Kind::Vendors.id(),
        id,
    }
}

/// Topics both forms ask about, where the facility's はい leans on its vendor.
const SHARED_TOPICS: &[Topic] = &[
    Topic::DeviceLedger,
    Topic::AccessRights,
    Topic::UnusedAccounts,
    Topic::Patches,
    Topic::PasswordLength,
    Topic::PasswordReuse,
    Topic::ExternalMedia,
    Topic::AccessLog,
    Topic::TwoFactor,
    Topic::UnneededServices,
    Topic::SourceRestriction,
    Topic::Backup,
];

/// Every contradiction between the facility's form, the vendors' forms and the ledgers.
pub fn reconcile(
    facility_form: &Form,
    facility: &AnswerSet,
    vendor_forms: &[VendorForm<'_>],
    facts: &Facts,
) -> Vec<Contradiction> {
    let mut out = Vec::new();
    let devices = facts.rows(Kind::Devices);
    for (vendor_id, v) in facts.rows(Kind::Vendors) {
        let name = field(v, "name");
        let vendor = Some(name.to_string());
        let recorded: Vec<&VendorForm<'_>> = vendor_forms
            .iter()
            .filter(|f| f.vendor_id == *vendor_id)
            .collect();

        // Remote maintenance: the contract against the device ledger.
        let theirs: Vec<(&i64, &Row)> = devices
            .iter()
            .filter(|(_, d)| !name.is_empty() && field(d, "vendor") == name)
            .collect();
        let remote = |d: &Row| field(d, "remote_maintenance") == "有";
        match field(v, "remote_contract") {
            "有" if !theirs.is_empty() && !theirs.iter().any(|(_, d)| remote(d)) => {
                out.push(Contradiction {
                    kind: "remote_maintenance",
                    vendor: vendor.clone(),
                    message: format!(
                        "{name}との契約はリモートメンテナンス「有」ですが、機器台帳の{name}の機器{}台はすべて「有」になっていません",
                        theirs.len()
                    ),
                    next: "どの機器にリモート接続するかを事業者に確認し、機器台帳のリモートメンテナンス欄を直してください"
                        .into(),
                    rows: std::iter::once(vendor_ref(*vendor_id))
                        .chain(theirs.iter().take(10).map(|(id, _)| RowRef {
                            kind: Kind::Devices.id(),
                            id: **id,
                        }))
                        .collect(),
                });
            }
            "無" => {
                let remote_devices: Vec<_> = theirs.iter().filter(|(_, d)| remote(d)).collect();
                if !remote_devices.is_empty() {
                    out.push(Contradiction {
                        kind: "remote_maintenance",
                        vendor: vendor.clone(),
                        message: format!(
                            "{name}との契約はリモートメンテナンス「無」ですが、機器台帳では{name}の機器{}台がリモートメンテナンス「有」です",
                            remote_devices.len()
                        ),
                        next: "契約外のリモート接続がないか事業者に確認し、契約か機器台帳を直してください"
                            .into(),
                        rows: std::iter::once(vendor_ref(*vendor_id))
                            .chain(remote_devices.iter().take(10).map(|(id, _)| RowRef {
                                kind: Kind::Devices.id(),
                                id: **id,
                            }))
                            .collect(),
                    });
                }
            }
            _ => {}
        }

        if recorded.is_empty() {
            let message = if v.contains_key("vendor_form_received_on") {
                format!(
                    "{name}の事業者確認用は受領日（{}）がありますが、内容が登録されていません",
                    field(v, "vendor_form_received_on")
                )
            } else {
                format!("{name}の事業者確認用を受け取った記録がありません")
            };
            out.push(Contradiction {
                kind: "vendor_form",
                vendor,
                message,
                next: "事業者に事業者確認用の記入を依頼し、受け取った Excel を取り込んでください"
                    .into(),
                rows: vec![vendor_ref(*vendor_id)],
            });
            continue;
        }
        for recorded in recorded {
            check_form(facility_form, facility, recorded, (*vendor_id, v), &mut out);
        }
    }
    out
}

/// One recorded vendor form against the ledger's vendor row and the facility's answers.
fn check_form(
    facility_form: &Form,
    facility: &AnswerSet,
    recorded: &VendorForm<'_>,
    (vendor_id, v): (i64, &Row),
    out: &mut Vec<Contradiction>,
) {
    let vendor = Some(field(v, "name").to_string());
    let name = &match recorded.product {
        Some(p) => format!("{}（{p}）", field(v, "name")),
        None => field(v, "name").to_string(),
    };
    // MDS/SDS: what the ledger says was received against what the vendor says it submitted.
    match (
            v.contains_key("mds_sds_received_on"),
            latest_by_topic(recorded.form, recorded.answers, Topic::MdsSds),
        ) {
            (true, Some(Choice::No)) => out.push(Contradiction {
                kind: "mds_sds",
                vendor: vendor.clone(),
                message: format!(
                    "事業者・契約ではMDS/SDSを受領済み（{}）としていますが、{name}は事業者確認用で「提出していない（いいえ）」と回答しています",
                    field(v, "mds_sds_received_on")
                ),
                next: "受け取った書類がMDS/SDSの最新版かを事業者に確認し、台帳か回答を直してください".into(),
                rows: vec![vendor_ref(vendor_id)],
            }),
            (false, Some(Choice::Yes)) => out.push(Contradiction {
                kind: "mds_sds",
                vendor: vendor.clone(),
                message: format!(
                    "{name}は事業者確認用でMDS/SDSを「提出した（はい）」と回答していますが、事業者・契約に受領日がありません"
                ),
                next: "MDS/SDSを受け取っているか確認し、受領日を事業者・契約に記入してください（なければ提出を依頼）"
                    .into(),
                rows: vec![vendor_ref(vendor_id)],
            }),
            _ => {}
        }

    // The facility's はい against the vendor's いいえ on the same topic.
    for &topic in SHARED_TOPICS {
        let label = topic.label();
        if latest_by_topic(facility_form, facility, topic) == Some(Choice::Yes)
            && latest_by_topic(recorded.form, recorded.answers, topic) == Some(Choice::No)
        {
            let target_date = recorded
                .form
                .rows()
                .filter(|(i, _)| i.topic == topic)
                .filter_map(|(i, t)| recorded.answers.latest(&i.id, t))
                .filter_map(|a| a.target_date)
                .max();
            out.push(Contradiction {
                    kind: "answers",
                    vendor: vendor.clone(),
                    message: format!(
                        "「{label}」を施設は「はい」と回答していますが、{name}は「いいえ」と回答しています{}",
                        target_date
                            .map(|d| format!("（事業者の目標日：{}）", mamori_core::dates::wareki(d)))
                            .unwrap_or_default()
                    ),
                    next: format!(
                        "{name}の対応状況を確認し、施設の回答を見直してください（{name}の機器で実施されていなければ「いいえ」と目標日）"
                    ),
                    rows: vec![vendor_ref(vendor_id)],
                });
        }
    }
}
