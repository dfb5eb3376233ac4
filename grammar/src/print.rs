//! The canonical layout of a policy: [`print`] turns a [`Module`] back into text that parses to the
//! same tree. Parentheses are added exactly where precedence needs them; comments are kept, each
//! before the declaration (or need) it preceded.

use crate::ast::*;
use crate::layout::{below, branches, fill, json, lay, pad, width, Lines, WIDTH};
use std::fmt::Write as _;

/// Prints a whole module in canonical layout.
pub fn print(module: &Module) -> String {
    let mut p = Printer {
        out: String::new(),
        comments: &module.comments,
        next_comment: 0,
    };
    let mut prev: Option<(&Item, bool)> = None;
    for item in &module.items {
        let start = p.out.len();
        p.comments_before(item.span().start, 0);
        p.item(item);
        p.trailing(item.span());
        let one_line = p.out[start..].trim_end().lines().count() == 1;
        if let Some((prev, prev_one_line)) = prev {
            let together = compact(prev) && compact(item) && same_kind(prev, item)
                || prev_one_line && one_line && same_kind(prev, item);
            if !together {
                p.out.insert(start, '\n');
            }
        }
        prev = Some((item, one_line));
    }
    p.comments_before(usize::MAX, 0);
    // A blank line kept after the last comment has nothing left to separate: one line end.
    let end = p.out.trim_end_matches('\n').len();
    p.out.truncate(end);
    if end > 0 {
        p.out.push('\n');
    }
    p.out
}

/// The canonical text of a policy file, checked before it is given back: the printed text must
/// parse to the same tree with the same comments, and print to itself again. A formatter that
/// could change what a policy means must never write it, so a failed check is an error (a bug in
/// the printer), like black's safe mode.
pub fn format(text: &str) -> Result<String, FormatError> {
    let module = crate::parse(text.trim_start_matches('\u{feff}')).map_err(FormatError::Syntax)?;
    let printed = print(&module);
    let unstable = |why: &str| Err(FormatError::Unstable(why.to_string()));
    let Ok(again) = crate::parse(&printed) else {
        return unstable("the formatted text does not parse");
    };
    if shape(&module.items) != shape(&again.items) {
        return unstable("formatting would change the policy's meaning");
    }
    if module.comments.len() != again.comments.len() {
        return unstable("formatting would lose or add a comment");
    }
    if print(&again) != printed {
        return unstable("formatting the formatted text changes it again");
    }
    Ok(printed)
}

/// Why [`format`] gave no text.
#[derive(Debug)]
pub enum FormatError {
    /// The policy does not parse.
    Syntax(crate::SyntaxError),
    /// The printer would have changed the policy: a bug in earlyhelp, never in the policy.
    Unstable(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(e) => f.write_str(&e.message),
            FormatError::Unstable(why) => write!(f, "internal error, please report it: {why}"),
        }
    }
}

/// A tree's shape without its source positions: the `Debug` form with every span left out.
fn shape(items: &[Item]) -> String {
    let debug = format!("{items:?}");
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    // Every `Span { … }`, named (`span: Span { … }`) or not (`List(_, Span { … })`).
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Prints one expression on one line.
pub fn print_expr(e: &Expr) -> String {
    let mut s = String::new();
    expr(&mut s, e, 0);
    s
}

fn compact(item: &Item) -> bool {
    matches!(
        item,
        Item::Import(_)
            | Item::UseTypes(_)
            | Item::TestsFor(_)
            | Item::Input(_)
            | Item::Let(_)
            | Item::Fn(_)
            | Item::ExternFn(_)
    ) || matches!(item, Item::Param(p) if matches!(p.value, ParamValue::Fixed(_)))
        || matches!(item, Item::Enum(e) if e.values.iter().all(|v| v.label.is_none()))
}

fn same_kind(a: &Item, b: &Item) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || matches!(
            (a, b),
            (Item::Fn(_) | Item::Let(_), Item::Fn(_) | Item::Let(_))
        )
}

struct Printer<'a> {
    out: String,
    comments: &'a [Comment],
    next_comment: usize,
}

impl Printer<'_> {
    fn comments_before(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos {
                break;
            }
            let _ = writeln!(self.out, "{}{}", pad(indent), c.text);
            if c.blank_after {
                self.out.push('\n');
            }
            self.next_comment += 1;
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{}", pad(indent), text);
    }

    /// Puts a comment that followed `span` on its source line back at the end of the printed line.
    fn trailing(&mut self, span: Span) {
        let Some(c) = self.comments.get(self.next_comment) else {
            return;
        };
        let Some(code_end) = c.after_code else { return };
        if code_end < span.start || code_end > span.end {
            return;
        }
        if self.out.ends_with('\n') {
            self.out.pop();
        }
        let _ = writeln!(self.out, "  {}", c.text);
        self.next_comment += 1;
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Header(h) => {
                self.line(0, &format!("policy {} {{", h.name.name));
                if let Some(t) = &h.title {
                    self.line(1, &format!("title    {}", quote(&t.value)));
                }
                if let Some(t) = &h.version {
                    self.line(1, &format!("version  {}", quote(&t.value)));
                }
                if let Some(f) = &h.in_force {
                    let to =
                        f.to.as_ref()
                            .map(|t| format!(" to {}", t.text))
                            .unwrap_or_default();
                    self.line(1, &format!("in_force {}{to}", f.from.text));
                }
                if let Some(t) = &h.source {
                    self.line(1, &format!("source   {}", quote(&t.value)));
                }
                if let Some(e) = &h.as_at {
                    self.definition("as_at   ", e, 1);
                }
                self.comments_before(h.span.end, 1);
                self.line(0, "}");
            }
            Item::Import(t) => self.line(0, &format!("import {}", quote(&t.value))),
            Item::UseTypes(t) => self.line(0, &format!("use types from {}", quote(&t.value))),
            Item::TestsFor(t) => self.line(0, &format!("tests for {}", quote(&t.value))),
            Item::Enum(e) => self.labelled_block("enum", &e.name, &e.values, e.span),
            Item::Scale(s) => self.labelled_block("scale", &s.name, &s.levels, s.span),
            Item::Record(r) => {
                self.line(0, &format!("record {} {{", r.name.name));
                let width = r
                    .fields
                    .iter()
                    .map(|f| f.name.name.len() + 1)
                    .max()
                    .unwrap_or(0);
                for f in &r.fields {
                    self.comments_before(f.span.start, 1);
                    let req = if f.required { " required" } else { "" };
                    let name = format!("{}:", f.name.name);
                    self.line(1, &format!("{name:width$} {}{req}", ty(&f.ty)));
                    self.trailing(f.span);
                }
                self.comments_before(r.span.end, 1);
                self.line(0, "}");
            }
            Item::Input(i) => self.line(0, &format!("input {}: {}", i.name.name, ty(&i.ty))),
            Item::Param(p) => match &p.value {
                ParamValue::Fixed(v) => {
                    self.definition(&format!("param {}: {} =", p.name.name, ty(&p.ty)), v, 0);
                }
                ParamValue::Dated(values) => {
                    self.line(0, &format!("param {}: {} {{", p.name.name, ty(&p.ty)));
                    for (date, v) in values {
                        self.comments_before(date.span.start, 1);
                        self.definition(&format!("from {}:", date.text), v, 1);
                    }
                    self.comments_before(p.span.end, 1);
                    self.line(0, "}");
                }
            },
            Item::Let(l) => {
                let t =
                    l.ty.as_ref()
                        .map(|t| format!(": {}", ty(t)))
                        .unwrap_or_default();
                self.definition(&format!("let {}{t} =", l.name.name), &l.value, 0);
            }
            Item::Fn(f) => {
                let ret = f
                    .ret
                    .as_ref()
                    .map(|t| format!(" -> {}", ty(t)))
                    .unwrap_or_default();
                let head = format!("fn {}({}){ret} =", f.name.name, params(&f.params));
                self.definition(&head, &f.body, 0);
            }
            Item::ExternFn(f) => self.line(
                0,
                &format!(
                    "extern fn {}({}) -> {} = script {}",
                    f.name.name,
                    params(&f.params),
                    ty(&f.ret),
                    quote(&f.script.value)
                ),
            ),
            Item::ExternLimits(l) => {
                self.line(0, "extern limits {");
                let width = l
                    .limits
                    .iter()
                    .map(|x| x.name.name.len())
                    .max()
                    .unwrap_or(0);
                for x in &l.limits {
                    self.comments_before(x.span.start, 1);
                    self.line(1, &format!("{:width$} {}", x.name.name, x.value.text));
                    self.trailing(x.span);
                }
                self.comments_before(l.span.end, 1);
                self.line(0, "}");
            }
            Item::Group(g) => {
                self.line(
                    0,
                    &format!("group {} {} {{", g.id.name, quote(&g.label.value)),
                );
                if let Some(s) = &g.source {
                    self.line(1, &format!("source {}", quote(&s.value)));
                }
                for (i, n) in g.needs.iter().enumerate() {
                    if i > 0 || g.source.is_some() {
                        self.out.push('\n');
                    }
                    self.comments_before(n.span.start, 1);
                    self.need(n);
                }
                self.comments_before(g.span.end, 1);
                self.line(0, "}");
            }
            Item::Decision(d) => {
                let label = d
                    .label
                    .as_ref()
                    .map(|l| format!(" {}", quote(&l.value)))
                    .unwrap_or_default();
                let each = d
                    .for_each
                    .as_ref()
                    .map(|f| {
                        let mut text = String::from(" for each ");
                        binding(&mut text, &f.binder, &f.list, None);
                        text
                    })
                    .unwrap_or_default();
                self.definition(
                    &format!(
                        "{}decision {}{label}{each} =",
                        if d.internal { "internal " } else { "" },
                        d.name.name
                    ),
                    &d.value,
                    0,
                );
                if let Some(guard) = &d.only_when {
                    // On its own line, under the value: the condition reads as a proviso.
                    let mut text = String::from("only when ");
                    expr(&mut text, guard, 0);
                    self.line(1, &text);
                }
            }
            Item::Table(t) => self.table(t),
            Item::Test(t) => {
                self.line(0, &format!("test {} {{", quote(&t.name.value)));
                for step in &t.steps {
                    self.comments_before(step.span().start, 1);
                    if let TestStep::Expect(Expectation {
                        kind:
                            ExpectKind::Decision {
                                name,
                                value: Expected::Ids(ids),
                            },
                        ..
                    }) = step
                    {
                        let ids: Vec<String> = ids.iter().map(|i| i.name.clone()).collect();
                        let head = format!("expect {} are ", name.name);
                        let lines = fill(&head, "[", &ids, "]", 1);
                        self.lines(1, "", lines);
                        self.trailing(step.span());
                        continue;
                    }
                    let json_step = match step {
                        TestStep::GivenJson(j) => Some(("given ".to_string(), j)),
                        TestStep::With(path, v) => Some((format!("with {} = ", path.text), v)),
                        TestStep::Expect(Expectation {
                            kind: ExpectKind::Missing(j),
                            ..
                        }) => Some(("expect missing are ".to_string(), j)),
                        TestStep::Expect(Expectation {
                            kind:
                                ExpectKind::Decision {
                                    name,
                                    value: Expected::Json(j),
                                },
                            ..
                        }) => {
                            let verb = if j.text.starts_with('[') { "are" } else { "is" };
                            Some((format!("expect {} {verb} ", name.name), j))
                        }
                        _ => None,
                    };
                    if let Some((head, j)) = json_step {
                        self.lines(1, "", json(&head, &j.text, 1));
                        // JSON with a comment inside is printed as written, comment and all.
                        while self
                            .comments
                            .get(self.next_comment)
                            .is_some_and(|c| c.span.end <= j.span.end)
                        {
                            self.next_comment += 1;
                        }
                        self.trailing(step.span());
                        continue;
                    }
                    let text = match step {
                        TestStep::GivenFile(f) => format!("given file {}", quote(&f.value)),
                        TestStep::GivenJson(j) => format!("given {}", j.text),
                        TestStep::With(path, v) => format!("with {} = {}", path.text, v.text),
                        TestStep::AsAt(d) => format!("as_at {}", d.text),
                        TestStep::Expect(e) => format!("expect {}", expectation(&e.kind)),
                    };
                    self.line(1, &text);
                    self.trailing(step.span());
                }
                self.comments_before(t.span.end, 1);
                self.line(0, "}");
            }
        }
    }

    fn labelled_block(&mut self, kw: &str, name: &Ident, values: &[Labelled], span: Span) {
        if values.iter().all(|v| v.label.is_none()) {
            let ids: Vec<&str> = values.iter().map(|v| v.id.name.as_str()).collect();
            let one_line = format!("{kw} {} {{ {} }}", name.name, ids.join(", "));
            if width(&one_line) <= WIDTH {
                self.line(0, &one_line);
                return;
            }
        }
        self.line(0, &format!("{kw} {} {{", name.name));
        let width = values.iter().map(|v| v.id.name.len()).max().unwrap_or(0);
        for v in values {
            self.comments_before(v.id.span.start, 1);
            match &v.label {
                Some(l) => self.line(1, &format!("{:width$} {}", v.id.name, quote(&l.value))),
                None => self.line(1, &v.id.name),
            }
        }
        self.comments_before(span.end, 1);
        self.line(0, "}");
    }

    fn need(&mut self, n: &NeedDecl) {
        let kw = match n.kind {
            NeedKind::Need => "need",
            NeedKind::Indicator => "indicator",
        };
        self.line(
            1,
            &format!("{kw} {} {} {{", n.id.name, quote(&n.label.value)),
        );
        if let Some(l) = &n.level {
            self.line(2, &format!("level  {}", l.name));
        }
        if let Some(s) = &n.source {
            self.line(2, &format!("source {}", quote(&s.value)));
        }
        self.comments_before(n.when.span.start, 2);
        self.definition("when", &n.when, 2);
        self.trailing(n.when.span);
        self.comments_before(n.span.end, 2);
        self.line(1, "}");
    }

    /// `head expr` on one line when it fits; otherwise laid out within the width (see
    /// `layout.rs`). A definition (`head` ending in `=` or `:`) breaks after its head unless what
    /// opens the value (`any c in xs:`) fits there.
    fn definition(&mut self, head: &str, e: &Expr, indent: usize) {
        let col = width(&pad(indent)) + width(head) + usize::from(!head.is_empty());
        let lines = lay(e, 0, indent, col, 0);
        let opens_here = matches!(
            e.kind,
            ExprKind::Quantifier { .. } | ExprKind::Aggregate { body: Some(_), .. }
        ) && col + width(&lines[0]) <= WIDTH;
        let definition = head.ends_with('=') || head.ends_with(':');
        if lines.len() == 1 || !definition || opens_here || branches(e) {
            self.lines(indent, head, lines);
            return;
        }
        let mut lines: Lines = vec![String::new()];
        below(&mut lines, e, 0, indent, 0);
        self.lines(indent, head, lines);
    }

    /// Writes laid-out lines, the first after `head`.
    fn lines(&mut self, indent: usize, head: &str, lines: Lines) {
        let mut it = lines.into_iter();
        let first = it.next().unwrap_or_default();
        self.line(indent, join(head, &first).trim_end());
        for l in it {
            let _ = writeln!(self.out, "{}", l.trim_end());
        }
    }
}

fn join(head: &str, text: &str) -> String {
    if head.is_empty() || text.is_empty() {
        return format!("{head}{text}");
    }
    if head.is_empty() {
        text.to_string()
    } else {
        format!("{head} {text}")
    }
}

impl Printer<'_> {
    /// A decision table, its columns aligned so it reads like the table in the source document.
    fn table(&mut self, t: &TableDecl) {
        let label = t
            .label
            .as_ref()
            .map(|l| format!(" {}", quote(&l.value)))
            .unwrap_or_default();
        let hit = match t.hit {
            HitPolicy::First => "first",
            HitPolicy::Unique => "unique",
        };
        let complete = if t.complete { " complete" } else { "" };
        self.line(
            0,
            &format!("table {}{label} ({hit}){complete} {{", t.name.name),
        );
        let inputs: Vec<String> = t
            .inputs
            .iter()
            .map(|e| {
                let mut s = String::new();
                expr(&mut s, e, ATOM);
                s
            })
            .collect();
        self.line(1, &format!("inputs {}", inputs.join(", ")));
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.cells.iter().chain([&r.outcome]).map(cell).collect())
            .collect();
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (row, cells) in t.rows.iter().zip(&rows) {
            self.comments_before(row.span.start, 1);
            let mut text = String::from("|");
            for (c, w) in cells.iter().zip(&widths) {
                let _ = write!(text, " {c:w$} |");
            }
            self.line(1, &text);
            self.trailing(row.span);
        }
        self.comments_before(t.span.end, 1);
        self.line(0, "}");
    }
}

fn cell(c: &Cell) -> String {
    let mut s = String::new();
    match &c.kind {
        CellKind::Any => s.push('-'),
        CellKind::Compare(op, e) => {
            let op = match op {
                BinOp::Ne => "!=",
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                BinOp::Ge => ">=",
                _ => "=",
            };
            let _ = write!(s, "{op} ");
            expr(&mut s, e, ADD);
        }
        CellKind::Between(lo, hi) => {
            s.push_str("between ");
            expr(&mut s, lo, ADD);
            s.push_str(" and ");
            expr(&mut s, hi, ADD);
        }
        CellKind::Value(e) => expr(&mut s, e, ADD),
    }
    s
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn ty(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(i) => i.name.clone(),
        TypeExpr::List(inner, _) => format!("list of {}", ty(inner)),
    }
}

fn params(ps: &[FnParam]) -> String {
    ps.iter()
        .map(|p| format!("{}: {}", p.name.name, ty(&p.ty)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expectation(e: &ExpectKind) -> String {
    match e {
        ExpectKind::Decision { name, value } => match value {
            Expected::Undetermined => format!("{} is undetermined", name.name),
            Expected::Json(j) if j.text.starts_with('[') => format!("{} are {}", name.name, j.text),
            Expected::Json(j) => format!("{} is {}", name.name, j.text),
            Expected::Id(i) => format!("{} is {}", name.name, i.name),
            Expected::Ids(ids) => {
                let ids: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
                format!("{} are [{}]", name.name, ids.join(", "))
            }
        },
        ExpectKind::Need { subject, id, state } => {
            let subject = match subject {
                NeedSubject::Need => "need",
                NeedSubject::Group => "group",
            };
            let state = match state {
                MetState::Met => "met",
                MetState::NotMet => "not met",
                MetState::Undetermined => "undetermined",
            };
            format!("{subject} {} is {state}", id.name)
        }
        ExpectKind::Missing(j) => format!("missing are {}", j.text),
        ExpectKind::Error(t) => format!("error {}", quote(&t.value)),
    }
}

// Precedence levels, loosest first; an operand printed below the level its position needs gets
// parentheses.
pub(crate) const WHEN: u8 = 0;
pub(crate) const OTHERWISE: u8 = 1;
pub(crate) const WHERE: u8 = 2;
pub(crate) const OR: u8 = 3;
pub(crate) const AND: u8 = 4;
pub(crate) const NOT: u8 = 5;
pub(crate) const CMP: u8 = 6;
pub(crate) const ADD: u8 = 7;
pub(crate) const MUL: u8 = 8;
pub(crate) const NEG: u8 = 9;
pub(crate) const ATOM: u8 = 10;

pub(crate) fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::When { .. } => WHEN,
        ExprKind::Otherwise(..) => OTHERWISE,
        ExprKind::Where(..) => WHERE,
        ExprKind::Binary(BinOp::Or, ..) => OR,
        ExprKind::Binary(BinOp::And, ..) => AND,
        ExprKind::Not(_) => NOT,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => ADD,
        ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => MUL,
        ExprKind::Binary(..)
        | ExprKind::Between(..)
        | ExprKind::Is { .. }
        | ExprKind::In { .. }
        | ExprKind::Known { .. }
        | ExprKind::Within { .. } => CMP,
        ExprKind::Neg(_) => NEG,
        // `count of xs` takes its list like a prefix operator: `(count of xs).field` needs brackets.
        ExprKind::Aggregate { binder: None, .. } => NEG,
        // These run to the end of the expression, so inside an operator they need parentheses.
        ExprKind::Quantifier { .. } => WHEN,
        ExprKind::Aggregate {
            filter: Some(_), ..
        }
        | ExprKind::Aggregate { body: Some(_), .. } => WHEN,
        _ => ATOM,
    }
}

pub(crate) fn expr(out: &mut String, e: &Expr, min: u8) {
    if precedence(e) < min {
        out.push('(');
        expr(out, e, 0);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Lit(l) => match l.kind {
            LitKind::Text => out.push_str(&quote(&l.text)),
            _ => out.push_str(&l.text),
        },
        ExprKind::Name(i) => out.push_str(&i.name),
        ExprKind::Field(base, f) => {
            expr(out, base, ATOM);
            out.push('.');
            out.push_str(&f.name);
        }
        ExprKind::Call(f, args) => {
            out.push_str(&f.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        ExprKind::Not(x) => {
            out.push_str("not ");
            expr(out, x, NOT);
        }
        ExprKind::Neg(x) => {
            out.push('-');
            expr(out, x, NEG);
        }
        ExprKind::Binary(op, a, b) => {
            let (word, left, right) = match op {
                BinOp::Or => ("or", OR, AND),
                BinOp::And => ("and", AND, NOT),
                BinOp::Eq => ("=", ADD, ADD),
                BinOp::Ne => ("!=", ADD, ADD),
                BinOp::Lt => ("<", ADD, ADD),
                BinOp::Le => ("<=", ADD, ADD),
                BinOp::Gt => (">", ADD, ADD),
                BinOp::Ge => (">=", ADD, ADD),
                BinOp::Add => ("+", ADD, MUL),
                BinOp::Sub => ("-", ADD, MUL),
                BinOp::Mul => ("*", MUL, NEG),
                BinOp::Div => ("/", MUL, NEG),
            };
            expr(out, a, left);
            let _ = write!(out, " {word} ");
            expr(out, b, right);
        }
        ExprKind::Between(x, lo, hi) => {
            expr(out, x, ADD);
            out.push_str(" between ");
            expr(out, lo, ADD);
            out.push_str(" and ");
            expr(out, hi, ADD);
        }
        ExprKind::Is {
            value,
            rhs,
            negated,
        } => {
            expr(out, value, ADD);
            out.push_str(if *negated { " is not " } else { " is " });
            expr(out, rhs, ADD);
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => {
            expr(out, value, ADD);
            out.push_str(if *negated { " not in " } else { " in " });
            expr(out, list, ADD);
        }
        ExprKind::Known { value, known } => {
            expr(out, value, ADD);
            out.push_str(if *known { " is known" } else { " is missing" });
        }
        ExprKind::Within {
            date,
            duration,
            direction,
            anchor,
        } => {
            expr(out, date, ADD);
            out.push_str(" within ");
            expr(out, duration, ADD);
            out.push_str(match direction {
                Direction::Before => " before ",
                Direction::After => " after ",
            });
            expr(out, anchor, ADD);
        }
        ExprKind::Where(xs, cond) => {
            expr(out, xs, WHERE);
            out.push_str(" where ");
            expr(out, cond, OR);
        }
        ExprKind::Quantifier {
            quant,
            binder,
            list,
            filter,
            body,
        } => {
            out.push_str(quant.keyword());
            binding(out, binder, list, filter.as_deref());
            out.push_str(": ");
            expr(out, body, 0);
        }
        ExprKind::Aggregate {
            agg,
            binder,
            list,
            filter,
            body,
        } => {
            out.push_str(agg.keyword());
            match binder {
                Some(b) => binding(out, b, list, filter.as_deref()),
                None => expr(out, list, ATOM),
            }
            if let Some(body) = body {
                out.push_str(": ");
                expr(out, body, 0);
            }
        }
        ExprKind::When { arms, otherwise } => {
            for (cond, value) in arms {
                out.push_str("when ");
                expr(out, cond, OTHERWISE);
                out.push_str(" then ");
                expr(out, value, OTHERWISE);
                out.push(' ');
            }
            out.push_str("else ");
            expr(out, otherwise, 0);
        }
        ExprKind::Otherwise(x, d) => {
            expr(out, x, OTHERWISE);
            out.push_str(" otherwise ");
            expr(out, d, WHERE);
        }
        ExprKind::Highest(scale) => {
            let _ = write!(out, "highest {} met", scale.name);
        }
        ExprKind::Met(kind) => out.push_str(match kind {
            MetKind::Groups => "groups met",
            MetKind::Needs => "needs met",
        }),
    }
}

fn binding(out: &mut String, binder: &Ident, list: &Expr, filter: Option<&Expr>) {
    out.push_str(&binder.name);
    out.push_str(" in ");
    expr(out, list, ATOM);
    if let Some(f) = filter {
        out.push_str(" where ");
        expr(out, f, OR);
    }
}

fn list(out: &mut String, items: &[Expr]) {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, x, 0);
    }
}
