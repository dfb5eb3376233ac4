//! The public API: a [`Policy`] (loaded, checked, ready) and the [`Decision`] it gives a record.

use crate::check::{self, Checked, Loader, NoImports, TestCase};
use crate::diagnostic::{self, Diagnostic, LoadError, SourceFile};
use crate::eval::compiled::{Compiled, Tier1};
use crate::eval::{record, Eval, NoTrace, Trace, Tracer};
use crate::explain::{self, DecisionReason, Explanation, GroupReason, NeedReason};
use crate::ir::{Program, Type};
use crate::value::{rendered_paths, shown_paths, Path as RecordPath, Value};
use chrono::NaiveDate;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A loaded, checked policy, ready to evaluate records. Cheap to clone; `Send + Sync`, so one
/// policy can evaluate many records on many threads at once.
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

/// A record decoded for one policy ([`Policy::decode`]).
#[doc(hidden)]
#[derive(Clone)]
pub struct Decoded {
    input: record::Input,
    /// The policy it was decoded for (its record types are that policy's); held weakly, so
    /// that its address is never another policy's while this record lives.
    policy: std::sync::Weak<Inner>,
}

struct Inner {
    program: Program,
    /// The program compiled for the first tier of evaluation (`None`: the reference serves all).
    compiled: Option<Compiled>,
    header: check::Header,
    files: Vec<SourceFile>,
    warnings: Vec<Diagnostic>,
    /// Every decision's `policy` stamp, shared rather than copied per record.
    stamp: Arc<PolicyStamp>,
    /// The params' values when none is dated (the common case): the same for every record.
    fixed_params: Option<Vec<Value>>,
    /// The in-force window as an error names it (`2022-10-03 to 2025-03-31`), written once: a
    /// batch of historical records meets it on every row outside the window.
    in_force_window: String,
    /// The names of the decisions a record outputs, without and with the internal ones: shared
    /// by every decision rather than copied into a map per record.
    output_names: [Arc<[String]>; 2],
    pub(crate) tests: Vec<TestCase>,
}

/// How to evaluate a record: `Options::default()`, then the builder methods (or set the fields).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    /// The date the policy is applied at: picks the dated param values in force. When `None`,
    /// the policy's own `as_at` (e.g. the record's assessment date) is used, else today's date.
    pub as_at: Option<NaiveDate>,
    /// Record an explanation of every decision.
    pub explain: bool,
    /// Evaluate even when the as-at date lies outside the policy's `in_force` window (for
    /// historical analysis); the decision then says so. Without it such a record is an error.
    pub outside_in_force: bool,
    /// Output and explain the policy's `internal` decisions too.
    pub internal: bool,
    /// Decode JSON text with serde and evaluate with the reference evaluator only (tracking
    /// missing paths on every record), skipping the one-pass decoder and the compiled first
    /// tier: for tests that compare the two paths.
    #[doc(hidden)]
    pub reference_only: bool,
}

impl Options {
    /// Applies the policy as at this date (`None`: its default).
    pub fn as_at(mut self, as_at: Option<NaiveDate>) -> Self {
        self.as_at = as_at;
        self
    }
    /// Records an explanation of every decision, or not.
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }
    /// Evaluates records whose as-at date lies outside the policy's `in_force` window, or not.
    pub fn outside_in_force(mut self, outside: bool) -> Self {
        self.outside_in_force = outside;
        self
    }
    /// Outputs and explains the policy's `internal` decisions too, or not.
    pub fn internal(mut self, internal: bool) -> Self {
        self.internal = internal;
        self
    }
}

/// A decision's name and the type of value it gives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecisionInfo {
    /// The decision's name, as written after `decision`.
    pub name: String,
    /// Its plain-English label.
    pub label: Option<String>,
    /// The type of value it gives; shown as the language writes it (`yes/no`, `list of need`).
    pub ty: DecisionType,
    /// The values it can take, for yes/no, enum and level decisions (lowest level first); empty
    /// otherwise.
    pub values: Vec<String>,
    /// Made for each member of a list (`for each c in xs`): its output is an object from each
    /// member's `id` to a value of type `ty`.
    pub per_member: bool,
}

/// The type of value a decision gives. Its `Display` is the language's own spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecisionType {
    /// `yes/no`: true, false or undetermined.
    YesNo,
    /// `number`.
    Number,
    /// `percent`.
    Percent,
    /// `money`.
    Money,
    /// `text`.
    Text,
    /// `date`.
    Date,
    /// `duration`.
    Duration,
    /// One value of the named enum.
    Enum(String),
    /// One level of the named scale.
    Level(String),
    /// A record of the named type.
    Record(String),
    /// A group.
    Group,
    /// A need.
    Need,
    /// A list of values of one type.
    List(Box<DecisionType>),
}

impl DecisionType {
    fn of(ty: &Type, p: &Program) -> DecisionType {
        let name = |names: Option<&String>| names.cloned().unwrap_or_default();
        match ty {
            Type::Bool => DecisionType::YesNo,
            Type::Number => DecisionType::Number,
            Type::Percent => DecisionType::Percent,
            Type::Money => DecisionType::Money,
            // A checked program has no erroneous type; text is the harmless answer.
            Type::Text | Type::Error => DecisionType::Text,
            Type::Date => DecisionType::Date,
            Type::Duration => DecisionType::Duration,
            Type::Enum(i) => DecisionType::Enum(name(p.enums.get(*i as usize).map(|e| &e.name))),
            Type::Level(i) => DecisionType::Level(name(p.scales.get(*i as usize).map(|s| &s.name))),
            Type::Record(i) => {
                DecisionType::Record(name(p.records.get(*i as usize).map(|r| &r.name)))
            }
            Type::Group => DecisionType::Group,
            Type::Need => DecisionType::Need,
            Type::List(t) => DecisionType::List(Box::new(DecisionType::of(t, p))),
        }
    }
}

impl fmt::Display for DecisionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionType::YesNo => f.write_str("yes/no"),
            DecisionType::Number => f.write_str("number"),
            DecisionType::Percent => f.write_str("percent"),
            DecisionType::Money => f.write_str("money"),
            DecisionType::Text => f.write_str("text"),
            DecisionType::Date => f.write_str("date"),
            DecisionType::Duration => f.write_str("duration"),
            DecisionType::Enum(n) | DecisionType::Level(n) | DecisionType::Record(n) => {
                f.write_str(n)
            }
            DecisionType::Group => f.write_str("group"),
            DecisionType::Need => f.write_str("need"),
            DecisionType::List(t) => write!(f, "list of {t}"),
        }
    }
}

/// A record that could not be evaluated: not an object, a field of the wrong type, a required
/// field missing. Names the path and the JSON type found, never the record's content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordError {
    /// The record's `id`, when it has one.
    pub id: Option<String>,
    /// The path of the offending field, e.g. `members[2].date_of_birth`.
    pub path: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl RecordError {
    /// An error at `path` (or about the whole record), without the record's id.
    pub fn new(path: Option<String>, message: String) -> RecordError {
        RecordError {
            id: None,
            path,
            message,
        }
    }
    /// The same error, naming the record by its `id`.
    pub fn with_id(mut self, id: Option<String>) -> RecordError {
        self.id = id;
        self
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RecordError {}

/// What a policy decided for one record.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    id: Option<String>,
    outputs: Outputs,
    missing: MissingPaths,
    as_at: NaiveDate,
    outside_in_force: bool,
    policy: Arc<PolicyStamp>,
    explanation: Option<Explanation>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
struct PolicyStamp {
    name: String,
    version: Option<String>,
    hash: String,
}

impl Decision {
    /// The record's `id`.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    /// Each decision by name, in the order the policy declares them; unknown is `null`.
    pub fn outputs(&self) -> &Map<String, Json> {
        self.outputs.map()
    }
    /// One decision's value.
    pub fn output(&self, name: &str) -> Option<&Json> {
        self.outputs.get(name)
    }
    /// The record paths whose unknown values left a decision undetermined, sorted.
    pub fn missing(&self) -> &[String] {
        self.missing.rendered()
    }
    /// The date the policy was applied at.
    pub fn as_at(&self) -> NaiveDate {
        self.as_at
    }
    /// Whether the policy was applied at a date outside its `in_force` window, as asked with
    /// [`Options::outside_in_force`].
    pub fn outside_in_force(&self) -> bool {
        self.outside_in_force
    }
    /// The explanation, when it was asked for.
    pub fn explanation(&self) -> Option<&Explanation> {
        self.explanation.as_ref()
    }
    /// The decision in the stable output shape:
    /// `{"id", "outputs", "missing", "as_at", "outside_in_force"?, "policy": {"name", "version",
    /// "hash"}, "explanation"?}` (`outside_in_force` only when true).
    /// To write it out, serialize the decision itself: the same JSON, without building this tree.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

/// The stable output shape (see [`Decision::to_json`]).
impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut o = s.serialize_map(None)?;
        o.serialize_entry("id", &self.id)?;
        o.serialize_entry("outputs", &self.outputs)?;
        o.serialize_entry("missing", &self.missing)?;
        // A date displays as YYYY-MM-DD, without parsing a format for every row.
        o.serialize_entry("as_at", &format_args!("{}", self.as_at))?;
        if self.outside_in_force {
            o.serialize_entry("outside_in_force", &true)?;
        }
        o.serialize_entry("policy", &*self.policy)?;
        if let Some(e) = &self.explanation {
            o.serialize_entry("explanation", &e.to_json())?;
        }
        o.end()
    }
}

/// A decision's outputs: the policy's decision names, shared, and this record's value of each.
/// Most callers write the outputs out or read a few of them, so the map [`Decision::outputs`]
/// lends is made only when it is first asked for.
#[derive(Clone)]
struct Outputs {
    names: Arc<[String]>,
    values: Vec<Output>,
    map: std::sync::OnceLock<Map<String, Json>>,
}

/// One decision's output value. A list of the policy's own names (the groups or needs met, enum
/// values, levels: the commonest list output) keeps them shared with the policy, made into JSON
/// strings only when read; written out, they are written from the policy's names.
#[derive(Clone)]
pub(crate) enum Output {
    Json(Json),
    Names {
        names: Vec<Arc<str>>,
        json: std::sync::OnceLock<Json>,
    },
}

impl Output {
    pub(crate) fn names(names: Vec<Arc<str>>) -> Output {
        Output::Names {
            names,
            json: std::sync::OnceLock::new(),
        }
    }

    fn json(&self) -> &Json {
        match self {
            Output::Json(json) => json,
            Output::Names { names, json } => json.get_or_init(|| {
                Json::Array(
                    names
                        .iter()
                        .map(|n| Json::String(String::from(&**n)))
                        .collect(),
                )
            }),
        }
    }
}

/// As the JSON it stands for.
impl serde::Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Output::Json(json) => json.serialize(s),
            Output::Names { names, .. } => s.collect_seq(names.iter().map(|n| &**n)),
        }
    }
}

impl Outputs {
    fn new(names: Arc<[String]>, values: Vec<Output>) -> Outputs {
        Outputs {
            names,
            values,
            map: std::sync::OnceLock::new(),
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.names.iter().zip(self.values.iter().map(Output::json))
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.entries().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn map(&self) -> &Map<String, Json> {
        self.map.get_or_init(|| {
            self.entries()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect()
        })
    }
}

/// As the map it stands for.
impl PartialEq for Outputs {
    fn eq(&self, other: &Outputs) -> bool {
        self.entries().eq(other.entries())
    }
}

/// As the map it stands for.
impl fmt::Debug for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

/// As the map it stands for: the same JSON object, in the same order.
impl serde::Serialize for Outputs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.names.iter().zip(&self.values))
    }
}

/// The record paths whose unknown values left a decision undetermined, as the evaluation found
/// them (unsorted, some twice): sorted and rendered only when asked for, and written out
/// without being rendered into strings first.
#[derive(Clone)]
struct MissingPaths {
    found: Vec<RecordPath>,
    rendered: std::sync::OnceLock<Vec<String>>,
}

impl MissingPaths {
    fn new(found: Vec<RecordPath>) -> MissingPaths {
        MissingPaths {
            found,
            rendered: std::sync::OnceLock::new(),
        }
    }

    fn rendered(&self) -> &[String] {
        self.rendered.get_or_init(|| rendered_paths(&self.found))
    }
}

/// As the sorted paths it stands for.
impl PartialEq for MissingPaths {
    fn eq(&self, other: &MissingPaths) -> bool {
        self.rendered() == other.rendered()
    }
}

/// As the sorted paths it stands for.
impl fmt::Debug for MissingPaths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.rendered().fmt(f)
    }
}

/// As the sorted paths it stands for: a JSON array of their texts.
impl serde::Serialize for MissingPaths {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rendered.get() {
            Some(rendered) => rendered.serialize(s),
            None => s.collect_seq(shown_paths(&self.found)),
        }
    }
}

/// Runs `f`, a panic in it becoming an error for the record (`doing` says at what): no panic
/// crosses the library boundary.
fn caught<T>(f: impl FnOnce() -> Result<T, RecordError>, doing: &str) -> Result<T, RecordError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(RecordError::new(
            None,
            format!("internal error while {doing}"),
        ))
    })
}

/// The largest policy file: far beyond any real policy, small enough to load quickly.
const MAX_POLICY_BYTES: usize = 1 << 20;

/// The stack a policy loads on: enough for the deepest policy the grammar and the checker accept
/// (`loads_within_its_stack`, below); a debug build's frames are several times larger. Only the
/// pages a load touches are ever committed.
const LOAD_STACK_BYTES: usize = if cfg!(debug_assertions) {
    1 << 30
} else {
    256 << 20
};

/// The largest record, as JSON text.
const MAX_RECORD_BYTES: usize = 64 << 20;

/// An error about a whole file, at its first line.
pub(crate) fn file_diagnostic(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: diagnostic::Severity::Error,
        message,
        file: file.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        label: None,
        help: None,
        related: Vec::new(),
        snippet: String::new(),
    }
}

/// Reads imports and scripts from a policy's [`Policy::sources`], by the names the disk gave them.
struct SourcesLoader<'a>(&'a [(String, String)]);

impl Loader for SourcesLoader<'_> {
    fn load(&self, importer: &str, path: &str) -> Result<SourceFile, check::LoadFailure> {
        let name = check::join_path(importer, path);
        match self.0.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => Ok(SourceFile {
                name,
                text: text.clone(),
            }),
            None => Err(check::LoadFailure {
                reason: format!("{name} is not among the policy's files"),
                help: None,
            }),
        }
    }
}

/// Reads imports from disk, relative to the importing file.
pub(crate) struct FileLoader;

impl Loader for FileLoader {
    fn load(&self, importer: &str, path: &str) -> Result<SourceFile, check::LoadFailure> {
        let name = check::join_path(importer, path);
        let text = read_text(Path::new(&name)).map_err(|reason| check::LoadFailure {
            help: Some(format!(
                "looked for {name}; the path is relative to the importing file"
            )),
            reason,
        })?;
        Ok(SourceFile { name, text })
    }
    fn load_script(&self, policy: &str, path: &str) -> Result<SourceFile, check::LoadFailure> {
        let name = check::join_path(policy, path);
        let text = read_text(Path::new(&name)).map_err(|reason| check::LoadFailure {
            help: Some(format!(
                "looked for {name}; the path is relative to the policy file"
            )),
            reason,
        })?;
        Ok(SourceFile { name, text })
    }
}

pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    const MAX: u64 = MAX_POLICY_BYTES as u64;
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if meta.len() > MAX {
        return Err(format!("the file is larger than {} MiB", MAX >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

impl Policy {
    /// Loads and checks the policy in `path`, with the files it imports.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, LoadError> {
        let path = path.as_ref();
        let name = path.to_string_lossy().replace('\\', "/");
        let text = read_text(path).map_err(|why| LoadError {
            diagnostics: vec![file_diagnostic(
                &name,
                format!("cannot read the policy: {why}"),
            )],
        })?;
        Policy::load(SourceFile { name, text }, &FileLoader)
    }

    /// Loads and checks `text` as if it were the contents of the file `path`: its imports are read
    /// from disk relative to `path`, and diagnostics name `path`. For editors, which check the
    /// text being typed before it is saved.
    pub fn from_text_at(path: impl AsRef<Path>, text: &str) -> Result<Policy, LoadError> {
        let name = path.as_ref().to_string_lossy().replace('\\', "/");
        Policy::load(
            SourceFile {
                name,
                text: text.to_string(),
            },
            &FileLoader,
        )
    }

    /// Loads and checks a policy from the files [`Policy::sources`] gave (the main file first):
    /// imports and scripts are read from them, not from disk, so a policy can be sent where its
    /// files are not (a Spark executor) and loads there with the same content hash.
    pub fn from_sources(files: &[(String, String)]) -> Result<Policy, LoadError> {
        let Some((name, text)) = files.first() else {
            return Err(LoadError {
                diagnostics: vec![file_diagnostic("<policy>", "no policy file given".into())],
            });
        };
        let main = SourceFile {
            name: name.clone(),
            text: text.clone(),
        };
        Policy::load(main, &SourcesLoader(files))
    }

    /// Every file the policy was loaded from, as `(name, text)`, the main file first: imports,
    /// scripts and schemas included. [`Policy::from_sources`] loads them back.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.inner
            .files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect()
    }

    /// Loads and checks a policy from text; `name` is how diagnostics refer to it. A policy given
    /// as text cannot `import` (use [`Policy::from_file`]).
    pub fn from_source(name: &str, text: &str) -> Result<Policy, LoadError> {
        Policy::load(
            SourceFile {
                name: name.to_string(),
                text: text.to_string(),
            },
            &NoImports,
        )
    }

    pub(crate) fn load(main: SourceFile, loader: &dyn Loader) -> Result<Policy, LoadError> {
        if main.text.len() > MAX_POLICY_BYTES {
            let message = format!("the policy is larger than {} MiB", MAX_POLICY_BYTES >> 20);
            return Err(LoadError {
                diagnostics: vec![file_diagnostic(&main.name, message)],
            });
        }
        // Checking recurses over the policy's structure (pest guards its own recursion): through
        // a chain of up to 64 definitions, each up to the grammar's depth, which is more stack
        // than a caller's thread may have. So a load runs on a stack of its own, allocated
        // lazily — on the caller's thread: starting a thread cost a tenth of a load.
        // A panic (a bug, or no memory for the stack) becomes an error, outside the new stack.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            stacker::grow(LOAD_STACK_BYTES, || Policy::load_here(main, loader))
        }))
        .unwrap_or_else(|_| {
            Err(LoadError {
                diagnostics: vec![file_diagnostic(
                    "<policy>",
                    "internal error while loading the policy".into(),
                )],
            })
        })
    }

    fn load_here(main: SourceFile, loader: &dyn Loader) -> Result<Policy, LoadError> {
        // A byte-order mark and Windows line ends are only encoding noise.
        let main = SourceFile {
            text: main.text.trim_start_matches('\u{feff}').to_string(),
            ..main
        };
        let (checked, findings, files) = check::check(main, loader);
        let mut diagnostics: Vec<Diagnostic> = findings
            .iter()
            .map(|f| diagnostic::render(f, &files))
            .collect();
        diagnostics.sort_by_key(|d| {
            (
                !d.is_error(),
                d.file != files.first().map(|f| f.name.clone()).unwrap_or_default(),
                d.line,
                d.column,
            )
        });
        let Some(Checked {
            mut program,
            header,
            tests,
        }) = checked
        else {
            return Err(LoadError { diagnostics });
        };
        crate::lower::lower(&mut program);
        // Evaluation recurses on the caller's stack: how deep is bounded before it ever runs.
        if let Err(too_deep) = crate::depth::check(&program) {
            diagnostics.insert(0, diagnostic::render(&too_deep, &files));
            return Err(LoadError { diagnostics });
        }
        let mut hasher = Sha256::new();
        for f in &files {
            hasher.update(f.name.rsplit('/').next().unwrap_or(&f.name).as_bytes());
            hasher.update([0]);
            hasher.update(f.text.replace("\r\n", "\n").as_bytes());
            hasher.update([0]);
        }
        let hash = format!("sha256:{:x}", hasher.finalize());
        let compiled = Compiled::new(&program);
        let fixed_params = program.params.iter().map(|p| p.fixed().cloned()).collect();
        let in_force_window = match header.in_force {
            Some((from, Some(to))) => format!("{from} to {to}"),
            Some((from, None)) => format!("from {from}"),
            None => String::new(),
        };
        let output_names = [false, true].map(|internal| {
            program
                .decisions
                .iter()
                .filter(|d| internal || !d.internal)
                .map(|d| d.name.clone())
                .collect()
        });
        Ok(Policy {
            inner: Arc::new(Inner {
                program,
                compiled,
                fixed_params,
                in_force_window,
                output_names,
                stamp: Arc::new(PolicyStamp {
                    name: header.name.clone(),
                    version: header.version.clone(),
                    hash,
                }),
                header,
                files,
                warnings: diagnostics,
                tests,
            }),
        })
    }

    /// The name in the policy header.
    pub fn name(&self) -> &str {
        &self.inner.header.name
    }
    /// The header's `title`.
    pub fn title(&self) -> Option<&str> {
        self.inner.header.title.as_deref()
    }
    /// The header's `version`.
    pub fn version(&self) -> Option<&str> {
        self.inner.header.version.as_deref()
    }
    /// The dates the policy is in force (its header's `in_force`): from, and to (inclusive) when it
    /// ends. A record whose as-at date lies outside is an error unless
    /// [`Options::outside_in_force`] is set.
    pub fn in_force(&self) -> Option<(NaiveDate, Option<NaiveDate>)> {
        self.inner.header.in_force
    }
    /// `sha256:…` of the policy's files, so every decision can be traced to the exact text.
    pub fn content_hash(&self) -> &str {
        &self.inner.stamp.hash
    }
    /// Warnings found while loading (a policy with errors does not load).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }
    /// The decisions the policy gives, in order.
    pub fn decisions(&self) -> Vec<DecisionInfo> {
        let p = &self.inner.program;
        p.decisions
            .iter()
            .filter(|d| !d.internal)
            .map(|d| DecisionInfo {
                name: d.name.clone(),
                label: d.label.clone(),
                ty: DecisionType::of(&d.value.ty, p),
                values: match &d.value.ty {
                    Type::Bool => vec!["true".into(), "false".into()],
                    Type::Enum(e) => p.enums.get(*e as usize).map_or_else(Vec::new, |x| {
                        x.values.iter().map(|v| v.to_string()).collect()
                    }),
                    Type::Level(s) => p.scales.get(*s as usize).map_or_else(Vec::new, |x| {
                        x.values.iter().map(|v| v.to_string()).collect()
                    }),
                    _ => Vec::new(),
                },
                per_member: d.for_each.is_some(),
            })
            .collect()
    }

    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }

    pub(crate) fn files(&self) -> &[SourceFile] {
        &self.inner.files
    }

    pub(crate) fn test_cases(&self) -> &[TestCase] {
        &self.inner.tests
    }

    /// Evaluates one record as at its policy's default date, without explanation.
    pub fn evaluate(&self, record: &Json) -> Result<Decision, RecordError> {
        self.evaluate_with(record, &Options::default())
    }

    /// Evaluates one record.
    pub fn evaluate_with(&self, record: &Json, options: &Options) -> Result<Decision, RecordError> {
        self.guarded(
            options,
            || record_id(record),
            |program, input| record::decode_json(program, record, input),
        )
    }

    /// Whether the compiled first tier answers this record under `options` (outputs and missing
    /// paths), without the reference evaluator: for the tests that compare the two, and figures.
    #[doc(hidden)]
    pub fn answered_by_first_tier(&self, record: &Json, options: &Options) -> bool {
        let program = &self.inner.program;
        let (Some(compiled), Ok(decoded)) = (&self.inner.compiled, self.decode(record)) else {
            return false;
        };
        let input = &decoded.input.value;
        let answered = || {
            let as_at = match options.as_at {
                Some(d) => d,
                None => match self.default_as_at(input) {
                    Ok(d) => d,
                    Err(_) => return false,
                },
            };
            let Ok(params) = self.params_at(as_at) else {
                return false;
            };
            matches!(
                compiled.first_tier(program, input, &params, as_at, options.internal),
                Tier1::Done { .. }
            )
        };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(answered)).unwrap_or(false)
    }

    /// Decodes a record for this policy once, to evaluate it with [`Policy::evaluate_decoded`]:
    /// for figures of the rules alone (a decoded record is what the native and rhai yardsticks
    /// start from), and for one record evaluated under several options.
    #[doc(hidden)]
    pub fn decode(&self, record: &Json) -> Result<Decoded, RecordError> {
        let program = &self.inner.program;
        let decode = || record::decode_json(program, record, self.input_type()?);
        let input = caught(decode, "decoding").map_err(|e| RecordError {
            id: record_id(record),
            ..e
        })?;
        Ok(Decoded {
            input,
            policy: Arc::downgrade(&self.inner),
        })
    }

    /// Evaluates a record [`Policy::decode`] decoded for this policy, as
    /// [`Policy::evaluate_with`] would the JSON it came from.
    #[doc(hidden)]
    pub fn evaluate_decoded(
        &self,
        record: &Decoded,
        options: &Options,
    ) -> Result<Decision, RecordError> {
        self.guarded(
            options,
            || record.input.id.clone(),
            |_, _| {
                if std::ptr::eq(record.policy.as_ptr(), Arc::as_ptr(&self.inner)) {
                    Ok(record.input.clone())
                } else {
                    Err(RecordError::new(
                        None,
                        "the record was decoded for another policy".into(),
                    ))
                }
            },
        )
    }

    /// Evaluates one record given as JSON text, decoding only what the policy reads.
    pub fn evaluate_json(&self, text: &str, options: &Options) -> Result<Decision, RecordError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.len() > MAX_RECORD_BYTES {
            let message = format!("the record is larger than {} MiB", MAX_RECORD_BYTES >> 20);
            return Err(RecordError::new(None, message));
        }
        // The id of a record that fails is looked up only then, so the common path parses once.
        let id = || {
            serde_json::from_str::<Json>(text)
                .ok()
                .as_ref()
                .and_then(record_id)
        };
        self.guarded(options, id, |program, input| {
            if options.reference_only {
                record::decode_text_serde(program, text, input)
            } else {
                record::decode_text(program, text, input)
            }
        })
    }

    /// Decodes and evaluates, turning any panic into an error for this record: no panic crosses
    /// the library boundary.
    fn guarded(
        &self,
        options: &Options,
        id: impl FnOnce() -> Option<String>,
        decode: impl FnOnce(&Program, u32) -> Result<record::Input, RecordError>,
    ) -> Result<Decision, RecordError> {
        let run = || {
            let input = decode(&self.inner.program, self.input_type()?)?;
            if options.explain {
                self.run(input, options, Trace::default())
            } else {
                self.run(input, options, NoTrace)
            }
        };
        let result = caught(run, "evaluating this record");
        // `run` names its errors with the id the decoder read; only an error without one (the
        // decoder's own, a panic's, a record that has no id) has the text read again for it.
        result.map_err(|mut e| {
            if e.id.is_none() {
                e.id = id();
            }
            e
        })
    }

    /// The record type the policy's input is.
    fn input_type(&self) -> Result<u32, RecordError> {
        match self.inner.program.input {
            Some((_, ty)) => Ok(ty),
            None => Err(RecordError::new(
                None,
                "the policy declares no input".into(),
            )),
        }
    }

    /// Evaluates a decoded record; its id names the decision, or the error.
    fn run<T: Tracer>(
        &self,
        decoded: record::Input,
        options: &Options,
        tracer: T,
    ) -> Result<Decision, RecordError> {
        let record::Input { value, id } = decoded;
        match self.decide(value, options, tracer) {
            Ok(decision) => Ok(Decision { id, ..decision }),
            Err(e) => Err(RecordError { id, ..e }),
        }
    }

    fn decide<T: Tracer>(
        &self,
        input: Value,
        options: &Options,
        tracer: T,
    ) -> Result<Decision, RecordError> {
        let program = &self.inner.program;
        let as_at = match options.as_at {
            Some(d) => d,
            None => self.default_as_at(&input)?,
        };
        let outside_in_force = self.outside_in_force(as_at);
        if let (Some(window), false) = (&outside_in_force, options.outside_in_force) {
            return Err(RecordError::new(
                None,
                format!("the as-at date {as_at} is outside the policy's in-force window ({window}); evaluating outside it must be asked for explicitly"),
            ));
        }
        let params = self.params_at(as_at)?;
        // First tier: compiled, for every record without an explanation asked for; a record
        // it leaves to the reference is evaluated again below.
        if let (false, false, Some(compiled)) =
            (T::ON, options.reference_only, &self.inner.compiled)
        {
            if let Tier1::Done { values, missing } =
                compiled.first_tier(program, &input, &params, as_at, options.internal)
            {
                return Ok(Decision {
                    id: None,
                    outputs: self.outputs(options, values),
                    missing: MissingPaths::new(missing),
                    as_at,
                    outside_in_force: outside_in_force.is_some(),
                    policy: self.inner.stamp.clone(),
                    explanation: None,
                });
            }
        }
        let mut ev = Eval::new(program, input, params.into_owned(), tracer).with_as_at(as_at);
        let mut values = Vec::new();
        let mut missing = Vec::new();
        let mut reasons = Vec::new();
        for (i, d) in program.decisions.iter().enumerate() {
            if d.internal && !options.internal {
                continue;
            }
            if let Some(each) = &d.for_each {
                let (list, members) = ev.each(d, each);
                let (json, reason) = self.per_member(d, each, &list, &members, &mut missing, T::ON);
                reasons.extend(reason);
                values.push(Output::Json(json));
                continue;
            }
            let (v, steps) = ev.decision(i as u32);
            if matches!(v, Value::Unknown(_) | Value::Range { .. }) {
                missing.extend(v.missing().paths().iter().cloned());
            }
            let json = to_json(program, &v, &d.value.ty);
            if T::ON {
                reasons.push(DecisionReason {
                    name: d.name.clone(),
                    label: d.label.clone(),
                    shown: shown_decision(program, &v, &d.value.ty),
                    spoken: explain::spoken(program, &v, &d.value.ty),
                    missing: explain::missing_of(&v),
                    value: json.clone(),
                    because: explain::reasons(program, &self.inner.files, &steps),
                });
            }
            values.push(Output::Json(json));
        }
        let explanation = T::ON.then(|| {
            let groups = program
                .groups
                .iter()
                .enumerate()
                .map(|(gi, g)| {
                    let met = truth(&ev.group(gi as u32));
                    let needs = g
                        .needs
                        .iter()
                        .filter_map(|&ni| {
                            let n = program.needs.get(ni as usize)?;
                            let (v, steps) = ev.need(ni);
                            Some(NeedReason {
                                id: n.id.to_string(),
                                label: n.label.clone(),
                                source: n.source.clone().or_else(|| g.source.clone()),
                                level: n.level.and_then(|l| {
                                    let scale = program.need_scale?;
                                    program
                                        .scales
                                        .get(scale as usize)?
                                        .values
                                        .get(l as usize)
                                        .map(|v| v.to_string())
                                }),
                                met: truth(&v),
                                missing: explain::missing_of(&v),
                                because: explain::reasons(program, &self.inner.files, &steps),
                            })
                        })
                        .collect();
                    GroupReason {
                        id: g.id.to_string(),
                        label: g.label.clone(),
                        source: g.source.clone(),
                        met,
                        needs,
                    }
                })
                .collect();
            Explanation {
                decisions: reasons,
                groups,
            }
        });
        // A script call that failed fails the record (see `crate::script`).
        if let Some(failure) = ev.failure.take() {
            return Err(failure.into_record_error(&self.inner.files));
        }
        Ok(Decision {
            id: None,
            outputs: self.outputs(options, values),
            missing: MissingPaths::new(missing),
            as_at,
            outside_in_force: outside_in_force.is_some(),
            policy: self.inner.stamp.clone(),
            explanation,
        })
    }

    /// A record's outputs: `values` holds one for each decision output, in order.
    fn outputs(&self, options: &Options, values: Vec<Output>) -> Outputs {
        let names = &self.inner.output_names[usize::from(options.internal)];
        Outputs::new(names.clone(), values)
    }

    /// A per-member decision's output — an object keyed by each member's `id`, `null` for a
    /// member whose value or membership is undetermined, or `null` when the list itself is unknown —
    /// with the fields that would settle it added to `missing`, and its explanation when `explain`.
    fn per_member(
        &self,
        d: &crate::ir::DecisionDef,
        each: &crate::ir::ForEach,
        list: &Value,
        members: &[crate::eval::Member],
        missing: &mut Vec<crate::value::Path>,
        explain: bool,
    ) -> (Json, Option<DecisionReason>) {
        let program = &self.inner.program;
        let ty = &d.value.ty;
        let json = if matches!(list, Value::List(_)) {
            let mut by_id = Map::new();
            for m in members {
                let value = match &m.maybe {
                    Some(why) => {
                        missing.extend(why.paths().iter().cloned());
                        Json::Null
                    }
                    None => to_json(program, &m.value, ty),
                };
                if matches!(m.value, Value::Unknown(_) | Value::Range { .. }) {
                    missing.extend(m.value.missing().paths().iter().cloned());
                }
                by_id.insert(m.id.to_string(), value);
            }
            Json::Object(by_id)
        } else {
            missing.extend(list.missing().paths().iter().cloned());
            Json::Null
        };
        if !explain {
            return (json, None);
        }
        let (shown, because) = if matches!(list, Value::List(_)) {
            let because: Vec<explain::Reason> = members
                .iter()
                .map(|m| {
                    let (detail, missing) = match &m.maybe {
                        Some(why) => (
                            "not known to be one of them".to_string(),
                            explain::missing_of(&Value::Unknown(why.clone())),
                        ),
                        None => (
                            shown_decision(program, &m.value, ty),
                            explain::missing_of(&m.value),
                        ),
                    };
                    explain::Reason {
                        text: format!("{} = {}", each.binder, m.id),
                        holds: if m.maybe.is_some() {
                            None
                        } else {
                            truth(&m.value)
                        },
                        detail: Some(detail),
                        missing,
                        because: explain::reasons(program, &self.inner.files, &m.steps),
                        element: Some(m.id.to_string()),
                    }
                })
                .collect();
            let shown = if because.is_empty() {
                "none".to_string()
            } else {
                because
                    .iter()
                    .zip(members)
                    .map(|(r, m)| format!("{}: {}", m.id, r.detail.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            (shown, because)
        } else {
            (shown_decision(program, list, &Type::Error), Vec::new())
        };
        // Each member in words: `C1: 2024-04-01; C2: undetermined`.
        let spoken = if members.is_empty() {
            let word = if matches!(list, Value::List(_)) {
                "none"
            } else {
                "undetermined"
            };
            word.to_string()
        } else {
            let unknown = Value::unknown();
            members
                .iter()
                .map(|m| {
                    let v = if m.maybe.is_some() {
                        &unknown
                    } else {
                        &m.value
                    };
                    format!("{}: {}", m.id, explain::spoken(program, v, ty))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut settle: Vec<crate::value::Path> = list.missing().paths().to_vec();
        for m in members {
            settle.extend(m.maybe.iter().flat_map(|w| w.paths().iter().cloned()));
            settle.extend(m.value.missing().paths().iter().cloned());
        }
        let reason = DecisionReason {
            name: d.name.clone(),
            label: d.label.clone(),
            shown,
            spoken,
            missing: rendered_paths(&settle),
            value: json.clone(),
            because,
        };
        (json, Some(reason))
    }

    /// The in-force window, as the error for a date outside it says it, when `as_at` is outside.
    fn outside_in_force(&self, as_at: NaiveDate) -> Option<&str> {
        let (from, to) = self.inner.header.in_force?;
        let inside = from <= as_at && to.is_none_or(|t| as_at <= t);
        (!inside).then_some(self.inner.in_force_window.as_str())
    }

    fn default_as_at(&self, input: &Value) -> Result<NaiveDate, RecordError> {
        let program = &self.inner.program;
        let Some((expr, locals)) = &program.as_at else {
            return Ok(today());
        };
        // Usually a plain field (`family.assessment_date`): read it without an evaluator.
        if let Some(Value::Date(d)) = crate::eval::place(expr, input, &[]) {
            return Ok(*d);
        }
        let mut ev = Eval::new(program, input.clone(), Vec::new(), NoTrace);
        let value = ev.top(expr, *locals).0;
        if let Some(failure) = ev.failure.take() {
            return Err(failure.into_record_error(&self.inner.files));
        }
        match value {
            Value::Date(d) => Ok(d),
            v => {
                let paths: Vec<String> =
                    v.missing().paths().iter().map(|p| p.to_string()).collect();
                Err(RecordError::new(
                    paths.first().cloned(),
                    "the as-at date is unknown for this record".into(),
                ))
            }
        }
    }

    /// The value of each param in force on `as_at`.
    fn params_at(&self, as_at: NaiveDate) -> Result<Cow<'_, [Value]>, RecordError> {
        if let Some(fixed) = &self.inner.fixed_params {
            return Ok(Cow::Borrowed(fixed));
        }
        self.inner
            .program
            .params
            .iter()
            .map(|p| {
                let mut current = None;
                for (from, v) in &p.values {
                    if from.is_none_or(|f| f <= as_at) {
                        current = Some(v.clone());
                    }
                }
                current.ok_or_else(|| {
                    let first = p
                        .values
                        .first()
                        .and_then(|(f, _)| *f)
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    RecordError::new(
                        None,
                        format!(
                            "no value of `{}` is in force on {as_at} (the first is from {first})",
                            p.name
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()
            .map(Cow::Owned)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.name())
            .field("version", &self.version())
            .field("hash", &self.content_hash())
            .finish()
    }
}

impl std::str::FromStr for Policy {
    type Err = LoadError;
    /// Loads a policy from text, named `<policy>` in diagnostics.
    fn from_str(text: &str) -> Result<Policy, LoadError> {
        Policy::from_source("<policy>", text)
    }
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// The record's `id`, for output rows and errors.
pub(crate) fn record_id(json: &Json) -> Option<String> {
    match json.get("id")? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn today() -> NaiveDate {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(days)))
        .unwrap_or_default()
}

/// A decision's value in the output JSON: unknown is `null`; lists hold their certain members.
pub(crate) fn to_json(program: &Program, v: &Value, ty: &Type) -> Json {
    match v {
        Value::Unknown(_) | Value::Range { .. } | Value::Record(_) => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Num(d) => serde_json::from_str(&d.normalize().to_string()).unwrap_or(Json::Null),
        Value::Text(t) => Json::String(String::from(&**t)),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Duration(d) => Json::String(d.to_string()),
        Value::Symbol(_) | Value::Group(_) | Value::Need(_) => {
            Json::String(explain::show(program, v, ty))
        }
        Value::List(l) => {
            let elem = ty.element().cloned().unwrap_or(Type::Error);
            let certain = |i: usize| {
                l.maybe
                    .as_ref()
                    .is_none_or(|m| m.get(i).is_none_or(Option::is_none))
            };
            Json::Array(
                l.items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| certain(*i))
                    .map(|(_, x)| to_json(program, x, &elem))
                    .collect(),
            )
        }
    }
}

/// A decision's value for the English explanation: levels by their labels, and a list's
/// undetermined elements named with what would settle them.
fn shown_decision(program: &Program, v: &Value, ty: &Type) -> String {
    match v {
        Value::Bool(true) => "YES".into(),
        Value::Bool(false) => "NO".into(),
        Value::Unknown(_) | Value::Range { .. } => {
            let range = matches!(v, Value::Range { .. })
                .then(|| format!(" — {}", explain::show(program, v, ty)));
            let missing = explain::missing_of(v);
            let missing = if missing.is_empty() {
                String::new()
            } else {
                format!(" (missing: {})", missing.join(", "))
            };
            format!("UNDETERMINED{}{missing}", range.unwrap_or_default())
        }
        Value::Symbol(i) => {
            let label = match ty {
                Type::Level(s) => program
                    .scales
                    .get(*s as usize)
                    .and_then(|d| d.labels.get(*i as usize).cloned().flatten()),
                _ => None,
            };
            label.unwrap_or_else(|| explain::show(program, v, ty))
        }
        Value::List(l) => {
            let elem = ty.element().cloned().unwrap_or(Type::Error);
            let (mut certain, mut maybe) = (Vec::new(), Vec::new());
            for (i, item) in l.items.iter().enumerate() {
                let name = explain::show(program, item, &elem);
                match l.maybe.as_ref().and_then(|m| m.get(i).cloned().flatten()) {
                    None => certain.push(name),
                    Some(m) => maybe.push(format!(
                        "{name} (missing: {})",
                        explain::missing_of(&Value::Unknown(m)).join(", ")
                    )),
                }
            }
            let mut text = if certain.is_empty() {
                "none".to_string()
            } else {
                certain.join(", ")
            };
            if !maybe.is_empty() {
                text.push_str(&format!("; undetermined: {}", maybe.join("; ")));
            }
            text
        }
        other => explain::show(program, other, ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(body: &str) -> SourceFile {
        SourceFile {
            name: "deep.policy".into(),
            text: format!(
                "record S {{ n: number, b: bool }}\nrecord R {{ n: number, b: bool, xs: list of S }}\n\
                 input r: R\nfn f(b: bool) -> bool = b\ndecision d = {body}\n"
            ),
        }
    }

    fn too_deep(body: &str) -> bool {
        Policy::load(source(body), &NoImports)
            .is_err_and(|e| e.to_string().contains("nested too deeply"))
    }

    /// Each way of nesting, as deep as the grammar lets it go.
    fn deepest() -> Vec<String> {
        let shapes: [fn(usize) -> String; 10] = [
            |n| format!("{}true", "any x in r.xs: ".repeat(n)),
            |n| {
                format!(
                    "{}true{}",
                    "any x in r.xs where ".repeat(n),
                    ": true".repeat(n)
                )
            },
            |n| format!("{}r.xs", "count of ".repeat(n)),
            |n| {
                format!(
                    "{}r.b{}",
                    "when r.b then ".repeat(n),
                    " else false".repeat(n)
                )
            },
            |n| format!("{}r.b", "not ".repeat(n)),
            |n| format!("{}r.b", "r.b and ".repeat(n)),
            |n| format!("{}r.n", "- ".repeat(n)),
            |n| format!("{}1", "r.n otherwise ".repeat(n)),
            // Brackets nest at most 64 deep; what is left of the depth goes to quantifiers.
            |n| {
                format!(
                    "{}{}true{}",
                    "f(".repeat(60),
                    "any x in r.xs: ".repeat(n),
                    ")".repeat(60)
                )
            },
            |n| {
                format!(
                    "{}{}true{}",
                    "(".repeat(60),
                    "any x in r.xs: ".repeat(n),
                    ")".repeat(60)
                )
            },
        ];
        shapes
            .iter()
            .map(|shape| {
                // The largest n the grammar accepts.
                let (mut lo, mut hi) = (0, earlyhelp_grammar::MAX_DEPTH + 1);
                while lo + 1 < hi {
                    let mid = (lo + hi) / 2;
                    if too_deep(&shape(mid)) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                assert!(lo > 0, "shape accepts no nesting: {}", shape(1));
                shape(lo)
            })
            .collect()
    }

    /// Deepest of all: a chain of 64 lets (the most the checker follows), each the deepest
    /// expression the grammar accepts, each checked inside the one that uses it.
    fn deepest_chain(deepest: &str) -> String {
        let lets: String = (0..64)
            .map(|i| {
                format!(
                    "let l{i}: bool = {}\n",
                    deepest.replace("true", &format!("l{}", i + 1))
                )
            })
            .collect();
        format!("l0\n{}let l64: bool = true", lets)
    }

    #[test]
    fn loads_within_its_stack() {
        let shapes = deepest();
        let chain = deepest_chain(&shapes[0]);
        for body in shapes.iter().chain([&chain]) {
            // A load that overflowed its stack would end the test binary, not just this test.
            if let Err(e) = Policy::load(source(body), &NoImports) {
                // Some shapes are badly typed (`count of count of …`): checked all the same.
                let e = e.to_string();
                assert!(!e.contains("nested too deeply"), "{body}: {e}");
            }
        }
        let chain = Policy::load(source(&chain), &NoImports).map(|_| ());
        // Refused, but only once the checker has followed the chain as far as it goes.
        assert!(chain.is_err_and(|e| e.to_string().contains("chain of more than 64")));
    }

    /// A decision's outputs are kept as values beside the policy's names, and its missing paths
    /// as found; what a caller sees of them (the map, one output, the sorted paths, the JSON,
    /// `Debug`, equality) is what the map and the sorted paths would give.
    #[test]
    fn outputs_and_missing_read_as_made() {
        let text = "record R { n: number }\ninput r: R\n\
                    internal decision big = r.n > 10\n\
                    decision small = r.n < 5\n\
                    decision n = r.n\n\
                    group size \"Size\" {\n\
                      need small_n \"small\" { when r.n < 5 }\n\
                      need big_n \"big\" { when r.n > 10 }\n\
                    }\n\
                    decision met = needs met\n";
        let source = SourceFile {
            name: "outputs.policy".into(),
            text: text.into(),
        };
        let policy = Policy::load(source, &NoImports).expect("loads");
        let record = serde_json::json!({ "n": 3 });
        // Both tiers: the first, and the reference.
        for (internal, reference_only) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            let options = Options {
                internal,
                reference_only,
                ..Options::default()
            };
            let d = policy.evaluate_with(&record, &options).expect("evaluates");
            // Written out before any output is read, then after.
            let written = serde_json::to_string(&d).expect("serializes");
            let mut map = Map::new();
            if internal {
                map.insert("big".into(), Json::Bool(false));
            }
            map.insert("small".into(), Json::Bool(true));
            map.insert("n".into(), serde_json::json!(3));
            map.insert("met".into(), serde_json::json!(["small_n"]));
            let object = serde_json::to_string(&map).expect("serializes");
            assert!(
                written.contains(&format!(r#""outputs":{object}"#)),
                "{written}"
            );
            assert_eq!(d.output("met"), Some(&serde_json::json!(["small_n"])));
            assert_eq!(d.outputs(), &map);
            assert_eq!(serde_json::to_string(&d).expect("serializes"), written);
            assert_eq!(d.output("small"), Some(&Json::Bool(true)));
            assert_eq!(d.output("big").is_some(), internal);
            assert_eq!(d.output("nothing"), None);
            assert_eq!(d.to_json()["outputs"], Json::Object(map.clone()));
            assert_eq!(format!("{:?}", d.outputs), format!("{map:?}"));
            let other = policy.evaluate_with(&serde_json::json!({ "n": 4 }), &options);
            assert_ne!(Some(&d), other.as_ref().ok());
            assert_eq!(
                Some(&d),
                policy.evaluate_with(&record, &options).as_ref().ok()
            );

            // Missing paths: written out before and after they are rendered, alike.
            let unknown = policy.evaluate_with(&serde_json::json!({ "n": null }), &options);
            let unknown = unknown.expect("evaluates");
            let written = serde_json::to_string(&unknown).expect("serializes");
            assert!(written.contains(r#""missing":["n"]"#), "{written}");
            assert_eq!(unknown.missing(), ["n"]);
            assert_eq!(
                serde_json::to_string(&unknown).expect("serializes"),
                written
            );
            assert_eq!(format!("{:?}", unknown.missing), r#"["n"]"#);
            assert!(d.missing().is_empty());
        }
    }
}
