//! The slips people make when they come to a policy from spreadsheet formulas, SQL or Python
//! (`==`, `&&`, `IF(`, `elif`, `True`, `null`, `'text'`, `//` comments, …), each turned into one
//! error at the slip, with help that says what to write instead. Two places catch them: where the
//! parser stopped ([`at_error`]), and names or calls that parse but mean nothing in the language
//! ([`in_module`]).

use crate::ast::*;
use crate::parse::{Rule, SyntaxError};

fn slip(start: usize, end: usize, message: &str, help: &str) -> SyntaxError {
    SyntaxError {
        span: Span::new(start, end),
        message: message.to_string(),
        help: Some(help.to_string()),
    }
}

/// Operators of other languages the parser stops in the middle of: the two characters, the
/// message and the help.
const SPLIT_OPERATORS: [(char, char, &str, &str); 5] = [
    (
        '=',
        '=',
        "`==` is not an operator here",
        "one `=` compares two values: write `=` instead of `==`",
    ),
    (
        '<',
        '>',
        "`<>` is not an operator here",
        "write `!=` for \"is not equal to\" (or `is not` for an enum value)",
    ),
    (
        '=',
        '>',
        "`=>` is not an operator here",
        "for \"if x then y\" write `when x then y else z`, or the condition `not x or y`",
    ),
    (
        ':',
        '=',
        "`:=` is not how a definition is written",
        "a definition takes `=`: write `let name = value`",
    ),
    (
        '/',
        '/',
        "`//` does not start a comment",
        "comments start with `#` and run to the end of the line",
    ),
];

const WHEN_HELP: &str =
    "write `when condition then value else other`; each further branch starts with `when`";

/// The slip at `pos`, where the parser stopped and expected one of `positives`, if it is one.
pub(crate) fn at_error(source: &str, pos: usize, positives: &[Rule]) -> Option<SyntaxError> {
    let at = source.get(pos..)?;
    let before = source.get(..pos)?.trim_end();
    let prev_char = source.get(..pos)?.chars().next_back();
    let word: String = at
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let prev_word: String = {
        let rev: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rev.chars().rev().collect()
    };
    let prev_start = before.len() - prev_word.len();
    let expects = |r: Rule| positives.contains(&r);

    // Two-character operators from other languages, split where the parser stopped.
    for (first, second, message, help) in SPLIT_OPERATORS {
        if prev_char == Some(first) && at.starts_with(second) {
            return Some(slip(pos - 1, pos + 1, message, help));
        }
    }
    for (op, word) in [("&&", "and"), ("||", "or")] {
        if at.starts_with(op) {
            return Some(slip(
                pos,
                pos + 2,
                &format!("`{op}` is not an operator here"),
                &format!("write `{word}`: `a {word} b`"),
            ));
        }
    }
    if at.starts_with('!') && !at.starts_with("!=") {
        return Some(slip(
            pos,
            pos + 1,
            "`!` is not an operator here",
            "write `not`: `not a`",
        ));
    }
    if at.starts_with('\'') {
        return Some(slip(
            pos,
            pos + 1,
            "a text is written in double quotes",
            "write \"text\", not 'text'",
        ));
    }
    if at.starts_with(';') {
        return Some(slip(
            pos,
            pos + 1,
            "`;` is not needed",
            "remove it: a declaration ends where the next one begins",
        ));
    }
    if at.starts_with('%') {
        return Some(slip(
            pos,
            pos + 1,
            "`%` must follow a number",
            "write a percentage as a number with `%` right after it, as in `90%`; there is no remainder operator",
        ));
    }
    // `age(p) > 5 and < 10`: a comparison with nothing on its left.
    let comparison = ["<=", ">=", "!=", "<", ">", "="]
        .into_iter()
        .find(|op| at.starts_with(op));
    if let (Some(op), "and" | "or") = (comparison, prev_word.as_str()) {
        return Some(slip(
            pos,
            pos + op.len(),
            &format!("`{op}` has nothing on its left"),
            "repeat the left side, `x > 5 and x < 10`, or write `x between 5 and 10` (both ends included)",
        ));
    }
    if word == "elif" {
        return Some(slip(pos, pos + 4, "`elif` is not a keyword", WHEN_HELP));
    }
    if word.eq_ignore_ascii_case("if") {
        return Some(slip(
            pos,
            pos + 2,
            "`if` is not a keyword: a choice is written with `when`",
            WHEN_HELP,
        ));
    }
    if prev_word.eq_ignore_ascii_case("if") {
        let start = match before[..prev_start].trim_end().strip_suffix("else") {
            Some(rest) if !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') => {
                rest.len()
            }
            _ => prev_start,
        };
        let what = if start < prev_start {
            "`else if` is not how a further branch is written"
        } else {
            "`if` is not a keyword: a choice is written with `when`"
        };
        return Some(slip(start, before.len(), what, WHEN_HELP));
    }
    // `AND`, `OR`, `NOT`, `IN`, … in capitals: the words are lower case.
    for (w, w_start) in [(&word, pos), (&prev_word, prev_start)] {
        let lower = w.to_ascii_lowercase();
        if *w != lower
            && (crate::parse::RESERVED.contains(&lower.as_str())
                || QUANTIFIERS.contains(&lower.as_str()))
        {
            return Some(slip(
                w_start,
                w_start + w.len(),
                &format!("`{w}` is not a keyword"),
                &format!("keywords are written in lower case: `{lower}`"),
            ));
        }
    }
    if expects(Rule::kw_else) && expects(Rule::kw_when) {
        // At the end of the last branch, not at whatever comes next (often the next line).
        return Some(slip(
            before.len(),
            before.len(),
            "a `when … then …` needs a final `else`",
            "add the value for when no branch holds: `when condition then value else other`",
        ));
    }
    None
}

/// The quantifier words, which are keywords but not reserved (see `parse::RESERVED`).
const QUANTIFIERS: [&str; 3] = ["any", "all", "none"];

/// Names and calls that parse but are another language's words: `True`, `None`, `null`, `IF(…)`.
/// A name the file itself declares is left alone.
pub(crate) fn in_module(module: &Module) -> Result<(), SyntaxError> {
    let mut declared: Vec<&str> = Vec::new();
    for item in &module.items {
        match item {
            Item::Let(l) => declared.push(&l.name.name),
            Item::Table(t) => declared.push(&t.name.name),
            Item::Fn(f) => declared.push(&f.name.name),
            Item::ExternFn(f) => declared.push(&f.name.name),
            Item::Param(p) => declared.push(&p.name.name),
            Item::Input(i) => declared.push(&i.name.name),
            Item::Enum(e) => declared.extend(e.values.iter().map(|v| v.id.name.as_str())),
            Item::Scale(s) => declared.extend(s.levels.iter().map(|v| v.id.name.as_str())),
            _ => {}
        }
    }
    let mut found = None;
    for item in &module.items {
        let mut visit = |e: &Expr| {
            if found.is_none() {
                found = foreign(e, &declared);
            }
        };
        match item {
            Item::Header(h) => h.as_at.iter().for_each(&mut visit),
            Item::Param(p) => match &p.value {
                ParamValue::Fixed(v) => visit(v),
                ParamValue::Dated(vs) => vs.iter().for_each(|(_, v)| visit(v)),
            },
            Item::Let(l) => visit(&l.value),
            Item::Fn(f) => visit(&f.body),
            Item::Group(g) => g.needs.iter().for_each(|n| visit(&n.when)),
            Item::Decision(d) => visit(&d.value),
            _ => {}
        }
    }
    found.map_or(Ok(()), Err)
}

/// The first foreign word in `e`, depth first.
fn foreign(e: &Expr, declared: &[&str]) -> Option<SyntaxError> {
    let here = match &e.kind {
        ExprKind::Name(i) if !declared.contains(&i.name.as_str()) => name_slip(i),
        ExprKind::Call(f, _) if !declared.contains(&f.name.as_str()) => call_slip(f),
        _ => None,
    };
    if here.is_some() {
        return here;
    }
    children(e)
        .into_iter()
        .find_map(|child| foreign(child, declared))
}

fn name_slip(i: &Ident) -> Option<SyntaxError> {
    let (start, end) = (i.span.start, i.span.end);
    match i.name.as_str() {
        "True" | "TRUE" => Some(slip(
            start,
            end,
            &format!("`{}` is not a value", i.name),
            "yes/no values are written in lower case: `true`",
        )),
        "False" | "FALSE" => Some(slip(
            start,
            end,
            &format!("`{}` is not a value", i.name),
            "yes/no values are written in lower case: `false`",
        )),
        "None" | "null" | "NULL" | "Null" | "nil" => Some(slip(
            start,
            end,
            &format!("`{}` is not a value", i.name),
            "a value the record lacks is unknown: test it with `x is missing` or `x is known`, \
             or give a default with `x otherwise value`",
        )),
        _ => None,
    }
}

fn call_slip(f: &Ident) -> Option<SyntaxError> {
    let (start, end) = (f.span.start, f.span.end);
    let lower = f.name.to_ascii_lowercase();
    match lower.as_str() {
        "if" | "iif" | "ifs" => Some(slip(
            start,
            end,
            &format!("`{}(…)` is a spreadsheet function, not a policy's", f.name),
            WHEN_HELP,
        )),
        "and" | "or" | "not" => Some(slip(
            start,
            end,
            &format!("`{}(…)` is a spreadsheet function, not a policy's", f.name),
            &format!("`{lower}` goes between conditions: `a {lower} b` (`not a` for `NOT`)"),
        )),
        _ => None,
    }
}

fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Highest(_) | ExprKind::Met(_) => vec![],
        ExprKind::Field(x, _) | ExprKind::Not(x) | ExprKind::Neg(x) => vec![x],
        ExprKind::Known { value, .. } => vec![value],
        ExprKind::Call(_, xs) | ExprKind::List(xs) => xs.iter().collect(),
        ExprKind::Binary(_, a, b) | ExprKind::Where(a, b) | ExprKind::Otherwise(a, b) => {
            vec![a, b]
        }
        ExprKind::Is { value, rhs, .. } => vec![value, rhs],
        ExprKind::In { value, list, .. } => vec![value, list],
        ExprKind::Between(x, lo, hi) => vec![x, lo, hi],
        ExprKind::Within {
            date,
            duration,
            anchor,
            ..
        } => vec![date, duration, anchor],
        ExprKind::Quantifier {
            list, filter, body, ..
        } => {
            let mut out: Vec<&Expr> = vec![list];
            out.extend(filter.as_deref());
            out.push(body);
            out
        }
        ExprKind::Aggregate {
            list, filter, body, ..
        } => {
            let mut out: Vec<&Expr> = vec![list];
            out.extend(filter.as_deref());
            out.extend(body.as_deref());
            out
        }
        ExprKind::When { arms, otherwise } => {
            let mut out: Vec<&Expr> = arms.iter().flat_map(|(c, v)| [c, v]).collect();
            out.push(otherwise);
            out
        }
    }
}
