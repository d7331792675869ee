//! A clinic's year on a fixed calendar: it starts 令和7年度 with the 令和7年度版, answers (one いいえ with
//! its 目標日), gets the reminders and mails on the right days, answers the 2回目 (still いいえ, a new 目標日)
//! and sees it overdue; in April 2026 the dashboard's new year waits, the clinic starts 令和8年度 on the
//! same edition (no newer one is built in), last year's answers are kept as they were and offered as
//! proposals, and this year's form starts empty.

use chrono::{DateTime, Utc};
use mamori_app::App;
use mamori_app::fiscal_years;
use mamori_app::mail::send_digests;
use mamori_app::reminders::{ReminderKind, for_org};
use mamori_core::dates::FiscalYear;
use mamori_core::{AnswerInput, Catalog, Clock, Variant};
use mamori_store::{MailSettings, Org, User};

use crate::helpers::*;
use crate::mail::{at, read, sink, sink_config};

async fn on(app: &App, org: &Org, t: DateTime<Utc>) -> App {
    let app = App::new(
        app.store.clone(),
        Catalog::builtin().unwrap(),
        Clock::fixed(t),
    );
    // As each request does: the organisation's catalog (its years' editions) first.
    app.catalog_for(org.id).await.unwrap();
    app
}

async fn kinds(app: &App, org: &Org) -> Vec<(ReminderKind, String)> {
    for_org(app, org)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            matches!(
                r.kind,
                ReminderKind::TargetSoon | ReminderKind::SecondRound | ReminderKind::Overdue
            )
        })
        .map(|r| (r.kind, r.message))
        .collect()
}

fn input(item: &str, round: i64, yes: bool, checked: &str, due: Option<&str>) -> AnswerInput {
    AnswerInput {
        item: item.into(),
        target: Some("general".into()),
        round: Some(round),
        answer: Some(if yes { "yes" } else { "no" }.into()),
        checked_on: Some(checked.into()),
        target_date: due.map(str::to_string),
        note: Some(if yes { "" } else { "更新手順を調整中" }.into()),
    }
}

async fn save(app: &App, org: &Org, user: &User, inputs: &[AnswerInput]) {
    let catalog = app.catalog_of(org.id);
    let form = catalog.form("r7", Variant::Facility).unwrap();
    mamori_app::answers::save_answers(app, org, user, form, inputs, &Default::default())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[tokio::test]
async fn a_year_from_april_to_the_next_april() {
    let (first, org, user, _dir) = clinic().await;
    let (port, got) = sink().await;
    let smtp = sink_config(port);
    first
        .store
        .save_mail_settings(
            &user,
            Some(&MailSettings {
                email: "yamada@example.jp".into(),
                hour: 8,
                // The checklist's reminders only (an empty clinic's ledger reminders aside).
                off_kinds: ReminderKind::ALL
                    .into_iter()
                    .filter(|k| {
                        !matches!(
                            k,
                            ReminderKind::TargetSoon
                                | ReminderKind::SecondRound
                                | ReminderKind::Overdue
                        )
                    })
                    .map(|k| k.id().to_string())
                    .collect(),
            }),
            now(),
        )
        .await
        .unwrap();

    // 2025-04-01: a first year carries nothing and is not pressed; the administrator starts it.
    let app = on(&first, &org, at("2025-04-01", 9)).await;
    assert_eq!(fiscal_years::new_year_due(&app, &org).await.unwrap(), None);
    let plan = fiscal_years::plan(&app, &org, None, None).await.unwrap();
    assert_eq!(plan.edition, "r7");
    assert!(plan.sources.is_empty());
    fiscal_years::start(&app, &org, &user, "r7", None)
        .await
        .unwrap()
        .unwrap();
    let app = on(&first, &org, at("2025-04-01", 9)).await;
    assert_eq!(
        app.fiscal_year(org.id, "r7").unwrap(),
        FiscalYear::new(2025)
    );

    // 2025-05-20: the 1回目, one いいえ with its 目標日.
    let app = on(&first, &org, at("2025-05-20", 9)).await;
    save(
        &app,
        &org,
        &user,
        &[
            input("r7.facility.gate", 1, true, "2025-05-20", None),
            input("r7.facility.1.1", 1, true, "2025-05-20", None),
            input(
                "r7.facility.2.6",
                1,
                false,
                "2025-05-20",
                Some("2025-09-30"),
            ),
        ],
    )
    .await;

    // The reminders and mails through the year.
    let mut mails = 0;
    for (day, want, mailed) in [
        ("2025-08-30", None, 0),
        ("2025-08-31", Some(ReminderKind::TargetSoon), 1),
        ("2025-09-23", Some(ReminderKind::TargetSoon), 1),
        ("2025-09-30", Some(ReminderKind::TargetSoon), 0),
        ("2025-10-01", Some(ReminderKind::SecondRound), 1),
    ] {
        let app = on(&first, &org, at(day, 8)).await;
        let k = kinds(&app, &org).await;
        assert_eq!(k.first().map(|(k, _)| *k), want, "{day}: {k:?}");
        assert_eq!(send_digests(&app, &smtp).await.unwrap(), mailed, "{day}");
        mails += mailed;
        assert_eq!(got.lock().unwrap().len(), mails, "{day}");
    }
    let (subject, body) = read(&got.lock().unwrap()[2]);
    assert_eq!(
        subject,
        "【Mamori】みどりクリニック：お知らせ 1 件（令和7年10月1日）"
    );
    assert!(body.contains("2回目として回答してください"), "{body}");

    // The 2回目: still いいえ, a new 目標日 in the year; past it, overdue.
    let app = on(&first, &org, at("2025-10-10", 9)).await;
    save(
        &app,
        &org,
        &user,
        &[input(
            "r7.facility.2.6",
            2,
            false,
            "2025-10-10",
            Some("2026-01-31"),
        )],
    )
    .await;
    let app = on(&first, &org, at("2026-02-01", 8)).await;
    let k = kinds(&app, &org).await;
    assert_eq!(k[0].0, ReminderKind::Overdue, "{k:?}");
    assert_eq!(send_digests(&app, &smtp).await.unwrap(), 1);

    // 2026-04-01: 令和8年度 waits to be started; the plan offers last year's answers.
    let app = on(&first, &org, at("2026-04-01", 9)).await;
    assert_eq!(
        fiscal_years::new_year_due(&app, &org).await.unwrap(),
        Some(FiscalYear::new(2026))
    );
    let plan = fiscal_years::plan(&app, &org, None, None).await.unwrap();
    assert_eq!(plan.edition, "r7", "no newer edition is built in");
    assert_eq!(plan.source.as_deref(), Some("r7/facility"));
    let compared = fiscal_years::compare(&app, &org, "r7", Some(&plan.sources[0].source))
        .await
        .unwrap();
    assert_eq!((compared.new, compared.changed), (0, 0));
    assert!(compared.removed.is_empty());
    assert_eq!(compared.proposals, 3);
    // Only an administrator starts it; a source that is not offered is refused.
    let mut editor = user.clone();
    editor.role = mamori_core::Role::Editor;
    assert!(
        fiscal_years::start(&app, &org, &editor, "r7", Some("r7/facility"))
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        fiscal_years::start(&app, &org, &user, "r7", Some("r6/facility"))
            .await
            .unwrap(),
        Err("引き継ぐ回答を選び直してください".into())
    );
    fiscal_years::start(&app, &org, &user, "r7", Some("r7/facility"))
        .await
        .unwrap()
        .unwrap();

    // This year's form starts empty; last year's answers are kept and carried as proposals.
    let app = on(&first, &org, at("2026-04-02", 9)).await;
    assert_eq!(fiscal_years::new_year_due(&app, &org).await.unwrap(), None);
    assert_eq!(
        app.fiscal_year(org.id, "r7").unwrap(),
        FiscalYear::new(2026)
    );
    assert!(
        app.store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .is_empty()
    );
    let (kept, kept_answers) =
        fiscal_years::archived_form(&app, &org, 2025, "r7", Variant::Facility)
            .await
            .unwrap()
            .unwrap();
    let timeline =
        mamori_app::report::timeline(&kept, &kept_answers, true, FiscalYear::new(2025).last_day());
    let patches = timeline
        .iter()
        .find(|r| r.item.starts_with("2(6)"))
        .unwrap();
    assert_eq!(patches.first, "いいえ（令和7年5月20日）");
    assert_eq!(patches.target_date, "令和7年9月30日");
    assert_eq!(patches.second, "いいえ（令和7年10月10日）");
    assert_eq!(patches.state, "2回目もいいえ");
    let catalog = app.catalog_of(org.id);
    let form = catalog.form("r7", Variant::Facility).unwrap();
    let carried = fiscal_years::carry(&app, &catalog, &org, form, false)
        .await
        .unwrap();
    let p = carried
        .get(&("r7.facility.2.6".into(), mamori_core::Target::General))
        .and_then(|c| c.proposal.clone())
        .unwrap();
    assert!(
        p.starts_with("令和7年度（令和7年度版） 2(6)：いいえ（令和7年10月10日）"),
        "{p}"
    );
    // Last year's いいえ no longer presses this year.
    assert!(kinds(&app, &org).await.is_empty());
    // The plan lists both years, last year's answers where they are kept.
    let plan = fiscal_years::plan(&app, &org, None, None).await.unwrap();
    let links: Vec<_> = plan.years.iter().flat_map(|y| y.links.clone()).collect();
    assert!(
        links
            .iter()
            .any(|(_, href)| href == "/years/2025/r7/facility"),
        "{links:?}"
    );
    // Starting the year again on the same answers cannot keep last year twice.
    save(
        &app,
        &org,
        &user,
        &[input("r7.facility.gate", 1, true, "2026-04-02", None)],
    )
    .await;
    let again = fiscal_years::start(&app, &org, &user, "r7", Some("r7/facility"))
        .await
        .unwrap();
    assert!(again.unwrap_err().contains("すでに保管されています"));
    assert_eq!(
        app.store
            .answers(org.id, "r7", Variant::Facility)
            .await
            .unwrap()
            .len(),
        1,
        "the refused start changed nothing"
    );

    // May: MHLW's 令和8年度版 is imported; the year follows it and carries what it answered so far.
    let app = on(&first, &org, at("2026-05-01", 9)).await;
    let catalog = app.catalog_of(org.id);
    let r8 = mamori_report::sample_workbook::next_edition_sample(&catalog);
    let book = mamori_report::sample_workbook::sample_workbook(
        &catalog,
        &r8,
        mamori_report::sample_workbook::SampleLayout::Columns,
    )
    .unwrap();
    let uploads = [mamori_report::edition_import::Upload {
        file_name: "r8.xlsx".into(),
        bytes: book,
    }];
    let draft =
        mamori_app::editions::read_uploads(&catalog, "r8", "2026", "auto", &uploads).unwrap();
    let id = mamori_app::editions::save_draft(&app, org.id, &draft, &uploads, "admin")
        .await
        .unwrap();
    mamori_app::editions::confirm_import(&app, org.id, id, &Default::default(), "admin")
        .await
        .unwrap();
    let app = on(&first, &org, at("2026-05-01", 9)).await;
    assert_eq!(app.edition_in_force(&org).unwrap().edition, "r8");
    let record = app.store.fiscal_years(org.id).await.unwrap().pop().unwrap();
    assert_eq!(record.edition, "r8");
    assert_eq!(
        record.carried_from.map(|c| (c.edition, c.archived_year)),
        Some(("r7".to_string(), None))
    );
    let catalog = app.catalog_of(org.id);
    let form = catalog.own_form("r8", false).expect("the merged form");
    let carried = fiscal_years::carry(&app, &catalog, &org, form, false)
        .await
        .unwrap();
    let gate = carried
        .iter()
        .find(|((item, _), _)| item.ends_with(".gate"))
        .and_then(|(_, c)| c.proposal.clone())
        .unwrap();
    assert!(gate.contains("はい（令和8年4月2日）"), "{gate}");
}
