//! The graph of definitions: definitions that depend on themselves, and ones nothing uses.

use super::*;

impl<'a> Checker<'a> {
    /// Definitions may not depend on themselves, however indirectly: evaluation must end.
    pub(super) fn check_cycles(&mut self) {
        let mut done: std::collections::HashSet<Def> = Default::default();
        let mut defs: Vec<Def> = self.deps.keys().copied().collect();
        defs.sort_by_key(|d| self.def_locs.get(d).map(|l| (l.file, l.span.start)));
        for start in defs {
            let mut stack = vec![(start, None::<Loc>)];
            self.dfs(start, &mut stack, &mut done);
        }
    }

    pub(super) fn dfs(
        &mut self,
        d: Def,
        path: &mut Vec<(Def, Option<Loc>)>,
        done: &mut std::collections::HashSet<Def>,
    ) {
        if done.contains(&d) {
            return;
        }
        let next = self.deps.get(&d).cloned().unwrap_or_default();
        for (n, loc) in next {
            if let Some(pos) = path.iter().position(|(p, _)| *p == n) {
                let names: Vec<String> = path[pos..]
                    .iter()
                    .map(|(p, _)| self.def_name(*p))
                    .chain([self.def_name(n)])
                    .collect();
                let msg = format!(
                    "`{}` depends on itself: {}",
                    self.def_name(n),
                    names.join(" → ")
                );
                self.error(loc, msg).help =
                    Some("definitions must not refer back to themselves".into());
                done.insert(n);
                continue;
            }
            path.push((n, Some(loc)));
            self.dfs(n, path, done);
            path.pop();
        }
        done.insert(d);
    }

    /// Warns about definitions in the main file that nothing uses. A file with no decisions is a
    /// library of shared definitions, where unused is normal.
    pub(super) fn check_unused(&mut self, modules: &[(FileId, ast::Module)]) {
        // With errors, "unused" is usually a knock-on effect of a misspelt use.
        let errors = self
            .findings
            .iter()
            .any(|f| f.severity == crate::diagnostic::Severity::Error);
        if self.decision_syntax.is_empty() || errors {
            return;
        }
        let mut warnings = Vec::new();
        for (name, (def, loc)) in &self.values {
            if loc.file != 0 || self.used.contains(def) {
                continue;
            }
            let what = match def {
                Def::Param(_) => "param",
                Def::Let(_) => "let",
                Def::Fn(_) => "fn",
                Def::Extern(_) => "extern fn",
                _ => continue,
            };
            warnings.push(
                Finding::warning(*loc, format!("{what} `{name}` is never used"))
                    .help("remove it, or use it in a rule"),
            );
        }
        for (name, (def, loc)) in &self.types {
            if loc.file == 0 && !self.used_types.contains(def) && matches!(def, TypeDef::Scale(_)) {
                warnings.push(
                    Finding::warning(*loc, format!("scale `{name}` is never used"))
                        .help("remove it, or give indicators a `level`"),
                );
            } else if loc.file == 0 && !self.used_types.contains(def) {
                warnings.push(
                    Finding::warning(*loc, format!("type `{name}` is never used"))
                        .help("remove it, or use it in a record"),
                );
            }
        }
        warnings.sort_by_key(|w| w.start);
        self.findings.extend(warnings);
        let _ = modules;
    }

    pub(super) fn def_name(&self, d: Def) -> String {
        match d {
            Def::Input => self
                .program
                .input
                .as_ref()
                .map(|i| i.0.clone())
                .unwrap_or_default(),
            Def::Param(i) => self
                .program
                .params
                .get(i as usize)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            Def::Let(i) => self
                .let_syntax
                .get(i as usize)
                .map(|(_, l)| l.name.name.clone())
                .unwrap_or_default(),
            Def::Fn(i) => self
                .fn_syntax
                .get(i as usize)
                .map(|(_, f)| f.name.name.clone())
                .unwrap_or_default(),
            Def::Extern(i) => self.extern_name(i),
            Def::Group(i) => self
                .program
                .groups
                .get(i as usize)
                .map(|g| g.id.to_string())
                .unwrap_or_default(),
            Def::Need(i) => self
                .need_syntax
                .get(i as usize)
                .map(|(_, n)| n.id.name.clone())
                .unwrap_or_default(),
            Def::Decision(i) => self
                .decision_syntax
                .get(i as usize)
                .map(|(_, d)| d.name.name.clone())
                .unwrap_or_default(),
        }
    }
}
