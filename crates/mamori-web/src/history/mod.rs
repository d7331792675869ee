//! The audit trail page (変更履歴): filters, pages, and the chain's check for administrators.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Duration;
use mamori_core::Action;
use mamori_core::Answer;
use mamori_core::catalog::Target;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::SignedIn;
use crate::layout::{Nav, jst_time, nav, render};

#[derive(Template)]
#[template(path = "history/history.html")]
struct HistoryPage {
    nav: Option<Nav>,
    filter: String,
    q: HistoryQuery,
    actors: Vec<String>,
    entities: Vec<(String, String)>,
    /// 「監査記録の連鎖」 check, for administrators: Ok(count) or the first broken record.
    chain: Option<Result<usize, String>>,
    entries: Vec<HistoryView>,
    /// The query string for the next (older) page, when there is one.
    older: Option<String>,
}

struct HistoryView {
    id: i64,
    at: String,
    actor: String,
    what: String,
    action: String,
    before: String,
    after: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct HistoryQuery {
    /// One checklist row: `item/target`.
    #[serde(default)]
    item: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    entity: String,
    /// JST dates, inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

/// Records shown per page of the audit trail.
const HISTORY_PAGE: i64 = 200;

fn describe_key(catalog: &mamori_core::Catalog, entity: &str, key: &str) -> String {
    if entity != "answer" {
        return match entity {
            "org" => "施設".into(),
            "user" => format!("利用者 {key}"),
            "session" => "ログイン".into(),
            "api_token" => format!("APIトークン {key}"),
            "settings" => format!("設定 {}", setting_label(key)),
            "edition_import" => format!("チェックリストの版の取り込み {key}"),
            _ => format!("{entity} {key}"),
        };
    }
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(item_id), Some(target), Some(round)) => {
            match describe_row(catalog, item_id, target) {
                Some(row) => format!("{row}{round}回目"),
                None => key.to_string(),
            }
        }
        _ => key.to_string(),
    }
}

/// 「令和7年度版 2(4) …（端末PC）」 for an item id and a target id.
fn describe_row(catalog: &mamori_core::Catalog, item_id: &str, target: &str) -> Option<String> {
    let edition = item_id.split('.').next()?;
    let ed_name = catalog.edition(edition).ok()?.name.clone();
    let item = catalog.forms().iter().find_map(|f| f.item(item_id))?;
    let target = target.parse::<Target>().ok()?.label();
    Some(format!(
        "{ed_name} {} {}（{target}）",
        item.label(),
        item.text
    ))
}

fn describe_value(v: &Option<serde_json::Value>) -> String {
    match v {
        None => String::new(),
        Some(v) => match serde_json::from_value::<Answer>(v.clone()) {
            Ok(a) if a.note.is_empty() => a.display(),
            Ok(a) => format!("{} 備考：{}", a.display(), a.note),
            Err(_) => v.to_string(),
        },
    }
}

pub async fn history(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
    Query(q): Query<HistoryQuery>,
) -> PageResult {
    let catalog = state.catalog_of(org.id);
    crate::permit(&session.user, Action::ViewHistory).map_err(PageError::forbidden)?;
    let item = q.item.trim().to_string();
    let jst_day =
        |s: &str, days_after: i64| -> Result<Option<chrono::DateTime<chrono::Utc>>, PageError> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    "入力に誤りがあります",
                    format!("日付「{s}」を読み取れません（例：2025-05-20）"),
                )
            })?;
            let midnight_jst = (d + Duration::days(days_after)).and_time(chrono::NaiveTime::MIN);
            Ok(Some(mamori_core::dates::from_jst(midnight_jst)))
        };
    let filter = mamori_store::AuditFilter {
        entity: if item.is_empty() {
            q.entity.trim().to_string()
        } else {
            "answer".into()
        },
        key_prefix: item.clone(),
        key: String::new(),
        actor: q.actor.trim().to_string(),
        action: String::new(),
        from: jst_day(&q.from, 0)?,
        until: jst_day(&q.to, 1)?,
        before_id: q.before,
    };
    let records = state
        .store
        .audit_trail(org.id, &filter, HISTORY_PAGE + 1)
        .await?;
    let (actors, entity_ids) = state.store.audit_facets(org.id).await?;
    let action = |a: &str| match a {
        "create" => "登録",
        "update" => "変更",
        "setup" => "初期設定",
        "login" => "ログイン",
        "lock" => "ロック",
        "totp" => "二要素認証",
        "import" => "取り込み",
        "import_block" | "import_block_moved" => "大きな取り込み（まとめ）",
        "import_moved" => "取り込み（移行前の環境で）",
        "disable" => "無効化",
        "enable" => "有効化",
        _ => "その他",
    };
    let older = (records.len() as i64 > HISTORY_PAGE).then(|| {
        let last = records[HISTORY_PAGE as usize - 1].id;
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "item={}&actor={}&entity={}&from={}&to={}&before={last}",
            enc(&item),
            enc(&q.actor),
            enc(&q.entity),
            enc(&q.from),
            enc(&q.to)
        )
    });
    let entries = records
        .iter()
        .take(HISTORY_PAGE as usize)
        .map(|r| HistoryView {
            id: r.id,
            at: jst_time(&r.at),
            actor: r.actor.clone(),
            what: describe_key(&catalog, &r.entity, &r.entity_key),
            action: action(&r.action).into(),
            before: describe_value(&r.before),
            after: describe_value(&r.after),
        })
        .collect();
    let chain = if session.user.role == mamori_core::Role::Admin {
        Some(
            state
                .store
                .verify_audit_chain()
                .await?
                .map_err(|b| b.to_string()),
        )
    } else {
        None
    };
    let filter = match item.split_once('/') {
        Some((i, target)) => describe_row(&catalog, i, target).unwrap_or(item),
        None => item,
    };
    let page = HistoryPage {
        nav: Some(nav(&state, &session, &org)),
        filter,
        q,
        actors,
        entities: entity_ids
            .into_iter()
            .map(|e| {
                let label = entity_label(&e).to_string();
                (e, label)
            })
            .collect(),
        chain,
        entries,
        older,
    };
    Ok(render(&page).into_response())
}

fn setting_label(key: &str) -> &str {
    match key {
        "require_totp" => "全員の二要素認証",
        other => other,
    }
}

/// The Japanese name of a kind of audited change.
fn entity_label(entity: &str) -> &str {
    match entity {
        "answer" => "チェックリストの回答",
        "org" => "施設",
        "user" => "利用者",
        "session" => "ログイン",
        "api_token" => "APIトークン",
        "settings" => "設定",
        "edition_import" => "チェックリストの版の取り込み",
        other => other,
    }
}
