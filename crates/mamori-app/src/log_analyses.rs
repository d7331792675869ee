//! A log analysis's end, stored: its report (the logon summary capped), the retired staff accounts it
//! found in use (which the evidence for 退職者・不要アカウント reads), and the period its records cover.

use mamori_core::OrgId;
use mamori_logs::{FindingKind, Report};
use mamori_store::{AnalysisEnd, StoreError};

use crate::App;

/// At most this many accounts of the logon summary are stored (the findings are all kept).
pub const STORED_LOGONS: usize = 5000;

/// Stores a finished analysis's report.
pub async fn store_report(app: &App, org_id: OrgId, id: i64, r: &Report) -> Result<(), StoreError> {
    let mut r = r.clone();
    r.logons
        .sort_by_key(|l| std::cmp::Reverse(l.success + l.failure));
    r.logons.truncate(STORED_LOGONS);
    let retired: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::RetiredAccountUsed)
        .map(|f| f.account.clone())
        .collect();
    let first = r.logons.iter().filter_map(|l| l.first).min();
    let last = r.logons.iter().filter_map(|l| l.last).max();
    let first = r.findings.iter().filter_map(|f| f.first).chain(first).min();
    let last = r.findings.iter().filter_map(|f| f.last).chain(last).max();
    let report = serde_json::to_string(&r).expect("reports serialise");
    app.store
        .finish_log_analysis(
            org_id,
            id,
            AnalysisEnd::Done {
                report: &report,
                retired_accounts: &retired,
                period: (first.map(|t| t.to_rfc3339()), last.map(|t| t.to_rfc3339())),
            },
            app.clock.now(),
        )
        .await
}

/// Records an analysis that stopped, with why.
pub async fn store_failure(
    app: &App,
    org_id: OrgId,
    id: i64,
    message: &str,
) -> Result<(), StoreError> {
    app.store
        .finish_log_analysis(org_id, id, AnalysisEnd::Failed { message }, app.clock.now())
        .await
}
