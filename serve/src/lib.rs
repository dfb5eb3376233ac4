//! `earlyhelp serve`: the decision service case systems call over HTTP, and the playground a
//! policy officer opens in a browser. Both are faces of the engine's batch pipeline: every rule
//! lives in the engine; this crate does HTTP, keys, limits, reload and metrics.
//!
//! Layout: `registry` (the policies served, reloaded on change), `api` (the `/v1` endpoints
//! case systems call), `problem` (RFC 9457 error bodies), `openapi` (the document, generated
//! from the handlers), `playground` (the page and the endpoints only it needs).

mod api;
mod auth;
mod limits;
mod metrics;
mod openapi;
mod playground;
mod problem;
mod registry;

pub use metrics::log_to_stderr;
pub use registry::{LoadFailure, Registry, Served, Snapshot};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use problem::Problem;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// How the service runs. Fields are plain values so each part of the service reads its own.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The folder searched for `.policy` files to serve.
    pub policies: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The file of API keys' SHA-256 hashes, one a line.
    pub api_keys: Option<PathBuf>,
    /// Serve without keys (allowed on a loopback address only).
    pub no_auth: bool,
    /// The largest request body, in bytes, outside JSON Lines streams.
    pub max_body_bytes: usize,
    /// The most records one JSON Lines request may hold.
    pub max_records: usize,
    /// The longest a request may take.
    pub request_timeout: Duration,
    /// The most requests handled at once.
    pub max_concurrent: usize,
    /// How often the policies folder is looked at for changes.
    pub reload_every: Duration,
    /// On shutdown, how long new requests are answered 503 (so a load balancer moves away)
    /// before the listener closes; requests in flight are then drained.
    pub drain: Duration,
}

impl Config {
    /// Serves the policies under `policies` on 127.0.0.1:8080, with the default limits.
    pub fn new(policies: impl Into<PathBuf>) -> Config {
        Config {
            policies: policies.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_keys: None,
            no_auth: false,
            max_body_bytes: 1 << 20,
            max_records: 1_000_000,
            request_timeout: Duration::from_secs(60),
            max_concurrent: 256,
            reload_every: Duration::from_secs(1),
            drain: Duration::ZERO,
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) registry: Arc<Registry>,
    /// Set once shutdown begins: new requests are answered 503.
    pub(crate) draining: Arc<AtomicBool>,
    /// The OpenAPI document, as JSON text.
    pub(crate) openapi: Arc<OnceLock<String>>,
    /// Requests, latency and rows, for `/metrics`.
    pub(crate) metrics: Arc<metrics::Metrics>,
}

/// The whole HTTP application: the API, its document and the playground, behind the layers
/// every request passes.
fn router(state: AppState) -> Router {
    let (api, paths) = api::routes()
        .routes(utoipa_axum::routes!(openapi::serve))
        .routes(utoipa_axum::routes!(metrics::metrics))
        .split_for_parts();
    let mut doc = openapi::document(paths);
    auth::document(&mut doc);
    limits::document(&mut doc);
    let _ = state
        .openapi
        .set(doc.to_json().unwrap_or_else(|_| "{}".into()));
    api.merge(playground::routes())
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "Not found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                "this endpoint does not take that method (see /openapi.json)",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_while_draining,
        ))
        // Outermost last: every request is counted and logged, then needs a key, then meets
        // the limits.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limits::Enforcer::new(&state.config)),
            limits::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(auth::Auth::new(&state.config)),
            auth::require_key,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::observe,
        ))
        .with_state(state)
}

async fn refuse_while_draining(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        let mut response = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Shutting down",
            "the service is shutting down; retry on another instance",
        )
        .into_response();
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return response;
    }
    next.run(request).await
}

/// A running service.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<io::Result<()>>,
}

/// Asks a [`Server`] to shut down; cheap to clone.
#[derive(Clone)]
pub struct Shutdown(watch::Sender<bool>);

impl Shutdown {
    /// Begins a graceful shutdown: new requests get 503 for the configured drain time, then the
    /// listener closes and requests in flight finish.
    pub fn shutdown(&self) {
        let _ = self.0.send(true);
    }
}

/// Loads the policies, binds `config.listen` (port 0: a free port) and starts serving. Refuses
/// to start without API keys unless it listens on loopback with `no_auth`.
pub async fn bind(config: Config) -> io::Result<Server> {
    auth::check_start(&config).map_err(io::Error::other)?;
    let dir = config.policies.clone();
    let registry = Arc::new(
        tokio::task::spawn_blocking(move || Registry::load(&dir))
            .await
            .map_err(io::Error::other)?,
    );
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let watcher = registry.clone().watch(config.reload_every);
    let state = AppState {
        config: Arc::new(config),
        registry,
        draining: Arc::new(AtomicBool::new(false)),
        openapi: Arc::new(OnceLock::new()),
        metrics: Arc::default(),
    };
    let (stop, mut stopped) = watch::channel(false);
    let draining = state.draining.clone();
    let drain = state.config.drain;
    let app = router(state);
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
                draining.store(true, Ordering::SeqCst);
                tokio::time::sleep(drain).await;
            })
            .await;
        watcher.abort();
        result
    });
    Ok(Server { addr, stop, task })
}

impl Server {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that shuts it down.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown(self.stop.clone())
    }

    /// Waits until it has shut down and every request in flight has finished.
    pub async fn wait(self) -> io::Result<()> {
        self.task.await.map_err(io::Error::other)?
    }
}

/// Runs the service until SIGTERM or ctrl-c, then shuts down gracefully: `earlyhelp serve`.
pub fn run(config: Config) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    log_to_stderr();
    runtime.block_on(async {
        let server = bind(config).await?;
        eprintln!(
            "earlyhelp serve: listening on http://{}",
            server.local_addr()
        );
        let shutdown = server.shutdown_handle();
        tokio::spawn(async move {
            signal().await;
            eprintln!("earlyhelp serve: shutting down; finishing requests in flight");
            shutdown.shutdown();
        });
        server.wait().await
    })
}

/// SIGTERM (systemd, containers) or ctrl-c.
async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
