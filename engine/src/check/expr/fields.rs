//! Field access: a record's field, a field of every element of a list, the properties of needs, groups and levels.

use super::*;

impl Checker<'_> {
    pub(super) fn record_field(&self, record: u32, name: &str) -> Option<(u32, &FieldDef)> {
        let rec = self.program.records.get(record as usize)?;
        rec.fields
            .iter()
            .enumerate()
            .find(|(_, f)| *f.name == *name)
            .map(|(i, f)| (i as u32, f))
    }

    pub(super) fn field(
        &mut self,
        file: FileId,
        base: &ast::Expr,
        field: &ast::Ident,
        scope: &mut Scope,
        loc: Loc,
    ) -> Expr {
        let floc = Loc {
            file,
            span: field.span,
        };
        // `Role.child`: a value of a named enum or scale.
        if let ExprKind::Name(type_name) = &base.kind {
            let shadowed =
                scope.local(&type_name.name).is_some() || self.values.contains_key(&type_name.name);
            if let (false, Some((def, _))) = (shadowed, self.types.get(&type_name.name).copied()) {
                self.used_types.insert(def);
                let ty = match def {
                    crate::check::TypeDef::Enum(i) => Type::Enum(i),
                    crate::check::TypeDef::Scale(i) => Type::Level(i),
                    crate::check::TypeDef::Record(_) => {
                        self.error(
                            loc,
                            format!("`{}` is a record type, not a value", type_name.name),
                        );
                        return mk(Node::Const(Value::unknown()), Type::Error, loc);
                    }
                };
                return match self.symbol_of(&ty, &field.name) {
                    Some(v) => mk(Node::Const(Value::Symbol(v)), ty, loc),
                    None => {
                        let msg = format!("`{}` is not a value of {}", field.name, type_name.name);
                        self.error(floc, msg);
                        mk(Node::Const(Value::unknown()), Type::Error, loc)
                    }
                };
            }
        }
        let b = self.expr(file, base, scope, None);
        // `p.age` reads a record's field; `children.age` projects it from every element.
        let record = match &b.ty {
            Type::Record(r) => Some((*r, false)),
            Type::List(inner) => match **inner {
                Type::Record(r) => Some((r, true)),
                _ => None,
            },
            _ => None,
        };
        if let Some((r, each)) = record {
            let Some((index, f)) = self.record_field(r, &field.name) else {
                let rec = &self.program.records[r as usize];
                let names: Vec<String> = rec.fields.iter().map(|f| f.name.to_string()).collect();
                let help = did_you_mean(&field.name, names.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!("the fields of {} are: {}", rec.name, names.join(", "))
                    });
                let msg = format!("record `{}` has no field `{}`", rec.name, field.name);
                self.error(floc, msg).help = Some(help);
                return mk(Node::Const(Value::unknown()), Type::Error, loc);
            };
            let (ty, name, base) = (f.ty.clone(), f.name.clone(), Box::new(b));
            return if each {
                mk(
                    Node::Project { base, index, name },
                    Type::List(Box::new(ty)),
                    loc,
                )
            } else {
                mk(Node::Field { base, index, name }, ty, loc)
            };
        }
        match b.ty.clone() {
            Type::Error => mk(Node::Const(Value::unknown()), Type::Error, loc),
            Type::Level(s) if field.name == "label" => mk(
                Node::Meta {
                    base: Box::new(b),
                    meta: Meta::LevelLabel(s),
                },
                Type::Text,
                loc,
            ),
            Type::Group | Type::Need => {
                let is_need = b.ty == Type::Need;
                let (meta, ty) = match (field.name.as_str(), is_need) {
                    ("id", _) => (Meta::Id, Type::Text),
                    ("label", _) => (Meta::Label, Type::Text),
                    ("met", _) => (Meta::Met, Type::Bool),
                    ("group", true) => (Meta::Group, Type::Group),
                    ("level", true) => match self.program.need_scale {
                        Some(s) => (Meta::Level, Type::Level(s)),
                        None => {
                            self.error(floc, "no need has a `level`").help =
                                Some("give indicators a level with `level NAME`".into());
                            return mk(Node::Const(Value::unknown()), Type::Error, loc);
                        }
                    },
                    ("needs", false) => (Meta::Needs, Type::List(Box::new(Type::Need))),
                    _ => {
                        let fields = if is_need {
                            "id, label, met, group, level"
                        } else {
                            "id, label, met, needs"
                        };
                        let what = if is_need { "a need" } else { "a group" };
                        self.error(floc, format!("{what} has no `{}`", field.name))
                            .help = Some(format!("{what} has: {fields}"));
                        return mk(Node::Const(Value::unknown()), Type::Error, loc);
                    }
                };
                mk(
                    Node::Meta {
                        base: Box::new(b),
                        meta,
                    },
                    ty,
                    loc,
                )
            }
            other => {
                let msg = format!("`.{}`: {} has no fields", field.name, self.show(&other));
                self.error(floc, msg);
                mk(Node::Const(Value::unknown()), Type::Error, loc)
            }
        }
    }
}
