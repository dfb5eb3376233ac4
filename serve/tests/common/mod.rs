//! A server started by a test on a loopback port, and stopped by it.

use earlyhelp_serve::{Config, Shutdown};
use serde_json::Value;

pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub shutdown: Shutdown,
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts a server with `config` as given (its `listen` a loopback address, port 0 for a free one).
pub async fn start(config: Config) -> Running {
    let server = earlyhelp_serve::bind(config).await.expect("binds");
    let base = format!("http://{}", server.local_addr());
    let shutdown = server.shutdown_handle();
    let done = tokio::spawn(server.wait());
    Running {
        base,
        shutdown,
        done,
    }
}

impl Running {
    /// Stops the server and waits for it to drain and exit cleanly.
    pub async fn stop(self) {
        self.shutdown.shutdown();
        self.done.await.expect("joins").expect("stops cleanly");
    }
}

/// The body of a problem answer (RFC 9457) with `status`: its media type, status, title and
/// detail checked.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}
