//! Calls: built-ins (from the table in `crate::builtins`), `fn`s and `extern fn`s.

use super::*;

impl Checker<'_> {
    pub(super) fn call(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        args: &[ast::Expr],
        scope: &mut Scope,
        loc: Loc,
    ) -> Expr {
        let builtin = Builtin::named(&name.name);
        let shadowed = self.values.contains_key(&name.name);
        if let (Some(b), false) = (builtin, shadowed) {
            if args.len() != b.param_types.len() {
                let n = b.param_types.len();
                // "2 dates" when every parameter has one type, else "2 arguments".
                let noun = match b.param_types {
                    [first, rest @ ..] if rest.iter().all(|t| t == first) => self.show(first),
                    _ => "argument".to_string(),
                };
                let msg = format!(
                    "`{}` takes {n} {noun}{}, but {} {} given",
                    name.name,
                    if n == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                );
                self.error(loc, msg).help =
                    Some(format!("write `{}({})`", b.name, b.params.join(", ")));
            }
            let params = b.signature.split(" ->").next().unwrap_or(b.signature);
            let why = format!(
                "`{}` takes ({})",
                b.name,
                &params[b.name.len()..].trim_matches(['(', ')'])
            );
            let mut result = b.result.clone();
            let mut checked = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                let x = match b.param_types.get(i) {
                    Some(&crate::builtins::ANY_LEVEL) => {
                        let x = self.expr(file, a, scope, None);
                        match x.ty {
                            Type::Level(_) | Type::Error => result = x.ty.clone(),
                            _ => {
                                let msg = format!(
                                    "`{}` takes a level, but this is {}",
                                    b.name,
                                    self.show(&x.ty)
                                );
                                self.error(x.loc, msg);
                                result = Type::Error;
                            }
                        }
                        x
                    }
                    Some(want) => self.expect(file, a, scope, want, &why),
                    None => self.expr(file, a, scope, None),
                };
                checked.push(x);
            }
            return mk(
                Node::Builtin {
                    builtin: b,
                    args: checked,
                },
                result,
                loc,
            );
        }
        let Some((def @ (Def::Fn(_) | Def::Extern(_)), _)) = self.values.get(&name.name).copied()
        else {
            let mut names: Vec<String> = self
                .values
                .iter()
                .filter(|(_, (d, _))| matches!(d, Def::Fn(_) | Def::Extern(_)))
                .map(|(n, _)| n.clone())
                .collect();
            names.extend(crate::builtins::BUILTINS.iter().map(|b| b.name.to_string()));
            let help = did_you_mean(&name.name, names.iter().map(String::as_str));
            let msg = if builtin.is_some() {
                // A definition of the same name hides the built-in.
                format!(
                    "`{}` here is the policy's own definition, which hides the built-in function `{}`",
                    name.name, name.name
                )
            } else if self.values.contains_key(&name.name) {
                format!("`{}` is not a function", name.name)
            } else {
                format!("unknown function `{}`", name.name)
            };
            self.error(
                Loc {
                    file,
                    span: name.span,
                },
                msg,
            )
            .help = if builtin.is_some() {
                Some(format!("rename the definition of `{}`", name.name))
            } else {
                help
            };
            for a in args {
                self.expr(file, a, scope, None);
            }
            return mk(Node::Const(Value::unknown()), Type::Error, loc);
        };
        self.depend(def, loc);
        // An `extern fn` is typed by its declaration (see `crate::script`).
        let (params, ret, arity_known) = match def {
            Def::Extern(i) => {
                let (params, ret) = self.extern_signature(i);
                (params, ret, true)
            }
            Def::Fn(i) => {
                let ret = self.fn_type(i);
                let params = self
                    .fn_param_types
                    .get(i as usize)
                    .cloned()
                    .unwrap_or_default();
                (params, ret, self.fn_state_done(i))
            }
            _ => (Vec::new(), Type::Error, false),
        };
        if params.len() != args.len() && arity_known {
            let msg = format!(
                "`{}` takes {} argument{}, but {} {} given",
                name.name,
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                args.len(),
                if args.len() == 1 { "was" } else { "were" }
            );
            self.error(loc, msg);
        }
        let mut checked = Vec::new();
        for (k, a) in args.iter().enumerate() {
            let want = params.get(k).cloned();
            let mut x = self.expr(file, a, scope, want.as_ref());
            if let Some(w) = &want {
                if is_bare_number(a) && w.is_numeric() {
                    x.ty = w.clone();
                }
                let why = format!("argument {} of `{}` is {}", k + 1, name.name, self.show(w));
                self.must_fit(&x, w, &why);
            }
            checked.push(x);
        }
        let node = match def {
            Def::Extern(function) => Node::Extern {
                function,
                args: checked,
            },
            Def::Fn(function) => Node::Call {
                function,
                args: checked,
            },
            _ => Node::Const(Value::unknown()),
        };
        mk(node, ret, loc)
    }

    pub(super) fn fn_state_done(&self, i: u32) -> bool {
        self.fn_param_types.get(i as usize).is_some()
    }
}
