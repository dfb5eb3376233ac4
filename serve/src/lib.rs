//! `earlyhelp serve`: the decision service case systems call over HTTP, and the playground a
//! policy officer opens in a browser. Both are faces of the engine's batch pipeline: every rule
//! lives in the engine; this crate does HTTP, keys, limits, reload and metrics.
//!
//! Layout: `registry` (the policies served, reloaded on change), `api` (the `/v1` endpoints
//! case systems call), `problem` (RFC 9457 error bodies), `playground` (the page and the
//! endpoints only it needs).

mod api;
mod playground;
mod problem;
mod registry;

pub use registry::{Registry, Served};

use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

/// How the service runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The folder searched for `.policy` files to serve.
    pub policies: PathBuf,
}

impl Config {
    /// Serves the policies under `policies`.
    pub fn new(policies: impl Into<PathBuf>) -> Config {
        Config {
            policies: policies.into(),
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) registry: Arc<Registry>,
}

/// The whole HTTP application: the API and the playground.
pub fn router(config: Config) -> Router {
    let registry = Arc::new(Registry::load(&config.policies));
    let state = AppState {
        config: Arc::new(config),
        registry,
    };
    Router::new()
        .merge(api::routes())
        .merge(playground::routes())
        .with_state(state)
}
