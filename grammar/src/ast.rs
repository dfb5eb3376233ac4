//! The syntax tree of one policy file, exactly as written: every node keeps the byte span it was
//! parsed from, so later stages can point at the text. Nothing here is resolved or typed — names
//! are just names; the checker gives them meaning.

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written, with where it was written.
#[derive(Clone, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal: its decoded text and the span of the quoted literal.
#[derive(Clone, Debug)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug, Default)]
pub struct Module {
    pub items: Vec<Item>,
    /// `# …` comments with their spans, in source order, for the formatter.
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// A blank line stands between this comment and what came before it.
    pub blank_before: bool,
    /// A blank line follows it.
    pub blank_after: bool,
    /// For a comment after code on the same line: where that code ends.
    pub after_code: Option<usize>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Header(Header),
    Import(Text),
    UseTypes(Text),
    TestsFor(Text),
    Enum(EnumDecl),
    Record(RecordDecl),
    Input(InputDecl),
    Param(ParamDecl),
    Let(LetDecl),
    Fn(FnDecl),
    ExternFn(ExternFnDecl),
    ExternLimits(ExternLimits),
    Scale(ScaleDecl),
    Group(GroupDecl),
    Decision(DecisionDecl),
    Table(TableDecl),
    Test(TestDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Header(x) => x.span,
            Item::Import(t) | Item::UseTypes(t) | Item::TestsFor(t) => t.span,
            Item::Enum(x) => x.span,
            Item::Record(x) => x.span,
            Item::Input(x) => x.span,
            Item::Param(x) => x.span,
            Item::Let(x) => x.span,
            Item::Fn(x) => x.span,
            Item::ExternFn(x) => x.span,
            Item::ExternLimits(x) => x.span,
            Item::Scale(x) => x.span,
            Item::Group(x) => x.span,
            Item::Decision(x) => x.span,
            Item::Table(x) => x.span,
            Item::Test(x) => x.span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Header {
    pub name: Ident,
    pub title: Option<Text>,
    pub version: Option<Text>,
    pub in_force: Option<InForce>,
    pub source: Option<Text>,
    /// `as_at family.assessment_date`: the date the policy is evaluated at when the caller names none.
    pub as_at: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct InForce {
    pub from: Literal,
    pub to: Option<Literal>,
}

#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: Ident,
    pub values: Vec<Labelled>,
    pub span: Span,
}

/// An identifier with an optional plain-English label (enum values, scale levels).
#[derive(Clone, Debug)]
pub struct Labelled {
    pub id: Ident,
    pub label: Option<Text>,
}

#[derive(Clone, Debug)]
pub struct RecordDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub required: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Named(Ident),
    List(Box<TypeExpr>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) => i.span,
            TypeExpr::List(_, s) => *s,
        }
    }
}

#[derive(Clone, Debug)]
pub struct InputDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: ParamValue,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ParamValue {
    Fixed(Expr),
    /// `from DATE: value` lines, as written (the checker insists they are in date order).
    Dated(Vec<(Literal, Expr)>),
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// A decision table: `table name "label" (first) complete { inputs a, b  | c | c | outcome | … }`.
#[derive(Clone, Debug)]
pub struct TableDecl {
    pub name: Ident,
    pub label: Option<Text>,
    pub hit: HitPolicy,
    /// Declared `complete`: the checker must find no gap.
    pub complete: bool,
    pub inputs: Vec<Expr>,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

/// Which row a table's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// The first row that matches.
    First,
    /// The only row that matches: rows may not overlap.
    Unique,
}

#[derive(Clone, Debug)]
pub struct TableRow {
    /// One condition per input, in the order of `inputs`.
    pub cells: Vec<Cell>,
    /// The last cell: a value (`CellKind::Value`) in a well-formed table.
    pub outcome: Cell,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub kind: CellKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum CellKind {
    /// `-`: any value.
    Any,
    /// `>= 2`, `< 90%`: the input compared with the value (one of the comparison `BinOp`s).
    Compare(BinOp, Expr),
    /// `between a and b`, both ends included.
    Between(Expr, Expr),
    /// A value the input equals, or a list `[a, b]` of values it is one of.
    Value(Expr),
}

#[derive(Clone, Debug)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<FnParam>,
    pub ret: Option<TypeExpr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FnParam {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct ExternFnDecl {
    pub name: Ident,
    pub params: Vec<FnParam>,
    pub ret: TypeExpr,
    pub script: Text,
    pub span: Span,
}

/// `extern limits { operations 200000 … }`: the sandbox limits of the policy's scripts.
#[derive(Clone, Debug)]
pub struct ExternLimits {
    pub limits: Vec<ExternLimit>,
    pub span: Span,
}

/// One line of `extern limits`: a limit's name and its value, e.g. `operations 200000`.
#[derive(Clone, Debug)]
pub struct ExternLimit {
    pub name: Ident,
    pub value: Literal,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ScaleDecl {
    pub name: Ident,
    /// Lowest first.
    pub levels: Vec<Labelled>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct GroupDecl {
    pub id: Ident,
    pub label: Text,
    pub source: Option<Text>,
    pub needs: Vec<NeedDecl>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedKind {
    Need,
    Indicator,
}

#[derive(Clone, Debug)]
pub struct NeedDecl {
    pub kind: NeedKind,
    pub id: Ident,
    pub label: Text,
    pub source: Option<Text>,
    pub level: Option<Ident>,
    pub when: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct DecisionDecl {
    pub name: Ident,
    pub label: Option<Text>,
    /// `for each c in xs`: the decision is made for each member of `xs`, keyed by its `id`.
    pub for_each: Option<ForEach>,
    pub value: Expr,
    /// `only when cond`: the decision is given only where `cond` holds; elsewhere it has no value.
    pub only_when: Option<Expr>,
    /// `internal decision …`: computed and usable, not output or explained unless asked.
    pub internal: bool,
    pub span: Span,
}

/// `for each binder in list`, of a per-member decision.
#[derive(Clone, Debug)]
pub struct ForEach {
    pub binder: Ident,
    pub list: Expr,
}

#[derive(Clone, Debug)]
pub struct TestDecl {
    pub name: Text,
    pub steps: Vec<TestStep>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TestStep {
    GivenFile(Text),
    GivenJson(Json),
    With(JsonPath, Json),
    AsAt(Literal),
    Expect(Expectation),
}

#[derive(Clone, Debug)]
pub struct JsonPath {
    pub text: String,
    pub span: Span,
}

/// A JSON value written in a test, kept as JSON text so the engine's own reader decodes it.
#[derive(Clone, Debug)]
pub struct Json {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExpectKind {
    /// `expect eligible is true`, `expect headlines are [education, health]`.
    Decision { name: Ident, value: Expected },
    /// `expect need persistent_absence is met`.
    Need {
        subject: NeedSubject,
        id: Ident,
        state: MetState,
    },
    /// `expect missing are ["members[0].date_of_birth"]`.
    Missing(Json),
    /// `expect error "wrong type"`: the record is rejected with a message containing this text.
    Error(Text),
}

#[derive(Clone, Debug)]
pub enum Expected {
    Undetermined,
    Json(Json),
    Ids(Vec<Ident>),
    Id(Ident),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedSubject {
    Need,
    Group,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetState {
    Met,
    NotMet,
    Undetermined,
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LitKind {
    Number,
    Percent,
    Money,
    Date,
    Duration,
    Text,
    Bool,
}

/// A literal as written; the checker decodes and validates it (a date that does not exist is a
/// diagnostic, not a parse error, so it can say which date).
#[derive(Clone, Debug)]
pub struct Literal {
    pub kind: LitKind,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    Any,
    All,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    Count,
    Sum,
    Min,
    Max,
}

impl Quant {
    /// How the quantifier is written, with the space that follows it: `any `.
    pub fn keyword(self) -> &'static str {
        match self {
            Quant::Any => "any ",
            Quant::All => "all ",
            Quant::None => "none ",
        }
    }
}

impl Agg {
    /// How the aggregate is written, up to its list: `count of `.
    pub fn keyword(self) -> &'static str {
        match self {
            Agg::Count => "count of ",
            Agg::Sum => "sum of ",
            Agg::Min => "min of ",
            Agg::Max => "max of ",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetKind {
    Groups,
    Needs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Before,
    After,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Lit(Literal),
    Name(Ident),
    Field(Box<Expr>, Ident),
    Call(Ident, Vec<Expr>),
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x between low and high`, both ends included.
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `x is v` / `x is not v`.
    Is {
        value: Box<Expr>,
        rhs: Box<Expr>,
        negated: bool,
    },
    /// `x in list` / `x not in list`.
    In {
        value: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `x is known` (`known: true`) / `x is missing`.
    Known {
        value: Box<Expr>,
        known: bool,
    },
    /// `d within 12 months before t`.
    Within {
        date: Box<Expr>,
        duration: Box<Expr>,
        direction: Direction,
        anchor: Box<Expr>,
    },
    /// `xs where cond`: inside `cond`, the element's fields are names.
    Where(Box<Expr>, Box<Expr>),
    /// `any c in xs where filter: body`.
    Quantifier {
        quant: Quant,
        binder: Ident,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    /// `count of xs`, `sum of xs`, or the binder form `sum of c in xs where filter: body`.
    Aggregate {
        agg: Agg,
        binder: Option<Ident>,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
        body: Option<Box<Expr>>,
    },
    /// `when c1 then v1 when c2 then v2 else v3`.
    When {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    /// `x otherwise default`.
    Otherwise(Box<Expr>, Box<Expr>),
    /// `highest level met`, naming the scale.
    Highest(Ident),
    /// `groups met`, `needs met` (`indicators met` is the same list).
    Met(MetKind),
}

impl TestStep {
    pub fn span(&self) -> Span {
        match self {
            TestStep::GivenFile(t) => t.span,
            TestStep::GivenJson(j) | TestStep::With(_, j) => j.span,
            TestStep::AsAt(d) => d.span,
            TestStep::Expect(e) => e.span,
        }
    }
}
