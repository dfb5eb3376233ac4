//! Declarations: every name, first, so definitions may refer to each other in any order; and the
//! header (`in_force`, `as_at`).

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn declare_value(&mut self, name: &ast::Ident, file: FileId, def: Def) {
        let loc = Loc {
            file,
            span: name.span,
        };
        if let Some(&(_, first)) = self.values.get(&name.name) {
            let msg = format!("`{}` is defined twice", name.name);
            self.defined_twice(loc, first, msg, "; rename one of them");
            return;
        }
        self.values.insert(name.name.clone(), (def, loc));
        self.def_locs.insert(def, loc);
    }

    pub(super) fn declare_type(&mut self, name: &ast::Ident, file: FileId, def: TypeDef) {
        let loc = Loc {
            file,
            span: name.span,
        };
        if BUILTIN_TYPES.contains(&name.name.as_str()) {
            self.error(
                loc,
                format!("`{}` is a built-in type and cannot be redefined", name.name),
            );
            return;
        }
        if let Some(&(_, first)) = self.types.get(&name.name) {
            let msg = format!("type `{}` is defined twice", name.name);
            self.defined_twice(loc, first, msg, "");
            return;
        }
        self.types.insert(name.name.clone(), (def, loc));
    }

    /// A name defined again at `again`, first defined at `first`: one error, with the first
    /// definition as its related place and in its help (followed by `advice`).
    fn defined_twice(&mut self, again: Loc, first: Loc, message: String, advice: &str) {
        let help = format!(
            "the first definition is at {}:{}{advice}",
            self.file_name(first.file),
            self.line_of(first)
        );
        self.findings.push(
            Finding::error(again, message)
                .related(first, "first defined here")
                .label("defined again here")
                .help(help),
        );
    }

    /// First pass: every name, so definitions may refer to each other in any order.
    pub(super) fn declare_all(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut need_ids: HashMap<String, Loc> = HashMap::new();
        // A tests file (`tests for "x.policy"`) tests x: x's header and decisions count as main.
        let tested: Vec<FileId> = modules
            .first()
            .into_iter()
            .flat_map(|(_, m)| &m.items)
            .filter_map(|i| match i {
                ast::Item::TestsFor(t) => {
                    let name = load::join(&self.files.first()?.name, &t.value);
                    self.files
                        .iter()
                        .position(|f| f.name == name)
                        .map(|p| p as FileId)
                }
                _ => None,
            })
            .collect();
        self.main_files.extend(tested);
        for (file, module) in modules {
            let file = *file;
            let is_main = self.main_files.contains(&file);
            for item in &module.items {
                match item {
                    ast::Item::Header(h) if is_main => {
                        self.header.name = h.name.name.clone();
                        self.header.title = h.title.as_ref().map(|t| t.value.clone());
                        self.header.version = h.version.as_ref().map(|t| t.value.clone());
                        self.header.source = h.source.as_ref().map(|t| t.value.clone());
                        self.header.in_force = h.in_force.as_ref().and_then(|f| {
                            let to = match &f.to {
                                Some(t) => Some(parse_date(&t.text)?),
                                None => None,
                            };
                            Some((parse_date(&f.from.text)?, to))
                        });
                    }
                    ast::Item::Enum(e) => {
                        let idx = self.program.enums.len() as u32;
                        let def = self.labelled(file, &e.name, &e.values, "enum");
                        self.program.enums.push(def);
                        self.declare_type(&e.name, file, TypeDef::Enum(idx));
                    }
                    ast::Item::Scale(s) => {
                        let idx = self.program.scales.len() as u32;
                        let def = self.labelled(file, &s.name, &s.levels, "scale");
                        self.program.scales.push(def);
                        self.declare_type(&s.name, file, TypeDef::Scale(idx));
                    }
                    ast::Item::Record(r) => {
                        let idx = self.program.records.len() as u32;
                        self.program.records.push(RecordDef {
                            name: r.name.name.clone(),
                            fields: Vec::new(),
                        });
                        self.declare_type(&r.name, file, TypeDef::Record(idx));
                    }
                    ast::Item::Input(i) => {
                        if let Some((name, _)) = &self.program.input {
                            let msg = format!("the policy already reads `{name}` as its input");
                            self.error(Loc { file, span: i.span }, msg).help =
                                Some("a policy has one `input`".into());
                        } else {
                            self.program.input = Some((i.name.name.clone(), u32::MAX));
                            self.declare_value(&i.name, file, Def::Input);
                        }
                    }
                    ast::Item::Param(p) => {
                        let idx = self.program.params.len() as u32;
                        self.program.params.push(Param {
                            name: p.name.name.clone(),
                            ty: Type::Error,
                            values: Vec::new(),
                        });
                        self.declare_value(&p.name, file, Def::Param(idx));
                    }
                    ast::Item::Let(l) => {
                        let idx = self.let_syntax.len() as u32;
                        self.let_syntax.push((file, l.clone()));
                        self.declare_value(&l.name, file, Def::Let(idx));
                    }
                    // A table is a let whose value is the table (checked in `table.rs`).
                    ast::Item::Table(t) => {
                        let idx = self.let_syntax.len() as u32;
                        self.let_syntax.push((file, table::as_let(t)));
                        self.table_syntax.insert(idx, t.clone());
                        self.declare_value(&t.name, file, Def::Let(idx));
                    }
                    ast::Item::Fn(f) => {
                        let idx = self.fn_syntax.len() as u32;
                        self.fn_syntax.push((file, f.clone()));
                        self.declare_value(&f.name, file, Def::Fn(idx));
                    }
                    ast::Item::ExternFn(f) => {
                        let idx = self.externs.decls.len() as u32;
                        self.externs.decls.push((file, f.clone()));
                        self.declare_value(&f.name, file, Def::Extern(idx));
                    }
                    ast::Item::ExternLimits(l) => self.externs.limits.push((file, l.clone())),
                    // Read and declared by `load` (see `schema`).
                    ast::Item::UseTypes(_) => {}
                    ast::Item::Group(g) => {
                        let gi = self.program.groups.len() as u32;
                        self.declare_value(&g.id, file, Def::Group(gi));
                        let mut needs = Vec::new();
                        for n in &g.needs {
                            let ni = self.need_syntax.len() as u32;
                            let loc = Loc {
                                file,
                                span: n.id.span,
                            };
                            if let Some(first) = need_ids.get(&n.id.name) {
                                let help = format!("need and indicator ids must be unique; the first is at line {}", self.line_of(*first));
                                self.error(loc, format!("need id `{}` is used twice", n.id.name))
                                    .help = Some(help);
                                continue;
                            }
                            need_ids.insert(n.id.name.clone(), loc);
                            self.need_syntax.push((file, n.clone()));
                            self.declare_value(&n.id, file, Def::Need(ni));
                            needs.push(ni);
                        }
                        self.program.groups.push(Group {
                            id: Arc::from(g.id.name.as_str()),
                            label: g.label.value.clone(),
                            source: g.source.as_ref().map(|s| s.value.clone()),
                            needs,
                        });
                    }
                    ast::Item::Decision(d) if is_main => {
                        let idx = self.decision_syntax.len() as u32;
                        self.decision_syntax.push((file, d.clone()));
                        self.declare_value(&d.name, file, Def::Decision(idx));
                    }
                    ast::Item::Test(t) if file == 0 => self.tests.push(TestCase {
                        file,
                        decl: t.clone(),
                    }),
                    _ => {}
                }
            }
        }
        self.let_memo = Memo::new(self.let_syntax.len());
        self.fn_memo = Memo::new(self.fn_syntax.len());
        self.fn_param_types = vec![Vec::new(); self.fn_syntax.len()];
        self.decision_memo = Memo::new(self.decision_syntax.len());
        self.lets_out = vec![None; self.let_syntax.len()];
        self.fns_out = vec![None; self.fn_syntax.len()];
        self.decisions_out = vec![None; self.decision_syntax.len()];
        if self.header.name.is_empty() {
            self.header.name = self
                .files
                .first()
                .map(|f| {
                    f.name
                        .rsplit('/')
                        .next()
                        .unwrap_or(&f.name)
                        .trim_end_matches(".policy")
                        .to_string()
                })
                .unwrap_or_default();
        }
    }

    pub(super) fn labelled(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        values: &[ast::Labelled],
        what: &str,
    ) -> EnumDef {
        let mut def = EnumDef {
            name: name.name.clone(),
            values: Vec::new(),
            labels: Vec::new(),
        };
        for v in values {
            if def.values.iter().any(|x| **x == *v.id.name) {
                let loc = Loc {
                    file,
                    span: v.id.span,
                };
                self.error(
                    loc,
                    format!("`{}` appears twice in {what} `{}`", v.id.name, name.name),
                );
                continue;
            }
            def.values.push(Arc::from(v.id.name.as_str()));
            def.labels.push(v.label.as_ref().map(|l| l.value.clone()));
        }
        if def.values.is_empty() {
            self.error(
                Loc {
                    file,
                    span: name.span,
                },
                format!("{what} `{}` has no values", name.name),
            );
        }
        def
    }

    /// The header of the policy (in a `tests for` file, the tested policy's): its dates and its
    /// `as_at`, which every evaluation and test uses.
    pub(super) fn check_header(&mut self, modules: &[(FileId, ast::Module)]) {
        let headers: Vec<(FileId, &ast::Header)> = modules
            .iter()
            .filter(|(file, _)| self.main_files.contains(file))
            .flat_map(|(file, m)| {
                m.items.iter().filter_map(move |i| match i {
                    ast::Item::Header(h) => Some((*file, h)),
                    _ => None,
                })
            })
            .collect();
        for (file, h) in headers {
            if let Some(f) = &h.in_force {
                let mut dates = Vec::new();
                for d in std::iter::once(&f.from).chain(f.to.as_ref()) {
                    let loc = Loc { file, span: d.span };
                    match parse_date(&d.text) {
                        Some(day) => dates.push((day, loc)),
                        None => {
                            self.error(loc, format!("`{}` is not a date", d.text));
                        }
                    }
                }
                if let [(from, _), (to, loc)] = dates[..] {
                    if to < from {
                        self.error(
                            loc,
                            format!(
                                "the policy stops being in force ({to}) before it starts ({from})"
                            ),
                        )
                        .help =
                            Some("write `in_force FROM to TO` with FROM on or before TO".into());
                    }
                }
            }
            if let Some(e) = &h.as_at {
                let mut scope = expr::Scope::default();
                let checked = self.expr(file, e, &mut scope, Some(&Type::Date));
                if !checked.ty.fits(&Type::Date) {
                    let msg = format!(
                        "`as_at` must be a date, but this is {}",
                        self.show(&checked.ty)
                    );
                    self.error(Loc { file, span: e.span }, msg);
                }
                self.program.as_at = Some((checked, scope.max_slots));
            }
        }
    }
}
