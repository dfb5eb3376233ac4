//! API keys: `Authorization: Bearer <key>` checked against the SHA-256 hashes in the keys file.
//! The file is read again when it changes, so a key is added or withdrawn without a restart.
//! Only hashes are held: a leaked keys file or memory dump gives no usable key.

use crate::problem::Problem;
use crate::Config;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::OpenApi;

/// How often, at most, the keys file is looked at for a change.
const RELOAD_EVERY: Duration = Duration::from_secs(1);

type Hash = [u8; 32];

/// The keys a request may present, or none at all (`--no-auth`).
pub(crate) struct Auth {
    keys: Option<KeyFile>,
}

struct KeyFile {
    path: PathBuf,
    state: Mutex<KeyState>,
}

struct KeyState {
    hashes: Arc<Vec<Hash>>,
    /// What the file looked like when `hashes` was read from it.
    stamp: Option<(SystemTime, u64)>,
    checked: Instant,
}

impl Auth {
    /// The keys of `config`. A keys file that cannot be read serves no key at all, so every
    /// request is refused: [`check_start`] is where the operator hears why.
    pub(crate) fn new(config: &Config) -> Auth {
        let keys = if config.no_auth {
            None
        } else {
            let path = config.api_keys.clone().unwrap_or_default();
            let hashes = read_hashes(&path).unwrap_or_default();
            Some(KeyFile {
                state: Mutex::new(KeyState {
                    hashes: Arc::new(hashes),
                    stamp: stamp(&path),
                    checked: Instant::now(),
                }),
                path,
            })
        };
        Auth { keys }
    }

    fn allows(&self, request: &Request) -> bool {
        let Some(keys) = &self.keys else {
            return true;
        };
        let Some(key) = bearer(request) else {
            return false;
        };
        let presented: Hash = Sha256::digest(key.as_bytes()).into();
        let hashes = keys.current();
        // Every hash is compared, each in constant time, so timing tells nothing of which
        // key came close.
        let mut found = false;
        for hash in hashes.iter() {
            found |= same(hash, &presented);
        }
        found
    }
}

impl KeyFile {
    /// The hashes in force, read again if the file changed since they were read.
    fn current(&self) -> Arc<Vec<Hash>> {
        let Ok(mut state) = self.state.lock() else {
            return Arc::new(Vec::new());
        };
        if state.checked.elapsed() >= RELOAD_EVERY {
            state.checked = Instant::now();
            let now = stamp(&self.path);
            if now != state.stamp {
                match read_hashes(&self.path) {
                    Ok(hashes) => {
                        tracing::info!(keys = hashes.len(), "api keys reloaded");
                        state.hashes = Arc::new(hashes);
                        state.stamp = now;
                    }
                    // A file caught half-written, or broken by an edit, keeps the keys in force.
                    Err(error) => tracing::warn!(%error, "api keys file not reloaded"),
                }
            }
        }
        Arc::clone(&state.hashes)
    }
}

fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

fn same(a: &Hash, b: &Hash) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The hashes in a keys file: one SHA-256 in hex a line; blank lines and `#` comments allowed.
fn read_hashes(path: &Path) -> Result<Vec<Hash>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the api keys file {}: {error}", path.display()))?;
    let mut hashes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let hash = parse_hex(line).ok_or_else(|| {
            format!(
                "{}:{}: not a SHA-256 hash (64 hex digits); make one with: printf %s \"$KEY\" | sha256sum",
                path.display(),
                index + 1
            )
        })?;
        hashes.push(hash);
    }
    Ok(hashes)
}

fn parse_hex(text: &str) -> Option<Hash> {
    let text = text.split_whitespace().next()?; // sha256sum's output has "  -" after the hash
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(hash)
}

/// Whether `config` may start: keys are required, unless it listens on a loopback address and
/// `--no-auth` was given. The message says what to do.
pub(crate) fn check_start(config: &Config) -> Result<(), String> {
    let listen = config.listen;
    match (&config.api_keys, config.no_auth) {
        (Some(_), true) => Err("give either --api-keys or --no-auth, not both".into()),
        (None, true) if listen.ip().is_loopback() => Ok(()),
        (None, true) => Err(format!(
            "--no-auth is allowed only on a loopback address (127.0.0.1 or [::1]), not {listen}: \
             records are personal data; give --api-keys FILE to serve on the network"
        )),
        (None, false) => Err(
            "no API keys: give --api-keys FILE (SHA-256 hashes of the keys, one a \
             line), or --no-auth to serve without keys on a loopback address"
                .into(),
        ),
        (Some(path), false) => match read_hashes(path) {
            Ok(hashes) if hashes.is_empty() => Err(format!(
                "the api keys file {} holds no key hash",
                path.display()
            )),
            Ok(_) => Ok(()),
            Err(message) => Err(message),
        },
    }
}

/// Whether a path is open without a key: the health probe, and the playground's page itself
/// (it asks for the key before calling anything).
fn open(request: &Request) -> bool {
    let path = request.uri().path();
    path == "/health" || path == "/" || path.starts_with("/playground/static/")
}

/// The middleware: 401 with a problem body and `WWW-Authenticate: Bearer` without a valid key.
pub(crate) async fn require_key(
    State(auth): State<Arc<Auth>>,
    request: Request,
    next: Next,
) -> Response {
    if open(&request) || auth.allows(&request) {
        return next.run(request).await;
    }
    let mut response = Problem::new(
        StatusCode::UNAUTHORIZED,
        "API key required",
        "send a valid key as `Authorization: Bearer <key>`",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"earlyhelp\""),
    );
    response
}

/// Declares the bearer key in `doc`: a security scheme, required by every operation but
/// `/health`, and the 401 answer.
pub(crate) fn document(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        if path == "/health" {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let required = SecurityRequirement::new("api_key", Vec::<String>::new());
            operation.security = Some(vec![required]);
        }
    }
    crate::limits::add_problem(
        doc,
        401,
        "No valid API key (`Authorization: Bearer <key>`)",
        |path, _| path != "/health",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_hashes_parse_and_others_do_not() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(parse_hex(hash).map(|h| h[0]), Some(0x9f));
        assert_eq!(parse_hex(&format!("{hash}  -")).map(|h| h[31]), Some(0x08));
        assert!(parse_hex(&hash[1..]).is_none());
        assert!(parse_hex(&hash.replace('9', "g")).is_none());
    }

    #[test]
    fn comparison_sees_every_byte() {
        let a = [7u8; 32];
        let mut b = a;
        assert!(same(&a, &b));
        b[31] = 6;
        assert!(!same(&a, &b));
    }
}
