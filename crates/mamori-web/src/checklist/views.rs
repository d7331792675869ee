//! View models: what a page shows, computed from the catalog and the answers, so templates stay simple.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::answers::{AnswerSet, RowStatus, exemption, row_status};
use mamori_core::catalog::{Catalog, Form, Item, Target};
use mamori_core::dates::wareki;
use mamori_core::{AnswerInput, FieldError};

pub struct SectionView {
    pub title: String,
    pub groups: Vec<GroupView>,
}

pub struct GroupView {
    pub heading: Option<String>,
    pub rows: Vec<RowView>,
}

pub struct RowView {
    pub anchor: String,
    pub edition: mamori_core::EditionId,
    pub variant: String,
    pub item_id: mamori_core::ItemId,
    pub target: String,
    pub number: String,
    pub text: String,
    pub note: Option<String>,
    pub gate_note: Option<String>,
    pub unverified: bool,
    pub reference: bool,
    /// Mamori's explanation (labelled as ours, with its sources), as of the day shown.
    pub guidance: Option<mamori_core::catalog::Guidance>,
    /// Where the item's text was seen (Japanese).
    pub source: String,
    /// The scope label after the item when the form keeps its own order (R7): 「（サーバ、端末PC）　この行：サーバ」.
    pub scope: Option<String>,
    pub status_label: String,
    pub status_class: String,
    pub exempt: Option<String>,
    pub rounds: Vec<RoundView>,
    pub can_answer: bool,
    pub suggestion: Option<SuggestionView>,
    /// Imported editions: 「新しい項目」 or 「文言の変更」 against the previous edition (label, class).
    pub change: Option<(&'static str, &'static str)>,
    /// Imported editions: the previous edition's answer, offered as a proposal (not an answer).
    pub proposal: Option<String>,
}

/// How a row of an imported edition continues the previous edition.
#[derive(Default, Clone)]
pub struct Carry {
    pub change: Option<(&'static str, &'static str)>,
    pub proposal: Option<String>,
}

/// The evidence engine's word on a row: 「台帳から：いいえ」 with its reasons and links to the rows.
pub struct SuggestionView {
    pub label: &'static str,
    pub class: &'static str,
    pub reasons: Vec<String>,
    pub links: Vec<(String, String)>,
}

impl SuggestionView {
    pub fn of(s: &mamori_evidence::Suggestion) -> Self {
        use mamori_evidence::Verdict;
        SuggestionView {
            label: s.verdict.label(),
            class: match s.verdict {
                Verdict::Yes => "yes",
                Verdict::No => "no",
                Verdict::Unknown => "unknown",
            },
            reasons: s.reasons.clone(),
            links: s
                .rows
                .iter()
                .map(|r| {
                    let label = mamori_ledger::Kind::parse(r.kind)
                        .map(|k| k.label())
                        .unwrap_or(r.kind);
                    (
                        format!("/ledgers/{}/{}", r.kind, r.id),
                        format!("{label} {}", r.id),
                    )
                })
                .collect(),
        }
    }
}

pub struct RoundView {
    pub round: u8,
    pub answer: String,
    pub checked_on: String,
    pub target_date: String,
    pub note: String,
    pub saved: String,
    pub errors: HashMap<String, String>,
}

/// What a person typed into one round and what was wrong with it: shown again, nothing lost.
pub struct Typed<'a> {
    pub input: &'a AnswerInput,
    pub errors: &'a [FieldError],
}

pub fn anchor(item_id: &str, target: Target) -> String {
    format!("row-{}-{}", item_id.replace('.', "-"), target.id())
}

pub fn status_class(s: RowStatus) -> &'static str {
    match s {
        RowStatus::Yes => "yes",
        RowStatus::No => "no",
        RowStatus::Unanswered => "unanswered",
        RowStatus::NotNeeded => "not-needed",
        RowStatus::NotApplicable => "not-applicable",
        RowStatus::NoSystem => "no-system",
        RowStatus::Reference => "reference",
    }
}

pub struct FormView<'a> {
    pub catalog: &'a Catalog,
    pub form: &'a Form,
    pub answers: &'a AnswerSet,
    pub has_vendor_contract: bool,
    /// False for roles that only read: the rows show their answers without forms.
    pub can_answer: bool,
    /// What the ledgers say about each item (by item id).
    pub suggestions: &'a HashMap<mamori_core::ItemId, mamori_evidence::Suggestion>,
    /// Imported editions: change and proposal by row anchor.
    pub carry: &'a HashMap<String, Carry>,
    /// The day the page is shown: the guideline in force then picks the explanations.
    pub today: chrono::NaiveDate,
}

impl FormView<'_> {
    pub fn sections(&self) -> Vec<SectionView> {
        self.form
            .layout()
            .into_iter()
            .map(|s| SectionView {
                title: self
                    .catalog
                    .section_title_in(self.form, &s.section)
                    .to_string(),
                groups: s
                    .groups
                    .into_iter()
                    .map(|g| GroupView {
                        heading: g
                            .target
                            .map(|t| self.catalog.group_heading_in(self.form, t).to_string()),
                        rows: g.rows.iter().map(|&(i, t)| self.row(i, t, None)).collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    pub fn row(&self, item: &Item, target: Target, typed: Option<&Typed<'_>>) -> RowView {
        let status = row_status(
            self.form,
            item,
            target,
            self.answers,
            self.has_vendor_contract,
        );
        let exempt =
            exemption(self.form, item, self.answers, self.has_vendor_contract).map(|s| match s {
                RowStatus::NotNeeded => {
                    "確認不要（「医療情報システムを導入、運用している。」が「いいえ」のため）"
                        .to_string()
                }
                _ => "記入不要（事業者と契約していないため）".to_string(),
            });
        let typed_round = typed
            .and_then(|t| t.input.round)
            .and_then(|r| u8::try_from(r).ok());
        let mut rounds = Vec::new();
        for round in 1..=mamori_core::answers::MAX_ROUND {
            let stored = self.answers.get(&item.id, target, round);
            let show = round == 1
                || stored.is_some()
                || self.answers.get(&item.id, target, round - 1).is_some()
                || typed_round == Some(round);
            if !show {
                continue;
            }
            let mut view = RoundView {
                round,
                answer: stored
                    .map(|a| a.answer.id().to_string())
                    .unwrap_or_default(),
                checked_on: stored.map(|a| a.checked_on.to_string()).unwrap_or_default(),
                target_date: stored
                    .and_then(|a| a.target_date)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                note: stored.map(|a| a.note.clone()).unwrap_or_default(),
                saved: stored.map(|a| a.display()).unwrap_or_default(),
                errors: HashMap::new(),
            };
            if let Some(t) = typed.filter(|_| typed_round == Some(round)) {
                view.answer = t.input.answer.clone().unwrap_or_default();
                view.checked_on = t.input.checked_on.clone().unwrap_or_default();
                view.target_date = t.input.target_date.clone().unwrap_or_default();
                view.note = t.input.note.clone().unwrap_or_default();
                for e in t.errors {
                    view.errors
                        .entry(e.field.clone())
                        .or_insert_with(|| e.message.clone());
                }
            }
            rounds.push(view);
        }
        RowView {
            anchor: anchor(&item.id, target),
            edition: self.form.edition.clone(),
            variant: self.form.variant.id().to_string(),
            item_id: item.id.clone(),
            target: target.id().to_string(),
            number: if item.gate {
                "有無".into()
            } else {
                item.number.clone()
            },
            text: item.text.clone(),
            note: item.note.clone(),
            gate_note: item
                .gate
                .then(|| self.catalog.gate_note_in(self.form).to_string()),
            unverified: item.confidence.is_unverified(),
            reference: item.is_reference_for(target),
            guidance: self.catalog.guidance(item, self.today),
            source: item.source.clone(),
            scope: (self.form.in_order && item.section == "2")
                .then(|| mamori_report::scope_line(item, target)),
            status_label: status.label().to_string(),
            status_class: status_class(status).to_string(),
            exempt,
            rounds,
            can_answer: self.can_answer,
            suggestion: self.suggestions.get(&item.id).map(SuggestionView::of),
            change: self
                .carry
                .get(&anchor(&item.id, target))
                .and_then(|c| c.change),
            proposal: self
                .carry
                .get(&anchor(&item.id, target))
                .and_then(|c| c.proposal.clone())
                .filter(|_| self.answers.get(&item.id, target, 1).is_none()),
        }
    }
}

pub struct OpenView {
    pub anchor: String,
    pub label: String,
    pub text: String,
    pub target: String,
    pub target_date: String,
    pub overdue: bool,
}

pub fn open_views(
    form: &Form,
    answers: &AnswerSet,
    has_vendor_contract: bool,
    today: NaiveDate,
) -> Vec<OpenView> {
    mamori_core::answers::open_items(form, answers, has_vendor_contract, today)
        .into_iter()
        .map(|o| OpenView {
            anchor: anchor(&o.item, o.target),
            label: o.label,
            text: o.text,
            target: o.target.label().to_string(),
            target_date: o
                .target_date
                .map(wareki)
                .unwrap_or_else(|| "（未記入）".into()),
            overdue: o.overdue,
        })
        .collect()
}
