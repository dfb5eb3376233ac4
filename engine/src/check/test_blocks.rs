//! Tests: `test` blocks checked against the policy's decisions, needs and groups.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_tests(&mut self, modules: &[(FileId, ast::Module)]) {
        let tests = std::mem::take(&mut self.tests);
        for t in &tests {
            for step in &t.decl.steps {
                let ast::TestStep::Expect(e) = step else {
                    if let ast::TestStep::AsAt(d) = step {
                        if parse_date(&d.text).is_none() {
                            self.error(
                                Loc {
                                    file: t.file,
                                    span: d.span,
                                },
                                format!("`{}` is not a date", d.text),
                            );
                        }
                    }
                    continue;
                };
                match &e.kind {
                    ast::ExpectKind::Decision { name, .. }
                        if !self
                            .decision_syntax
                            .iter()
                            .any(|(_, d)| d.name.name == name.name) =>
                    {
                        let names: Vec<String> = self
                            .decision_syntax
                            .iter()
                            .map(|(_, d)| d.name.name.clone())
                            .collect();
                        let help = did_you_mean(&name.name, names.iter().map(String::as_str));
                        self.error(
                            Loc {
                                file: t.file,
                                span: name.span,
                            },
                            format!("the policy has no decision `{}`", name.name),
                        )
                        .help = help;
                    }
                    ast::ExpectKind::Need { subject, id, .. } => {
                        let found = match subject {
                            ast::NeedSubject::Need => {
                                self.program.needs.iter().any(|n| *n.id == *id.name)
                            }
                            ast::NeedSubject::Group => {
                                self.program.groups.iter().any(|g| *g.id == *id.name)
                            }
                        };
                        if !found {
                            let names: Vec<String> = match subject {
                                ast::NeedSubject::Need => self
                                    .program
                                    .needs
                                    .iter()
                                    .map(|n| n.id.to_string())
                                    .collect(),
                                ast::NeedSubject::Group => self
                                    .program
                                    .groups
                                    .iter()
                                    .map(|g| g.id.to_string())
                                    .collect(),
                            };
                            let help = did_you_mean(&id.name, names.iter().map(String::as_str));
                            let what = if *subject == ast::NeedSubject::Group {
                                "group"
                            } else {
                                "need"
                            };
                            self.error(
                                Loc {
                                    file: t.file,
                                    span: id.span,
                                },
                                format!("the policy has no {what} `{}`", id.name),
                            )
                            .help = help;
                        }
                    }
                    _ => {}
                }
            }
        }
        let _ = modules;
        self.tests = tests;
    }
}
