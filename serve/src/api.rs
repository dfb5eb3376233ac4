//! The `/v1` endpoints case systems call, and `/health`.

use crate::problem::Problem;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/v1/policies", get(policies))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "Not found", "no such endpoint") })
}

async fn policies(State(state): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = state
        .registry
        .list()
        .iter()
        .map(|served| json!({"name": served.policy.name(), "version": served.policy.version()}))
        .collect();
    Json(json!({ "policies": list, "folder": state.config.policies.display().to_string() }))
}
