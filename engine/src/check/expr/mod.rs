//! Typing and resolving expressions.

use super::{Checker, Def};
use crate::diagnostic::{comparison_help, did_you_mean};
use crate::ir::*;
use crate::value::{parse_date, parse_decimal, Duration, Value};
use earlyhelp_grammar::ast::{self, Agg, BinOp, ExprKind, LitKind};

mod aggregates;
mod calls;
mod fields;
mod literals;
mod names;
mod operators;

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
    pub(super) fn unbind(&mut self) {
        self.locals.pop();
    }
    pub(super) fn local(&self, name: &str) -> Option<(u32, Type)> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map(|(_, s, t)| (*s, t.clone()))
    }
}

pub(super) fn mk(node: Node, ty: Type, loc: Loc) -> Expr {
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
    pub(super) fn unit_help(&self, number: &Expr, other: &Expr) -> Option<String> {
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

    pub(super) fn branch(
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
    pub(super) fn depend_on_all_needs(&mut self, loc: Loc) {
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

    pub(super) fn need_count(&self) -> u32 {
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

    pub(super) fn must_fit(&mut self, x: &Expr, want: &Type, why: &str) {
        if !x.ty.fits(want) {
            let msg = format!("expected {}, found {}", self.show(want), self.show(&x.ty));
            self.error(x.loc, msg).help = Some(why.to_string());
        }
    }

    /// Gives a bare number the unit of the other side (`attendance < 90`).
    pub(super) fn same_units(
        &mut self,
        a: &mut Expr,
        a_ast: &ast::Expr,
        b: &mut Expr,
        b_ast: &ast::Expr,
    ) {
        if is_bare_number(b_ast) && a.ty.is_numeric() {
            b.ty = a.ty.clone();
        } else if is_bare_number(a_ast) && b.ty.is_numeric() {
            a.ty = b.ty.clone();
        }
    }

    pub(super) fn element_of(&mut self, list: &Expr) -> Option<Type> {
        match list.ty.element() {
            Some(t) => Some(t.clone()),
            None => {
                let msg = format!("expected a list, found {}", self.show(&list.ty));
                self.error(list.loc, msg);
                None
            }
        }
    }
}

impl Expr {
    pub(super) fn all_groups(mut self) -> Expr {
        self.node = Node::AllGroups;
        self
    }
    pub(super) fn all_needs(mut self) -> Expr {
        self.node = Node::AllNeeds;
        self
    }
}
