//! Literals: numbers, percentages, money, dates, durations, text and yes/no, typed by the value they are compared with where that settles their unit.

use super::*;

impl Checker<'_> {
    pub(super) fn literal(&mut self, file: FileId, l: &ast::Literal, want: Option<&Type>) -> Expr {
        let loc = Loc { file, span: l.span };
        let bad = |this: &mut Self, what: &str| {
            this.error(loc, format!("`{}` is not a valid {what}", l.text));
            mk(Node::Const(Value::unknown()), Type::Error, loc)
        };
        match l.kind {
            LitKind::Bool => mk(Node::Const(Value::Bool(l.text == "true")), Type::Bool, loc),
            LitKind::Text => mk(
                Node::Const(Value::Text(l.text.as_str().into())),
                Type::Text,
                loc,
            ),
            LitKind::Number => match parse_decimal(&l.text) {
                Some(d) => {
                    let ty = match want {
                        Some(t @ (Type::Percent | Type::Money)) => t.clone(),
                        _ => Type::Number,
                    };
                    mk(Node::Const(Value::Num(d)), ty, loc)
                }
                None => bad(self, "number"),
            },
            LitKind::Percent => match parse_decimal(l.text.trim_end_matches('%')) {
                Some(d) => mk(Node::Const(Value::Num(d)), Type::Percent, loc),
                None => bad(self, "percentage"),
            },
            LitKind::Money => match parse_decimal(&l.text.trim_start_matches('£').replace(',', ""))
            {
                Some(d) => mk(Node::Const(Value::Num(d)), Type::Money, loc),
                None => bad(self, "amount"),
            },
            LitKind::Date => match parse_date(&l.text) {
                Some(d) => mk(Node::Const(Value::Date(d)), Type::Date, loc),
                None => {
                    self.error(loc, format!("`{}` is not a date", l.text)).help =
                        Some("dates are written YYYY-MM-DD and must exist in the calendar".into());
                    mk(Node::Const(Value::unknown()), Type::Error, loc)
                }
            },
            LitKind::Duration => {
                let mut parts = l.text.split_whitespace();
                let n: Option<u32> = parts.next().and_then(|n| n.parse().ok());
                let unit = parts.next().unwrap_or("");
                let Some(n) = n.filter(|n| *n <= 100_000) else {
                    return bad(self, "duration");
                };
                let zero = Duration::default();
                let d = match unit.trim_end_matches('s') {
                    "day" => Duration { days: n, ..zero },
                    "week" => Duration {
                        days: n * 7,
                        ..zero
                    },
                    "month" => Duration { months: n, ..zero },
                    _ => Duration { years: n, ..zero },
                };
                mk(Node::Const(Value::Duration(d)), Type::Duration, loc)
            }
        }
    }
}
