//! One ledger row: its page (with a device's status and history), a new row, saving and disabling.

use super::*;

pub(crate) struct FieldView {
    key: &'static str,
    header: &'static str,
    value: String,
    input: &'static str,
    options: Vec<String>,
    required: bool,
    error: Option<String>,
    /// Written by Mamori (shown, not typed).
    auto: bool,
}

/// What the device page shows beside the row: its support status, the agent's last report, the baseline's
/// flags and what each inventory changed.
pub(crate) struct DeviceView {
    status: &'static str,
    status_class: &'static str,
    reasons: Vec<String>,
    /// 「エージェント確認日 2026-11-20（11日前）」, or None for a device without the agent.
    last_report: Option<String>,
    /// 「45日間未確認」 when the agent stopped reporting.
    unconfirmed: Option<String>,
    flags: Vec<String>,
    basis: Vec<String>,
    inventories: Vec<HistoryLine>,
}

/// The list's marks for a device: its support status unless it is fine, and a silent agent.
pub(crate) fn device_badges(row: &Row, today: chrono::NaiveDate) -> Vec<(&'static str, String)> {
    use mamori_lifecycle::Status;
    let mut out = Vec::new();
    match mamori_lifecycle::status(row, today).0 {
        s @ (Status::Ended | Status::UpdateAvailable) => {
            out.push(("overdue", s.label().to_string()))
        }
        s @ Status::EndingSoon => out.push(("soon", s.label().to_string())),
        _ => {}
    }
    if let Some(n) =
        days_unreported(row, today).filter(|n| *n > mamori_evidence::STALE_INVENTORY_DAYS)
    {
        out.push(("overdue", format!("{n}日間未確認")));
    }
    if row
        .get("service_flags")
        .is_some_and(|f| f.contains("禁止:") || f.contains("未登録のリモート接続:"))
    {
        out.push(("overdue", "不要なサービス".to_string()));
    }
    out
}

/// The columns Mamori writes into device rows.
pub(crate) const AUTO_FIELDS: &[&str] = &[
    "lifecycle_end",
    "lifecycle_basis",
    "updates",
    "service_flags",
];

/// Days since the agent's last report, when the device has one.
pub(crate) fn days_unreported(row: &Row, today: chrono::NaiveDate) -> Option<i64> {
    let d: chrono::NaiveDate = row.get("inventoried_on")?.parse().ok()?;
    Some((today - d).num_days())
}

pub(crate) async fn device_view(
    state: &AppState,
    org_id: OrgId,
    id: i64,
    row: &Row,
) -> Result<DeviceView, PageError> {
    let today = state.clock.today_jst();
    let (status, reasons) = mamori_lifecycle::status(row, today);
    let days = days_unreported(row, today);
    let split = |k: &str| -> Vec<String> {
        row.get(k)
            .map(|s| s.split("; ").map(String::from).collect())
            .unwrap_or_default()
    };
    let inventories = state
        .store
        .inventory_history(org_id, id)
        .await?
        .into_iter()
        .rev()
        .map(|h| HistoryLine {
            at: jst_time(&h.received_at),
            actor: h.source,
            action: "一覧の取り込み",
            after: h.changes.join("　"),
        })
        .collect();
    Ok(DeviceView {
        status: status.label(),
        status_class: match status {
            mamori_lifecycle::Status::Ended | mamori_lifecycle::Status::UpdateAvailable => {
                "overdue"
            }
            mamori_lifecycle::Status::EndingSoon | mamori_lifecycle::Status::Unknown => "soon",
            mamori_lifecycle::Status::Supported => "ok",
        },
        reasons,
        last_report: days.map(|n| {
            format!(
                "エージェント確認日 {}（{}）",
                row["inventoried_on"],
                if n <= 0 {
                    "今日".to_string()
                } else {
                    format!("{n}日前")
                }
            )
        }),
        unconfirmed: days
            .filter(|n| *n > mamori_evidence::STALE_INVENTORY_DAYS)
            .map(|n| format!("{n}日間未確認")),
        flags: split("service_flags"),
        basis: split("lifecycle_basis"),
        inventories,
    })
}

pub(crate) struct HistoryLine {
    at: String,
    actor: String,
    action: &'static str,
    after: String,
}

#[derive(Template)]
#[template(path = "ledgers/ledger_row.html")]
pub(crate) struct RowPage {
    nav: Option<Nav>,
    kind: &'static str,
    label: &'static str,
    id: Option<i64>,
    disabled: bool,
    can_edit: bool,
    csrf: String,
    fields: Vec<FieldView>,
    has_errors: bool,
    history: Vec<HistoryLine>,
    device: Option<DeviceView>,
}

pub(crate) fn field_views(
    kind: Kind,
    values: &HashMap<String, String>,
    errors: &HashMap<&str, String>,
) -> Vec<FieldView> {
    kind.fields()
        .iter()
        .map(|f| FieldView {
            key: f.key,
            header: f.header,
            value: values.get(f.key).cloned().unwrap_or_default(),
            input: match f.ty {
                FieldType::Date => "date",
                FieldType::Choice(_) => "select",
                _ => "text",
            },
            // A word kept as written (「退職」) stays selectable beside the canonical ones.
            options: match f.ty {
                FieldType::Choice(o) => {
                    let mut options: Vec<String> = o.iter().map(|w| w.to_string()).collect();
                    if let Some(v) = values.get(f.key)
                        && !v.is_empty()
                        && !o.contains(&v.as_str())
                    {
                        options.push(v.clone());
                    }
                    options
                }
                _ => Vec::new(),
            },
            required: f.required,
            error: errors.get(f.key).cloned(),
            auto: kind == Kind::Devices && AUTO_FIELDS.contains(&f.key),
        })
        .collect()
}

pub(crate) async fn row_page_with(
    state: &AppState,
    session: &mamori_store::Session,
    org: &mamori_store::Org,
    kind: Kind,
    id: Option<i64>,
    // The typed values of a refused form; None shows the stored row.
    typed: Option<HashMap<String, String>>,
    errors: HashMap<&str, String>,
) -> Result<RowPage, PageError> {
    let mut values = typed.unwrap_or_default();
    let mut device = None;
    let (disabled, history) = match id {
        Some(id) => {
            let row = state.store.ledger_row(org.id, kind, id).await?;
            if kind == Kind::Devices {
                device = Some(device_view(state, org.id, id, &row.data).await?);
            }
            if values.is_empty() {
                values = row.data.clone().into_iter().collect();
            }
            let filter = mamori_store::AuditFilter {
                entity: "ledger".into(),
                key: format!("{}/{id}", kind.id()),
                ..Default::default()
            };
            let records = state.store.audit_trail(org.id, &filter, 200).await?;
            let lines = records
                .into_iter()
                .map(|r| HistoryLine {
                    at: jst_time(&r.at),
                    actor: r.actor,
                    action: match r.action.as_str() {
                        "create" => "登録",
                        "update" => "変更",
                        "import" => "取り込み",
                        "disable" => "無効化",
                        "enable" => "有効化",
                        _ => "その他",
                    },
                    after: r
                        .after
                        .and_then(|v| serde_json::from_value::<Row>(v).ok())
                        .map(|row| {
                            row.iter()
                                .filter_map(|(k, v)| {
                                    kind.field(k).map(|f| format!("{}：{v}", f.header))
                                })
                                .collect::<Vec<_>>()
                                .join("　")
                        })
                        .unwrap_or_default(),
                })
                .collect();
            (row.disabled, lines)
        }
        None => (false, Vec::new()),
    };
    Ok(RowPage {
        nav: Some(nav(state, session, org)),
        kind: kind.id(),
        label: kind.label(),
        id,
        disabled,
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        csrf: session.csrf_token.clone(),
        has_errors: !errors.is_empty(),
        fields: field_views(kind, &values, &errors),
        history,
        device,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path(kind): Path<String>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let page = row_page_with(&state, &session, &org, kind, None, None, HashMap::new()).await?;
    Ok(render(&page).into_response())
}

pub async fn row_page(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Path((kind, id)): Path<(String, i64)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let page = row_page_with(&state, &session, &org, kind, Some(id), None, HashMap::new()).await?;
    Ok(render(&page).into_response())
}

/// Saves a new row (`/ledgers/{kind}/new`) or a changed one (`/ledgers/{kind}/{id}`); a refused form comes
/// back with every message beside its field and the typed values kept.
pub async fn save_row(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Posted(SignedIn(session, org), form): Posted<HashMap<String, String>>,
) -> PageResult {
    let kind = kind_of(params.get("kind").map(String::as_str).unwrap_or(""))?;
    let id = match params.get("id") {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| PageError::not_found(format!("台帳の行「{s}」はありません")))?,
        ),
    };
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let mut row = Row::new();
    let mut errors: HashMap<&str, String> = HashMap::new();
    for f in kind.fields() {
        let raw = form.get(f.key).map(String::as_str).unwrap_or("");
        match normalise(f, raw) {
            Ok(Some(v)) => {
                row.insert(f.key.to_string(), v);
            }
            Ok(None) => {}
            Err(m) => {
                errors.insert(f.key, m);
            }
        }
    }
    if !errors.is_empty() {
        let page = row_page_with(&state, &session, &org, kind, id, Some(form), errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    mamori_app::device_status::annotate_rows(&state, org.id, kind, std::slice::from_mut(&mut row))
        .await?;
    let id = state
        .store
        .save_ledger_row(
            org.id,
            kind,
            id,
            &row,
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(Redirect::to(&format!("/ledgers/{}/{id}", kind.id())).into_response())
}

#[derive(Deserialize)]
pub struct ToggleForm {
    #[serde(default)]
    disabled: Option<String>,
}

pub async fn toggle_row(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, i64)>,
    Posted(SignedIn(session, org), f): Posted<ToggleForm>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    state
        .store
        .set_ledger_row_disabled(
            org.id,
            kind,
            id,
            f.disabled.is_some(),
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    mamori_app::device_status::after_ledger_change(&state, org.id, kind).await?;
    Ok(Redirect::to(&format!("/ledgers/{}/{id}", kind.id())).into_response())
}
