//! Typing and resolving expressions.

use super::{Checker, Def};
use crate::diagnostic::{comparison_help, did_you_mean};
use crate::ir::*;
use crate::value::{parse_date, parse_decimal, Duration, Value};
use earlyhelp_grammar::ast::{self, Agg, BinOp, ExprKind, LitKind};

/// Names bound inside a definition: function parameters and quantifier binders, each in a slot.
#[derive(Default)]
pub(crate) struct Scope {
    pub locals: Vec<(String, u32, Type)>,
    /// Slots holding the element of an enclosing `where`, innermost last: their fields are names.
    elements: Vec<u32>,
    pub max_slots: u32,
}

impl Scope {
    pub(crate) fn bind(&mut self, name: &str, ty: Type) -> u32 {
        let slot = self.locals.len() as u32;
        self.locals.push((name.to_string(), slot, ty));
        self.max_slots = self.max_slots.max(slot + 1);
        slot
    }
    fn unbind(&mut self) {
        self.locals.pop();
    }
    fn local(&self, name: &str) -> Option<(u32, Type)> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map(|(_, s, t)| (*s, t.clone()))
    }
}

fn mk(node: Node, ty: Type, loc: Loc) -> Expr {
    Expr { node, ty, loc }
}

/// A number written without a unit (`90`, `-3`): it takes the unit of what it is compared with.
pub(crate) fn is_bare_number(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(l) => l.kind == LitKind::Number,
        ExprKind::Neg(x) => is_bare_number(x),
        _ => false,
    }
}

impl Checker<'_> {
    pub(crate) fn expr(
        &mut self,
        file: FileId,
        e: &ast::Expr,
        scope: &mut Scope,
        want: Option<&Type>,
    ) -> Expr {
        let loc = Loc { file, span: e.span };
        match &e.kind {
            ExprKind::Lit(l) => self.literal(file, l, want),
            ExprKind::Name(name) => self.name(file, name, scope, want),
            ExprKind::Field(base, field) => self.field(file, base, field, scope, loc),
            ExprKind::Call(name, args) => self.call(file, name, args, scope, loc),
            ExprKind::List(items) => {
                let elem_want = want.and_then(|w| w.element()).cloned();
                let mut out = Vec::new();
                let mut ty: Option<Type> = elem_want.clone().filter(|t| *t != Type::Error);
                for item in items {
                    let mut x = self.expr(file, item, scope, ty.as_ref());
                    if is_bare_number(item) && ty.as_ref().is_some_and(Type::is_numeric) {
                        x.ty = ty.clone().unwrap_or(Type::Number);
                    }
                    match &ty {
                        None => ty = Some(x.ty.clone()),
                        Some(t) if !x.ty.fits(t) => {
                            let msg = format!(
                                "a list holds one type: this is {}, the list holds {}",
                                self.show(&x.ty),
                                self.show(t)
                            );
                            self.error(x.loc, msg);
                        }
                        _ => {}
                    }
                    out.push(x);
                }
                mk(
                    Node::List(out),
                    Type::List(Box::new(ty.unwrap_or(Type::Error))),
                    loc,
                )
            }
            ExprKind::Not(x) => {
                let x = self.expect(file, x, scope, &Type::Bool, "`not` needs yes or no");
                mk(Node::Not(Box::new(x)), Type::Bool, loc)
            }
            ExprKind::Neg(x) => {
                let x = self.expr(file, x, scope, want);
                if !x.ty.is_numeric() {
                    let msg = format!("cannot negate {}", self.show(&x.ty));
                    self.error(x.loc, msg);
                }
                let ty = x.ty.clone();
                mk(Node::Neg(Box::new(x)), ty, loc)
            }
            ExprKind::Binary(op, a, b) => self.binary(file, *op, a, b, scope, loc),
            ExprKind::Between(x, lo, hi) => {
                let mut x_ = self.expr(file, x, scope, None);
                let mut lo_ = self.expr(file, lo, scope, Some(&x_.ty));
                let mut hi_ = self.expr(file, hi, scope, Some(&x_.ty));
                self.same_units(&mut x_, x, &mut lo_, lo);
                self.same_units(&mut x_, x, &mut hi_, hi);
                if !x_.ty.is_ordered() {
                    let msg = format!(
                        "`between` needs numbers, dates or levels, not {}",
                        self.show(&x_.ty)
                    );
                    self.error(x_.loc, msg);
                }
                for bound in [&lo_, &hi_] {
                    self.must_fit(
                        bound,
                        &x_.ty,
                        "the bounds of `between` must have the type of the value",
                    );
                }
                mk(
                    Node::Between(Box::new(x_), Box::new(lo_), Box::new(hi_)),
                    Type::Bool,
                    loc,
                )
            }
            ExprKind::Is {
                value,
                rhs,
                negated,
            } => {
                let mut v = self.expr(file, value, scope, None);
                let mut r = self.expr(file, rhs, scope, Some(&v.ty));
                self.same_units(&mut v, value, &mut r, rhs);
                self.must_fit(&r, &v.ty, "`is` compares values of one type");
                let op = if *negated { Cmp::Ne } else { Cmp::Eq };
                mk(Node::Compare(op, Box::new(v), Box::new(r)), Type::Bool, loc)
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let v = self.expr(file, value, scope, None);
                let want_list = Type::List(Box::new(v.ty.clone()));
                let mut l = self.expr(file, list, scope, Some(&want_list));
                if is_bare_number(value) {
                    // `3 in xs` takes the unit of the list.
                } else if let Node::List(items) = &mut l.node {
                    if v.ty.is_numeric() {
                        for item in items.iter_mut() {
                            if item.ty == Type::Number {
                                item.ty = v.ty.clone();
                            }
                        }
                        l.ty = want_list.clone();
                    }
                }
                match l.ty.element() {
                    Some(elem) if v.ty.fits(elem) => {}
                    Some(elem) => {
                        let msg = format!(
                            "cannot look for {} in a list of {}",
                            self.show(&v.ty),
                            self.show(elem)
                        );
                        self.error(v.loc, msg);
                    }
                    None => {
                        let msg = format!("`in` needs a list, but this is {}", self.show(&l.ty));
                        self.error(l.loc, msg);
                    }
                }
                mk(
                    Node::In {
                        value: Box::new(v),
                        list: Box::new(l),
                        negated: *negated,
                    },
                    Type::Bool,
                    loc,
                )
            }
            ExprKind::Known { value, known } => {
                let v = self.expr(file, value, scope, None);
                mk(
                    Node::Known {
                        value: Box::new(v),
                        known: *known,
                    },
                    Type::Bool,
                    loc,
                )
            }
            ExprKind::Within {
                date,
                duration,
                direction,
                anchor,
            } => {
                let d = self.expect(
                    file,
                    date,
                    scope,
                    &Type::Date,
                    "`within` needs a date before it",
                );
                let n = self.expect(
                    file,
                    duration,
                    scope,
                    &Type::Duration,
                    "`within` needs a duration, e.g. `12 months`",
                );
                let a = self.expect(
                    file,
                    anchor,
                    scope,
                    &Type::Date,
                    "`within … before` needs a date after it",
                );
                let node = Node::Within {
                    date: Box::new(d),
                    duration: Box::new(n),
                    direction: *direction,
                    anchor: Box::new(a),
                };
                mk(node, Type::Bool, loc)
            }
            ExprKind::Where(list, cond) => {
                let l = self.expr(file, list, scope, None);
                let Some(elem) = l.ty.element().cloned() else {
                    let msg = format!("`where` filters a list, but this is {}", self.show(&l.ty));
                    let help = matches!(l.node, Node::Aggregate { .. }).then(|| {
                        "to count the elements that match, write `count of x in xs where …`"
                            .to_string()
                    });
                    self.error(l.loc, msg).help = help;
                    return mk(Node::Const(Value::unknown()), Type::Error, loc);
                };
                let slot = scope.bind("it", elem);
                scope.elements.push(slot);
                let c = self.expect(
                    file,
                    cond,
                    scope,
                    &Type::Bool,
                    "the condition after `where` must be yes or no",
                );
                scope.elements.pop();
                scope.unbind();
                let ty = l.ty.clone();
                mk(
                    Node::Filter {
                        list: Box::new(l),
                        slot,
                        cond: Box::new(c),
                    },
                    ty,
                    loc,
                )
            }
            ExprKind::Quantifier {
                quant,
                binder,
                list,
                filter,
                body,
            } => {
                let l = self.expr(file, list, scope, None);
                let elem = self.element_of(&l).unwrap_or(Type::Error);
                let slot = scope.bind(&binder.name, elem);
                let f = filter.as_ref().map(|f| {
                    Box::new(self.expect(
                        file,
                        f,
                        scope,
                        &Type::Bool,
                        "the condition after `where` must be yes or no",
                    ))
                });
                let b = self.expect(
                    file,
                    body,
                    scope,
                    &Type::Bool,
                    "the condition after `:` must be yes or no",
                );
                scope.unbind();
                let node = Node::Quantifier {
                    quant: *quant,
                    list: Box::new(l),
                    slot,
                    filter: f,
                    body: Box::new(b),
                };
                mk(node, Type::Bool, loc)
            }
            ExprKind::Aggregate {
                agg,
                binder,
                list,
                filter,
                body,
            } => self.aggregate(
                file,
                *agg,
                binder.as_ref(),
                list,
                filter.as_deref(),
                body.as_deref(),
                scope,
                loc,
            ),
            ExprKind::When { arms, otherwise } => {
                let mut out = Vec::new();
                let mut ty: Option<Type> = want.cloned();
                for (cond, value) in arms {
                    let c = self.expect(
                        file,
                        cond,
                        scope,
                        &Type::Bool,
                        "the condition after `when` must be yes or no",
                    );
                    let v = self.branch(file, value, scope, &mut ty);
                    out.push((c, v));
                }
                let o = self.branch(file, otherwise, scope, &mut ty);
                let ty = ty.unwrap_or(Type::Error);
                mk(
                    Node::When {
                        arms: out,
                        otherwise: Box::new(o),
                    },
                    ty,
                    loc,
                )
            }
            ExprKind::Otherwise(x, d) => {
                let mut x_ = self.expr(file, x, scope, want);
                let mut d_ = self.expr(file, d, scope, Some(&x_.ty));
                self.same_units(&mut x_, x, &mut d_, d);
                self.must_fit(
                    &d_,
                    &x_.ty,
                    "the value after `otherwise` must have the type of the value before it",
                );
                let ty = x_.ty.clone();
                mk(Node::Otherwise(Box::new(x_), Box::new(d_)), ty, loc)
            }
            ExprKind::Highest(scale) => {
                let found = self
                    .program
                    .scales
                    .iter()
                    .position(|s| s.name == scale.name)
                    .map(|i| i as u32);
                let Some(i) = found else {
                    let names: Vec<String> =
                        self.program.scales.iter().map(|s| s.name.clone()).collect();
                    let help = did_you_mean(&scale.name, names.iter().map(String::as_str));
                    self.error(loc, format!("there is no scale `{}`", scale.name))
                        .help = help;
                    return mk(Node::Const(Value::unknown()), Type::Error, loc);
                };
                if self.program.need_scale.is_some_and(|s| s != i) {
                    self.error(
                        loc,
                        format!("no indicator has a level of scale `{}`", scale.name),
                    );
                }
                self.depend_on_all_needs(loc);
                mk(Node::Highest, Type::Level(i), loc)
            }
            ExprKind::Met(kind) => {
                self.depend_on_all_needs(loc);
                match kind {
                    ast::MetKind::Groups => {
                        mk(Node::MetGroups, Type::List(Box::new(Type::Group)), loc)
                    }
                    ast::MetKind::Needs => {
                        mk(Node::MetNeeds, Type::List(Box::new(Type::Need)), loc)
                    }
                }
            }
        }
    }

    /// When a plain number meets a percent or an amount, how to give the number its unit.
    fn unit_help(&self, number: &Expr, other: &Expr) -> Option<String> {
        let (unit, example) = match other.ty {
            Type::Percent => ("percent", "90%"),
            Type::Money => ("money", "£15,400"),
            _ => return None,
        };
        if number.ty != Type::Number {
            return None;
        }
        Some(match &number.node {
            Node::Param(i) => {
                let name = self
                    .program
                    .params
                    .get(*i as usize)
                    .map_or("the param", |p| p.name.as_str());
                format!("`{name}` is a plain number: declare it `param {name}: {unit} = {example}`")
            }
            _ => format!("write the value with its unit, e.g. `{example}`"),
        })
    }

    fn branch(
        &mut self,
        file: FileId,
        value: &ast::Expr,
        scope: &mut Scope,
        ty: &mut Option<Type>,
    ) -> Expr {
        let mut v = self.expr(file, value, scope, ty.as_ref());
        match ty {
            None => *ty = Some(v.ty.clone()),
            Some(t) => {
                if is_bare_number(value) && t.is_numeric() {
                    v.ty = t.clone();
                }
                if *t == Type::Error {
                    *ty = Some(v.ty.clone());
                } else if !v.ty.fits(t) {
                    let msg = format!(
                        "every branch must give the same type: this is {}, another is {}",
                        self.show(&v.ty),
                        self.show(t)
                    );
                    self.error(v.loc, msg);
                }
            }
        }
        v
    }

    /// `groups met`, `needs met`, `highest … met` read every need, so no need may use them.
    fn depend_on_all_needs(&mut self, loc: Loc) {
        if let Some(Def::Need(i)) = self.current {
            let id = self.need_id(i);
            let text = self
                .files
                .get(loc.file as usize)
                .and_then(|f| f.text.get(loc.span.start..loc.span.end))
                .unwrap_or("this")
                .to_string();
            let msg = format!(
                "need `{id}` uses `{text}`, which depends on every need, including `{id}` itself"
            );
            self.error(loc, msg).help = Some("a need's condition cannot use `groups met`, `needs met` or `highest … met`; use them in a decision".into());
            return;
        }
        for i in 0..self.need_count() {
            self.depend(Def::Need(i), loc);
        }
    }

    fn need_count(&self) -> u32 {
        self.values
            .values()
            .filter(|(d, _)| matches!(d, Def::Need(_)))
            .count() as u32
    }

    pub(crate) fn expect(
        &mut self,
        file: FileId,
        e: &ast::Expr,
        scope: &mut Scope,
        want: &Type,
        why: &str,
    ) -> Expr {
        let x = self.expr(file, e, scope, Some(want));
        self.must_fit(&x, want, why);
        x
    }

    fn must_fit(&mut self, x: &Expr, want: &Type, why: &str) {
        if !x.ty.fits(want) {
            let msg = format!("expected {}, found {}", self.show(want), self.show(&x.ty));
            self.error(x.loc, msg).help = Some(why.to_string());
        }
    }

    /// Gives a bare number the unit of the other side (`attendance < 90`).
    fn same_units(&mut self, a: &mut Expr, a_ast: &ast::Expr, b: &mut Expr, b_ast: &ast::Expr) {
        if is_bare_number(b_ast) && a.ty.is_numeric() {
            b.ty = a.ty.clone();
        } else if is_bare_number(a_ast) && b.ty.is_numeric() {
            a.ty = b.ty.clone();
        }
    }

    fn element_of(&mut self, list: &Expr) -> Option<Type> {
        match list.ty.element() {
            Some(t) => Some(t.clone()),
            None => {
                let msg = format!("expected a list, found {}", self.show(&list.ty));
                self.error(list.loc, msg);
                None
            }
        }
    }

    fn literal(&mut self, file: FileId, l: &ast::Literal, want: Option<&Type>) -> Expr {
        let loc = Loc { file, span: l.span };
        let bad = |this: &mut Self, what: &str| {
            this.error(loc, format!("`{}` is not a valid {what}", l.text));
            mk(Node::Const(Value::unknown()), Type::Error, loc)
        };
        match l.kind {
            LitKind::Bool => mk(Node::Const(Value::Bool(l.text == "true")), Type::Bool, loc),
            LitKind::Text => mk(
                Node::Const(Value::Text(l.text.as_str().into())),
                Type::Text,
                loc,
            ),
            LitKind::Number => match parse_decimal(&l.text) {
                Some(d) => {
                    let ty = match want {
                        Some(t @ (Type::Percent | Type::Money)) => t.clone(),
                        _ => Type::Number,
                    };
                    mk(Node::Const(Value::Num(d)), ty, loc)
                }
                None => bad(self, "number"),
            },
            LitKind::Percent => match parse_decimal(l.text.trim_end_matches('%')) {
                Some(d) => mk(Node::Const(Value::Num(d)), Type::Percent, loc),
                None => bad(self, "percentage"),
            },
            LitKind::Money => match parse_decimal(&l.text.trim_start_matches('£').replace(',', ""))
            {
                Some(d) => mk(Node::Const(Value::Num(d)), Type::Money, loc),
                None => bad(self, "amount"),
            },
            LitKind::Date => match parse_date(&l.text) {
                Some(d) => mk(Node::Const(Value::Date(d)), Type::Date, loc),
                None => {
                    self.error(loc, format!("`{}` is not a date", l.text)).help =
                        Some("dates are written YYYY-MM-DD and must exist in the calendar".into());
                    mk(Node::Const(Value::unknown()), Type::Error, loc)
                }
            },
            LitKind::Duration => {
                let mut parts = l.text.split_whitespace();
                let n: Option<u32> = parts.next().and_then(|n| n.parse().ok());
                let unit = parts.next().unwrap_or("");
                let Some(n) = n.filter(|n| *n <= 100_000) else {
                    return bad(self, "duration");
                };
                let zero = Duration::default();
                let d = match unit.trim_end_matches('s') {
                    "day" => Duration { days: n, ..zero },
                    "week" => Duration {
                        days: n * 7,
                        ..zero
                    },
                    "month" => Duration { months: n, ..zero },
                    _ => Duration { years: n, ..zero },
                };
                mk(Node::Const(Value::Duration(d)), Type::Duration, loc)
            }
        }
    }

    fn name(
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

    fn symbol_of(&self, ty: &Type, name: &str) -> Option<u32> {
        let def = match ty {
            Type::Enum(e) => self.program.enums.get(*e as usize),
            Type::Level(s) => self.program.scales.get(*s as usize),
            Type::List(inner) => return self.symbol_of(inner, name),
            _ => None,
        }?;
        def.values
            .iter()
            .position(|v| **v == *name)
            .map(|p| p as u32)
    }

    fn symbol_owners(&self, name: &str) -> Vec<(Type, u32)> {
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

    fn record_field(&self, record: u32, name: &str) -> Option<(u32, &FieldDef)> {
        let rec = self.program.records.get(record as usize)?;
        rec.fields
            .iter()
            .enumerate()
            .find(|(_, f)| *f.name == *name)
            .map(|(i, f)| (i as u32, f))
    }

    fn field(
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
                    super::TypeDef::Enum(i) => Type::Enum(i),
                    super::TypeDef::Scale(i) => Type::Level(i),
                    super::TypeDef::Record(_) => {
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
        match b.ty.clone() {
            Type::Error => mk(Node::Const(Value::unknown()), Type::Error, loc),
            Type::Record(r) => match self.record_field(r, &field.name) {
                Some((index, f)) => {
                    let (ty, name) = (f.ty.clone(), f.name.clone());
                    mk(
                        Node::Field {
                            base: Box::new(b),
                            index,
                            name,
                        },
                        ty,
                        loc,
                    )
                }
                None => {
                    let rec = &self.program.records[r as usize];
                    let names: Vec<String> =
                        rec.fields.iter().map(|f| f.name.to_string()).collect();
                    let help = did_you_mean(&field.name, names.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!("the fields of {} are: {}", rec.name, names.join(", "))
                        });
                    let msg = format!("record `{}` has no field `{}`", rec.name, field.name);
                    self.error(floc, msg).help = Some(help);
                    mk(Node::Const(Value::unknown()), Type::Error, loc)
                }
            },
            Type::List(inner) if matches!(*inner, Type::Record(_)) => {
                let Type::Record(r) = *inner else {
                    return mk(Node::Const(Value::unknown()), Type::Error, loc);
                };
                match self.record_field(r, &field.name) {
                    Some((index, f)) => {
                        let (ty, name) = (Type::List(Box::new(f.ty.clone())), f.name.clone());
                        mk(
                            Node::Project {
                                base: Box::new(b),
                                index,
                                name,
                            },
                            ty,
                            loc,
                        )
                    }
                    None => {
                        let rec = &self.program.records[r as usize];
                        let names: Vec<String> =
                            rec.fields.iter().map(|f| f.name.to_string()).collect();
                        let help = did_you_mean(&field.name, names.iter().map(String::as_str));
                        let msg = format!("record `{}` has no field `{}`", rec.name, field.name);
                        self.error(floc, msg).help = help;
                        mk(Node::Const(Value::unknown()), Type::Error, loc)
                    }
                }
            }
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

    fn call(
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

    fn fn_state_done(&self, i: u32) -> bool {
        self.fn_param_types.get(i as usize).is_some()
    }

    #[allow(clippy::too_many_arguments)]
    fn aggregate(
        &mut self,
        file: FileId,
        agg: Agg,
        binder: Option<&ast::Ident>,
        list: &ast::Expr,
        filter: Option<&ast::Expr>,
        body: Option<&ast::Expr>,
        scope: &mut Scope,
        loc: Loc,
    ) -> Expr {
        let l = self.expr(file, list, scope, None);
        let elem = self.element_of(&l).unwrap_or(Type::Error);
        let slot = scope.bind(binder.map_or("it", |b| b.name.as_str()), elem.clone());
        let f = filter.map(|f| {
            Box::new(self.expect(
                file,
                f,
                scope,
                &Type::Bool,
                "the condition after `where` must be yes or no",
            ))
        });
        let b = body.map(|b| Box::new(self.expr(file, b, scope, None)));
        scope.unbind();
        let item_ty = b.as_ref().map_or(elem, |b| b.ty.clone());
        let ty = match agg {
            Agg::Count => {
                if let Some(b) = &b {
                    self.must_fit(
                        b,
                        &Type::Bool,
                        "`count of x in xs: condition` counts where the condition holds",
                    );
                }
                Type::Number
            }
            Agg::Sum => {
                if !item_ty.is_numeric() {
                    let msg = format!("`sum of` adds numbers, not {}", self.show(&item_ty));
                    self.error(loc, msg);
                }
                item_ty
            }
            Agg::Min | Agg::Max => {
                if !item_ty.is_ordered() {
                    let msg = format!(
                        "`min of` and `max of` need numbers, dates or levels, not {}",
                        self.show(&item_ty)
                    );
                    self.error(loc, msg);
                }
                item_ty
            }
        };
        mk(
            Node::Aggregate {
                agg,
                list: Box::new(l),
                slot,
                filter: f,
                body: b,
            },
            ty,
            loc,
        )
    }

    fn binary(
        &mut self,
        file: FileId,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        scope: &mut Scope,
        loc: Loc,
    ) -> Expr {
        match op {
            BinOp::And | BinOp::Or => {
                let what = if op == BinOp::And { "`and`" } else { "`or`" };
                let why = format!("{what} joins conditions that are yes or no");
                let x = self.expect(file, a, scope, &Type::Bool, &why);
                let y = self.expect(file, b, scope, &Type::Bool, &why);
                let node = if op == BinOp::And {
                    Node::And(Box::new(x), Box::new(y))
                } else {
                    Node::Or(Box::new(x), Box::new(y))
                };
                mk(node, Type::Bool, loc)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let mut x = self.expr(file, a, scope, None);
                let mut y = self.expr(file, b, scope, Some(&x.ty));
                self.same_units(&mut x, a, &mut y, b);
                let cmp = match op {
                    BinOp::Eq => Cmp::Eq,
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                if !y.ty.fits(&x.ty) {
                    let msg = format!(
                        "cannot compare {} with {}",
                        self.show(&x.ty),
                        self.show(&y.ty)
                    );
                    let help = self
                        .unit_help(&x, &y)
                        .or_else(|| self.unit_help(&y, &x))
                        .or_else(|| comparison_help(&x.ty, &y.ty, a, b));
                    self.error(loc, msg).help = help;
                } else if !matches!(cmp, Cmp::Eq | Cmp::Ne) && !x.ty.is_ordered() {
                    let msg = format!("{} values have no order", self.show(&x.ty));
                    self.error(loc, msg).help = Some("use `is` or `in` to compare them".into());
                }
                mk(
                    Node::Compare(cmp, Box::new(x), Box::new(y)),
                    Type::Bool,
                    loc,
                )
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let mut x = self.expr(file, a, scope, None);
                let mut y = self.expr(file, b, scope, None);
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                if matches!(arith, Arith::Add | Arith::Sub) {
                    if x.ty == Type::Date && y.ty == Type::Duration {
                        let node = Node::Shift {
                            date: Box::new(x),
                            duration: Box::new(y),
                            subtract: arith == Arith::Sub,
                        };
                        return mk(node, Type::Date, loc);
                    }
                    if x.ty == Type::Date && y.ty == Type::Date {
                        self.error(loc, "dates cannot be subtracted directly").help =
                            Some("use `days_between(a, b)`, `months_between(a, b)` or `years_between(a, b)`".into());
                        return mk(Node::Const(Value::unknown()), Type::Error, loc);
                    }
                    self.same_units(&mut x, a, &mut y, b);
                }
                let ty = match (arith, &x.ty, &y.ty) {
                    (_, Type::Error, _) | (_, _, Type::Error) => Type::Error,
                    (Arith::Add | Arith::Sub, p, q) if p.is_numeric() && p == q => p.clone(),
                    (Arith::Mul, Type::Number, q) if q.is_numeric() => q.clone(),
                    (Arith::Mul, p, Type::Number) if p.is_numeric() => p.clone(),
                    (Arith::Div, p, Type::Number) if p.is_numeric() => p.clone(),
                    (Arith::Div, p, q) if p.is_numeric() && p == q => Type::Number,
                    (_, p, q) => {
                        let word = match arith {
                            Arith::Add => "add",
                            Arith::Sub => "subtract",
                            Arith::Mul => "multiply",
                            Arith::Div => "divide",
                        };
                        let msg = format!("cannot {word} {} and {}", self.show(p), self.show(q));
                        self.error(loc, msg);
                        Type::Error
                    }
                };
                mk(Node::Arith(arith, Box::new(x), Box::new(y)), ty, loc)
            }
        }
    }
}

impl Expr {
    fn all_groups(mut self) -> Expr {
        self.node = Node::AllGroups;
        self
    }
    fn all_needs(mut self) -> Expr {
        self.node = Node::AllNeeds;
        self
    }
}
