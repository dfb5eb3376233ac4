//! Decisions: each decision's value, per-member decisions (`for each`) and `only when`.

use super::*;

impl<'a> Checker<'a> {
    /// Whether decision `i` is made for each member (`for each c in xs`).
    pub(crate) fn is_per_member(&self, i: u32) -> bool {
        self.decision_syntax
            .get(i as usize)
            .is_some_and(|(_, d)| d.for_each.is_some())
    }

    pub(crate) fn decision_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Decision(i), |c| c.check_decision(i as usize))
    }

    pub(super) fn check_decision(&mut self, iu: usize) -> Type {
        let (file, decl) = self.decision_syntax[iu].clone();
        let mut scope = expr::Scope::default();
        let mut for_each = decl
            .for_each
            .as_ref()
            .map(|f| self.check_for_each(file, f, &mut scope));
        let mut value = self.expr(file, &decl.value, &mut scope, None);
        // `… only when cond`: where `cond` is false the decision has no value (unknown, with
        // nothing missing); where it is unknown, what it needs is missing.
        if let Some(g) = &decl.only_when {
            let guard = self.expect(
                file,
                g,
                &mut scope,
                &Type::Bool,
                "`only when` takes a yes/no condition",
            );
            let guarded = |e: Expr| {
                let (ty, loc) = (e.ty.clone(), e.loc);
                let none = Expr {
                    node: Node::Const(Value::unknown()),
                    ty: ty.clone(),
                    loc,
                };
                Expr {
                    node: Node::When {
                        arms: vec![(guard.clone(), e)],
                        otherwise: Box::new(none),
                    },
                    ty,
                    loc,
                }
            };
            match &mut for_each {
                Some(f) => f.list = guarded(std::mem::replace(&mut f.list, guard.clone())),
                None => value = guarded(value),
            }
        }
        if contains_record(&value.ty) {
            let msg = format!("decision `{}` would output a whole record", decl.name.name);
            self.error(
                Loc {
                    file,
                    span: decl.value.span,
                },
                msg,
            )
            .help =
                Some("decide a yes/no, a level, a number, a text, a date or a list of ids".into());
        }
        let ty = value.ty.clone();
        self.decisions_out[iu] = Some(DecisionDef {
            name: decl.name.name.clone(),
            label: decl.label.as_ref().map(|l| l.value.clone()),
            for_each,
            value,
            locals: scope.max_slots,
            internal: decl.internal,
        });
        ty
    }

    /// `for each c in xs` of a per-member decision: `xs` must be a list of records that have a
    /// required text `id` (the output is keyed by it); `c` is bound for the decision's value.
    pub(super) fn check_for_each(
        &mut self,
        file: FileId,
        f: &ast::ForEach,
        scope: &mut expr::Scope,
    ) -> ForEach {
        let list = self.expr(file, &f.list, scope, None);
        let loc = Loc {
            file,
            span: f.list.span,
        };
        let element = match list.ty.element() {
            Some(t) => t.clone(),
            None => {
                let msg = format!(
                    "`for each` needs a list, but this is {}",
                    self.show(&list.ty)
                );
                self.error(loc, msg).help = Some(
                    "write `for each c in children`, over a list of records with an `id`".into(),
                );
                Type::Error
            }
        };
        let mut id_field = 0;
        if let Type::Record(r) = &element {
            let id = self.program.records.get(*r as usize).and_then(|rec| {
                rec.fields
                    .iter()
                    .position(|fd| &*fd.name == "id" && fd.ty == Type::Text && fd.required)
            });
            match id {
                Some(i) => id_field = i as u32,
                None => {
                    let msg = format!(
                        "a decision for each member is keyed by the member's `id`, but `{}` has no `id: text required`",
                        self.show(&element)
                    );
                    self.error(loc, msg).help =
                        Some("declare `id: text required` in the record".into());
                }
            }
        } else if element != Type::Error {
            let msg = format!(
                "a decision for each member needs a list of records with an `id`, but this is a list of {}",
                self.show(&element)
            );
            self.error(loc, msg).help =
                Some("write `for each c in children`, over a list of records with an `id`".into());
        }
        let slot = scope.bind(&f.binder.name, element);
        ForEach {
            binder: f.binder.name.clone(),
            list,
            slot,
            id_field,
        }
    }
}
