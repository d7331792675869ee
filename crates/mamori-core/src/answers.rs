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
    pub item: String,
    pub target: Target,
    pub round: u8,
    pub answer: Choice,
    pub checked_on: NaiveDate,
    pub target_date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

impl Answer {
    pub fn key(&self) -> (String, Target, u8) {
        (self.item.clone(), self.target, self.round)
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
}

impl RowStatus {
    pub fn label(self) -> &'static str {
        match self {
            RowStatus::Yes => "はい",
            RowStatus::No => "いいえ",
            RowStatus::Unanswered => "未回答",
            RowStatus::NotNeeded => "確認不要",
            RowStatus::NotApplicable => "記入不要",
        }
    }
}

type Key = (String, Target, u8);

/// Answers of one form, indexed by (item, target, round).
#[derive(Debug, Clone, Default)]
pub struct AnswerSet(BTreeMap<Key, Answer>);

impl AnswerSet {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        AnswerSet(answers.into_iter().map(|a| (a.key(), a)).collect())
    }
    pub fn get(&self, item: &str, target: Target, round: u8) -> Option<&Answer> {
        self.0.get(&(item.to_string(), target, round))
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
        Some(Choice::No) => RowStatus::No,
        None => RowStatus::Unanswered,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
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
                    let name = ctx
                        .form
                        .item(&input.item)
                        .map_or_else(|| input.item.clone(), |i| i.label().to_string());
                    let target = target_s
                        .parse::<Target>()
                        .map_or(target_s.as_str(), |t| t.label());
                    errors.push(FieldError {
                        item: input.item.clone(),
                        target: target_s.clone(),
                        round,
                        field: "item".into(),
                        message: format!(
                            "同じ項目・対象・回（{name}・{target}・{round}回目）の回答が2つ以上あります。1つにしてください"
                        ),
                    });
                }
                continue;
            }
        }
        let err = |field: &str, message: String| FieldError {
            item: input.item.clone(),
            target: target_s.clone(),
            round,
            field: field.to_string(),
            message,
        };
        let before = errors.len();
        let Some(item) = ctx.form.item(&input.item) else {
            errors.push(err(
                "item",
                format!("項目「{}」はこの様式にありません", input.item),
            ));
            continue;
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
        let checked_on = match input.checked_on.as_deref().filter(|s| !s.trim().is_empty()) {
            None => {
                errors.push(err("checked_on", "確認日を入力してください".into()));
                None
            }
            Some(s) => match parse_date(s) {
                None => {
                    errors.push(err(
                        "checked_on",
                        format!("確認日「{s}」は日付として読めません（例: 2025-05-16）"),
                    ));
                    None
                }
                Some(d) if d > ctx.today => {
                    errors.push(err(
                        "checked_on",
                        format!("確認日（{}）が未来の日付です", wareki(d)),
                    ));
                    None
                }
                Some(d) => Some(d),
            },
        };
        let target_date = match input
            .target_date
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            None => None,
            Some(s) => match parse_date(s) {
                None => {
                    errors.push(err(
                        "target_date",
                        format!("目標日「{s}」は日付として読めません（例: 2026-03-31）"),
                    ));
                    None
                }
                Some(d) => Some(d),
            },
        };
        let fy = ctx.fiscal_year;
        match (answer, target_date) {
            (Some(Choice::No), None)
                if input
                    .target_date
                    .as_deref()
                    .is_none_or(|s| s.trim().is_empty()) =>
            {
                errors.push(err(
                    "target_date",
                    format!(
                        "「いいえ」の場合は{}中の目標日を入力してください",
                        fy.label()
                    ),
                ));
            }
            (Some(Choice::No), Some(d)) if !fy.contains(d) => {
                errors.push(err(
                    "target_date",
                    format!(
                        "目標日は{}中（{}〜{}）の日付にしてください",
                        fy.label(),
                        wareki(fy.first_day()),
                        wareki(fy.last_day())
                    ),
                ));
            }
            (Some(Choice::Yes), Some(_)) => {
                errors.push(err(
                    "target_date",
                    "目標日は「いいえ」の場合だけ入力します".into(),
                ));
            }
            _ => {}
        }
        let note = input.note.clone().unwrap_or_default();
        if note.chars().count() > MAX_NOTE_CHARS {
            errors.push(err(
                "note",
                format!("備考は{MAX_NOTE_CHARS}文字以内にしてください"),
            ));
        }
        if errors.len() == before {
            parsed.push(Answer {
                item: item.id.clone(),
                target: target.expect("checked above"),
                round: round as u8,
                answer: answer.expect("checked above"),
                checked_on: checked_on.expect("checked above"),
                target_date,
                note,
            });
        }
    }
    // Rules across rows are checked on the stored answers with the batch laid over them.
    let mut merged = stored.clone();
    for a in &parsed {
        merged.insert(a.clone());
    }
    for a in &parsed {
        let item = ctx.form.item(&a.item).expect("parsed items exist");
        let err = |field: &str, message: String| FieldError {
            item: a.item.clone(),
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
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub yes: usize,
    pub no: usize,
    pub unanswered: usize,
    pub not_needed: usize,
    pub not_applicable: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.yes + self.no + self.unanswered + self.not_needed + self.not_applicable
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
        }
    }
    s
}

/// An いいえ row with its target date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenItem {
    pub item: String,
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
            // The latest いいえ may be round 2 without a new target date: keep the last one given.
            let target_date = (1..=MAX_ROUND)
                .rev()
                .find_map(|r| answers.get(&item.id, target, r).and_then(|a| a.target_date));
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
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Variant};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input(
        item: &str,
        target: &str,
        round: i64,
        answer: &str,
        checked: &str,
        target_date: &str,
    ) -> AnswerInput {
        AnswerInput {
            item: item.into(),
            target: Some(target.into()),
            round: Some(round),
            answer: Some(answer.into()),
            checked_on: Some(checked.into()),
            target_date: (!target_date.is_empty()).then(|| target_date.into()),
            note: None,
        }
    }

    fn with_ctx<R>(vendor: bool, f: impl FnOnce(&RuleContext<'_>) -> R) -> R {
        let c = Catalog::builtin().unwrap();
        let form = c.form("r7", Variant::Facility).unwrap();
        let ctx = RuleContext {
            form,
            fiscal_year: FiscalYear::new(2025),
            today: d("2025-06-01"),
            has_vendor_contract: vendor,
        };
        f(&ctx)
    }

    fn fields(e: &[FieldError]) -> Vec<&str> {
        e.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_same_row_twice_in_one_batch_is_refused_once() {
        // Issue 23 (9): 12,000 copies of one answer were 12,000 audit records.
        with_ctx(true, |ctx| {
            let one = input("r7.facility.1.1", "general", 1, "yes", "2025-05-20", "");
            let e =
                validate_batch(ctx, &AnswerSet::default(), &vec![one.clone(); 12_000]).unwrap_err();
            assert_eq!(fields(&e), ["item"]);
            assert!(e[0].message.contains("2つ以上"), "{}", e[0].message);
            // Another round or target of the same item is another row.
            let second = input("r7.facility.1.1", "general", 2, "yes", "2025-05-21", "");
            validate_batch(ctx, &AnswerSet::default(), &[one, second]).unwrap();
        });
    }

    #[test]
    fn yes_with_date_is_accepted() {
        with_ctx(true, |ctx| {
            let ok = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "yes",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap();
            assert_eq!(ok[0].answer, Choice::Yes);
            assert_eq!(ok[0].checked_on, d("2025-05-20"));
        });
    }

    #[test]
    fn no_needs_a_target_date_inside_the_fiscal_year() {
        with_ctx(true, |ctx| {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "no",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["target_date"]);
            assert!(e[0].message.contains("令和7年度中"), "{}", e[0].message);
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "no",
                    "2025-05-20",
                    "2026-04-01",
                )],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["target_date"]);
            assert!(e[0].message.contains("令和8年3月31日"), "{}", e[0].message);
            assert!(
                validate_batch(
                    ctx,
                    &AnswerSet::default(),
                    &[input(
                        "r7.facility.1.1",
                        "general",
                        1,
                        "no",
                        "2025-05-20",
                        "2026-03-31"
                    )]
                )
                .is_ok()
            );
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "yes",
                    "2025-05-20",
                    "2026-03-31",
                )],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["target_date"]);
        });
    }

    #[test]
    fn checked_date_is_required_and_not_in_the_future() {
        with_ctx(true, |ctx| {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input("r7.facility.1.1", "general", 1, "yes", "", "")],
            )
            .unwrap_err();
            assert_eq!(e[0].message, "確認日を入力してください");
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "yes",
                    "2025-06-02",
                    "",
                )],
            )
            .unwrap_err();
            assert!(e[0].message.contains("未来"));
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input("r7.facility.1.1", "general", 1, "yes", "昨日", "")],
            )
            .unwrap_err();
            assert!(e[0].message.contains("日付として読めません"));
            assert!(
                validate_batch(
                    ctx,
                    &AnswerSet::default(),
                    &[input(
                        "r7.facility.1.1",
                        "general",
                        1,
                        "yes",
                        "2025/06/01",
                        ""
                    )]
                )
                .is_ok()
            );
        });
    }

    #[test]
    fn unknown_item_target_round_and_answer_are_named() {
        with_ctx(true, |ctx| {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.9.9",
                    "general",
                    1,
                    "yes",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["item"]);
            assert!(e[0].message.contains("r7.facility.9.9"));
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.2.13",
                    "server",
                    3,
                    "maybe",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["target", "round", "answer"]);
            assert!(e[0].message.contains("サーバ"));
        });
    }

    #[test]
    fn one_bad_row_rejects_the_batch_and_names_every_error() {
        with_ctx(true, |ctx| {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[
                    input("r7.facility.1.1", "general", 1, "yes", "2025-05-20", ""),
                    input("r7.facility.2.1", "general", 1, "no", "2025-05-20", ""),
                    input(
                        "r7.facility.2.4",
                        "terminal",
                        1,
                        "no",
                        "2030-01-01",
                        "2025-12-01",
                    ),
                ],
            )
            .unwrap_err();
            assert_eq!(e.len(), 2);
            assert_eq!(
                (e[0].item.as_str(), e[1].item.as_str()),
                ("r7.facility.2.1", "r7.facility.2.4")
            );
        });
    }

    #[test]
    fn gate_no_makes_other_items_not_needed() {
        with_ctx(true, |ctx| {
            let gate = input(
                "r7.facility.gate",
                "general",
                1,
                "no",
                "2025-05-20",
                "2026-03-01",
            );
            let stored =
                AnswerSet::new(validate_batch(ctx, &AnswerSet::default(), &[gate]).unwrap());
            let e = validate_batch(
                ctx,
                &stored,
                &[input(
                    "r7.facility.1.1",
                    "general",
                    1,
                    "yes",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap_err();
            assert!(e[0].message.contains("確認不要"));
            let s = summarize(ctx.form, &stored, true);
            assert_eq!(s.no, 1);
            assert_eq!(s.not_needed, s.total() - 1);
            // Changing the gate to はい in the same batch opens the items again.
            let ok = validate_batch(
                ctx,
                &stored,
                &[
                    input("r7.facility.gate", "general", 1, "yes", "2025-05-21", ""),
                    input("r7.facility.1.1", "general", 1, "yes", "2025-05-21", ""),
                ],
            );
            assert!(ok.is_ok());
        });
    }

    #[test]
    fn vendor_items_need_no_entry_without_a_contract() {
        with_ctx(false, |ctx| {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.2.2",
                    "general",
                    1,
                    "yes",
                    "2025-05-20",
                    "",
                )],
            )
            .unwrap_err();
            assert!(e[0].message.contains("記入不要"));
            let s = summarize(ctx.form, &AnswerSet::default(), false);
            assert_eq!(s.not_applicable, 2);
        });
        with_ctx(true, |ctx| {
            assert!(
                validate_batch(
                    ctx,
                    &AnswerSet::default(),
                    &[input(
                        "r7.facility.2.2",
                        "general",
                        1,
                        "yes",
                        "2025-05-20",
                        ""
                    )]
                )
                .is_ok()
            );
        });
    }

    #[test]
    fn round_two_only_after_round_one() {
        with_ctx(true, |ctx| {
            let r2 = input("r7.facility.1.1", "general", 2, "yes", "2025-05-30", "");
            let e =
                validate_batch(ctx, &AnswerSet::default(), std::slice::from_ref(&r2)).unwrap_err();
            assert_eq!(fields(&e), ["round"]);
            let r1 = input(
                "r7.facility.1.1",
                "general",
                1,
                "no",
                "2025-05-20",
                "2025-05-30",
            );
            assert!(validate_batch(ctx, &AnswerSet::default(), &[r1.clone(), r2.clone()]).is_ok());
            let early = input("r7.facility.1.1", "general", 2, "yes", "2025-05-10", "");
            let e = validate_batch(ctx, &AnswerSet::default(), &[r1, early]).unwrap_err();
            assert_eq!(fields(&e), ["checked_on"]);
        });
    }

    #[test]
    fn per_target_answers_and_open_items() {
        with_ctx(true, |ctx| {
            let ok = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[
                    input("r7.facility.2.4", "server", 1, "yes", "2025-05-20", ""),
                    input(
                        "r7.facility.2.4",
                        "terminal",
                        1,
                        "no",
                        "2025-05-20",
                        "2025-05-25",
                    ),
                    input(
                        "r7.facility.2.1",
                        "general",
                        1,
                        "no",
                        "2025-05-20",
                        "2025-12-01",
                    ),
                ],
            )
            .unwrap();
            let set = AnswerSet::new(ok);
            let form = ctx.form;
            let item = form.item("r7.facility.2.4").unwrap();
            assert_eq!(
                row_status(form, item, Target::Server, &set, true),
                RowStatus::Yes
            );
            assert_eq!(
                row_status(form, item, Target::Terminal, &set, true),
                RowStatus::No
            );
            let open = open_items(form, &set, true, d("2025-06-01"));
            assert_eq!(open.len(), 2);
            assert_eq!(open[0].item, "r7.facility.2.4");
            assert!(open[0].overdue);
            assert!(!open[1].overdue);
            let s = summarize(form, &set, true);
            assert_eq!((s.yes, s.no), (1, 2));
            assert_eq!(s.total(), form.rows().count());
        });
    }

    #[test]
    fn display_writes_japanese_dates() {
        let a = Answer {
            item: "x".into(),
            target: Target::General,
            round: 1,
            answer: Choice::No,
            checked_on: d("2025-06-01"),
            target_date: Some(d("2026-03-31")),
            note: String::new(),
        };
        assert_eq!(a.display(), "いいえ（令和7年6月1日） 目標日 令和8年3月31日");
    }
}
