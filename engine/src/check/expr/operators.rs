//! Binary operators: `and`, `or`, comparisons, arithmetic and date ± duration.

use super::*;

impl Checker<'_> {
    pub(super) fn binary(
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
