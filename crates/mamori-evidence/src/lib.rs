//! The evidence engine: what a facility's own records say about each checklist item. Every item has a
//! topic (2(1) 機器台帳, 2(5) 利用者の削除 …); each topic has one rule from the ledgers to a suggested
//! answer — はい, いいえ or 判断材料不足 — with reasons in plain Japanese and the rows behind them. A ledger
//! that is empty gives 判断材料不足: the facility may keep that record elsewhere.

pub mod disagreement;
pub mod reconcile;

pub use disagreement::{checked_with_evidence, disagreement_errors};

use mamori_core::Topic;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use mamori_core::catalog::{Form, Item};
use mamori_ledger::{Kind, Row};
use serde::Serialize;

/// The enabled rows of each ledger, by id (shared: callers cache them between requests and patch them
/// with the rows that changed).
pub type Ledgers = std::sync::Arc<BTreeMap<&'static str, BTreeMap<i64, Row>>>;

/// The fields the rules read, per ledger (declared with the ledgers, which the store uses to keep a
/// copy of just these per row): a cache may keep just these ([`project`]).
pub fn fields_read(kind: Kind) -> &'static [&'static str] {
    kind.evidence_fields()
}

/// A row with only the fields the rules read (long ones, such as the software list, shortened: the
/// rules only ask whether they are filled in).
pub fn project(kind: Kind, row: &Row) -> Row {
    fields_read(kind)
        .iter()
        .filter_map(|k| {
            let v = row.get(*k)?;
            let v = if *k == "software" {
                v.chars().take(1).collect()
            } else {
                v.clone()
            };
            Some((k.to_string(), v))
        })
        .collect()
}

/// The records the rules read.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub ledgers: Ledgers,
    pub security_officer: String,
    pub today: NaiveDate,
    /// Accounts of retired or disabled staff that log analyses of the last year found in use
    /// (analysis id, account): 2(5) is not done while they log on.
    pub retired_account_uses: Vec<(i64, String)>,
    /// The facility's answers to the BCP 確認表, for 3(3).
    pub bcp: Option<BcpState>,
}

/// Where the facility's BCP 確認表 stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BcpState {
    pub total: usize,
    pub yes: usize,
    /// 「1-1-2 ネットワーク構成図…」 of each いいえ.
    pub no: Vec<String>,
}

impl Facts {
    pub fn rows(&self, kind: Kind) -> &BTreeMap<i64, Row> {
        static NONE: BTreeMap<i64, Row> = BTreeMap::new();
        self.ledgers.get(kind.id()).unwrap_or(&NONE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Yes,
    No,
    Unknown,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Yes => "はい",
            Verdict::No => "いいえ",
            Verdict::Unknown => "判断材料不足",
        }
    }
}

/// A row behind a reason, as a link target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRef {
    pub kind: &'static str,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub item: mamori_core::ItemId,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// The rows a いいえ rests on (at most [`MAX_REFS`]).
    pub rows: Vec<RowRef>,
}

pub const MAX_REFS: usize = 20;

/// A review older than this (days) no longer counts.
pub const REVIEW_DAYS: i64 = 365;

/// An agent's inventory older than this (days) shows the machine as unconfirmed.
pub const STALE_INVENTORY_DAYS: i64 = 30;

/// A stored date (YYYY-MM-DD, as the ledgers normalise them). Read by hand: the rules parse one per row
/// of ledgers with tens of thousands of rows.
fn date(row: &Row, key: &str) -> Option<NaiveDate> {
    let b = row.get(key)?.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

fn has(row: &Row, key: &str) -> bool {
    row.get(key).is_some_and(|v| !v.trim().is_empty())
}

/// Collects the rows failing a check: (count, refs).
fn failing<'a>(
    kind: Kind,
    rows: impl Iterator<Item = (&'a i64, &'a Row)>,
    fails: impl Fn(&Row) -> bool,
) -> (usize, Vec<RowRef>) {
    let bad: Vec<i64> = rows.filter(|(_, r)| fails(r)).map(|(id, _)| *id).collect();
    (
        bad.len(),
        bad.iter()
            .take(MAX_REFS)
            .map(|id| RowRef {
                kind: kind.id(),
                id: *id,
            })
            .collect(),
    )
}

struct Outcome {
    verdict: Verdict,
    reasons: Vec<String>,
    rows: Vec<RowRef>,
}

impl Outcome {
    fn unknown(reason: impl Into<String>) -> Self {
        Outcome {
            verdict: Verdict::Unknown,
            reasons: vec![reason.into()],
            rows: Vec::new(),
        }
    }
    /// いいえ when any problem was found, else はい with `fine`.
    fn from_problems(problems: Vec<(String, Vec<RowRef>)>, fine: String) -> Self {
        if problems.is_empty() {
            return Outcome {
                verdict: Verdict::Yes,
                reasons: vec![fine],
                rows: Vec::new(),
            };
        }
        let mut rows = Vec::new();
        let mut reasons = Vec::new();
        for (r, refs) in problems {
            reasons.push(r);
            rows.extend(refs);
        }
        rows.truncate(MAX_REFS);
        Outcome {
            verdict: Verdict::No,
            reasons,
            rows,
        }
    }
}

fn empty(kind: Kind) -> Outcome {
    Outcome::unknown(format!(
        "{}が登録されていません。台帳を登録（または取り込み）すると、ここに根拠が表示されます",
        kind.label()
    ))
}

/// The suggestion for one item.
pub fn suggest(item: &Item, facts: &Facts) -> Suggestion {
    let o = outcome(item.topic, facts);
    Suggestion {
        item: item.id.clone(),
        verdict: o.verdict,
        reasons: o.reasons,
        rows: o.rows,
    }
}

fn outcome(topic: Topic, facts: &Facts) -> Outcome {
    match topic {
        Topic::Officer => officer(facts),
        Topic::DeviceLedger => device_ledger(facts),
        Topic::RemoteMaintenance => remote_maintenance(facts),
        Topic::MdsSds => mds_sds(facts),
        Topic::AccessRights => access_rights(facts),
        Topic::UnusedAccounts => unused_accounts(facts),
        Topic::AccessLog => access_log(facts),
        Topic::Patches => patches(facts),
        Topic::UnneededServices => unneeded_services(facts),
        Topic::ContactChart => contact_chart(facts),
        Topic::Backup => backup(facts),
        Topic::TwoFactor => two_factor(facts),
        Topic::Gate => Outcome::unknown("医療情報システムの有無は台帳からは判断しません"),
        Topic::Bcp => bcp(facts),
        Topic::PasswordLength
        | Topic::PasswordReuse
        | Topic::ExternalMedia
        | Topic::SourceRestriction
        | Topic::OperationRules
        | Topic::New => Outcome::unknown(format!(
            "この項目（{}）の判断材料は台帳にありません。規程や設定を確認して回答してください",
            topic.label()
        )),
    }
}

/// Suggestions for every item of a form; each topic's rule runs once even when several items share it.
pub fn suggest_form(form: &Form, facts: &Facts) -> Vec<Suggestion> {
    let mut by_topic: std::collections::HashMap<Topic, Outcome> = std::collections::HashMap::new();
    form.items
        .iter()
        .map(|item| {
            let o = by_topic
                .entry(item.topic)
                .or_insert_with(|| outcome(item.topic, facts));
            Suggestion {
                item: item.id.clone(),
                verdict: o.verdict,
                reasons: o.reasons.clone(),
                rows: o.rows.clone(),
            }
        })
        .collect()
}

fn officer(f: &Facts) -> Outcome {
    if f.security_officer.trim().is_empty() {
        Outcome {
            verdict: Verdict::No,
            reasons: vec!["医療情報システム安全管理責任者が登録されていません".into()],
            rows: Vec::new(),
        }
    } else {
        Outcome {
            verdict: Verdict::Yes,
            reasons: vec![format!(
                "医療情報システム安全管理責任者：{}（施設の設定）",
                f.security_officer
            )],
            rows: Vec::new(),
        }
    }
}

fn device_ledger(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Devices);
    if rows.is_empty() {
        return empty(Kind::Devices);
    }
    let n = rows.len();
    let mut problems = Vec::new();
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| !has(r, "software"));
    if m > 0 {
        problems.push((
            format!("機器台帳の{n}台中{m}台にソフトウェア（バージョン）がありません"),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        has(r, "os") && !has(r, "os_version")
    });
    if m > 0 {
        problems.push((
            format!("機器台帳の{n}台中{m}台にOSのバージョンがありません"),
            refs,
        ));
    }
    // A machine whose agent stopped reporting: its row may no longer be what runs on it.
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        date(r, "inventoried_on").is_some_and(|d| (f.today - d).num_days() > STALE_INVENTORY_DAYS)
    });
    if m > 0 {
        problems.push((
            format!(
                "エージェントの一覧が{STALE_INVENTORY_DAYS}日間以上届いていない機器が{m}台あります（機器が動いているか、台帳が今も正しいか確認してください）"
            ),
            refs,
        ));
    }
    Outcome::from_problems(
        problems,
        format!("機器台帳に{n}台あり、すべてにソフトウェアとバージョンが記入されています"),
    )
}

fn remote_maintenance(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Devices);
    if rows.is_empty() {
        return empty(Kind::Devices);
    }
    let mut problems = Vec::new();
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        !matches!(
            r.get("remote_maintenance").map(String::as_str),
            Some("有" | "無")
        )
    });
    if m > 0 {
        problems.push((
            format!("{m}台のリモートメンテナンスの有無が未確認です"),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        r.get("remote_maintenance").map(String::as_str) == Some("有")
            && !has(r, "remote_confirmed_on")
    });
    if m > 0 {
        problems.push((
            format!("リモートメンテナンス「有」の{m}台に確認日がありません"),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        r.get("remote_maintenance").map(String::as_str) == Some("無") && has(r, "remote_detected")
    });
    if m > 0 {
        problems.push((
            format!("リモートメンテナンス「無」の{m}台で、エージェントがリモート接続ソフトを見つけました（機器台帳の「検出したリモート接続」）"),
            refs,
        ));
    }
    let with = rows
        .iter()
        .filter(|(_, r)| r.get("remote_maintenance").map(String::as_str) == Some("有"))
        .count();
    Outcome::from_problems(
        problems,
        format!(
            "全{}台のリモートメンテナンスの有無を確認済みです（有 {with}台）",
            rows.len()
        ),
    )
}

fn mds_sds(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Vendors);
    if rows.is_empty() {
        return empty(Kind::Vendors);
    }
    let mut problems = Vec::new();
    let (m, refs) = failing(Kind::Vendors, rows.iter(), |r| {
        !has(r, "mds_sds_received_on")
    });
    if m > 0 {
        problems.push((
            format!(
                "{}社中{m}社からMDS/SDSを受け取った記録がありません",
                rows.len()
            ),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Vendors, rows.iter(), |r| has(r, "mds_sds_followup"));
    if m > 0 {
        problems.push((
            format!("{m}社のMDS/SDSに未記入欄の対応が残っています"),
            refs,
        ));
    }
    // Guideline 第7.0版 保守委託機関編 別紙: the 99 確認事項, all はい/対象外, or the facility's risk note.
    if mamori_core::guideline::Guideline::on(f.today) == mamori_core::guideline::Guideline::V7 {
        fn review(r: &Row) -> &str {
            r.get("mds_sds_review").map_or("", String::as_str)
        }
        let (m, refs) = failing(Kind::Vendors, rows.iter(), |r| {
            has(r, "mds_sds_received_on") && matches!(review(r), "" | "未確認")
        });
        if m > 0 {
            problems.push((
                format!("{m}社のMDS/SDSについて、確認事項99項目（MDS 41・SDS 58）の確認結果が記録されていません（ガイドライン第7.0版 保守委託機関編）"),
                refs,
            ));
        }
        let (m, refs) = failing(Kind::Vendors, rows.iter(), |r| {
            review(r) == "リスクを評価済み" && !has(r, "mds_sds_risk_note")
        });
        if m > 0 {
            problems.push((
                format!("{m}社は「リスクを評価済み」ですが、MDS/SDSのリスク評価の内容が未記入です"),
                refs,
            ));
        }
    }
    Outcome::from_problems(
        problems,
        format!("{}社すべてからMDS/SDSを受け取っています", rows.len()),
    )
}

fn active(r: &Row) -> bool {
    mamori_ledger::account_status(r) == Some("使用可")
}

fn access_rights(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Accounts);
    if rows.is_empty() {
        return empty(Kind::Accounts);
    }
    let mut problems = Vec::new();
    let stale = |r: &Row| match date(r, "reviewed_on") {
        None => true,
        Some(d) => (f.today - d).num_days() > REVIEW_DAYS,
    };
    let (m, refs) = failing(
        Kind::Accounts,
        rows.iter().filter(|(_, r)| active(r)),
        stale,
    );
    if m > 0 {
        problems.push((
            format!("使用可の利用者のうち{m}名は、1年以内に権限が見直された記録がありません"),
            refs,
        ));
    }
    // R7: administrator privileges are to be identified.
    let (m, refs) = failing(
        Kind::Accounts,
        rows.iter().filter(|(_, r)| active(r)),
        |r| !has(r, "admin"),
    );
    if m > 0 {
        problems.push((
            format!(
                "{m}名の管理者権限の有無が未記入です（令和7年度版は管理者権限の管理を求めています）"
            ),
            refs,
        ));
    }
    let admins = rows
        .iter()
        .filter(|(_, r)| active(r) && r.get("admin").map(String::as_str) == Some("はい"))
        .count();
    Outcome::from_problems(
        problems,
        format!("利用者台帳の使用可の利用者はすべて1年以内に見直され、管理者権限は{admins}名です"),
    )
}

fn unused_accounts(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Accounts);
    if rows.is_empty() {
        return empty(Kind::Accounts);
    }
    let (m, refs) = failing(Kind::Accounts, rows.iter(), |r| {
        active(r) && date(r, "end_date").is_some_and(|d| d < f.today)
    });
    let mut problems = if m > 0 {
        vec![(
            format!("退職日（利用終了日）を過ぎた利用者のうち{m}名が使用可のままです"),
            refs,
        )]
    } else {
        Vec::new()
    };
    if !f.retired_account_uses.is_empty() {
        let mut accounts: Vec<&str> = f
            .retired_account_uses
            .iter()
            .map(|(_, a)| a.as_str())
            .collect();
        accounts.sort();
        accounts.dedup();
        let analyses: std::collections::BTreeSet<i64> =
            f.retired_account_uses.iter().map(|(id, _)| *id).collect();
        problems.push((
            format!(
                "ログの分析（{}）で、退職・無効のアカウント{}件の利用が見つかりました: {}",
                analyses
                    .iter()
                    .map(|id| format!("#{id}"))
                    .collect::<Vec<_>>()
                    .join("、"),
                accounts.len(),
                accounts.join("、")
            ),
            Vec::new(),
        ));
    }
    Outcome::from_problems(
        problems,
        "退職日を過ぎて使用可のままの利用者はいません".into(),
    )
}

fn access_log(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Loglist);
    if rows.is_empty() {
        return empty(Kind::Loglist);
    }
    let mut problems = Vec::new();
    let (m, refs) = failing(Kind::Loglist, rows.iter(), |r| {
        !has(r, "reviewer") || !has(r, "frequency")
    });
    if m > 0 {
        problems.push((
            format!("ログリストの{m}行に確認者または確認頻度がありません"),
            refs,
        ));
    }
    // "Logs exist but nobody looks" is not managed: the reviews themselves must be on record.
    let reviews = f.rows(Kind::LogReviews);
    let last = reviews
        .iter()
        .filter_map(|(id, r)| Some((date(r, "reviewed_on")?, *id)))
        .max();
    match last {
        None => problems.push((
            "ログを確認した記録がありません（ログ確認記録に、確認日・確認者・結果を記録してください）"
                .into(),
            Vec::new(),
        )),
        Some((d, id)) if (f.today - d).num_days() > REVIEW_DAYS => problems.push((
            format!(
                "ログの確認記録が1年以上ありません（最後の確認：{}）",
                mamori_core::dates::wareki(d)
            ),
            vec![RowRef {
                kind: Kind::LogReviews.id(),
                id,
            }],
        )),
        Some(_) => {}
    }
    let (m, refs) = failing(Kind::LogReviews, reviews.iter(), |r| {
        r.get("findings").map(String::as_str) == Some("異常あり") && !has(r, "comment")
    });
    if m > 0 {
        problems.push((
            format!("「異常あり」のログ確認記録{m}件に、コメント・対応が記入されていません"),
            refs,
        ));
    }
    let fine = match last {
        Some((d, _)) => format!(
            "ログリストの{}行すべてに確認者と確認頻度があり、最後のログ確認は{}です",
            rows.len(),
            mamori_core::dates::wareki(d)
        ),
        None => String::new(),
    };
    Outcome::from_problems(problems, fine)
}

/// 2(7) patches and support: each device's status on the day (mamori-lifecycle): the facility's サポート
/// 終了日 or the one Mamori found, the newer versions known, the last update installed and the virus
/// definitions' age.
fn patches(f: &Facts) -> Outcome {
    let all = f.rows(Kind::Devices);
    if all.is_empty() {
        return empty(Kind::Devices);
    }
    // 保守委託機関編 (guideline 第7.0版): devices whose vendor's responsibility for security updates is
    // written in the contract, terms or SLA are deemed compliant (みなし遵守); nothing else is.
    let (deemed, rows) = split_deemed(f, all);
    let mut out = if rows.is_empty() {
        Outcome::from_problems(Vec::new(), String::new())
    } else {
        patches_of(f, &rows)
    };
    if let Some(note) = deemed {
        out.reasons.retain(|r| !r.is_empty());
        out.reasons.push(note);
    }
    out
}

/// 2(7)'s rule over the devices the facility itself must keep updated.
fn patches_of(f: &Facts, rows: &[(&i64, &Row)]) -> Outcome {
    use mamori_lifecycle::Status;
    let status_is = |s: Status| move |r: &Row| mamori_lifecycle::status(r, f.today).0 == s;
    let mut problems = Vec::new();
    let (m, refs) = failing(
        Kind::Devices,
        rows.iter().copied(),
        status_is(Status::Ended),
    );
    if m > 0 {
        problems.push((format!("{m}台のサポート（保守）期限が過ぎています"), refs));
    }
    let (m, refs) = failing(
        Kind::Devices,
        rows.iter().copied(),
        status_is(Status::UpdateAvailable),
    );
    if m > 0 {
        problems.push((
            format!("{m}台に適用されていない更新があります（新しい版、更新プログラムの適用日、ウイルス定義の日付）"),
            refs,
        ));
    }
    if !problems.is_empty() {
        return Outcome::from_problems(problems, String::new());
    }
    let (unknown, _) = failing(
        Kind::Devices,
        rows.iter().copied(),
        status_is(Status::Unknown),
    );
    if unknown > 0 {
        return Outcome::unknown(format!(
            "{}台中{unknown}台のサポート終了日が未記入で、製品からも特定できないため、更新の状況を判断できません",
            rows.len()
        ));
    }
    let (soon, _) = failing(
        Kind::Devices,
        rows.iter().copied(),
        status_is(Status::EndingSoon),
    );
    Outcome::from_problems(
        Vec::new(),
        if soon > 0 {
            format!(
                "{}台すべてがサポート期間内です（うち{soon}台は{}日以内に終了。更新の計画を）",
                rows.len(),
                mamori_lifecycle::SOON_DAYS
            )
        } else {
            format!("{}台すべてがサポート期間内です", rows.len())
        },
    )
}

/// The 事業者・契約 rows whose responsibility for security updates is written (契約書・約款・SLA), by name.
fn vendors_with_update_duty(f: &Facts) -> Vec<(String, String)> {
    f.rows(Kind::Vendors)
        .values()
        .filter_map(|r| {
            let duty = r.get("security_update_duty")?;
            (duty != "記載なし" && !duty.trim().is_empty())
                .then(|| (r.get("name").cloned().unwrap_or_default(), duty.clone()))
        })
        .filter(|(name, _)| !name.trim().is_empty())
        .collect()
}

/// Devices whose vendor carries the written duty (only while guideline 第7.0版 is in force), said in
/// one reason, and the rest.
fn split_deemed<'a>(
    f: &Facts,
    all: &'a BTreeMap<i64, Row>,
) -> (Option<String>, Vec<(&'a i64, &'a Row)>) {
    if mamori_core::guideline::Guideline::on(f.today) < mamori_core::guideline::Guideline::V7 {
        return (None, all.iter().collect());
    }
    let duties = vendors_with_update_duty(f);
    let duty_of = |r: &Row| {
        let v = r.get("vendor").map(|v| v.trim()).unwrap_or_default();
        (!v.is_empty())
            .then(|| {
                duties
                    .iter()
                    .find(|(name, _)| v.contains(name.as_str()) || name.contains(v))
            })
            .flatten()
    };
    let mut rest = Vec::new();
    let mut deemed: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (id, r) in all {
        match duty_of(r) {
            Some((name, duty)) => deemed.entry(name).or_insert((0, duty)).0 += 1,
            None => rest.push((id, r)),
        }
    }
    let note = (!deemed.is_empty()).then(|| {
        let who: Vec<String> = deemed
            .iter()
            .map(|(name, (n, duty))| format!("{name}（{duty}に記載、{n}台）"))
            .collect();
        format!(
            "次の事業者の機器は、セキュリティ更新の責任が契約書・約款・SLA に書かれているため、保守委託機関編によりみなし遵守としています：{}",
            who.join("、")
        )
    });
    (note, rest)
}

/// 2(9) unneeded services: what the baseline flagged on the machines the agent inventoried (禁止 and
/// remote tools not recorded: いいえ; 要確認, or servers and PCs without an inventory: 判断材料不足).
fn unneeded_services(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Devices);
    if rows.is_empty() {
        return empty(Kind::Devices);
    }
    let flags = |r: &Row| r.get("service_flags").cloned().unwrap_or_default();
    let (m, refs) = failing(Kind::Devices, rows.iter(), |r| {
        let f = flags(r);
        f.contains("禁止:") || f.contains("未登録のリモート接続:")
    });
    if m > 0 {
        return Outcome::from_problems(
            vec![(
                format!(
                    "{m}台で、基準で禁止したサービス・ソフトか、台帳にないリモート接続ソフトが見つかりました（機器台帳の「不要なサービス・ソフト」）"
                ),
                refs,
            )],
            String::new(),
        );
    }
    let computers: Vec<(&i64, &Row)> = rows
        .iter()
        .filter(|(_, r)| {
            has(r, "inventoried_on")
                || matches!(
                    r.get("device_kind").map(String::as_str),
                    Some("サーバ" | "端末PC")
                )
        })
        .collect();
    if computers.is_empty() {
        return Outcome::unknown(
            "サーバ・端末PCが機器台帳にないため、不要なサービスの停止を確認できません",
        );
    }
    let (review, _) = failing(Kind::Devices, computers.iter().copied(), |r| {
        flags(r).contains("要確認:")
    });
    let (missing, _) = failing(Kind::Devices, computers.iter().copied(), |r| {
        !has(r, "inventoried_on")
    });
    let mut reasons = Vec::new();
    if review > 0 {
        reasons.push(format!(
            "{review}台に使っているか確認が必要なサービスがあります（使っていれば「サービス・ソフトの基準」で許可、使っていなければ停止）"
        ));
    }
    if missing > 0 {
        reasons.push(format!(
            "サーバ・端末PC {}台中{missing}台はエージェントの一覧がなく、動いているサービスを確認できません",
            computers.len()
        ));
    }
    if !reasons.is_empty() {
        return Outcome {
            verdict: Verdict::Unknown,
            reasons,
            rows: Vec::new(),
        };
    }
    Outcome::from_problems(
        Vec::new(),
        format!(
            "エージェントで確認した{}台に、基準で禁止したサービス・ソフトはありません",
            computers.len()
        ),
    )
}

fn contact_chart(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Contacts);
    if rows.is_empty() {
        return empty(Kind::Contacts);
    }
    let mut problems = Vec::new();
    let (m, refs) = failing(Kind::Contacts, rows.iter(), |r| !has(r, "phone"));
    if m > 0 {
        problems.push((
            format!("連絡先の電話番号が未記入の行があります（{m}行）"),
            refs,
        ));
    }
    for (cat, what) in [
        ("事業者", "事業者"),
        ("公的機関", "厚生労働省や警察などの公的機関"),
    ] {
        if !rows
            .iter()
            .any(|(_, r)| r.get("category").map(String::as_str) == Some(cat))
        {
            problems.push((format!("{what}の連絡先がありません"), Vec::new()));
        }
    }
    Outcome::from_problems(
        problems,
        format!("連絡先が{}件あり、すべてに電話番号があります", rows.len()),
    )
}

fn bcp(f: &Facts) -> Outcome {
    let Some(b) = f.bcp.as_ref().filter(|b| b.yes + b.no.len() > 0) else {
        return Outcome::unknown(
            "BCP確認表にまだ回答していません。「BCP」画面の確認表で確認すると、ここに根拠が表示されます",
        );
    };
    if !b.no.is_empty() {
        return Outcome::from_problems(
            b.no.iter()
                .map(|n| (format!("BCP確認表で「いいえ」：{n}"), Vec::new()))
                .collect(),
            String::new(),
        );
    }
    let open = b.total - b.yes;
    if open > 0 {
        return Outcome::unknown(format!(
            "BCP確認表の文言を確認できた{}項目中{open}項目が未回答です",
            b.total
        ));
    }
    Outcome::from_problems(
        Vec::new(),
        format!(
            "BCP確認表の文言を確認できた全{}項目が「はい」です（文言が未確認の項目の回答は判断に使っていません）",
            b.total
        ),
    )
}

/// The BCP's backups: 3(2)'s rule, and kept in two generations or more (so that malware cannot reach all).
fn backup_generations(f: &Facts) -> Outcome {
    let base = backup(f);
    let rows = f.rows(Kind::Backups);
    if rows.is_empty() {
        return base;
    }
    let (m, refs) = failing(Kind::Backups, rows.iter(), |r| {
        let n: String = r
            .get("generations")
            .map(|g| g.chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_default();
        !n.parse::<u32>().is_ok_and(|n| n >= 2)
    });
    if m == 0 {
        return base;
    }
    let mut problems: Vec<(String, Vec<RowRef>)> = if base.verdict == Verdict::No {
        base.reasons.into_iter().map(|r| (r, Vec::new())).collect()
    } else {
        Vec::new()
    };
    problems.push((
        format!("{m}件のバックアップに2世代以上の世代管理の記録がありません"),
        refs,
    ));
    Outcome::from_problems(problems, String::new())
}

/// A BCP exercise (or restore test) recorded within the year.
fn exercises(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Exercises);
    if rows.is_empty() {
        return Outcome::from_problems(
            vec![(
                "訓練記録がありません（BCP訓練・復旧テストを記録してください）".into(),
                Vec::new(),
            )],
            String::new(),
        );
    }
    let last = rows.values().filter_map(|r| date(r, "held_on")).max();
    match last {
        Some(d) if (f.today - d).num_days() <= REVIEW_DAYS => Outcome::from_problems(
            Vec::new(),
            format!("1年以内に訓練を実施しています（最新 {d}）"),
        ),
        _ => Outcome::from_problems(
            vec![("1年以内の訓練記録がありません".into(), Vec::new())],
            String::new(),
        ),
    }
}

/// The 機器台帳's 復旧優先順位: the systems that come back first are marked.
fn critical_systems(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Devices);
    if rows.is_empty() {
        return empty(Kind::Devices);
    }
    let marked = rows
        .values()
        .filter(|r| has(r, "recovery_priority"))
        .count();
    let first = rows
        .values()
        .filter(|r| r.get("recovery_priority").map(String::as_str) == Some("1"))
        .count();
    if first == 0 {
        return Outcome::from_problems(
            vec![(
                "機器台帳に復旧優先順位「1」の機器がありません（重要なシステムに復旧優先順位を付けてください）".into(),
                Vec::new(),
            )],
            String::new(),
        );
    }
    Outcome::from_problems(
        Vec::new(),
        format!("機器台帳の{marked}台に復旧優先順位があり、最優先は{first}台です"),
    )
}

/// The ledgers' word on one item of the BCP 確認表.
pub fn suggest_bcp(evidence: mamori_core::bcp::BcpEvidence, facts: &Facts) -> Suggestion {
    use mamori_core::bcp::BcpEvidence as E;
    let o = match evidence {
        E::DeviceLedger => device_ledger(facts),
        E::Patches => patches(facts),
        E::ContactChart => contact_chart(facts),
        E::Backup => backup_generations(facts),
        E::Exercises => exercises(facts),
        E::CriticalSystems => critical_systems(facts),
    };
    Suggestion {
        item: mamori_core::ItemId::default(),
        verdict: o.verdict,
        reasons: o.reasons,
        rows: o.rows,
    }
}

fn backup(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Backups);
    if rows.is_empty() {
        return empty(Kind::Backups);
    }
    let mut problems = Vec::new();
    if !rows
        .iter()
        .any(|(_, r)| r.get("offline").map(String::as_str) == Some("はい"))
    {
        problems.push((
            "オフライン（またはネットワークから書き換えられない形）で保管しているバックアップがありません".into(),
            Vec::new(),
        ));
    }
    // A restore test is the ledger's date, or a 復旧テスト in the 訓練記録 for the same system.
    let exercised = |system: &str| {
        f.rows(Kind::Exercises)
            .values()
            .filter(|e| e.get("exercise_kind").map(String::as_str) == Some("復旧テスト"))
            .filter(|e| {
                e.get("system")
                    .is_some_and(|s| !s.is_empty() && s == system)
            })
            .filter_map(|e| date(e, "held_on"))
            .max()
    };
    let (m, refs) = failing(Kind::Backups, rows.iter(), |r| {
        let tested = date(r, "restore_tested_on")
            .into_iter()
            .chain(exercised(r.get("system").map(String::as_str).unwrap_or("")))
            .max();
        match tested {
            None => true,
            Some(d) => (f.today - d).num_days() > REVIEW_DAYS,
        }
    });
    if m > 0 {
        problems.push((
            format!("{m}件のバックアップに1年以内の復旧テストの記録がありません"),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Backups, rows.iter(), |r| !has(r, "restore_procedure"));
    if m > 0 {
        problems.push((format!("{m}件のバックアップに復旧手順書がありません"), refs));
    }
    Outcome::from_problems(
        problems,
        "バックアップはオフラインの保管があり、すべて1年以内に復旧テストをしています".into(),
    )
}

/// Two-factor authentication, judged per system (guideline 第7.0版: client terminals and servers by
/// 令和9年4月1日, or at the next renewal with a vendor that provides it), from the 事業者・契約 rows.
fn two_factor(f: &Facts) -> Outcome {
    let rows = f.rows(Kind::Vendors);
    if rows.is_empty() {
        return empty(Kind::Vendors);
    }
    let system = |r: &Row| {
        r.get("systems")
            .filter(|s| !s.trim().is_empty())
            .or_else(|| r.get("name"))
            .cloned()
            .unwrap_or_default()
    };
    fn state(r: &Row) -> &str {
        r.get("two_factor_system").map_or("", String::as_str)
    }
    let (blank, _) = failing(Kind::Vendors, rows.iter(), |r| state(r).is_empty());
    if blank == rows.len() {
        return Outcome::unknown(
            "事業者・契約の台帳に、システムごとの二要素認証の状況（導入済み・次回更新時に導入・未定）が記録されていません。二要素認証はシステムごとに判断します（利用者ごとではありません）",
        );
    }
    let mut problems = Vec::new();
    let names = |pick: &dyn Fn(&Row) -> bool| -> Vec<String> {
        rows.values().filter(|r| pick(r)).map(system).collect()
    };
    let undecided = |r: &Row| state(r) == "未定";
    let (m, refs) = failing(Kind::Vendors, rows.iter(), undecided);
    if m > 0 {
        problems.push((
            format!(
                "二要素認証の導入が決まっていないシステムがあります：{}（令和9年4月1日が基準日）",
                names(&undecided).join("、")
            ),
            refs,
        ));
    }
    let no_date = |r: &Row| state(r) == "次回更新時に導入" && !has(r, "renewal_on");
    let (m, refs) = failing(Kind::Vendors, rows.iter(), no_date);
    if m > 0 {
        problems.push((
            format!(
                "次回更新時に導入とするシステムの次回システム更新予定日が未記入です：{}",
                names(&no_date).join("、")
            ),
            refs,
        ));
    }
    let (m, refs) = failing(Kind::Vendors, rows.iter(), |r| state(r).is_empty());
    if m > 0 {
        problems.push((
            format!("{m}件のシステムの二要素認証の状況が未記入です"),
            refs,
        ));
    }
    let later = names(&|r: &Row| state(r) == "次回更新時に導入");
    Outcome::from_problems(
        problems,
        if later.is_empty() {
            format!("{}件のシステムすべてが二要素認証を導入済みです", rows.len())
        } else {
            format!(
                "二要素認証は、{}件のシステムが導入済み、{}が次回更新時に導入予定です",
                rows.len() - later.len(),
                later.join("、")
            )
        },
    )
}
