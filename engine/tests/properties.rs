//! Properties of the semantics that must hold for every record, checked on generated ones.

use earlyhelp::Policy;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn supporting_families() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policies/supporting-families/supporting-families.policy");
        Policy::from_file(path).expect("the shipped policy loads")
    })
}

fn logic() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        r#"
        record R { id: text required, a: bool, b: bool, c: bool }
        input r: R
        decision not_and = not (r.a and r.b)
        decision or_not = not r.a or not r.b
        decision not_or = not (r.a or r.b)
        decision and_not = not r.a and not r.b
        decision and_comm = r.b and r.a
        decision and_ab = r.a and r.b
        decision or_ab = r.a or r.b
        decision or_comm = r.b or r.a
        decision assoc_left = (r.a and r.b) and r.c
        decision assoc_right = r.a and (r.b and r.c)
        decision distrib_left = r.a and (r.b or r.c)
        decision distrib_right = (r.a and r.b) or (r.a and r.c)
        decision double_not = not not r.a
        decision a = r.a
        "#
        .parse()
        .expect("loads")
    })
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
    }

    /// The same record always gives the same decision, to the byte.
    #[test]
    fn evaluation_is_deterministic(family in incomplete_family()) {
        let policy = supporting_families();
        let first = policy.evaluate(&family).expect("evaluates").to_json().to_string();
        let second = policy.evaluate(&family).expect("evaluates").to_json().to_string();
        prop_assert_eq!(first, second);
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

    /// The order members are listed in never changes a decision.
    #[test]
    fn member_order_does_not_matter(family in incomplete_family(), rotate in 0usize..3) {
        let policy = supporting_families();
        let mut shuffled = family.clone();
        if let Some(members) = shuffled["members"].as_array_mut() {
            let len = members.len().max(1);
            members.rotate_left(rotate % len);
        }
        let a = policy.evaluate(&family).expect("evaluates");
        let b = policy.evaluate(&shuffled).expect("evaluates");
        prop_assert_eq!(a.outputs(), b.outputs());
        prop_assert_eq!(a.missing().len(), b.missing().len());
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
}
