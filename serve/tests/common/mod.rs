//! A server started by a test on a loopback port, and stopped by it.

use earlyhelp_serve::{Config, Shutdown};

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
