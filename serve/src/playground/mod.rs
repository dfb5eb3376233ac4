//! The playground: `GET /`, a page on which a policy officer edits a policy, tries it on example
//! families, runs its tests and compares it with the shipped version — and the endpoints only
//! that page needs (`/playground/...`). The page's files are compiled into the binary: it needs
//! no build step and nothing from the internet. Every rule, row, explanation and comparison comes
//! from the engine; this module only finds files and speaks HTTP.

mod api;
mod examples;

use crate::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| asset("text/html; charset=utf-8", INDEX)))
        .route(
            "/playground/static/app.js",
            get(|| asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route(
            "/playground/static/highlight.js",
            get(|| asset("text/javascript; charset=utf-8", HIGHLIGHT_JS)),
        )
        .route(
            "/playground/static/app.css",
            get(|| asset("text/css; charset=utf-8", APP_CSS)),
        )
        // The editor's highlighting reads the VS Code extension's grammar: one list of
        // keywords and token classes for both.
        .route(
            "/playground/static/grammar.json",
            get(|| asset("application/json", GRAMMAR)),
        )
        .route("/playground/api/policies/{name}", get(api::policy))
        .route("/playground/api/examples", get(api::examples))
        .route("/playground/api/evaluate", post(api::evaluate))
        .route("/playground/api/test", post(api::test))
        .route("/playground/api/compare", post(api::compare))
}

const INDEX: &str = include_str!("../../playground/index.html");
const APP_JS: &str = include_str!("../../playground/static/app.js");
const HIGHLIGHT_JS: &str = include_str!("../../playground/static/highlight.js");
const APP_CSS: &str = include_str!("../../playground/static/app.css");
const GRAMMAR: &str = include_str!("../../../editors/vscode/syntaxes/policy.tmLanguage.json");

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The page runs only its own files: no inline script, nothing from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
