//! The policies a service serves: every `.policy` file under a folder (tests and imported-only
//! files excepted) that loads cleanly, by name.

use earlyhelp::Policy;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One policy being served: the loaded policy and the file and text it came from.
#[derive(Debug)]
pub struct Served {
    /// The policy, checked and ready to evaluate.
    pub policy: Policy,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The file's text, as loaded.
    pub source: String,
}

/// The policies being served, by name.
#[derive(Debug, Default)]
pub struct Registry {
    policies: BTreeMap<String, Arc<Served>>,
}

impl Registry {
    /// Loads every policy under `dir`; one that does not load is left out.
    pub fn load(dir: &Path) -> Registry {
        let mut policies = BTreeMap::new();
        for path in policy_files(dir) {
            let Ok(source) = std::fs::read_to_string(&path) else {
                continue;
            };
            if let Ok(policy) = Policy::from_text_at(&path, &source) {
                let served = Served {
                    policy,
                    path,
                    source,
                };
                policies.insert(served.policy.name().to_string(), Arc::new(served));
            }
        }
        Registry { policies }
    }

    /// The policy called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Served>> {
        self.policies.get(name).cloned()
    }

    /// Every policy served, by name.
    pub fn list(&self) -> Vec<Arc<Served>> {
        self.policies.values().cloned().collect()
    }
}

/// The `.policy` files under `dir`, in path order, without test files.
fn policy_files(dir: &Path) -> Vec<PathBuf> {
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
            } else if path.extension().is_some_and(|e| e == "policy")
                && !path.to_string_lossy().ends_with(".tests.policy")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
