//! The first tier of evaluation: the lowered program compiled to closures over unboxed values
//! ([`V`]: a byte for yes/no, decimals and dates inline, records and lists borrowed from the
//! decoded input), with no record paths tracked; conditions are compiled to closures that give
//! their yes/no ([`T`]) directly. Most records are settled here.
//!
//! It gives the outputs when every decision output is settled: then no path is missing and no
//! explanation was asked for, so that is the whole answer. Otherwise (a decision undetermined, or
//! a construct this tier leaves to the reference, see [`Frame::bail`]) the caller evaluates the
//! record again with the reference evaluator (`super::Eval`), which tracks missing paths, starting
//! from the lets, needs, groups and decisions this tier settled ([`Known`]): only what is
//! undetermined is evaluated twice. Both must agree byte for byte: `benches/tests/compiled_agrees.rs`
//! and the `compiled` fuzz target compare them.

use super::holds;
use crate::ir::*;
use crate::value::{self, Duration, List, Missing, Record, Value};
use chrono::NaiveDate;
use earlyhelp_grammar::ast::{Agg, Direction, Quant};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use std::cell::Cell;
use std::cmp::Ordering;
use std::sync::Arc;

/// A value of the first tier: what [`Value`] is without the paths that made it unknown.
#[derive(Clone, Copy, Debug)]
pub(crate) enum V<'a> {
    Unk,
    Bool(bool),
    Num(Decimal),
    /// A count or level not yet settled: at least `.0`, at most `.1`.
    Range(u32, u32),
    Text(&'a str),
    Date(NaiveDate),
    Dur(Duration),
    Sym(u32),
    Group(u32),
    Need(u32),
    Rec(&'a Record),
    List(L<'a>),
}

/// A list: one of the decoded record's (or a constant), or one made during this evaluation,
/// held in the frame's arena.
#[derive(Clone, Copy, Debug)]
pub(crate) enum L<'a> {
    Held(&'a List),
    Made { start: u32, len: u32 },
}

fn of(v: &Value) -> V<'_> {
    match v {
        Value::Unknown(_) => V::Unk,
        Value::Bool(b) => V::Bool(*b),
        Value::Num(d) => V::Num(*d),
        Value::Range { lo, hi, .. } => V::Range(*lo, *hi),
        Value::Text(t) => V::Text(t),
        Value::Date(d) => V::Date(*d),
        Value::Duration(d) => V::Dur(*d),
        Value::Symbol(s) => V::Sym(*s),
        Value::Group(g) => V::Group(*g),
        Value::Need(n) => V::Need(*n),
        Value::Record(r) => V::Rec(r),
        Value::List(l) => V::List(L::Held(l)),
    }
}

/// A value that borrows nothing, known when compiling.
fn scalar(v: &Value) -> Option<V<'static>> {
    Some(match v {
        Value::Unknown(_) => V::Unk,
        Value::Bool(b) => V::Bool(*b),
        Value::Num(d) => V::Num(*d),
        Value::Range { lo, hi, .. } => V::Range(*lo, *hi),
        Value::Date(d) => V::Date(*d),
        Value::Duration(d) => V::Dur(*d),
        Value::Symbol(s) => V::Sym(*s),
        Value::Group(g) => V::Group(*g),
        Value::Need(n) => V::Need(*n),
        Value::Text(_) | Value::Record(_) | Value::List(_) => return None,
    })
}

fn unsettled(v: &V<'_>) -> bool {
    matches!(v, V::Unk | V::Range(..))
}

type Code = Box<dyn for<'a> Fn(&mut Frame<'a>) -> V<'a> + Send + Sync>;

/// A condition compiled to give its yes/no directly, without going through a [`V`].
type Test = Box<dyn for<'a> Fn(&mut Frame<'a>) -> T + Send + Sync>;

/// A compiled expression evaluated in a fresh frame of `locals` slots.
struct Top {
    code: Code,
    locals: u32,
}

/// The compiled program. `None` from [`Compiled::new`] when the policy uses a construct this
/// tier does not compile (`extern fn` calls): the reference evaluator then serves every record.
pub(crate) struct Compiled {
    lets: Vec<Top>,
    functions: Vec<Top>,
    needs: Vec<Top>,
    decisions: Vec<Top>,
    /// Per-member decisions: their list and each member's value (`None` for the others).
    each: Vec<Option<(Code, Code)>>,
    /// Constants that borrow (texts, lists), read from here during evaluation.
    consts: Vec<Value>,
}

/// Why a policy is not compiled.
struct Unsupported;

pub(crate) struct Frame<'a> {
    c: &'a Compiled,
    p: &'a Program,
    input: V<'a>,
    params: &'a [Value],
    as_at: Option<NaiveDate>,
    lets: Vec<Option<V<'a>>>,
    needs: Vec<Option<V<'a>>>,
    groups: Vec<Option<V<'a>>>,
    decisions: Vec<Option<V<'a>>>,
    stack: Vec<V<'a>>,
    base: usize,
    /// Elements of the lists made so far, with whether each is only a maybe-member.
    made: Vec<(V<'a>, bool)>,
    /// Elements of the lists being made; nested lists are finished before their outer one goes
    /// on, so each list's elements are contiguous at the top.
    building: Vec<(V<'a>, bool)>,
    /// Results of fns called on one record (`age(c)`), by fn and the record's address: a rule
    /// asks the same of a person several times, and a call is pure within a record.
    calls: Vec<(u32, usize, V<'a>)>,
    /// Set when a construct met a case this tier leaves to the reference evaluator.
    bail: bool,
}

impl Compiled {
    pub(crate) fn new(p: &Program) -> Option<Compiled> {
        let mut consts = Vec::new();
        let mut cx = Cx {
            consts: &mut consts,
        };
        // Each body compiled with its frame size; one construct this tier cannot run leaves
        // the whole program to the reference evaluator.
        fn tops<'e, T: 'e>(
            items: &'e [T],
            body: impl Fn(&'e T) -> (&'e Expr, u32),
            cx: &mut Cx<'_>,
        ) -> Option<Vec<Top>> {
            items
                .iter()
                .map(|item| {
                    let (e, locals) = body(item);
                    Ok(Top {
                        code: cx.compile(e)?,
                        locals,
                    })
                })
                .collect::<Result<_, Unsupported>>()
                .ok()
        }
        let lets = tops(&p.lets, |l| (&l.value, l.locals), &mut cx)?;
        let functions = tops(&p.functions, |f| (&f.body, f.locals), &mut cx)?;
        let needs = tops(&p.needs, |n| (&n.when, n.locals), &mut cx)?;
        let decisions = tops(&p.decisions, |d| (&d.value, d.locals), &mut cx)?;
        let each = p
            .decisions
            .iter()
            .map(|d| match &d.for_each {
                Some(f) => Ok(Some((cx.compile(&f.list)?, cx.compile(&d.value)?))),
                None => Ok(None),
            })
            .collect::<Result<_, Unsupported>>()
            .ok()?;
        Some(Compiled {
            lets,
            functions,
            needs,
            decisions,
            each,
            consts,
        })
    }

    /// Evaluates a record: its outputs when every decision output is settled, else the values
    /// it did settle, for the reference evaluator to start from.
    pub(crate) fn first_tier(
        &self,
        p: &Program,
        input: &Value,
        params: &[Value],
        as_at: NaiveDate,
        internal: bool,
    ) -> Tier1 {
        let buffers = BUFFERS.try_with(Cell::take).unwrap_or_default();
        let table = |mut t: Vec<Option<V<'static>>>, len: usize| {
            t.resize(len, None);
            t
        };
        let mut f = Frame {
            c: self,
            p,
            input: of(input),
            params,
            as_at: Some(as_at),
            lets: table(buffers.lets, p.lets.len()),
            needs: table(buffers.needs, p.needs.len()),
            groups: table(buffers.groups, p.groups.len()),
            decisions: table(buffers.decisions, p.decisions.len()),
            stack: buffers.stack,
            base: 0,
            made: buffers.made,
            building: buffers.building,
            calls: buffers.calls,
            bail: false,
        };
        let mut outputs = Map::new();
        let mut undetermined = false;
        for (i, d) in p.decisions.iter().enumerate() {
            if d.internal && !internal {
                continue;
            }
            // After an undetermined decision the others are still evaluated: what they settle
            // the reference need not evaluate again.
            let json = match (&d.for_each, self.each.get(i)) {
                (Some(each), Some(Some((list, value)))) => f.per_member(d, each, list, value),
                _ => {
                    let v = f.decision(i as u32);
                    (!unsettled(&v) && !undetermined).then(|| f.json(v, &d.value.ty))
                }
            };
            match json {
                Some(json) if !undetermined => _ = outputs.insert(d.name.clone(), json),
                Some(_) => {}
                None => undetermined = true,
            }
        }
        let tier = match (f.bail, undetermined) {
            // A value that rests on a case left to the reference may be wrong: none is kept.
            (true, _) => Tier1::Partial(Known::default()),
            (false, true) => Tier1::Partial(f.known()),
            (false, false) => Tier1::Settled(outputs),
        };
        _ = BUFFERS.try_with(|b| b.set(Buffers::emptied(f)));
        tier
    }
}

/// How many fn results on records one record's evaluation keeps (Supporting Families asks about
/// 20 of a family of four).
const MEMO_CALLS: usize = 64;

thread_local! {
    /// The frame's tables, kept empty between records so that a record allocates none.
    static BUFFERS: Cell<Buffers> = Cell::default();
}

#[derive(Default)]
struct Buffers {
    lets: Vec<Option<V<'static>>>,
    needs: Vec<Option<V<'static>>>,
    groups: Vec<Option<V<'static>>>,
    decisions: Vec<Option<V<'static>>>,
    stack: Vec<V<'static>>,
    made: Vec<(V<'static>, bool)>,
    building: Vec<(V<'static>, bool)>,
    calls: Vec<(u32, usize, V<'static>)>,
}

impl Buffers {
    /// The frame's tables, emptied of the values that borrow its record.
    fn emptied(f: Frame<'_>) -> Buffers {
        Buffers {
            lets: emptied(f.lets),
            needs: emptied(f.needs),
            groups: emptied(f.groups),
            decisions: emptied(f.decisions),
            stack: emptied(f.stack),
            made: emptied(f.made),
            building: emptied(f.building),
            calls: emptied(f.calls),
        }
    }
}

/// An empty vector in `v`'s allocation, of the same values over `'static` (the field it goes to
/// names the type): it held nothing after `clear`, so nothing borrowed outlives the record, and
/// collecting an empty iterator in place reuses the buffer.
fn emptied<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// What the first tier made of a record.
pub(crate) enum Tier1 {
    /// Every decision output settled: the record's outputs (nothing is missing).
    Settled(Map<String, Json>),
    /// Some decision undetermined (or a case left to the reference).
    Partial(Known),
}

/// The lets, needs, groups and decisions the first tier settled, as the reference evaluator
/// holds them: a settled value carries no missing path, so the reference would compute the same.
#[derive(Default)]
pub(crate) struct Known {
    pub lets: Vec<(u32, Value)>,
    pub needs: Vec<(u32, Value)>,
    pub groups: Vec<(u32, Value)>,
    pub decisions: Vec<(u32, Value)>,
}

impl<'a> Frame<'a> {
    fn top(&mut self, t: &Top) -> V<'a> {
        let (saved_base, saved_len) = (self.base, self.stack.len());
        self.base = saved_len;
        self.stack.resize(saved_len + t.locals as usize, V::Unk);
        let v = (t.code)(self);
        self.stack.truncate(saved_len);
        self.base = saved_base;
        v
    }

    /// Entry `i` of one of the memo tables (lets, needs or decisions): evaluated by its
    /// compiled body the first time, read back after.
    #[inline]
    fn memo(
        &mut self,
        i: u32,
        table: impl Fn(&mut Self) -> &mut Vec<Option<V<'a>>>,
        code: impl Fn(&'a Compiled) -> &'a [Top],
    ) -> V<'a> {
        if let Some(Some(v)) = table(self).get(i as usize) {
            return *v;
        }
        // Out of line: a read back, the common case, then saves no registers.
        #[inline(never)]
        fn first<'a>(
            f: &mut Frame<'a>,
            i: u32,
            table: impl for<'f> Fn(&'f mut Frame<'a>) -> &'f mut Vec<Option<V<'a>>>,
            code: impl Fn(&'a Compiled) -> &'a [Top],
        ) -> V<'a> {
            let Some(t) = code(f.c).get(i as usize) else {
                return V::Unk;
            };
            let v = f.top(t);
            table(f)[i as usize] = Some(v);
            v
        }
        first(self, i, table, code)
    }

    #[inline]
    fn decision(&mut self, i: u32) -> V<'a> {
        self.memo(i, |f| &mut f.decisions, |c| &c.decisions)
    }

    #[inline]
    fn need(&mut self, i: u32) -> V<'a> {
        self.memo(i, |f| &mut f.needs, |c| &c.needs)
    }

    fn group(&mut self, i: u32) -> V<'a> {
        if let Some(Some(v)) = self.groups.get(i as usize) {
            return *v;
        }
        let p = self.p;
        let Some(g) = p.groups.get(i as usize) else {
            return V::Unk;
        };
        let mut acc = T::No;
        for &n in &g.needs {
            let v = self.need(n);
            acc = acc.or(T::of(v));
        }
        let met = acc.v();
        self.groups[i as usize] = Some(met);
        met
    }

    #[inline]
    fn let_value(&mut self, i: u32) -> V<'a> {
        self.memo(i, |f| &mut f.lets, |c| &c.lets)
    }

    fn local(&self, slot: u32) -> V<'a> {
        self.stack
            .get(self.base + slot as usize)
            .copied()
            .unwrap_or(V::Unk)
    }

    fn set_local(&mut self, slot: u32, v: V<'a>) {
        if let Some(s) = self.stack.get_mut(self.base + slot as usize) {
            *s = v;
        }
    }

    fn len(&self, l: L<'a>) -> usize {
        match l {
            L::Held(l) => l.items.len(),
            L::Made { len, .. } => len as usize,
        }
    }

    /// Element `i` and whether it is only a maybe-member.
    fn item(&self, l: L<'a>, i: usize) -> (V<'a>, bool) {
        match l {
            L::Held(l) => {
                let maybe = l
                    .maybe
                    .as_ref()
                    .is_some_and(|m| m.get(i).is_some_and(Option::is_some));
                (l.items.get(i).map_or(V::Unk, of), maybe)
            }
            L::Made { start, .. } => self
                .made
                .get(start as usize + i)
                .copied()
                .unwrap_or((V::Unk, false)),
        }
    }

    /// Adds `item` to the list being built when `membership` is true, as a maybe-member when
    /// it is anything but yes or no (as `List::push`).
    fn push(&mut self, membership: T, item: V<'a>) {
        match membership {
            T::Yes => self.building.push((item, false)),
            T::No => {}
            T::Unk => self.building.push((item, true)),
        }
    }

    /// Finishes the list whose elements were built from `mark` on.
    fn finish(&mut self, mark: usize) -> V<'a> {
        let start = self.made.len() as u32;
        let len = (self.building.len() - mark) as u32;
        self.made.extend(self.building.drain(mark..));
        V::List(L::Made { start, len })
    }

    /// The reference evaluator's value for `v`, for the output (paths are not tracked here).
    fn value(&self, v: V<'a>) -> Value {
        match v {
            // A record outputs as null, as an unknown does.
            V::Unk | V::Rec(_) => Value::unknown(),
            V::Bool(b) => Value::Bool(b),
            V::Num(d) => Value::Num(d),
            V::Range(lo, hi) => Value::Range {
                lo,
                hi,
                missing: Missing::None,
            },
            V::Text(t) => Value::Text(t.into()),
            V::Date(d) => Value::Date(d),
            V::Dur(d) => Value::Duration(d),
            V::Sym(s) => Value::Symbol(s),
            V::Group(g) => Value::Group(g),
            V::Need(n) => Value::Need(n),
            V::List(l) => {
                let n = self.len(l);
                let mut items = Vec::with_capacity(n);
                let mut maybe = Vec::with_capacity(n);
                for i in 0..n {
                    let (x, m) = self.item(l, i);
                    items.push(self.value(x));
                    maybe.push(m.then_some(Missing::None));
                }
                let maybe = maybe.iter().any(Option::is_some).then_some(maybe);
                Value::List(Arc::new(List { items, maybe }))
            }
        }
    }

    /// A settled value as an output, as `policy::to_json` writes it; a list without first
    /// being made a [`Value`] (its certain members only, as there).
    fn json(&self, v: V<'a>, ty: &Type) -> Json {
        match v {
            V::List(l) => {
                let elem = ty.element().cloned().unwrap_or(Type::Error);
                Json::Array(
                    (0..self.len(l))
                        .map(|i| self.item(l, i))
                        .filter(|&(_, maybe)| !maybe)
                        .map(|(x, _)| self.json(x, &elem))
                        .collect(),
                )
            }
            v => crate::policy::to_json(self.p, &self.value(v), ty),
        }
    }

    /// A per-member decision's output, when the list and every member are settled.
    fn per_member(
        &mut self,
        d: &DecisionDef,
        each: &ForEach,
        list: &Code,
        value: &Code,
    ) -> Option<Json> {
        let (saved_base, saved_len) = (self.base, self.stack.len());
        self.base = saved_len;
        self.stack.resize(saved_len + d.locals as usize, V::Unk);
        let json = self.members(d, each, list, value);
        self.stack.truncate(saved_len);
        self.base = saved_base;
        json
    }

    fn members(
        &mut self,
        d: &DecisionDef,
        each: &ForEach,
        list: &Code,
        value: &Code,
    ) -> Option<Json> {
        let V::List(l) = list(self) else {
            return None;
        };
        let mut by_id = Map::new();
        for i in 0..self.len(l) {
            let (item, maybe) = self.item(l, i);
            if maybe {
                return None;
            }
            self.set_local(each.slot, item);
            let v = value(self);
            if unsettled(&v) {
                return None;
            }
            let id = match field(item, each.id_field) {
                V::Text(t) => t,
                _ => "",
            };
            let ty = &d.value.ty;
            by_id.insert(id.to_string(), self.json(v, ty));
        }
        Some(Json::Object(by_id))
    }

    /// The values settled so far that the reference holds without allocating.
    fn known(&self) -> Known {
        let settled = |table: &[Option<V<'a>>]| -> Vec<(u32, Value)> {
            table
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Some(
                        v @ (V::Bool(_)
                        | V::Num(_)
                        | V::Date(_)
                        | V::Dur(_)
                        | V::Sym(_)
                        | V::Group(_)
                        | V::Need(_)),
                    ) => Some((i as u32, self.value(*v))),
                    _ => None,
                })
                .collect()
        };
        Known {
            lets: settled(&self.lets),
            needs: settled(&self.needs),
            groups: settled(&self.groups),
            decisions: settled(&self.decisions),
        }
    }

    fn call(&mut self, function: u32, args: &[Code]) -> V<'a> {
        let c = self.c;
        let Some(f) = c.functions.get(function as usize) else {
            return V::Unk;
        };
        // Arguments go straight into the callee's frame, above the caller's.
        let (saved_base, saved_len) = (self.base, self.stack.len());
        for a in args {
            let v = a(self);
            self.stack.push(v);
        }
        let memo = match self.stack.get(saved_len..) {
            Some([V::Rec(r)]) => Some((function, std::ptr::from_ref::<Record>(r) as usize)),
            _ => None,
        };
        if let Some(hit) = memo.and_then(|(g, r)| {
            self.calls
                .iter()
                .find(|&&(h, s, _)| (h, s) == (g, r))
                .map(|&(_, _, v)| v)
        }) {
            self.stack.truncate(saved_len);
            return hit;
        }
        self.base = saved_len;
        self.stack
            .resize(saved_len + (f.locals as usize).max(args.len()), V::Unk);
        let v = (f.code)(self);
        self.stack.truncate(saved_len);
        self.base = saved_base;
        // A bounded table, searched in full: a household of hundreds must not make every call
        // a long search (results past the bound are computed each time, as before).
        if let (Some((g, r)), true) = (memo, self.calls.len() < MEMO_CALLS) {
            self.calls.push((g, r, v));
        }
        v
    }

    fn meta(&mut self, b: V<'a>, meta: Meta) -> V<'a> {
        let of = match b {
            V::Group(g) if meta == Meta::Met => return self.group(g),
            V::Need(n) if meta == Meta::Met => return self.need(n),
            V::Group(g) => Subject::Group(g),
            V::Need(n) => Subject::Need(n),
            V::Sym(i) => Subject::Level(i),
            _ => return V::Unk,
        };
        match self.p.meta(of, meta) {
            Found::Text(t) => V::Text(t),
            Found::Level(l) => V::Sym(l),
            Found::Group(g) => V::Group(g),
            Found::Needs(needs) => {
                let mark = self.building.len();
                self.building
                    .extend(needs.iter().map(|n| (V::Need(*n), false)));
                self.finish(mark)
            }
            Found::Nothing => V::Unk,
        }
    }

    /// `highest level met` (as the reference's: a range while an unknown indicator could
    /// raise it).
    fn highest(&mut self) -> V<'a> {
        let p = self.p;
        let (mut known, mut open) = (0u32, 0u32);
        for (i, n) in p.needs.iter().enumerate() {
            let Some(level) = n.level else { continue };
            match self.need(i as u32) {
                V::Bool(true) => known = known.max(level),
                V::Unk => open = open.max(level),
                _ => {}
            }
        }
        let reach = known.max(open);
        if reach == known {
            V::Sym(known)
        } else {
            V::Range(known, reach)
        }
    }

    #[inline(always)]
    fn quantifier(
        &mut self,
        quant: Quant,
        l: V<'a>,
        slot: u32,
        filter: Option<&Test>,
        body: &Test,
    ) -> T {
        let V::List(items) = l else {
            return T::Unk;
        };
        // `any` looks for a true element; `all` and `none` for a counterexample.
        let mut acc = if quant == Quant::Any { T::No } else { T::Yes };
        for i in 0..self.len(items) {
            let (item, maybe) = self.item(items, i);
            self.set_local(slot, item);
            let applies = membership(maybe).and_then(|| filter.map_or(T::Yes, |f| f(self)));
            let t = match quant {
                Quant::Any => applies.and_then(|| body(self)),
                Quant::All => applies.not().or_then(|| body(self)),
                Quant::None => applies.and_then(|| body(self)).not(),
            };
            let settles = matches!(
                (quant, t),
                (Quant::Any, T::Yes) | (Quant::All | Quant::None, T::No)
            );
            acc = if quant == Quant::Any {
                acc.or(t)
            } else {
                acc.and(t)
            };
            if settles {
                break;
            }
        }
        acc
    }

    fn aggregate(
        &mut self,
        agg: Agg,
        l: V<'a>,
        slot: u32,
        filter: Option<&Test>,
        body: Option<&Code>,
    ) -> V<'a> {
        let V::List(items) = l else {
            return V::Unk;
        };
        let (mut lo, mut hi) = (0u32, 0u32);
        let mut maybe_member = false;
        // The values picked, on the building stack until the end.
        let mark = self.building.len();
        for i in 0..self.len(items) {
            let (item, maybe) = self.item(items, i);
            self.set_local(slot, item);
            let applies = membership(maybe).and_then(|| filter.map_or(T::Yes, |f| f(self)));
            if agg == Agg::Count {
                let counted = match body {
                    Some(b) => applies.and_then(|| T::of(b(self))),
                    None => applies,
                };
                match counted {
                    T::Yes => {
                        lo += 1;
                        hi += 1;
                    }
                    T::No => {}
                    T::Unk => hi += 1,
                }
                continue;
            }
            match applies {
                T::No => continue,
                T::Yes => {}
                T::Unk => {
                    maybe_member = true;
                    continue;
                }
            }
            let v = match body {
                Some(b) => b(self),
                None => item,
            };
            self.building.push((v, false));
        }
        let picked: smallvec::SmallVec<[V<'a>; 8]> =
            self.building.drain(mark..).map(|(v, _)| v).collect();
        if agg == Agg::Count {
            return if lo == hi {
                V::Num(Decimal::from(lo))
            } else {
                V::Range(lo, hi)
            };
        }
        if maybe_member || picked.iter().any(|v| matches!(v, V::Unk)) {
            return V::Unk;
        }
        if agg != Agg::Sum && picked.iter().any(|v| matches!(v, V::Range(..))) {
            return bounded_extreme(agg, &picked);
        }
        match agg {
            Agg::Sum => {
                let mut total = Decimal::ZERO;
                for v in &picked {
                    if let V::Num(d) = v {
                        match total.checked_add(*d) {
                            Some(t) => total = t,
                            None => return V::Unk,
                        }
                    }
                }
                V::Num(total)
            }
            _ => {
                let want = if agg == Agg::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best: Option<V<'a>> = None;
                for v in picked {
                    best = match best {
                        Some(b) if order(&v, &b) != Some(want) => Some(b),
                        _ => Some(v),
                    };
                }
                best.unwrap_or(V::Unk)
            }
        }
    }

    /// A decision table, for inputs that are all known (else the reference decides).
    fn table(&mut self, t: &Table, inputs: &[Code], rows: &[CRow]) -> V<'a> {
        if let Some(space) = &t.space {
            let mut point = smallvec::SmallVec::<[usize; 4]>::new();
            let mut total = 1usize;
            for (input, column) in inputs.iter().zip(space) {
                let v = input(self);
                if matches!(v, V::Unk | V::Range(..) | V::Rec(_) | V::List(_)) {
                    self.bail = true;
                    return V::Unk;
                }
                let pieces = column.pieces_of(&self.value(v));
                total = total.saturating_mul(pieces.len());
                point.push(pieces.first().copied().unwrap_or(0));
            }
            if total > 1 {
                self.bail = true;
                return V::Unk;
            }
            if total == 1 {
                let row = (0..t.rows.len()).find(|&r| {
                    space.iter().zip(&point).all(|(c, &p)| {
                        c.masks
                            .get(r)
                            .and_then(|m| m.get(p))
                            .copied()
                            .unwrap_or(false)
                    })
                });
                return match row.and_then(|r| rows.get(r)) {
                    Some(row) => (row.outcome)(self),
                    None => V::Unk,
                };
            }
        }
        for row in rows {
            let mut holds = T::Yes;
            for cond in &row.cells {
                holds = holds.and(cond(self));
                if holds == T::No {
                    break;
                }
            }
            match holds {
                T::No => {}
                T::Yes => return (row.outcome)(self),
                T::Unk => {
                    // Several rows may match: the reference weighs their outcomes.
                    self.bail = true;
                    return V::Unk;
                }
            }
        }
        V::Unk
    }
}

struct CRow {
    cells: Vec<Test>,
    outcome: Code,
}

/// A field and the chain of fields above it down to their base: `c.education.attendance_pct`
/// is `c` and [education, attendance_pct].
fn field_path(e: &Expr) -> (&Expr, Vec<u32>) {
    let mut path = Vec::new();
    let mut at = e;
    while let Node::Field { base, index, .. } = &at.node {
        path.push(*index);
        at = base;
    }
    path.reverse();
    (at, path)
}

/// One or two fields (`path`, from [`field_path`]) read from a local or the input
/// (`p.health.mental_health_concern`) in one closure made by `$make` (`boxed` or `tested`), the
/// value read passed through `$then`: most fields a policy reads are read so. `None` for any
/// other base or a longer chain.
macro_rules! short_chain {
    ($base:expr, $path:expr, $make:ident, $then:path) => {{
        match (&$base.node, $path) {
            (&Node::Local(slot), &[i]) => Some($make(move |f| $then(field(f.local(slot), i)))),
            (&Node::Local(slot), &[i, j]) => {
                Some($make(move |f| $then(field(field(f.local(slot), i), j))))
            }
            (Node::Input, &[i]) => Some($make(move |f| $then(field(f.input, i)))),
            (Node::Input, &[i, j]) => Some($make(move |f| $then(field(field(f.input, i), j)))),
            _ => None,
        }
    }};
}

/// Compiling: the constants that borrow, gathered.
struct Cx<'p> {
    consts: &'p mut Vec<Value>,
}

fn boxed(f: impl for<'a> Fn(&mut Frame<'a>) -> V<'a> + Send + Sync + 'static) -> Code {
    Box::new(f)
}

fn tested(f: impl for<'a> Fn(&mut Frame<'a>) -> T + Send + Sync + 'static) -> Test {
    Box::new(f)
}

impl Cx<'_> {
    fn many(&mut self, es: &[Expr]) -> Result<Vec<Code>, Unsupported> {
        es.iter().map(|e| self.compile(e)).collect()
    }

    fn opt(&mut self, e: Option<&Expr>) -> Result<Option<Code>, Unsupported> {
        e.map(|e| self.compile(e)).transpose()
    }

    fn opt_test(&mut self, e: Option<&Expr>) -> Result<Option<Test>, Unsupported> {
        e.map(|e| self.test(e)).transpose()
    }

    /// Reads a chain of fields from `base`.
    fn field_chain(&mut self, base: &Expr, path: Box<[u32]>) -> Result<Code, Unsupported> {
        Ok(match base.node {
            Node::Input => boxed(move |f| fields(f.input, &path)),
            Node::Local(slot) => boxed(move |f| fields(f.local(slot), &path)),
            _ => {
                let base = self.compile(base)?;
                boxed(move |f| {
                    let b = base(f);
                    fields(b, &path)
                })
            }
        })
    }

    /// Compiles a condition (an expression of type yes/no) to give its yes/no directly; the
    /// logic, comparisons and quantifiers are compiled here, anything else through `compile`.
    fn test(&mut self, e: &Expr) -> Result<Test, Unsupported> {
        Ok(match &e.node {
            Node::Not(x) => {
                let x = self.test(x)?;
                tested(move |f| x(f).not())
            }
            Node::And(a, b) => {
                let (a, b) = (self.test(a)?, self.test(b)?);
                tested(move |f| {
                    let x = a(f);
                    x.and_then(|| b(f))
                })
            }
            Node::Or(a, b) => {
                let (a, b) = (self.test(a)?, self.test(b)?);
                tested(move |f| {
                    let x = a(f);
                    x.or_then(|| b(f))
                })
            }
            Node::Compare(op, a, b) => {
                let op = *op;
                let (a, b) = (self.compile(a)?, self.compile(b)?);
                tested(move |f| {
                    let x = a(f);
                    let y = b(f);
                    compare(op, x, y)
                })
            }
            Node::Between(x, lo, hi) => {
                let (x, lo, hi) = (self.compile(x)?, self.compile(lo)?, self.compile(hi)?);
                tested(move |f| {
                    let v = x(f);
                    let l = lo(f);
                    let h = hi(f);
                    compare(Cmp::Ge, v, l).and(compare(Cmp::Le, v, h))
                })
            }
            Node::In {
                value,
                list,
                negated,
            } => {
                let negated = *negated;
                let symbols = symbol_set(list);
                let (value, list) = (self.compile(value)?, self.compile(list)?);
                match symbols {
                    // `status in [homeless, at_risk]`: a symbol looked up by number, as `member`
                    // would find it; anything else (unknown, a level range) goes through `member`.
                    Some(symbols) => tested(move |f| {
                        let r = match value(f) {
                            V::Sym(s) => T::from(symbols.contains(&s)),
                            v => {
                                let l = list(f);
                                f.member(v, l)
                            }
                        };
                        negated_if(negated, r)
                    }),
                    None => tested(move |f| {
                        let v = value(f);
                        let l = list(f);
                        negated_if(negated, f.member(v, l))
                    }),
                }
            }
            Node::Known { value, known } => {
                let known = *known;
                let value = self.compile(value)?;
                tested(move |f| T::from(unsettled(&value(f)) != known))
            }
            Node::Quantifier {
                quant,
                list,
                slot,
                filter,
                body,
            } => {
                let (quant, slot) = (*quant, *slot);
                let list = self.compile(list)?;
                let filter = self.opt_test(filter.as_deref())?;
                let body = self.test(body)?;
                // One closure per quantifier, so that each loop is compiled for its own.
                macro_rules! quantifier {
                    ($quant:expr) => {
                        tested(move |f| {
                            let l = list(f);
                            f.quantifier($quant, l, slot, filter.as_ref(), &body)
                        })
                    };
                }
                match quant {
                    Quant::Any => quantifier!(Quant::Any),
                    Quant::All => quantifier!(Quant::All),
                    Quant::None => quantifier!(Quant::None),
                }
            }
            _ => {
                let (base, path) = field_path(e);
                match short_chain!(base, &path[..], tested, T::of) {
                    Some(test) => test,
                    None => {
                        let c = self.compile(e)?;
                        tested(move |f| T::of(c(f)))
                    }
                }
            }
        })
    }

    fn compile(&mut self, e: &Expr) -> Result<Code, Unsupported> {
        Ok(match &e.node {
            Node::Const(v) => match scalar(v) {
                Some(s) => boxed(move |_| s),
                None => {
                    let k = self.consts.len();
                    self.consts.push(v.clone());
                    boxed(move |f| f.c.consts.get(k).map_or(V::Unk, of))
                }
            },
            Node::Input => boxed(|f| f.input),
            Node::Local(slot) => {
                let slot = *slot;
                boxed(move |f| f.local(slot))
            }
            Node::Param(i) => {
                let i = *i as usize;
                boxed(move |f| f.params.get(i).map_or(V::Unk, of))
            }
            Node::Let(i) => {
                let i = *i;
                boxed(move |f| f.let_value(i))
            }
            Node::Need(i) => {
                let i = *i;
                boxed(move |f| f.need(i))
            }
            Node::Group(i) => {
                let i = *i;
                boxed(move |f| f.group(i))
            }
            Node::Decision(i) => {
                let i = *i;
                boxed(move |f| f.decision(i))
            }
            Node::Field { .. } => {
                let (base, path) = field_path(e);
                match short_chain!(base, &path[..], boxed, std::convert::identity) {
                    Some(code) => code,
                    None => self.field_chain(base, path.into())?,
                }
            }
            Node::Project { base, index, .. } => {
                let index = *index;
                let base = self.compile(base)?;
                boxed(move |f| match base(f) {
                    V::List(l) => {
                        let mark = f.building.len();
                        for i in 0..f.len(l) {
                            let (item, maybe) = f.item(l, i);
                            f.building.push((field(item, index), maybe));
                        }
                        f.finish(mark)
                    }
                    _ => V::Unk,
                })
            }
            Node::Meta { base, meta } => {
                let meta = *meta;
                let base = self.compile(base)?;
                boxed(move |f| {
                    let b = base(f);
                    f.meta(b, meta)
                })
            }
            Node::Call { function, args } => {
                let function = *function;
                let args = self.many(args)?;
                boxed(move |f| f.call(function, &args))
            }
            Node::Builtin { builtin, args } => {
                let builtin: &'static Builtin = builtin;
                let args = self.many(args)?;
                boxed(move |f| {
                    let mut vals: smallvec::SmallVec<[Value; 2]> = smallvec::SmallVec::new();
                    for a in &args {
                        let v = a(f);
                        if matches!(v, V::Rec(_) | V::List(_)) {
                            f.bail = true;
                            return V::Unk;
                        }
                        vals.push(f.value(v));
                    }
                    let r = builtin.call(&vals);
                    match scalar(&r) {
                        Some(v) => v,
                        None => {
                            // A text or list made by a built-in: not held by this tier.
                            f.bail = true;
                            V::Unk
                        }
                    }
                })
            }
            Node::Extern { .. } => return Err(Unsupported),
            Node::Not(_)
            | Node::And(..)
            | Node::Or(..)
            | Node::Compare(..)
            | Node::Between(..)
            | Node::In { .. }
            | Node::Known { .. }
            | Node::Quantifier { .. } => {
                let t = self.test(e)?;
                boxed(move |f| t(f).v())
            }
            Node::List(items) => {
                let items = self.many(items)?;
                boxed(move |f| {
                    let mark = f.building.len();
                    for x in &items {
                        let v = x(f);
                        f.building.push((v, false));
                    }
                    f.finish(mark)
                })
            }
            Node::Neg(x) => {
                let x = self.compile(x)?;
                boxed(move |f| match x(f) {
                    V::Num(d) => V::Num(-d),
                    _ => V::Unk,
                })
            }
            Node::Arith(op, a, b) => {
                let op = *op;
                let (a, b) = (self.compile(a)?, self.compile(b)?);
                boxed(move |f| {
                    let x = a(f);
                    let y = b(f);
                    match (x, y) {
                        (V::Num(x), V::Num(y)) => {
                            let r = match op {
                                Arith::Add => x.checked_add(y),
                                Arith::Sub => x.checked_sub(y),
                                Arith::Mul => x.checked_mul(y),
                                Arith::Div => x.checked_div(y),
                            };
                            r.map_or(V::Unk, V::Num)
                        }
                        _ => V::Unk,
                    }
                })
            }
            Node::Shift {
                date,
                duration,
                subtract,
            } => {
                let subtract = *subtract;
                let (date, duration) = (self.compile(date)?, self.compile(duration)?);
                boxed(move |f| {
                    let d = date(f);
                    let n = duration(f);
                    match (d, n) {
                        (V::Date(d), V::Dur(n)) => {
                            let r = if subtract {
                                value::sub_duration(d, n)
                            } else {
                                value::add_duration(d, n)
                            };
                            r.map_or(V::Unk, V::Date)
                        }
                        _ => V::Unk,
                    }
                })
            }
            Node::Within {
                date,
                duration,
                direction,
                anchor,
            } => {
                let direction = *direction;
                let (date, duration, anchor) = (
                    self.compile(date)?,
                    self.compile(duration)?,
                    self.compile(anchor)?,
                );
                boxed(move |f| {
                    let d = date(f);
                    let n = duration(f);
                    let t = anchor(f);
                    within(d, n, direction, t)
                })
            }
            Node::Filter { list, slot, cond } => {
                let slot = *slot;
                let (list, cond) = (self.compile(list)?, self.test(cond)?);
                boxed(move |f| {
                    let V::List(items) = list(f) else {
                        return V::Unk;
                    };
                    let mark = f.building.len();
                    for i in 0..f.len(items) {
                        let (item, maybe) = f.item(items, i);
                        f.set_local(slot, item);
                        let member = membership(maybe).and_then(|| cond(f));
                        f.push(member, item);
                    }
                    f.finish(mark)
                })
            }
            Node::Aggregate {
                agg,
                list,
                slot,
                filter,
                body,
            } => {
                let (agg, slot) = (*agg, *slot);
                let list = self.compile(list)?;
                let filter = self.opt_test(filter.as_deref())?;
                let body = self.opt(body.as_deref())?;
                boxed(move |f| {
                    let l = list(f);
                    f.aggregate(agg, l, slot, filter.as_ref(), body.as_ref())
                })
            }
            Node::When { arms, otherwise } => {
                let levels = matches!(e.ty, Type::Level(_));
                let arms: Vec<(Code, Code)> = arms
                    .iter()
                    .map(|(c, x)| Ok((self.compile(c)?, self.compile(x)?)))
                    .collect::<Result<_, Unsupported>>()?;
                let otherwise = self.compile(otherwise)?;
                boxed(move |f| {
                    for (k, (cond, value)) in arms.iter().enumerate() {
                        match cond(f) {
                            V::Bool(true) => return value(f),
                            V::Bool(false) => continue,
                            _ if levels => {
                                return level_between(f, value, &arms[k + 1..], &otherwise)
                            }
                            _ => return V::Unk,
                        }
                    }
                    otherwise(f)
                })
            }
            Node::Otherwise(x, d) => {
                let (x, d) = (self.compile(x)?, self.compile(d)?);
                boxed(move |f| match x(f) {
                    V::Unk | V::Range(..) => d(f),
                    v => v,
                })
            }
            Node::Table(t) => {
                let inputs = self.many(&t.inputs)?;
                let rows: Vec<CRow> = t
                    .rows
                    .iter()
                    .map(|r| {
                        Ok(CRow {
                            cells: r
                                .cells
                                .iter()
                                .flatten()
                                .map(|c| self.test(c))
                                .collect::<Result<_, _>>()?,
                            outcome: self.compile(&r.outcome)?,
                        })
                    })
                    .collect::<Result<_, Unsupported>>()?;
                let t: Table = (**t).clone();
                boxed(move |f| f.table(&t, &inputs, &rows))
            }
            Node::Highest => boxed(|f| f.highest()),
            Node::AsAt => boxed(|f| f.as_at.map_or(V::Unk, V::Date)),
            Node::MetGroups => boxed(|f| {
                let mark = f.building.len();
                for g in 0..f.p.groups.len() as u32 {
                    let v = f.group(g);
                    f.push(T::of(v), V::Group(g));
                }
                f.finish(mark)
            }),
            Node::MetNeeds => boxed(|f| {
                let mark = f.building.len();
                for n in 0..f.p.needs.len() as u32 {
                    let v = f.need(n);
                    f.push(T::of(v), V::Need(n));
                }
                f.finish(mark)
            }),
            Node::AllGroups => boxed(|f| {
                let mark = f.building.len();
                for g in 0..f.p.groups.len() as u32 {
                    f.building.push((V::Group(g), false));
                }
                f.finish(mark)
            }),
            Node::AllNeeds => boxed(|f| {
                let mark = f.building.len();
                for n in 0..f.p.needs.len() as u32 {
                    f.building.push((V::Need(n), false));
                }
                f.finish(mark)
            }),
        })
    }
}

// ---------------------------------------------------------------- Kleene logic, as in `value`

/// A yes/no that may be unknown. Only yes and no are settled: any other value (an unknown, or
/// a value that is not a yes/no) counts as unknown, as in the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    No,
    Yes,
    Unk,
}

impl From<bool> for T {
    fn from(b: bool) -> T {
        if b {
            T::Yes
        } else {
            T::No
        }
    }
}

impl T {
    fn of(v: V<'_>) -> T {
        match v {
            V::Bool(true) => T::Yes,
            V::Bool(false) => T::No,
            _ => T::Unk,
        }
    }

    fn v<'a>(self) -> V<'a> {
        match self {
            T::Yes => V::Bool(true),
            T::No => V::Bool(false),
            T::Unk => V::Unk,
        }
    }

    #[inline]
    fn and_then(self, b: impl FnOnce() -> T) -> T {
        match self {
            T::No => T::No,
            T::Yes => b(),
            T::Unk => match b() {
                T::No => T::No,
                _ => T::Unk,
            },
        }
    }

    #[inline]
    fn or_then(self, b: impl FnOnce() -> T) -> T {
        match self {
            T::Yes => T::Yes,
            T::No => b(),
            T::Unk => match b() {
                T::Yes => T::Yes,
                _ => T::Unk,
            },
        }
    }

    fn and(self, b: T) -> T {
        self.and_then(|| b)
    }

    fn or(self, b: T) -> T {
        self.or_then(|| b)
    }

    fn not(self) -> T {
        match self {
            T::Yes => T::No,
            T::No => T::Yes,
            T::Unk => T::Unk,
        }
    }
}

/// Whether an element is a member: yes, or unknown for a maybe-member.
fn membership(maybe: bool) -> T {
    if maybe {
        T::Unk
    } else {
        T::Yes
    }
}

fn negated_if(negated: bool, t: T) -> T {
    if negated {
        t.not()
    } else {
        t
    }
}

/// The symbols of a constant list of symbols, every one a certain member.
fn symbol_set(list: &Expr) -> Option<Box<[u32]>> {
    let Node::Const(Value::List(l)) = &list.node else {
        return None;
    };
    if l.maybe.is_some() {
        return None;
    }
    l.items
        .iter()
        .map(|x| match x {
            Value::Symbol(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// Reads a chain of fields.
fn fields<'a>(mut v: V<'a>, path: &[u32]) -> V<'a> {
    for &i in path {
        v = field(v, i);
    }
    v
}

/// Reads a field; an absent one is unknown.
fn field(base: V<'_>, index: u32) -> V<'_> {
    match base {
        V::Rec(r) => r.fields.get(index as usize).map_or(V::Unk, of),
        _ => V::Unk,
    }
}

/// The order of two known values of one type (as `super::order`).
fn order(a: &V<'_>, b: &V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => Some(value::cmp_decimal(x, y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::Sym(x), V::Sym(y)) => Some(x.cmp(y)),
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Group(x), V::Group(y)) | (V::Need(x), V::Need(y)) => Some(x.cmp(y)),
        (V::Dur(x), V::Dur(y)) => Some(x.key().cmp(&y.key())),
        _ => None,
    }
}

/// Compares in three-valued logic (as `super::compare`): an unsettled count by its bounds.
fn compare(op: Cmp, a: V<'_>, b: V<'_>) -> T {
    match (a, b) {
        // The common cases first: two numbers (ages, percentages), two dates.
        (V::Num(x), V::Num(y)) => T::from(holds(op, value::cmp_decimal(&x, &y))),
        (V::Date(x), V::Date(y)) => T::from(holds(op, x.cmp(&y))),
        (V::Unk, _) | (_, V::Unk) => T::Unk,
        (V::Range(lo, hi), other) | (other, V::Range(lo, hi)) => {
            let n = match other {
                V::Num(n) => n,
                V::Sym(s) => Decimal::from(s),
                _ => return T::Unk,
            };
            let flip = matches!(b, V::Range(..)) && !matches!(a, V::Range(..));
            let at = |k: u32| {
                let k = Decimal::from(k);
                let o = if flip { n.cmp(&k) } else { k.cmp(&n) };
                holds(op, o)
            };
            let inside = Decimal::from(lo) <= n && n <= Decimal::from(hi);
            let (first, last) = (at(lo), at(hi));
            let settled = match op {
                Cmp::Eq if !inside => Some(false),
                Cmp::Ne if !inside => Some(true),
                Cmp::Eq | Cmp::Ne => None,
                _ if first == last => Some(first),
                _ => None,
            };
            settled.map_or(T::Unk, T::from)
        }
        _ => match order(&a, &b) {
            Some(o) => T::from(holds(op, o)),
            None => T::Unk,
        },
    }
}

impl<'a> Frame<'a> {
    /// `v in list`: true if some certain member equals it, unknown if a member might.
    fn member(&self, v: V<'a>, list: V<'a>) -> T {
        let V::List(items) = list else {
            return T::Unk;
        };
        let mut acc = T::No;
        for i in 0..self.len(items) {
            let (item, maybe) = self.item(items, i);
            acc = acc.or(membership(maybe).and(compare(Cmp::Eq, v, item)));
            if acc == T::Yes {
                break;
            }
        }
        acc
    }
}

/// `d within n before t`: t − n < d ≤ t. `after`: t ≤ d < t + n.
fn within<'a>(d: V<'a>, n: V<'a>, direction: Direction, t: V<'a>) -> V<'a> {
    match (d, n, t) {
        (V::Date(d), V::Dur(n), V::Date(t)) => V::Bool(match direction {
            Direction::Before => value::sub_duration(t, n).is_some_and(|start| start < d && d <= t),
            Direction::After => value::add_duration(t, n).is_some_and(|end| t <= d && d < end),
        }),
        _ => V::Unk,
    }
}

/// `min of` / `max of` over values some of which lie in a range (as `super::bounded_extreme`).
fn bounded_extreme<'a>(agg: Agg, values: &[V<'a>]) -> V<'a> {
    let mut bounds: Option<(u32, u32)> = None;
    let mut symbols = false;
    for v in values {
        let (lo, hi) = match *v {
            V::Range(lo, hi) => (lo, hi),
            V::Sym(s) => {
                symbols = true;
                (s, s)
            }
            V::Num(n) => match u32::try_from(n) {
                Ok(k) if Decimal::from(k) == n => (k, k),
                _ => return V::Unk,
            },
            _ => return V::Unk,
        };
        bounds = Some(match (bounds, agg) {
            (None, _) => (lo, hi),
            (Some((a, b)), Agg::Min) => (a.min(lo), b.min(hi)),
            (Some((a, b)), _) => (a.max(lo), b.max(hi)),
        });
    }
    match bounds {
        Some((lo, hi)) if lo == hi && symbols => V::Sym(lo),
        Some((lo, hi)) if lo == hi => V::Num(Decimal::from(lo)),
        Some((lo, hi)) => V::Range(lo, hi),
        None => V::Unk,
    }
}

/// A `when` over levels whose condition is unknown: between the lowest and the highest of the
/// branches it could still take (as `Eval::level_between`).
fn level_between<'a>(
    f: &mut Frame<'a>,
    value: &Code,
    rest: &[(Code, Code)],
    otherwise: &Code,
) -> V<'a> {
    let mut candidates: smallvec::SmallVec<[V<'a>; 8]> = smallvec::smallvec![value(f)];
    let mut reaches_otherwise = true;
    for (cond, v) in rest {
        match cond(f) {
            V::Bool(false) => continue,
            V::Bool(true) => {
                candidates.push(v(f));
                reaches_otherwise = false;
                break;
            }
            _ => candidates.push(v(f)),
        }
    }
    if reaches_otherwise {
        candidates.push(otherwise(f));
    }
    let mut bounds: Option<(u32, u32)> = None;
    for c in &candidates {
        let (lo, hi) = match *c {
            V::Sym(s) => (s, s),
            V::Range(lo, hi) => (lo, hi),
            _ => return V::Unk,
        };
        bounds = Some(bounds.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    match bounds {
        Some((lo, hi)) if lo == hi => V::Sym(lo),
        Some((lo, hi)) => V::Range(lo, hi),
        None => V::Unk,
    }
}
