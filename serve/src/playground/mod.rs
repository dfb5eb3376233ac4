//! The playground: `GET /` and the endpoints only the page needs.

use crate::AppState;
use axum::Router;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
