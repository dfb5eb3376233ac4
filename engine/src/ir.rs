//! The checked program: every name resolved to what it means, every expression typed. The checker
//! builds it, `lower` finishes it for evaluation, the evaluator runs it. Nothing here refers back
//! to the syntax tree except spans, for explanations and messages.

use crate::value::Value;
use earlyhelp_grammar::ast::{Agg, Direction, Quant, Span};
use std::fmt;
use std::sync::Arc;

pub(crate) type FileId = u32;

/// A position in one of the policy's source files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Loc {
    pub file: FileId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    Bool,
    Number,
    Percent,
    Money,
    Text,
    Date,
    Duration,
    Enum(u32),
    Record(u32),
    List(Box<Type>),
    Level(u32),
    Group,
    Need,
    /// The type of an expression already reported as wrong: agrees with everything, so one
    /// mistake gives one message.
    Error,
}

impl Type {
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(
            self,
            Type::Number | Type::Percent | Type::Money | Type::Error
        )
    }
    pub(crate) fn is_ordered(&self) -> bool {
        self.is_numeric() || matches!(self, Type::Date | Type::Level(_) | Type::Duration)
    }
    pub(crate) fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t) => Some(t),
            Type::Error => Some(&Type::Error),
            _ => None,
        }
    }
    /// Whether a value of `self` can stand where `want` is expected.
    pub(crate) fn fits(&self, want: &Type) -> bool {
        match (self, want) {
            (Type::Error, _) | (_, Type::Error) => true,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }
}

/// Names of the declared types, for messages.
pub(crate) struct TypeNames<'a> {
    pub enums: &'a [EnumDef],
    pub records: &'a [RecordDef],
    pub scales: &'a [EnumDef],
}

pub(crate) struct Shown<'a>(pub &'a Type, pub &'a TypeNames<'a>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.1;
        match self.0 {
            Type::Bool => f.write_str("yes/no"),
            Type::Number => f.write_str("number"),
            Type::Percent => f.write_str("percent"),
            Type::Money => f.write_str("money"),
            Type::Text => f.write_str("text"),
            Type::Date => f.write_str("date"),
            Type::Duration => f.write_str("duration"),
            Type::Enum(i) => f.write_str(names.enums.get(*i as usize).map_or("?", |e| &e.name)),
            Type::Record(i) => f.write_str(names.records.get(*i as usize).map_or("?", |r| &r.name)),
            Type::Level(i) => f.write_str(names.scales.get(*i as usize).map_or("?", |s| &s.name)),
            Type::List(t) => write!(f, "list of {}", Shown(t, names)),
            Type::Group => f.write_str("group"),
            Type::Need => f.write_str("need"),
            Type::Error => f.write_str("?"),
        }
    }
}

/// An enum or a scale: named values in declaration order (a scale's order is its ranking).
#[derive(Clone, Debug)]
pub(crate) struct EnumDef {
    pub name: String,
    pub values: Vec<Arc<str>>,
    pub labels: Vec<Option<String>>,
}

impl EnumDef {
    /// The position of the value called `name`, as a [`Value::Symbol`](crate::value::Value)
    /// holds it.
    pub(crate) fn symbol(&self, name: &str) -> Option<u32> {
        self.values
            .iter()
            .position(|v| **v == *name)
            .map(|i| i as u32)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RecordDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
}

#[derive(Clone, Debug)]
pub(crate) struct FieldDef {
    pub name: Arc<str>,
    pub ty: Type,
    pub required: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub name: String,
    pub ty: Type,
    /// `(from, value)` in date order; a fixed param has one entry with no date.
    pub values: Vec<(Option<chrono::NaiveDate>, Value)>,
}

impl Param {
    /// Its value when it has one, undated: the same on every date.
    pub(crate) fn fixed(&self) -> Option<&Value> {
        match self.values.as_slice() {
            [(None, v)] => Some(v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Let {
    pub value: Expr,
    /// Local slots the expression needs (binders).
    pub locals: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub body: Expr,
    /// Local slots: parameters first, then binders.
    pub locals: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub id: Arc<str>,
    pub label: String,
    pub source: Option<String>,
    pub needs: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct Need {
    pub id: Arc<str>,
    pub label: String,
    pub source: Option<String>,
    pub level: Option<u32>,
    pub group: u32,
    pub when: Expr,
    pub locals: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct DecisionDef {
    pub name: String,
    pub label: Option<String>,
    /// For a per-member decision (`for each c in xs`): the members and where `value` finds each.
    pub for_each: Option<ForEach>,
    pub value: Expr,
    pub locals: u32,
    /// Computed and usable, but not output or explained unless the caller asks.
    pub internal: bool,
}

/// `for each c in list` of a per-member decision: `value` is evaluated with each member of
/// `list` in local `slot`, and output keyed by the member's `id` field (field `id_field`).
#[derive(Clone, Debug)]
pub(crate) struct ForEach {
    /// The member's name in `value`, for explanations (`c = C2`).
    pub binder: String,
    pub list: Expr,
    pub slot: u32,
    pub id_field: u32,
}

/// The whole checked policy.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub enums: Vec<EnumDef>,
    pub records: Vec<RecordDef>,
    pub scales: Vec<EnumDef>,
    pub input: Option<(String, u32)>,
    pub params: Vec<Param>,
    pub lets: Vec<Let>,
    pub functions: Vec<Function>,
    pub groups: Vec<Group>,
    pub needs: Vec<Need>,
    pub decisions: Vec<DecisionDef>,
    /// The scale that `level` lines of indicators refer to.
    pub need_scale: Option<u32>,
    /// Per record type, per field: whether the policy reads it (or must check it, being
    /// `required`). Unread fields are skipped when records are decoded.
    pub read: Vec<Vec<bool>>,
    /// The header's `as_at` expression (over the input), if any.
    pub as_at: Option<(Expr, u32)>,
    /// The `extern fn`s, compiled, and the sandboxed engine that runs them.
    pub externs: crate::script::Externs,
}

#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub node: Node,
    pub ty: Type,
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

pub(crate) use crate::builtins::Builtin;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(Value),
    Input,
    Local(u32),
    Let(u32),
    Param(u32),
    Need(u32),
    Group(u32),
    Decision(u32),
    Field {
        base: Box<Expr>,
        index: u32,
        name: Arc<str>,
    },
    /// A field of every element of a list of records: `eligible.id`.
    Project {
        base: Box<Expr>,
        index: u32,
        name: Arc<str>,
    },
    Call {
        function: u32,
        args: Vec<Expr>,
    },
    Builtin {
        builtin: &'static Builtin,
        args: Vec<Expr>,
    },
    /// A call of an `extern fn` (index into `Program.externs.functions`).
    Extern {
        function: u32,
        args: Vec<Expr>,
    },
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Cmp, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// date ± duration.
    Shift {
        date: Box<Expr>,
        duration: Box<Expr>,
        subtract: bool,
    },
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    Known {
        value: Box<Expr>,
        known: bool,
    },
    Within {
        date: Box<Expr>,
        duration: Box<Expr>,
        direction: Direction,
        anchor: Box<Expr>,
    },
    Filter {
        list: Box<Expr>,
        slot: u32,
        cond: Box<Expr>,
    },
    Quantifier {
        quant: Quant,
        list: Box<Expr>,
        slot: u32,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    Aggregate {
        agg: Agg,
        list: Box<Expr>,
        slot: u32,
        filter: Option<Box<Expr>>,
        body: Option<Box<Expr>>,
    },
    When {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    Otherwise(Box<Expr>, Box<Expr>),
    /// A decision table (see `crate::check::table`).
    Table(Box<Table>),
    /// `highest level met`, over the indicators' scale.
    Highest,
    /// The date the policy is applied at.
    AsAt,
    MetGroups,
    MetNeeds,
    AllGroups,
    AllNeeds,
    /// A property of a group or need: `n.level`, `g.met`.
    Meta {
        base: Box<Expr>,
        meta: Meta,
    },
}

/// A decision table: its value is the outcome of the row that matches (the first, or the only
/// one for `unique`); a row matches when all its conditions hold.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub unique: bool,
    pub inputs: Vec<Expr>,
    pub rows: Vec<TableRow>,
    /// When the checker proved that some row matches every possible input (the cells are
    /// constants and leave no gap): the inputs' pieces, with which the evaluator finds exactly
    /// the rows unknown inputs leave possible.
    pub space: Option<Vec<crate::check::table::Column>>,
}

#[derive(Clone, Debug)]
pub(crate) struct TableRow {
    /// One condition per input; `None` for `-` (any value).
    pub cells: Vec<Option<Expr>>,
    pub outcome: Expr,
    /// The row in the source, for explanations.
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meta {
    Id,
    Label,
    /// The label of a level of scale `.0` (its id when it has none).
    LevelLabel(u32),
    Met,
    Level,
    Group,
    Needs,
}

/// What a meta read (`.id`, `.label`, `.level`, `.group`, `.needs`, a level's label) is read
/// from: a group, a need, or a level of a scale.
#[derive(Clone, Copy)]
pub(crate) enum Subject {
    Group(u32),
    Need(u32),
    Level(u32),
}

/// What a meta read finds in the program, for each evaluator to make its own value of.
pub(crate) enum Found<'p> {
    Text(&'p str),
    Level(u32),
    Group(u32),
    Needs(&'p [u32]),
    Nothing,
}

impl Program {
    /// The values of an enum or scale type; `None` for any other type.
    pub(crate) fn values_of(&self, ty: &Type) -> Option<&EnumDef> {
        match ty {
            Type::Enum(e) => self.enums.get(*e as usize),
            Type::Level(s) => self.scales.get(*s as usize),
            _ => None,
        }
    }

    /// The meta read `meta` of `of`, as declared (`.met` is evaluated, not read: `Nothing`).
    pub(crate) fn meta(&self, of: Subject, meta: Meta) -> Found<'_> {
        let group = |g: u32| self.groups.get(g as usize);
        let need = |n: u32| self.needs.get(n as usize);
        let found = match (of, meta) {
            (Subject::Group(g), Meta::Id) => group(g).map(|x| Found::Text(&x.id)),
            (Subject::Need(n), Meta::Id) => need(n).map(|x| Found::Text(&x.id)),
            (Subject::Group(g), Meta::Label) => group(g).map(|x| Found::Text(&x.label)),
            (Subject::Need(n), Meta::Label) => need(n).map(|x| Found::Text(&x.label)),
            (Subject::Need(n), Meta::Level) => need(n).and_then(|x| x.level).map(Found::Level),
            (Subject::Need(n), Meta::Group) => need(n).map(|x| Found::Group(x.group)),
            (Subject::Group(g), Meta::Needs) => group(g).map(|x| Found::Needs(&x.needs)),
            (Subject::Level(i), Meta::LevelLabel(s)) => {
                self.scales
                    .get(s as usize)
                    .and_then(|scale| match scale.labels.get(i as usize) {
                        Some(Some(label)) => Some(Found::Text(label)),
                        _ => scale.values.get(i as usize).map(|v| Found::Text(v)),
                    })
            }
            _ => None,
        };
        found.unwrap_or(Found::Nothing)
    }
}

/// The sub-expressions of a node, in evaluation order: `$($m)?` is empty for shared references and
/// `mut` for exclusive ones, so one list of cases serves both walks.
macro_rules! node_children {
    ($node:expr, $iter:ident $(, $m:tt)?) => {
        match $node {
            Node::Const(_)
            | Node::Input
            | Node::Local(_)
            | Node::Let(_)
            | Node::Param(_)
            | Node::Need(_)
            | Node::Group(_)
            | Node::Decision(_)
            | Node::Highest
            | Node::AsAt
            | Node::MetGroups
            | Node::MetNeeds
            | Node::AllGroups
            | Node::AllNeeds => Vec::new(),
            Node::Field { base, .. } | Node::Project { base, .. } | Node::Meta { base, .. } => {
                vec![&$($m)? **base]
            }
            Node::Call { args, .. }
            | Node::Extern { args, .. }
            | Node::Builtin { args, .. }
            | Node::List(args) => args.$iter().collect(),
            Node::Not(x) | Node::Neg(x) | Node::Known { value: x, .. } => vec![&$($m)? **x],
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Compare(_, a, b)
            | Node::Arith(_, a, b)
            | Node::Otherwise(a, b) => vec![&$($m)? **a, &$($m)? **b],
            Node::Shift { date, duration, .. } => vec![&$($m)? **date, &$($m)? **duration],
            Node::Between(a, b, c) => vec![&$($m)? **a, &$($m)? **b, &$($m)? **c],
            Node::In { value, list, .. } => vec![&$($m)? **value, &$($m)? **list],
            Node::Within {
                date,
                duration,
                anchor,
                ..
            } => vec![&$($m)? **date, &$($m)? **duration, &$($m)? **anchor],
            Node::Filter { list, cond, .. } => vec![&$($m)? **list, &$($m)? **cond],
            Node::Quantifier {
                list, filter, body, ..
            } => {
                let mut v = vec![&$($m)? **list];
                v.extend(filter.$iter().map(|f| &$($m)? **f));
                v.push(&$($m)? **body);
                v
            }
            Node::Aggregate {
                list, filter, body, ..
            } => {
                let mut v = vec![&$($m)? **list];
                v.extend(filter.$iter().map(|f| &$($m)? **f));
                v.extend(body.$iter().map(|b| &$($m)? **b));
                v
            }
            Node::Table(t) => {
                let mut v: Vec<_> = t.inputs.$iter().collect();
                for row in t.rows.$iter() {
                    for c in row.cells.$iter() {
                        v.extend(c.$iter());
                    }
                    v.push(&$($m)? row.outcome);
                }
                v
            }
            Node::When { arms, otherwise } => {
                let mut v = Vec::with_capacity(arms.len() * 2 + 1);
                for (c, x) in arms.$iter() {
                    v.push(c);
                    v.push(x);
                }
                v.push(&$($m)? **otherwise);
                v
            }
        }
    };
}

impl Node {
    /// The node's sub-expressions, in evaluation order.
    pub(crate) fn children(&self) -> Vec<&Expr> {
        node_children!(self, iter)
    }

    /// The node's sub-expressions, in evaluation order, to rewrite them.
    pub(crate) fn children_mut(&mut self) -> Vec<&mut Expr> {
        node_children!(self, iter_mut, mut)
    }
}
