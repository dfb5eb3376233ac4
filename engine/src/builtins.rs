//! The built-in functions, in one table: name, parameter and result types, documentation and
//! implementation. The checker types calls from it, the evaluator runs them from it, and the
//! language reference and editor tooling read their documentation from it — adding a built-in is
//! one entry here (and a test), not an edit in five places.
//!
//! Every built-in is unknown when an argument is unknown; an implementation only ever sees known
//! arguments of its declared types.

use crate::ir::Type;
use crate::value::{self, Value};
use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;

/// One built-in function.
#[derive(Debug)]
pub struct Builtin {
    /// The name a policy calls it by.
    pub name: &'static str,
    /// Parameter names, as the documentation and signature show them.
    pub params: &'static [&'static str],
    /// [`ANY_LEVEL`] stands for a level of any scale; a result of [`ANY_LEVEL`] is the argument's.
    pub(crate) param_types: &'static [Type],
    pub(crate) result: Type,
    /// Whether the implementation sees undetermined arguments as they are (a level known only to
    /// lie in a range); otherwise an unknown argument makes the result unknown.
    sees_unknowns: bool,
    /// The signature with types, e.g. `year_group(dob: date, on: date) -> number`.
    pub signature: &'static str,
    /// What it computes, in a sentence or two of plain English (Markdown).
    pub doc: &'static str,
    /// The implementation over known arguments; `None` when no value exists (a date beyond
    /// year 9999), which is unknown.
    run: fn(&[Value]) -> Option<Value>,
}

/// In a signature: a level of any scale.
pub(crate) const ANY_LEVEL: Type = Type::Level(u32::MAX);

/// Every built-in, in the order the language reference lists them.
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "years_between",
        params: &["from", "to"],
        param_types: &[Type::Date, Type::Date],
        result: Type::Number,
        sees_unknowns: false,
        signature: "years_between(from: date, to: date) -> number",
        doc:
            "Completed years from `from` to `to`: a person's age on `to` when `from` is their date \
              of birth (a person is 5 on their fifth birthday; a 29 February birthday falls on \
              1 March in other years).",
        run: |a| dates2(a, |x, y| num(value::years_between(x, y))),
    },
    Builtin {
        name: "months_between",
        params: &["from", "to"],
        param_types: &[Type::Date, Type::Date],
        result: Type::Number,
        sees_unknowns: false,
        signature: "months_between(from: date, to: date) -> number",
        doc: "The largest n with `from + n months <= to`, month arithmetic clamped to the end of \
              the month.",
        run: |a| dates2(a, |x, y| num(value::months_between(x, y))),
    },
    Builtin {
        name: "days_between",
        params: &["from", "to"],
        param_types: &[Type::Date, Type::Date],
        result: Type::Number,
        sees_unknowns: false,
        signature: "days_between(from: date, to: date) -> number",
        doc: "Days from `from` to `to`, negative when `to` is earlier.",
        run: |a| dates2(a, |x, y| num((y - x).num_days())),
    },
    Builtin {
        name: "year_group",
        params: &["dob", "on"],
        param_types: &[Type::Date, Type::Date],
        result: Type::Number,
        sees_unknowns: false,
        signature: "year_group(dob: date, on: date) -> number",
        doc: "The national curriculum year group, in the school year containing `on`, of a child \
              born on `dob` taught in their chronological year group: Reception is 0, Year 1 is \
              1, …, Year 11 is 11; -1 is the year before Reception. It is the child's age on the \
              31 August before that school year starts, less 4.",
        run: |a| dates2(a, |dob, on| num(year_group(dob, on))),
    },
    Builtin {
        name: "compulsory_school_age",
        params: &["dob", "on"],
        param_types: &[Type::Date, Type::Date],
        result: Type::Bool,
        sees_unknowns: false,
        signature: "compulsory_school_age(dob: date, on: date) -> yes/no",
        doc: "Whether a child born on `dob` is of compulsory school age on `on` (Education Act \
              1996, s8): from the first prescribed day (31 March, 31 August, 31 December) on or \
              after the fifth birthday, to the last Friday in June of the school year (1 September \
              to 31 August) in which the child turns 16.",
        run: |a| match a {
            [Value::Date(dob), Value::Date(on)] => {
                let (start, end) = compulsory_school_age(*dob)?;
                Some(Value::Bool(start <= *on && *on <= end))
            }
            _ => None,
        },
    },
    Builtin {
        name: "funding_period_end",
        params: &["d"],
        param_types: &[Type::Date],
        result: Type::Date,
        sees_unknowns: false,
        signature: "funding_period_end(d: date) -> date",
        doc: "The last day of the early education funding period containing `d`. The periods \
              run 1 January – 31 March, 1 April – 31 August and 1 September – 31 December.",
        run: |a| match a {
            [Value::Date(d)] => Some(Value::Date(funding_period_end(*d)?)),
            _ => None,
        },
    },
    Builtin {
        name: "next_funding_period",
        params: &["d"],
        param_types: &[Type::Date],
        result: Type::Date,
        sees_unknowns: false,
        signature: "next_funding_period(d: date) -> date",
        doc: "The first day of the early education funding period after the one containing `d` \
              (1 January, 1 April or 1 September).",
        run: |a| match a {
            [Value::Date(d)] => Some(Value::Date(funding_period_end(*d)?.succ_opt()?)),
            _ => None,
        },
    },
    Builtin {
        name: "lowest",
        params: &["level"],
        param_types: &[ANY_LEVEL],
        result: ANY_LEVEL,
        sees_unknowns: true,
        signature: "lowest(level: a level) -> the same scale",
        doc: "The lowest level `level` can be: the level itself when it is known; when it is \
              undetermined but known to lie in a range (as `highest level met` can be), the \
              bottom of that range — the level already reached whatever the missing data turns \
              out to be. Unknown only when nothing at all is known.",
        run: |a| match a {
            [Value::Range { lo, .. }] => Some(Value::Symbol(*lo)),
            [v] => Some(v.clone()),
            _ => None,
        },
    },
    Builtin {
        name: "starts_with",
        params: &["text", "prefix"],
        param_types: &[Type::Text, Type::Text],
        result: Type::Bool,
        sees_unknowns: false,
        signature: "starts_with(text: text, prefix: text) -> yes/no",
        doc: "Whether `text` begins with `prefix`, letter for letter (case matters): \
              `starts_with(family.local_authority, \"E09\")` is true for a London borough.",
        run: |a| match a {
            [Value::Text(t), Value::Text(p)] => Some(Value::Bool(t.starts_with(&**p))),
            _ => None,
        },
    },
];

impl Builtin {
    /// The built-in called `name`.
    pub fn named(name: &str) -> Option<&'static Builtin> {
        BUILTINS.iter().find(|b| b.name == name)
    }

    /// Calls the built-in: unknown (settled on the unknown arguments) when an argument is unknown.
    pub(crate) fn call(&self, args: &[Value]) -> Value {
        let known = |a: &Value| !matches!(a, Value::Unknown(_) | Value::Range { .. });
        if self.sees_unknowns || args.iter().all(known) {
            // Dates stay in the years a record may hold (0001–9999).
            return match (self.run)(args) {
                Some(Value::Date(d)) if !(1..=9999).contains(&d.year()) => Value::unknown(),
                Some(v) => v,
                None => Value::unknown(),
            };
        }
        let mut missing = value::Missing::None;
        for a in args {
            missing = missing.union(&a.missing());
        }
        Value::Unknown(missing.settled())
    }
}

fn num(n: i64) -> Option<Value> {
    Some(Value::Num(Decimal::from(n)))
}

fn dates2(a: &[Value], f: impl FnOnce(NaiveDate, NaiveDate) -> Option<Value>) -> Option<Value> {
    match a {
        [Value::Date(x), Value::Date(y)] => f(*x, *y),
        _ => None,
    }
}

/// The 1 September that starts the school year containing `d`.
fn school_year_start(d: NaiveDate) -> Option<NaiveDate> {
    let year = if d.month() >= 9 {
        d.year()
    } else {
        d.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 9, 1)
}

/// `english-calendar.md`: age on the 31 August before the school year containing `on`, less 4.
pub(crate) fn year_group(dob: NaiveDate, on: NaiveDate) -> i64 {
    let start = school_year_start(on).unwrap_or(on);
    let eve = start.pred_opt().unwrap_or(start);
    value::years_between(dob, eve) - 4
}

/// The first and last day of compulsory school age for a child born on `dob` (s8, Education
/// Act 1996; `english-calendar.md`).
pub(crate) fn compulsory_school_age(dob: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let fifth = value::add_years(dob, 5)?;
    let prescribed = [(3, 31), (8, 31), (12, 31)];
    let start = prescribed
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(fifth.year(), m, d))
        .find(|p| *p >= fifth)?;
    // The school year in which the child turns 16 ends in the June of `end_year`.
    let sixteenth = value::add_years(dob, 16)?;
    let end_year = school_year_start(sixteenth)?.year() + 1;
    let june_30 = NaiveDate::from_ymd_opt(end_year, 6, 30)?;
    let back =
        (june_30.weekday().num_days_from_monday() + 7 - Weekday::Fri.num_days_from_monday()) % 7;
    let end = june_30 - chrono::Days::new(u64::from(back));
    Some((start, end))
}

/// The last day of the funding period (1 Jan – 31 Mar, 1 Apr – 31 Aug, 1 Sep – 31 Dec) holding `d`.
pub(crate) fn funding_period_end(d: NaiveDate) -> Option<NaiveDate> {
    let (m, day) = match d.month() {
        1..=3 => (3, 31),
        4..=8 => (8, 31),
        _ => (12, 31),
    };
    NaiveDate::from_ymd_opt(d.year(), m, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        value::parse_date(s).expect("a date")
    }

    /// The result of calling `name` on dates, written as the spec's tables write it.
    fn call(name: &str, args: &[&str]) -> String {
        let args: Vec<Value> = args.iter().map(|a| Value::Date(d(a))).collect();
        match Builtin::named(name).expect("a built-in").call(&args) {
            Value::Num(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Date(x) => x.to_string(),
            Value::Unknown(_) => "unknown".into(),
            other => format!("{other:?}"),
        }
    }

    /// english-calendar.md, "School years".
    #[test]
    fn year_group_table() {
        for (dob, on, want) in [
            ("2019-09-01", "2024-09-02", 0),
            ("2019-08-31", "2024-09-02", 1),
            ("2020-08-31", "2024-09-02", 0),
            ("2008-09-01", "2024-06-01", 10),
            ("2008-08-31", "2024-06-01", 11),
        ] {
            assert_eq!(
                call("year_group", &[dob, on]),
                want.to_string(),
                "year_group({dob}, {on})"
            );
        }
    }

    /// english-calendar.md, "Compulsory school age".
    #[test]
    fn compulsory_school_age_table() {
        for (dob, on, want) in [
            ("2019-12-31", "2024-12-31", true),
            ("2019-11-15", "2024-12-30", false),
            ("2019-04-10", "2024-08-30", false),
            ("2008-01-20", "2024-06-28", true),
            ("2008-01-20", "2024-06-29", false),
            ("2008-08-31", "2024-06-01", true),
        ] {
            assert_eq!(
                call("compulsory_school_age", &[dob, on]),
                want.to_string(),
                "compulsory_school_age({dob}, {on})"
            );
        }
    }

    /// english-calendar.md, "Funding periods": funded from `next_funding_period(dob + 2 years)`
    /// to `funding_period_end(dob + 3 years)`.
    #[test]
    fn two_year_old_funding_table() {
        for (dob, from, until) in [
            ("2022-05-15", "2024-09-01", "2025-08-31"),
            ("2022-01-01", "2024-04-01", "2025-03-31"),
            ("2021-09-30", "2024-01-01", "2024-12-31"),
            ("2022-08-31", "2024-09-01", "2025-08-31"),
            ("2021-04-20", "2023-09-01", "2024-08-31"),
        ] {
            let second = value::add_years(d(dob), 2).expect("a date").to_string();
            let third = value::add_years(d(dob), 3).expect("a date").to_string();
            assert_eq!(call("next_funding_period", &[&second]), from, "{dob}");
            assert_eq!(call("funding_period_end", &[&third]), until, "{dob}");
        }
    }

    #[test]
    fn a_29_february_birthday_falls_on_1_march() {
        assert_eq!(value::add_years(d("2020-02-29"), 2), Some(d("2022-03-01")));
        assert_eq!(value::add_years(d("2020-02-29"), 4), Some(d("2024-02-29")));
        // Fifth birthday 2021-03-01 (no 29 February in 2021): the next prescribed day is 31 March,
        // where a 28 February birthday would have been.
        assert_eq!(
            compulsory_school_age(d("2016-02-29")).map(|s| s.0),
            Some(d("2021-03-31"))
        );
    }

    #[test]
    fn funding_period_boundaries() {
        for (day, end, next) in [
            ("2024-01-01", "2024-03-31", "2024-04-01"),
            ("2024-03-31", "2024-03-31", "2024-04-01"),
            ("2024-04-01", "2024-08-31", "2024-09-01"),
            ("2024-08-31", "2024-08-31", "2024-09-01"),
            ("2024-09-01", "2024-12-31", "2025-01-01"),
            ("2024-12-31", "2024-12-31", "2025-01-01"),
        ] {
            assert_eq!(call("funding_period_end", &[day]), end);
            assert_eq!(call("next_funding_period", &[day]), next);
        }
    }

    #[test]
    fn starts_with_compares_letter_for_letter() {
        let b = Builtin::named("starts_with").expect("a built-in");
        let text = |s: &str| Value::Text(s.into());
        let yes = |v: Value| matches!(v, Value::Bool(true));
        assert!(yes(b.call(&[text("E09000033"), text("E09")])));
        assert!(!yes(b.call(&[text("e09000033"), text("E09")])));
        assert!(!yes(b.call(&[text("E0"), text("E09")])));
        assert!(b.call(&[Value::unknown(), text("E09")]).is_unknown());
    }

    #[test]
    fn unknown_arguments_give_unknown() {
        let b = Builtin::named("year_group").expect("a built-in");
        let v = b.call(&[Value::unknown(), Value::Date(d("2024-01-01"))]);
        assert!(v.is_unknown());
        // Beyond the calendar: unknown, not a panic.
        assert_eq!(call("next_funding_period", &["9999-12-31"]), "unknown");
    }

    #[test]
    fn every_builtin_is_documented_and_typed() {
        for b in BUILTINS {
            assert_eq!(b.params.len(), b.param_types.len(), "{}", b.name);
            assert!(b.signature.starts_with(b.name), "{}", b.name);
            assert!(!b.doc.is_empty(), "{}", b.name);
        }
    }
}
