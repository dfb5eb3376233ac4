//! The impact of a policy change over a population: for each decision, how many records change
//! and how (a transition table), which needs drive the changes, and example record ids. This is how
//! a policy team answers "what if we moved the attendance threshold from 90% to 85%?".

use crate::{Decision, RecordError};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// How many example record ids to keep for each kind of change.
const EXAMPLES: usize = 5;

/// The comparison of two policies over the same records. [`Batch::compare`](super::Batch::compare)
/// builds it from a batch; by hand, with [`Impact::add`] (and [`Impact::merge`] for chunks
/// evaluated in parallel).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Impact {
    /// Records compared.
    pub records: usize,
    /// Records that either policy could not evaluate.
    pub errors: usize,
    /// Per decision name, in the new policy's order.
    pub decisions: Vec<DecisionImpact>,
}

/// How one decision changed between the two policies.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct DecisionImpact {
    /// The decision's name.
    pub name: String,
    /// Records whose value changed.
    pub changed: usize,
    /// Every (old value, new value) pair seen, with its count — unchanged pairs included.
    pub transitions: Vec<Transition>,
}

/// Records whose value of a decision went from one value to another.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Transition {
    /// The old value (`null`: undetermined).
    pub from: Json,
    /// The new value.
    pub to: Json,
    /// How many records.
    pub count: usize,
    /// Up to five record ids with this change.
    pub examples: Vec<String>,
    /// Needs whose state differs between the policies in these records, with how often; most
    /// frequent first. Empty for unchanged pairs.
    pub drivers: Vec<(String, usize)>,
}

impl Impact {
    /// Adds one record's two outcomes. Needs-driver counts need the decisions to carry
    /// explanations (`Options { explain: true, .. }`).
    pub fn add(
        &mut self,
        old: &Result<Decision, RecordError>,
        new: &Result<Decision, RecordError>,
    ) {
        self.records += 1;
        let (Ok(old), Ok(new)) = (old, new) else {
            self.errors += 1;
            return;
        };
        let drivers = changed_needs(old, new);
        let id = new.id().unwrap_or("").to_string();
        for (name, to) in new.outputs() {
            let from = old.output(name).unwrap_or(&Json::Null);
            let slot = match self.decisions.iter().position(|d| d.name == *name) {
                Some(i) => i,
                None => {
                    self.decisions.push(DecisionImpact {
                        name: name.clone(),
                        ..Default::default()
                    });
                    self.decisions.len() - 1
                }
            };
            let d = &mut self.decisions[slot];
            let changed = from != to;
            d.changed += usize::from(changed);
            let t = match d
                .transitions
                .iter()
                .position(|t| t.from == *from && t.to == *to)
            {
                Some(i) => &mut d.transitions[i],
                None => {
                    d.transitions.push(Transition {
                        from: from.clone(),
                        to: to.clone(),
                        ..Default::default()
                    });
                    let last = d.transitions.len() - 1;
                    &mut d.transitions[last]
                }
            };
            t.count += 1;
            if changed {
                if t.examples.len() < EXAMPLES && !id.is_empty() {
                    t.examples.push(id.clone());
                }
                for need in &drivers {
                    match t.drivers.iter_mut().find(|(n, _)| n == need) {
                        Some((_, c)) => *c += 1,
                        None => t.drivers.push((need.clone(), 1)),
                    }
                }
            }
        }
    }

    /// Folds in the impact of another chunk of records (in input order: this one first).
    pub fn merge(&mut self, other: Impact) {
        self.records += other.records;
        self.errors += other.errors;
        for od in other.decisions {
            let Some(d) = self.decisions.iter_mut().find(|d| d.name == od.name) else {
                self.decisions.push(od);
                continue;
            };
            d.changed += od.changed;
            for ot in od.transitions {
                match d
                    .transitions
                    .iter_mut()
                    .find(|t| t.from == ot.from && t.to == ot.to)
                {
                    Some(t) => {
                        t.count += ot.count;
                        let room = EXAMPLES.saturating_sub(t.examples.len());
                        t.examples.extend(ot.examples.into_iter().take(room));
                        for (n, c) in ot.drivers {
                            match t.drivers.iter_mut().find(|(m, _)| *m == n) {
                                Some((_, x)) => *x += c,
                                None => t.drivers.push((n, c)),
                            }
                        }
                    }
                    None => d.transitions.push(ot),
                }
            }
        }
    }

    /// Sorts transitions (changes first, most frequent first) and drivers, for reporting.
    pub fn finish(mut self) -> Impact {
        for d in &mut self.decisions {
            d.transitions.sort_by(|a, b| {
                let (ca, cb) = (a.from != a.to, b.from != b.to);
                cb.cmp(&ca)
                    .then(b.count.cmp(&a.count))
                    .then_with(|| a.from.to_string().cmp(&b.from.to_string()))
                    .then_with(|| a.to.to_string().cmp(&b.to.to_string()))
            });
            for t in &mut d.transitions {
                t.drivers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            }
        }
        self
    }

    /// The impact as JSON, for tools and notebooks.
    pub fn to_json(&self) -> Json {
        json!({
            "records": self.records,
            "errors": self.errors,
            "decisions": self.decisions.iter().map(|d| json!({
                "decision": d.name,
                "changed": d.changed,
                "transitions": d.transitions.iter().map(|t| json!({
                    "from": t.from,
                    "to": t.to,
                    "count": t.count,
                    "examples": t.examples,
                    "drivers": t.drivers.iter().map(|(n, c)| json!({"need": n, "records": c})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Need and indicator ids whose met state differs between two explained decisions.
fn changed_needs(old: &Decision, new: &Decision) -> Vec<String> {
    let (Some(a), Some(b)) = (old.explanation(), new.explanation()) else {
        return Vec::new();
    };
    let before: BTreeMap<&str, Option<bool>> = a
        .groups
        .iter()
        .flat_map(|g| &g.needs)
        .map(|n| (n.id.as_str(), n.met))
        .collect();
    b.groups
        .iter()
        .flat_map(|g| &g.needs)
        .filter(|n| before.get(n.id.as_str()).is_none_or(|m| *m != n.met))
        .map(|n| n.id.clone())
        .collect()
}
