//! Decision tables: typing a `table` (its inputs, the condition in each cell, the outcomes) and,
//! before any record is seen, the analysis of its rows — rows that can never match because
//! earlier rows cover them (`first`), rows that overlap (`unique`), and the gaps of a table
//! declared `complete`, each with an example input.
//!
//! The analysis is exact. Each input's possible values are cut into pieces that no cell can tell
//! apart: the values of a yes/no, an enum or a level one by one; for numbers, money, percentages
//! and dates, every bound a cell names and the open intervals between them. A row is then a box
//! of pieces, and covering, overlap and gaps are questions about finitely many points.

use super::expr::{is_bare_number, Scope};
use super::Checker;
use crate::diagnostic::Finding;
use crate::ir::{Cmp, Expr, FileId, Loc, Node, Table, TableRow, Type};
use crate::value::Value;
use earlyhelp_grammar::ast::{self, BinOp, CellKind};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// The let a table declares (its value is checked by [`Checker::check_table`]).
pub(crate) fn as_let(t: &ast::TableDecl) -> ast::LetDecl {
    ast::LetDecl {
        name: t.name.clone(),
        ty: None,
        value: ast::Expr {
            kind: ast::ExprKind::Name(t.name.clone()),
            span: t.name.span,
        },
        span: t.span,
    }
}

/// Past this many points the analysis is skipped (a table of a few inputs has far fewer).
const MAX_POINTS: usize = 1_000_000;

impl Checker<'_> {
    /// The table as an expression, and the local slots it needs.
    pub(crate) fn check_table(&mut self, file: FileId, t: &ast::TableDecl) -> (Expr, u32) {
        let mut scope = Scope::default();
        let loc = Loc {
            file,
            span: t.name.span,
        };
        let errors_before = self.error_count();
        let inputs: Vec<Expr> = t
            .inputs
            .iter()
            .map(|e| self.expr(file, e, &mut scope, None))
            .collect();
        for input in &inputs {
            let fits = matches!(
                input.ty,
                Type::Bool | Type::Text | Type::Date | Type::Enum(_) | Type::Level(_) | Type::Error
            ) || input.ty.is_numeric();
            if !fits {
                let msg = format!(
                    "a table's input must be a single value (yes/no, a number, money, a percentage, a date, text, an enum or a level), not {}",
                    self.show(&input.ty)
                );
                self.error(input.loc, msg);
            }
        }
        let names: Vec<String> = t.inputs.iter().map(earlyhelp_grammar::print_expr).collect();
        let mut rows = Vec::new();
        let mut out_ty: Option<Type> = None;
        let mut well_formed = true;
        for row in &t.rows {
            let row_loc = Loc {
                file,
                span: row.span,
            };
            if row.cells.len() != inputs.len() {
                let msg = format!(
                    "this row has {} condition{}, but the table has {} input{}",
                    row.cells.len(),
                    if row.cells.len() == 1 { "" } else { "s" },
                    inputs.len(),
                    if inputs.len() == 1 { "" } else { "s" },
                );
                self.error(row_loc, msg).help = Some(format!(
                    "write one cell per input ({}), then the outcome: `| {} | outcome |`",
                    names.join(", "),
                    vec!["-"; inputs.len()].join(" | ")
                ));
                well_formed = false;
                continue;
            }
            let cells = row
                .cells
                .iter()
                .zip(inputs.iter().zip(&names))
                .map(|(c, (input, name))| self.cell(file, c, input, name))
                .collect();
            let outcome = match &row.outcome.kind {
                CellKind::Value(e) => {
                    let mut x = self.expr(file, e, &mut scope, out_ty.as_ref());
                    match &out_ty {
                        None => out_ty = Some(x.ty.clone()),
                        Some(want) if is_bare_number(e) && want.is_numeric() => x.ty = want.clone(),
                        Some(want) if !x.ty.fits(want) => {
                            let msg = format!(
                                "every outcome of a table has one type: this is {}, the first row's is {}",
                                self.show(&x.ty),
                                self.show(want)
                            );
                            self.error(x.loc, msg).help = Some(
                                "a table gives one kind of value: write each outcome as that kind"
                                    .into(),
                            );
                        }
                        Some(_) => {}
                    }
                    x
                }
                _ => {
                    let cell_loc = Loc {
                        file,
                        span: row.outcome.span,
                    };
                    self.error(
                        cell_loc,
                        "the last cell of a row is its outcome, a value, not a condition",
                    )
                    .help = Some(format!(
                        "the table has {} input{}: write a cell for each, then the outcome",
                        inputs.len(),
                        if inputs.len() == 1 { "" } else { "s" }
                    ));
                    well_formed = false;
                    Expr {
                        node: Node::Const(Value::unknown()),
                        ty: Type::Error,
                        loc: cell_loc,
                    }
                }
            };
            rows.push(TableRow {
                cells,
                outcome,
                loc: row_loc,
            });
        }
        let ty = out_ty.unwrap_or(Type::Error);
        // Some row matches every input when the analysis found no gap (then `space` is kept).
        // A table with a mistake already reported is not analysed: one mistake, one message.
        let space = if well_formed && self.error_count() == errors_before {
            self.analyse(file, t, &inputs, &names, &rows)
        } else {
            None
        };
        let table = Table {
            unique: t.hit == ast::HitPolicy::Unique,
            inputs,
            rows,
            space,
        };
        (
            Expr {
                node: Node::Table(Box::new(table)),
                ty,
                loc,
            },
            scope.max_slots,
        )
    }

    /// One cell as a condition on its input; `None` for `-`.
    fn cell(&mut self, file: FileId, c: &ast::Cell, input: &Expr, name: &str) -> Option<Expr> {
        let loc = Loc { file, span: c.span };
        let ordered = |this: &mut Self, what: &str| {
            if !input.ty.is_ordered() {
                let msg = format!(
                    "{what} needs an input that is a number, money, a percentage, a date or a level; `{name}` is {}",
                    this.show(&input.ty)
                );
                this.error(loc, msg).help =
                    Some("write the value itself, or a list of values `[a, b]`".into());
            }
        };
        let node = match &c.kind {
            CellKind::Any => return None,
            CellKind::Compare(op, v) => {
                let cmp = match op {
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    BinOp::Ge => Cmp::Ge,
                    _ => Cmp::Eq,
                };
                if !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    ordered(self, "a comparison");
                }
                let v = self.cell_value(file, v, input, name);
                Node::Compare(cmp, Box::new(input.clone()), Box::new(v))
            }
            CellKind::Between(lo, hi) => {
                ordered(self, "`between`");
                let lo = self.cell_value(file, lo, input, name);
                let hi = self.cell_value(file, hi, input, name);
                Node::Between(Box::new(input.clone()), Box::new(lo), Box::new(hi))
            }
            CellKind::Value(e) => match &e.kind {
                ast::ExprKind::List(items) => {
                    let list = items
                        .iter()
                        .map(|i| self.cell_value(file, i, input, name))
                        .collect();
                    let list = Expr {
                        node: Node::List(list),
                        ty: Type::List(Box::new(input.ty.clone())),
                        loc: Loc { file, span: e.span },
                    };
                    Node::In {
                        value: Box::new(input.clone()),
                        list: Box::new(list),
                        negated: false,
                    }
                }
                _ => {
                    let v = self.cell_value(file, e, input, name);
                    Node::Compare(Cmp::Eq, Box::new(input.clone()), Box::new(v))
                }
            },
        };
        Some(Expr {
            node,
            ty: Type::Bool,
            loc,
        })
    }

    fn cell_value(&mut self, file: FileId, e: &ast::Expr, input: &Expr, name: &str) -> Expr {
        let mut x = self.expr(file, e, &mut Scope::default(), Some(&input.ty));
        if is_bare_number(e) && input.ty.is_numeric() {
            x.ty = input.ty.clone();
        }
        if !x.ty.fits(&input.ty) {
            let msg = format!(
                "this cell is {}, but the input `{name}` is {}",
                self.show(&x.ty),
                self.show(&input.ty)
            );
            self.error(x.loc, msg).help =
                Some("a cell holds a value of its column's input, or `-` for any value".into());
        }
        x
    }

    /// Reports shadowed rows, overlaps and gaps; whether every possible input matches some row.
    fn analyse(
        &mut self,
        file: FileId,
        t: &ast::TableDecl,
        inputs: &[Expr],
        names: &[String],
        rows: &[TableRow],
    ) -> Option<Vec<Column>> {
        let mut columns = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let cells: Vec<Option<&Expr>> = rows
                .iter()
                .map(|r| r.cells.get(i).and_then(Option::as_ref))
                .collect();
            match self.column(&input.ty, &cells) {
                Some(c) => columns.push(c),
                // A cell that is not a constant (or a type already reported): nothing to prove.
                None => return None,
            }
        }
        let space = Space { columns };
        if space.size().is_none_or(|n| n > MAX_POINTS) {
            return None;
        }
        let rows_loc: Vec<Loc> = rows.iter().map(|r| r.loc).collect();
        let boxes: Vec<Vec<Vec<bool>>> = (0..rows.len())
            .map(|r| space.columns.iter().map(|c| c.masks[r].clone()).collect())
            .collect();
        let analysis = analyse(&space, &boxes, t.hit == ast::HitPolicy::Unique);
        for finding in &analysis.findings {
            let f = self.table_finding(file, t, names, &space, &rows_loc, finding);
            self.findings.push(f);
        }
        if t.complete {
            if let Some(point) = &analysis.gap {
                let example = self.point_text(&space, names, point);
                let loc = Loc {
                    file,
                    span: t.name.span,
                };
                let msg = format!(
                    "table `{}` is declared complete, but no row covers {example}",
                    t.name.name
                );
                let help = "add a row for it (a last row of `-` covers everything left), or remove `complete`";
                self.findings.push(Finding::error(loc, msg).help(help));
            }
        }
        analysis.gap.is_none().then_some(space.columns)
    }

    fn table_finding(
        &self,
        file: FileId,
        t: &ast::TableDecl,
        names: &[String],
        space: &Space,
        rows: &[Loc],
        f: &RowFinding,
    ) -> Finding {
        let at = |r: usize| rows.get(r).copied().unwrap_or(Loc { file, span: t.span });
        let list = |rs: &[usize]| {
            let n: Vec<String> = rs.iter().map(|r| (r + 1).to_string()).collect();
            match n.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("rows {} and {last}", rest.join(", "))
                }
                _ => format!("row {}", n.join("")),
            }
        };
        match f {
            RowFinding::Empty(r) => Finding::warning(
                at(*r),
                format!("row {} can never match: its conditions exclude every value", r + 1),
            )
            .help("check the bounds: `between a and b` needs a <= b"),
            RowFinding::Shadowed(r, by) => Finding::warning(
                at(*r),
                format!(
                    "row {} can never match: {} before it cover{} every value it matches",
                    r + 1,
                    list(by),
                    if by.len() == 1 { "s" } else { "" }
                ),
            )
            .help("remove the row, or move it above the rows that cover it (the first row that matches gives the outcome)"),
            RowFinding::Overlap(a, b, point) => Finding::error(
                at(*b),
                format!(
                    "rows {} and {} of unique table `{}` both match {}",
                    a + 1,
                    b + 1,
                    t.name.name,
                    self.point_text(space, names, point)
                ),
            )
            .help("in a `unique` table at most one row may match: narrow one of them, or use `(first)` to take the first that matches"),
        }
    }

    fn point_text(&self, space: &Space, names: &[String], point: &[usize]) -> String {
        let parts: Vec<String> = space
            .columns
            .iter()
            .zip(names)
            .zip(point)
            .map(|((c, name), &p)| format!("{name} = {}", c.show(p, self)))
            .collect();
        parts.join(", ")
    }

    /// The pieces of one input's values, and which of them each row's cell covers.
    fn column(&self, ty: &Type, cells: &[Option<&Expr>]) -> Option<Column> {
        let mut conds = Vec::new();
        for c in cells {
            conds.push(match c {
                None => Cond::Any,
                Some(e) => self.cond(e)?,
            });
        }
        let pieces = match ty {
            Type::Bool => vec![Piece::Is(Key::Bool(false)), Piece::Is(Key::Bool(true))],
            Type::Enum(i) | Type::Level(i) => {
                let defs = if matches!(ty, Type::Enum(_)) {
                    &self.program.enums
                } else {
                    &self.program.scales
                };
                let n = defs.get(*i as usize)?.values.len() as u32;
                (0..n).map(|k| Piece::Is(Key::Sym(k))).collect()
            }
            Type::Text => {
                let mut texts: Vec<Key> = conds.iter().flat_map(Cond::keys).collect();
                texts.sort();
                texts.dedup();
                let mut p: Vec<Piece> = texts.into_iter().map(Piece::Is).collect();
                p.push(Piece::OtherText);
                p
            }
            Type::Date | Type::Number | Type::Percent | Type::Money => {
                let mut bounds: Vec<Decimal> = conds
                    .iter()
                    .flat_map(Cond::keys)
                    .filter_map(|k| match k {
                        Key::Num(d) => Some(d),
                        _ => None,
                    })
                    .collect();
                bounds.sort();
                bounds.dedup();
                intervals(&bounds, *ty == Type::Date)
            }
            _ => return None,
        };
        let masks = conds
            .iter()
            .map(|c| pieces.iter().map(|p| c.holds(p)).collect())
            .collect();
        Some(Column {
            ty: ty.clone(),
            pieces,
            masks,
        })
    }

    /// A cell's condition with its values as constants; `None` when one is not a constant.
    fn cond(&self, e: &Expr) -> Option<Cond> {
        match &e.node {
            Node::Compare(op, _, v) => Some(Cond::Cmp(*op, self.key(v)?)),
            Node::Between(_, lo, hi) => Some(Cond::Between(self.key(lo)?, self.key(hi)?)),
            Node::In { list, .. } => match &list.node {
                Node::List(items) => Some(Cond::OneOf(
                    items.iter().map(|i| self.key(i)).collect::<Option<_>>()?,
                )),
                _ => None,
            },
            _ => None,
        }
    }

    fn key(&self, e: &Expr) -> Option<Key> {
        let v = match &e.node {
            Node::Const(v) => v.clone(),
            Node::Neg(x) => match self.key(x)? {
                Key::Num(d) => return Some(Key::Num(-d)),
                _ => return None,
            },
            // A fixed param is a constant; a dated one changes with the date.
            Node::Param(i) => match self.program.params.get(*i as usize)?.values.as_slice() {
                [(None, v)] => v.clone(),
                _ => return None,
            },
            _ => return None,
        };
        Some(match v {
            Value::Bool(b) => Key::Bool(b),
            Value::Num(d) => Key::Num(d),
            Value::Date(d) => Key::Num(Decimal::from(chrono::Datelike::num_days_from_ce(&d))),
            Value::Symbol(s) => Key::Sym(s),
            Value::Text(t) => Key::Text(t.to_string()),
            _ => return None,
        })
    }
}

/// A constant a cell compares with (dates as day numbers).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Bool(bool),
    Num(Decimal),
    Sym(u32),
    Text(String),
}

/// A set of an input's values that no cell tells apart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Is(Key),
    /// Any text no cell names.
    OtherText,
    /// Strictly between two bounds (`None`: unbounded on that side); `at` is a value inside.
    Open {
        lo: Option<Decimal>,
        hi: Option<Decimal>,
        at: Decimal,
    },
}

/// The pieces of an ordered input with these bounds: each bound, and the open intervals around
/// them (for dates, whole days: an interval between consecutive days is empty).
fn intervals(bounds: &[Decimal], days: bool) -> Vec<Piece> {
    let one = Decimal::ONE;
    let Some((first, last)) = bounds.first().zip(bounds.last()) else {
        return vec![Piece::Open {
            lo: None,
            hi: None,
            at: Decimal::ZERO,
        }];
    };
    let mut out = vec![Piece::Open {
        lo: None,
        hi: Some(*first),
        at: *first - one,
    }];
    for (i, b) in bounds.iter().enumerate() {
        out.push(Piece::Is(Key::Num(*b)));
        if let Some(next) = bounds.get(i + 1) {
            let at = if days {
                *b + one
            } else {
                (*b + *next) / Decimal::TWO
            };
            if !days || *next - *b > one {
                out.push(Piece::Open {
                    lo: Some(*b),
                    hi: Some(*next),
                    at,
                });
            }
        }
    }
    out.push(Piece::Open {
        lo: Some(*last),
        hi: None,
        at: *last + one,
    });
    out
}

#[derive(Clone, Debug)]
enum Cond {
    Any,
    Cmp(Cmp, Key),
    Between(Key, Key),
    OneOf(Vec<Key>),
}

impl Cond {
    fn keys(&self) -> Vec<Key> {
        match self {
            Cond::Any => Vec::new(),
            Cond::Cmp(_, k) => vec![k.clone()],
            Cond::Between(a, b) => vec![a.clone(), b.clone()],
            Cond::OneOf(ks) => ks.clone(),
        }
    }

    /// Whether every value of the piece satisfies the condition (no bound lies inside a piece,
    /// so one value inside stands for all).
    fn holds(&self, p: &Piece) -> bool {
        let value = match p {
            Piece::Is(k) => Some(k.clone()),
            Piece::Open { at, .. } => Some(Key::Num(*at)),
            Piece::OtherText => None,
        };
        match (self, value) {
            (Cond::Any, _) => true,
            (_, None) => matches!(self, Cond::Cmp(Cmp::Ne, _)),
            (Cond::Cmp(op, k), Some(v)) => {
                let o = v.cmp(k);
                match op {
                    Cmp::Eq => o == Ordering::Equal,
                    Cmp::Ne => o != Ordering::Equal,
                    Cmp::Lt => o == Ordering::Less,
                    Cmp::Le => o != Ordering::Greater,
                    Cmp::Gt => o == Ordering::Greater,
                    Cmp::Ge => o != Ordering::Less,
                }
            }
            (Cond::Between(lo, hi), Some(v)) => *lo <= v && v <= *hi,
            (Cond::OneOf(ks), Some(v)) => ks.contains(&v),
        }
    }
}

/// One input's pieces, and which of them each row's cell covers: also what the evaluator uses
/// to find exactly which rows an input with unknown values leaves possible.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    ty: Type,
    pieces: Vec<Piece>,
    /// Per row: which pieces its cell covers.
    pub masks: Vec<Vec<bool>>,
}

impl Column {
    /// The pieces a value may lie in: one for a known value, those a count still in a range
    /// reaches, all of them for an unknown value.
    pub(crate) fn pieces_of(&self, v: &Value) -> Vec<usize> {
        let all = || (0..self.pieces.len()).collect();
        let key = match v {
            Value::Bool(b) => Key::Bool(*b),
            Value::Num(d) => Key::Num(*d),
            Value::Date(d) => Key::Num(Decimal::from(chrono::Datelike::num_days_from_ce(d))),
            Value::Symbol(s) => Key::Sym(*s),
            Value::Text(t) => Key::Text(t.to_string()),
            Value::Range { lo, hi, .. } if hi.saturating_sub(*lo) <= 1000 => {
                let mut out: Vec<usize> = (*lo..=*hi)
                    .filter_map(|n| self.locate(&Key::Num(Decimal::from(n))))
                    .collect();
                out.dedup();
                return out;
            }
            _ => return all(),
        };
        self.locate(&key).map_or_else(all, |p| vec![p])
    }

    fn locate(&self, k: &Key) -> Option<usize> {
        self.pieces.iter().position(|p| match (p, k) {
            (Piece::Is(x), k) => x == k,
            (Piece::Open { lo, hi, .. }, Key::Num(d)) => {
                lo.is_none_or(|lo| lo < *d) && hi.is_none_or(|hi| *d < hi)
            }
            (Piece::OtherText, Key::Text(t)) => !self
                .pieces
                .iter()
                .any(|q| matches!(q, Piece::Is(Key::Text(u)) if u == t)),
            _ => false,
        })
    }

    /// A value of the piece, as a policy author writes it.
    fn show(&self, p: usize, c: &Checker<'_>) -> String {
        let Some(piece) = self.pieces.get(p) else {
            return String::new();
        };
        let key = match piece {
            Piece::Is(k) => k.clone(),
            Piece::Open { at, .. } => Key::Num(*at),
            Piece::OtherText => return "any other text".into(),
        };
        match (key, &self.ty) {
            (Key::Bool(b), _) => b.to_string(),
            (Key::Sym(s), Type::Enum(i)) => sym(&c.program.enums, *i, s),
            (Key::Sym(s), Type::Level(i)) => sym(&c.program.scales, *i, s),
            (Key::Num(d), Type::Date) => i32::try_from(d.trunc().mantissa())
                .ok()
                .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
                .map_or_else(|| d.to_string(), |d| d.to_string()),
            (Key::Num(d), Type::Money) => money(d),
            (Key::Num(d), Type::Percent) => format!("{}%", d.normalize()),
            (Key::Num(d), _) => d.normalize().to_string(),
            (Key::Text(t), _) => format!("{t:?}"),
            (Key::Sym(s), _) => s.to_string(),
        }
    }
}

/// Money as a policy writes it: `£20,000`, `£12.50`.
fn money(d: Decimal) -> String {
    let sign = if d.is_sign_negative() { "-" } else { "" };
    let d = d.abs();
    let whole = d.trunc().to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let pence = d.fract();
    if pence.is_zero() {
        format!("{sign}£{grouped}")
    } else {
        format!(
            "{sign}£{grouped}.{:02}",
            (pence * Decimal::ONE_HUNDRED).trunc()
        )
    }
}

fn sym(defs: &[crate::ir::EnumDef], i: u32, s: u32) -> String {
    defs.get(i as usize)
        .and_then(|d| d.values.get(s as usize))
        .map_or_else(|| s.to_string(), |v| v.to_string())
}

struct Space {
    columns: Vec<Column>,
}

impl Space {
    fn size(&self) -> Option<usize> {
        self.columns
            .iter()
            .try_fold(1usize, |n, c| n.checked_mul(c.pieces.len()))
    }
}

#[derive(Debug, PartialEq)]
enum RowFinding {
    /// The row's own conditions exclude every value.
    Empty(usize),
    /// The row, and the earlier rows that together cover it.
    Shadowed(usize, Vec<usize>),
    /// Two rows of a unique table, and a point both match.
    Overlap(usize, usize, Vec<usize>),
}

struct Analysis {
    findings: Vec<RowFinding>,
    /// A point no row covers.
    gap: Option<Vec<usize>>,
}

/// The coverage analysis over `boxes` (per row, per column, the pieces covered).
fn analyse(space: &Space, boxes: &[Vec<Vec<bool>>], unique: bool) -> Analysis {
    let sizes: Vec<usize> = space.columns.iter().map(|c| c.pieces.len()).collect();
    let contains = |b: &Vec<Vec<bool>>, p: &[usize]| {
        b.iter()
            .zip(p)
            .all(|(m, &i)| m.get(i).copied().unwrap_or(false))
    };
    let mut findings = Vec::new();
    for (r, b) in boxes.iter().enumerate() {
        let points = points_of(b);
        if points.is_empty() {
            findings.push(RowFinding::Empty(r));
            continue;
        }
        if unique {
            for (e, earlier) in boxes.iter().enumerate().take(r) {
                let common: Option<Vec<usize>> = earlier
                    .iter()
                    .zip(b)
                    .map(|(m1, m2)| m1.iter().zip(m2).position(|(x, y)| *x && *y))
                    .collect();
                if let Some(point) = common {
                    findings.push(RowFinding::Overlap(e, r, point));
                }
            }
            continue;
        }
        let mut by = Vec::new();
        let shadowed = points.iter().all(|p| {
            boxes
                .iter()
                .take(r)
                .position(|e| contains(e, p))
                .inspect(|&e| by.push(e))
                .is_some()
        });
        if shadowed {
            by.sort_unstable();
            by.dedup();
            findings.push(RowFinding::Shadowed(r, by));
        }
    }
    let gap = all_points(&sizes).find(|p| !boxes.iter().any(|b| contains(b, p)));
    Analysis { findings, gap }
}

/// The points of a box, in order.
fn points_of(b: &[Vec<bool>]) -> Vec<Vec<usize>> {
    let per: Vec<Vec<usize>> = b
        .iter()
        .map(|m| {
            m.iter()
                .enumerate()
                .filter(|(_, x)| **x)
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut out = vec![Vec::new()];
    for choices in &per {
        out = out
            .into_iter()
            .flat_map(|p: Vec<usize>| {
                choices.iter().map(move |&c| {
                    let mut q = p.clone();
                    q.push(c);
                    q
                })
            })
            .collect();
    }
    out
}

/// Every point of the space, in order (the first column varies slowest).
fn all_points(sizes: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let total: usize = sizes.iter().product();
    (0..total).map(move |mut n| {
        let mut p = vec![0; sizes.len()];
        for (i, s) in sizes.iter().enumerate().rev() {
            p[i] = n % s.max(&1);
            n /= s.max(&1);
        }
        p
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(pieces: usize, masks: Vec<Vec<bool>>) -> Column {
        Column {
            ty: Type::Number,
            pieces: (0..pieces)
                .map(|k| Piece::Is(Key::Num(Decimal::from(k))))
                .collect(),
            masks,
        }
    }

    /// Two columns: rows given as per-column masks.
    fn run(sizes: [usize; 2], rows: &[[&[usize]; 2]], unique: bool) -> Analysis {
        let mask = |n: usize, on: &[usize]| (0..n).map(|i| on.contains(&i)).collect::<Vec<_>>();
        let boxes: Vec<Vec<Vec<bool>>> = rows
            .iter()
            .map(|r| vec![mask(sizes[0], r[0]), mask(sizes[1], r[1])])
            .collect();
        let columns = (0..2)
            .map(|c| column(sizes[c], boxes.iter().map(|b| b[c].clone()).collect()))
            .collect();
        analyse(&Space { columns }, &boxes, unique)
    }

    #[test]
    fn a_row_covered_by_the_union_of_earlier_rows_is_shadowed() {
        // Row 3 (any, any) is covered by rows 1 and 2 together, though by neither alone.
        let a = run(
            [2, 2],
            &[[&[0], &[0, 1]], [&[1], &[0, 1]], [&[0, 1], &[0, 1]]],
            false,
        );
        assert_eq!(a.findings, vec![RowFinding::Shadowed(2, vec![0, 1])]);
        assert_eq!(a.gap, None);
    }

    #[test]
    fn a_row_partly_covered_is_not_shadowed_and_gaps_have_an_example() {
        let a = run([2, 3], &[[&[0], &[0, 1]], [&[0, 1], &[1]]], false);
        assert!(a.findings.is_empty());
        assert_eq!(a.gap, Some(vec![0, 2]));
    }

    #[test]
    fn unique_rows_that_share_a_point_overlap() {
        let a = run([2, 2], &[[&[0], &[0, 1]], [&[0, 1], &[1]]], true);
        assert_eq!(a.findings, vec![RowFinding::Overlap(0, 1, vec![0, 1])]);
        let b = run([2, 2], &[[&[0], &[0, 1]], [&[1], &[1]]], true);
        assert!(b.findings.is_empty());
        assert_eq!(b.gap, Some(vec![1, 0]));
    }

    #[test]
    fn a_row_that_excludes_everything_is_empty() {
        let a = run([2, 2], &[[&[], &[0]]], false);
        assert_eq!(a.findings, vec![RowFinding::Empty(0)]);
    }

    #[test]
    fn money_is_shown_as_written() {
        assert_eq!(money(Decimal::from(20000)), "£20,000");
        assert_eq!(money(Decimal::new(125, 1)), "£12.50");
        assert_eq!(money(Decimal::from(-1)), "-£1");
    }

    #[test]
    fn intervals_cut_at_every_bound() {
        let d = |n: i64| Decimal::from(n);
        let p = intervals(&[d(1), d(2)], false);
        assert_eq!(p.len(), 5);
        assert!(Cond::Cmp(Cmp::Ge, Key::Num(d(2))).holds(&p[3]));
        assert!(
            !Cond::Cmp(Cmp::Ge, Key::Num(d(2))).holds(&p[2]),
            "1.5 is not >= 2"
        );
        // Whole days: nothing lies between consecutive days.
        assert_eq!(intervals(&[d(1), d(2)], true).len(), 4);
        assert_eq!(intervals(&[d(1), d(3)], true).len(), 5);
    }
}
