//! Reminders that keep the year moving: a いいえ's 目標日 coming (30 and 7 days before) or past (the 2回目 to
//! record, or still いいえ after it), the ledgers' yearly reviews, silent agents, backups and restore tests,
//! log reviews at the frequency the ログリスト names, and vendors' MDS/SDS and 事業者確認用. Each names the item
//! or row, who is responsible and where to act. [`compute`] is pure; [`for_org`] gathers what it reads.

use std::collections::HashSet;

use chrono::NaiveDate;
use mamori_core::AnswerSet;
use mamori_core::catalog::Form;
use mamori_core::dates::wareki;
use mamori_ledger::{Kind, Row};
use mamori_store::Org;
use serde::Serialize;

use crate::{App, AppError};

/// Days before a 目標日 when it is named: the list shows every いいえ within the first; a digest mails on
/// each of these days.
pub const TARGET_WARNINGS: [i64; 2] = [30, 7];
/// An agent that has not reported for longer than this is named.
pub const AGENT_SILENT_DAYS: i64 = 30;
/// 利用者台帳 and 機器台帳 are reviewed at least yearly; restore tests too.
pub const YEARLY_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    TargetSoon,
    SecondRound,
    Overdue,
    AccountsReview,
    DevicesReview,
    AgentSilent,
    Backup,
    RestoreTest,
    LogReview,
    VendorForm,
    MdsSds,
    Exercise,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 12] = [
        ReminderKind::TargetSoon,
        ReminderKind::SecondRound,
        ReminderKind::Overdue,
        ReminderKind::AccountsReview,
        ReminderKind::DevicesReview,
        ReminderKind::AgentSilent,
        ReminderKind::Backup,
        ReminderKind::RestoreTest,
        ReminderKind::LogReview,
        ReminderKind::VendorForm,
        ReminderKind::MdsSds,
        ReminderKind::Exercise,
    ];
    pub fn id(self) -> &'static str {
        match self {
            ReminderKind::TargetSoon => "target_soon",
            ReminderKind::SecondRound => "second_round",
            ReminderKind::Overdue => "overdue",
            ReminderKind::AccountsReview => "accounts_review",
            ReminderKind::DevicesReview => "devices_review",
            ReminderKind::AgentSilent => "agent_silent",
            ReminderKind::Backup => "backup",
            ReminderKind::RestoreTest => "restore_test",
            ReminderKind::LogReview => "log_review",
            ReminderKind::VendorForm => "vendor_form",
            ReminderKind::MdsSds => "mds_sds",
            ReminderKind::Exercise => "exercise",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ReminderKind::TargetSoon => "目標日が近い「いいえ」",
            ReminderKind::SecondRound => "2回目の確認",
            ReminderKind::Overdue => "目標日を過ぎた「いいえ」",
            ReminderKind::AccountsReview => "利用者台帳の見直し",
            ReminderKind::DevicesReview => "機器台帳の更新",
            ReminderKind::AgentSilent => "連絡のないエージェント",
            ReminderKind::Backup => "バックアップ",
            ReminderKind::RestoreTest => "復元の確認",
            ReminderKind::LogReview => "ログの確認",
            ReminderKind::VendorForm => "事業者確認用",
            ReminderKind::MdsSds => "MDS/SDS",
            ReminderKind::Exercise => "BCP訓練・復旧テスト",
        }
    }
    pub fn parse(s: &str) -> Option<ReminderKind> {
        ReminderKind::ALL.into_iter().find(|k| k.id() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// The item (「2(6) セキュリティパッチ…」) or the row it is about.
    pub subject: String,
    pub message: String,
    pub responsible: String,
    /// Where to act.
    pub link: String,
    pub due: Option<NaiveDate>,
    /// Days to the due date (negative: past), where there is one.
    pub days_left: Option<i64>,
}

/// What the reminders read, gathered by [`for_org`] (or built by a test).
pub struct Inputs<'a> {
    pub form: &'a Form,
    pub answers: &'a AnswerSet,
    /// The checklist page of the form.
    pub checklist_link: String,
    /// 医療情報セキュリティ責任者: responsible where no row names anyone.
    pub officer: &'a str,
    pub accounts: &'a [Row],
    pub devices: &'a [Row],
    /// (hostname, last report date) of enrolled agents.
    pub agents: &'a [(String, Option<NaiveDate>)],
    /// The deployment's last good backup of Mamori's own database.
    pub last_backup: Option<NaiveDate>,
    pub backups: &'a [Row],
    pub loglist: &'a [Row],
    pub log_reviews: &'a [Row],
    /// (ledger row id, row) of the 事業者・契約 ledger.
    pub vendors: &'a [(i64, Row)],
    /// Vendor rows with a 事業者確認用 for the edition (recorded or received).
    pub vendor_forms: &'a HashSet<i64>,
    pub has_vendor_contract: bool,
    /// 訓練記録 (BCP exercises, restore tests).
    pub exercises: &'a [Row],
    /// The facility has answered its BCP 確認表: it has a BCP to exercise.
    pub has_bcp: bool,
}

fn date(r: &Row, key: &str) -> Option<NaiveDate> {
    r.get(key)
        .and_then(|v| mamori_ledger::values::parse_date(v))
}

fn field<'r>(r: &'r Row, key: &str) -> &'r str {
    r.get(key).map_or("", String::as_str)
}

/// Days between checks a ログリスト's 確認頻度 names (毎日, 毎週, 毎月, 四半期, 半年, 毎年 …); None when it
/// names none Mamori knows.
pub fn frequency_days(text: &str) -> Option<i64> {
    let t = text.trim();
    // The more particular words first: 「3か月」 before 「月」, 「半年」 before 「年」.
    [
        ("毎日", 1),
        ("日次", 1),
        ("四半期", 92),
        ("3か月", 92),
        ("3ヶ月", 92),
        ("半年", 183),
        ("6か月", 183),
        ("6ヶ月", 183),
        ("週", 7),
        ("月", 31),
        ("年", 366),
    ]
    .iter()
    .find(|(word, _)| t.contains(word))
    .map(|(_, d)| *d)
}

/// Every reminder standing on `today`, most pressing first.
pub fn compute(i: &Inputs<'_>, today: NaiveDate) -> Vec<Reminder> {
    let mut out = Vec::new();
    let days = |d: NaiveDate| (d - today).num_days();
    // The checklist: each いいえ by its latest round.
    for (item, target) in i.form.rows() {
        // Only a row left open: never the gate's いいえ, never a row the gate made 確認不要.
        let Some(a) = mamori_core::answers::open_answer(
            i.form,
            item,
            target,
            i.answers,
            i.has_vendor_contract,
        ) else {
            continue;
        };
        let Some(due) = i.answers.target_date_in_force(&item.id, target) else {
            continue;
        };
        let left = days(due);
        let subject = format!(
            "{}（{}）{}",
            item.label(),
            target.label(),
            item.text.chars().take(40).collect::<String>()
        );
        let (kind, message) = if left >= 0 {
            if left > TARGET_WARNINGS[0] {
                continue;
            }
            (
                ReminderKind::TargetSoon,
                format!("目標日（{}）まであと{left}日です", wareki(due)),
            )
        } else if a.round == 1 {
            (
                ReminderKind::SecondRound,
                format!(
                    "目標日（{}）を過ぎました。対応の結果を2回目として回答してください",
                    wareki(due)
                ),
            )
        } else {
            (
                ReminderKind::Overdue,
                format!(
                    "2回目も「いいえ」のまま目標日（{}）を過ぎています",
                    wareki(due)
                ),
            )
        };
        out.push(Reminder {
            kind,
            subject,
            message,
            responsible: i.officer.to_string(),
            link: format!(
                "{}#row-{}-{}",
                i.checklist_link,
                item.id.replace('.', "-"),
                target.id()
            ),
            due: Some(due),
            days_left: Some(left),
        });
    }

    // 利用者台帳: reviewed within the year (the latest 見直し日 of the active rows).
    let active_accounts: Vec<&Row> = i
        .accounts
        .iter()
        .filter(|r| !field(r, "status").starts_with("退職"))
        .collect();
    if !active_accounts.is_empty() {
        let last = active_accounts
            .iter()
            .filter_map(|r| date(r, "reviewed_on"))
            .max();
        if last.is_none_or(|d| days(d) < -YEARLY_DAYS) {
            out.push(Reminder {
                kind: ReminderKind::AccountsReview,
                subject: format!("利用者台帳（{} 名）", active_accounts.len()),
                message: match last {
                    Some(d) => format!("最後の見直し（{}）から1年を過ぎています。退職者・不要なアカウントを確認してください", wareki(d)),
                    None => "見直し日の記録がありません。退職者・不要なアカウントを確認し、見直し日を記入してください".into(),
                },
                responsible: i.officer.to_string(),
                link: "/ledgers/accounts".into(),
                due: last.map(|d| d + chrono::Duration::days(YEARLY_DAYS)),
                days_left: last.map(|d| days(d) + YEARLY_DAYS),
            });
        }
    }
    // 機器台帳: each device confirmed within the year.
    let stale: Vec<&Row> = i
        .devices
        .iter()
        .filter(|r| date(r, "inventoried_on").is_none_or(|d| days(d) < -YEARLY_DAYS))
        .collect();
    if !stale.is_empty() {
        out.push(Reminder {
            kind: ReminderKind::DevicesReview,
            subject: format!("機器台帳（{} 台）", stale.len()),
            message: "1年以上、確認日（棚卸日）が更新されていない機器があります".into(),
            responsible: i.officer.to_string(),
            link: "/ledgers/devices".into(),
            due: None,
            days_left: None,
        });
    }
    for (host, last) in i.agents {
        if last.is_none_or(|d| days(d) < -AGENT_SILENT_DAYS) {
            out.push(Reminder {
                kind: ReminderKind::AgentSilent,
                subject: format!("エージェント {host}"),
                message: match last {
                    Some(d) => format!(
                        "{}から{}日以上連絡がありません",
                        wareki(*d),
                        AGENT_SILENT_DAYS
                    ),
                    None => "登録後、一度も連絡がありません".into(),
                },
                responsible: i.officer.to_string(),
                link: "/agents".into(),
                due: None,
                days_left: None,
            });
        }
    }
    // Backups: Mamori's own (a day without one is named), and each system's restore test within the year.
    if i.last_backup.is_none_or(|d| days(d) < -1) {
        out.push(Reminder {
            kind: ReminderKind::Backup,
            subject: "Mamori のデータベース".into(),
            message: match i.last_backup {
                Some(d) => format!("最後のバックアップは{}です", wareki(d)),
                None => "バックアップの記録がありません".into(),
            },
            responsible: i.officer.to_string(),
            link: "/settings".into(),
            due: None,
            days_left: None,
        });
    }
    for r in i.backups {
        let tested = date(r, "restore_tested_on");
        if tested.is_none_or(|d| days(d) < -YEARLY_DAYS) {
            out.push(Reminder {
                kind: ReminderKind::RestoreTest,
                subject: format!("バックアップ台帳：{}", field(r, "system")),
                message: match tested {
                    Some(d) => format!("最後の復元の確認（{}）から1年を過ぎています", wareki(d)),
                    None => "復元の確認の記録がありません".into(),
                },
                responsible: i.officer.to_string(),
                link: "/ledgers/backups".into(),
                due: tested.map(|d| d + chrono::Duration::days(YEARLY_DAYS)),
                days_left: tested.map(|d| days(d) + YEARLY_DAYS),
            });
        }
    }
    // Log reviews at the ログリスト's frequency: the newest review of that log (by its 対象).
    for r in i.loglist {
        let Some(every) = frequency_days(field(r, "frequency")) else {
            continue;
        };
        let name = format!("{} {}", field(r, "target"), field(r, "log_kind"));
        let last = i
            .log_reviews
            .iter()
            .filter(|v| {
                let t = field(v, "target");
                !t.is_empty() && (name.contains(t) || t.contains(field(r, "target")))
            })
            .filter_map(|v| date(v, "reviewed_on"))
            .max();
        if last.is_none_or(|d| days(d) < -every) {
            let reviewer = field(r, "reviewer");
            out.push(Reminder {
                kind: ReminderKind::LogReview,
                subject: format!("ログリスト：{}（{}）", name.trim(), field(r, "frequency")),
                message: match last {
                    Some(d) => format!("最後の確認は{}です", wareki(d)),
                    None => "確認の記録がありません".into(),
                },
                responsible: if reviewer.is_empty() {
                    i.officer
                } else {
                    reviewer
                }
                .to_string(),
                link: "/ledgers/logreviews".into(),
                due: last.map(|d| d + chrono::Duration::days(every)),
                days_left: last.map(|d| days(d) + every),
            });
        }
    }
    // Vendors: their 事業者確認用 for the edition, and MDS/SDS.
    if i.has_vendor_contract {
        for (id, r) in i.vendors {
            let name = field(r, "name");
            let contact = field(r, "contact");
            let responsible = if contact.is_empty() {
                i.officer.to_string()
            } else {
                format!("{}（{name} {contact}）", i.officer)
            };
            if !i.vendor_forms.contains(id) {
                out.push(Reminder {
                    kind: ReminderKind::VendorForm,
                    subject: format!("事業者：{name}"),
                    message: "この版の事業者確認用がまだありません".into(),
                    responsible: responsible.clone(),
                    link: "/vendor-forms".into(),
                    due: None,
                    days_left: None,
                });
            }
            if !r.contains_key("mds_sds_received_on") && field(r, "mds_sds_kind") != "なし" {
                out.push(Reminder {
                    kind: ReminderKind::MdsSds,
                    subject: format!("事業者：{name}"),
                    message: "MDS/SDSの受領日がありません".into(),
                    responsible,
                    link: format!("/ledgers/vendors/{id}"),
                    due: None,
                    days_left: None,
                });
            }
        }
    }
    // BCP exercises: yearly, once the facility keeps a BCP or an exercise record.
    let last_exercise = i.exercises.iter().filter_map(|r| date(r, "held_on")).max();
    if (i.has_bcp || !i.exercises.is_empty())
        && last_exercise.is_none_or(|d| days(d) < -YEARLY_DAYS)
    {
        out.push(Reminder {
            kind: ReminderKind::Exercise,
            subject: "訓練記録".into(),
            message: match last_exercise {
                Some(d) => format!(
                    "最後の訓練（{}）から1年を過ぎています。BCP訓練または復旧テストを行い、記録してください",
                    wareki(d)
                ),
                None => "BCP訓練・復旧テストの記録がありません".into(),
            },
            responsible: i.officer.to_string(),
            link: "/ledgers/exercises".into(),
            due: last_exercise.map(|d| d + chrono::Duration::days(YEARLY_DAYS)),
            days_left: last_exercise.map(|d| days(d) + YEARLY_DAYS),
        });
    }
    out.sort_by_key(|r| (r.days_left.unwrap_or(i64::MAX / 2), r.kind.id()));
    out
}

/// Every reminder of the organisation's form in force, on the clock's today.
pub async fn for_org(app: &App, org: &Org) -> Result<Vec<Reminder>, AppError> {
    if !org.kind.is_facility() {
        return Ok(Vec::new());
    }
    let catalog = app.catalog_of(org.id);
    let edition = app.edition_or_current(org, None);
    let variant = crate::own_variant(&catalog, &edition, org);
    let form = catalog.require_form(&edition, variant)?;
    let answers = AnswerSet::new(app.store.answers(org.id, &edition, variant).await?);
    let rows = |kind| async move {
        Ok::<_, AppError>(
            app.store
                .ledger_all(org.id, kind)
                .await?
                .into_iter()
                .filter(|r| !r.disabled)
                .map(|r| (r.id, r.data))
                .collect::<Vec<_>>(),
        )
    };
    let only_rows = |v: Vec<(i64, Row)>| v.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
    // The two large ledgers from the evidence cache (their fields the rules read, kept per ledger
    // version): a hospital's 20,000 devices are not read again for each dashboard.
    let version = app.store.ledger_version(org.id).await?;
    let facts = crate::evidence::evidence_facts(app, org, version).await?;
    let accounts: Vec<Row> = facts.rows(Kind::Accounts).values().cloned().collect();
    let devices: Vec<Row> = facts.rows(Kind::Devices).values().cloned().collect();
    let backups = only_rows(rows(Kind::Backups).await?);
    let loglist = only_rows(rows(Kind::Loglist).await?);
    let log_reviews = only_rows(rows(Kind::LogReviews).await?);
    let vendors = rows(Kind::Vendors).await?;
    let exercises = only_rows(rows(Kind::Exercises).await?);
    let has_bcp = !app
        .store
        .bcp_answers(org.id, &crate::bcp::catalog().id)
        .await?
        .is_empty();
    let agents: Vec<(String, Option<NaiveDate>)> = app
        .store
        .agents(org.id)
        .await?
        .into_iter()
        .filter(|a| !a.revoked)
        .map(|a| {
            let last = a.last_seen.as_deref().and_then(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .ok()
                    .map(|t| mamori_core::dates::jst_date(t.to_utc()))
            });
            (a.hostname, last)
        })
        .collect();
    let last_backup = app
        .store
        .last_backup_runs()
        .await?
        .0
        .map(|r| mamori_core::dates::jst_date(r.at));
    let vendor_forms = crate::documents::vendor_rows_with_forms(app, org, &edition).await?;
    let inputs = Inputs {
        form,
        answers: &answers,
        checklist_link: format!("/checklists/{edition}/{}", variant.id()),
        officer: &org.security_officer,
        accounts: &accounts,
        devices: &devices,
        agents: &agents,
        last_backup,
        backups: &backups,
        loglist: &loglist,
        log_reviews: &log_reviews,
        exercises: &exercises,
        has_bcp,
        vendors: &vendors,
        vendor_forms: &vendor_forms,
        has_vendor_contract: org.has_vendor_contract,
    };
    Ok(compute(&inputs, app.clock.today_jst()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_core::{Answer, Catalog, Target, Variant};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn no(item: &str, round: u8, checked: &str, target: &str) -> Answer {
        Answer {
            item: item.into(),
            target: Target::General,
            round,
            answer: mamori_core::Choice::No,
            checked_on: d(checked),
            target_date: Some(d(target)),
            note: String::new(),
        }
    }

    struct Year {
        answers: AnswerSet,
        accounts: Vec<Row>,
        loglist: Vec<Row>,
        reviews: Vec<Row>,
        vendors: Vec<(i64, Row)>,
        forms: HashSet<i64>,
        exercises: Vec<Row>,
        has_bcp: bool,
    }

    fn kinds(catalog: &Catalog, y: &Year, today: &str) -> Vec<(ReminderKind, Option<i64>)> {
        let form = catalog.form("r7", Variant::Facility).unwrap();
        let inputs = Inputs {
            form,
            answers: &y.answers,
            checklist_link: "/checklists/r7/facility".into(),
            officer: "山田 太郎",
            accounts: &y.accounts,
            devices: &[],
            agents: &[],
            last_backup: Some(d(today)),
            backups: &[],
            loglist: &y.loglist,
            log_reviews: &y.reviews,
            vendors: &y.vendors,
            vendor_forms: &y.forms,
            has_vendor_contract: true,
            exercises: &y.exercises,
            has_bcp: y.has_bcp,
        };
        compute(&inputs, d(today))
            .into_iter()
            .map(|r| (r.kind, r.days_left))
            .collect()
    }

    /// A facility's year on a fixed calendar: the いいえ's 目標日 named 30 and 7 days before (not 31), the
    /// 2回目 due the day after it, still いいえ after the second 目標日; the yearly account review; a
    /// monthly log review; a vendor without its form.
    #[test]
    fn a_year_of_reminders() {
        let catalog = Catalog::builtin().unwrap();
        let mut y = Year {
            answers: AnswerSet::new(vec![no("r7.facility.2.6", 1, "2025-05-01", "2025-09-30")]),
            accounts: vec![row(&[("user_id", "u1"), ("reviewed_on", "2024-05-01")])],
            loglist: vec![row(&[
                ("target", "電子カルテ"),
                ("log_kind", "アクセスログ"),
                ("frequency", "毎月"),
                ("reviewer", "佐藤 花子"),
            ])],
            reviews: vec![row(&[
                ("target", "電子カルテ"),
                ("reviewed_on", "2025-05-01"),
                ("reviewer", "佐藤 花子"),
            ])],
            vendors: vec![(
                7,
                row(&[("name", "A社"), ("mds_sds_received_on", "2025-04-10")]),
            )],
            forms: HashSet::new(),
            exercises: Vec::new(),
            has_bcp: false,
        };
        let has = |k: &[(ReminderKind, Option<i64>)], kind| {
            k.iter().find(|(x, _)| *x == kind).map(|(_, d)| *d)
        };

        let june = kinds(&catalog, &y, "2025-05-20");
        assert_eq!(has(&june, ReminderKind::TargetSoon), None);
        assert_eq!(
            has(&june, ReminderKind::Exercise),
            None,
            "no BCP yet: nothing to exercise"
        );
        y.has_bcp = true;
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-05-20"), ReminderKind::Exercise),
            Some(None),
            "a BCP without any exercise"
        );
        y.exercises = vec![row(&[
            ("held_on", "2024-06-01"),
            ("exercise_kind", "BCP訓練"),
        ])];
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-05-20"), ReminderKind::Exercise),
            None,
            "exercised within the year"
        );
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-06-02"), ReminderKind::Exercise),
            Some(Some(-1)),
            "a year and a day after"
        );
        assert_eq!(
            has(&june, ReminderKind::AccountsReview),
            Some(Some(-19)),
            "due a year after the last review"
        );
        assert_eq!(
            has(&june, ReminderKind::LogReview),
            None,
            "reviewed 19 days ago, monthly"
        );
        assert_eq!(has(&june, ReminderKind::VendorForm), Some(None));
        assert_eq!(has(&june, ReminderKind::MdsSds), None, "received");

        y.accounts[0].insert("reviewed_on".into(), "2025-06-01".into());
        y.forms.insert(7);
        let july = kinds(&catalog, &y, "2025-07-01");
        assert_eq!(has(&july, ReminderKind::AccountsReview), None);
        assert_eq!(has(&july, ReminderKind::LogReview), Some(Some(-30)));
        assert_eq!(has(&july, ReminderKind::VendorForm), None);

        assert_eq!(
            has(&kinds(&catalog, &y, "2025-08-30"), ReminderKind::TargetSoon),
            None
        );
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-08-31"), ReminderKind::TargetSoon),
            Some(Some(30))
        );
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-09-23"), ReminderKind::TargetSoon),
            Some(Some(7))
        );
        assert_eq!(
            has(&kinds(&catalog, &y, "2025-09-30"), ReminderKind::TargetSoon),
            Some(Some(0))
        );
        let after = kinds(&catalog, &y, "2025-10-01");
        assert_eq!(has(&after, ReminderKind::SecondRound), Some(Some(-1)));
        assert_eq!(has(&after, ReminderKind::TargetSoon), None);

        // The 2回目: still いいえ, with a new 目標日 that passes too.
        y.answers = AnswerSet::new(vec![
            no("r7.facility.2.6", 1, "2025-05-01", "2025-09-30"),
            no("r7.facility.2.6", 2, "2025-10-05", "2026-02-28"),
        ]);
        let march = kinds(&catalog, &y, "2026-03-01");
        assert_eq!(has(&march, ReminderKind::Overdue), Some(Some(-1)));
        assert_eq!(has(&march, ReminderKind::SecondRound), None);
    }

    #[test]
    fn log_review_frequencies() {
        assert_eq!(frequency_days("毎日"), Some(1));
        assert_eq!(frequency_days("週1回"), Some(7));
        assert_eq!(frequency_days("毎月"), Some(31));
        assert_eq!(frequency_days("3か月ごと"), Some(92));
        assert_eq!(frequency_days("四半期"), Some(92));
        assert_eq!(frequency_days("半年に1回"), Some(183));
        assert_eq!(frequency_days("年1回"), Some(366));
        assert_eq!(frequency_days("随時"), None);
    }
}
