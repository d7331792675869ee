//! Importing a ledger file on the page: upload → preview (nothing stored) → confirm; the parsed files
//! wait in memory for the confirmation.

use super::*;

/// Previewed imports kept at once (all users).
pub(crate) const MAX_PENDING: usize = 32;
/// A previewed import waits this long for its confirmation.
pub(crate) const PENDING_FOR: Duration = Duration::from_secs(30 * 60);

/// Uploaded files awaiting confirmation after their preview, by a random token; only their uploader may
/// confirm them. Ledger files wait parsed; checklist workbooks wait as they came.
#[derive(Default)]
pub(crate) struct PendingImports(Mutex<HashMap<String, Pending>>);

pub(crate) enum PendingData {
    Rows(Vec<Row>),
    Workbook(Vec<u8>),
}

pub(crate) struct Pending {
    org_id: OrgId,
    user_id: i64,
    /// What the upload is for: `ledger/accounts`, `checklist/r7/facility` …
    what: String,
    data: PendingData,
    at: Instant,
}

impl PendingImports {
    pub(crate) fn put(
        &self,
        org_id: OrgId,
        user_id: i64,
        what: String,
        data: PendingData,
    ) -> String {
        let token = auth::new_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, v| v.at.elapsed() < PENDING_FOR);
        // Uploads wait in memory: a user's newer upload replaces their older one, and there are few in all.
        map.retain(|_, v| !(v.user_id == user_id && v.what == what));
        while map.len() >= MAX_PENDING {
            let oldest = map
                .iter()
                .min_by_key(|(_, v)| v.at)
                .map(|(k, _)| k.clone())
                .expect("not empty");
            map.remove(&oldest);
        }
        map.insert(
            token.clone(),
            Pending {
                org_id,
                user_id,
                what,
                data,
                at: Instant::now(),
            },
        );
        token
    }
    pub(crate) fn take(
        &self,
        token: &str,
        org_id: OrgId,
        user_id: i64,
        what: &str,
    ) -> Option<PendingData> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let p = map.get(token)?;
        if p.org_id != org_id
            || p.user_id != user_id
            || p.what != what
            || p.at.elapsed() >= PENDING_FOR
        {
            return None;
        }
        map.remove(token).map(|p| p.data)
    }
}

/// The confirmation of a preview that is no longer waiting.
pub(crate) fn pending_gone() -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        "取り込めません",
        "確認画面の有効期限（30分）が切れたか、すでに取り込み済みです。もう一度ファイルを選んでください。",
    )
}

#[derive(Template)]
#[template(path = "ledgers/ledger_preview.html")]
pub(crate) struct PreviewPage {
    nav: Option<Nav>,
    kind: &'static str,
    label: &'static str,
    file_name: String,
    encoding: String,
    columns: Vec<(String, String)>,
    headers: Vec<&'static str>,
    sample: Vec<(usize, Vec<String>)>,
    count: usize,
    /// Rows taken that deserve a look (「退職」 without an end date).
    notes: Vec<String>,
    token: String,
    csrf: String,
}

/// Upload: the file is read and checked; nothing is stored until the preview is confirmed.
pub async fn import_preview(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Uploaded(SignedIn(session, org), mut multipart): Uploaded,
) -> PageResult {
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let kind = kind_of(&kind)?;
    let mut file: Option<(String, Bytes)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                PageError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "ファイルを受け取れません",
                    format!(
                        "ファイルが大きすぎるか、送信が途中で切れました（上限 {} MB）",
                        crate::IMPORT_LIMIT / 1024 / 1024
                    ),
                )
            })?;
            file = Some((name, bytes));
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = list_page_with(
            &state,
            &session,
            &org,
            kind,
            &ListQuery::default(),
            vec![ImportError {
                row: 0,
                column: String::new(),
                message: "ファイルを選んでください（CSV または Excel）".into(),
            }],
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    let max_rows = state.max_import_rows;
    let parsed = match state
        .heavy(move || mamori_ledger::parse_file_limited(kind, &bytes, max_rows))
        .await
    {
        Ok(p) => p,
        Err(errors) => {
            let page =
                list_page_with(&state, &session, &org, kind, &ListQuery::default(), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let fields = list_fields(kind);
    let sample = parsed
        .rows
        .iter()
        .take(20)
        .map(|(line, r)| {
            (
                *line,
                fields
                    .iter()
                    .map(|f| r.get(f.key).cloned().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    let columns = parsed
        .columns
        .iter()
        .filter(|(h, _)| !h.trim().is_empty())
        .map(|(h, k)| {
            (
                h.clone(),
                k.and_then(|k| kind.field(k))
                    .map(|f| f.header.to_string())
                    .unwrap_or_else(|| "（取り込みません）".into()),
            )
        })
        .collect();
    let count = parsed.rows.len();
    let notes = parsed.notes.clone();
    let token = state.pending_imports.put(
        org.id,
        session.user.id,
        format!("ledger/{}", kind.id()),
        PendingData::Rows(parsed.rows.into_iter().map(|(_, r)| r).collect()),
    );
    let page = PreviewPage {
        nav: Some(nav(&state, &session, &org)),
        kind: kind.id(),
        label: kind.label(),
        file_name,
        encoding: parsed
            .encoding
            .map(|e| e.label().to_string())
            .unwrap_or_else(|| "Excel（xlsx）".into()),
        columns,
        headers: fields.iter().map(|f| f.header).collect(),
        sample,
        count,
        notes,
        token,
        csrf: session.csrf_token.clone(),
    };
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
}

pub async fn import_confirm(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Posted(SignedIn(session, org), f): Posted<ConfirmForm>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    let Some(PendingData::Rows(rows)) = state.pending_imports.take(
        &f.token,
        org.id,
        session.user.id,
        &format!("ledger/{}", kind.id()),
    ) else {
        return Err(pending_gone());
    };
    let counts =
        mamori_app::ledgers::import_rows(&state, org.id, kind, rows, &session.user.login).await?;
    Ok(Redirect::to(&format!(
        "/ledgers/{}?imported={},{},{}",
        kind.id(),
        counts.added,
        counts.updated,
        counts.unchanged
    ))
    .into_response())
}
