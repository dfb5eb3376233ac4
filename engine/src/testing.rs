//! Policy tests: `test` blocks that give a record and state what the policy must decide.
//!
//! Tests live in the policy file or in a sibling file that starts `tests for "the.policy"`; either
//! way they are checked with the policy (a test naming a decision or need that does not exist
//! does not load).

use crate::check::{join_path, LoadFailure, Loader, TestCase};
use crate::diagnostic::{LoadError, SourceFile};
use crate::policy::{file_diagnostic, read_text, FileLoader};
use crate::{Options, Policy};
use earlyhelp_grammar::ast::{ExpectKind, Expected, MetState, NeedSubject, TestStep};
use serde_json::Value as Json;
use std::fmt;
use std::path::Path;

/// The outcome of one test block.
#[derive(Clone, Debug, PartialEq)]
pub struct TestResult {
    /// The test's name, as written after `test`.
    pub name: String,
    /// `file:line` of the test block.
    pub location: String,
    /// One line per expectation that did not hold (empty when the test passed).
    pub failures: Vec<String>,
    /// Outcomes seen per need/group id, for coverage: (id, met).
    pub(crate) seen: Vec<(String, Option<bool>)>,
    /// Decision outputs seen, for coverage.
    pub(crate) outputs: Vec<(String, Json)>,
}

impl TestResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The outcome of running a policy's tests.
#[derive(Clone, Debug, PartialEq)]
pub struct TestReport {
    /// The file the tests came from.
    pub policy: String,
    /// One result per test block, in file order.
    pub results: Vec<TestResult>,
}

impl TestReport {
    /// Tests that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }
    /// Tests that failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
    /// Number of `expect` lines run.
    pub fn ok(&self) -> bool {
        self.failed() == 0
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.policy)?;
        for r in &self.results {
            if r.passed() {
                writeln!(f, "  ✓ {}", r.name)?;
            } else {
                writeln!(f, "  ✗ {} ({})", r.name, r.location)?;
                for failure in &r.failures {
                    for (i, line) in failure.lines().enumerate() {
                        writeln!(f, "      {}{line}", if i == 0 { "" } else { "  " })?;
                    }
                }
            }
        }
        writeln!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

impl Policy {
    /// Loads the tests file `tests` (one that starts `tests for "…"`) with the policy it tests
    /// read as `text` instead of from the file `policy`: runs a policy's tests against an edit
    /// that is not saved (the playground's). Every other file is read from disk.
    pub fn tests_against_text(
        tests: impl AsRef<Path>,
        policy: impl AsRef<Path>,
        text: &str,
    ) -> Result<Policy, LoadError> {
        let tests = normal(tests.as_ref());
        let tests_text = read_text(Path::new(&tests)).map_err(|why| LoadError {
            diagnostics: vec![file_diagnostic(
                &tests,
                format!("cannot read the tests: {why}"),
            )],
        })?;
        let edited = Edited {
            path: normal(policy.as_ref()),
            text,
        };
        Policy::load(
            SourceFile {
                name: tests,
                text: tests_text,
            },
            &edited,
        )
    }

    /// Runs the policy's test blocks.
    pub fn run_tests(&self) -> TestReport {
        let results = self.test_cases().iter().map(|t| self.run_test(t)).collect();
        TestReport {
            policy: self
                .files()
                .first()
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            results,
        }
    }

    fn run_test(&self, t: &TestCase) -> TestResult {
        let file = self.files().get(t.file as usize);
        let file_name = file.map(|f| f.name.as_str()).unwrap_or("");
        let line = file.map_or(0, |f| {
            f.text[..t.decl.span.start.min(f.text.len())]
                .matches('\n')
                .count()
                + 1
        });
        let mut result = TestResult {
            name: t.decl.name.value.clone(),
            location: format!("{file_name}:{line}"),
            failures: Vec::new(),
            seen: Vec::new(),
            outputs: Vec::new(),
        };
        let mut record = Json::Null;
        // Tests may state what internal decisions come to, as well as the others.
        let mut options = Options {
            explain: true,
            internal: true,
            ..Options::default()
        };
        for step in &t.decl.steps {
            let applied = match step {
                TestStep::GivenFile(path) => {
                    let name = crate::check::join_path(file_name, &path.value);
                    read_text(std::path::Path::new(&name))
                        .and_then(|text| {
                            serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
                        })
                        .map(|v| record = v)
                        .map_err(|why| format!("cannot read the record {name}: {why}"))
                }
                TestStep::GivenJson(json) => serde_json::from_str(&json.text)
                    .map(|v| record = v)
                    .map_err(|e| format!("the record is not JSON: {e}")),
                TestStep::With(path, value) => serde_json::from_str(&value.text)
                    .map_err(|e| format!("not a JSON value: {e}"))
                    .and_then(|v| set_path(&mut record, &path.text, v)),
                TestStep::AsAt(d) => {
                    options.as_at = crate::value::parse_date(&d.text);
                    Ok(())
                }
                TestStep::Expect(_) => Ok(()),
            };
            if let Err(why) = applied {
                result.failures.push(why);
                return result;
            }
        }
        let outcome = self.evaluate_with(&record, &options);
        if let Ok(d) = &outcome {
            result.outputs = d
                .outputs()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Some(e) = d.explanation() {
                for g in &e.groups {
                    result.seen.push((g.id.clone(), g.met));
                    for n in &g.needs {
                        result.seen.push((n.id.clone(), n.met));
                    }
                }
            }
        }
        for step in &t.decl.steps {
            let TestStep::Expect(e) = step else { continue };
            let decision = match (&outcome, &e.kind) {
                (Err(err), ExpectKind::Error(text)) => {
                    if !err.to_string().contains(&text.value) {
                        result.failures.push(format!(
                            "expected error containing \"{}\"\nfound    error \"{err}\"",
                            text.value
                        ));
                    }
                    continue;
                }
                (Ok(_), ExpectKind::Error(text)) => {
                    result.failures.push(format!(
                        "expected error containing \"{}\"\nfound    a decision",
                        text.value
                    ));
                    continue;
                }
                (Err(err), _) => {
                    result
                        .failures
                        .push(format!("the record could not be evaluated: {err}"));
                    break;
                }
                (Ok(d), _) => d,
            };
            match &e.kind {
                ExpectKind::Decision { name, value } => {
                    let found = decision.output(&name.name).cloned().unwrap_or(Json::Null);
                    let (want, shown) = expected_json(value);
                    if !same(&found, &want) {
                        result.failures.push(format!(
                            "expected {} is {shown}\nfound    {}",
                            name.name,
                            show_json(&found)
                        ));
                    }
                }
                ExpectKind::Need { subject, id, state } => {
                    let found = decision.explanation().and_then(|ex| match subject {
                        NeedSubject::Group => {
                            ex.groups.iter().find(|g| g.id == id.name).map(|g| g.met)
                        }
                        NeedSubject::Need => ex
                            .groups
                            .iter()
                            .flat_map(|g| &g.needs)
                            .find(|n| n.id == id.name)
                            .map(|n| n.met),
                    });
                    let want = match state {
                        MetState::Met => Some(true),
                        MetState::NotMet => Some(false),
                        MetState::Undetermined => None,
                    };
                    if found != Some(want) {
                        let what = if *subject == NeedSubject::Group {
                            "group"
                        } else {
                            "need"
                        };
                        let found = found.map_or("absent", met_word);
                        result.failures.push(format!(
                            "expected {what} {} is {}\nfound    {found}",
                            id.name,
                            met_word(want)
                        ));
                    }
                }
                ExpectKind::Missing(json) => {
                    let want: Json = serde_json::from_str(&json.text).unwrap_or(Json::Null);
                    let found: Json = decision
                        .missing()
                        .iter()
                        .cloned()
                        .map(Json::String)
                        .collect();
                    if want != found {
                        result.failures.push(format!(
                            "expected missing are {}\nfound    {}",
                            show_json(&want),
                            show_json(&found)
                        ));
                    }
                }
                ExpectKind::Error(_) => {}
            }
        }
        result
    }
}

/// A path as the loader names files (`/` separators, `.` and `..` resolved), so the edited
/// policy is recognised however its tests file reaches it.
fn normal(path: &Path) -> String {
    join_path("", &path.to_string_lossy().replace('\\', "/"))
}

/// Reads files from disk, except the edited policy, which it answers with the edited text.
struct Edited<'a> {
    path: String,
    text: &'a str,
}

impl Loader for Edited<'_> {
    fn load(&self, importer: &str, path: &str) -> Result<SourceFile, LoadFailure> {
        let name = join_path(importer, path);
        if name == self.path {
            return Ok(SourceFile {
                name,
                text: self.text.to_string(),
            });
        }
        FileLoader.load(importer, path)
    }
    fn load_script(&self, policy: &str, path: &str) -> Result<SourceFile, LoadFailure> {
        FileLoader.load_script(policy, path)
    }
}

fn met_word(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "met",
        Some(false) => "not met",
        None => "undetermined",
    }
}

fn expected_json(value: &Expected) -> (Json, String) {
    match value {
        Expected::Undetermined => (Json::Null, "undetermined".into()),
        Expected::Json(j) => {
            let v: Json = serde_json::from_str(&j.text).unwrap_or(Json::Null);
            let shown = show_json(&v);
            (v, shown)
        }
        Expected::Id(i) => (Json::String(i.name.clone()), i.name.clone()),
        Expected::Ids(ids) => {
            let v: Json = ids.iter().map(|i| Json::String(i.name.clone())).collect();
            let shown = show_json(&v);
            (v, shown)
        }
    }
}

/// Equality of expected and found values; numbers compare by value (`90` equals `90.0`).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            crate::value::parse_decimal(&x.to_string())
                == crate::value::parse_decimal(&y.to_string())
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => a == b,
    }
}

/// `null` reads as "undetermined"; ids without quotes, as written in tests.
fn show_json(v: &Json) -> String {
    match v {
        Json::Null => "undetermined".into(),
        Json::String(s) => s.clone(),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(show_json).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// Sets `members[0].education.attendance_pct` in a JSON record, creating objects on the way.
fn set_path(record: &mut Json, path: &str, value: Json) -> Result<(), String> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        segments.push(Seg::Field(name.to_string()));
        for idx in rest.split('[') {
            let idx = idx.trim_end_matches(']');
            if !idx.is_empty() {
                segments.push(Seg::Index(
                    idx.parse().map_err(|_| format!("bad index in {path}"))?,
                ));
            }
        }
    }
    let mut at = record;
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.into_iter().enumerate() {
        let target = match seg {
            Seg::Field(name) => {
                if !at.is_object() {
                    *at = Json::Object(Default::default());
                }
                let map = at
                    .as_object_mut()
                    .ok_or_else(|| format!("cannot set {path}"))?;
                if i == last {
                    map.insert(name, value);
                    return Ok(());
                }
                map.entry(name).or_insert(Json::Null)
            }
            Seg::Index(n) => {
                let items = at
                    .as_array_mut()
                    .ok_or_else(|| format!("cannot set {path}: not a list"))?;
                let len = items.len();
                let slot = items
                    .get_mut(n)
                    .ok_or_else(|| format!("cannot set {path}: the list has {len} items"))?;
                if i == last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
        };
        at = target;
    }
    Ok(())
}

enum Seg {
    Field(String),
    Index(usize),
}

/// Which outcomes of each need, group and decision some test has seen — and which none has.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// One item per need, group and decision.
    pub items: Vec<CoverageItem>,
}

#[derive(Clone, Debug, PartialEq)]
/// The outcomes of one need, group or decision seen, and not seen, by the tests.
pub struct CoverageItem {
    /// `need`, `group` or `decision`.
    pub kind: &'static str,
    /// Its id or name.
    pub id: String,
    /// Outcomes some test saw (`met`, `not met`, `undetermined`; for decisions their values).
    pub seen: Vec<String>,
    /// Outcomes no test saw.
    pub gaps: Vec<String>,
}

impl Coverage {
    /// The coverage of `policy` by the tests in `report`.
    pub fn of(policy: &Policy, report: &TestReport) -> Coverage {
        let mut items = Vec::new();
        let program = policy.program();
        let states = ["met", "not met", "undetermined"];
        let mut add = |kind: &'static str, id: &str, possible: Vec<String>, seen: Vec<String>| {
            let gaps = possible
                .iter()
                .filter(|p| !seen.contains(p))
                .cloned()
                .collect();
            let mut seen: Vec<String> = possible.into_iter().filter(|p| seen.contains(p)).collect();
            seen.dedup();
            items.push(CoverageItem {
                kind,
                id: id.to_string(),
                seen,
                gaps,
            });
        };
        for g in &program.groups {
            for &n in &g.needs {
                let Some(need) = program.needs.get(n as usize) else {
                    continue;
                };
                let seen = report
                    .results
                    .iter()
                    .flat_map(|r| &r.seen)
                    .filter(|(id, _)| **id == *need.id)
                    .map(|(_, m)| met_word(*m).to_string())
                    .collect();
                add("need", &need.id, states.map(String::from).to_vec(), seen);
            }
            let seen = report
                .results
                .iter()
                .flat_map(|r| &r.seen)
                .filter(|(id, _)| **id == *g.id)
                .map(|(_, m)| met_word(*m).to_string())
                .collect();
            add("group", &g.id, states.map(String::from).to_vec(), seen);
        }
        for info in policy.decisions() {
            let values: Vec<&Json> = report
                .results
                .iter()
                .flat_map(|r| &r.outputs)
                .filter(|(n, _)| *n == info.name)
                .map(|(_, v)| v)
                .collect();
            let class = |v: &Json| match v {
                Json::Null => "undetermined".to_string(),
                Json::Bool(b) => b.to_string(),
                Json::String(s) if !info.values.is_empty() => s.clone(),
                _ => "known".to_string(),
            };
            let mut possible: Vec<String> = if info.values.is_empty() {
                vec!["known".into()]
            } else {
                info.values.clone()
            };
            possible.push("undetermined".into());
            add(
                "decision",
                &info.name,
                possible,
                values.into_iter().map(class).collect(),
            );
        }
        Coverage { items }
    }

    /// Whether every outcome of everything was seen.
    pub fn complete(&self) -> bool {
        self.items.iter().all(|i| i.gaps.is_empty())
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: usize = self.items.iter().map(|i| i.seen.len() + i.gaps.len()).sum();
        let seen: usize = self.items.iter().map(|i| i.seen.len()).sum();
        writeln!(f, "coverage: {seen} of {total} outcomes seen by a test")?;
        for i in self.items.iter().filter(|i| !i.gaps.is_empty()) {
            writeln!(
                f,
                "  {} {}: never {}",
                i.kind,
                i.id,
                i.gaps.join(", never ")
            )?;
        }
        Ok(())
    }
}
