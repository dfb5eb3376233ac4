//! Explanations: why each decision came out as it did, as a tree of the groups, needs and
//! conditions that settled it, with the values that made each hold or fail. Rendered as JSON for
//! systems and as plain English for the practitioner who makes the real decision.

use crate::eval::Step;
use crate::ir::{Program, Type};
use crate::value::{rendered_paths, Value};
use serde_json::{json, Value as Json};
use std::fmt::Write as _;

/// The explanation of one evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub(crate) decisions: Vec<DecisionReason>,
    pub(crate) groups: Vec<GroupReason>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DecisionReason {
    pub name: String,
    pub label: Option<String>,
    pub value: Json,
    /// The value as the trace shows it (`YES`, `UNDETERMINED (missing: …)`).
    pub shown: String,
    /// The value as a practitioner reads it: labels, not ids (see [`spoken`]).
    pub spoken: String,
    /// The record fields whose values would settle this decision, when it is undetermined.
    pub missing: Vec<String>,
    pub because: Vec<Reason>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupReason {
    pub id: String,
    pub label: String,
    pub source: Option<String>,
    pub met: Option<bool>,
    pub needs: Vec<NeedReason>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NeedReason {
    pub id: String,
    pub label: String,
    pub source: Option<String>,
    pub level: Option<String>,
    pub met: Option<bool>,
    pub missing: Vec<String>,
    pub because: Vec<Reason>,
}

impl NeedReason {
    /// Whom or what a met need is about: the elements its outermost quantifier found (`C1`,
    /// `incidents[0]`), in order.
    pub(crate) fn about(&self) -> Vec<String> {
        fn first_quantifier(reasons: &[Reason]) -> Option<Vec<String>> {
            for r in reasons {
                let found: Vec<String> = r
                    .because
                    .iter()
                    .filter(|c| c.holds == Some(true))
                    .filter_map(|c| c.element.clone())
                    .collect();
                if !found.is_empty() {
                    return Some(found);
                }
                if let Some(inner) = first_quantifier(&r.because) {
                    return Some(inner);
                }
            }
            None
        }
        if self.met != Some(true) {
            return Vec::new();
        }
        let mut about = first_quantifier(&self.because).unwrap_or_default();
        about.dedup();
        about
    }
}

/// One condition or value the result rested on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reason {
    /// The policy text of the condition, or the element a quantifier looked at (`c = C2`).
    pub text: String,
    pub holds: Option<bool>,
    /// The values compared (`84.5% < 90%`), or the value of a non-yes/no step.
    pub detail: Option<String>,
    pub missing: Vec<String>,
    pub because: Vec<Reason>,
    /// The element a quantifier step looked at (`C2`), if this is one.
    pub element: Option<String>,
}

pub(crate) fn reasons(
    program: &Program,
    sources: &[crate::diagnostic::SourceFile],
    steps: &[Step],
) -> Vec<Reason> {
    steps.iter().map(|s| reason(program, sources, s)).collect()
}

fn reason(program: &Program, sources: &[crate::diagnostic::SourceFile], s: &Step) -> Reason {
    let source_text = sources
        .get(s.loc.file as usize)
        .and_then(|f| f.text.get(s.loc.span.start..s.loc.span.end))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let text = match &s.element {
        Some(el) => {
            let binder = binder_name(&source_text);
            format!("{binder} = {el}")
        }
        None => source_text,
    };
    let holds = match s.value {
        Value::Bool(b) => Some(b),
        _ => None,
    };
    let detail = match (&s.detail, &s.ty) {
        (Some(d), _) => Some(d.clone()),
        (None, Type::Bool) => None,
        (None, ty) => Some(show(program, &s.value, ty)),
    };
    Reason {
        text,
        holds,
        detail,
        missing: missing_of(&s.value),
        because: reasons(program, sources, &s.children),
        element: s.element.clone(),
    }
}

/// The binder of a quantifier's text: `any c in children: …` → `c`.
fn binder_name(text: &str) -> &str {
    text.split_whitespace().nth(1).unwrap_or("it")
}

pub(crate) fn missing_of(v: &Value) -> Vec<String> {
    rendered_paths(v.missing().paths())
}

/// A value as a person reads it, in the unit of its type.
pub(crate) fn show(program: &Program, v: &Value, ty: &Type) -> String {
    match v {
        Value::Unknown(_) => "unknown".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Num(d) => {
            let d = d.normalize();
            match ty {
                Type::Percent => format!("{d}%"),
                Type::Money => money(d),
                _ => d.to_string(),
            }
        }
        Value::Range { lo, hi, .. } => match ty {
            Type::Level(_) => format!(
                "between {} and {}",
                symbol(program, ty, *lo).unwrap_or_default(),
                symbol(program, ty, *hi).unwrap_or_default()
            ),
            _ => format!("{lo}–{hi}"),
        },
        Value::Text(t) => format!("\"{t}\""),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Symbol(i) => symbol(program, ty, *i).unwrap_or_else(|| i.to_string()),
        Value::Group(g) => program
            .groups
            .get(*g as usize)
            // `String::from(&str)`, as in `symbol`.
            .map_or_else(String::new, |g| String::from(&*g.id)),
        Value::Need(n) => program
            .needs
            .get(*n as usize)
            .map_or_else(String::new, |n| String::from(&*n.id)),
        Value::Record(r) => element_name(program, &Value::Record(r.clone()), ty),
        Value::List(l) => {
            let elem = ty.element().cloned().unwrap_or(Type::Error);
            let shown: Vec<String> = l
                .items
                .iter()
                .take(6)
                .map(|x| show(program, x, &elem))
                .collect();
            let more = if l.items.len() > 6 {
                format!(", … {} in all", l.items.len())
            } else {
                String::new()
            };
            format!("[{}{more}]", shown.join(", "))
        }
    }
}

/// A decision's value as a practitioner reads it: yes / no / undetermined, needs and groups by
/// their labels, levels and enum values in words (`targeted early help`).
pub(crate) fn spoken(program: &Program, v: &Value, ty: &Type) -> String {
    let words = |s: String| s.replace('_', " ");
    match v {
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Range { lo, hi, .. } if matches!(ty, Type::Level(_)) => format!(
            "undetermined: between {} and {}",
            words(symbol(program, ty, *lo).unwrap_or_default()),
            words(symbol(program, ty, *hi).unwrap_or_default())
        ),
        Value::Unknown(_) | Value::Range { .. } => "undetermined".into(),
        Value::Symbol(i) => words(symbol(program, ty, *i).unwrap_or_default()),
        Value::Text(t) => t.to_string(),
        Value::Need(n) => program
            .needs
            .get(*n as usize)
            .map_or_else(String::new, |n| n.label.clone()),
        Value::Group(g) => program
            .groups
            .get(*g as usize)
            .map_or_else(String::new, |g| g.label.clone()),
        Value::List(l) => {
            let elem = ty.element().cloned().unwrap_or(Type::Error);
            let (mut certain, mut maybe) = (Vec::new(), Vec::new());
            for (i, item) in l.items.iter().enumerate() {
                let name = spoken(program, item, &elem);
                match l.maybe.as_ref().and_then(|m| m.get(i).cloned().flatten()) {
                    None => certain.push(name),
                    Some(_) => maybe.push(name),
                }
            }
            let sep = if matches!(elem, Type::Need | Type::Group) {
                "; "
            } else {
                ", "
            };
            let mut text = if certain.is_empty() {
                "none".to_string()
            } else {
                certain.join(sep)
            };
            if !maybe.is_empty() {
                let _ = write!(text, " (undetermined: {})", maybe.join(sep));
            }
            text
        }
        other => show(program, other, ty),
    }
}

/// `£16,190.00`.
fn money(d: rust_decimal::Decimal) -> String {
    let text = format!("{:.2}", d.round_dp(2));
    let (sign, text) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |t| ("-", t));
    let (whole, pence) = text.split_once('.').unwrap_or((text, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{pence}")
}

/// An enum value or level as its id (`child_in_need`).
pub(crate) fn symbol(program: &Program, ty: &Type, i: u32) -> Option<String> {
    // `String::from(&str)`: an `Arc<str>`'s `to_string` goes through the formatting machinery.
    symbol_id(program, ty, i).map(|v| String::from(&**v))
}

/// An enum value or level's id, as the program holds it.
pub(crate) fn symbol_id<'p>(
    program: &'p Program,
    ty: &Type,
    i: u32,
) -> Option<&'p std::sync::Arc<str>> {
    match ty {
        Type::List(inner) => symbol_id(program, inner, i),
        ty => program.values_of(ty)?.values.get(i as usize),
    }
}

/// How a quantifier names the element it looked at: a record's `id` if it has one, else its path.
pub(crate) fn element_name(program: &Program, v: &Value, ty: &Type) -> String {
    match v {
        Value::Record(r) => {
            let id_slot = program
                .records
                .get(r.record as usize)
                .and_then(|d| d.fields.iter().position(|f| &*f.name == "id"));
            match id_slot.and_then(|i| r.fields.get(i)) {
                Some(Value::Text(t)) => t.to_string(),
                _ => r.path.to_string(),
            }
        }
        other => show(program, other, ty),
    }
}

impl Explanation {
    /// The explanation as JSON, for systems.
    pub fn to_json(&self) -> Json {
        json!({
            "decisions": self.decisions.iter().map(|d| json!({
                "decision": d.name,
                "label": d.label,
                "value": d.value,
                "summary": d.summary(),
                "missing": d.missing,
                "because": d.because.iter().map(reason_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "groups": self.groups.iter().map(|g| json!({
                "group": g.id,
                "label": g.label,
                "source": g.source,
                "met": g.met,
                "needs": g.needs.iter().map(|n| {
                    let mut o = json!({
                        "need": n.id,
                        "label": n.label,
                        "source": n.source,
                        "met": n.met,
                        "missing": n.missing,
                        "because": n.because.iter().map(reason_json).collect::<Vec<_>>(),
                    });
                    if let (Some(level), Some(map)) = (&n.level, o.as_object_mut()) {
                        map.insert("level".into(), json!(level));
                    }
                    let about = n.about();
                    if let (false, Some(map)) = (about.is_empty(), o.as_object_mut()) {
                        map.insert("about".into(), json!(about));
                    }
                    o
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// The explanation in plain English, for the practitioner who makes the decision: each
    /// decision in a sentence with its label; why — the needs met, with their labels, whom they
    /// are about and their sources; and what is not known, with the fields that would settle it.
    /// The full evaluation trace is [`Explanation::to_trace`].
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for d in &self.decisions {
            let _ = writeln!(out, "{}", d.summary());
        }
        let met: Vec<(&GroupReason, Vec<&NeedReason>)> = self
            .groups
            .iter()
            .map(|g| (g, g.needs.iter().filter(|n| n.met == Some(true)).collect()))
            .filter(|(_, needs): &(_, Vec<_>)| !needs.is_empty())
            .collect();
        if !met.is_empty() {
            out.push_str("\nWhy — the needs met:\n");
            for (g, needs) in met {
                let _ = writeln!(out, "  {}", g.label);
                for n in needs {
                    let level = n
                        .level
                        .as_ref()
                        .map(|l| format!(" [{}]", l.replace('_', " ")))
                        .unwrap_or_default();
                    let about = n.about();
                    let about = if about.is_empty() {
                        String::new()
                    } else {
                        format!(" — about {}", about.join(", "))
                    };
                    let _ = writeln!(out, "    ✓ {}{level}{about}", n.label);
                    if let Some(source) = &n.source {
                        let _ = writeln!(out, "        source: {source}");
                    }
                }
            }
        }
        let open: Vec<&NeedReason> = self
            .groups
            .iter()
            .flat_map(|g| &g.needs)
            .filter(|n| n.met.is_none())
            .collect();
        let mut settle: Vec<&str> = self
            .decisions
            .iter()
            .flat_map(|d| d.missing.iter().map(String::as_str))
            .collect();
        settle.sort_unstable();
        settle.dedup();
        if !open.is_empty() || !settle.is_empty() {
            out.push_str("\nNot known:\n");
            for n in open {
                let missing = if n.missing.is_empty() {
                    String::new()
                } else {
                    format!(" — missing: {}", n.missing.join(", "))
                };
                let _ = writeln!(out, "    ? {}{missing}", n.label);
            }
            if !settle.is_empty() {
                let _ = writeln!(
                    out,
                    "  Recording these would settle what is undetermined: {}",
                    settle.join(", ")
                );
            }
        }
        out
    }

    /// The full trace of the evaluation: every condition each decision and need rested on, with
    /// the values compared (`earlyhelp explain --trace`).
    pub fn to_trace(&self) -> String {
        let mut out = String::new();
        for d in &self.decisions {
            let label = d.label.as_deref().unwrap_or(&d.name);
            let _ = writeln!(out, "{label}: {}", d.shown);
            for r in &d.because {
                write_reason(&mut out, r, 1);
            }
        }
        if self.groups.is_empty() {
            return out;
        }
        let met = self.groups.iter().filter(|g| g.met == Some(true)).count();
        let open = self.groups.iter().filter(|g| g.met.is_none()).count();
        let _ = write!(out, "\n{met} of {} groups met", self.groups.len());
        if open > 0 {
            let _ = write!(out, ", {open} undetermined");
        }
        out.push_str(":\n");
        for g in &self.groups {
            match g.met {
                Some(false) => continue,
                Some(true) => {
                    let _ = writeln!(out, "  ✓ {}", g.label);
                }
                None => {
                    let _ = writeln!(out, "  ? {} — undetermined", g.label);
                }
            }
            for n in &g.needs {
                // A met group is explained by its met needs; an undetermined one by what is missing.
                if n.met == Some(false) || (g.met == Some(true) && n.met.is_none()) {
                    continue;
                }
                let mark = if n.met == Some(true) { "✓" } else { "?" };
                let level = n
                    .level
                    .as_ref()
                    .map(|l| format!(" [{l}]"))
                    .unwrap_or_default();
                let _ = writeln!(out, "      {mark} {}{level}", n.label);
                if let Some(source) = &n.source {
                    let _ = writeln!(out, "          source: {source}");
                }
                if n.met.is_none() && !n.missing.is_empty() {
                    let _ = writeln!(out, "          missing: {}", n.missing.join(", "));
                }
                for r in &n.because {
                    write_reason(&mut out, r, 3);
                }
            }
        }
        let unmet: Vec<&str> = self
            .groups
            .iter()
            .filter(|g| g.met == Some(false))
            .map(|g| g.label.as_str())
            .collect();
        if !unmet.is_empty() {
            let _ = writeln!(out, "  ✗ not met: {}", unmet.join("; "));
        }
        out
    }
}

impl DecisionReason {
    /// The decision in a sentence: `Eligible for Supporting Families: yes.`, and for an
    /// undetermined one what would settle it.
    pub(crate) fn summary(&self) -> String {
        let label = self.label.as_deref().unwrap_or(&self.name);
        let mut text = format!("{label}: {}.", self.spoken);
        if !self.missing.is_empty() {
            let _ = write!(
                text,
                " Recording {} would settle it.",
                self.missing.join(", ")
            );
        }
        text
    }
}

fn reason_json(r: &Reason) -> Json {
    let mut o = serde_json::Map::new();
    o.insert("text".into(), json!(r.text));
    o.insert("holds".into(), json!(r.holds));
    if let Some(d) = &r.detail {
        o.insert("values".into(), json!(d));
    }
    if !r.missing.is_empty() {
        o.insert("missing".into(), json!(r.missing));
    }
    if !r.because.is_empty() {
        o.insert(
            "because".into(),
            Json::Array(r.because.iter().map(reason_json).collect()),
        );
    }
    Json::Object(o)
}

fn write_reason(out: &mut String, r: &Reason, depth: usize) {
    let pad = "    ".repeat(depth);
    let mark = match r.holds {
        Some(true) => "✓ ",
        Some(false) => "✗ ",
        None if r.detail.is_none() || !r.missing.is_empty() => "? ",
        None => "",
    };
    let _ = write!(out, "{pad}{mark}{}", r.text);
    if let Some(d) = &r.detail {
        let _ = write!(out, " ({d})");
    }
    if !r.missing.is_empty() {
        let _ = write!(out, " — missing: {}", r.missing.join(", "));
    }
    out.push('\n');
    for c in &r.because {
        write_reason(out, c, depth + 1);
    }
}
