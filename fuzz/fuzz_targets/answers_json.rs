//! The API's answer batch: any bytes as JSON, then the form's rules. Never panics; an accepted batch only
//! holds items of the form, 1st or 2nd round, and a 目標日 inside the fiscal year for every いいえ.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mamori_core::answers::{AnswerSet, validate_batch};
use mamori_core::{AnswerInput, Catalog, Choice, FiscalYear, RuleContext, Variant};

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::builtin().unwrap());

fuzz_target!(|data: &[u8]| {
    let Ok(inputs) = serde_json::from_slice::<Vec<AnswerInput>>(data) else {
        return;
    };
    let form = CATALOG.require_form("r7", Variant::Facility).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let fy = FiscalYear::containing(today);
    for has_vendor_contract in [true, false] {
        let ctx = RuleContext {
            form,
            fiscal_year: fy,
            today,
            has_vendor_contract,
        };
        if let Ok(answers) = validate_batch(&ctx, &AnswerSet::new([]), &inputs) {
            for a in answers {
                assert!(form.item(&a.item).is_some());
                assert!(a.round == 1 || a.round == 2);
                assert!(a.checked_on <= today);
                if a.answer == Choice::No {
                    let d = a.target_date.expect("いいえ has a 目標日");
                    assert!(fy.contains(d));
                }
            }
        }
    }
});
