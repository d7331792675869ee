//! The rule that an answer against the ledgers needs a reason: when the ledgers say はい or いいえ and the
//! answer says the other, the 備考 must say why. Checked after the form's own rules, on every save.

use std::collections::HashMap;

use mamori_core::{Answer, AnswerInput, FieldError};

use crate::Suggestion;

/// A disagreeing answer needs a reason: when the ledgers say はい or いいえ and the answer says the other,
/// the 備考 must say why.
pub fn disagreement_errors(
    suggestions: &HashMap<mamori_core::ItemId, Suggestion>,
    inputs: &[AnswerInput],
) -> Vec<FieldError> {
    use crate::Verdict;
    inputs
        .iter()
        .filter_map(|i| {
            let s = suggestions.get(i.item.as_str())?;
            let answered = match i.answer.as_deref()? {
                "yes" | "はい" => Verdict::Yes,
                "no" | "いいえ" => Verdict::No,
                _ => return None,
            };
            let disagrees = s.verdict != Verdict::Unknown && s.verdict != answered;
            let no_note = i.note.as_deref().is_none_or(|n| n.trim().is_empty());
            (disagrees && no_note).then(|| FieldError {
                item: i.item.clone(),
                target: i.target.clone().unwrap_or_else(|| "general".into()),
                round: i.round.unwrap_or(1),
                field: "note".into(),
                message: format!(
                    "台帳からの判断（{}：{}）と異なる回答です。理由を備考に書いてください",
                    s.verdict.label(),
                    s.reasons.join("／")
                ),
            })
        })
        .collect()
}

/// The form's rules, then the evidence: an answer against the ledgers needs a 備考.
pub fn checked_with_evidence(
    checked: Result<Vec<Answer>, Vec<FieldError>>,
    suggestions: &HashMap<mamori_core::ItemId, Suggestion>,
    batch: &[AnswerInput],
) -> Result<Vec<Answer>, Vec<FieldError>> {
    let disagree = disagreement_errors(suggestions, batch);
    match checked {
        Ok(answers) if disagree.is_empty() => Ok(answers),
        Ok(_) => Err(disagree),
        Err(mut errors) => {
            let extra: Vec<FieldError> = disagree
                .into_iter()
                .filter(|d| {
                    !errors
                        .iter()
                        .any(|x| x.item == d.item && x.field == d.field && x.round == d.round)
                })
                .collect();
            errors.extend(extra);
            Err(errors)
        }
    }
}
