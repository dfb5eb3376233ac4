//! Params, lets and fns: dated param values, and lets and fns typed on demand.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_params(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut idx = 0usize;
        for (file, module) in modules {
            for item in &module.items {
                let ast::Item::Param(p) = item else { continue };
                let file = *file;
                let ty = self.resolve_type(file, &p.ty);
                let mut values = Vec::new();
                match &p.value {
                    ast::ParamValue::Fixed(e) => {
                        if let Some(v) = self.constant(file, e, &ty) {
                            values.push((None, v));
                        }
                    }
                    ast::ParamValue::Dated(dated) => {
                        let mut last: Option<chrono::NaiveDate> = None;
                        for (date, e) in dated {
                            let loc = Loc {
                                file,
                                span: date.span,
                            };
                            let Some(d) = parse_date(&date.text) else {
                                self.error(loc, format!("`{}` is not a date", date.text));
                                continue;
                            };
                            if let Some(prev) = last {
                                if d <= prev {
                                    let msg = format!(
                                        "dated values of `{}` are out of order",
                                        p.name.name
                                    );
                                    let help = format!("list `from` dates oldest first: move `from {d}` above `from {prev}`");
                                    self.error(loc, msg).help = Some(help);
                                }
                            }
                            last = Some(d);
                            if let Some(v) = self.constant(file, e, &ty) {
                                values.push((Some(d), v));
                            }
                        }
                    }
                }
                if let Some(param) = self.program.params.get_mut(idx) {
                    param.ty = ty;
                    param.values = values;
                }
                idx += 1;
            }
        }
    }

    /// A param's value: a literal (or a negated one) or a value of the param's enum or scale.
    pub(super) fn constant(&mut self, file: FileId, e: &ast::Expr, ty: &Type) -> Option<Value> {
        let mut scope = expr::Scope::default();
        let checked = self.expr(file, e, &mut scope, Some(ty));
        let loc = Loc { file, span: e.span };
        if !checked.ty.fits(ty) {
            let msg = format!(
                "this value is {}, but the param is {}",
                self.show(&checked.ty),
                self.show(ty)
            );
            self.error(loc, msg);
            return None;
        }
        match checked.node {
            Node::Const(v) => Some(v),
            _ => {
                self.error(loc, "a param's value must be written out (a number, amount, date, duration or value)")
                    .help = Some("use `let` for a value computed from others".into());
                None
            }
        }
    }

    /// Type of a `let`, checking it first if needed.
    pub(crate) fn let_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Let(i), |c| c.check_let(i as usize))
    }

    pub(super) fn check_let(&mut self, iu: usize) -> Type {
        let (file, decl) = self.let_syntax[iu].clone();
        if let Some(t) = self.table_syntax.get(&(iu as u32)).cloned() {
            let (value, locals) = self.check_table(file, &t);
            let ty = value.ty.clone();
            self.lets_out[iu] = Some(Let { value, locals });
            return ty;
        }
        let want = decl.ty.as_ref().map(|t| self.resolve_type(file, t));
        let mut scope = expr::Scope::default();
        let value = self.expr(file, &decl.value, &mut scope, want.as_ref());
        let mut ty = value.ty.clone();
        if let Some(want) = &want {
            if !value.ty.fits(want) {
                // Uses of the let are checked against what the author declared.
                ty = want.clone();
                let msg = format!(
                    "`{}` is declared {}, but its value is {}",
                    decl.name.name,
                    self.show(want),
                    self.show(&value.ty)
                );
                self.error(
                    Loc {
                        file,
                        span: decl.value.span,
                    },
                    msg,
                );
            }
        }
        self.lets_out[iu] = Some(Let {
            value,
            locals: scope.max_slots,
        });
        ty
    }

    pub(crate) fn fn_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Fn(i), |c| c.check_fn(i as usize))
    }

    pub(super) fn check_fn(&mut self, iu: usize) -> Type {
        let (file, decl) = self.fn_syntax[iu].clone();
        let mut scope = expr::Scope::default();
        let mut param_types = Vec::new();
        for p in &decl.params {
            let ty = self.resolve_type(file, &p.ty);
            if scope.locals.iter().any(|(n, _, _)| *n == p.name.name) {
                self.error(
                    Loc {
                        file,
                        span: p.name.span,
                    },
                    format!("parameter `{}` is named twice", p.name.name),
                );
            }
            scope.bind(&p.name.name, ty.clone());
            param_types.push(ty);
        }
        self.fn_param_types[iu] = param_types;
        let want = decl.ret.as_ref().map(|t| self.resolve_type(file, t));
        let body = self.expr(file, &decl.body, &mut scope, want.as_ref());
        if let Some(want) = &want {
            if !body.ty.fits(want) {
                let msg = format!(
                    "`{}` is declared to return {}, but returns {}",
                    decl.name.name,
                    self.show(want),
                    self.show(&body.ty)
                );
                self.error(
                    Loc {
                        file,
                        span: decl.body.span,
                    },
                    msg,
                );
            }
        }
        let ty = body.ty.clone();
        self.fns_out[iu] = Some(Function {
            body,
            locals: scope.max_slots,
        });
        ty
    }
}
