//! Answers to a form and the form's rules: はい/いいえ, 確認日, 目標日 inside the fiscal year, rounds,
//! the gate item, and 記入不要 without a vendor contract.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Form, Item, Target};
use crate::dates::{FiscalYear, wareki};

pub const MAX_ROUND: u8 = 2;
pub const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Yes,
    No,
}

impl Choice {
    pub fn id(self) -> &'static str {
        match self {
            Choice::Yes => "yes",
            Choice::No => "no",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Choice::Yes => "はい",
            Choice::No => "いいえ",
        }
    }
    pub fn parse(s: &str) -> Option<Choice> {
        match s.trim() {
            "yes" | "はい" => Some(Choice::Yes),
            "no" | "いいえ" => Some(Choice::No),
            _ => None,
        }
    }
}

/// One stored round of one (item, target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub item: crate::ItemId,
    pub target: Target,
    pub round: u8,
    pub answer: Choice,
    pub checked_on: NaiveDate,
    pub target_date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

/// Where an answer stands: an item, a target group and a round. Written `r7.facility.2.1/server/1`
/// where it is text (the evidence kept beside the answers, the API's `evidence_at_save`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnswerKey {
    pub item: crate::ItemId,
    pub target: Target,
    pub round: u8,
}

impl AnswerKey {
    pub fn new(item: impl Into<crate::ItemId>, target: Target, round: u8) -> AnswerKey {
        AnswerKey {
            item: item.into(),
            target,
            round,
        }
    }
}

impl std::fmt::Display for AnswerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.item, self.target.id(), self.round)
    }
}

impl Serialize for AnswerKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Answer {
    pub fn key(&self) -> AnswerKey {
        AnswerKey::new(self.item.clone(), self.target, self.round)
    }
    /// 「いいえ（令和7年6月1日）目標日 令和8年3月31日」: a result cell as the form writes it.
    pub fn display(&self) -> String {
        let mut s = format!("{}（{}）", self.answer.label(), wareki(self.checked_on));
        if let Some(t) = self.target_date {
            s.push_str(&format!(" 目標日 {}", wareki(t)));
        }
        s
    }
}

/// An answer as it arrives from a form or the API, before any rule is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerInput {
    pub item: String,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub round: Option<i64>,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub checked_on: Option<String>,
    #[serde(default)]
    pub target_date: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A broken rule, named by row and field, with a Japanese message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub item: String,
    pub target: String,
    pub round: i64,
    pub field: String,
    pub message: String,
}

/// What the rules need to know besides the answers.
pub struct RuleContext<'a> {
    pub form: &'a Form,
    pub fiscal_year: FiscalYear,
    pub today: NaiveDate,
    pub has_vendor_contract: bool,
}

/// Status of one (item, target) row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Yes,
    No,
    Unanswered,
    /// 確認不要: the gate item is いいえ.
    NotNeeded,
    /// 記入不要: 2(2)/2(3) without a vendor contract.
    NotApplicable,
    /// The gate item answered いいえ: the facility runs no 医療情報システム. An answer, not a deficiency:
    /// it takes no 目標日 and counts as no いいえ anywhere.
    NoSystem,
    /// A 参考項目 (R5) not answered yet: outside that year's inspection, so not 未回答.
    Reference,
}

impl RowStatus {
    pub fn label(self) -> &'static str {
        match self {
            RowStatus::Yes => "はい",
            RowStatus::No => "いいえ",
            RowStatus::Unanswered => "未回答",
            RowStatus::NotNeeded => "確認不要",
            RowStatus::NotApplicable => "記入不要",
            RowStatus::NoSystem => "いいえ（医療情報システムなし）",
            RowStatus::Reference => "参考項目（確認対象外）",
        }
    }
}

/// Answers of one form, indexed by (item, target, round).
#[derive(Debug, Clone, Default)]
pub struct AnswerSet(BTreeMap<AnswerKey, Answer>);

impl AnswerSet {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        AnswerSet(answers.into_iter().map(|a| (a.key(), a)).collect())
    }
    pub fn get(&self, item: &str, target: Target, round: u8) -> Option<&Answer> {
        self.0.get(&AnswerKey::new(item, target, round))
    }
    pub fn insert(&mut self, a: Answer) {
        self.0.insert(a.key(), a);
    }
    pub fn iter(&self) -> impl Iterator<Item = &Answer> {
        self.0.values()
    }
    /// The answer of the latest round given.
    pub fn latest(&self, item: &str, target: Target) -> Option<&Answer> {
        (1..=MAX_ROUND)
            .rev()
            .find_map(|r| self.get(item, target, r))
    }
    /// The 目標日 a row is working to: the latest round's that has one (a 2回目 いいえ may carry none,
    /// and then the 1回目's still stands).
    pub fn target_date_in_force(&self, item: &str, target: Target) -> Option<NaiveDate> {
        (1..=MAX_ROUND)
            .rev()
            .find_map(|r| self.get(item, target, r).and_then(|a| a.target_date))
    }
    /// True when the gate item's latest answer is いいえ.
    pub fn gate_closed(&self, form: &Form) -> bool {
        form.gate_item()
            .and_then(|g| self.latest(&g.id, Target::General))
            .is_some_and(|a| a.answer == Choice::No)
    }
}

/// Why an item takes no answer, if it takes none.
pub fn exemption(
    form: &Form,
    item: &Item,
    answers: &AnswerSet,
    has_vendor_contract: bool,
) -> Option<RowStatus> {
    if !item.gate && answers.gate_closed(form) {
        Some(RowStatus::NotNeeded)
    } else if item.vendor_contract_only && !has_vendor_contract {
        Some(RowStatus::NotApplicable)
    } else {
        None
    }
}

pub fn row_status(
    form: &Form,
    item: &Item,
    target: Target,
    answers: &AnswerSet,
    has_vendor_contract: bool,
) -> RowStatus {
    if let Some(s) = exemption(form, item, answers, has_vendor_contract) {
        return s;
    }
    match answers.latest(&item.id, target).map(|a| a.answer) {
        Some(Choice::Yes) => RowStatus::Yes,
        Some(Choice::No) if item.gate => RowStatus::NoSystem,
        Some(Choice::No) => RowStatus::No,
        None if item.is_reference_for(target) => RowStatus::Reference,
        None => RowStatus::Unanswered,
    }
}

/// The answer that leaves a row open (a deficiency with a 目標日 to meet): the latest round's いいえ of
/// a row that takes an answer. Never the gate item's いいえ, never a row the gate or the missing vendor
/// contract exempts. Every count, list, reminder and print of いいえ goes through this.
pub fn open_answer<'a>(
    form: &Form,
    item: &Item,
    target: Target,
    answers: &'a AnswerSet,
    has_vendor_contract: bool,
) -> Option<&'a Answer> {
    (row_status(form, item, target, answers, has_vendor_contract) == RowStatus::No)
        .then(|| answers.latest(&item.id, target))
        .flatten()
}

/// Whether a stored answer is a deficiency いいえ (not the gate item's いいえ, which means "no system").
pub fn is_deficiency(form: &Form, a: &Answer) -> bool {
    a.answer == Choice::No && !form.item(&a.item).is_some_and(|i| i.gate)
}

/// 2025-05-16 or 2025/05/16; full-width digits and separators as offices type them (２０２５／５／１６) too.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let folded: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '／' => '/',
            '－' | '‐' | '−' => '-',
            _ => c,
        })
        .collect();
    let s = folded.as_str();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()
}

/// Checks a batch of inputs against the form's rules, on top of the answers already stored.
/// All-or-nothing: either every input becomes an [`Answer`], or every broken rule is reported.
pub fn validate_batch(
    ctx: &RuleContext<'_>,
    stored: &AnswerSet,
    inputs: &[AnswerInput],
) -> Result<Vec<Answer>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut parsed: Vec<Answer> = Vec::new();
    // (item, target, round) → whether its repetition was reported already.
    let mut seen: std::collections::HashMap<(&str, String, i64), bool> = Default::default();
    for input in inputs {
        let target_s = input
            .target
            .clone()
            .unwrap_or_else(|| "general".to_string());
        let round = input.round.unwrap_or(1);
        match seen.entry((input.item.as_str(), target_s.clone(), round)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(false);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                // One answer per row and round: a second one is ambiguous (which wins?) and refused.
                if !*o.get() {
                    o.insert(true);
                    errors.push(repeated(ctx, input, &target_s, round));
                }
                continue;
            }
        }
        match parse_row(ctx, input, &target_s, round) {
            Ok(answer) => parsed.push(answer),
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    errors.extend(across_rows(ctx, stored, &parsed));
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// The error of a second answer to the same row and round.
fn repeated(ctx: &RuleContext<'_>, input: &AnswerInput, target_s: &str, round: i64) -> FieldError {
    let name = ctx
        .form
        .item(&input.item)
        .map_or_else(|| input.item.clone(), |i| i.label().to_string());
    let target = target_s.parse::<Target>().map_or(target_s, |t| t.label());
    FieldError {
        item: input.item.clone(),
        target: target_s.to_string(),
        round,
        field: "item".into(),
        message: format!(
            "同じ項目・対象・回（{name}・{target}・{round}回目）の回答が2つ以上あります。1つにしてください"
        ),
    }
}

/// One input's own rules: the item and target exist, the round, the answer, the dates, the note.
fn parse_row(
    ctx: &RuleContext<'_>,
    input: &AnswerInput,
    target_s: &str,
    round: i64,
) -> Result<Answer, Vec<FieldError>> {
    let mut errors = Vec::new();
    let err = |field: &str, message: String| FieldError {
        item: input.item.clone(),
        target: target_s.to_string(),
        round,
        field: field.to_string(),
        message,
    };
    let Some(item) = ctx.form.item(&input.item) else {
        return Err(vec![err(
            "item",
            format!("項目「{}」はこの様式にありません", input.item),
        )]);
    };
    let target = match target_s.parse::<Target>() {
        Ok(t) if item.has_target(t) => Some(t),
        Ok(t) => {
            errors.push(err(
                "target",
                format!(
                    "{}は「{}」について回答する項目ではありません",
                    item.label(),
                    t.label()
                ),
            ));
            None
        }
        Err(e) => {
            errors.push(err("target", e.to_string()));
            None
        }
    };
    if !(1..=i64::from(MAX_ROUND)).contains(&round) {
        errors.push(err(
            "round",
            format!("回数は1回目か2回目です（{round} は使えません）"),
        ));
    }
    let answer = match input.answer.as_deref().map(Choice::parse) {
        Some(Some(c)) => Some(c),
        Some(None) => {
            errors.push(err(
                "answer",
                "回答は「はい」か「いいえ」を選んでください".into(),
            ));
            None
        }
        None => {
            errors.push(err(
                "answer",
                "回答（「はい」か「いいえ」）を選んでください".into(),
            ));
            None
        }
    };
    let checked_on = checked_on_of(ctx, input)
        .map_err(|m| errors.push(err("checked_on", m)))
        .ok();
    let row = TargetDateRow {
        gate: item.gate,
        reference: target.is_some_and(|t| item.is_reference_for(t)),
        round,
        checked_on,
    };
    let target_date =
        target_date_of(ctx, input, answer, &row).map_err(|m| errors.push(err("target_date", m)));
    let note = input.note.clone().unwrap_or_default();
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.push(err(
            "note",
            format!("備考は{MAX_NOTE_CHARS}文字以内にしてください"),
        ));
    }
    match (target, answer, checked_on, target_date) {
        (Some(target), Some(answer), Some(checked_on), Ok(target_date)) if errors.is_empty() => {
            Ok(Answer {
                item: item.id.clone(),
                target,
                round: round as u8,
                answer,
                checked_on,
                target_date,
                note,
            })
        }
        _ => Err(errors),
    }
}

/// 確認日: required, a date, not in the future, and not before the fiscal year the form is answered for
/// (a 2019 date on a 令和7年度 form cannot be a check of that form).
fn checked_on_of(ctx: &RuleContext<'_>, input: &AnswerInput) -> Result<NaiveDate, String> {
    let Some(s) = input.checked_on.as_deref().filter(|s| !s.trim().is_empty()) else {
        return Err("確認日を入力してください".into());
    };
    let fy = ctx.fiscal_year;
    match parse_date(s) {
        None => Err(format!(
            "確認日「{s}」は日付として読めません（例: 2025-05-16）"
        )),
        Some(d) if d > ctx.today => Err(format!("確認日（{}）が未来の日付です", wareki(d))),
        Some(d) if d < fy.first_day() => Err(format!(
            "確認日（{}）は{}より前です。この様式は{}の確認に使うため、{}以降の日付にしてください",
            wareki(d),
            fy.label(),
            fy.label(),
            wareki(fy.first_day())
        )),
        Some(d) => Ok(d),
    }
}

/// What the 目標日 rule needs to know of the row besides the input.
struct TargetDateRow {
    /// The gate item: いいえ there means "no system" and takes no 目標日.
    gate: bool,
    /// An R5 参考項目: the form's note sets its target to the next fiscal year (「令和6年度中」).
    reference: bool,
    round: i64,
    checked_on: Option<NaiveDate>,
}

/// 目標日: for a first-round いいえ required, inside the fiscal year (a 参考項目: by the end of the next
/// one, as the R5 form's note says) and not before the 確認日; a later round's いいえ may carry one under
/// the same rules but need not; never for はい or the gate item.
fn target_date_of(
    ctx: &RuleContext<'_>,
    input: &AnswerInput,
    answer: Option<Choice>,
    row: &TargetDateRow,
) -> Result<Option<NaiveDate>, String> {
    let fy = ctx.fiscal_year;
    let date = match input
        .target_date
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        None => None,
        Some(s) => Some(
            parse_date(s)
                .ok_or_else(|| format!("目標日「{s}」は日付として読めません（例: 2026-03-31）"))?,
        ),
    };
    if row.gate {
        return match date {
            Some(_) => Err(
                "「医療情報システムを導入、運用している。」には目標日を記入しません（「いいえ」は医療情報システムがないという回答です）"
                    .into(),
            ),
            None => Ok(None),
        };
    }
    // The year a target must fall in: this fiscal year, or for a 参考項目 the next one's end.
    let last_year = if row.reference {
        FiscalYear::new(fy.start_year() + 1)
    } else {
        fy
    };
    let window = if row.reference {
        format!("{}中まで", last_year.label())
    } else {
        format!("{}中", fy.label())
    };
    match (answer, date) {
        (Some(Choice::No), None) if row.round <= 1 => Err(format!(
            "1回目の確認で「いいえ」の場合は{window}の目標日を入力してください"
        )),
        (Some(Choice::No), Some(d)) if d < fy.first_day() || d > last_year.last_day() => {
            Err(format!(
                "目標日は{window}（{}〜{}）の日付にしてください",
                wareki(fy.first_day()),
                wareki(last_year.last_day())
            ))
        }
        (Some(Choice::No), Some(d)) if row.checked_on.is_some_and(|c| d < c) => Err(format!(
            "目標日（{}）が確認日（{}）より前です。確認日以降の日付にしてください",
            wareki(d),
            wareki(row.checked_on.expect("checked above"))
        )),
        (Some(Choice::Yes), Some(_)) => Err("目標日は「いいえ」の場合だけ入力します".into()),
        _ => Ok(date),
    }
}

/// Rules across rows, checked on the stored answers with the batch laid over them: the gate and the
/// vendor contract exempt rows, and a second round follows the first.
fn across_rows(ctx: &RuleContext<'_>, stored: &AnswerSet, parsed: &[Answer]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut merged = stored.clone();
    for a in parsed {
        merged.insert(a.clone());
    }
    for a in parsed {
        let item = ctx.form.item(&a.item).expect("parsed items exist");
        let err = |field: &str, message: String| FieldError {
            item: a.item.to_string(),
            target: a.target.id().to_string(),
            round: i64::from(a.round),
            field: field.to_string(),
            message,
        };
        match exemption(ctx.form, item, &merged, ctx.has_vendor_contract) {
            Some(RowStatus::NotNeeded) => errors.push(err(
                "answer",
                format!("「医療情報システムを導入、運用している。」が「いいえ」のため、{}は確認不要です", item.label()),
            )),
            Some(_) => errors.push(err(
                "answer",
                format!("事業者と契約していない場合、{}は記入不要です", item.label()),
            )),
            None => {}
        }
        if a.round > 1 {
            match merged.get(&a.item, a.target, a.round - 1) {
                None => errors.push(err(
                    "round",
                    format!("{}回目は{}回目の確認の後に記入します", a.round, a.round - 1),
                )),
                Some(prev) if prev.checked_on > a.checked_on => errors.push(err(
                    "checked_on",
                    format!(
                        "{}回目の確認日は{}回目（{}）より後にしてください",
                        a.round,
                        a.round - 1,
                        wareki(prev.checked_on)
                    ),
                )),
                _ => {}
            }
        }
    }
    errors
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub yes: usize,
    pub no: usize,
    pub unanswered: usize,
    pub not_needed: usize,
    pub not_applicable: usize,
    /// The gate item answered いいえ (no 医療情報システム): answered, and no deficiency.
    pub no_system: usize,
    /// R5 参考項目 not answered: outside that year's inspection.
    pub reference: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.yes
            + self.no
            + self.unanswered
            + self.not_needed
            + self.not_applicable
            + self.no_system
            + self.reference
    }
}

pub fn summarize(form: &Form, answers: &AnswerSet, has_vendor_contract: bool) -> Summary {
    let mut s = Summary::default();
    for (item, target) in form.rows() {
        match row_status(form, item, target, answers, has_vendor_contract) {
            RowStatus::Yes => s.yes += 1,
            RowStatus::No => s.no += 1,
            RowStatus::Unanswered => s.unanswered += 1,
            RowStatus::NotNeeded => s.not_needed += 1,
            RowStatus::NotApplicable => s.not_applicable += 1,
            RowStatus::NoSystem => s.no_system += 1,
            RowStatus::Reference => s.reference += 1,
        }
    }
    s
}

/// An いいえ row with its target date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenItem {
    pub item: crate::ItemId,
    pub label: String,
    pub text: String,
    pub target: Target,
    pub target_date: Option<NaiveDate>,
    pub overdue: bool,
}

/// The いいえ rows, earliest target date first; overdue ones marked.
pub fn open_items(
    form: &Form,
    answers: &AnswerSet,
    has_vendor_contract: bool,
    today: NaiveDate,
) -> Vec<OpenItem> {
    let mut out: Vec<OpenItem> = form
        .rows()
        .filter(|(i, t)| row_status(form, i, *t, answers, has_vendor_contract) == RowStatus::No)
        .map(|(item, target)| {
            let target_date = answers.target_date_in_force(&item.id, target);
            OpenItem {
                item: item.id.clone(),
                label: item.label(),
                text: item.text.clone(),
                target,
                target_date,
                overdue: target_date.is_some_and(|d| d < today),
            }
        })
        .collect();
    out.sort_by(|a, b| a.target_date.cmp(&b.target_date).then(a.item.cmp(&b.item)));
    out
}

#[cfg(test)]
mod tests;
