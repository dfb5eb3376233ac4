//! Names: locals, lets, params, fns, needs, groups, decisions, the input, enum values and levels.

use super::*;

impl Checker<'_> {
    pub(super) fn name(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        scope: &mut Scope,
        want: Option<&Type>,
    ) -> Expr {
        let loc = Loc {
            file,
            span: name.span,
        };
        let n = name.name.as_str();
        // An enum value or level, where one is expected, wins over everything else.
        if let Some(v) = want.and_then(|w| self.symbol_of(w, n)) {
            return mk(
                Node::Const(Value::Symbol(v)),
                want.cloned().unwrap_or(Type::Error),
                loc,
            );
        }
        if let Some((slot, ty)) = scope.local(n) {
            return mk(Node::Local(slot), ty, loc);
        }
        // Fields of the element inside `where`.
        for &slot in scope.elements.iter().rev() {
            let Some((_, _, Type::Record(r))) = scope.locals.iter().find(|(_, s, _)| *s == slot)
            else {
                continue;
            };
            let r = *r;
            if let Some((index, f)) = self.record_field(r, n) {
                let base = mk(Node::Local(slot), Type::Record(r), loc);
                let ty = f.ty.clone();
                return mk(
                    Node::Field {
                        base: Box::new(base),
                        index,
                        name: f.name.clone(),
                    },
                    ty,
                    loc,
                );
            }
        }
        if let Some((def, _)) = self.values.get(n).copied() {
            self.depend(def, loc);
            return match def {
                Def::Input => {
                    let r = self.program.input.as_ref().map_or(u32::MAX, |i| i.1);
                    let ty = if r == u32::MAX {
                        Type::Error
                    } else {
                        Type::Record(r)
                    };
                    mk(Node::Input, ty, loc)
                }
                Def::Param(i) => {
                    let ty = self
                        .program
                        .params
                        .get(i as usize)
                        .map_or(Type::Error, |p| p.ty.clone());
                    mk(Node::Param(i), ty, loc)
                }
                Def::Let(i) => {
                    let ty = self.let_type(i);
                    mk(Node::Let(i), ty, loc)
                }
                Def::Fn(_) | Def::Extern(_) => {
                    self.error(
                        loc,
                        format!("`{n}` is a function: call it with its arguments, e.g. `{n}(…)`"),
                    );
                    mk(Node::Const(Value::unknown()), Type::Error, loc)
                }
                Def::Group(i) => mk(Node::Group(i), Type::Bool, loc),
                Def::Need(i) => mk(Node::Need(i), Type::Bool, loc),
                Def::Decision(i) => {
                    let ty = self.decision_type(i);
                    if self.is_per_member(i) {
                        self.error(loc, format!("`{n}` is decided for each member, so it has no one value to use here"))
                            .help = Some("put the calculation in a `fn` of the member, and use that here and in the decision".into());
                        return mk(Node::Const(Value::unknown()), Type::Error, loc);
                    }
                    mk(Node::Decision(i), ty, loc)
                }
            };
        }
        match n {
            "as_at" => return mk(Node::AsAt, Type::Date, loc),
            "groups" => {
                self.depend_on_all_needs(loc);
                return mk(
                    Node::Const(Value::unknown()),
                    Type::List(Box::new(Type::Group)),
                    loc,
                )
                .all_groups();
            }
            "needs" | "indicators" => {
                self.depend_on_all_needs(loc);
                return mk(
                    Node::Const(Value::unknown()),
                    Type::List(Box::new(Type::Need)),
                    loc,
                )
                .all_needs();
            }
            _ => {}
        }
        // A value of exactly one enum or scale needs no context.
        let owners: Vec<(Type, u32)> = self.symbol_owners(n);
        match owners.as_slice() {
            [(ty, v)] => return mk(Node::Const(Value::Symbol(*v)), ty.clone(), loc),
            [] => {}
            many => {
                let names: Vec<String> = many.iter().map(|(t, _)| self.show(t)).collect();
                let msg = format!(
                    "`{n}` is a value of {}: which one is meant?",
                    names.join(" and ")
                );
                let help = format!(
                    "compare it with a field of the type, or write e.g. `{}.{n}`",
                    names[0]
                );
                self.error(loc, msg).help = Some(help);
                return mk(Node::Const(Value::unknown()), Type::Error, loc);
            }
        }
        let mut candidates: Vec<String> = scope.locals.iter().map(|(n, _, _)| n.clone()).collect();
        candidates.extend(self.values.keys().cloned());
        for &slot in &scope.elements {
            if let Some((_, _, Type::Record(r))) = scope.locals.iter().find(|(_, s, _)| *s == slot)
            {
                if let Some(rec) = self.program.records.get(*r as usize) {
                    candidates.extend(rec.fields.iter().map(|f| f.name.to_string()));
                }
            }
        }
        if let Some(Type::Enum(e) | Type::Level(e)) = want {
            let values = if matches!(want, Some(Type::Enum(_))) {
                &self.program.enums
            } else {
                &self.program.scales
            };
            if let Some(def) = values.get(*e as usize) {
                let list = def.values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
                let help = did_you_mean(n, list.iter().map(String::as_str)).unwrap_or_else(|| {
                    format!("the values of {} are: {}", def.name, list.join(", "))
                });
                self.error(loc, format!("`{n}` is not a value of {}", def.name))
                    .help = Some(help);
                return mk(Node::Const(Value::unknown()), Type::Error, loc);
            }
        }
        let help = did_you_mean(n, candidates.iter().map(String::as_str));
        self.error(loc, format!("unknown name `{n}`")).help = help;
        mk(Node::Const(Value::unknown()), Type::Error, loc)
    }

    pub(super) fn symbol_of(&self, ty: &Type, name: &str) -> Option<u32> {
        match ty {
            Type::List(inner) => self.symbol_of(inner, name),
            ty => self.program.values_of(ty)?.symbol(name),
        }
    }

    pub(super) fn symbol_owners(&self, name: &str) -> Vec<(Type, u32)> {
        let enums = self
            .program
            .enums
            .iter()
            .enumerate()
            .map(|(i, d)| (Type::Enum(i as u32), d));
        let scales = self
            .program
            .scales
            .iter()
            .enumerate()
            .map(|(i, d)| (Type::Level(i as u32), d));
        enums
            .chain(scales)
            .filter_map(|(t, d)| {
                d.values
                    .iter()
                    .position(|v| **v == *name)
                    .map(|p| (t, p as u32))
            })
            .collect()
    }
}
