//! Expressions laid out within the printer's width. An expression that fits where it starts stays
//! on one line; one that does not breaks by its kind: a multi-branch `when` one branch per line, an
//! `and` / `or` chain before each operator, a quantifier after its colon, a call or list one item
//! (or a filled line of items) per line, anything else before its operator.
//!
//! Only whitespace differs from the one-line form, and the layout is a function of the tree and
//! the width alone: printing is idempotent and never changes what a policy means.

use crate::ast::*;
use crate::print::{expr as flat, precedence, ADD, AND, ATOM, MUL, NEG, NOT, OR, OTHERWISE, WHERE};

/// The printer's width, in characters.
pub(crate) const WIDTH: usize = 100;

/// Columns per level of indent.
const INDENT: usize = 4;

/// Lines of a laid-out expression: the first continues the line it starts on (at the column it
/// was given; empty when the layout starts on the next line), each later one is whole, with its
/// indent.
pub(crate) type Lines = Vec<String>;

pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

pub(crate) fn pad(indent: usize) -> String {
    " ".repeat(indent * INDENT)
}

fn one_line(e: &Expr, min: u8) -> String {
    let mut s = String::new();
    flat(&mut s, e, min);
    s
}

/// Lays `e` out (with parentheses if its place needs precedence `min`) starting at column `col`
/// of a line indented `indent` levels, with `tail` characters still to follow its last line.
pub(crate) fn lay(e: &Expr, min: u8, indent: usize, col: usize, tail: usize) -> Lines {
    let text = one_line(e, min);
    let multi_branch = branches(e);
    if !multi_branch && col + width(&text) + tail <= WIDTH {
        return vec![text];
    }
    if precedence(e) < min {
        let mut lines = lay(e, 0, indent, col + 1, tail + 1);
        lines[0].insert(0, '(');
        push_last(&mut lines, ")");
        return lines;
    }
    match &e.kind {
        ExprKind::When { arms, otherwise } => {
            // Each branch on its own line, one level in from the line the `when` belongs to.
            let inner = indent + 1;
            let start = inner * INDENT;
            let mut lines = vec![String::new()];
            for (cond, value) in arms {
                let parts = [("when ", cond, OTHERWISE), (" then ", value, OTHERWISE)];
                append(&mut lines, infix(&parts, inner, start, 0), inner);
            }
            let rest = lay(otherwise, 0, inner, start + "else ".len(), tail);
            append(&mut lines, prefixed("else ", rest), inner);
            lines
        }
        ExprKind::Binary(op @ (BinOp::And | BinOp::Or), ..) => {
            let mut operands = Vec::new();
            flatten(e, *op, &mut operands);
            let (word, level) = if *op == BinOp::And {
                ("and ", AND)
            } else {
                ("or ", OR)
            };
            let inner = indent + 1;
            let last = operands.len() - 1;
            let mut lines = Vec::new();
            for (i, operand) in operands.iter().enumerate() {
                let tail = if i == last { tail } else { 0 };
                if i == 0 {
                    lines = lay(operand, level, inner, col, tail);
                } else {
                    let sub = lay(operand, level + 1, inner, inner * INDENT + word.len(), tail);
                    append(&mut lines, prefixed(word, sub), inner);
                }
            }
            lines
        }
        ExprKind::Quantifier {
            quant,
            binder,
            list,
            filter,
            body,
        } => {
            let kw = quant.keyword();
            let mut lines = binding(kw, binder, list, filter.as_deref(), indent, col, 1);
            push_last(&mut lines, ":");
            body_below(&mut lines, body, indent, tail);
            lines
        }
        ExprKind::Aggregate {
            agg,
            binder,
            list,
            filter,
            body,
        } => {
            let kw = agg.keyword();
            let Some(binder) = binder else {
                return prefixed(kw, lay(list, ATOM, indent, col + kw.len(), tail));
            };
            let after = if body.is_some() { 1 } else { tail };
            let mut lines = binding(kw, binder, list, filter.as_deref(), indent, col, after);
            if let Some(body) = body {
                push_last(&mut lines, ":");
                body_below(&mut lines, body, indent, tail);
            }
            lines
        }
        ExprKind::Call(f, args) => bracketed(&format!("{}(", f.name), args, ")", indent, false),
        ExprKind::List(items) => bracketed("[", items, "]", indent, true),
        ExprKind::Not(x) => prefixed("not ", lay(x, NOT, indent, col + 4, tail)),
        ExprKind::Neg(x) => prefixed("-", lay(x, NEG, indent, col + 1, tail)),
        ExprKind::Field(base, f) => {
            let mut lines = lay(base, ATOM, indent, col, tail + 1 + width(&f.name));
            push_last(&mut lines, &format!(".{}", f.name));
            lines
        }
        ExprKind::Binary(op, a, b) => {
            let (word, left, right) = binary(*op);
            infix(&[("", a, left), (word, b, right)], indent, col, tail)
        }
        ExprKind::Between(x, lo, hi) => infix(
            &[("", x, ADD), (" between ", lo, ADD), (" and ", hi, ADD)],
            indent,
            col,
            tail,
        ),
        ExprKind::Is {
            value,
            rhs,
            negated,
        } => {
            let word = if *negated { " is not " } else { " is " };
            infix(&[("", value, ADD), (word, rhs, ADD)], indent, col, tail)
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => {
            let word = if *negated { " not in " } else { " in " };
            infix(&[("", value, ADD), (word, list, ADD)], indent, col, tail)
        }
        ExprKind::Known { value, known } => {
            let word = if *known { " is known" } else { " is missing" };
            let mut lines = lay(value, ADD, indent, col, tail + word.len());
            push_last(&mut lines, word);
            lines
        }
        ExprKind::Within {
            date,
            duration,
            direction,
            anchor,
        } => {
            let dir = match direction {
                Direction::Before => " before ",
                Direction::After => " after ",
            };
            infix(
                &[
                    ("", date, ADD),
                    (" within ", duration, ADD),
                    (dir, anchor, ADD),
                ],
                indent,
                col,
                tail,
            )
        }
        ExprKind::Where(xs, cond) => {
            infix(&[("", xs, WHERE), (" where ", cond, OR)], indent, col, tail)
        }
        ExprKind::Otherwise(x, d) => infix(
            &[("", x, OTHERWISE), (" otherwise ", d, WHERE)],
            indent,
            col,
            tail,
        ),
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Highest(_) | ExprKind::Met(_) => {
            vec![text]
        }
    }
}

/// A `when` of more than one branch (counting those of a `when` after its `else`): a table, laid
/// out one branch a line even when it would fit on one.
pub(crate) fn branches(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::When { arms, otherwise } => {
            arms.len() > 1 || matches!(otherwise.kind, ExprKind::When { .. })
        }
        _ => false,
    }
}

/// A binary operator's word, with the precedence its left and right operands need.
fn binary(op: BinOp) -> (&'static str, u8, u8) {
    match op {
        BinOp::Or => (" or ", OR, AND),
        BinOp::And => (" and ", AND, NOT),
        BinOp::Eq => (" = ", ADD, ADD),
        BinOp::Ne => (" != ", ADD, ADD),
        BinOp::Lt => (" < ", ADD, ADD),
        BinOp::Le => (" <= ", ADD, ADD),
        BinOp::Gt => (" > ", ADD, ADD),
        BinOp::Ge => (" >= ", ADD, ADD),
        BinOp::Add => (" + ", ADD, MUL),
        BinOp::Sub => (" - ", ADD, MUL),
        BinOp::Mul => (" * ", MUL, NEG),
        BinOp::Div => (" / ", MUL, NEG),
    }
}

/// Operands joined by words (`a between b and c`, `when c then v`): each on the line so far when it
/// fits there (a call or list may open there and wrap), else on the next line, one level in,
/// after its word.
fn infix(parts: &[(&str, &Expr, u8)], indent: usize, col: usize, tail: usize) -> Lines {
    let last = parts.len() - 1;
    let mut lines: Lines = vec![String::new()];
    for (i, (word, x, min)) in parts.iter().enumerate() {
        let tail = if i == last { tail } else { 0 };
        let here = (if lines.len() == 1 { col } else { 0 }) + width(lines.last().map_or("", |l| l));
        let word_here = if i == 0 { *word } else { word };
        let start = here + width(word_here);
        // Decided before laying out, so each operand is laid out once (twice at every level
        // would be exponential in the depth).
        let fits = !branches(x) && start + width(&one_line(x, *min)) + tail <= WIDTH;
        // `x in [` may open a list that wraps; a call after an operator goes to the next line.
        let wraps_itself =
            matches!(x.kind, ExprKind::List(_)) && precedence(x) >= *min && start < WIDTH;
        if i == 0 || fits || wraps_itself {
            let mut inline = lay(x, *min, indent, start, tail);
            inline[0].insert_str(0, word_here);
            append_inline(&mut lines, inline);
        } else {
            let inner = indent + 1;
            let word = word.trim_start();
            let sub = lay(x, *min, inner, inner * INDENT + width(word), tail);
            let mut sub = prefixed(word, sub);
            sub[0].insert_str(0, &pad(inner));
            lines.extend(sub);
        }
    }
    lines
}

/// `any c in list where filter` (or `sum of c in …`), before its colon; the list and the filter
/// wrap if long.
fn binding(
    kw: &str,
    binder: &Ident,
    list: &Expr,
    filter: Option<&Expr>,
    indent: usize,
    col: usize,
    tail: usize,
) -> Lines {
    let head = format!("{kw}{} in ", binder.name);
    let col = col + width(&head);
    // One level deeper than the body below, so the two cannot be confused.
    let lines = match filter {
        None => lay(list, ATOM, indent + 1, col, tail),
        Some(f) => infix(
            &[("", list, ATOM), (" where ", f, OR)],
            indent + 1,
            col,
            tail,
        ),
    };
    prefixed(&head, lines)
}

/// A quantifier's or aggregate's body, on its own line one level in.
fn body_below(lines: &mut Lines, body: &Expr, indent: usize, tail: usize) {
    below(lines, body, 0, indent, tail);
}

/// Puts `e` on the next lines, one level deeper than `indent`. A `when` there has its branches at
/// that level, with nothing left on the line before them.
pub(crate) fn below(lines: &mut Lines, e: &Expr, min: u8, indent: usize, tail: usize) {
    let inner = indent + 1;
    let col = inner * INDENT;
    let when_breaks = matches!(e.kind, ExprKind::When { .. })
        && precedence(e) >= min
        && (branches(e) || col + width(&one_line(e, min)) + tail > WIDTH);
    if when_breaks {
        let mut sub = lay(e, min, indent, col, tail);
        sub.remove(0);
        lines.extend(sub);
    } else {
        append(lines, lay(e, min, inner, col, tail), inner);
    }
}

/// `f(a, b)` or `[a, b]` that does not fit: the items one level in, on lines of their own (a list
/// of short items fills its lines), the closing bracket back at the indent of its line.
fn bracketed(open: &str, items: &[Expr], close: &str, indent: usize, fill: bool) -> Lines {
    let inner = indent + 1;
    let start = inner * INDENT;
    let mut lines = vec![open.to_string()];
    if items.is_empty() {
        return vec![format!("{open}{close}")];
    }
    let flats: Vec<String> = items.iter().map(|x| one_line(x, 0)).collect();
    let short = flats.iter().all(|f| start + width(f) < WIDTH);
    let last = items.len().saturating_sub(1);
    if fill && short {
        return fill_lines(lines, &flats, close, indent);
    }
    for (i, x) in items.iter().enumerate() {
        let comma = if i == last { "" } else { "," };
        below(&mut lines, x, 0, indent, comma.len());
        push_last(&mut lines, comma);
    }
    lines.push(format!("{}{close}", pad(indent)));
    lines
}

/// `head` and the bracketed `items` on one line at `indent` when they fit; otherwise the items
/// fill lines one level in, between the brackets.
pub(crate) fn fill(head: &str, open: &str, items: &[String], close: &str, indent: usize) -> Lines {
    let one = format!("{head}{open}{}{close}", items.join(", "));
    if indent * INDENT + width(&one) <= WIDTH {
        return vec![one];
    }
    fill_lines(vec![format!("{head}{open}")], items, close, indent)
}

fn fill_lines(mut lines: Lines, items: &[String], close: &str, indent: usize) -> Lines {
    let inner = pad(indent + 1);
    let last = items.len().saturating_sub(1);
    let mut current = String::new();
    for (i, text) in items.iter().enumerate() {
        let comma = if i == last { "" } else { "," };
        if !current.is_empty() && width(&current) + 1 + width(text) + comma.len() <= WIDTH {
            current.push(' ');
        } else {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            current.push_str(&inner);
        }
        current.push_str(text);
        current.push_str(comma);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.push(format!("{}{close}", pad(indent)));
    lines
}

fn flatten<'e>(e: &'e Expr, op: BinOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            out.push(b);
        }
        _ => out.push(e),
    }
}

fn prefixed(prefix: &str, mut lines: Lines) -> Lines {
    lines[0].insert_str(0, prefix);
    lines
}

fn push_last(lines: &mut Lines, text: &str) {
    if let Some(l) = lines.last_mut() {
        l.push_str(text);
    }
}

/// Adds `more` on a new line at `indent`: its first line gets the indent, the rest have theirs.
fn append(lines: &mut Lines, mut more: Lines, indent: usize) {
    more[0].insert_str(0, &pad(indent));
    lines.extend(more);
}

/// Continues the last line with `more`'s first line.
fn append_inline(lines: &mut Lines, more: Lines) {
    let mut it = more.into_iter();
    if let (Some(l), Some(first)) = (lines.last_mut(), it.next()) {
        l.push_str(&first);
    }
    lines.extend(it);
}

// ---------------------------------------------------------------- JSON in tests

/// A JSON value of a test step, as the parser keeps it (no whitespace outside texts).
enum Json<'a> {
    Scalar(&'a str),
    Array(Vec<Json<'a>>),
    Object(Vec<(&'a str, Json<'a>)>),
}

/// Reads the compact JSON text the parser keeps; `None` for anything else (it is then printed as
/// written).
fn read_json(text: &str) -> Option<Json<'_>> {
    let (value, rest) = json_value(text)?;
    rest.is_empty().then_some(value)
}

fn json_value(text: &str) -> Option<(Json<'_>, &str)> {
    if let Some(mut rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        if let Some(after) = rest.strip_prefix(']') {
            return Some((Json::Array(items), after));
        }
        loop {
            let (item, after) = json_value(rest)?;
            items.push(item);
            match after.as_bytes().first()? {
                b',' => rest = &after[1..],
                b']' => return Some((Json::Array(items), &after[1..])),
                _ => return None,
            }
        }
    }
    if let Some(mut rest) = text.strip_prefix('{') {
        let mut members = Vec::new();
        if let Some(after) = rest.strip_prefix('}') {
            return Some((Json::Object(members), after));
        }
        loop {
            let (key, after) = json_scalar(rest)?;
            let after = after.strip_prefix(':')?;
            let (value, after) = json_value(after)?;
            members.push((key, value));
            match after.as_bytes().first()? {
                b',' => rest = &after[1..],
                b'}' => return Some((Json::Object(members), &after[1..])),
                _ => return None,
            }
        }
    }
    let (scalar, rest) = json_scalar(text)?;
    Some((Json::Scalar(scalar), rest))
}

/// A text (with its quotes) or a number, `true`, `false`, `null`.
fn json_scalar(text: &str) -> Option<(&str, &str)> {
    let end = if let Some(inside) = text.strip_prefix('"') {
        let mut escaped = false;
        let close = inside.char_indices().find(|&(_, c)| {
            let end = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            end
        })?;
        close.0 + 2
    } else {
        text.find([',', ']', '}', ':']).unwrap_or(text.len())
    };
    (end > 0).then(|| text.split_at(end))
}

fn json_flat(j: &Json) -> String {
    match j {
        Json::Scalar(s) => s.to_string(),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(json_flat).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{k}: {}", json_flat(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
    }
}

/// `head` and a test's JSON value at `indent`: on one line when it fits, else an object one member
/// a line and an array filling its lines, each one level in.
pub(crate) fn json(head: &str, text: &str, indent: usize) -> Lines {
    let Some(value) = read_json(text) else {
        return vec![format!("{head}{text}")];
    };
    prefixed(
        head,
        json_lines(&value, indent, indent * INDENT + width(head), 0),
    )
}

fn json_lines(j: &Json, indent: usize, col: usize, tail: usize) -> Lines {
    let flat = json_flat(j);
    if col + width(&flat) + tail <= WIDTH {
        return vec![flat];
    }
    let inner = indent + 1;
    match j {
        Json::Scalar(s) => vec![s.to_string()],
        Json::Array(items) if items.iter().all(|i| matches!(i, Json::Scalar(_))) => {
            let items: Vec<String> = items.iter().map(json_flat).collect();
            fill_lines(vec!["[".into()], &items, "]", indent)
        }
        Json::Array(items) => {
            let mut lines = vec!["[".to_string()];
            for (i, item) in items.iter().enumerate() {
                let comma = if i + 1 == items.len() { "" } else { "," };
                let sub = json_lines(item, inner, inner * INDENT, comma.len());
                append(&mut lines, sub, inner);
                push_last(&mut lines, comma);
            }
            lines.push(format!("{}]", pad(indent)));
            lines
        }
        Json::Object(members) => {
            let mut lines = vec!["{".to_string()];
            for (i, (key, value)) in members.iter().enumerate() {
                let comma = if i + 1 == members.len() { "" } else { "," };
                let head = format!("{key}: ");
                let sub = json_lines(value, inner, inner * INDENT + width(&head), comma.len());
                append(&mut lines, prefixed(&head, sub), inner);
                push_last(&mut lines, comma);
            }
            lines.push(format!("{}}}", pad(indent)));
            lines
        }
    }
}
