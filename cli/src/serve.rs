//! `earlyhelp serve`: arguments only; the service is the `earlyhelp-serve` crate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The folder of policies to serve (searched for `.policy` files; reloaded on change).
    #[arg(long)]
    policies: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The file of API keys' SHA-256 hashes, one a line (reloaded on change).
    #[arg(long)]
    api_keys: Option<PathBuf>,
    /// Serve without API keys: allowed only on a loopback address.
    #[arg(long, conflicts_with = "api_keys")]
    no_auth: bool,
    /// On SIGTERM, answer new requests 503 for this many seconds before closing the listener
    /// (so a load balancer moves away); requests in flight are then drained.
    #[arg(long, default_value_t = 0)]
    drain_seconds: u64,
    /// The largest JSON body, and the longest line of a JSON Lines body, in bytes
    /// [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    max_body_bytes: Option<usize>,
    /// The most records in one JSON Lines request [default: 1000000].
    #[arg(long, value_name = "N")]
    max_records: Option<usize>,
    /// The longest a request may take, its streamed rows included [default: 60].
    #[arg(long, value_name = "SECONDS")]
    request_timeout: Option<u64>,
    /// The most requests served at once; more are answered 429 [default: 256].
    #[arg(long, value_name = "N")]
    max_concurrent: Option<usize>,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut config = earlyhelp_serve::Config::new(&args.policies);
    config.listen = args.listen;
    config.api_keys = args.api_keys.clone();
    config.no_auth = args.no_auth;
    config.drain = Duration::from_secs(args.drain_seconds);
    // The defaults are the library's (`Config::new`); an option overrides one.
    config.max_body_bytes = args.max_body_bytes.unwrap_or(config.max_body_bytes);
    config.max_records = args.max_records.unwrap_or(config.max_records);
    if let Some(seconds) = args.request_timeout {
        config.request_timeout = Duration::from_secs(seconds);
    }
    config.max_concurrent = args.max_concurrent.unwrap_or(config.max_concurrent);
    match earlyhelp_serve::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: earlyhelp serve: {e}");
            ExitCode::from(2)
        }
    }
}
