//! Property tests of the answer rules: any input, however malformed, is either refused with messages or
//! turned into answers that keep every rule of the form.

use chrono::{Duration, NaiveDate};
use mamori_core::answers::{AnswerSet, validate_batch};
use mamori_core::{AnswerInput, Catalog, Choice, FiscalYear, RuleContext, Variant};
use proptest::prelude::*;

const TODAY: (i32, u32, u32) = (2025, 10, 1);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

/// A well-formed input for one (item, target) row, and then maybe one corruption of it.
fn input(rows: Vec<(String, String)>) -> impl Strategy<Value = AnswerInput> {
    let fy_start = FiscalYear::new(2025).first_day();
    (
        proptest::sample::select(rows),
        any::<bool>(),
        0i64..184,
        0i64..365,
        ".{0,30}",
        0u8..12,
        ".{0,12}",
    )
        .prop_map(
            move |((item, target), yes, checked, target_days, note, corruption, junk)| {
                let mut i = AnswerInput {
                    item,
                    target: Some(target),
                    round: Some(1),
                    answer: Some(if yes { "yes" } else { "no" }.to_string()),
                    checked_on: Some((fy_start + Duration::days(checked)).to_string()),
                    target_date: (!yes)
                        .then(|| (fy_start + Duration::days(target_days)).to_string()),
                    note: Some(note),
                };
                match corruption {
                    0 => i.item = junk,
                    1 => i.target = Some(junk),
                    2 => i.round = Some(i64::from(corruption) + 1),
                    3 => i.answer = Some(junk),
                    4 => i.checked_on = Some(junk),
                    5 => i.checked_on = Some((today() + Duration::days(1)).to_string()),
                    6 => i.target_date = Some("2026-04-01".into()),
                    7 => i.target_date = None,
                    8 => i.round = Some(2),
                    _ => {}
                }
                i
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn accepted_answers_keep_the_rules(vendor in any::<bool>(), batch in {
        let c = Catalog::builtin().unwrap();
        let rows: Vec<(String, String)> = c.form("r7", Variant::Facility).unwrap().rows().map(|(i, t)| (i.id.to_string(), t.id().to_string())).collect();
        proptest::collection::vec(input(rows), 1..5)
    }) {
        let c = Catalog::builtin().unwrap();
        let form = c.form("r7", Variant::Facility).unwrap();
        let fy = FiscalYear::new(2025);
        let ctx = RuleContext { form, fiscal_year: fy, today: today(), has_vendor_contract: vendor };
        match validate_batch(&ctx, &AnswerSet::default(), &batch) {
            Ok(answers) => {
                prop_assert_eq!(answers.len(), batch.len());
                let set = AnswerSet::new(answers.clone());
                for a in &answers {
                    let item = form.item(&a.item).unwrap();
                    prop_assert!(item.has_target(a.target));
                    prop_assert!(a.checked_on <= today());
                    prop_assert!(fy.contains(a.checked_on));
                    prop_assert!((1..=2).contains(&a.round));
                    match a.answer {
                        // The gate's いいえ ("no system") never carries a 目標日.
                        Choice::No if item.gate => prop_assert!(a.target_date.is_none()),
                        // A first round いいえ needs one; a later round may carry one.
                        Choice::No if a.round == 1 => prop_assert!(a.target_date.is_some_and(|d| fy.contains(d) && d >= a.checked_on)),
                        Choice::No => prop_assert!(a.target_date.is_none_or(|d| fy.contains(d) && d >= a.checked_on)),
                        Choice::Yes => prop_assert!(a.target_date.is_none()),
                    }
                    if a.round == 2 {
                        let first = set.get(&a.item, a.target, 1);
                        prop_assert!(first.is_some_and(|f| f.checked_on <= a.checked_on));
                    }
                    prop_assert!(vendor || !item.vendor_contract_only);
                    prop_assert!(item.gate || !set.gate_closed(form));
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(!e.message.is_empty());
                    prop_assert!(["item", "target", "round", "answer", "checked_on", "target_date", "note"].contains(&e.field.as_str()));
                }
            }
        }
    }
}
