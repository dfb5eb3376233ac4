//! The first tier of evaluation: the lowered program compiled to closures over unboxed values
//! ([`V`]: a byte for yes/no, decimals and dates inline, records and lists borrowed from the
//! decoded input); conditions are compiled to closures that give their yes/no ([`T`]) directly.
//! An unknown carries why it is unknown as a handle ([`Why`]) to the record paths behind it,
//! merged by the same rules as the reference's `Missing`: paths are made only for fields that
//! are absent, so a complete record pays nothing for them.
//!
//! It gives the whole answer (outputs and missing paths) unless an explanation was asked for or
//! a construct met a case this tier leaves to the reference ([`Frame::bail`]); then the caller
//! evaluates the record with the reference evaluator (`super::Eval`), from scratch. Both must
//! agree byte for byte: `benches/tests/compiled_agrees.rs` and the `compiled` fuzz target
//! compare them.

use super::holds;
use crate::ir::*;
use crate::policy::Output;
use crate::value::{self, Duration, List, Missing, Path, Record, Value};
use chrono::NaiveDate;
use earlyhelp_grammar::ast::{Agg, Direction, Quant};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use std::cell::Cell;
use std::cmp::Ordering;
use std::sync::Arc;

/// A value of the first tier: what [`Value`] is, with why an unknown is unknown held in the
/// frame ([`Why`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum V<'a> {
    Unk(Why),
    Bool(bool),
    Num(Decimal),
    /// A count or level not yet settled: at least `.0`, at most `.1`.
    Range(u32, u32, Why),
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

/// Why a value is unknown, as the reference's [`Missing`] says it: [`Why::NONE`] for no record
/// field, else one of the frame's lists of paths ([`Causes`]). The low bit marks a value read
/// straight from its path (`Missing::At`): a field read on it extends the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Why(u32);

impl Why {
    const NONE: Why = Why(0);

    /// The same causes, no longer extendable by field reads (`Missing::settled`).
    fn settled(self) -> Why {
        Why(self.0 & !1)
    }

    fn at(self) -> bool {
        self.0 & 1 == 1
    }

    fn list(self) -> usize {
        (self.0 >> 1) as usize
    }
}

/// The paths behind one record's unknowns. Only added to while the record is evaluated, so a
/// [`Why`] stays good to its end, wherever it is kept (memo tables, lists, locals).
struct Causes {
    paths: Vec<Path>,
    /// Each list's range of `paths`; list 0 stands for no cause.
    lists: Vec<(u32, u32)>,
}

impl Causes {
    fn new(paths: Vec<Path>, mut lists: Vec<(u32, u32)>) -> Causes {
        lists.push((0, 0));
        Causes { paths, lists }
    }

    /// A list of the paths from `start` to the last.
    fn list(&mut self, start: usize, at: bool) -> Why {
        self.range(start as u32, self.paths.len() as u32, at)
    }

    fn range(&mut self, start: u32, end: u32, at: bool) -> Why {
        let n = self.lists.len() as u32;
        self.lists.push((start, end));
        Why(n << 1 | u32::from(at))
    }

    /// An unknown read straight from `path`.
    #[cold]
    fn at(&mut self, path: Path) -> Why {
        let start = self.paths.len();
        self.paths.push(path);
        self.list(start, true)
    }

    fn paths(&self, w: Why) -> &[Path] {
        let (start, end) = self.lists.get(w.list()).copied().unwrap_or((0, 0));
        self.paths
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// Both causes (`Missing::union`). The output wants only the set of paths (sorted and
    /// deduplicated when rendered), so a path held twice costs nothing but its room. Out of
    /// line: a complete record never comes here.
    #[cold]
    #[inline(never)]
    fn union(&mut self, a: Why, b: Why) -> Why {
        if a.list() == 0 {
            return b.settled();
        }
        if b.list() == 0 || a.list() == b.list() {
            return a.settled();
        }
        let (a_start, a_end) = self.lists.get(a.list()).copied().unwrap_or((0, 0));
        let (b_start, b_end) = self.lists.get(b.list()).copied().unwrap_or((0, 0));
        // One list holds the other (`v in [..]` with `v` unknown merges its causes once a member).
        if a_start <= b_start && b_end <= a_end {
            return a.settled();
        }
        if b_start <= a_start && a_end <= b_end {
            return b.settled();
        }
        // Side by side, as an operator's operands leave their causes: one list over both.
        if a_end == b_start {
            return self.range(a_start, b_end, false);
        }
        if b_end == a_start {
            return self.range(b_start, a_end, false);
        }
        // An accumulating union (over a quantifier's elements) extends its own list in place.
        let start = if a_end as usize == self.paths.len() {
            a_start as usize
        } else {
            let start = self.paths.len();
            self.paths
                .extend_from_within(a_start as usize..a_end as usize);
            start
        };
        self.paths
            .extend_from_within(b_start as usize..b_end as usize);
        self.list(start, false)
    }

    /// The causes a reference value carries.
    #[inline(always)]
    fn of_missing(&mut self, m: &Missing) -> Why {
        match m {
            Missing::None => Why::NONE,
            m => self.copied(m),
        }
    }

    #[cold]
    fn copied(&mut self, m: &Missing) -> Why {
        match m {
            Missing::At(p) => self.at(p.clone()),
            m => {
                let start = self.paths.len();
                self.paths.extend(m.paths().iter().cloned());
                self.list(start, false)
            }
        }
    }

    /// The reference's `Missing` for these causes.
    fn missing(&self, w: Why) -> Missing {
        match self.paths(w) {
            [] => Missing::None,
            [p] if w.at() => Missing::At(p.clone()),
            [p] => Missing::One(p.clone()),
            paths => Missing::Set(Arc::new(paths.to_vec())),
        }
    }

    /// A first-tier value for a reference value.
    #[inline(always)]
    fn of<'v>(&mut self, v: &'v Value) -> V<'v> {
        match v {
            Value::Unknown(m) => V::Unk(self.of_missing(m)),
            Value::Bool(b) => V::Bool(*b),
            Value::Num(d) => V::Num(*d),
            Value::Range { lo, hi, missing } => V::Range(*lo, *hi, self.of_missing(missing)),
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

    /// Reads a field; an absent one is unknown at its own path (as `super::field`).
    #[inline(always)]
    fn field<'v>(&mut self, base: V<'v>, index: u32, name: &Arc<str>) -> V<'v> {
        match base {
            V::Rec(r) => match r.fields.get(index as usize) {
                Some(Value::Unknown(m)) => V::Unk(self.absent(r, name, m)),
                Some(v) => self.of(v),
                None => V::Unk(Why::NONE),
            },
            V::Unk(w) if w.at() => self.below(w, name),
            other => V::Unk(why(other)),
        }
    }

    /// Why a record's field is unknown: absent, it is unknown at its own path.
    #[cold]
    fn absent(&mut self, r: &Record, name: &Arc<str>, m: &Missing) -> Why {
        match m {
            Missing::None => self.at(value::field_path(&r.path, name)),
            m => self.of_missing(m),
        }
    }

    /// A field read on a value unknown at its path: unknown at the field's path.
    #[cold]
    fn below<'v>(&mut self, w: Why, name: &Arc<str>) -> V<'v> {
        match self.paths(w).first().cloned() {
            Some(p) => V::Unk(self.at(value::field_path(&p, name))),
            None => V::Unk(Why::NONE),
        }
    }

    /// Reads a chain of fields.
    fn fields<'v>(&mut self, mut v: V<'v>, path: &[(u32, Arc<str>)]) -> V<'v> {
        for (i, name) in path {
            v = self.field(v, *i, name);
        }
        v
    }
}

/// Why `v` is unknown (`Value::missing`): none for a settled value.
fn why(v: V<'_>) -> Why {
    match v {
        V::Unk(w) | V::Range(_, _, w) => w,
        _ => Why::NONE,
    }
}

/// A value that borrows nothing, known when compiling.
fn scalar(v: &Value) -> Option<V<'static>> {
    Some(match v {
        Value::Unknown(Missing::None) => V::Unk(Why::NONE),
        Value::Bool(b) => V::Bool(*b),
        Value::Num(d) => V::Num(*d),
        Value::Range {
            lo,
            hi,
            missing: Missing::None,
        } => V::Range(*lo, *hi, Why::NONE),
        Value::Date(d) => V::Date(*d),
        Value::Duration(d) => V::Dur(*d),
        Value::Symbol(s) => V::Sym(*s),
        Value::Group(g) => V::Group(*g),
        Value::Need(n) => V::Need(*n),
        // Paths held by the frame, texts and lists borrowed from the program.
        Value::Unknown(_)
        | Value::Range { .. }
        | Value::Text(_)
        | Value::Record(_)
        | Value::List(_) => return None,
    })
}

fn unsettled(v: &V<'_>) -> bool {
    matches!(v, V::Unk(_) | V::Range(..))
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
    /// Elements of the lists made so far, each with its membership: yes, or unknown for a
    /// maybe-member (never no).
    made: Vec<(V<'a>, T)>,
    /// Elements of the lists being made; nested lists are finished before their outer one goes
    /// on, so each list's elements are contiguous at the top.
    building: Vec<(V<'a>, T)>,
    /// Results of fns called on one record (`age(c)`), by fn and the record's address: a rule
    /// asks the same of a person several times, and a call is pure within a record.
    calls: Vec<(u32, usize, V<'a>)>,
    /// Set when a construct met a case this tier leaves to the reference evaluator.
    bail: bool,
    causes: Causes,
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

    /// Evaluates a record: its outputs and the paths that would settle what is undetermined,
    /// unless a construct met a case left to the reference.
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
        let mut causes = Causes::new(buffers.paths, buffers.lists);
        let input = causes.of(input);
        let mut f = Frame {
            c: self,
            p,
            input,
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
            causes,
        };
        let mut missing: Vec<Why> = Vec::new();
        let mut values = Vec::with_capacity(p.decisions.len());
        for (i, d) in p.decisions.iter().enumerate() {
            if d.internal && !internal {
                continue;
            }
            let output = match (&d.for_each, self.each.get(i)) {
                (Some(each), Some(Some((list, value)))) => {
                    Output::Json(f.per_member(d, each, list, value, &mut missing))
                }
                _ => {
                    let v = f.decision(i as u32);
                    if unsettled(&v) {
                        missing.push(why(v));
                    }
                    f.output(v, &d.value.ty)
                }
            };
            values.push(output);
        }
        let tier = if f.bail {
            Tier1::Reference
        } else {
            let paths = missing.iter().flat_map(|w| f.causes.paths(*w));
            Tier1::Done {
                values,
                missing: paths.cloned().collect(),
            }
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
    made: Vec<(V<'static>, T)>,
    building: Vec<(V<'static>, T)>,
    calls: Vec<(u32, usize, V<'static>)>,
    paths: Vec<Path>,
    lists: Vec<(u32, u32)>,
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
            paths: emptied(f.causes.paths),
            lists: emptied(f.causes.lists),
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
    /// The value of each decision output (in the policy's order), and the paths that would
    /// settle what is undetermined.
    Done {
        values: Vec<Output>,
        missing: Vec<Path>,
    },
    /// A construct met a case left to the reference evaluator.
    Reference,
}

impl<'a> Frame<'a> {
    fn top(&mut self, t: &Top) -> V<'a> {
        let (saved_base, saved_len) = (self.base, self.stack.len());
        self.base = saved_len;
        self.stack
            .resize(saved_len + t.locals as usize, V::Unk(Why::NONE));
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
                return V::Unk(Why::NONE);
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
            return V::Unk(Why::NONE);
        };
        let mut acc = T::No;
        for &n in &g.needs {
            let v = self.need(n);
            acc = self.or(acc, T::of(v));
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
            .unwrap_or(V::Unk(Why::NONE))
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

    /// Element `i` and its membership: yes, or unknown for a maybe-member.
    #[inline(always)]
    fn item(&mut self, l: L<'a>, i: usize) -> (V<'a>, T) {
        match l {
            L::Held(l) => {
                let membership = match &l.maybe {
                    None => T::Yes,
                    Some(maybe) => self.held_membership(maybe, i),
                };
                let item = match l.items.get(i) {
                    Some(v) => self.causes.of(v),
                    None => V::Unk(Why::NONE),
                };
                (item, membership)
            }
            L::Made { start, .. } => self
                .made
                .get(start as usize + i)
                .copied()
                .unwrap_or((V::Unk(Why::NONE), T::Yes)),
        }
    }

    /// Whether element `i` of a list held by the record or program is a member.
    #[cold]
    fn held_membership(&mut self, maybe: &[Option<Missing>], i: usize) -> T {
        match maybe.get(i) {
            Some(Some(m)) => T::Unk(self.causes.of_missing(m)),
            _ => T::Yes,
        }
    }

    /// Adds `item` to the list being built when `membership` is not no: a maybe-member when
    /// it is unknown (as `List::push`).
    fn push(&mut self, membership: T, item: V<'a>) {
        match membership {
            T::Yes => self.building.push((item, T::Yes)),
            T::No => {}
            T::Unk(w) => self.building.push((item, T::Unk(w.settled()))),
        }
    }

    /// Finishes the list whose elements were built from `mark` on.
    fn finish(&mut self, mark: usize) -> V<'a> {
        let start = self.made.len() as u32;
        let len = (self.building.len() - mark) as u32;
        self.made.extend(self.building.drain(mark..));
        V::List(L::Made { start, len })
    }

    /// The reference evaluator's value for `v`.
    fn value(&mut self, v: V<'a>) -> Value {
        match v {
            V::Unk(w) => Value::Unknown(self.causes.missing(w)),
            // A record outputs as null, as an unknown does.
            V::Rec(_) => Value::unknown(),
            V::Bool(b) => Value::Bool(b),
            V::Num(d) => Value::Num(d),
            V::Range(lo, hi, w) => Value::Range {
                lo,
                hi,
                missing: self.causes.missing(w),
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
                    maybe.push(match m {
                        T::Unk(w) => Some(self.causes.missing(w)),
                        _ => None,
                    });
                }
                let maybe = maybe.iter().any(Option::is_some).then_some(maybe);
                Value::List(Arc::new(List { items, maybe }))
            }
        }
    }

    /// A decision's value as its output: a list of the program's names (groups, needs, enum
    /// values, levels) kept as those names, anything else as JSON.
    fn output(&mut self, v: V<'a>, ty: &Type) -> Output {
        if let V::List(l) = v {
            if let Some(names) = self.names(l, ty.element()) {
                return Output::names(names);
            }
        }
        Output::Json(self.json(v, ty))
    }

    /// The names of a list's certain members, as `to_json` shows them, when each is a group, a
    /// need or a symbol the program names.
    fn names(&mut self, l: L<'a>, elem: Option<&Type>) -> Option<Vec<Arc<str>>> {
        let p = self.p;
        let mut names = Vec::with_capacity(self.len(l));
        for i in 0..self.len(l) {
            if let (x, T::Yes) = self.item(l, i) {
                let name = match x {
                    V::Group(g) => &p.groups.get(g as usize)?.id,
                    V::Need(n) => &p.needs.get(n as usize)?.id,
                    V::Sym(s) => crate::explain::symbol_id(p, elem?, s)?,
                    _ => return None,
                };
                names.push(name.clone());
            }
        }
        Some(names)
    }

    /// A value as an output, as `policy::to_json` writes it; a list without first being made
    /// a [`Value`] (its certain members only, as there).
    fn json(&mut self, v: V<'a>, ty: &Type) -> Json {
        match v {
            V::List(l) => {
                let elem = ty.element().cloned().unwrap_or(Type::Error);
                let mut out = Vec::with_capacity(self.len(l));
                for i in 0..self.len(l) {
                    if let (x, T::Yes) = self.item(l, i) {
                        out.push(self.json(x, &elem));
                    }
                }
                Json::Array(out)
            }
            V::Unk(_) | V::Range(..) => Json::Null,
            v => {
                let v = self.value(v);
                crate::policy::to_json(self.p, &v, ty)
            }
        }
    }

    /// A per-member decision's output (as `Policy::per_member`): an object keyed by each
    /// member's `id`, `null` for a member whose value or membership is undetermined, or `null`
    /// when the list itself is unknown; what would settle them added to `missing`.
    fn per_member(
        &mut self,
        d: &DecisionDef,
        each: &ForEach,
        list: &Code,
        value: &Code,
        missing: &mut Vec<Why>,
    ) -> Json {
        let (saved_base, saved_len) = (self.base, self.stack.len());
        self.base = saved_len;
        self.stack
            .resize(saved_len + d.locals as usize, V::Unk(Why::NONE));
        let json = match list(self) {
            V::List(l) => {
                let mut by_id = Map::new();
                for i in 0..self.len(l) {
                    let (item, membership) = self.item(l, i);
                    self.set_local(each.slot, item);
                    let v = value(self);
                    let id = match item {
                        V::Rec(r) => match r.fields.get(each.id_field as usize) {
                            Some(Value::Text(t)) => t,
                            _ => "",
                        },
                        _ => "",
                    };
                    let json = match membership {
                        T::Unk(w) => {
                            missing.push(w);
                            Json::Null
                        }
                        _ => self.json(v, &d.value.ty),
                    };
                    if unsettled(&v) {
                        missing.push(why(v));
                    }
                    by_id.insert(id.to_string(), json);
                }
                Json::Object(by_id)
            }
            other => {
                missing.push(why(other));
                Json::Null
            }
        };
        self.stack.truncate(saved_len);
        self.base = saved_base;
        json
    }

    fn call(&mut self, function: u32, args: &[Code]) -> V<'a> {
        let c = self.c;
        let Some(f) = c.functions.get(function as usize) else {
            return V::Unk(Why::NONE);
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
        self.stack.resize(
            saved_len + (f.locals as usize).max(args.len()),
            V::Unk(Why::NONE),
        );
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
            other => return V::Unk(why(other).settled()),
        };
        match self.p.meta(of, meta) {
            Found::Text(t) => V::Text(t),
            Found::Level(l) => V::Sym(l),
            Found::Group(g) => V::Group(g),
            Found::Needs(needs) => {
                let mark = self.building.len();
                self.building
                    .extend(needs.iter().map(|n| (V::Need(*n), T::Yes)));
                self.finish(mark)
            }
            Found::Nothing => V::Unk(Why::NONE),
        }
    }

    /// `highest level met` (as the reference's: a range while an unknown indicator could
    /// raise it, for want of what those indicators want).
    fn highest(&mut self) -> V<'a> {
        let p = self.p;
        let (mut known, mut open) = (0u32, 0u32);
        for (i, n) in p.needs.iter().enumerate() {
            let Some(level) = n.level else { continue };
            match self.need(i as u32) {
                V::Bool(true) => known = known.max(level),
                V::Unk(_) => open = open.max(level),
                _ => {}
            }
        }
        if open <= known {
            return V::Sym(known);
        }
        let mut missing = Why::NONE;
        for (i, n) in p.needs.iter().enumerate() {
            match (n.level, self.need(i as u32)) {
                (Some(level), V::Unk(w)) if level > known => {
                    missing = self.causes.union(missing, w);
                }
                _ => {}
            }
        }
        V::Range(known, open, missing.settled())
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
            return T::Unk(why(l));
        };
        // `any` looks for a true element; `all` and `none` for a counterexample.
        let mut acc = if quant == Quant::Any { T::No } else { T::Yes };
        for i in 0..self.len(items) {
            let (item, membership) = self.item(items, i);
            self.set_local(slot, item);
            let applies = self.and_then(membership, |f| filter.map_or(T::Yes, |t| t(f)));
            let t = match quant {
                Quant::Any => self.and_then(applies, |f| body(f)),
                Quant::All => self.or_then(applies.not(), |f| body(f)),
                Quant::None => self.and_then(applies, |f| body(f)).not(),
            };
            let settles = matches!(
                (quant, t),
                (Quant::Any, T::Yes) | (Quant::All | Quant::None, T::No)
            );
            acc = if quant == Quant::Any {
                self.or(acc, t)
            } else {
                self.and(acc, t)
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
            return V::Unk(why(l));
        };
        let (mut lo, mut hi) = (0u32, 0u32);
        let mut missing = Why::NONE;
        // Whether some element may or may not count: an unknown need not name a field.
        let mut maybe_member = false;
        // The values picked, on the building stack until the end.
        let mark = self.building.len();
        for i in 0..self.len(items) {
            let (item, membership) = self.item(items, i);
            self.set_local(slot, item);
            let applies = self.and_then(membership, |f| filter.map_or(T::Yes, |t| t(f)));
            if agg == Agg::Count {
                let counted = match body {
                    Some(b) => self.and_then(applies, |f| T::of(b(f))),
                    None => applies,
                };
                match counted {
                    T::Yes => {
                        lo += 1;
                        hi += 1;
                    }
                    T::No => {}
                    T::Unk(w) => {
                        hi += 1;
                        missing = self.causes.union(missing, w);
                    }
                }
                continue;
            }
            match applies {
                T::No => continue,
                T::Yes => {}
                T::Unk(w) => {
                    maybe_member = true;
                    missing = self.causes.union(missing, w);
                    continue;
                }
            }
            let v = match body {
                Some(b) => b(self),
                None => item,
            };
            if let V::Unk(w) = v {
                missing = self.causes.union(missing, w);
            }
            self.building.push((v, T::Yes));
        }
        let picked: smallvec::SmallVec<[V<'a>; 8]> =
            self.building.drain(mark..).map(|(v, _)| v).collect();
        if agg == Agg::Count {
            return if lo == hi {
                V::Num(Decimal::from(lo))
            } else {
                V::Range(lo, hi, missing.settled())
            };
        }
        if maybe_member || picked.iter().any(|v| matches!(v, V::Unk(_))) {
            return V::Unk(missing.settled());
        }
        if agg != Agg::Sum && picked.iter().any(|v| matches!(v, V::Range(..))) {
            return bounded_extreme(&mut self.causes, agg, &picked);
        }
        match agg {
            Agg::Sum => {
                let mut total = Decimal::ZERO;
                for v in &picked {
                    if let V::Num(d) = v {
                        match total.checked_add(*d) {
                            Some(t) => total = t,
                            None => return V::Unk(Why::NONE),
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
                best.unwrap_or(V::Unk(Why::NONE))
            }
        }
    }

    /// A decision table (as `Eval::table`): the rows that could still match, in order, are
    /// those whose conditions are not known false, up to the first known true; their outcomes
    /// decide, with what the rows' conditions wanted when they differ. A table the checker cut
    /// into pieces is read off its pieces ([`super::reach`]).
    fn table(&mut self, t: &Table, levels: bool, inputs: &[Code], rows: &[CRow]) -> V<'a> {
        if let Some(space) = &t.space {
            let mut choices = Vec::with_capacity(inputs.len());
            let mut whys: smallvec::SmallVec<[Why; 4]> = smallvec::SmallVec::new();
            for (input, column) in inputs.iter().zip(space) {
                let v = input(self);
                if matches!(v, V::Rec(_) | V::List(_)) {
                    self.bail = true;
                    return V::Unk(Why::NONE);
                }
                let value = self.value(v);
                choices.push(column.pieces_of(&value));
                whys.push(why(v));
            }
            if let Some(reach) = super::reach(t, space, &choices) {
                let mut missing = Why::NONE;
                for (j, w) in whys.iter().enumerate() {
                    if reach.matters.get(j).copied().unwrap_or(false) {
                        missing = self.causes.union(missing, *w);
                    }
                }
                if reach.unmatched {
                    return V::Unk(missing);
                }
                return self.outcome_of(levels, &reach.rows, rows, missing);
            }
        }
        let mut possible: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
        let mut missing = Why::NONE;
        let mut matched = false;
        for (r, row) in rows.iter().enumerate() {
            let mut holds = T::Yes;
            for cond in &row.cells {
                let c = cond(self);
                holds = self.and(holds, c);
                if holds == T::No {
                    break;
                }
            }
            match holds {
                T::No => {}
                T::Yes => {
                    if t.unique {
                        possible.clear();
                        missing = Why::NONE;
                    }
                    possible.push(r);
                    matched = true;
                    break;
                }
                T::Unk(w) => {
                    missing = self.causes.union(missing, w.settled());
                    possible.push(r);
                }
            }
        }
        // No row may match: the table has no value, for want of what the rows' conditions wanted.
        if !matched {
            return V::Unk(missing);
        }
        self.outcome_of(levels, &possible, rows, missing)
    }

    /// A table's value when the rows `possible` may match (and some row does), as
    /// `Eval::outcome_of`: their outcome when they agree, else unknown (over levels, between the
    /// outcomes).
    fn outcome_of(
        &mut self,
        levels: bool,
        possible: &[usize],
        rows: &[CRow],
        mut missing: Why,
    ) -> V<'a> {
        if let [r] = possible {
            return rows
                .get(*r)
                .map_or(V::Unk(Why::NONE), |row| (row.outcome)(self));
        }
        let mut outcomes: smallvec::SmallVec<[V<'a>; 8]> = smallvec::SmallVec::new();
        for &r in possible {
            if let Some(row) = rows.get(r) {
                outcomes.push((row.outcome)(self));
            }
        }
        if let Some((first, rest)) = outcomes.split_first() {
            if !unsettled(first) && rest.iter().all(|v| same(v, first)) {
                return *first;
            }
        }
        if levels {
            return levels_between(&mut self.causes, missing, &outcomes);
        }
        for v in &outcomes {
            missing = self.causes.union(missing, why(*v));
        }
        V::Unk(missing)
    }
}

/// Whether two settled values are the same (as `super::same`: a list never is).
fn same(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Text(x), V::Text(y)) => x == y,
        (V::Date(x), V::Date(y)) => x == y,
        (V::Sym(x), V::Sym(y)) => x == y,
        _ => false,
    }
}

struct CRow {
    cells: Vec<Test>,
    outcome: Code,
}

/// A field and the chain of fields above it down to their base: `c.education.attendance_pct`
/// is `c` and [education, attendance_pct], each field by its slot and name.
fn field_path(e: &Expr) -> (&Expr, Vec<(u32, Arc<str>)>) {
    let mut path = Vec::new();
    let mut at = e;
    while let Node::Field { base, index, name } = &at.node {
        path.push((*index, name.clone()));
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
            (&Node::Local(slot), [(i, a)]) => {
                let (i, a) = (*i, a.clone());
                Some($make(move |f| {
                    let b = f.local(slot);
                    $then(f.causes.field(b, i, &a))
                }))
            }
            (&Node::Local(slot), [(i, a), (j, b)]) => {
                let (i, a, j, b) = (*i, a.clone(), *j, b.clone());
                Some($make(move |f| {
                    let v = f.local(slot);
                    let v = f.causes.field(v, i, &a);
                    $then(f.causes.field(v, j, &b))
                }))
            }
            (Node::Input, [(i, a)]) => {
                let (i, a) = (*i, a.clone());
                Some($make(move |f| {
                    let b = f.input;
                    $then(f.causes.field(b, i, &a))
                }))
            }
            (Node::Input, [(i, a), (j, b)]) => {
                let (i, a, j, b) = (*i, a.clone(), *j, b.clone());
                Some($make(move |f| {
                    let v = f.input;
                    let v = f.causes.field(v, i, &a);
                    $then(f.causes.field(v, j, &b))
                }))
            }
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
    fn field_chain(
        &mut self,
        base: &Expr,
        path: Box<[(u32, Arc<str>)]>,
    ) -> Result<Code, Unsupported> {
        Ok(match base.node {
            Node::Input => boxed(move |f| {
                let b = f.input;
                f.causes.fields(b, &path)
            }),
            Node::Local(slot) => boxed(move |f| {
                let b = f.local(slot);
                f.causes.fields(b, &path)
            }),
            _ => {
                let base = self.compile(base)?;
                boxed(move |f| {
                    let b = base(f);
                    f.causes.fields(b, &path)
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
                    f.and_then(x, |f| b(f))
                })
            }
            Node::Or(a, b) => {
                let (a, b) = (self.test(a)?, self.test(b)?);
                tested(move |f| {
                    let x = a(f);
                    f.or_then(x, |f| b(f))
                })
            }
            Node::Compare(op, a, b) => {
                let op = *op;
                let (a, b) = (self.compile(a)?, self.compile(b)?);
                tested(move |f| {
                    let x = a(f);
                    let y = b(f);
                    compare(&mut f.causes, op, x, y)
                })
            }
            Node::Between(x, lo, hi) => {
                let (x, lo, hi) = (self.compile(x)?, self.compile(lo)?, self.compile(hi)?);
                tested(move |f| {
                    let v = x(f);
                    let l = lo(f);
                    let h = hi(f);
                    let above = compare(&mut f.causes, Cmp::Ge, v, l);
                    let below = compare(&mut f.causes, Cmp::Le, v, h);
                    f.and(above, below)
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
                    boxed(move |f| match f.c.consts.get(k) {
                        Some(v) => f.causes.of(v),
                        None => V::Unk(Why::NONE),
                    })
                }
            },
            Node::Input => boxed(|f| f.input),
            Node::Local(slot) => {
                let slot = *slot;
                boxed(move |f| f.local(slot))
            }
            Node::Param(i) => {
                let i = *i as usize;
                boxed(move |f| match f.params.get(i) {
                    Some(v) => f.causes.of(v),
                    None => V::Unk(Why::NONE),
                })
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
            Node::Project { base, index, name } => {
                let (index, name) = (*index, name.clone());
                let base = self.compile(base)?;
                boxed(move |f| match base(f) {
                    V::List(l) => {
                        let mark = f.building.len();
                        for i in 0..f.len(l) {
                            let (item, membership) = f.item(l, i);
                            let v = f.causes.field(item, index, &name);
                            f.building.push((v, membership));
                        }
                        f.finish(mark)
                    }
                    other => V::Unk(why(other)),
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
                            return V::Unk(Why::NONE);
                        }
                        vals.push(f.value(v));
                    }
                    match builtin.call(&vals) {
                        // A text or list made by a built-in: not held by this tier.
                        Value::Text(_) | Value::Record(_) | Value::List(_) => {
                            f.bail = true;
                            V::Unk(Why::NONE)
                        }
                        Value::Unknown(m) => V::Unk(f.causes.of_missing(&m)),
                        Value::Range { lo, hi, missing } => {
                            V::Range(lo, hi, f.causes.of_missing(&missing))
                        }
                        r => scalar(&r).unwrap_or(V::Unk(Why::NONE)),
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
                        f.building.push((v, T::Yes));
                    }
                    f.finish(mark)
                })
            }
            Node::Neg(x) => {
                let x = self.compile(x)?;
                boxed(move |f| match x(f) {
                    V::Num(d) => V::Num(-d),
                    other => V::Unk(why(other).settled()),
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
                            r.map_or(V::Unk(Why::NONE), V::Num)
                        }
                        (x, y) => V::Unk(f.causes.union(why(x), why(y))),
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
                            r.map_or(V::Unk(Why::NONE), V::Date)
                        }
                        (d, n) => V::Unk(f.causes.union(why(d), why(n))),
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
                    within(&mut f.causes, d, n, direction, t)
                })
            }
            Node::Filter { list, slot, cond } => {
                let slot = *slot;
                let (list, cond) = (self.compile(list)?, self.test(cond)?);
                boxed(move |f| {
                    let items = match list(f) {
                        V::List(items) => items,
                        other => return V::Unk(why(other)),
                    };
                    let mark = f.building.len();
                    for i in 0..f.len(items) {
                        let (item, membership) = f.item(items, i);
                        f.set_local(slot, item);
                        let member = f.and_then(membership, |f| cond(f));
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
                            other if levels => {
                                let missing = why(other).settled();
                                return level_between(
                                    f,
                                    missing,
                                    value,
                                    &arms[k + 1..],
                                    &otherwise,
                                );
                            }
                            other => return V::Unk(why(other).settled()),
                        }
                    }
                    otherwise(f)
                })
            }
            Node::Otherwise(x, d) => {
                let (x, d) = (self.compile(x)?, self.compile(d)?);
                boxed(move |f| match x(f) {
                    V::Unk(_) | V::Range(..) => d(f),
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
                let levels = matches!(e.ty, Type::Level(_));
                boxed(move |f| f.table(&t, levels, &inputs, &rows))
            }
            Node::Highest => boxed(|f| f.highest()),
            Node::AsAt => boxed(|f| f.as_at.map_or(V::Unk(Why::NONE), V::Date)),
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
                    f.building.push((V::Group(g), T::Yes));
                }
                f.finish(mark)
            }),
            Node::AllNeeds => boxed(|f| {
                let mark = f.building.len();
                for n in 0..f.p.needs.len() as u32 {
                    f.building.push((V::Need(n), T::Yes));
                }
                f.finish(mark)
            }),
        })
    }
}

// ---------------------------------------------------------------- Kleene logic, as in `value`

/// A yes/no that may be unknown, and why. Only yes and no are settled: any other value (an
/// unknown, or a value that is not a yes/no) counts as unknown, as in the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    No,
    Yes,
    Unk(Why),
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
            v => T::Unk(why(v)),
        }
    }

    fn v<'a>(self) -> V<'a> {
        match self {
            T::Yes => V::Bool(true),
            T::No => V::Bool(false),
            T::Unk(w) => V::Unk(w),
        }
    }

    fn not(self) -> T {
        match self {
            T::Yes => T::No,
            T::No => T::Yes,
            T::Unk(w) => T::Unk(w.settled()),
        }
    }
}

impl<'a> Frame<'a> {
    /// `a and b` (`settles` is no) or `a or b` (`settles` is yes), as `value::and` and
    /// `value::or`: `b` is evaluated unless `a` settles it; unknown with both causes when both
    /// are unknown, with `a`'s alone when `b` is the other yes/no.
    #[inline(always)]
    fn junction(&mut self, a: T, settles: T, b: impl FnOnce(&mut Self) -> T) -> T {
        match a {
            T::Unk(x) => match b(self) {
                T::Unk(y) => T::Unk(self.causes.union(x, y)),
                r if r == settles => r,
                _ => T::Unk(x.settled()),
            },
            a if a == settles => a,
            _ => b(self),
        }
    }

    #[inline]
    fn and_then(&mut self, a: T, b: impl FnOnce(&mut Self) -> T) -> T {
        self.junction(a, T::No, b)
    }

    #[inline]
    fn or_then(&mut self, a: T, b: impl FnOnce(&mut Self) -> T) -> T {
        self.junction(a, T::Yes, b)
    }

    fn and(&mut self, a: T, b: T) -> T {
        self.and_then(a, |_| b)
    }

    fn or(&mut self, a: T, b: T) -> T {
        self.or_then(a, |_| b)
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
fn compare(c: &mut Causes, op: Cmp, a: V<'_>, b: V<'_>) -> T {
    match (a, b) {
        // The common cases first: two numbers (ages, percentages), two dates.
        (V::Num(x), V::Num(y)) => T::from(holds(op, value::cmp_decimal(&x, &y))),
        (V::Date(x), V::Date(y)) => T::from(holds(op, x.cmp(&y))),
        (V::Unk(x), V::Unk(y)) => T::Unk(c.union(x, y)),
        (V::Unk(x), _) | (_, V::Unk(x)) => T::Unk(x.settled()),
        (V::Range(lo, hi, missing), other) | (other, V::Range(lo, hi, missing)) => {
            let n = match other {
                V::Num(n) => n,
                V::Sym(s) => Decimal::from(s),
                _ => return T::Unk(missing),
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
            settled.map_or(T::Unk(missing), T::from)
        }
        _ => match order(&a, &b) {
            Some(o) => T::from(holds(op, o)),
            None => T::Unk(Why::NONE),
        },
    }
}

impl<'a> Frame<'a> {
    /// `v in list`: true if some certain member equals it, unknown if a member might.
    fn member(&mut self, v: V<'a>, list: V<'a>) -> T {
        let items = match list {
            V::List(items) => items,
            other => return T::Unk(self.causes.union(why(other), why(v))),
        };
        let mut acc = T::No;
        for i in 0..self.len(items) {
            let (item, membership) = self.item(items, i);
            let equal = compare(&mut self.causes, Cmp::Eq, v, item);
            let t = self.and(membership, equal);
            acc = self.or(acc, t);
            if acc == T::Yes {
                break;
            }
        }
        acc
    }
}

/// `d within n before t`: t − n < d ≤ t. `after`: t ≤ d < t + n.
fn within<'a>(c: &mut Causes, d: V<'a>, n: V<'a>, direction: Direction, t: V<'a>) -> V<'a> {
    match (d, n, t) {
        (V::Date(d), V::Dur(n), V::Date(t)) => V::Bool(match direction {
            Direction::Before => value::sub_duration(t, n).is_some_and(|start| start < d && d <= t),
            Direction::After => value::add_duration(t, n).is_some_and(|end| t <= d && d < end),
        }),
        (d, n, t) => {
            let dn = c.union(why(d), why(n));
            V::Unk(c.union(dn, why(t)))
        }
    }
}

/// `min of` / `max of` over values some of which lie in a range (as `super::bounded_extreme`).
fn bounded_extreme<'a>(c: &mut Causes, agg: Agg, values: &[V<'a>]) -> V<'a> {
    let mut bounds: Option<(u32, u32)> = None;
    let mut missing = Why::NONE;
    let mut symbols = false;
    for v in values {
        let (lo, hi) = match *v {
            V::Range(lo, hi, m) => {
                missing = c.union(missing, m);
                (lo, hi)
            }
            V::Sym(s) => {
                symbols = true;
                (s, s)
            }
            V::Num(n) => match u32::try_from(n) {
                Ok(k) if Decimal::from(k) == n => (k, k),
                _ => return V::Unk(missing.settled()),
            },
            other => return V::Unk(why(other).settled()),
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
        Some((lo, hi)) => V::Range(lo, hi, missing.settled()),
        None => V::Unk(Why::NONE),
    }
}

/// A `when` over levels whose condition is unknown (for want of `missing`): between the lowest
/// and the highest of the branches it could still take (as `Eval::level_between`).
fn level_between<'a>(
    f: &mut Frame<'a>,
    mut missing: Why,
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
            other => {
                missing = f.causes.union(missing, why(other).settled());
                candidates.push(v(f));
            }
        }
    }
    if reaches_otherwise {
        candidates.push(otherwise(f));
    }
    levels_between(&mut f.causes, missing, &candidates)
}

/// A level that is one of `candidates`: between the lowest and the highest of them (as
/// `super::levels_between`).
fn levels_between<'a>(c: &mut Causes, mut missing: Why, candidates: &[V<'a>]) -> V<'a> {
    let mut bounds: Option<(u32, u32)> = None;
    for v in candidates {
        let (lo, hi) = match *v {
            V::Sym(s) => (s, s),
            V::Range(lo, hi, m) => {
                missing = c.union(missing, m);
                (lo, hi)
            }
            other => return V::Unk(c.union(missing, why(other))),
        };
        bounds = Some(bounds.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    match bounds {
        Some((lo, hi)) if lo == hi => V::Sym(lo),
        Some((lo, hi)) => V::Range(lo, hi, missing),
        None => V::Unk(missing),
    }
}
