//! Reading a policy's files: the main file and, through a [`Loader`], the files it imports.
//! The engine does no IO itself; `Policy::from_file` supplies a loader that reads the disk.

use crate::diagnostic::{Finding, SourceFile};
use crate::ir::{FileId, Loc};
use earlyhelp_grammar::ast;

/// Supplies the text of imported files.
pub(crate) trait Loader: Sync {
    /// The file `path` names, as written in `import "path"` inside `importer`: its display name
    /// (used in diagnostics and to spot a file imported twice) and its text.
    fn load(&self, importer: &str, path: &str) -> Result<SourceFile, LoadFailure>;

    /// The script `path` names, as written in `extern fn … = script "path"` inside `policy`: read
    /// like an import unless the loader says otherwise.
    fn load_script(&self, policy: &str, path: &str) -> Result<SourceFile, LoadFailure> {
        self.load(policy, path)
    }
}

/// Why an import could not be read, and what would help.
pub(crate) struct LoadFailure {
    pub reason: String,
    pub help: Option<String>,
}

/// For policies given as text: imports are an error.
pub(crate) struct NoImports;

impl Loader for NoImports {
    fn load(&self, _importer: &str, _path: &str) -> Result<SourceFile, LoadFailure> {
        Err(LoadFailure {
            reason: "a policy given as text cannot import".into(),
            help: Some("load the policy from its file so its imports can be read".into()),
        })
    }
    fn load_script(&self, _policy: &str, _path: &str) -> Result<SourceFile, LoadFailure> {
        Err(LoadFailure {
            reason: "a policy given as text cannot read scripts".into(),
            help: Some("load the policy from its file so its scripts can be read".into()),
        })
    }
}

/// Parses `main` and everything it imports, depth first. Module 0 is the main file.
/// `use types from "x.schema.json"`: reads the schema (it becomes one of the policy's files, in
/// its content hash), reports what cannot be mapped at its place in the schema, and checks the
/// declarations it maps to as a module of their own (see `super::schema`).
#[allow(clippy::too_many_arguments)] // the same state `visit` threads through
fn use_types(
    importer: FileId,
    importer_name: &str,
    path: &ast::Text,
    loader: &dyn Loader,
    files: &mut Vec<SourceFile>,
    findings: &mut Vec<Finding>,
    modules: &mut Vec<(FileId, ast::Module)>,
    chain: &mut Vec<String>,
) {
    let loc = Loc {
        file: importer,
        span: path.span,
    };
    let schema = match loader.load(importer_name, &path.value) {
        Ok(s) => s,
        Err(why) => {
            let mut f = Finding::error(loc, format!("cannot read the schema \"{}\"", path.value))
                .label(why.reason);
            f.help = why.help;
            findings.push(f);
            return;
        }
    };
    if files.iter().any(|f| f.name == schema.name) {
        return; // already read, through another file
    }
    let schema_id = files.len() as FileId;
    let mapped = super::schema::to_policy(&schema.text);
    let name = format!("{} (record types)", schema.name);
    files.push(schema);
    let at = |span| Loc {
        file: schema_id,
        span,
    };
    match mapped {
        Err(why) => {
            let mut f = Finding::error(at(why.span), why.message);
            f.help = why.help;
            findings.push(f);
        }
        Ok((text, unmapped)) => {
            for u in unmapped {
                let mut f = Finding::error(at(u.span), u.message);
                f.help = u.help;
                findings.push(f);
            }
            visit(
                SourceFile { name, text },
                loader,
                files,
                findings,
                modules,
                chain,
            );
        }
    }
}

pub(crate) fn load_all(
    main: SourceFile,
    loader: &dyn Loader,
    files: &mut Vec<SourceFile>,
    findings: &mut Vec<Finding>,
) -> Vec<(FileId, ast::Module)> {
    let mut modules = Vec::new();
    let mut chain = Vec::new();
    visit(main, loader, files, findings, &mut modules, &mut chain);
    modules.sort_by_key(|(id, _)| *id);
    modules
}

fn visit(
    file: SourceFile,
    loader: &dyn Loader,
    files: &mut Vec<SourceFile>,
    findings: &mut Vec<Finding>,
    modules: &mut Vec<(FileId, ast::Module)>,
    chain: &mut Vec<String>,
) {
    let id = files.len() as FileId;
    let name = file.name.clone();
    let parsed = earlyhelp_grammar::parse(&file.text);
    files.push(file);
    let module = match parsed {
        Ok(m) => m,
        Err(e) => {
            findings.push(Finding::error(
                Loc {
                    file: id,
                    span: e.span,
                },
                format!("syntax error: {}", e.message),
            ));
            if let Some(last) = findings.last_mut() {
                last.help = e.help;
            }
            return;
        }
    };
    chain.push(name.clone());
    for item in &module.items {
        if let ast::Item::UseTypes(path) = item {
            use_types(id, &name, path, loader, files, findings, modules, chain);
            continue;
        }
        let (ast::Item::Import(path) | ast::Item::TestsFor(path)) = item else {
            continue;
        };
        let loc = Loc {
            file: id,
            span: path.span,
        };
        match loader.load(&name, &path.value) {
            Err(why) => {
                let mut f = Finding::error(loc, format!("cannot import \"{}\"", path.value))
                    .label(why.reason);
                f.help = why.help;
                findings.push(f);
            }
            Ok(imported) => {
                if chain.contains(&imported.name) {
                    let msg = if imported.name == name {
                        format!("\"{}\" imports itself", path.value)
                    } else {
                        let start = chain.iter().position(|c| *c == imported.name).unwrap_or(0);
                        let circle: Vec<&str> = chain[start..]
                            .iter()
                            .map(|c| c.rsplit('/').next().unwrap_or(c))
                            .collect();
                        let back = imported.name.rsplit('/').next().unwrap_or(&imported.name);
                        format!(
                            "imports go round in a circle: {} → {back}",
                            circle.join(" → ")
                        )
                    };
                    findings.push(
                        Finding::error(loc, msg).help("remove the import that closes the circle"),
                    );
                } else if files.iter().any(|f| f.name == imported.name) {
                    // Already loaded through another import: its definitions are in scope once.
                } else {
                    visit(imported, loader, files, findings, modules, chain);
                }
            }
        }
    }
    chain.pop();
    modules.push((id, module));
}

/// Joins an import path onto the importing file's folder, tidying `.` and `..`.
pub(crate) fn join(importer: &str, path: &str) -> String {
    let mut parts: Vec<&str> = importer.split('/').collect();
    parts.pop();
    if path.starts_with('/') {
        parts.clear();
        parts.push("");
    }
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| !p.is_empty() && *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn join_tidies_relative_paths() {
        assert_eq!(
            super::join("policies/sf/sf.policy", "../shared/x.policy"),
            "policies/shared/x.policy"
        );
        assert_eq!(super::join("sf.policy", "x.policy"), "x.policy");
        assert_eq!(super::join("sf.policy", "../x.policy"), "../x.policy");
        assert_eq!(super::join("/a/b.policy", "./c.policy"), "/a/c.policy");
    }
}
