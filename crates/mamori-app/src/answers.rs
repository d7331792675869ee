//! Saving answers: the one way the page, the API and the workbook import write a form's answers.

use std::collections::HashMap;

use mamori_core::answers::validate_batch;
use mamori_core::catalog::Form;
use mamori_core::{Answer, AnswerInput, AnswerSet, FieldError, ItemId, RuleContext};
use mamori_evidence::Suggestion;
use mamori_store::{Actor, Org, User};

use crate::{App, AppResult};

/// What a save did: the answers written, or every broken rule (and nothing written).
pub type Checked = Result<Vec<Answer>, Vec<FieldError>>;

/// The form's rules for the organisation today.
pub fn rule_context<'a>(app: &App, org: &Org, form: &'a Form) -> AppResult<RuleContext<'a>> {
    Ok(RuleContext {
        form,
        fiscal_year: app.fiscal_year(org.id, &form.edition)?,
        today: app.clock.today_jst(),
        has_vendor_contract: org.has_vendor_contract,
    })
}

/// Checks a batch against the stored answers: the form's rules, then the evidence (an answer against the
/// ledgers needs a 備考).
pub fn check(
    ctx: &RuleContext<'_>,
    stored: &AnswerSet,
    inputs: &[AnswerInput],
    suggestions: &HashMap<ItemId, Suggestion>,
) -> Checked {
    mamori_evidence::checked_with_evidence(validate_batch(ctx, stored, inputs), suggestions, inputs)
}

/// Saves a batch of answers to a form, all or nothing, checked as [`check`] does against the answers
/// stored when the write begins; the suggestions are kept beside the answers they were shown with.
pub async fn save_answers(
    app: &App,
    org: &Org,
    user: &User,
    form: &Form,
    inputs: &[AnswerInput],
    suggestions: &HashMap<ItemId, Suggestion>,
) -> AppResult<Checked> {
    let ctx = rule_context(app, org, form)?;
    let actor = Actor {
        user_id: user.id,
        name: user.login.clone(),
    };
    let checked = app
        .store
        .save_answers_with_evidence(
            org.id,
            &form.edition,
            form.variant,
            &actor,
            app.clock.now(),
            &crate::evidence::evidence_json(suggestions),
            |stored| check(&ctx, stored, inputs, suggestions),
        )
        .await?;
    if checked.is_ok()
        && form.variant == crate::own_variant(&app.catalog_of(org.id), &form.edition, org)
    {
        crate::report::record_today(app, org, form).await?;
    }
    Ok(checked)
}
