//! Properties of the semantics that must hold for every record, checked on generated ones.

use earlyhelp::Policy;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

fn supporting_families() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policies/supporting-families/supporting-families.policy");
        Policy::from_file(path).expect("the shipped policy loads")
    })
}

const LOGIC_RECORD: &str =
    "record R { id: text required, a: bool, b: bool, c: bool }\ninput r: R\n";

const LOGIC_DECISIONS: [(&str, &str); 14] = [
    ("not_and", "not (r.a and r.b)"),
    ("or_not", "not r.a or not r.b"),
    ("not_or", "not (r.a or r.b)"),
    ("and_not", "not r.a and not r.b"),
    ("and_comm", "r.b and r.a"),
    ("and_ab", "r.a and r.b"),
    ("or_ab", "r.a or r.b"),
    ("or_comm", "r.b or r.a"),
    ("assoc_left", "(r.a and r.b) and r.c"),
    ("assoc_right", "r.a and (r.b and r.c)"),
    ("distrib_left", "r.a and (r.b or r.c)"),
    ("distrib_right", "(r.a and r.b) or (r.a and r.c)"),
    ("double_not", "not not r.a"),
    ("a", "r.a"),
];

/// Every law's two sides as decisions of one policy.
fn logic() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let decisions: String = LOGIC_DECISIONS
            .iter()
            .map(|(name, expr)| format!("decision {name} = {expr}\n"))
            .collect();
        format!("{LOGIC_RECORD}{decisions}").parse().expect("loads")
    })
}

/// One decision alone, so that the record's missing fields are that decision's own.
fn logic_alone(name: &str) -> &'static Policy {
    static POLICIES: OnceLock<HashMap<&'static str, Policy>> = OnceLock::new();
    let all = POLICIES.get_or_init(|| {
        LOGIC_DECISIONS
            .iter()
            .map(|(name, expr)| {
                let policy = format!("{LOGIC_RECORD}decision {name} = {expr}\n")
                    .parse()
                    .expect("loads");
                (*name, policy)
            })
            .collect()
    });
    &all[name]
}

fn truth() -> impl Strategy<Value = Value> {
    prop_oneof![Just(json!(true)), Just(json!(false)), Just(Value::Null)]
}

fn base_family() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/supporting-families/examples/three-headlines.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("JSON")
}

/// Every leaf path of a JSON value, for knocking fields out.
fn leaves(v: &Value, prefix: Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = prefix.clone();
                p.push(PathPart::Key(k.clone()));
                leaves(x, p, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(PathPart::Index(i));
                leaves(x, p, out);
            }
        }
        _ => out.push(prefix),
    }
}

#[derive(Clone, Debug)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn set_null(v: &mut Value, path: &[PathPart]) {
    let mut at = v;
    for part in path {
        at = match (part, at) {
            (PathPart::Key(k), Value::Object(m)) => match m.get_mut(k) {
                Some(x) => x,
                None => return,
            },
            (PathPart::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    *at = Value::Null;
}

/// The base family with some optional fields made unknown (never `id`, `role` or the assessment date).
fn incomplete_family() -> impl Strategy<Value = Value> {
    let base = base_family();
    let mut paths = Vec::new();
    leaves(&base, Vec::new(), &mut paths);
    paths.retain(|p| {
        !p.iter().any(
            |x| matches!(x, PathPart::Key(k) if k == "id" || k == "role" || k == "assessment_date"),
        )
    });
    prop::sample::subsequence(paths.clone(), 0..paths.len()).prop_map(move |knock| {
        let mut family = base.clone();
        for p in &knock {
            set_null(&mut family, p);
        }
        family
    })
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z0-9 ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Fields no policy declares (the prefix keeps them clear of declared names), with any values.
fn undeclared_fields() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec(("zz_[a-z_]{1,8}", any_json()), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Kleene logic: De Morgan, commutativity, associativity, distributivity, double negation —
    /// for values and for the missing fields they report.
    #[test]
    fn kleene_laws(a in truth(), b in truth(), c in truth()) {
        let d = logic().evaluate(&json!({"id": "R", "a": a, "b": b, "c": c})).expect("evaluates");
        let out = d.outputs();
        for (x, y) in [("not_and", "or_not"), ("not_or", "and_not"), ("and_ab", "and_comm"), ("or_ab", "or_comm"),
                       ("assoc_left", "assoc_right"), ("distrib_left", "distrib_right"), ("double_not", "a")] {
            prop_assert_eq!(&out[x], &out[y], "{} vs {} for a={} b={} c={}", x, y, a, b, c);
        }
        // false and unknown = false; true or unknown = true.
        if a == json!(false) || b == json!(false) {
            prop_assert_eq!(&out["and_ab"], &json!(false));
        }
        if a == json!(true) || b == json!(true) {
            prop_assert_eq!(&out["or_ab"], &json!(true));
        }
        // The missing fields each side reports: a known result reports none; an unknown one
        // names only fields that are unknown, at least one; and the sides of each law that
        // rearranges without duplicating (all but distributivity) name the same fields.
        let record = json!({"id": "R", "a": a, "b": b, "c": c});
        let unknown: Vec<&str> = [("a", &a), ("b", &b), ("c", &c)]
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| *k)
            .collect();
        let missing = |name: &str| -> Result<Vec<String>, TestCaseError> {
            let d = logic_alone(name).evaluate(&record).expect("evaluates");
            let mut m = d.missing().to_vec();
            m.sort();
            if d.output(name) == Some(&Value::Null) {
                prop_assert!(!m.is_empty(), "{} is undetermined but names no field", name);
            } else {
                prop_assert!(m.is_empty(), "{} is known but names {:?}", name, m);
            }
            for path in &m {
                prop_assert!(
                    unknown.iter().any(|u| path.ends_with(u)),
                    "{} names {} which is known", name, path
                );
            }
            Ok(m)
        };
        for (x, y) in [("not_and", "or_not"), ("not_or", "and_not"), ("and_ab", "and_comm"), ("or_ab", "or_comm"),
                       ("assoc_left", "assoc_right"), ("double_not", "a")] {
            prop_assert_eq!(missing(x)?, missing(y)?, "missing of {} vs {} for a={} b={} c={}", x, y, a, b, c);
        }
        missing("distrib_left")?;
        missing("distrib_right")?;
    }

    /// The same record always gives the same decision, to the byte.
    #[test]
    fn evaluation_is_deterministic(family in incomplete_family()) {
        let policy = supporting_families();
        let first = policy.evaluate(&family).expect("evaluates").to_json().to_string();
        let second = policy.evaluate(&family).expect("evaluates").to_json().to_string();
        prop_assert_eq!(first, second);
    }

    /// A thread reuses its evaluation tables from record to record: nothing of one record may
    /// reach the next. Each family is decided, with and without explanation, after another on
    /// this thread, and compared with its decision on a thread that has evaluated nothing.
    #[test]
    fn earlier_records_leave_nothing_behind(family in incomplete_family(), before in incomplete_family()) {
        let policy = supporting_families();
        let explained = earlyhelp::Options::default().explain(true);
        let decide = move |record: &Value, options: &earlyhelp::Options| {
            policy.evaluate_with(record, options).expect("evaluates").to_json().to_string()
        };
        let fresh = {
            let family = family.clone();
            let explained = explained.clone();
            std::thread::spawn(move || (decide(&family, &Default::default()), decide(&family, &explained)))
                .join()
                .expect("the fresh thread evaluates")
        };
        decide(&before, &explained);
        let plain = decide(&family, &Default::default());
        decide(&before, &Default::default());
        let with_reasons = decide(&family, &explained);
        prop_assert_eq!(fresh, (plain, with_reasons));
    }

    /// Knowing more never contradicts what was already known: filling in an unknown field may
    /// settle an undetermined decision, but never flips a known one.
    #[test]
    fn unknowns_never_flip_a_known_decision(family in incomplete_family()) {
        let policy = supporting_families();
        let partial = policy.evaluate(&family).expect("evaluates");
        let complete = policy.evaluate(&base_family()).expect("evaluates");
        let known = partial.output("eligible").expect("decision");
        if !known.is_null() {
            prop_assert_eq!(known, complete.output("eligible").expect("decision"));
        }
        // Needs known present stay present once everything is known.
        let needs_partial = partial.output("needs").and_then(Value::as_array).cloned().unwrap_or_default();
        let needs_complete = complete.output("needs").and_then(Value::as_array).cloned().unwrap_or_default();
        for n in needs_partial {
            prop_assert!(needs_complete.contains(&n), "{} present with less data but not with more", n);
        }
    }

    /// The order members are listed in never changes a decision, nor which fields it reports
    /// missing (up to the members' new positions). Rotations and reversals give every order of
    /// the example's members (two; any three).
    #[test]
    fn member_order_does_not_matter(family in incomplete_family(), rotate in 0usize..3, reverse in any::<bool>()) {
        let policy = supporting_families();
        let len = family["members"].as_array().map_or(0, Vec::len);
        let mut order: Vec<usize> = (0..len).collect();
        order.rotate_left(rotate % len.max(1));
        if reverse {
            order.reverse();
        }
        let mut shuffled = family.clone();
        if let Some(members) = shuffled["members"].as_array_mut() {
            *members = order.iter().map(|&i| family["members"][i].clone()).collect();
        }
        let a = policy.evaluate(&family).expect("evaluates");
        let b = policy.evaluate(&shuffled).expect("evaluates");
        prop_assert_eq!(a.outputs(), b.outputs());
        // `members[j]` of the shuffled family is `members[order[j]]` of the original.
        let mut moved_back: Vec<String> = b
            .missing()
            .iter()
            .map(|p| match p.strip_prefix("members[").and_then(|r| r.split_once(']')) {
                Some((j, rest)) => match j.parse::<usize>() {
                    Ok(j) => format!("members[{}]{rest}", order[j]),
                    Err(_) => p.clone(),
                },
                None => p.clone(),
            })
            .collect();
        moved_back.sort();
        let mut original = a.missing().to_vec();
        original.sort();
        prop_assert_eq!(original, moved_back);
    }

    /// Adding a member who meets no need never makes an eligible family ineligible.
    #[test]
    fn a_member_with_no_needs_never_removes_eligibility(family in incomplete_family()) {
        let policy = supporting_families();
        let before = policy.evaluate(&family).expect("evaluates");
        let mut larger = family.clone();
        if let Some(members) = larger["members"].as_array_mut() {
            members.push(json!({
                "id": "X9", "role": "other_adult", "date_of_birth": "1960-01-01",
                "employment": {"status": "employed", "out_of_work_benefits": false},
                "health": {"mental_health_concern": false, "physical_health_concern": false, "substance_misuse": "none"},
                "offending": {"offences": [], "anti_social_behaviour": [], "youth_justice": false},
                "safeguarding": {"missing_episodes": [], "domestic_abuse_victim": false, "domestic_abuse_perpetrator": false}
            }));
        }
        let after = policy.evaluate(&larger).expect("evaluates");
        if before.output("eligible") == Some(&json!(true)) {
            prop_assert_eq!(after.output("eligible"), Some(&json!(true)));
        }
    }

    /// Fields the policy does not declare — at the top, in a member, anywhere — never change a
    /// decision or what it reports missing: records carry more than any one policy reads.
    #[test]
    fn undeclared_fields_change_nothing(
        family in incomplete_family(),
        top in undeclared_fields(),
        inner in undeclared_fields(),
        member in 0usize..4,
    ) {
        let policy = supporting_families();
        let mut larger = family.clone();
        for (k, v) in top {
            larger[k.as_str()] = v;
        }
        if let Some(members) = larger["members"].as_array_mut() {
            let len = members.len();
            if let Some(Value::Object(m)) = members.get_mut(member % len.max(1)) {
                for (k, v) in inner {
                    m.insert(k, v);
                }
            }
        }
        let a = policy.evaluate(&family).expect("evaluates");
        let b = policy.evaluate(&larger).expect("evaluates");
        prop_assert_eq!(a.outputs(), b.outputs());
        prop_assert_eq!(a.missing(), b.missing());
        let text = policy
            .evaluate_json(&larger.to_string(), &earlyhelp::Options::default())
            .expect("evaluates from text");
        prop_assert_eq!(b.to_json(), text.to_json());
    }
}

/// One generated table row: a cell for `r.a`, a cell for `r.n`, as table text and as a `when`
/// condition.
fn table_row() -> impl Strategy<Value = (String, String, Option<String>, Option<String>)> {
    let a = prop_oneof![
        Just(("-".to_string(), None)),
        Just(("true".to_string(), Some("r.a".to_string()))),
        Just(("false".to_string(), Some("not r.a".to_string()))),
    ];
    let n = (0u8..5, 0u8..3, 0u8..5).prop_map(|(kind, k, w)| match kind {
        0 => ("-".to_string(), None),
        1 => (format!("< {k}"), Some(format!("r.n < {k}"))),
        2 => (format!(">= {k}"), Some(format!("r.n >= {k}"))),
        3 => (format!("{k}"), Some(format!("r.n = {k}"))),
        _ => (
            format!("between {k} and {}", k + w),
            Some(format!("r.n between {k} and {}", k + w)),
        ),
    });
    (a, n).prop_map(|((ta, wa), (tn, wn))| (ta, tn, wa, wn))
}

proptest! {
    /// A first-hit table gives what the equivalent `when` chain gives on known inputs, and
    /// whenever the chain's value is known despite unknown inputs, the table's is the same.
    #[test]
    fn a_first_hit_table_agrees_with_its_when_chain(
        rows in proptest::collection::vec(table_row(), 1..5),
        a in prop_oneof![Just(json!(true)), Just(json!(false)), Just(Value::Null)],
        n in prop_oneof![(0u8..5).prop_map(|k| json!(k)), Just(json!(2.5)), Just(Value::Null)],
    ) {
        let mut table = String::from("table t (first) complete {\n    inputs r.a, r.n\n");
        let mut chain = String::new();
        for (i, (ta, tn, wa, wn)) in rows.iter().enumerate() {
            table.push_str(&format!("    | {ta} | {tn} | {} |\n", i + 1));
            let cond: Vec<&str> = [wa, wn].into_iter().flatten().map(String::as_str).collect();
            let cond = if cond.is_empty() { "true".to_string() } else { cond.join(" and ") };
            chain.push_str(&format!("when {cond} then {} ", i + 1));
        }
        table.push_str("    | - | - | 0 |\n}\n");
        let text = format!(
            "record R {{ id: text required, a: bool, n: number }}\ninput r: R\n{table}\
             decision by_table = t\ndecision by_when = {chain}else 0\n"
        );
        let policy: Policy = text.parse().map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let d = policy.evaluate(&json!({"id": "R", "a": a, "n": n})).expect("evaluates");
        let (t, w) = (d.output("by_table"), d.output("by_when"));
        if !a.is_null() && !n.is_null() {
            prop_assert_eq!(t, w, "known inputs\n{}", text);
        } else if w != Some(&Value::Null) {
            prop_assert_eq!(t, w, "the chain is known\n{}", text);
        }
    }
}
