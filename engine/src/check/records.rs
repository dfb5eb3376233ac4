//! Records and types: `record` fields resolved to types, and records that contain themselves.

use super::*;

impl<'a> Checker<'a> {
    pub(crate) fn resolve_type(&mut self, file: FileId, t: &ast::TypeExpr) -> Type {
        match t {
            ast::TypeExpr::List(inner, _) => Type::List(Box::new(self.resolve_type(file, inner))),
            ast::TypeExpr::Named(name) => match name.name.as_str() {
                "bool" => Type::Bool,
                "number" => Type::Number,
                "percent" => Type::Percent,
                "money" => Type::Money,
                "text" => Type::Text,
                "date" => Type::Date,
                "duration" => Type::Duration,
                other => match self.types.get(other) {
                    Some((def, _)) => {
                        let def = *def;
                        self.used_types.insert(def);
                        match def {
                            TypeDef::Enum(i) => Type::Enum(i),
                            TypeDef::Record(i) => Type::Record(i),
                            TypeDef::Scale(i) => Type::Level(i),
                        }
                    }
                    None => {
                        let loc = Loc {
                            file,
                            span: name.span,
                        };
                        let names: Vec<String> = BUILTIN_TYPES
                            .iter()
                            .map(|s| s.to_string())
                            .chain(self.types.keys().cloned())
                            .collect();
                        let help = did_you_mean(other, names.iter().map(String::as_str));
                        self.error(loc, format!("unknown type `{other}`")).help = help;
                        Type::Error
                    }
                },
            },
        }
    }

    pub(super) fn resolve_records(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut idx = 0usize;
        for (file, module) in modules {
            for item in &module.items {
                if let ast::Item::Record(r) = item {
                    let mut fields: Vec<FieldDef> = Vec::new();
                    for f in &r.fields {
                        let ty = self.resolve_type(*file, &f.ty);
                        let loc = Loc {
                            file: *file,
                            span: f.name.span,
                        };
                        if fields.iter().any(|x| *x.name == *f.name.name) {
                            self.error(
                                loc,
                                format!(
                                    "field `{}` appears twice in record `{}`",
                                    f.name.name, r.name.name
                                ),
                            );
                            continue;
                        }
                        if matches!(ty, Type::Duration) {
                            self.error(loc, "a record field cannot be a duration").help =
                                Some("record a date, or a number of days".into());
                        }
                        fields.push(FieldDef {
                            name: Arc::from(f.name.name.as_str()),
                            ty,
                            required: f.required,
                        });
                    }
                    if let Some(rec) = self.program.records.get_mut(idx) {
                        rec.fields = fields;
                    }
                    idx += 1;
                }
                if let ast::Item::Input(i) = item {
                    let ty = self.resolve_type(*file, &i.ty);
                    let loc = Loc {
                        file: *file,
                        span: i.ty.span(),
                    };
                    match ty {
                        Type::Record(r) => {
                            if let Some(input) = self.program.input.as_mut() {
                                if input.1 == u32::MAX {
                                    input.1 = r;
                                }
                            }
                        }
                        Type::Error => {}
                        _ => {
                            self.error(loc, "the input must be a record type").help =
                                Some("declare it with `record Name { … }`".into());
                        }
                    }
                }
            }
        }
        if self.program.input.is_none() && !self.decision_syntax.is_empty() {
            let loc = Loc {
                file: 0,
                span: ast::Span::new(0, 0),
            };
            self.error(loc, "the policy has no `input`").help =
                Some("say which record it reads, e.g. `input family: Family`".into());
        }
        self.detect_record_recursion();
    }

    /// A record that contains itself would need an infinite record: refuse it.
    pub(super) fn detect_record_recursion(&mut self) {
        // A record contains itself exactly when it lies on a cycle of record types: found for
        // all records at once, in time linear in their fields (a search from each record in
        // turn took cubic time on a long chain of records).
        let records = &self.program.records;
        let edges: Vec<Vec<usize>> = records
            .iter()
            .map(|r| {
                r.fields
                    .iter()
                    .filter_map(|f| {
                        let mut t = &f.ty;
                        while let Type::List(inner) = t {
                            t = inner;
                        }
                        match t {
                            Type::Record(next) if (*next as usize) < records.len() => {
                                Some(*next as usize)
                            }
                            _ => None,
                        }
                    })
                    .collect()
            })
            .collect();
        for (i, on_cycle) in on_cycles(&edges).into_iter().enumerate() {
            if on_cycle {
                let name = self.program.records[i].name.clone();
                if let Some((_, loc)) = self.types.get(&name).copied() {
                    self.error(loc, format!("record `{name}` contains itself"));
                }
            }
        }
    }
}
