//! The agents' API: enrolment with a one-time token, and inventories posted by an enrolled agent or a user
//! (merged into the 機器台帳 by `mamori_app::inventory`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use mamori_app::inventory::{AGENT_TOKEN_PREFIX, import_inventory, parse_inventory};
use mamori_core::Action;
use serde_json::json;

use crate::AppState;
use crate::api::bearer;
use crate::error::{ApiError, ApiResult};

/// `POST /api/v1/agent/inventory`: the body is the JSON of `mamori agent collect`. Sent by an enrolled
/// agent (with its own credential it may post only its own machine's inventory) or by a user whose token
/// may edit the ledgers.
pub(crate) async fn api_inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (org, source, agent) = match agent_of(&state, &headers).await? {
        Some(agent) => {
            let org = state.store.org(agent.org_id).await?;
            crate::request_log::record_org(org.id);
            (org, format!("agent:{}", agent.hostname), Some(agent))
        }
        None => {
            let (user, org) = bearer(&state, &headers).await?;
            crate::permit(&user, Action::EditLedgers)
                .map_err(|m| ApiError::status(StatusCode::FORBIDDEN, m))?;
            (org, user.login, None)
        }
    };
    let inv = parse_inventory(&body)
        .map_err(|m| ApiError::status(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    if let Some(agent) = agent
        && !agent.machine_id.is_empty()
        && inv.machine_id != agent.machine_id
    {
        return Err(ApiError::status(
            StatusCode::FORBIDDEN,
            "この機器の資格情報では、別の機器（machine-id が違う）の一覧は送れません",
        ));
    }
    let done = import_inventory(&state, &org, &source, &inv).await?;
    let status = if done.outcome == "review" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(json!(done))).into_response())
}

/// The agent whose credential (「Bearer agent_…」) the request carries, if it carries one.
async fn agent_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<mamori_store::Agent>, ApiError> {
    let Some(token) =
        crate::api::bearer_token(headers).filter(|t| t.starts_with(AGENT_TOKEN_PREFIX))
    else {
        return Ok(None);
    };
    state
        .store
        .agent_by_token(&mamori_app::auth::token_hash(token), state.clock.now())
        .await?
        .map(Some)
        .ok_or_else(|| {
            ApiError::status(
                StatusCode::UNAUTHORIZED,
                "この機器の資格情報は無効です（取り消されたか、登録し直されました）。登録用トークンで登録し直してください",
            )
        })
}

#[derive(serde::Deserialize)]
struct EnrollRequest {
    enroll_token: String,
    hostname: String,
    #[serde(default)]
    machine_id: String,
}

/// `POST /api/v1/agent/enroll`: an enrolment token for the machine's own credential (shown once).
pub(crate) async fn api_enroll(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let req: EnrollRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("登録の依頼として読めません（{e}）"),
        )
    })?;
    if req.hostname.trim().is_empty() || req.hostname.len() > 255 || req.machine_id.len() > 255 {
        return Err(ApiError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ホスト名（255文字以内）が必要です",
        ));
    }
    let credential = format!("{AGENT_TOKEN_PREFIX}{}", mamori_app::auth::new_token());
    let agent = state
        .store
        .enroll_agent(
            &mamori_app::auth::token_hash(req.enroll_token.trim()),
            &mamori_app::auth::token_hash(&credential),
            req.hostname.trim(),
            req.machine_id.trim(),
            state.clock.now(),
        )
        .await?
        .ok_or_else(|| {
            ApiError::status(
                StatusCode::UNAUTHORIZED,
                "登録用トークンが正しくないか、期限が切れています。管理者に新しい登録用トークンを発行してもらってください",
            )
        })?;
    let org = state.store.org(agent.org_id).await?;
    Ok(axum::Json(json!({
        "agent_id": agent.id,
        "credential": credential,
        "organization": org.name,
    }))
    .into_response())
}
