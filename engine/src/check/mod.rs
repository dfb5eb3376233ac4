//! The checker: from parsed files to a typed, resolved [`Program`], or diagnostics.
//!
//! Everything a policy can get wrong by itself is found here, before any record is seen: unknown
//! names (with suggestions), type mismatches, enum values that do not exist, wrong arity, cycles,
//! duplicate ids, dated params out of order, imports that fail, unused definitions (warnings).
//! Whatever passes cannot fail at run time because of the policy's text.

mod decisions;
mod declarations;
mod expr;
mod graph;
mod load;
mod needs;
mod records;
mod schema;
pub(crate) mod table;
mod test_blocks;
mod values;

use crate::diagnostic::{did_you_mean, Finding, SourceFile};
use crate::ir::*;
use crate::value::{parse_date, Value};
use earlyhelp_grammar::ast;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use load::{join as join_path, LoadFailure, Loader, NoImports};

/// What the header says about the policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct Header {
    pub name: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub source: Option<String>,
    /// The dates the policy is in force: from, and to (inclusive) when it ends.
    pub in_force: Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)>,
}

/// A test block, kept with the file it came from so its `given file` resolves next to it.
#[derive(Clone, Debug)]
pub(crate) struct TestCase {
    pub file: FileId,
    pub decl: ast::TestDecl,
}

pub(crate) struct Checked {
    pub program: Program,
    pub header: Header,
    pub tests: Vec<TestCase>,
}

/// Checks the policy whose main file is `main`, loading imports through `loader`.
pub(crate) fn check(
    main: SourceFile,
    loader: &dyn Loader,
) -> (Option<Checked>, Vec<Finding>, Vec<SourceFile>) {
    let mut files = Vec::new();
    let mut findings = Vec::new();
    let modules = load::load_all(main, loader, &mut files, &mut findings);
    if findings
        .iter()
        .any(|f| f.severity == crate::diagnostic::Severity::Error)
    {
        return (None, findings, files);
    }
    let mut script_findings = Vec::new();
    let externs = crate::script::load(&modules, loader, &mut files, &mut script_findings);
    let mut checker = Checker::new(&files);
    checker.externs = externs;
    checker.findings = script_findings;
    checker.run(&modules);
    findings.extend(checker.findings);
    let ok = !findings
        .iter()
        .any(|f| f.severity == crate::diagnostic::Severity::Error);
    let checked = ok.then_some(Checked {
        program: checker.program,
        header: checker.header,
        tests: checker.tests,
    });
    (checked, findings, files)
}

/// A top-level name and what it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Def {
    Input,
    Param(u32),
    Let(u32),
    Fn(u32),
    /// An `extern fn`, implemented in a script (see `crate::script`).
    Extern(u32),
    Group(u32),
    Need(u32),
    Decision(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TypeDef {
    Enum(u32),
    Record(u32),
    Scale(u32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Todo,
    InProgress,
    Done,
}

/// The types of one kind of definition (lets, fns or decisions), each worked out on first use.
#[derive(Default)]
struct Memo {
    state: Vec<State>,
    types: Vec<Type>,
}

impl Memo {
    fn new(len: usize) -> Memo {
        Memo {
            state: vec![State::Todo; len],
            types: vec![Type::Error; len],
        }
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) files: &'a [SourceFile],
    pub(crate) program: Program,
    pub(crate) header: Header,
    pub(crate) tests: Vec<TestCase>,
    pub(crate) findings: Vec<Finding>,
    /// The files whose header and decisions are the policy's own: the main file, or the policy a
    /// `tests for` file tests.
    main_files: Vec<FileId>,
    pub(crate) values: HashMap<String, (Def, Loc)>,
    pub(crate) types: HashMap<String, (TypeDef, Loc)>,
    /// Syntax of the definitions still to check, by index.
    let_syntax: Vec<(FileId, ast::LetDecl)>,
    /// The lets that are decision tables, by let index.
    table_syntax: HashMap<u32, ast::TableDecl>,
    fn_syntax: Vec<(FileId, ast::FnDecl)>,
    decision_syntax: Vec<(FileId, ast::DecisionDecl)>,
    need_syntax: Vec<(FileId, ast::NeedDecl)>,
    let_memo: Memo,
    fn_memo: Memo,
    decision_memo: Memo,
    pub(crate) fn_param_types: Vec<Vec<Type>>,
    /// Definitions referenced by each definition, for cycles; and whether each was used at all.
    pub(crate) deps: HashMap<Def, Vec<(Def, Loc)>>,
    pub(crate) current: Option<Def>,
    pub(crate) used: std::collections::HashSet<Def>,
    pub(crate) used_types: std::collections::HashSet<TypeDef>,
    def_locs: HashMap<Def, Loc>,
    /// Checked definitions by declaration index (they are checked on demand, in any order).
    lets_out: Vec<Option<Let>>,
    need_levels: Vec<Option<u32>>,
    fns_out: Vec<Option<Function>>,
    decisions_out: Vec<Option<DecisionDef>>,
    /// `extern fn`s and `extern limits`: checked in `crate::script`.
    pub(crate) externs: crate::script::CheckState,
    /// How many lets, fns and decisions are being checked one inside another (each is checked
    /// where it is first used), and whether going past [`MAX_USE_DEPTH`] has been reported.
    nesting: usize,
    too_deep: bool,
}

/// How deeply lets, fns and decisions may use one another (`let a = b + 1`, `let b = c + 1`, …):
/// far beyond any readable policy; checking and evaluating follow such a chain by recursion, so
/// without a bound a long one (a 1 MiB policy holds 30,000) overflows the stack.
pub(crate) const MAX_USE_DEPTH: usize = 64;

impl<'a> Checker<'a> {
    fn new(files: &'a [SourceFile]) -> Checker<'a> {
        Checker {
            files,
            main_files: vec![0],
            program: Program::default(),
            header: Header::default(),
            tests: Vec::new(),
            findings: Vec::new(),
            values: HashMap::new(),
            types: HashMap::new(),
            let_syntax: Vec::new(),
            table_syntax: HashMap::new(),
            fn_syntax: Vec::new(),
            decision_syntax: Vec::new(),
            need_syntax: Vec::new(),
            let_memo: Memo::default(),
            fn_memo: Memo::default(),
            decision_memo: Memo::default(),
            fn_param_types: Vec::new(),
            deps: HashMap::new(),
            current: None,
            used: Default::default(),
            used_types: Default::default(),
            def_locs: HashMap::new(),
            lets_out: Vec::new(),
            need_levels: Vec::new(),
            fns_out: Vec::new(),
            decisions_out: Vec::new(),
            externs: Default::default(),
            nesting: 0,
            too_deep: false,
        }
    }

    /// Whether checking one more definition inside those being checked would go past
    /// [`MAX_USE_DEPTH`]; reports it (once) at the definition that would.
    fn nested_too_deeply(&mut self, loc: Loc, name: &str) -> bool {
        if self.nesting < MAX_USE_DEPTH {
            return false;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.error(
                loc,
                format!(
                    "`{name}` is used through a chain of more than {MAX_USE_DEPTH} lets, fns and decisions, each using the next"
                ),
            )
            .help = Some("shorten the chain: compute from the record's fields in fewer steps".into());
        }
        true
    }

    pub(crate) fn error(&mut self, loc: Loc, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding::error(loc, message));
        self.findings.last_mut().expect("just pushed")
    }

    pub(crate) fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == crate::diagnostic::Severity::Error)
            .count()
    }

    pub(crate) fn line_of(&self, loc: Loc) -> usize {
        self.files.get(loc.file as usize).map_or(0, |f| {
            f.text[..loc.span.start.min(f.text.len())]
                .matches('\n')
                .count()
                + 1
        })
    }

    fn file_name(&self, file: FileId) -> &str {
        self.files
            .get(file as usize)
            .map_or("?", |f| f.name.as_str())
    }

    fn run(&mut self, modules: &[(FileId, ast::Module)]) {
        self.declare_all(modules);
        self.resolve_records(modules);
        self.check_externs();
        self.check_params(modules);
        self.check_header(modules);
        // Levels first: lets and fns may ask for `n.level`.
        let syntax = self.need_syntax.clone();
        self.need_levels = syntax
            .iter()
            .map(|(file, n)| n.level.as_ref().and_then(|l| self.need_level(*file, l)))
            .collect();
        for i in 0..self.let_syntax.len() {
            self.let_type(i as u32);
        }
        for i in 0..self.fn_syntax.len() {
            self.fn_type(i as u32);
        }
        self.check_needs();
        for i in 0..self.decision_syntax.len() {
            self.decision_type(i as u32);
        }
        self.check_tests(modules);
        self.check_cycles();
        self.check_unused(modules);
        self.program.lets = std::mem::take(&mut self.lets_out)
            .into_iter()
            .flatten()
            .collect();
        self.program.functions = std::mem::take(&mut self.fns_out)
            .into_iter()
            .flatten()
            .collect();
        self.program.decisions = std::mem::take(&mut self.decisions_out)
            .into_iter()
            .flatten()
            .collect();
    }

    pub(crate) fn show(&self, t: &Type) -> String {
        let names = TypeNames {
            enums: &self.program.enums,
            records: &self.program.records,
            scales: &self.program.scales,
        };
        Shown(t, &names).to_string()
    }

    /// The type of definition `def` (a let, fn or decision), checking it on first use with
    /// `check`: remembered once known; `Type::Error` while it is being checked (a cycle, which
    /// `check_cycles` reports) or when the chain of uses is too deep.
    fn on_demand(&mut self, def: Def, check: impl FnOnce(&mut Self) -> Type) -> Type {
        let i = match def {
            Def::Let(i) | Def::Fn(i) | Def::Decision(i) => i as usize,
            _ => return Type::Error,
        };
        match self.memo(def).state.get(i) {
            Some(State::Done) => return self.memo(def).types[i].clone(),
            Some(State::Todo) => {}
            Some(State::InProgress) | None => return Type::Error,
        }
        let (loc, name) = match def {
            Def::Fn(_) => self.fn_syntax.get(i).map(|(f, d)| (*f, &d.name)),
            Def::Decision(_) => self.decision_syntax.get(i).map(|(f, d)| (*f, &d.name)),
            _ => self.let_syntax.get(i).map(|(f, d)| (*f, &d.name)),
        }
        .map(|(file, name)| {
            (
                Loc {
                    file,
                    span: name.span,
                },
                name.name.clone(),
            )
        })
        .unwrap_or_else(|| {
            (
                Loc {
                    file: 0,
                    span: Default::default(),
                },
                String::new(),
            )
        });
        if self.nested_too_deeply(loc, &name) {
            return Type::Error;
        }
        self.memo(def).state[i] = State::InProgress;
        self.nesting += 1;
        let outer = self.current.replace(def);
        let ty = check(self);
        self.current = outer;
        self.nesting -= 1;
        let memo = self.memo(def);
        memo.types[i] = ty.clone();
        memo.state[i] = State::Done;
        ty
    }

    fn memo(&mut self, def: Def) -> &mut Memo {
        match def {
            Def::Fn(_) => &mut self.fn_memo,
            Def::Decision(_) => &mut self.decision_memo,
            _ => &mut self.let_memo,
        }
    }

    pub(crate) fn need_id(&self, i: u32) -> String {
        self.def_name(Def::Need(i))
    }

    pub(crate) fn depend(&mut self, on: Def, loc: Loc) {
        self.used.insert(on);
        if let Some(cur) = self.current {
            self.deps.entry(cur).or_default().push((on, loc));
        }
    }
}

pub(super) fn contains_record(t: &Type) -> bool {
    match t {
        Type::Record(_) => true,
        Type::List(inner) => contains_record(inner),
        _ => false,
    }
}

pub(crate) const BUILTIN_TYPES: [&str; 7] = [
    "bool", "number", "percent", "money", "text", "date", "duration",
];

/// Which nodes of a directed graph lie on a cycle: Tarjan's strongly connected components (a
/// node is on a cycle when its component has more than one node, or it has an edge to itself).
pub(super) fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
    struct Tarjan<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        cyclic: Vec<bool>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                let cyclic = component.len() > 1 || self.edges[v].contains(&v);
                for w in component {
                    self.cyclic[w] = cyclic;
                }
            }
        }
    }
    let n = edges.len();
    let mut t = Tarjan {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        cyclic: vec![false; n],
    };
    for v in 0..n {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    t.cyclic
}
