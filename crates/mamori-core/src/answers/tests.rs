//! Unit tests of `answers`.

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
        let e = validate_batch(ctx, &AnswerSet::default(), &vec![one.clone(); 12_000]).unwrap_err();
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
        // いいえ on the gate means "no system": no 目標日 is asked for, and one given is refused.
        let gate = input("r7.facility.gate", "general", 1, "no", "2025-05-20", "");
        let stored = AnswerSet::new(validate_batch(ctx, &AnswerSet::default(), &[gate]).unwrap());
        let with_target = input(
            "r7.facility.gate",
            "general",
            1,
            "no",
            "2025-05-20",
            "2026-03-01",
        );
        let e = validate_batch(ctx, &AnswerSet::default(), &[with_target]).unwrap_err();
        assert_eq!(fields(&e), ["target_date"]);
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
        // It is no deficiency: no いいえ counted, nothing open.
        let s = summarize(ctx.form, &stored, true);
        assert_eq!(s.no, 0);
        assert_eq!(s.no_system, 1);
        assert_eq!(s.not_needed, s.total() - 1);
        assert!(open_items(ctx.form, &stored, true, d("2025-06-01")).is_empty());
        let gate_item = ctx.form.gate_item().unwrap();
        assert_eq!(
            row_status(ctx.form, gate_item, Target::General, &stored, true),
            RowStatus::NoSystem
        );
        assert!(open_answer(ctx.form, gate_item, Target::General, &stored, true).is_none());
        assert!(!is_deficiency(ctx.form, stored.iter().next().unwrap()));
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
fn an_answer_stored_before_the_gate_closed_is_not_open() {
    with_ctx(true, |ctx| {
        let first = validate_batch(
            ctx,
            &AnswerSet::default(),
            &[input(
                "r7.facility.2.1",
                "general",
                1,
                "no",
                "2025-05-20",
                "2025-05-25",
            )],
        )
        .unwrap();
        let mut set = AnswerSet::new(first);
        let item = ctx.form.item("r7.facility.2.1").unwrap();
        assert!(open_answer(ctx.form, item, Target::General, &set, true).is_some());
        for a in validate_batch(
            ctx,
            &set,
            &[input(
                "r7.facility.gate",
                "general",
                1,
                "no",
                "2025-05-26",
                "",
            )],
        )
        .unwrap()
        {
            set.insert(a);
        }
        assert!(open_answer(ctx.form, item, Target::General, &set, true).is_none());
        assert!(open_items(ctx.form, &set, true, d("2025-06-01")).is_empty());
    });
}

#[test]
fn dates_that_cannot_be_true_are_refused_with_the_reason() {
    with_ctx(true, |ctx| {
        // 目標日 before its 確認日.
        let e = validate_batch(
            ctx,
            &AnswerSet::default(),
            &[input(
                "r7.facility.2.1",
                "general",
                1,
                "no",
                "2025-05-20",
                "2025-05-10",
            )],
        )
        .unwrap_err();
        assert_eq!(fields(&e), ["target_date"]);
        assert!(e[0].message.contains("確認日"), "{}", e[0].message);
        // 確認日 years before the form's year, and in the year before the one answered.
        for early in ["2019-06-01", "2025-03-31"] {
            let e = validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input("r7.facility.2.1", "general", 1, "yes", early, "")],
            )
            .unwrap_err();
            assert_eq!(fields(&e), ["checked_on"], "{early}");
            assert!(e[0].message.contains("令和7年度"), "{}", e[0].message);
        }
        // The first day of the fiscal year is fine; so is a 目標日 on the 確認日 itself.
        assert!(
            validate_batch(
                ctx,
                &AnswerSet::default(),
                &[input(
                    "r7.facility.2.1",
                    "general",
                    1,
                    "no",
                    "2025-04-01",
                    "2025-04-01"
                )],
            )
            .is_ok()
        );
    });
}

#[test]
fn a_second_round_no_need_not_invent_a_target_date() {
    with_ctx(true, |ctx| {
        let r1 = input(
            "r7.facility.2.1",
            "general",
            1,
            "no",
            "2025-04-20",
            "2025-05-10",
        );
        let r2 = input("r7.facility.2.1", "general", 2, "no", "2025-05-20", "");
        assert!(validate_batch(ctx, &AnswerSet::default(), &[r1.clone(), r2]).is_ok());
        // It may carry one, under the same rules.
        let r2_target = input(
            "r7.facility.2.1",
            "general",
            2,
            "no",
            "2025-05-20",
            "2025-09-30",
        );
        assert!(validate_batch(ctx, &AnswerSet::default(), &[r1.clone(), r2_target]).is_ok());
        let r2_late = input(
            "r7.facility.2.1",
            "general",
            2,
            "no",
            "2025-05-20",
            "2026-09-30",
        );
        let e = validate_batch(ctx, &AnswerSet::default(), &[r1, r2_late]).unwrap_err();
        assert_eq!(fields(&e), ["target_date"]);
        // A first round いいえ still needs one.
        let e = validate_batch(
            ctx,
            &AnswerSet::default(),
            &[input(
                "r7.facility.2.1",
                "general",
                1,
                "no",
                "2025-05-20",
                "",
            )],
        )
        .unwrap_err();
        assert_eq!(fields(&e), ["target_date"]);
    });
}

#[test]
fn r5_reference_items_are_not_unanswered_and_take_next_year_targets() {
    let c = Catalog::builtin().unwrap();
    let form = c.form("r5", Variant::Facility).unwrap();
    let ctx = RuleContext {
        form,
        fiscal_year: FiscalYear::new(2023),
        today: d("2023-07-01"),
        has_vendor_contract: true,
    };
    let none = AnswerSet::default();
    let s = summarize(form, &none, true);
    // 2(4)(5) 端末PC, 2(7) サーバ・端末PC, 2(9) サーバ・端末PC, 3(2), 3(3): 8 参考 rows.
    assert_eq!(s.reference, 8);
    assert_eq!(s.unanswered, s.total() - 8);
    let bcp = form.item("r5.facility.3.3").unwrap();
    assert_eq!(
        row_status(form, bcp, Target::General, &none, true),
        RowStatus::Reference
    );
    // 「令和6年度中」: a target in FY2024 is fine for a 参考 row, not for a required one.
    let reference = input(
        "r5.facility.3.3",
        "general",
        1,
        "no",
        "2023-06-20",
        "2025-03-31",
    );
    assert!(validate_batch(&ctx, &none, &[reference]).is_ok());
    let required = input(
        "r5.facility.2.1",
        "general",
        1,
        "no",
        "2023-06-20",
        "2025-03-31",
    );
    let e = validate_batch(&ctx, &none, &[required]).unwrap_err();
    assert_eq!(fields(&e), ["target_date"]);
    let too_late = input(
        "r5.facility.3.3",
        "general",
        1,
        "no",
        "2023-06-20",
        "2025-04-01",
    );
    let e = validate_batch(&ctx, &none, &[too_late]).unwrap_err();
    assert!(e[0].message.contains("令和6年度中まで"), "{}", e[0].message);
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
        let e = validate_batch(ctx, &AnswerSet::default(), std::slice::from_ref(&r2)).unwrap_err();
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

#[test]
fn full_width_dates_are_read() {
    with_ctx(true, |ctx| {
        let ok = validate_batch(
            ctx,
            &AnswerSet::default(),
            &[input(
                "r7.facility.2.1",
                "general",
                1,
                "no",
                "２０２５－０５－２０",
                "２０２６／３／３１",
            )],
        )
        .unwrap();
        assert_eq!(ok[0].checked_on, d("2025-05-20"));
        assert_eq!(ok[0].target_date, Some(d("2026-03-31")));
    });
}
