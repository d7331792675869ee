//! Detections over the stream of events, each with a Japanese explanation and the checklist topics it
//! bears on. State is kept per account and per source within the time windows only (bounded queues), so
//! memory does not grow with the input; findings are aggregated per kind, account and source.

use mamori_core::Topic;

use crate::finding_kind::FindingKind;
use std::borrow::Borrow;
use std::cell::Cell;
use std::collections::{BTreeSet, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::ehr_habits::{self, EhrHabits};
use crate::event::{Event, Kind, Origin};
use crate::staff::{Staff, StaffState};

/// Thresholds, with defaults a clinic can start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Failed logons of one account (or from one source) within `burst_minutes`.
    pub burst_count: usize,
    pub burst_minutes: i64,
    /// Distinct accounts tried from one source within `spray_minutes`.
    pub spray_accounts: usize,
    pub spray_minutes: i64,
    /// Failures of an account before a success within `burst_minutes`.
    pub success_after: usize,
    /// Working hours (JST) for EHR access: from `work_start` to `work_end` o'clock, Monday to Saturday.
    pub work_start: u32,
    pub work_end: u32,
    /// Distinct patients one user opens within `patients_minutes`.
    pub patients_count: usize,
    pub patients_minutes: i64,
    /// Vendors' maintenance accounts and the hours (JST) they are approved for.
    pub vendor_windows: Vec<VendorWindow>,
}

/// A vendor's maintenance account and its approved hours, 「vendor01=13:00-17:00」 (JST, every day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorWindow {
    pub account: String,
    /// Minutes after midnight: from `start` up to (not including) `end`.
    pub start: u32,
    pub end: u32,
}

impl VendorWindow {
    pub fn parse(s: &str) -> Result<VendorWindow, String> {
        let bad = || {
            format!(
                "「{s}」は アカウント=HH:MM-HH:MM の形で指定してください（例 vendor01=13:00-17:00）"
            )
        };
        let (account, hours) = s.split_once('=').ok_or_else(bad)?;
        let (a, b) = hours.split_once('-').ok_or_else(bad)?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
        };
        let (start, end) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
        if account.trim().is_empty() || start >= end {
            return Err(bad());
        }
        Ok(VendorWindow {
            account: account.trim().to_lowercase(),
            start,
            end,
        })
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            burst_count: 10,
            burst_minutes: 10,
            spray_accounts: 5,
            spray_minutes: 30,
            success_after: 5,
            work_start: 7,
            work_end: 21,
            patients_count: 100,
            patients_minutes: 60,
            vendor_windows: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// high / medium / low.
    pub severity: String,
    pub account: String,
    pub source: String,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub count: u64,
    pub message: String,
    /// Checklist topics (the same across editions): access_log, unused_accounts, access_rights …
    pub items: Vec<Topic>,
}

mod window;

use window::Window;
pub(crate) use window::{DistinctWindow, Map, capped_slot};

/// Findings about sources that are one finding per pattern, however many addresses take part
/// (120 addresses each trying one name is one attack): their sources are counted and listed.
const PER_PATTERN: &[FindingKind] = &[
    FindingKind::SshInvalidUser,
    FindingKind::FailedLogonBurstSource,
    FindingKind::PasswordSpray,
];

/// 「（操作したアカウント「admin」）」, or nothing when the log does not say who (Linux tools).
fn by_whom(actor: &str) -> String {
    if actor.is_empty() || actor == "-" {
        String::new()
    } else {
        format!("（操作したアカウント「{actor}」）")
    }
}

/// Keys kept per map at most (accounts or sources beyond this are not tracked for windows).
const MAX_KEYS: usize = 100_000;

/// System and machine accounts that no staff ledger lists.
fn system_account(a: &str) -> bool {
    // Their names are ASCII: compared without case, without making an upper-case copy.
    let starts = |p: &str| a.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    a.is_empty()
        || a == "-"
        || a.ends_with('$')
        || [
            "SYSTEM",
            "LOCAL SERVICE",
            "NETWORK SERVICE",
            "ANONYMOUS LOGON",
            "IUSR",
        ]
        .iter()
        .any(|s| a.eq_ignore_ascii_case(s))
        || ["DWM-", "UMFD-", "FONT DRIVER HOST", "WINDOW MANAGER"]
            .iter()
            .any(|p| starts(p))
}

const PRIVILEGED_GROUPS: &[&str] = &[
    "administrators",
    "domain admins",
    "enterprise admins",
    "schema admins",
    "remote desktop users",
    "backup operators",
    "account operators",
    "server operators",
    "hyper-v administrators",
    // Linux: the groups sudo and su give root to.
    "sudo",
    "wheel",
    "admin",
    "root",
];

/// Which finding an event adds to: its kind, account and source.
#[derive(PartialEq, Eq, Hash)]
struct FindingKey {
    kind: FindingKind,
    account: String,
    source: String,
}

/// A [`FindingKey`] looked up without copying the names (hashed the same: field by field).
#[derive(Hash)]
struct FindingRef<'a>(FindingKind, &'a str, &'a str);

impl hashbrown::Equivalent<FindingKey> for FindingRef<'_> {
    fn equivalent(&self, k: &FindingKey) -> bool {
        self.0 == k.kind && self.1 == k.account && self.2 == k.source
    }
}

impl From<&FindingRef<'_>> for FindingKey {
    fn from(r: &FindingRef<'_>) -> FindingKey {
        FindingKey {
            kind: r.0,
            account: r.1.to_string(),
            source: r.2.to_string(),
        }
    }
}

pub struct Detector {
    th: Thresholds,
    staff: Option<Staff>,
    failures_by_account: Map<String, Window>,
    failures_by_source: Map<String, Window>,
    /// Per source: the accounts tried and when.
    tried_by_source: Map<String, DistinctWindow>,
    /// Per kind, account and source (looked up without copying the names).
    findings: Map<FindingKey, Finding>,
    /// Accounts named in the spray finding (shown in its message, at most 20).
    sprayed: BTreeSet<String>,
    /// Per-pattern findings: events per source.
    sources: Map<FindingKind, Map<String, u64>>,
    /// EHR habits over the whole period: with enough days they replace the fixed clock and counts.
    ehr: EhrHabits,
}

impl Detector {
    pub fn new(th: Thresholds, staff: Option<Staff>) -> Detector {
        Detector {
            staff,
            failures_by_account: Map::default(),
            failures_by_source: Map::default(),
            tried_by_source: Map::default(),
            findings: Map::default(),
            sprayed: BTreeSet::new(),
            sources: Map::default(),
            ehr: EhrHabits::new(Duration::minutes(th.patients_minutes), th.patients_count),
            th,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        kind: FindingKind,
        severity: &'static str,
        account: &str,
        source: &str,
        time: Option<DateTime<Utc>>,
        items: &[Topic],
        message: impl FnOnce() -> String,
    ) {
        let per_pattern = PER_PATTERN.contains(&kind);
        if per_pattern {
            let by = self.sources.entry(kind).or_default();
            if let Some(n) = capped_slot(by, source, MAX_KEYS, || 0) {
                *n += 1;
            }
        }
        let source = if per_pattern { "" } else { source };
        let f = self
            .findings
            .entry_ref(&FindingRef(kind, account, source))
            .or_insert_with(|| Finding {
                kind,
                severity: severity.to_string(),
                account: account.to_string(),
                source: source.to_string(),
                first: time,
                last: time,
                count: 0,
                message: message(),
                items: items.to_vec(),
            });
        f.count += 1;
        if let Some(t) = time {
            f.first = Some(f.first.map_or(t, |x| x.min(t)));
            f.last = Some(f.last.map_or(t, |x| x.max(t)));
        }
    }

    fn failure(&mut self, e: &Event, t: DateTime<Utc>) {
        let span = Duration::minutes(self.th.burst_minutes);
        let cap = self.th.burst_count.max(self.th.success_after) + 1;
        if let Some(w) = capped_slot(
            &mut self.failures_by_account,
            &e.account,
            MAX_KEYS,
            Window::default,
        ) {
            let n = w.push(t, span, cap);
            if n >= self.th.burst_count {
                let (th, m) = (self.th.burst_count, self.th.burst_minutes);
                self.note(FindingKind::FailedLogonBurst, "high", &e.account, "", Some(t), &[Topic::AccessLog, Topic::PasswordLength], || {
                    format!("アカウント「{}」へのログオン失敗が{m}分間に{th}回以上あります（パスワードの推測の可能性）。パスワードの強さとアカウントのロックを確認してください", e.account)
                });
            }
        }
        if !e.source.is_empty()
            && let Some(w) = capped_slot(
                &mut self.failures_by_source,
                &e.source,
                MAX_KEYS,
                Window::default,
            )
        {
            let n = w.push(t, span, cap);
            if n >= self.th.burst_count {
                let (th, m) = (self.th.burst_count, self.th.burst_minutes);
                self.note(FindingKind::FailedLogonBurstSource, "high", "", &e.source, Some(t), &[Topic::AccessLog, Topic::SourceRestriction], || {
                    format!("1つの接続元からのログオン失敗が{m}分間に{th}回以上あります。接続元の制限（ファイアウォール）を確認してください")
                });
            }
        }
    }

    /// One source trying many accounts (failures and explicit-credential logons).
    fn tried(&mut self, key: &str, account: &str, t: DateTime<Utc>) {
        if key.is_empty() || account.is_empty() || system_account(account) {
            return;
        }
        let span = Duration::minutes(self.th.spray_minutes);
        let Some(w) = capped_slot(
            &mut self.tried_by_source,
            key,
            MAX_KEYS,
            DistinctWindow::default,
        ) else {
            return;
        };
        let distinct = w.push(t, account, span, 10_000);
        if distinct >= self.th.spray_accounts {
            for n in w.counts.keys() {
                if self.sprayed.len() >= 20 {
                    break;
                }
                self.sprayed.insert(n.to_string());
            }
            let (th, m) = (self.th.spray_accounts, self.th.spray_minutes);
            self.note(FindingKind::PasswordSpray, "high", "", key, Some(t), &[Topic::AccessLog, Topic::PasswordLength], || {
                format!("1つの接続元から{m}分間に{th}以上のアカウントへのログオンが試されています（パスワードスプレー攻撃の可能性）")
            });
        }
    }

    /// A vendor's maintenance account used outside its approved hours.
    fn vendor_check(&mut self, e: &Event, t: Option<DateTime<Utc>>) {
        let Some(t) = t else { return };
        if self.th.vendor_windows.is_empty() {
            return;
        }
        let lower = e.account.to_lowercase();
        let Some(w) = self
            .th
            .vendor_windows
            .iter()
            .find(|w| w.account == lower)
            .cloned()
        else {
            return;
        };
        let local = mamori_core::dates::to_jst(t);
        let minute = local.hour() * 60 + local.minute();
        if minute < w.start || minute >= w.end {
            let hm = |m: u32| format!("{}:{:02}", m / 60, m % 60);
            self.note(FindingKind::VendorOutsideWindow, "high", &e.account, &e.source, Some(t), &[Topic::RemoteMaintenance, Topic::AccessLog], || {
                format!("保守事業者のアカウント「{}」が承認した時間（{}〜{}）の外で使われています。事業者に作業の内容を確認してください", e.account, hm(w.start), hm(w.end))
            });
        }
    }

    fn staff_check(&mut self, e: &Event, t: Option<DateTime<Utc>>) {
        self.vendor_check(e, t);
        let Some(staff) = &self.staff else { return };
        if system_account(&e.account) {
            return;
        }
        let what = match e.origin {
            Origin::Ehr => "電子カルテ・レセコンの利用",
            _ => "ログオン",
        };
        match staff.state(&e.account, t.map(mamori_core::dates::jst_date)) {
            StaffState::Active => {}
            StaffState::Retired(why) => {
                let why = why.to_string();
                self.note(FindingKind::RetiredAccountUsed, "high", &e.account, &e.source, t, &[Topic::UnusedAccounts, Topic::AccessLog], || {
                    format!("利用者台帳で{why}のアカウント「{}」による{what}があります。アカウントを削除（無効化）し、誰が使ったか確認してください", e.account)
                });
            }
            StaffState::Unknown => {
                self.note(FindingKind::UnknownAccountUsed, "medium", &e.account, &e.source, t, &[Topic::UnusedAccounts, Topic::AccessRights], || {
                    format!("利用者台帳にないアカウント「{}」による{what}があります。台帳に登録するか、不要なら削除してください", e.account)
                });
            }
        }
    }

    pub fn push(&mut self, e: &Event) {
        let t = e.time;
        match &e.kind {
            Kind::LogonFailure => {
                if let Some(t) = t {
                    self.failure(e, t);
                    let key = if e.source.is_empty() {
                        e.actor.clone()
                    } else {
                        e.source.clone()
                    };
                    self.tried(&key, &e.account, t);
                }
            }
            Kind::LogonSuccess => {
                self.logon_success(e, t);
            }
            Kind::ExplicitCredentials => {
                if !system_account(&e.account) {
                    self.note(FindingKind::ExplicitCredentials, "low", &e.actor, "", t, &[Topic::AccessLog], || {
                        format!("「{}」が別のアカウントの資格情報を明示してログオンしています（runas、ネットワークドライブ、横展開など。件数はログオンの数）", e.actor)
                    });
                }
                if let Some(t) = t {
                    let key = if e.actor.is_empty() {
                        e.source.clone()
                    } else {
                        e.actor.clone()
                    };
                    self.tried(&key, &e.account, t);
                }
                self.staff_check(e, t);
            }
            Kind::LogCleared => {
                self.note(FindingKind::LogCleared, "high", &e.account, "", t, &[Topic::AccessLog], || {
                    format!("監査ログが消去されています（実行したアカウント「{}」）。正規の作業か確認してください。攻撃者が痕跡を消すときにも行います", e.account)
                });
            }
            Kind::AccountCreated
            | Kind::AccountEnabled
            | Kind::AccountDisabled
            | Kind::AccountDeleted
            | Kind::AccountRenamed { .. } => {
                self.account_change(e, t);
            }
            Kind::GroupMemberAdded { group } | Kind::GroupMemberRemoved { group } => {
                self.group_change(e, t, group);
            }
            Kind::GroupCreated { group } => {
                let group = group.clone();
                self.note(FindingKind::GroupCreated, "low", &group, "", t, &[Topic::AccessRights], || {
                    format!("グループ「{group}」が作成されました。誰に何の権限を与えるグループか、規程と照らしてください")
                });
            }
            Kind::PasswordChanged => {
                let sev = if e.account == "root" { "medium" } else { "low" };
                self.note(FindingKind::PasswordChanged, sev, &e.account, "", t, &[Topic::UnusedAccounts, Topic::AccessRights], || {
                    format!("アカウント「{}」のパスワードが設定・変更されました。本人や管理者の作業か確認してください（侵入した者が自分の入口を作るときにも行います）", e.account)
                });
            }
            Kind::ServiceInstalled { service } => {
                let service = service.clone();
                self.note(FindingKind::ServiceInstalled, "medium", &e.account, &service, t, &[Topic::UnneededServices], || {
                    format!("サービス「{service}」がインストールされました。導入した覚えのないものなら、遠隔操作ツールや攻撃の可能性があります")
                });
            }
            Kind::RdpSession { reconnected } => {
                let what = if *reconnected { "再接続" } else { "切断" };
                self.note(FindingKind::RdpSession, "low", &e.account, &e.source, t, &[Topic::RemoteMaintenance], || {
                    format!("リモートデスクトップのセッションの{what}があります（アカウント「{}」）", e.account)
                });
            }
            Kind::RdpAuthenticated => {
                self.note(FindingKind::RdpAuthenticated, "medium", &e.account, &e.source, t, &[Topic::RemoteMaintenance, Topic::SourceRestriction], || {
                    format!("リモートデスクトップの認証に成功しています（アカウント「{}」、接続元「{}」）。許可した接続か確認してください", e.account, e.source)
                });
                self.staff_check(e, t);
            }
            Kind::SshInvalidUser => {
                self.note(
                    FindingKind::SshInvalidUser,
                    "medium",
                    "",
                    &e.source,
                    t,
                    &[Topic::AccessLog, Topic::SourceRestriction],
                    || "存在しないユーザ名での SSH ログインが試されています".to_string(),
                );
                if let Some(t) = t {
                    self.tried(&e.source.clone(), &e.account.clone(), t);
                }
            }
            Kind::Sudo { .. } => {
                self.note(
                    FindingKind::Sudo,
                    "low",
                    &e.account,
                    "",
                    t,
                    &[Topic::AccessRights],
                    || format!("「{}」が sudo で管理者の権限を使っています", e.account),
                );
            }
            Kind::EhrAccess { patient, export } => {
                self.ehr_access(e, t, *patient, *export);
            }
            Kind::Other => {}
        }
    }

    /// A logon: after failures of its account, or from an address that was guessing.
    fn logon_success(&mut self, e: &Event, t: Option<DateTime<Utc>>) {
        if let Some(t) = t {
            let span = Duration::minutes(self.th.burst_minutes);
            let before = self
                .failures_by_account
                .get(&e.account)
                .map_or(0, |w| w.count_since(t, span));
            if before >= self.th.success_after {
                let n = self.th.success_after;
                self.note(FindingKind::SuccessAfterFailures, "high", &e.account, &e.source, Some(t), &[Topic::AccessLog, Topic::PasswordLength], || {
                    format!("アカウント「{}」が{n}回以上失敗した後にログオンに成功しています（パスワードを当てられた可能性）。本人の操作か確認してください", e.account)
                });
            }
            if !e.source.is_empty() {
                let failed = self
                    .failures_by_source
                    .get(&e.source)
                    .map_or(0, |w| w.count_since(t, span));
                let spray_span = Duration::minutes(self.th.spray_minutes);
                let tried = self
                    .tried_by_source
                    .get(&e.source)
                    .map_or(0, |w| w.distinct_since(t, spray_span));
                if failed >= self.th.success_after || tried >= self.th.spray_accounts {
                    let why = if tried >= self.th.spray_accounts {
                        format!(
                            "{}分以内に{tried}個のアカウントを試した",
                            self.th.spray_minutes
                        )
                    } else {
                        format!(
                            "{}分以内に{failed}回ログオンに失敗した",
                            self.th.burst_minutes
                        )
                    };
                    self.note(FindingKind::SuccessAfterAttackSource, "high", &e.account, &e.source, Some(t), &[Topic::AccessLog, Topic::SourceRestriction, Topic::PasswordLength], || {
                        format!("{why}接続元「{}」から、アカウント「{}」でのログオンが成功しています。侵入された可能性が高い、ログの中で最も重要な行です。すぐにこの接続元を遮断し、パスワードを変更して、ログオン後の操作を確認してください", e.source, e.account)
                    });
                }
            }
        }
        if e.logon_type == Some(10) {
            self.note(FindingKind::RdpLogon, "medium", &e.account, &e.source, t, &[Topic::RemoteMaintenance, Topic::SourceRestriction], || {
                format!("リモートデスクトップでのログオン（アカウント「{}」）があります。許可した接続か確認してください", e.account)
            });
        }
        if e.origin == Origin::AuthLog && e.account == "root" {
            self.note(FindingKind::SshRootLogin, "high", "root", &e.source, t, &[Topic::AccessRights, Topic::SourceRestriction], || {
                "SSH で root が直接ログインしています。root の直接ログインを禁止し、個人のアカウントから sudo を使ってください".into()
            });
        }
        self.staff_check(e, t);
    }

    /// An account created, enabled, disabled, deleted or renamed.
    fn account_change(&mut self, e: &Event, t: Option<DateTime<Utc>>) {
        let (kind, what) = match &e.kind {
            Kind::AccountCreated => (FindingKind::AccountCreated, "作成".to_string()),
            Kind::AccountEnabled => (FindingKind::AccountEnabled, "有効化".to_string()),
            Kind::AccountDisabled => (FindingKind::AccountDisabled, "無効化".to_string()),
            Kind::AccountDeleted => (FindingKind::AccountDeleted, "削除".to_string()),
            Kind::AccountRenamed { new_name } => (
                FindingKind::AccountRenamed,
                format!("名前の変更（→「{new_name}」）"),
            ),
            _ => unreachable!(),
        };
        self.note(
            kind,
            "medium",
            &e.account,
            &e.actor,
            t,
            &[Topic::UnusedAccounts, Topic::AccessRights],
            || {
                format!(
                    "アカウント「{}」の{what}がありました{}。利用者台帳と照らしてください",
                    e.account,
                    by_whom(&e.actor)
                )
            },
        );
    }

    /// A member added to or removed from a group; high when the group gives administrators' rights.
    fn group_change(&mut self, e: &Event, t: Option<DateTime<Utc>>, group: &str) {
        let added = matches!(e.kind, Kind::GroupMemberAdded { .. });
        let privileged = PRIVILEGED_GROUPS.contains(&group.to_lowercase().as_str());
        let kind = if privileged {
            FindingKind::PrivilegedGroupChange
        } else {
            FindingKind::GroupChange
        };
        let group = group.to_string();
        self.note(
            kind,
            if privileged { "high" } else { "low" },
            &e.account,
            &group,
            t,
            &[Topic::AccessRights],
            || {
                format!(
                    "{}グループ「{group}」に「{}」が{}されました{}。{}",
                    if privileged {
                        "管理者権限のある"
                    } else {
                        ""
                    },
                    e.account,
                    if added { "追加" } else { "削除" },
                    by_whom(&e.actor),
                    if privileged {
                        "権限を与えてよい人か確認してください"
                    } else {
                        ""
                    }
                )
            },
        );
    }

    /// A row of an EHR access log: the habits, and the fixed working hours when the period is short.
    fn ehr_access(
        &mut self,
        e: &Event,
        t: Option<DateTime<Utc>>,
        patient: Option<u64>,
        export: bool,
    ) {
        if let Some(t) = t {
            self.ehr.push(&e.account, t, patient, export, &e.source);
            let local = mamori_core::dates::to_jst(t);
            let hour = local.hour();
            if local.weekday() == Weekday::Sun
                || hour < self.th.work_start
                || hour >= self.th.work_end
            {
                let (a, b) = (self.th.work_start, self.th.work_end);
                self.note(FindingKind::EhrAfterHours, "medium", &e.account, &e.source, Some(t), &[Topic::AccessLog], || {
                    format!("「{}」が診療時間外（{a}時〜{b}時、日曜）に電子カルテ・レセコンを使っています（分析した期間が{}日未満のため、決まった時間帯で判断しています）", e.account, ehr_habits::MIN_DAYS)
                });
            }
        }
        self.staff_check(e, t);
    }

    /// The findings, most severe first.
    pub fn finish(self) -> Vec<Finding> {
        let rank = |s: &str| match s {
            "high" => 0,
            "medium" => 1,
            _ => 2,
        };
        let (sprayed, sources) = (self.sprayed, self.sources);
        let mut findings: Vec<Finding> = self.findings.into_values().collect();
        // A week or more of EHR rows: the baselines decide, not the fixed clock and counts.
        if self.ehr.usable() {
            findings.retain(|f| f.kind != FindingKind::EhrAfterHours);
            findings.extend(self.ehr.findings());
        } else {
            findings.extend(self.ehr.fixed_findings());
        }
        let mut out: Vec<Finding> = findings
            .into_iter()
            .map(|mut f| {
                if f.kind == FindingKind::PasswordSpray && !sprayed.is_empty() {
                    f.message.push_str(&format!(
                        "。試されたアカウント: {}",
                        sprayed.iter().cloned().collect::<Vec<_>>().join("、")
                    ));
                }
                if let Some(by) = PER_PATTERN
                    .iter()
                    .find(|k| **k == f.kind)
                    .and_then(|k| sources.get(k))
                {
                    name_sources(&mut f, by);
                }
                f
            })
            .collect();
        out.sort_by(|a, b| {
            (rank(&a.severity), &a.kind, &a.account, &a.source).cmp(&(
                rank(&b.severity),
                &b.kind,
                &b.account,
                &b.source,
            ))
        });
        out
    }
}

/// A per-pattern finding's sources: one is its source; more are listed, most events first.
fn name_sources(f: &mut Finding, by: &Map<String, u64>) {
    let mut top: Vec<(&String, &u64)> = by.iter().filter(|(s, _)| !s.is_empty()).collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    match top.as_slice() {
        [] => {}
        [(only, _)] => {
            f.source = only.to_string();
            f.message.push_str(&format!("。接続元: {only}"));
        }
        [(first, _), ..] => {
            f.source = format!("{first} ほか{}か所", top.len() - 1);
            let shown: Vec<String> = top
                .iter()
                .take(10)
                .map(|(s, n)| format!("{s}（{n}件）"))
                .collect();
            let more = if top.len() > 10 {
                format!(" ほか{}か所", top.len() - 10)
            } else {
                String::new()
            };
            f.message.push_str(&format!(
                "。接続元 {}か所（多い順）: {}{more}",
                top.len(),
                shown.join("、")
            ));
        }
    }
}
