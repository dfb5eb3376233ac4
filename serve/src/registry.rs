//! The policies a service serves: every `.policy` file under a folder that loads cleanly, by
//! name — test files and files only imported by others excepted. Reloaded when the folder
//! changes: a file that no longer loads keeps its last good version serving and is reported.

use earlyhelp::{Diagnostic, Policy};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// One policy being served: the loaded policy and the file and text it came from. A request
/// holds its `Arc` from start to end, so a reload never changes the version under it.
#[derive(Debug)]
pub struct Served {
    /// The policy, checked and ready to evaluate.
    pub policy: Policy,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The file, relative to the served folder (as `/v1/policies` names it).
    pub file: String,
    /// The file's text, as loaded.
    pub source: String,
}

/// A file that does not load, with its diagnostics (the policy's, never a record's).
#[derive(Clone, Debug, Serialize)]
pub struct LoadFailure {
    /// The file, relative to the served folder.
    pub file: String,
    /// Why, when it is the file rather than its text (it cannot be read, its name is taken).
    pub error: Option<String>,
    /// Why it does not load.
    pub diagnostics: Vec<Diagnostic>,
    /// The name of the earlier version still served in its place, if one loaded before.
    pub serving: Option<String>,
}

/// What is served at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The policies served, by name.
    pub policies: BTreeMap<String, Arc<Served>>,
    /// The files that do not load.
    pub failures: Vec<LoadFailure>,
}

/// The policies being served, swapped whole on reload.
#[derive(Debug)]
pub struct Registry {
    dir: PathBuf,
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    /// Loads every policy under `dir`, reporting on stderr those that do not load.
    pub fn load(dir: &Path) -> Registry {
        let snapshot = build(dir, &Snapshot::default());
        Registry {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(snapshot)),
        }
    }

    /// What is served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock still holds a whole snapshot: swapping is one assignment.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The policy called `name`, as served now.
    pub fn get(&self, name: &str) -> Option<Arc<Served>> {
        self.snapshot().policies.get(name).cloned()
    }

    /// Loads the folder again; what loads replaces what was served, what does not leaves the
    /// earlier version serving.
    pub fn reload(&self) {
        let next = Arc::new(build(&self.dir, &self.snapshot()));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// Polls the folder every `every` and reloads once a change has settled (no further change
    /// for one more poll, so an editor's several writes load as one).
    pub(crate) fn watch(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut seen = stamp(&self.dir);
            let mut pending = false;
            loop {
                tokio::time::sleep(every).await;
                let registry = self.clone();
                let Ok(now) = tokio::task::spawn_blocking(move || stamp(&registry.dir)).await
                else {
                    continue;
                };
                if now != seen {
                    seen = now;
                    pending = true;
                } else if pending {
                    pending = false;
                    let registry = self.clone();
                    let _ = tokio::task::spawn_blocking(move || registry.reload()).await;
                }
            }
        })
    }
}

/// Every file under `dir` with its modification time and length: a change to any of them
/// (a policy, an imported file, a schema) triggers a reload.
fn stamp(dir: &Path) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map(|m| m.len()).unwrap_or(0);
            (path, modified, len)
        })
        .collect();
    files.sort();
    files
}

fn build(dir: &Path, previous: &Snapshot) -> Snapshot {
    let texts: Vec<(PathBuf, Result<String, String>)> = walk(dir)
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "policy")
                && !p.to_string_lossy().ends_with(".tests.policy")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| e.to_string());
            (p, text)
        })
        .collect();
    // Files another file imports (the shared record, words) are parts, not policies to serve.
    let imported: HashSet<PathBuf> = texts
        .iter()
        .filter_map(|(path, text)| Some((path, text.as_ref().ok()?)))
        .flat_map(|(path, text)| {
            let here = path.parent().unwrap_or(Path::new("")).to_path_buf();
            imports(text)
                .into_iter()
                .map(move |i| lexical(&here.join(i)))
        })
        .collect();
    let mut next = Snapshot::default();
    for (path, text) in texts {
        if imported.contains(&lexical(&path)) {
            continue;
        }
        let file = relative(dir, &path);
        let text = match text {
            Ok(text) => text,
            Err(why) => {
                let why = format!("cannot read the policy: {why}");
                next.failures
                    .push(failure(&file, Some(why), Vec::new(), None));
                continue;
            }
        };
        match Policy::from_text_at(&path, &text) {
            // A file that decides nothing only declares things for others: nothing to serve.
            Ok(policy) if policy.decisions().is_empty() => {}
            Ok(policy) => {
                let name = policy.name().to_string();
                if let Some(other) = next.policies.get(&name) {
                    let why = format!("policy `{name}` is also declared by {}", other.file);
                    next.failures
                        .push(failure(&file, Some(why), Vec::new(), None));
                    continue;
                }
                // An unchanged policy keeps its `Arc`: nothing to swap under requests.
                let served = match previous.policies.get(&name) {
                    Some(old)
                        if old.path == path
                            && old.policy.content_hash() == policy.content_hash() =>
                    {
                        old.clone()
                    }
                    _ => Arc::new(Served {
                        policy,
                        path,
                        file,
                        source: text,
                    }),
                };
                next.policies.insert(name, served);
            }
            Err(e) => {
                let kept = previous
                    .policies
                    .values()
                    .find(|s| s.path == path)
                    .filter(|s| !next.policies.contains_key(s.policy.name()))
                    .cloned();
                let serving = kept.as_ref().map(|s| s.policy.name().to_string());
                if let Some(kept) = kept {
                    next.policies
                        .insert(kept.policy.name().to_string(), kept.clone());
                }
                let diagnostics = relative_diagnostics(dir, e.diagnostics);
                next.failures
                    .push(failure(&file, None, diagnostics, serving));
            }
        }
    }
    next
}

fn failure(
    file: &str,
    error: Option<String>,
    diagnostics: Vec<Diagnostic>,
    serving: Option<String>,
) -> LoadFailure {
    let kept = match &serving {
        Some(name) => format!("; its last good version of `{name}` is still served"),
        None => "; it is not served".into(),
    };
    let why = error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    eprintln!("earlyhelp serve: {file} does not load{why}{kept}");
    for d in &diagnostics {
        eprintln!("{d}");
    }
    LoadFailure {
        file: file.to_string(),
        error,
        diagnostics,
        serving,
    }
}

/// The files an `import "…"` line of `text` names (a line-level read: enough to tell which
/// files are parts of others; the checker reads imports properly when it loads them).
pub(crate) fn imports(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix("import"))
        .filter_map(|rest| rest.trim().strip_prefix('"')?.split('"').next())
        .collect()
}

/// `path` with `.` and `..` resolved by name, so two spellings of one file compare equal.
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `dir`, with `/` between its parts.
fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Diagnostics naming their files relative to the served folder, as `/v1/policies` does, never
/// as this machine does.
pub(crate) fn relative_diagnostics(dir: &Path, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let prefix = format!("{}/", dir.to_string_lossy().replace('\\', "/"));
    let prefix = prefix.replace("//", "/");
    diagnostics
        .into_iter()
        .map(|mut d| {
            let files =
                std::iter::once(&mut d.file).chain(d.related.iter_mut().map(|r| &mut r.file));
            for file in files {
                if let Some(rest) = file.strip_prefix(&prefix) {
                    *file = rest.to_string();
                }
            }
            d
        })
        .collect()
}

/// Every file under `dir`, in path order.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_read_from_import_lines() {
        let text =
            "# import \"no.policy\"\nimport \"../shared/a.policy\"\n  import \"b.policy\" # why\n";
        assert_eq!(imports(text), vec!["../shared/a.policy", "b.policy"]);
    }

    #[test]
    fn paths_compare_by_name() {
        assert_eq!(
            lexical(Path::new("p/sf/../shared/./a.policy")),
            PathBuf::from("p/shared/a.policy")
        );
    }
}
