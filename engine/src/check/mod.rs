//! The checker: from parsed files to a typed, resolved [`Program`], or diagnostics.
//!
//! Everything a policy can get wrong by itself is found here, before any record is seen: unknown
//! names (with suggestions), type mismatches, enum values that do not exist, wrong arity, cycles,
//! duplicate ids, dated params out of order, imports that fail, unused definitions (warnings).
//! Whatever passes cannot fail at run time because of the policy's text.

mod expr;
mod load;
mod schema;
pub(crate) mod table;

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

    fn declare_value(&mut self, name: &ast::Ident, file: FileId, def: Def) {
        let loc = Loc {
            file,
            span: name.span,
        };
        if let Some((_, first)) = self.values.get(&name.name) {
            let msg = format!("`{}` is defined twice", name.name);
            let help = format!(
                "the first definition is at {}:{}; rename one of them",
                self.file_name(first.file),
                self.line_of(*first)
            );
            self.findings.push(
                Finding::error(loc, msg)
                    .label("defined again here")
                    .help(help),
            );
            return;
        }
        self.values.insert(name.name.clone(), (def, loc));
        self.def_locs.insert(def, loc);
    }

    fn declare_type(&mut self, name: &ast::Ident, file: FileId, def: TypeDef) {
        let loc = Loc {
            file,
            span: name.span,
        };
        if BUILTIN_TYPES.contains(&name.name.as_str()) {
            self.error(
                loc,
                format!("`{}` is a built-in type and cannot be redefined", name.name),
            );
            return;
        }
        if let Some((_, first)) = self.types.get(&name.name) {
            let msg = format!("type `{}` is defined twice", name.name);
            let help = format!(
                "the first definition is at {}:{}",
                self.file_name(first.file),
                self.line_of(*first)
            );
            self.findings.push(
                Finding::error(loc, msg)
                    .label("defined again here")
                    .help(help),
            );
            return;
        }
        self.types.insert(name.name.clone(), (def, loc));
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

    /// First pass: every name, so definitions may refer to each other in any order.
    fn declare_all(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut need_ids: HashMap<String, Loc> = HashMap::new();
        // A tests file (`tests for "x.policy"`) tests x: x's header and decisions count as main.
        let tested: Vec<FileId> = modules
            .first()
            .into_iter()
            .flat_map(|(_, m)| &m.items)
            .filter_map(|i| match i {
                ast::Item::TestsFor(t) => {
                    let name = load::join(&self.files.first()?.name, &t.value);
                    self.files
                        .iter()
                        .position(|f| f.name == name)
                        .map(|p| p as FileId)
                }
                _ => None,
            })
            .collect();
        self.main_files.extend(tested);
        for (file, module) in modules {
            let file = *file;
            let is_main = self.main_files.contains(&file);
            for item in &module.items {
                match item {
                    ast::Item::Header(h) if is_main => {
                        self.header.name = h.name.name.clone();
                        self.header.title = h.title.as_ref().map(|t| t.value.clone());
                        self.header.version = h.version.as_ref().map(|t| t.value.clone());
                        self.header.source = h.source.as_ref().map(|t| t.value.clone());
                        self.header.in_force = h.in_force.as_ref().and_then(|f| {
                            let to = match &f.to {
                                Some(t) => Some(parse_date(&t.text)?),
                                None => None,
                            };
                            Some((parse_date(&f.from.text)?, to))
                        });
                    }
                    ast::Item::Enum(e) => {
                        let idx = self.program.enums.len() as u32;
                        let def = self.labelled(file, &e.name, &e.values, "enum");
                        self.program.enums.push(def);
                        self.declare_type(&e.name, file, TypeDef::Enum(idx));
                    }
                    ast::Item::Scale(s) => {
                        let idx = self.program.scales.len() as u32;
                        let def = self.labelled(file, &s.name, &s.levels, "scale");
                        self.program.scales.push(def);
                        self.declare_type(&s.name, file, TypeDef::Scale(idx));
                    }
                    ast::Item::Record(r) => {
                        let idx = self.program.records.len() as u32;
                        self.program.records.push(RecordDef {
                            name: r.name.name.clone(),
                            fields: Vec::new(),
                        });
                        self.declare_type(&r.name, file, TypeDef::Record(idx));
                    }
                    ast::Item::Input(i) => {
                        if let Some((name, _)) = &self.program.input {
                            let msg = format!("the policy already reads `{name}` as its input");
                            self.error(Loc { file, span: i.span }, msg).help =
                                Some("a policy has one `input`".into());
                        } else {
                            self.program.input = Some((i.name.name.clone(), u32::MAX));
                            self.declare_value(&i.name, file, Def::Input);
                        }
                    }
                    ast::Item::Param(p) => {
                        let idx = self.program.params.len() as u32;
                        self.program.params.push(Param {
                            name: p.name.name.clone(),
                            ty: Type::Error,
                            values: Vec::new(),
                        });
                        self.declare_value(&p.name, file, Def::Param(idx));
                    }
                    ast::Item::Let(l) => {
                        let idx = self.let_syntax.len() as u32;
                        self.let_syntax.push((file, l.clone()));
                        self.declare_value(&l.name, file, Def::Let(idx));
                    }
                    // A table is a let whose value is the table (checked in `table.rs`).
                    ast::Item::Table(t) => {
                        let idx = self.let_syntax.len() as u32;
                        self.let_syntax.push((file, table::as_let(t)));
                        self.table_syntax.insert(idx, t.clone());
                        self.declare_value(&t.name, file, Def::Let(idx));
                    }
                    ast::Item::Fn(f) => {
                        let idx = self.fn_syntax.len() as u32;
                        self.fn_syntax.push((file, f.clone()));
                        self.declare_value(&f.name, file, Def::Fn(idx));
                    }
                    ast::Item::ExternFn(f) => {
                        let idx = self.externs.decls.len() as u32;
                        self.externs.decls.push((file, f.clone()));
                        self.declare_value(&f.name, file, Def::Extern(idx));
                    }
                    ast::Item::ExternLimits(l) => self.externs.limits.push((file, l.clone())),
                    // Read and declared by `load` (see `schema`).
                    ast::Item::UseTypes(_) => {}
                    ast::Item::Group(g) => {
                        let gi = self.program.groups.len() as u32;
                        self.declare_value(&g.id, file, Def::Group(gi));
                        let mut needs = Vec::new();
                        for n in &g.needs {
                            let ni = self.need_syntax.len() as u32;
                            let loc = Loc {
                                file,
                                span: n.id.span,
                            };
                            if let Some(first) = need_ids.get(&n.id.name) {
                                let help = format!("need and indicator ids must be unique; the first is at line {}", self.line_of(*first));
                                self.error(loc, format!("need id `{}` is used twice", n.id.name))
                                    .help = Some(help);
                                continue;
                            }
                            need_ids.insert(n.id.name.clone(), loc);
                            self.need_syntax.push((file, n.clone()));
                            self.declare_value(&n.id, file, Def::Need(ni));
                            needs.push(ni);
                        }
                        self.program.groups.push(Group {
                            id: Arc::from(g.id.name.as_str()),
                            label: g.label.value.clone(),
                            source: g.source.as_ref().map(|s| s.value.clone()),
                            needs,
                        });
                    }
                    ast::Item::Decision(d) if is_main => {
                        let idx = self.decision_syntax.len() as u32;
                        self.decision_syntax.push((file, d.clone()));
                        self.declare_value(&d.name, file, Def::Decision(idx));
                    }
                    ast::Item::Test(t) if file == 0 => self.tests.push(TestCase {
                        file,
                        decl: t.clone(),
                    }),
                    _ => {}
                }
            }
        }
        self.let_memo = Memo::new(self.let_syntax.len());
        self.fn_memo = Memo::new(self.fn_syntax.len());
        self.fn_param_types = vec![Vec::new(); self.fn_syntax.len()];
        self.decision_memo = Memo::new(self.decision_syntax.len());
        self.lets_out = vec![None; self.let_syntax.len()];
        self.fns_out = vec![None; self.fn_syntax.len()];
        self.decisions_out = vec![None; self.decision_syntax.len()];
        if self.header.name.is_empty() {
            self.header.name = self
                .files
                .first()
                .map(|f| {
                    f.name
                        .rsplit('/')
                        .next()
                        .unwrap_or(&f.name)
                        .trim_end_matches(".policy")
                        .to_string()
                })
                .unwrap_or_default();
        }
    }

    fn labelled(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        values: &[ast::Labelled],
        what: &str,
    ) -> EnumDef {
        let mut def = EnumDef {
            name: name.name.clone(),
            values: Vec::new(),
            labels: Vec::new(),
        };
        for v in values {
            if def.values.iter().any(|x| **x == *v.id.name) {
                let loc = Loc {
                    file,
                    span: v.id.span,
                };
                self.error(
                    loc,
                    format!("`{}` appears twice in {what} `{}`", v.id.name, name.name),
                );
                continue;
            }
            def.values.push(Arc::from(v.id.name.as_str()));
            def.labels.push(v.label.as_ref().map(|l| l.value.clone()));
        }
        if def.values.is_empty() {
            self.error(
                Loc {
                    file,
                    span: name.span,
                },
                format!("{what} `{}` has no values", name.name),
            );
        }
        def
    }

    pub(crate) fn resolve_type(&mut self, file: FileId, t: &ast::TypeExpr) -> Type {
        match t {
            ast::TypeExpr::List(inner, _) => Type::List(Box::new(self.resolve_type(file, inner))),
            ast::TypeExpr::Named(name) => match name.name.as_str() {
                "bool" => Type::Bool,
                "number" => Type::Number,
                "percent" => Type::Percent,
                "money" => Type::Money,
                "text" => Type::Text,
                "date" => Type::Date,
                "duration" => Type::Duration,
                other => match self.types.get(other) {
                    Some((def, _)) => {
                        let def = *def;
                        self.used_types.insert(def);
                        match def {
                            TypeDef::Enum(i) => Type::Enum(i),
                            TypeDef::Record(i) => Type::Record(i),
                            TypeDef::Scale(i) => Type::Level(i),
                        }
                    }
                    None => {
                        let loc = Loc {
                            file,
                            span: name.span,
                        };
                        let names: Vec<String> = BUILTIN_TYPES
                            .iter()
                            .map(|s| s.to_string())
                            .chain(self.types.keys().cloned())
                            .collect();
                        let help = did_you_mean(other, names.iter().map(String::as_str));
                        self.error(loc, format!("unknown type `{other}`")).help = help;
                        Type::Error
                    }
                },
            },
        }
    }

    fn resolve_records(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut idx = 0usize;
        for (file, module) in modules {
            for item in &module.items {
                if let ast::Item::Record(r) = item {
                    let mut fields: Vec<FieldDef> = Vec::new();
                    for f in &r.fields {
                        let ty = self.resolve_type(*file, &f.ty);
                        let loc = Loc {
                            file: *file,
                            span: f.name.span,
                        };
                        if fields.iter().any(|x| *x.name == *f.name.name) {
                            self.error(
                                loc,
                                format!(
                                    "field `{}` appears twice in record `{}`",
                                    f.name.name, r.name.name
                                ),
                            );
                            continue;
                        }
                        if matches!(ty, Type::Duration) {
                            self.error(loc, "a record field cannot be a duration").help =
                                Some("record a date, or a number of days".into());
                        }
                        fields.push(FieldDef {
                            name: Arc::from(f.name.name.as_str()),
                            ty,
                            required: f.required,
                        });
                    }
                    if let Some(rec) = self.program.records.get_mut(idx) {
                        rec.fields = fields;
                    }
                    idx += 1;
                }
                if let ast::Item::Input(i) = item {
                    let ty = self.resolve_type(*file, &i.ty);
                    let loc = Loc {
                        file: *file,
                        span: i.ty.span(),
                    };
                    match ty {
                        Type::Record(r) => {
                            if let Some(input) = self.program.input.as_mut() {
                                if input.1 == u32::MAX {
                                    input.1 = r;
                                }
                            }
                        }
                        Type::Error => {}
                        _ => {
                            self.error(loc, "the input must be a record type").help =
                                Some("declare it with `record Name { … }`".into());
                        }
                    }
                }
            }
        }
        if self.program.input.is_none() && !self.decision_syntax.is_empty() {
            let loc = Loc {
                file: 0,
                span: ast::Span::new(0, 0),
            };
            self.error(loc, "the policy has no `input`").help =
                Some("say which record it reads, e.g. `input family: Family`".into());
        }
        self.detect_record_recursion();
    }

    /// A record that contains itself would need an infinite record: refuse it.
    fn detect_record_recursion(&mut self) {
        // A record contains itself exactly when it lies on a cycle of record types: found for
        // all records at once, in time linear in their fields (a search from each record in
        // turn took cubic time on a long chain of records).
        let records = &self.program.records;
        let edges: Vec<Vec<usize>> = records
            .iter()
            .map(|r| {
                r.fields
                    .iter()
                    .filter_map(|f| {
                        let mut t = &f.ty;
                        while let Type::List(inner) = t {
                            t = inner;
                        }
                        match t {
                            Type::Record(next) if (*next as usize) < records.len() => {
                                Some(*next as usize)
                            }
                            _ => None,
                        }
                    })
                    .collect()
            })
            .collect();
        for (i, on_cycle) in on_cycles(&edges).into_iter().enumerate() {
            if on_cycle {
                let name = self.program.records[i].name.clone();
                if let Some((_, loc)) = self.types.get(&name).copied() {
                    self.error(loc, format!("record `{name}` contains itself"));
                }
            }
        }
    }

    fn check_params(&mut self, modules: &[(FileId, ast::Module)]) {
        let mut idx = 0usize;
        for (file, module) in modules {
            for item in &module.items {
                let ast::Item::Param(p) = item else { continue };
                let file = *file;
                let ty = self.resolve_type(file, &p.ty);
                let mut values = Vec::new();
                match &p.value {
                    ast::ParamValue::Fixed(e) => {
                        if let Some(v) = self.constant(file, e, &ty) {
                            values.push((None, v));
                        }
                    }
                    ast::ParamValue::Dated(dated) => {
                        let mut last: Option<chrono::NaiveDate> = None;
                        for (date, e) in dated {
                            let loc = Loc {
                                file,
                                span: date.span,
                            };
                            let Some(d) = parse_date(&date.text) else {
                                self.error(loc, format!("`{}` is not a date", date.text));
                                continue;
                            };
                            if let Some(prev) = last {
                                if d <= prev {
                                    let msg = format!(
                                        "dated values of `{}` are out of order",
                                        p.name.name
                                    );
                                    let help = format!("list `from` dates oldest first: move `from {d}` above `from {prev}`");
                                    self.error(loc, msg).help = Some(help);
                                }
                            }
                            last = Some(d);
                            if let Some(v) = self.constant(file, e, &ty) {
                                values.push((Some(d), v));
                            }
                        }
                    }
                }
                if let Some(param) = self.program.params.get_mut(idx) {
                    param.ty = ty;
                    param.values = values;
                }
                idx += 1;
            }
        }
    }

    /// A param's value: a literal (or a negated one) or a value of the param's enum or scale.
    fn constant(&mut self, file: FileId, e: &ast::Expr, ty: &Type) -> Option<Value> {
        let mut scope = expr::Scope::default();
        let checked = self.expr(file, e, &mut scope, Some(ty));
        let loc = Loc { file, span: e.span };
        if !checked.ty.fits(ty) {
            let msg = format!(
                "this value is {}, but the param is {}",
                self.show(&checked.ty),
                self.show(ty)
            );
            self.error(loc, msg);
            return None;
        }
        match checked.node {
            Node::Const(v) => Some(v),
            _ => {
                self.error(loc, "a param's value must be written out (a number, amount, date, duration or value)")
                    .help = Some("use `let` for a value computed from others".into());
                None
            }
        }
    }

    /// The header of the policy (in a `tests for` file, the tested policy's): its dates and its
    /// `as_at`, which every evaluation and test uses.
    fn check_header(&mut self, modules: &[(FileId, ast::Module)]) {
        let headers: Vec<(FileId, &ast::Header)> = modules
            .iter()
            .filter(|(file, _)| self.main_files.contains(file))
            .flat_map(|(file, m)| {
                m.items.iter().filter_map(move |i| match i {
                    ast::Item::Header(h) => Some((*file, h)),
                    _ => None,
                })
            })
            .collect();
        for (file, h) in headers {
            if let Some(f) = &h.in_force {
                let mut dates = Vec::new();
                for d in std::iter::once(&f.from).chain(f.to.as_ref()) {
                    let loc = Loc { file, span: d.span };
                    match parse_date(&d.text) {
                        Some(day) => dates.push((day, loc)),
                        None => {
                            self.error(loc, format!("`{}` is not a date", d.text));
                        }
                    }
                }
                if let [(from, _), (to, loc)] = dates[..] {
                    if to < from {
                        self.error(
                            loc,
                            format!(
                                "the policy stops being in force ({to}) before it starts ({from})"
                            ),
                        )
                        .help =
                            Some("write `in_force FROM to TO` with FROM on or before TO".into());
                    }
                }
            }
            if let Some(e) = &h.as_at {
                let mut scope = expr::Scope::default();
                let checked = self.expr(file, e, &mut scope, Some(&Type::Date));
                if !checked.ty.fits(&Type::Date) {
                    let msg = format!(
                        "`as_at` must be a date, but this is {}",
                        self.show(&checked.ty)
                    );
                    self.error(Loc { file, span: e.span }, msg);
                }
                self.program.as_at = Some((checked, scope.max_slots));
            }
        }
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

    /// Type of a `let`, checking it first if needed.
    pub(crate) fn let_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Let(i), |c| c.check_let(i as usize))
    }

    fn check_let(&mut self, iu: usize) -> Type {
        let (file, decl) = self.let_syntax[iu].clone();
        if let Some(t) = self.table_syntax.get(&(iu as u32)).cloned() {
            let (value, locals) = self.check_table(file, &t);
            let ty = value.ty.clone();
            self.lets_out[iu] = Some(Let { value, locals });
            return ty;
        }
        let want = decl.ty.as_ref().map(|t| self.resolve_type(file, t));
        let mut scope = expr::Scope::default();
        let value = self.expr(file, &decl.value, &mut scope, want.as_ref());
        let mut ty = value.ty.clone();
        if let Some(want) = &want {
            if !value.ty.fits(want) {
                // Uses of the let are checked against what the author declared.
                ty = want.clone();
                let msg = format!(
                    "`{}` is declared {}, but its value is {}",
                    decl.name.name,
                    self.show(want),
                    self.show(&value.ty)
                );
                self.error(
                    Loc {
                        file,
                        span: decl.value.span,
                    },
                    msg,
                );
            }
        }
        self.lets_out[iu] = Some(Let {
            value,
            locals: scope.max_slots,
        });
        ty
    }

    pub(crate) fn fn_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Fn(i), |c| c.check_fn(i as usize))
    }

    fn check_fn(&mut self, iu: usize) -> Type {
        let (file, decl) = self.fn_syntax[iu].clone();
        let mut scope = expr::Scope::default();
        let mut param_types = Vec::new();
        for p in &decl.params {
            let ty = self.resolve_type(file, &p.ty);
            if scope.locals.iter().any(|(n, _, _)| *n == p.name.name) {
                self.error(
                    Loc {
                        file,
                        span: p.name.span,
                    },
                    format!("parameter `{}` is named twice", p.name.name),
                );
            }
            scope.bind(&p.name.name, ty.clone());
            param_types.push(ty);
        }
        self.fn_param_types[iu] = param_types;
        let want = decl.ret.as_ref().map(|t| self.resolve_type(file, t));
        let body = self.expr(file, &decl.body, &mut scope, want.as_ref());
        if let Some(want) = &want {
            if !body.ty.fits(want) {
                let msg = format!(
                    "`{}` is declared to return {}, but returns {}",
                    decl.name.name,
                    self.show(want),
                    self.show(&body.ty)
                );
                self.error(
                    Loc {
                        file,
                        span: decl.body.span,
                    },
                    msg,
                );
            }
        }
        let ty = body.ty.clone();
        self.fns_out[iu] = Some(Function {
            body,
            locals: scope.max_slots,
        });
        ty
    }

    /// Whether decision `i` is made for each member (`for each c in xs`).
    pub(crate) fn is_per_member(&self, i: u32) -> bool {
        self.decision_syntax
            .get(i as usize)
            .is_some_and(|(_, d)| d.for_each.is_some())
    }

    pub(crate) fn decision_type(&mut self, i: u32) -> Type {
        self.on_demand(Def::Decision(i), |c| c.check_decision(i as usize))
    }

    fn check_decision(&mut self, iu: usize) -> Type {
        let (file, decl) = self.decision_syntax[iu].clone();
        let mut scope = expr::Scope::default();
        let mut for_each = decl
            .for_each
            .as_ref()
            .map(|f| self.check_for_each(file, f, &mut scope));
        let mut value = self.expr(file, &decl.value, &mut scope, None);
        // `… only when cond`: where `cond` is false the decision has no value (unknown, with
        // nothing missing); where it is unknown, what it needs is missing.
        if let Some(g) = &decl.only_when {
            let guard = self.expect(
                file,
                g,
                &mut scope,
                &Type::Bool,
                "`only when` takes a yes/no condition",
            );
            let guarded = |e: Expr| {
                let (ty, loc) = (e.ty.clone(), e.loc);
                let none = Expr {
                    node: Node::Const(Value::unknown()),
                    ty: ty.clone(),
                    loc,
                };
                Expr {
                    node: Node::When {
                        arms: vec![(guard.clone(), e)],
                        otherwise: Box::new(none),
                    },
                    ty,
                    loc,
                }
            };
            match &mut for_each {
                Some(f) => f.list = guarded(std::mem::replace(&mut f.list, guard.clone())),
                None => value = guarded(value),
            }
        }
        if contains_record(&value.ty) {
            let msg = format!("decision `{}` would output a whole record", decl.name.name);
            self.error(
                Loc {
                    file,
                    span: decl.value.span,
                },
                msg,
            )
            .help =
                Some("decide a yes/no, a level, a number, a text, a date or a list of ids".into());
        }
        let ty = value.ty.clone();
        self.decisions_out[iu] = Some(DecisionDef {
            name: decl.name.name.clone(),
            label: decl.label.as_ref().map(|l| l.value.clone()),
            for_each,
            value,
            locals: scope.max_slots,
            internal: decl.internal,
        });
        ty
    }

    /// `for each c in xs` of a per-member decision: `xs` must be a list of records that have a
    /// required text `id` (the output is keyed by it); `c` is bound for the decision's value.
    fn check_for_each(
        &mut self,
        file: FileId,
        f: &ast::ForEach,
        scope: &mut expr::Scope,
    ) -> ForEach {
        let list = self.expr(file, &f.list, scope, None);
        let loc = Loc {
            file,
            span: f.list.span,
        };
        let element = match list.ty.element() {
            Some(t) => t.clone(),
            None => {
                let msg = format!(
                    "`for each` needs a list, but this is {}",
                    self.show(&list.ty)
                );
                self.error(loc, msg).help = Some(
                    "write `for each c in children`, over a list of records with an `id`".into(),
                );
                Type::Error
            }
        };
        let mut id_field = 0;
        if let Type::Record(r) = &element {
            let id = self.program.records.get(*r as usize).and_then(|rec| {
                rec.fields
                    .iter()
                    .position(|fd| &*fd.name == "id" && fd.ty == Type::Text && fd.required)
            });
            match id {
                Some(i) => id_field = i as u32,
                None => {
                    let msg = format!(
                        "a decision for each member is keyed by the member's `id`, but `{}` has no `id: text required`",
                        self.show(&element)
                    );
                    self.error(loc, msg).help =
                        Some("declare `id: text required` in the record".into());
                }
            }
        } else if element != Type::Error {
            let msg = format!(
                "a decision for each member needs a list of records with an `id`, but this is a list of {}",
                self.show(&element)
            );
            self.error(loc, msg).help =
                Some("write `for each c in children`, over a list of records with an `id`".into());
        }
        let slot = scope.bind(&f.binder.name, element);
        ForEach {
            binder: f.binder.name.clone(),
            list,
            slot,
            id_field,
        }
    }

    fn check_needs(&mut self) {
        let group_of: HashMap<u32, u32> = self
            .program
            .groups
            .iter()
            .enumerate()
            .flat_map(|(g, grp)| grp.needs.iter().map(move |n| (*n, g as u32)))
            .collect();
        let syntax = self.need_syntax.clone();
        for (i, (file, n)) in syntax.iter().enumerate() {
            let i = i as u32;
            let outer = self.current.replace(Def::Need(i));
            let mut scope = expr::Scope::default();
            let when = self.expr(*file, &n.when, &mut scope, Some(&Type::Bool));
            if !when.ty.fits(&Type::Bool) {
                let msg = format!(
                    "the condition of `{}` must be yes or no, but it is {}",
                    n.id.name,
                    self.show(&when.ty)
                );
                self.error(
                    Loc {
                        file: *file,
                        span: n.when.span,
                    },
                    msg,
                );
            }
            self.current = outer;
            let level = self.need_levels.get(i as usize).copied().flatten();
            self.program.needs.push(Need {
                id: Arc::from(n.id.name.as_str()),
                label: n.label.value.clone(),
                source: n.source.as_ref().map(|s| s.value.clone()),
                level,
                group: group_of.get(&i).copied().unwrap_or(0),
                when,
                locals: scope.max_slots,
            });
        }
    }

    fn need_level(&mut self, file: FileId, level: &ast::Ident) -> Option<u32> {
        let loc = Loc {
            file,
            span: level.span,
        };
        let found = self
            .program
            .scales
            .iter()
            .enumerate()
            .find_map(|(s, scale)| {
                scale
                    .values
                    .iter()
                    .position(|v| **v == *level.name)
                    .map(|l| (s as u32, l as u32))
            });
        let Some((scale, index)) = found else {
            let all: Vec<String> = self
                .program
                .scales
                .iter()
                .flat_map(|s| s.values.iter().map(|v| v.to_string()))
                .collect();
            let help = did_you_mean(&level.name, all.iter().map(String::as_str)).or_else(|| {
                self.program
                    .scales
                    .is_empty()
                    .then(|| "declare the levels with `scale level { … }`".to_string())
            });
            self.error(loc, format!("`{}` is not a level of any scale", level.name))
                .help = help;
            return None;
        };
        match self.program.need_scale {
            None => self.program.need_scale = Some(scale),
            Some(s) if s != scale => {
                self.error(loc, "indicators of one policy must use levels of one scale");
            }
            _ => {}
        }
        if let Some(name) = self
            .program
            .scales
            .get(scale as usize)
            .map(|s| s.name.clone())
        {
            if let Some((def, _)) = self.types.get(&name) {
                self.used_types.insert(*def);
            }
        }
        Some(index)
    }

    fn check_tests(&mut self, modules: &[(FileId, ast::Module)]) {
        let tests = std::mem::take(&mut self.tests);
        for t in &tests {
            for step in &t.decl.steps {
                let ast::TestStep::Expect(e) = step else {
                    if let ast::TestStep::AsAt(d) = step {
                        if parse_date(&d.text).is_none() {
                            self.error(
                                Loc {
                                    file: t.file,
                                    span: d.span,
                                },
                                format!("`{}` is not a date", d.text),
                            );
                        }
                    }
                    continue;
                };
                match &e.kind {
                    ast::ExpectKind::Decision { name, .. }
                        if !self
                            .decision_syntax
                            .iter()
                            .any(|(_, d)| d.name.name == name.name) =>
                    {
                        let names: Vec<String> = self
                            .decision_syntax
                            .iter()
                            .map(|(_, d)| d.name.name.clone())
                            .collect();
                        let help = did_you_mean(&name.name, names.iter().map(String::as_str));
                        self.error(
                            Loc {
                                file: t.file,
                                span: name.span,
                            },
                            format!("the policy has no decision `{}`", name.name),
                        )
                        .help = help;
                    }
                    ast::ExpectKind::Need { subject, id, .. } => {
                        let found = match subject {
                            ast::NeedSubject::Need => {
                                self.program.needs.iter().any(|n| *n.id == *id.name)
                            }
                            ast::NeedSubject::Group => {
                                self.program.groups.iter().any(|g| *g.id == *id.name)
                            }
                        };
                        if !found {
                            let names: Vec<String> = match subject {
                                ast::NeedSubject::Need => self
                                    .program
                                    .needs
                                    .iter()
                                    .map(|n| n.id.to_string())
                                    .collect(),
                                ast::NeedSubject::Group => self
                                    .program
                                    .groups
                                    .iter()
                                    .map(|g| g.id.to_string())
                                    .collect(),
                            };
                            let help = did_you_mean(&id.name, names.iter().map(String::as_str));
                            let what = if *subject == ast::NeedSubject::Group {
                                "group"
                            } else {
                                "need"
                            };
                            self.error(
                                Loc {
                                    file: t.file,
                                    span: id.span,
                                },
                                format!("the policy has no {what} `{}`", id.name),
                            )
                            .help = help;
                        }
                    }
                    _ => {}
                }
            }
        }
        let _ = modules;
        self.tests = tests;
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

    fn def_name(&self, d: Def) -> String {
        match d {
            Def::Input => self
                .program
                .input
                .as_ref()
                .map(|i| i.0.clone())
                .unwrap_or_default(),
            Def::Param(i) => self
                .program
                .params
                .get(i as usize)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            Def::Let(i) => self
                .let_syntax
                .get(i as usize)
                .map(|(_, l)| l.name.name.clone())
                .unwrap_or_default(),
            Def::Fn(i) => self
                .fn_syntax
                .get(i as usize)
                .map(|(_, f)| f.name.name.clone())
                .unwrap_or_default(),
            Def::Extern(i) => self.extern_name(i),
            Def::Group(i) => self
                .program
                .groups
                .get(i as usize)
                .map(|g| g.id.to_string())
                .unwrap_or_default(),
            Def::Need(i) => self
                .need_syntax
                .get(i as usize)
                .map(|(_, n)| n.id.name.clone())
                .unwrap_or_default(),
            Def::Decision(i) => self
                .decision_syntax
                .get(i as usize)
                .map(|(_, d)| d.name.name.clone())
                .unwrap_or_default(),
        }
    }

    /// Definitions may not depend on themselves, however indirectly: evaluation must end.
    fn check_cycles(&mut self) {
        let mut done: std::collections::HashSet<Def> = Default::default();
        let mut defs: Vec<Def> = self.deps.keys().copied().collect();
        defs.sort_by_key(|d| self.def_locs.get(d).map(|l| (l.file, l.span.start)));
        for start in defs {
            let mut stack = vec![(start, None::<Loc>)];
            self.dfs(start, &mut stack, &mut done);
        }
    }

    fn dfs(
        &mut self,
        d: Def,
        path: &mut Vec<(Def, Option<Loc>)>,
        done: &mut std::collections::HashSet<Def>,
    ) {
        if done.contains(&d) {
            return;
        }
        let next = self.deps.get(&d).cloned().unwrap_or_default();
        for (n, loc) in next {
            if let Some(pos) = path.iter().position(|(p, _)| *p == n) {
                let names: Vec<String> = path[pos..]
                    .iter()
                    .map(|(p, _)| self.def_name(*p))
                    .chain([self.def_name(n)])
                    .collect();
                let msg = format!(
                    "`{}` depends on itself: {}",
                    self.def_name(n),
                    names.join(" → ")
                );
                self.error(loc, msg).help =
                    Some("definitions must not refer back to themselves".into());
                done.insert(n);
                continue;
            }
            path.push((n, Some(loc)));
            self.dfs(n, path, done);
            path.pop();
        }
        done.insert(d);
    }

    /// Warns about definitions in the main file that nothing uses. A file with no decisions is a
    /// library of shared definitions, where unused is normal.
    fn check_unused(&mut self, modules: &[(FileId, ast::Module)]) {
        // With errors, "unused" is usually a knock-on effect of a misspelt use.
        let errors = self
            .findings
            .iter()
            .any(|f| f.severity == crate::diagnostic::Severity::Error);
        if self.decision_syntax.is_empty() || errors {
            return;
        }
        let mut warnings = Vec::new();
        for (name, (def, loc)) in &self.values {
            if loc.file != 0 || self.used.contains(def) {
                continue;
            }
            let what = match def {
                Def::Param(_) => "param",
                Def::Let(_) => "let",
                Def::Fn(_) => "fn",
                Def::Extern(_) => "extern fn",
                _ => continue,
            };
            warnings.push(
                Finding::warning(*loc, format!("{what} `{name}` is never used"))
                    .help("remove it, or use it in a rule"),
            );
        }
        for (name, (def, loc)) in &self.types {
            if loc.file == 0 && !self.used_types.contains(def) && matches!(def, TypeDef::Scale(_)) {
                warnings.push(
                    Finding::warning(*loc, format!("scale `{name}` is never used"))
                        .help("remove it, or give indicators a `level`"),
                );
            } else if loc.file == 0 && !self.used_types.contains(def) {
                warnings.push(
                    Finding::warning(*loc, format!("type `{name}` is never used"))
                        .help("remove it, or use it in a record"),
                );
            }
        }
        warnings.sort_by_key(|w| w.start);
        self.findings.extend(warnings);
        let _ = modules;
    }
}

fn contains_record(t: &Type) -> bool {
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
fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
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
