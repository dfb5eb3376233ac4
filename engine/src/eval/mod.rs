//! The evaluator: runs a checked program over one record in three-valued logic.
//!
//! `let`s, needs, groups and decisions are computed at most once per record, on first use.
//! Tracing for explanations is a type parameter: with [`NoTrace`] every tracing call compiles
//! away, so explanations cost nothing unless asked for.

pub(crate) mod compiled;
pub(crate) mod record;
mod scan;

use crate::ir::*;
use crate::value::{self, and, field_path, not, or, List, Missing, Value};
use earlyhelp_grammar::ast::{Agg, Direction, Quant};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::sync::Arc;

/// One step of an explanation: a condition or value the decision rested on.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// Where in the policy the step's expression is.
    pub loc: Loc,
    /// The element a quantifier step is about (`C2`, `members[1]`, `2024-01-03`), if any.
    pub element: Option<String>,
    pub value: Value,
    pub ty: Type,
    /// The operands' values, for comparisons: `84.5% < 90%`.
    pub detail: Option<String>,
    pub children: Vec<Step>,
}

pub(crate) trait Tracer {
    const ON: bool;
    fn mark(&self) -> usize;
    fn push(&mut self, step: Step);
    fn take(&mut self, mark: usize) -> Vec<Step>;
}

pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn mark(&self) -> usize {
        0
    }
    #[inline(always)]
    fn push(&mut self, _: Step) {}
    #[inline(always)]
    fn take(&mut self, _: usize) -> Vec<Step> {
        Vec::new()
    }
}

#[derive(Default)]
pub(crate) struct Trace {
    steps: Vec<Step>,
}

impl Tracer for Trace {
    const ON: bool = true;
    fn mark(&self) -> usize {
        self.steps.len()
    }
    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }
    fn take(&mut self, mark: usize) -> Vec<Step> {
        self.steps.split_off(mark.min(self.steps.len()))
    }
}

/// One member's outcome in a per-member decision (see [`Eval::each`]).
pub(crate) struct Member {
    pub id: Arc<str>,
    /// `Some`: whether it is a member at all is undetermined, for want of these fields.
    pub maybe: Option<Missing>,
    pub value: Value,
    pub steps: Vec<Step>,
}

/// A let, need or decision once computed for this record, with its explanation steps.
type Memo = Option<(Value, Vec<Step>)>;

/// The per-record tables of an evaluation. Each thread keeps one set between records, so a batch
/// reuses their buffers instead of allocating five per record.
#[derive(Default)]
struct Scratch {
    lets: Vec<Memo>,
    needs: Vec<Memo>,
    groups: Vec<Option<Value>>,
    decisions: Vec<Memo>,
    stack: Vec<Value>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

pub(crate) struct Eval<'p, T: Tracer> {
    program: &'p Program,
    input: Value,
    params: Vec<Value>,
    /// Lets, needs, groups and decisions computed so far, and the frames of locals.
    tables: Scratch,
    base: usize,
    /// The date the policy is applied at (`as_at` in expressions).
    as_at: Option<chrono::NaiveDate>,
    pub(crate) tracer: T,
    /// Why an `extern fn` call failed: the record's error, checked by the caller afterwards.
    pub(crate) failure: Option<crate::script::Failure>,
}

impl<'p, T: Tracer> Eval<'p, T> {
    pub(crate) fn new(program: &'p Program, input: Value, params: Vec<Value>, tracer: T) -> Self {
        // A nested evaluation (none today) would find the thread's tables taken and start afresh.
        // Tables handed back are empty (see `Drop`), so only their sizes are set here.
        let mut tables = SCRATCH.try_with(|s| s.take()).unwrap_or_default();
        tables.lets.resize_with(program.lets.len(), || None);
        tables.needs.resize_with(program.needs.len(), || None);
        tables.groups.resize_with(program.groups.len(), || None);
        tables
            .decisions
            .resize_with(program.decisions.len(), || None);
        Eval {
            program,
            input,
            params,
            tables,
            base: 0,
            as_at: None,
            tracer,
            failure: None,
        }
    }

    /// Sets the as-at date that `as_at` in expressions reads.
    pub(crate) fn with_as_at(mut self, as_at: chrono::NaiveDate) -> Self {
        self.as_at = Some(as_at);
        self
    }

    /// Evaluates `e` in a fresh frame of `locals` slots.
    pub(crate) fn top(&mut self, e: &Expr, locals: u32) -> (Value, Vec<Step>) {
        let (saved_base, saved_len) = (self.base, self.tables.stack.len());
        self.base = saved_len;
        self.tables
            .stack
            .resize(saved_len + locals as usize, Value::unknown());
        let mark = self.tracer.mark();
        let v = self.eval(e);
        let steps = self.tracer.take(mark);
        self.tables.stack.truncate(saved_len);
        self.base = saved_base;
        (v, steps)
    }

    pub(crate) fn decision(&mut self, i: u32) -> (Value, Vec<Step>) {
        if let Some(Some(done)) = self.tables.decisions.get(i as usize) {
            return cached::<T>(done);
        }
        let program = self.program;
        let Some(d) = program.decisions.get(i as usize) else {
            return (Value::unknown(), Vec::new());
        };
        let out = self.top(&d.value, d.locals);
        self.tables.decisions[i as usize] = Some(out.clone());
        out
    }

    /// A per-member decision: the list of members (unknown when the list is), and for each member
    /// its `id`, whether it is only a maybe-member (and why), its value and explanation steps.
    pub(crate) fn each(&mut self, d: &DecisionDef, f: &ForEach) -> (Value, Vec<Member>) {
        let (saved_base, saved_len) = (self.base, self.tables.stack.len());
        self.base = saved_len;
        self.tables
            .stack
            .resize(saved_len + d.locals as usize, Value::unknown());
        let list = self.eval(&f.list);
        let mut members = Vec::new();
        if let Value::List(l) = &list {
            let id_name: Arc<str> = Arc::from("id");
            for (i, item) in l.items.iter().enumerate() {
                self.set_local(f.slot, item.clone());
                let mark = self.tracer.mark();
                let value = self.eval(&d.value);
                let steps = self.tracer.take(mark);
                let id = match field(item, f.id_field, &id_name) {
                    Value::Text(t) => t,
                    _ => Arc::from(""),
                };
                let maybe = l.maybe.as_ref().and_then(|m| m.get(i).cloned().flatten());
                members.push(Member {
                    id,
                    maybe,
                    value,
                    steps,
                });
            }
        }
        self.tables.stack.truncate(saved_len);
        self.base = saved_base;
        (list, members)
    }

    /// A `when` over levels whose condition is unknown (for want of `missing`): the level is one
    /// of the branches it could still take — `value`, a later branch, or `otherwise` — so it lies
    /// between the lowest and the highest of them, as `highest level met` does. Settled when they
    /// agree.
    fn level_between(
        &mut self,
        mut missing: Missing,
        value: &Expr,
        rest: &[(Expr, Expr)],
        otherwise: &Expr,
    ) -> Value {
        let mut candidates = vec![self.eval(value)];
        let mut reaches_otherwise = true;
        for (cond, v) in rest {
            match self.eval(cond) {
                Value::Bool(false) => continue,
                Value::Bool(true) => {
                    candidates.push(self.eval(v));
                    reaches_otherwise = false;
                    break;
                }
                other => {
                    missing = missing.union(&other.missing().settled());
                    candidates.push(self.eval(v));
                }
            }
        }
        if reaches_otherwise {
            candidates.push(self.eval(otherwise));
        }
        levels_between(missing, &candidates)
    }

    /// A decision table. The rows that could still match, in order, are those whose conditions
    /// are not known false, up to the first known true (for `unique`, a row known true is the
    /// only one: rows do not overlap). When they all give the same outcome, unknown inputs did
    /// not matter; otherwise the value is unknown, for want of the inputs that left rows
    /// possible — over levels, between the outcomes still possible.
    fn table(&mut self, e: &Expr, t: &Table) -> Value {
        if let Some(space) = &t.space {
            if let Some(v) = self.table_exact(e, t, space) {
                return v;
            }
        }
        let mut possible: Vec<&TableRow> = Vec::new();
        let mut missing = Missing::None;
        let mut matched = false;
        for row in &t.rows {
            let mut holds = Value::Bool(true);
            for cond in row.cells.iter().flatten() {
                let v = self.eval(cond);
                holds = and(holds, || v);
                if matches!(holds, Value::Bool(false)) {
                    break;
                }
            }
            match holds {
                Value::Bool(false) => {}
                Value::Bool(true) => {
                    if t.unique {
                        possible.clear();
                        missing = Missing::None;
                    }
                    possible.push(row);
                    matched = true;
                    break;
                }
                other => {
                    missing = missing.union(&other.missing().settled());
                    possible.push(row);
                }
            }
        }
        // No row may match: the table has no value (then nothing is missing but what the rows'
        // conditions wanted).
        if !matched {
            return Value::Unknown(missing);
        }
        self.outcome_of(e, t, &possible, missing)
    }

    /// The table's value when `possible` are the rows that may match (and some row does).
    fn outcome_of(
        &mut self,
        e: &Expr,
        t: &Table,
        possible: &[&TableRow],
        mut missing: Missing,
    ) -> Value {
        if let [row] = possible {
            let value = self.eval(&row.outcome);
            if T::ON {
                self.tracer.push(Step {
                    loc: row.loc,
                    element: None,
                    value: value.clone(),
                    ty: e.ty.clone(),
                    detail: Some(format!("row {}", row_number(t, row))),
                    children: Vec::new(),
                });
            }
            return value;
        }
        let outcomes: Vec<Value> = possible.iter().map(|r| self.eval(&r.outcome)).collect();
        if let Some((first, rest)) = outcomes.split_first() {
            let known = |v: &Value| !matches!(v, Value::Unknown(_) | Value::Range { .. });
            if known(first) && rest.iter().all(|v| same(v, first)) {
                return first.clone();
            }
        }
        if matches!(e.ty, Type::Level(_)) {
            return levels_between(missing, &outcomes);
        }
        for v in &outcomes {
            missing = missing.union(&v.missing());
        }
        Value::Unknown(missing)
    }

    /// A table whose rows the checker cut into pieces: the rows possible are exactly those some
    /// value of the unknown inputs reaches, and an unknown input is missing only when changing
    /// it alone changes the row. `None` when too many combinations (then rows are evaluated).
    fn table_exact(
        &mut self,
        e: &Expr,
        t: &Table,
        space: &[crate::check::table::Column],
    ) -> Option<Value> {
        let mut choices = Vec::with_capacity(t.inputs.len());
        let mut missings = Vec::with_capacity(t.inputs.len());
        let mut traces = Vec::with_capacity(t.inputs.len());
        for (input, column) in t.inputs.iter().zip(space) {
            let mark = self.tracer.mark();
            let v = self.eval(input);
            traces.push(self.tracer.take(mark));
            choices.push(column.pieces_of(&v));
            missings.push(v.missing());
        }
        let reach = reach(t, space, &choices)?;
        // An input matters when changing it alone changes the row.
        let mut missing = Missing::None;
        for (j, m) in missings.iter().enumerate() {
            if choices[j].len() < 2 {
                continue;
            }
            if reach.matters.get(j).copied().unwrap_or(false) {
                missing = missing.union(m);
            } else if let Some(steps) = traces.get_mut(j) {
                // An unknown input that did not matter is not part of the explanation.
                steps.clear();
            }
        }
        if reach.unmatched {
            return Some(Value::Unknown(missing));
        }
        let possible: Vec<&TableRow> = reach.rows.iter().filter_map(|&r| t.rows.get(r)).collect();
        let mark = self.tracer.mark();
        let value = self.outcome_of(e, t, &possible, missing);
        let outcome_steps = self.tracer.take(mark);
        // A settled value owes nothing to the inputs still unknown: explain it by the known ones.
        let settled = !matches!(value, Value::Unknown(_) | Value::Range { .. });
        for (j, steps) in traces.into_iter().enumerate() {
            if !settled || choices[j].len() < 2 {
                steps.into_iter().for_each(|s| self.tracer.push(s));
            }
        }
        outcome_steps.into_iter().for_each(|s| self.tracer.push(s));
        Some(value)
    }

    pub(crate) fn need(&mut self, i: u32) -> (Value, Vec<Step>) {
        if let Some(Some(done)) = self.tables.needs.get(i as usize) {
            return cached::<T>(done);
        }
        let program = self.program;
        let Some(n) = program.needs.get(i as usize) else {
            return (Value::unknown(), Vec::new());
        };
        let out = self.top(&n.when, n.locals);
        self.tables.needs[i as usize] = Some(out.clone());
        out
    }

    pub(crate) fn group(&mut self, i: u32) -> Value {
        if let Some(Some(v)) = self.tables.groups.get(i as usize) {
            return v.clone();
        }
        let program = self.program;
        let Some(g) = program.groups.get(i as usize) else {
            return Value::unknown();
        };
        let mut acc = Value::Bool(false);
        for &n in &g.needs {
            let (v, _) = self.need(n);
            acc = or(acc, || v);
            if matches!(acc, Value::Bool(true)) {
                // Every need is still evaluated (for `needs met`), but the group is settled.
            }
        }
        self.tables.groups[i as usize] = Some(acc.clone());
        acc
    }

    fn let_value(&mut self, i: u32) -> (Value, Vec<Step>) {
        if let Some(Some(done)) = self.tables.lets.get(i as usize) {
            return cached::<T>(done);
        }
        let program = self.program;
        let Some(l) = program.lets.get(i as usize) else {
            return (Value::unknown(), Vec::new());
        };
        let out = self.top(&l.value, l.locals);
        self.tables.lets[i as usize] = Some(out.clone());
        out
    }

    fn local(&self, slot: u32) -> Value {
        self.tables
            .stack
            .get(self.base + slot as usize)
            .cloned()
            .unwrap_or_else(Value::unknown)
    }

    fn place(&self, e: &Expr) -> Option<&Value> {
        place(
            e,
            &self.input,
            self.tables.stack.get(self.base..).unwrap_or_default(),
        )
    }

    fn set_local(&mut self, slot: u32, v: Value) {
        if let Some(s) = self.tables.stack.get_mut(self.base + slot as usize) {
            *s = v;
        }
    }

    /// Records a leaf step for a condition or a named value, with the operands that decided it.
    fn note(
        &mut self,
        e: &Expr,
        value: &Value,
        detail: impl FnOnce(&Self) -> Option<String>,
        children: Vec<Step>,
    ) {
        if T::ON {
            let detail = detail(self);
            self.tracer.push(Step {
                loc: e.loc,
                element: None,
                value: value.clone(),
                ty: e.ty.clone(),
                detail,
                children,
            });
        }
    }

    pub(crate) fn eval(&mut self, e: &Expr) -> Value {
        match &e.node {
            Node::Const(v) => v.clone(),
            Node::Input => self.input.clone(),
            Node::Local(slot) => self.local(*slot),
            Node::Param(i) => self
                .params
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(Value::unknown),
            Node::Let(i) => {
                let (v, steps) = self.let_value(*i);
                // A yes/no let is a reason; another shows its value when something (a script
                // call, say) explains it.
                if T::ON && (e.ty == Type::Bool || !steps.is_empty()) {
                    self.note(e, &v, |_| None, steps);
                }
                v
            }
            Node::Need(i) => {
                let (v, _) = self.need(*i);
                self.note(e, &v, |_| None, Vec::new());
                v
            }
            Node::Group(i) => {
                let v = self.group(*i);
                self.note(e, &v, |_| None, Vec::new());
                v
            }
            Node::Decision(i) => {
                let (v, steps) = self.decision(*i);
                self.note(e, &v, |_| None, steps);
                v
            }
            Node::Field { base, index, name } => {
                let v = match self.place(base) {
                    Some(b) => field(b, *index, name),
                    None => field(&self.eval(base), *index, name),
                };
                // A yes/no field read as a condition is a reason in its own right.
                if T::ON && e.ty == Type::Bool {
                    self.note(e, &v, |_| None, Vec::new());
                }
                v
            }
            Node::Project { base, index, name } => match self.eval(base) {
                Value::List(l) => {
                    let items = l
                        .items
                        .iter()
                        .map(|item| field(item, *index, name))
                        .collect();
                    Value::List(Arc::new(List {
                        items,
                        maybe: l.maybe.clone(),
                    }))
                }
                other => Value::Unknown(other.missing()),
            },
            Node::Meta { base, meta } => {
                let b = self.eval(base);
                self.meta(b, *meta)
            }
            Node::Call { function, args } => self.call(e, *function, args),
            Node::Builtin { builtin, args } => {
                // At most two arguments today: no allocation for them.
                let mut vals: smallvec::SmallVec<[Value; 2]> = smallvec::SmallVec::new();
                for a in args {
                    vals.push(self.eval(a));
                }
                let v = builtin.call(&vals);
                // A yes/no built-in read as a condition is a reason, shown with its arguments:
                // `compulsory_school_age(c.date_of_birth, today) (2013-05-05, 2024-06-01)`.
                if T::ON && e.ty == Type::Bool {
                    let program = self.program;
                    let detail = |_: &Self| {
                        let shown: Vec<String> = vals
                            .iter()
                            .zip(args)
                            .map(|(v, a)| crate::explain::show(program, v, &a.ty))
                            .collect();
                        Some(shown.join(", "))
                    };
                    self.note(e, &v, detail, Vec::new());
                }
                v
            }
            Node::Extern { function, args } => {
                let vals: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                let program = self.program;
                let v = crate::script::call(program, *function, &vals, e.loc, &mut self.failure);
                let detail = |_: &Self| Some(crate::script::detail(program, *function, &vals, &v));
                self.note(e, &v, detail, Vec::new());
                v
            }
            Node::List(items) => {
                let vals: Vec<Value> = items.iter().map(|x| self.eval(x)).collect();
                Value::List(Arc::new(List::certain(vals)))
            }
            Node::Not(x) => not(self.eval(x)),
            Node::Neg(x) => match self.eval(x) {
                Value::Num(d) => Value::Num(-d),
                other => Value::Unknown(other.missing().settled()),
            },
            Node::And(a, b) => self.junction(a, b, true),
            Node::Or(a, b) => self.junction(a, b, false),
            Node::Compare(op, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                let v = compare(*op, &x, &y);
                self.note(
                    e,
                    &v,
                    |this| Some(this.detail2(&x, a, cmp_word(*op), &y, b)),
                    Vec::new(),
                );
                v
            }
            Node::Between(x, lo, hi) => {
                let (v, l, h) = (self.eval(x), self.eval(lo), self.eval(hi));
                let r = and(compare(Cmp::Ge, &v, &l), || compare(Cmp::Le, &v, &h));
                self.note(
                    e,
                    &r,
                    |this| {
                        let program = this.program;
                        Some(format!(
                            "{} between {} and {}",
                            crate::explain::show(program, &v, &x.ty),
                            crate::explain::show(program, &l, &lo.ty),
                            crate::explain::show(program, &h, &hi.ty)
                        ))
                    },
                    Vec::new(),
                );
                r
            }
            Node::Arith(op, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                arith(*op, &x, &y)
            }
            Node::Shift {
                date,
                duration,
                subtract,
            } => match (self.eval(date), self.eval(duration)) {
                (Value::Date(d), Value::Duration(n)) => {
                    let r = if *subtract {
                        value::sub_duration(d, n)
                    } else {
                        value::add_duration(d, n)
                    };
                    r.map_or_else(Value::unknown, Value::Date)
                }
                (x, y) => Value::Unknown(x.missing().union(&y.missing())),
            },
            Node::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value);
                let l = self.eval(list);
                let r = member(&v, &l);
                let r = if *negated { not(r) } else { r };
                self.note(
                    e,
                    &r,
                    |this| {
                        Some(this.detail2(
                            &v,
                            value,
                            if *negated { "not in" } else { "in" },
                            &l,
                            list,
                        ))
                    },
                    Vec::new(),
                );
                r
            }
            Node::Known { value, known } => {
                let v = self.eval(value);
                let is_known = !matches!(v, Value::Unknown(_) | Value::Range { .. });
                let r = Value::Bool(is_known == *known);
                self.note(e, &r, |_| None, Vec::new());
                r
            }
            Node::Within {
                date,
                duration,
                direction,
                anchor,
            } => {
                let (d, n, t) = (self.eval(date), self.eval(duration), self.eval(anchor));
                let r = within(&d, &n, *direction, &t);
                self.note(
                    e,
                    &r,
                    |this| {
                        let program = this.program;
                        let word = if *direction == Direction::Before {
                            "before"
                        } else {
                            "after"
                        };
                        Some(format!(
                            "{} within {} {word} {}",
                            crate::explain::show(program, &d, &Type::Date),
                            crate::explain::show(program, &n, &Type::Duration),
                            crate::explain::show(program, &t, &Type::Date)
                        ))
                    },
                    Vec::new(),
                );
                r
            }
            Node::Filter { list, slot, cond } => {
                let l = self.eval(list);
                let Value::List(items) = l else {
                    return Value::Unknown(l.missing());
                };
                let mut out = List::default();
                let mark = self.tracer.mark();
                for (i, item) in items.items.iter().enumerate() {
                    let m = items.membership(i);
                    self.set_local(*slot, item.clone());
                    let member = and(m, || self.eval(cond));
                    out.push(member, || item.clone());
                }
                self.tracer.take(mark);
                Value::List(Arc::new(out))
            }
            Node::Quantifier {
                quant,
                list,
                slot,
                filter,
                body,
            } => self.quantifier(e, *quant, list, *slot, filter.as_deref(), body),
            Node::Aggregate {
                agg,
                list,
                slot,
                filter,
                body,
            } => self.aggregate(*agg, list, *slot, filter.as_deref(), body.as_deref()),
            Node::When { arms, otherwise } => {
                for (k, (cond, value)) in arms.iter().enumerate() {
                    match self.eval(cond) {
                        Value::Bool(true) => return self.eval(value),
                        Value::Bool(false) => continue,
                        other => {
                            let missing = other.missing().settled();
                            if matches!(e.ty, Type::Level(_)) {
                                return self.level_between(
                                    missing,
                                    value,
                                    &arms[k + 1..],
                                    otherwise,
                                );
                            }
                            return Value::Unknown(missing);
                        }
                    }
                }
                self.eval(otherwise)
            }
            Node::Otherwise(x, d) => match self.eval(x) {
                Value::Unknown(_) | Value::Range { .. } => self.eval(d),
                v => v,
            },
            Node::Table(t) => self.table(e, t),
            Node::Highest => self.highest(),
            Node::AsAt => self.as_at.map_or_else(Value::unknown, Value::Date),
            Node::MetGroups => {
                let values: Vec<Value> = (0..self.program.groups.len() as u32)
                    .map(|g| self.group(g))
                    .collect();
                met_list(values, Value::Group)
            }
            Node::MetNeeds => {
                let values: Vec<Value> = (0..self.program.needs.len() as u32)
                    .map(|n| self.need(n).0)
                    .collect();
                met_list(values, Value::Need)
            }
            Node::AllGroups => Value::List(Arc::new(List::certain(
                (0..self.program.groups.len() as u32)
                    .map(Value::Group)
                    .collect(),
            ))),
            Node::AllNeeds => Value::List(Arc::new(List::certain(
                (0..self.program.needs.len() as u32)
                    .map(Value::Need)
                    .collect(),
            ))),
        }
    }

    fn detail2(&self, x: &Value, xe: &Expr, word: &str, y: &Value, ye: &Expr) -> String {
        let program = self.program;
        format!(
            "{} {word} {}",
            crate::explain::show(program, x, &xe.ty),
            crate::explain::show(program, y, &ye.ty)
        )
    }

    /// `and` / `or`, keeping in the trace only the operands that decided the result.
    fn junction(&mut self, a: &Expr, b: &Expr, is_and: bool) -> Value {
        let mark = self.tracer.mark();
        let x = self.eval(a);
        let decisive = Value::Bool(!is_and);
        if matches!((&x, &decisive), (Value::Bool(p), Value::Bool(q)) if p == q) {
            if T::ON {
                let kept = self.tracer.take(mark);
                self.keep(kept);
            }
            return x;
        }
        let mid = self.tracer.mark();
        let y = self.eval(b);
        let sides = (kleene(&x), kleene(&y));
        let r = if is_and { and(x, || y) } else { or(x, || y) };
        if T::ON {
            let right = self.tracer.take(mid);
            let left = self.tracer.take(mark);
            // Keep the side(s) that settled the result: for a settled result the operands equal to
            // it; for an unknown result the unknown operands.
            let result = kleene(&r);
            let same = |side: Option<Option<bool>>| side.is_some() && side == result;
            if same(sides.0) {
                self.keep(left);
            }
            if same(sides.1) {
                self.keep(right);
            }
        }
        r
    }

    fn keep(&mut self, steps: Vec<Step>) {
        for s in steps {
            self.tracer.push(s);
        }
    }

    fn call(&mut self, e: &Expr, function: u32, args: &[Expr]) -> Value {
        let program = self.program;
        let Some(f) = program.functions.get(function as usize) else {
            return Value::unknown();
        };
        // Arguments go straight into the callee's frame, above the caller's.
        let (saved_base, saved_len) = (self.base, self.tables.stack.len());
        for a in args {
            let v = self.eval(a);
            self.tables.stack.push(v);
        }
        self.base = saved_len;
        self.tables.stack.resize(
            saved_len + (f.locals as usize).max(args.len()),
            Value::unknown(),
        );
        let mark = self.tracer.mark();
        let v = self.eval(&f.body);
        let steps = self.tracer.take(mark);
        self.tables.stack.truncate(saved_len);
        self.base = saved_base;
        if T::ON && e.ty == Type::Bool {
            self.note(e, &v, |_| None, steps);
        }
        v
    }

    fn quantifier(
        &mut self,
        e: &Expr,
        quant: Quant,
        list: &Expr,
        slot: u32,
        filter: Option<&Expr>,
        body: &Expr,
    ) -> Value {
        let l = self.eval(list);
        let Value::List(items) = l else {
            let v = Value::Unknown(l.missing());
            self.note(e, &v, |_| None, Vec::new());
            return v;
        };
        // `any` looks for a true element; `all` and `none` for a counterexample.
        let mut acc = Value::Bool(quant != Quant::Any);
        let mut witnesses: Vec<Step> = Vec::new();
        let mut unknowns: Vec<Step> = Vec::new();
        for (i, item) in items.items.iter().enumerate() {
            let m = items.membership(i);
            self.set_local(slot, item.clone());
            let mark = self.tracer.mark();
            let applies = and(m, || filter.map_or(Value::Bool(true), |f| self.eval(f)));
            let t = match quant {
                Quant::Any => and(applies, || self.eval(body)),
                Quant::All => or(not(applies), || self.eval(body)),
                Quant::None => not(and(applies, || self.eval(body))),
            };
            let steps = self.tracer.take(mark);
            let settles = matches!(
                (quant, &t),
                (Quant::Any, Value::Bool(true)) | (Quant::All | Quant::None, Value::Bool(false))
            );
            if T::ON {
                let step = Step {
                    loc: e.loc,
                    element: Some(crate::explain::element_name(
                        self.program,
                        item,
                        list.ty.element().unwrap_or(&Type::Error),
                    )),
                    value: t.clone(),
                    ty: Type::Bool,
                    detail: None,
                    children: steps,
                };
                if settles {
                    witnesses.push(step);
                } else if t.is_unknown() {
                    unknowns.push(step);
                }
            }
            acc = if quant == Quant::Any {
                or(acc, || t)
            } else {
                and(acc, || t)
            };
            if settles {
                break;
            }
        }
        if T::ON {
            let children = if witnesses.is_empty() {
                unknowns
            } else {
                witnesses
            };
            self.note(e, &acc, |_| None, children);
        }
        acc
    }

    fn aggregate(
        &mut self,
        agg: Agg,
        list: &Expr,
        slot: u32,
        filter: Option<&Expr>,
        body: Option<&Expr>,
    ) -> Value {
        let l = self.eval(list);
        let Value::List(items) = l else {
            return Value::Unknown(l.missing());
        };
        let mark = self.tracer.mark();
        let (mut lo, mut hi) = (0u32, 0u32);
        let mut missing = Missing::None;
        // Whether some element may or may not count: an unknown need not name a field.
        let mut maybe_member = false;
        let mut picked: Vec<Value> = Vec::new();
        for (i, item) in items.items.iter().enumerate() {
            let m = items.membership(i);
            self.set_local(slot, item.clone());
            let applies = and(m, || filter.map_or(Value::Bool(true), |f| self.eval(f)));
            if agg == Agg::Count {
                let counted = match body {
                    Some(b) => and(applies, || self.eval(b)),
                    None => applies,
                };
                match counted {
                    Value::Bool(true) => {
                        lo += 1;
                        hi += 1;
                    }
                    Value::Bool(false) => {}
                    other => {
                        hi += 1;
                        missing = missing.union(&other.missing());
                    }
                }
                continue;
            }
            match applies {
                Value::Bool(false) => continue,
                Value::Bool(true) => {}
                other => {
                    maybe_member = true;
                    missing = missing.union(&other.missing());
                    continue;
                }
            }
            let v = match body {
                Some(b) => self.eval(b),
                None => item.clone(),
            };
            if let Value::Unknown(m) = &v {
                missing = missing.union(m);
            }
            picked.push(v);
        }
        self.tracer.take(mark);
        if agg == Agg::Count {
            return if lo == hi {
                Value::Num(Decimal::from(lo))
            } else {
                Value::Range {
                    lo,
                    hi,
                    missing: missing.settled(),
                }
            };
        }
        if maybe_member || picked.iter().any(Value::is_unknown) {
            return Value::Unknown(missing.settled());
        }
        if agg != Agg::Sum && picked.iter().any(|v| matches!(v, Value::Range { .. })) {
            return bounded_extreme(agg, &picked);
        }
        match agg {
            Agg::Sum => {
                let mut total = Decimal::ZERO;
                for v in &picked {
                    if let Value::Num(d) = v {
                        match total.checked_add(*d) {
                            Some(t) => total = t,
                            None => return Value::unknown(),
                        }
                    }
                }
                Value::Num(total)
            }
            _ => {
                let want = if agg == Agg::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best: Option<Value> = None;
                for v in picked {
                    best = match best {
                        Some(b) if order(&v, &b) != Some(want) => Some(b),
                        _ => Some(v),
                    };
                }
                best.unwrap_or_else(Value::unknown)
            }
        }
    }

    /// The highest level among indicators known met; while an undetermined indicator could
    /// raise it, a range from that level to the highest it could reach.
    fn highest(&mut self) -> Value {
        let program = self.program;
        let mut known: u32 = 0;
        let mut open: Vec<(u32, Missing)> = Vec::new();
        for (i, n) in program.needs.iter().enumerate() {
            let Some(level) = n.level else { continue };
            match self.need(i as u32).0 {
                Value::Bool(true) => known = known.max(level),
                Value::Unknown(m) => open.push((level, m)),
                _ => {}
            }
        }
        let mut reach = known;
        let mut missing = Missing::None;
        for (level, m) in open.into_iter().filter(|(level, _)| *level > known) {
            reach = reach.max(level);
            missing = missing.union(&m);
        }
        if reach == known {
            Value::Symbol(known)
        } else {
            Value::Range {
                lo: known,
                hi: reach,
                missing: missing.settled(),
            }
        }
    }

    fn meta(&mut self, b: Value, meta: Meta) -> Value {
        let of = match b {
            Value::Group(g) if meta == Meta::Met => return self.group(g),
            Value::Need(n) if meta == Meta::Met => return self.need(n).0,
            Value::Group(g) => Subject::Group(g),
            Value::Need(n) => Subject::Need(n),
            Value::Symbol(i) => Subject::Level(i),
            other => return Value::Unknown(other.missing().settled()),
        };
        match self.program.meta(of, meta) {
            Found::Text(t) => Value::Text(t.into()),
            Found::Level(l) => Value::Symbol(l),
            Found::Group(g) => Value::Group(g),
            Found::Needs(needs) => Value::List(Arc::new(List::certain(
                needs.iter().map(|n| Value::Need(*n)).collect(),
            ))),
            Found::Nothing => Value::unknown(),
        }
    }
}

impl<T: Tracer> Drop for Eval<'_, T> {
    /// Hands the tables back to the thread for its next record. Their values are dropped here,
    /// so the buffers kept between records hold nothing of this record's data.
    fn drop(&mut self) {
        let mut tables = std::mem::take(&mut self.tables);
        tables.lets.clear();
        tables.needs.clear();
        tables.groups.clear();
        tables.decisions.clear();
        tables.stack.clear();
        // Fails only while the thread itself is ending: the buffers are then simply freed.
        let _ = SCRATCH.try_with(|cell| cell.set(tables));
    }
}

/// A yes/no value as three-valued logic sees it: `Some(Some(b))` known, `Some(None)` unknown,
/// `None` not a yes/no value at all.
fn kleene(v: &Value) -> Option<Option<bool>> {
    match v {
        Value::Bool(b) => Some(Some(*b)),
        Value::Unknown(_) => Some(None),
        _ => None,
    }
}

/// A computed let, need or decision handed out again: its steps are copied only when tracing.
fn cached<T: Tracer>(done: &(Value, Vec<Step>)) -> (Value, Vec<Step>) {
    if T::ON {
        done.clone()
    } else {
        (done.0.clone(), Vec::new())
    }
}

/// The value `e` reads in place, if it is the input, a local or a present field of one: a chain of
/// field reads borrows down to its last field, touching no reference counts on the way.
pub(crate) fn place<'v>(e: &Expr, input: &'v Value, locals: &'v [Value]) -> Option<&'v Value> {
    match &e.node {
        Node::Input => Some(input),
        Node::Local(slot) => locals.get(*slot as usize),
        Node::Field { base, index, .. } => match place(base, input, locals)? {
            Value::Record(r) => r
                .fields
                .get(*index as usize)
                .filter(|v| !matches!(v, Value::Unknown(Missing::None))),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a field; an absent field becomes unknown at its own path.
fn field(base: &Value, index: u32, name: &std::sync::Arc<str>) -> Value {
    match base {
        Value::Record(r) => match r.fields.get(index as usize) {
            Some(Value::Unknown(Missing::None)) => {
                Value::Unknown(Missing::At(field_path(&r.path, name)))
            }
            Some(v) => v.clone(),
            None => Value::unknown(),
        },
        Value::Unknown(Missing::At(p)) => Value::Unknown(Missing::At(field_path(p, name))),
        other => Value::Unknown(other.missing()),
    }
}

fn met_list(values: Vec<Value>, make: fn(u32) -> Value) -> Value {
    let mut list = List::certain(Vec::with_capacity(values.len()));
    for (i, v) in values.into_iter().enumerate() {
        list.push(v, || make(i as u32));
    }
    Value::List(Arc::new(list))
}

fn cmp_word(op: Cmp) -> &'static str {
    match op {
        Cmp::Eq => "is",
        Cmp::Ne => "is not",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

/// The order of two known values of one type.
pub(crate) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(crate::value::cmp_decimal(x, y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Symbol(x), Value::Symbol(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Group(x), Value::Group(y)) | (Value::Need(x), Value::Need(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.key().cmp(&y.key())),
        _ => None,
    }
}

fn holds(op: Cmp, o: Ordering) -> bool {
    match op {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Ne => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    }
}

/// Compares in three-valued logic. An unsettled count is compared by its bounds: `count >= 3` is
/// true when even the lower bound reaches 3, false when even the upper bound does not.
pub(crate) fn compare(op: Cmp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Unknown(x), Value::Unknown(y)) => Value::Unknown(x.union(y)),
        (Value::Unknown(x), _) | (_, Value::Unknown(x)) => Value::Unknown(x.clone().settled()),
        (Value::Range { lo, hi, missing }, other) | (other, Value::Range { lo, hi, missing }) => {
            let n = match other {
                Value::Num(n) => n,
                Value::Symbol(s) => &Decimal::from(*s),
                _ => return Value::Unknown(missing.clone()),
            };
            let flip = matches!(b, Value::Range { .. }) && !matches!(a, Value::Range { .. });
            let at = |k: u32| {
                let k = Decimal::from(k);
                let o = if flip { n.cmp(&k) } else { k.cmp(n) };
                holds(op, o)
            };
            let inside = Decimal::from(*lo) <= *n && *n <= Decimal::from(*hi);
            let (first, last) = (at(*lo), at(*hi));
            let settled = match op {
                Cmp::Eq if !inside => Some(false),
                Cmp::Ne if !inside => Some(true),
                Cmp::Eq | Cmp::Ne => None,
                _ if first == last => Some(first),
                _ => None,
            };
            settled.map_or_else(|| Value::Unknown(missing.clone()), Value::Bool)
        }
        _ => match order(a, b) {
            Some(o) => Value::Bool(holds(op, o)),
            None => Value::unknown(),
        },
    }
}

/// `v in list`: true if some certain member equals it, unknown if a member might.
fn member(v: &Value, list: &Value) -> Value {
    let Value::List(items) = list else {
        return Value::Unknown(list.missing().union(&v.missing()));
    };
    // Known value, certain members (`in [alcohol, drugs, both]`): plain comparisons, unless a
    // member cannot be compared.
    if items.maybe.is_none() {
        let mut comparable = true;
        for item in &items.items {
            match order(v, item) {
                Some(Ordering::Equal) => return Value::Bool(true),
                Some(_) => {}
                None => comparable = false,
            }
        }
        if comparable {
            return Value::Bool(false);
        }
    }
    let mut acc = Value::Bool(false);
    for (i, item) in items.items.iter().enumerate() {
        let t = and(items.membership(i), || compare(Cmp::Eq, v, item));
        acc = or(acc, || t);
        if matches!(acc, Value::Bool(true)) {
            break;
        }
    }
    acc
}

/// `d within n before t`: t − n < d ≤ t. `after`: t ≤ d < t + n.
fn within(d: &Value, n: &Value, direction: Direction, t: &Value) -> Value {
    match (d, n, t) {
        (Value::Date(d), Value::Duration(n), Value::Date(t)) => {
            let ok = match direction {
                Direction::Before => {
                    value::sub_duration(*t, *n).is_some_and(|start| start < *d && d <= t)
                }
                Direction::After => {
                    value::add_duration(*t, *n).is_some_and(|end| t <= d && *d < end)
                }
            };
            Value::Bool(ok)
        }
        _ => Value::Unknown(d.missing().union(&n.missing()).union(&t.missing())),
    }
}

fn arith(op: Arith, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => {
            let r = match op {
                Arith::Add => x.checked_add(*y),
                Arith::Sub => x.checked_sub(*y),
                Arith::Mul => x.checked_mul(*y),
                Arith::Div => x.checked_div(*y),
            };
            r.map_or_else(Value::unknown, Value::Num)
        }
        _ => Value::Unknown(a.missing().union(&b.missing())),
    }
}

/// `min of` / `max of` over values some of which are only known to lie in a range (an unsettled
/// count or level): the extreme of the lower bounds and of the upper bounds; known if they meet.
fn bounded_extreme(agg: Agg, values: &[Value]) -> Value {
    let mut bounds: Option<(u32, u32)> = None;
    let mut missing = Missing::None;
    let mut symbols = false;
    for v in values {
        let (lo, hi) = match v {
            Value::Range { lo, hi, missing: m } => {
                missing = missing.union(m);
                (*lo, *hi)
            }
            Value::Symbol(s) => {
                symbols = true;
                (*s, *s)
            }
            Value::Num(n) => match u32::try_from(*n) {
                Ok(k) if Decimal::from(k) == *n => (k, k),
                _ => return Value::Unknown(missing.settled()),
            },
            other => return Value::Unknown(other.missing().settled()),
        };
        bounds = Some(match (bounds, agg) {
            (None, _) => (lo, hi),
            (Some((a, b)), Agg::Min) => (a.min(lo), b.min(hi)),
            (Some((a, b)), _) => (a.max(lo), b.max(hi)),
        });
    }
    match bounds {
        Some((lo, hi)) if lo == hi && symbols => Value::Symbol(lo),
        Some((lo, hi)) if lo == hi => Value::Num(Decimal::from(lo)),
        Some((lo, hi)) => Value::Range {
            lo,
            hi,
            missing: missing.settled(),
        },
        None => Value::unknown(),
    }
}

/// What a table whose rows the checker cut into pieces may give, when input `j` may lie in any
/// of the pieces `choices[j]` (one for a known input): the rows some combination reaches, in
/// order; whether some combination reaches none; and, per input, whether changing it alone
/// changes the row (only then is it missing). `None` when there are too many combinations, or
/// none (then the rows are evaluated one by one). Both evaluators' tables.
pub(crate) struct Reach {
    pub rows: Vec<usize>,
    pub unmatched: bool,
    pub matters: Vec<bool>,
}

pub(crate) fn reach(
    t: &Table,
    space: &[crate::check::table::Column],
    choices: &[Vec<usize>],
) -> Option<Reach> {
    let total = choices
        .iter()
        .try_fold(1usize, |n, c| n.checked_mul(c.len()))?;
    if total > 1024 || total == 0 {
        return None;
    }
    let row_at = |point: &[usize]| {
        (0..t.rows.len()).find(|&r| {
            space.iter().zip(point).all(|(c, &p)| {
                c.masks
                    .get(r)
                    .and_then(|m| m.get(p))
                    .copied()
                    .unwrap_or(false)
            })
        })
    };
    let mut points: Vec<(Vec<usize>, Option<usize>)> = Vec::with_capacity(total);
    for mut n in 0..total {
        let mut point = vec![0; choices.len()];
        for (j, c) in choices.iter().enumerate().rev() {
            point[j] = c[n % c.len()];
            n /= c.len();
        }
        let row = row_at(&point);
        points.push((point, row));
    }
    let mut rows: Vec<usize> = points.iter().filter_map(|(_, r)| *r).collect();
    rows.sort_unstable();
    rows.dedup();
    let matters = choices
        .iter()
        .enumerate()
        .map(|(j, choice)| {
            choice.len() >= 2
                && points.iter().any(|(p, r)| {
                    choice.iter().any(|&alt| {
                        let mut q = p.clone();
                        q[j] = alt;
                        row_at(&q) != *r
                    })
                })
        })
        .collect();
    Some(Reach {
        unmatched: points.iter().any(|(_, r)| r.is_none()),
        rows,
        matters,
    })
}

/// The 1-based number of `row` in its table, for explanations.
fn row_number(t: &Table, row: &TableRow) -> usize {
    t.rows
        .iter()
        .position(|r| std::ptr::eq(r, row))
        .map_or(0, |i| i + 1)
}

/// A level that is one of `candidates`: between the lowest and the highest of them.
fn levels_between(mut missing: Missing, candidates: &[Value]) -> Value {
    let mut bounds: Option<(u32, u32)> = None;
    for c in candidates {
        let (lo, hi) = match c {
            Value::Symbol(s) => (*s, *s),
            Value::Range { lo, hi, missing: m } => {
                missing = missing.union(m);
                (*lo, *hi)
            }
            other => return Value::Unknown(missing.union(&other.missing())),
        };
        bounds = Some(bounds.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    match bounds {
        Some((lo, hi)) if lo == hi => Value::Symbol(lo),
        Some((lo, hi)) => Value::Range { lo, hi, missing },
        None => Value::Unknown(missing),
    }
}

/// Whether two known values are the same (a list is never taken to be: conservative).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Symbol(x), Value::Symbol(y)) => x == y,
        _ => false,
    }
}
