//! The example families shipped beside the policies: `DIR/examples/` (families for every policy)
//! and each policy folder's `examples/`. They are fictional families, written to show the rules
//! at work, so the page may show them whole.

use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One example family, as the page offers it.
#[derive(Debug, Serialize)]
pub(crate) struct Family {
    /// The file, relative to the served folder (`supporting-families/examples/no-needs.json`).
    pub(crate) file: String,
    /// The policy folder it sits in, or `None` for the shared `examples/` folder.
    pub(crate) folder: Option<String>,
    /// The record, as the file holds it.
    pub(crate) record: Value,
}

/// Every example family (`*.json`), the shared folder's first, in file order. A file that is
/// not JSON is left out: the page offers families, and a broken one is no example.
pub(crate) fn families(dir: &Path) -> Vec<Family> {
    example_files(dir, "json")
        .into_iter()
        .filter_map(|(folder, path)| {
            let text = std::fs::read_to_string(&path).ok()?;
            let record = serde_json::from_str(&text).ok()?;
            Some(Family {
                file: relative(dir, &path),
                folder,
                record,
            })
        })
        .collect()
}

/// The example population a comparison runs over: every example family and every record of
/// the `*.jsonl` populations. A line that is not JSON stays in as `null`, so the comparison
/// counts it as an error rather than losing it.
pub(crate) fn population(dir: &Path) -> Vec<Value> {
    let mut records: Vec<Value> = families(dir).into_iter().map(|f| f.record).collect();
    for (_, path) in example_files(dir, "jsonl") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        records.extend(
            text.lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| serde_json::from_str(line).unwrap_or(Value::Null)),
        );
    }
    records
}

/// `(policy folder, file)` for every file with extension `ext` in `dir/examples` and
/// `dir/*/examples`.
fn example_files(dir: &Path, ext: &str) -> Vec<(Option<String>, PathBuf)> {
    let mut folders: Vec<(Option<String>, PathBuf)> = vec![(None, dir.join("examples"))];
    let mut policy_folders: Vec<PathBuf> =
        read_dir(dir).into_iter().filter(|p| p.is_dir()).collect();
    policy_folders.sort();
    for folder in policy_folders {
        let name = folder.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref() != Some("examples") {
            folders.push((name, folder.join("examples")));
        }
    }
    let mut found = Vec::new();
    for (name, folder) in folders {
        let mut files: Vec<PathBuf> = read_dir(&folder)
            .into_iter()
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
            .collect();
        files.sort();
        found.extend(files.into_iter().map(|f| (name.clone(), f)));
    }
    found
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
