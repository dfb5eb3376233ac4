//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations
//! (`utoipa`), never written by hand.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "earlyhelp",
        description = "Decisions of early-help policies for case systems: one record or a stream \
                       of JSON Lines in, the rows `earlyhelp eval` writes out. Errors are problem \
                       details (RFC 9457).",
    ),
    tags(
        (name = "decisions", description = "Evaluating records"),
        (name = "policies", description = "The policies served, and checking policy text"),
        (name = "service", description = "Health and the API document"),
    )
)]
struct Base;

/// The document: the base above with every path the router registered.
pub(crate) fn document(paths: OpenApi) -> OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.merge(paths);
    doc
}

/// The OpenAPI 3.1 document of this service.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    let doc = state.openapi.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}
