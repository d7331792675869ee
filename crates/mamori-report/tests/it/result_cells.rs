//! Property tests of the result cells: printed answers read back.

use crate::helpers::*;
use mamori_core::{Answer, Choice};
use mamori_report::checklist_import::parse_result_cell;
use mamori_report::result_cell;
use proptest::prelude::*;

proptest! {
    /// Any text: read or refused with a reason, never a panic.
    #[test]
    fn any_text_is_read_or_refused(s in "\\PC{0,40}") {
        let _ = parse_result_cell(&s);
    }

    /// Every answer the form prints reads back as itself (和暦, 元年 and the 目標日 included).
    #[test]
    fn printed_answers_read_back(days in 0u64..40_000, later in 0u64..400, yes: bool) {
        let checked = d("1927-01-01") + chrono::Days::new(days);
        let target = (!yes).then(|| checked + chrono::Days::new(later));
        let printed = result_cell(&Answer {
            item: Default::default(),
            target: mamori_core::Target::General,
            round: 1,
            answer: if yes { Choice::Yes } else { Choice::No },
            checked_on: checked,
            target_date: target,
            note: String::new(),
        });
        prop_assert_eq!(parse_result_cell(&printed), Ok(Some((yes, checked, target))));
    }
}
