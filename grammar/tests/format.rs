//! Snapshots of the canonical layout for inputs that are easy to get wrong: comments in every
//! position, long conditions, nested quantifiers, odd spacing. Formatting is idempotent.

use earlyhelp_grammar::{parse, print};

fn format(text: &str) -> String {
    let printed = print(&parse(text).expect("parses"));
    let again = print(&parse(&printed).expect("the formatted text parses"));
    assert_eq!(printed, again, "formatting is idempotent");
    printed
}

#[test]
fn comments_stay_where_they_were() {
    insta::assert_snapshot!(format(
        r#"# Top of file.

# About the header.
policy p { version "1"   # trailing comment in the header
}
# Before a record.
record R {
  # before a field
  id: text required   # after a field
  age: number
}
input r: R
group g "G" {
    # before a need
    need n "N" {
        # before the condition
        when r.age > 3 # after the condition
    }
}
decision d = n
test "t" {
    # first line of a test
    given { "id": "x" }
    # before an expectation
    expect d is true
}
# End of file."#
    ));
}

#[test]
fn long_conditions_break_at_quantifiers_and_operators() {
    insta::assert_snapshot!(format(
        r#"record P { id: text required, role: text, a: bool, b: bool, xs: list of date, d: date }
record F { id: text required, members: list of P, day: date }
input family: F
fn recent(d: date) = d within 12 months before family.day
decision long_any = any p in family.members where p.role = "child" and p.a: (any d in p.xs: recent(d)) or (any d in p.xs: d within 6 months after family.day) or p.b
decision long_and = family.day is known and (any p in family.members: p.a) and (all p in family.members: p.b or p.a) and count of family.members >= 3
"#
    ));
}

#[test]
fn spacing_and_parentheses_are_normalised() {
    insta::assert_snapshot!(format(
        r#"record R{id:text required,x:number,y:number}
input r:R
param limit : money{ from 2018-04-01 : £15,400   from 2026-04-01:£16,000 }
let a=(r.x+r.y)*2
let b=r.x+(r.y*2)
let c=not(r.x>1 and r.y>1)
let d=-(r.x) otherwise 0
let e=when r.x>1 then "big" when r.x>0 then "small" else "none"
decision out = (a > b) and (c) and d = 0 and e is "big"
"#
    ));
}

#[test]
fn table_columns_are_aligned_and_comments_kept() {
    insta::assert_snapshot!(format(
        r#"record F { id: text required, london: bool, children: number, status: S }
enum S { homeless, temporary_accommodation, settled }
input family: F
# The limits, from the regulations.
table limit "No-recourse income limit" (first) complete {
inputs family.london,family.children, family.status
# London first
|true|>= 2| - |£38,600|
| true | between 0 and 1|[homeless, temporary_accommodation]|£34,500 + £1|   # any value
|false|<2| settled | (£1 + £2) * 3|
|-|-|-|£26,500|
}
table t (unique) { inputs family.london
| true | "yes" |
| false | "no" | }
"#
    ));
}
