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
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut config = earlyhelp_serve::Config::new(&args.policies);
    config.listen = args.listen;
    config.api_keys = args.api_keys.clone();
    config.no_auth = args.no_auth;
    config.drain = Duration::from_secs(args.drain_seconds);
    match earlyhelp_serve::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: earlyhelp serve: {e}");
            ExitCode::from(2)
        }
    }
}
