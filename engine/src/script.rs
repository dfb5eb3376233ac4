//! Council functions in sandboxed rhai scripts:
//! `extern fn deprivation_decile(postcode: text) -> number = script "deprivation.rhai"`.
//!
//! Everything about scripts lives here, from load to call:
//!
//! - **Loading** ([`load`]): each script is read through the policy's [`Loader`], like an import
//!   (the engine does no IO of its own), relative to the policy file that names it. Its text joins
//!   the policy's files, so it is part of the content hash and diagnostics can point into it.
//! - **Checking** ([`Checker::check_externs`]): the `extern limits` block, the declared types, one
//!   sandboxed [`Engine`] per policy, each script compiled once, and the function present with the
//!   declared number of parameters. Call sites are typed by the checker like any `fn`.
//! - **Calling** ([`call`]): arguments cross into rhai by their declared types, the function runs
//!   under the limits, and its result comes back checked against the declared return type. A
//!   failure (an error in the script, a limit reached, a result of the wrong type) is recorded in
//!   the evaluator's failure slot and becomes an error for that record only; the call itself
//!   gives unknown meanwhile, and later script calls for the same record do not run.
//!
//! The sandbox: the engine is built raw, with only the pure packages (arithmetic, logic, maths,
//! strings, arrays, maps, iterators, function pointers): no file, network, process or clock
//! access, no `print` output, no `sleep`. `eval` and `import` are disabled symbols, so a script
//! using them does not compile, and no module can be loaded. Limits bound the operations of one
//! call, the call depth, expression depth, and the size of texts, arrays and maps; each call runs
//! on a stack deep enough for those limits (see [`Limits::stack`]).

use crate::check::{Checker, LoadFailure, Loader};
use crate::diagnostic::{did_you_mean, Finding, SourceFile};
use crate::ir::{FileId, Loc, Program, Shown, Type, TypeNames};
use crate::policy::RecordError;
use crate::value::{parse_date, root_path, List, Missing, Record, Value};
use earlyhelp_grammar::ast;
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, BitFieldPackage, LogicPackage, MoreStringPackage,
    Package,
};
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, ImmutableString, Position, Scope, AST};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

// ---------------------------------------------------------------- limits

/// The sandbox limits of a policy's scripts: safe defaults, changed by `extern limits { … }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// rhai operations one call may run (a loop step, an expression, a function call).
    pub operations: u64,
    /// How deep script functions may call each other (recursion included).
    pub call_depth: u64,
    /// How deeply expressions may nest in the script's text (checked when it compiles).
    pub expression_depth: u64,
    /// The longest text a script may make, in bytes (texts inside lists and maps count).
    pub string_size: u64,
    /// The most elements an array may hold (nested arrays count).
    pub array_size: u64,
    /// The most entries a map may hold (nested maps count).
    pub map_size: u64,
}

/// Each limit: its name in `extern limits`, its default, the largest value a policy may set, and
/// what it bounds (for messages).
const LIMITS: [(&str, u64, u64, &str); 6] = [
    ("operations", 100_000, 10_000_000, "operations per call"),
    ("call_depth", 16, 64, "nested function calls"),
    ("expression_depth", 32, 64, "levels of nested expressions"),
    ("string_size", 10_000, 16_777_216, "bytes of text"),
    ("array_size", 1_000, 100_000, "array elements"),
    ("map_size", 1_000, 100_000, "map entries"),
];

impl Default for Limits {
    fn default() -> Limits {
        let mut l = Limits {
            operations: 0,
            call_depth: 0,
            expression_depth: 0,
            string_size: 0,
            array_size: 0,
            map_size: 0,
        };
        for (name, default, _, _) in LIMITS {
            *l.slot(name).expect("every limit has a slot") = default;
        }
        l
    }
}

impl Limits {
    fn slot(&mut self, name: &str) -> Option<&mut u64> {
        Some(match name {
            "operations" => &mut self.operations,
            "call_depth" => &mut self.call_depth,
            "expression_depth" => &mut self.expression_depth,
            "string_size" => &mut self.string_size,
            "array_size" => &mut self.array_size,
            "map_size" => &mut self.map_size,
            _ => return None,
        })
    }

    /// Stack below which a running script is stopped (checked at every operation): rhai recurses
    /// on the native stack, and a stack overflow would abort the whole host.
    fn margin() -> usize {
        128 * 1024 * frame_factor()
    }

    /// The stack one call is given. Beyond the margin: room for every allowed level of function
    /// calls, and for the deepest nesting the size limits allow (a list nested in a list …: rhai
    /// measures, clones and drops nested data recursively, between operations). When the calling
    /// thread has less left, the call runs on a fresh stack of this size (`stacker`), which costs
    /// some microseconds; with the default limits an ordinary 2 MiB thread has room.
    pub(crate) fn stack(&self) -> usize {
        let nesting = self.array_size.max(self.map_size) as usize;
        let frames = self.call_depth as usize * 32 * 1024 + nesting * 768;
        Limits::margin() + frames * frame_factor()
    }
}

/// How much larger rhai's stack frames are in this build than in an optimised one: 1 when rhai is
/// compiled with optimisations (as this workspace's profiles do, even for `dev`), about 10 when
/// it is not. Measured once per process, by how much stack a few nested script calls take.
fn frame_factor() -> usize {
    static FACTOR: OnceLock<usize> = OnceLock::new();
    *FACTOR.get_or_init(|| {
        let deepest = Arc::new(AtomicUsize::new(0));
        let probe = deepest.clone();
        let mut engine = Engine::new_raw();
        engine.register_fn("probe", move || {
            let left = stacker::remaining_stack().unwrap_or(0);
            probe.store(left, Ordering::Relaxed);
        });
        engine.set_max_call_levels(64);
        let Ok(ast) = engine.compile("fn f(n) { if n > 0 { f(n - 1) } else { probe() } }") else {
            return 8;
        };
        let left_at = |n: i64| {
            let options = CallFnOptions::new().eval_ast(false);
            let args = (n,);
            let ok = engine.call_fn_with_options::<()>(options, &mut Scope::new(), &ast, "f", args);
            ok.is_ok().then(|| deepest.load(Ordering::Relaxed))
        };
        let per_call = match (left_at(0), left_at(16)) {
            (Some(shallow), Some(deep)) if shallow > deep => (shallow - deep) / 16,
            _ => return 8,
        };
        // Optimised, one level takes a few KiB; unoptimised, well over 64 KiB.
        if per_call > 64 * 1024 {
            10
        } else {
            1
        }
    })
}

// ---------------------------------------------------------------- the compiled scripts

/// One `extern fn`, ready to call.
pub(crate) struct ExternFn {
    pub name: String,
    pub params: Vec<Type>,
    pub ret: Type,
    /// The compiled script that defines it (shared by the functions of one script).
    ast: Option<Arc<AST>>,
    /// The script's name as loaded, for messages.
    script: String,
}

/// The policy's `extern fn`s and the one sandboxed engine that runs them. Part of the program.
#[derive(Default)]
pub(crate) struct Externs {
    engine: Option<Engine>,
    pub functions: Vec<ExternFn>,
    limits: Limits,
    stack: usize,
}

impl fmt::Debug for Externs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Externs")
            .field(
                "functions",
                &self.functions.iter().map(|x| &x.name).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

/// A rhai engine that can compute and nothing else.
fn sandbox(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    // The pure packages only: not `LanguageCorePackage` (`sleep`, `exit`, `parse_json`),
    // `BasicTimePackage` (the clock) or `BasicBlobPackage`. A raw engine prints nothing.
    engine.register_global_module(ArithmeticPackage::new().as_shared_module());
    engine.register_global_module(LogicPackage::new().as_shared_module());
    engine.register_global_module(BasicMathPackage::new().as_shared_module());
    engine.register_global_module(BitFieldPackage::new().as_shared_module());
    engine.register_global_module(BasicStringPackage::new().as_shared_module());
    engine.register_global_module(MoreStringPackage::new().as_shared_module());
    engine.register_global_module(BasicArrayPackage::new().as_shared_module());
    engine.register_global_module(BasicMapPackage::new().as_shared_module());
    engine.register_global_module(BasicIteratorPackage::new().as_shared_module());
    engine.register_global_module(BasicFnPackage::new().as_shared_module());
    // Refused when the script compiles: no code from text, no modules (the engine has no
    // module resolver either, and may load none).
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.set_max_modules(0);
    // A misspelt variable or record field is a mistake, not an unknown.
    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    engine.set_max_operations(limits.operations);
    engine.set_max_call_levels(size(limits.call_depth));
    engine.set_max_expr_depths(size(limits.expression_depth), size(limits.expression_depth));
    engine.set_max_string_size(size(limits.string_size));
    engine.set_max_array_size(size(limits.array_size));
    engine.set_max_map_size(size(limits.map_size));
    let margin = Limits::margin();
    engine.on_progress(move |_| {
        stacker::remaining_stack()
            .is_some_and(|left| left < margin)
            .then_some(Dynamic::UNIT)
    });
    engine
}

// ---------------------------------------------------------------- loading

/// What the checker needs to know while checking `extern fn`s, filled by [`load`] and by
/// `declare_all`.
#[derive(Default)]
pub(crate) struct CheckState {
    /// Every `extern fn`, by index (`Def::Extern`), with the file that declares it.
    pub decls: Vec<(FileId, ast::ExternFnDecl)>,
    /// Every `extern limits` block.
    pub limits: Vec<(FileId, ast::ExternLimits)>,
    /// The file each script was loaded as, by (declaring file, path as written).
    loaded: HashMap<(FileId, String), FileId>,
    /// Parameter and return types, by index, once resolved.
    pub types: Vec<(Vec<Type>, Type)>,
}

/// Reads the script of every `extern fn` through the loader, once per script. Each becomes one of
/// the policy's files; a script that cannot be read is an error at its name.
pub(crate) fn load(
    modules: &[(FileId, ast::Module)],
    loader: &dyn Loader,
    files: &mut Vec<SourceFile>,
    findings: &mut Vec<Finding>,
) -> CheckState {
    let mut state = CheckState::default();
    for (file, module) in modules {
        for item in &module.items {
            let ast::Item::ExternFn(f) = item else {
                continue;
            };
            let key = (*file, f.script.value.clone());
            if state.loaded.contains_key(&key) {
                continue;
            }
            let Some(policy) = files.get(*file as usize).map(|p| p.name.clone()) else {
                continue;
            };
            match loader.load_script(&policy, &f.script.value) {
                Ok(script) => {
                    let id = match files.iter().position(|x| x.name == script.name) {
                        Some(i) => i as FileId,
                        None => {
                            files.push(script);
                            (files.len() - 1) as FileId
                        }
                    };
                    state.loaded.insert(key, id);
                }
                Err(LoadFailure { reason, help }) => {
                    let loc = Loc {
                        file: *file,
                        span: f.script.span,
                    };
                    let mut finding = Finding::error(
                        loc,
                        format!("cannot read the script \"{}\"", f.script.value),
                    )
                    .label(reason);
                    finding.help = help;
                    findings.push(finding);
                }
            }
        }
    }
    state
}

// ---------------------------------------------------------------- checking

impl Checker<'_> {
    /// Checks every `extern fn` and the `extern limits`, and builds the program's engine. Runs
    /// once records are resolved (the types) and before any expression is checked (call sites
    /// need the signatures).
    pub(crate) fn check_externs(&mut self) {
        let limits = self.extern_limits();
        let decls = self.externs.decls.clone();
        let mut types = Vec::new();
        for (file, d) in &decls {
            let mut params = Vec::new();
            for (k, p) in d.params.iter().enumerate() {
                if d.params[..k].iter().any(|q| q.name.name == p.name.name) {
                    let loc = Loc {
                        file: *file,
                        span: p.name.span,
                    };
                    self.error(loc, format!("parameter `{}` is named twice", p.name.name));
                }
                let ty = self.resolve_type(*file, &p.ty);
                self.crossable(*file, p.ty.span(), &ty);
                params.push(ty);
            }
            let ret = self.resolve_type(*file, &d.ret);
            self.crossable(*file, d.ret.span(), &ret);
            types.push((params, ret));
        }
        self.externs.types = types.clone();
        if decls.is_empty() {
            return;
        }
        let engine = sandbox(&limits);
        let mut compiled: HashMap<FileId, Option<Arc<AST>>> = HashMap::new();
        let mut functions = Vec::new();
        for ((file, d), (params, ret)) in decls.iter().zip(types) {
            let script = self
                .externs
                .loaded
                .get(&(*file, d.script.value.clone()))
                .copied();
            let ast = script.and_then(|id| {
                compiled
                    .entry(id)
                    .or_insert_with(|| self.compile(&engine, id, *file, d))
                    .clone()
            });
            if let Some(ast) = &ast {
                self.has_function(ast, *file, d);
            }
            functions.push(ExternFn {
                name: d.name.name.clone(),
                params,
                ret,
                ast,
                script: script
                    .and_then(|id| self.files.get(id as usize))
                    .map_or_else(|| d.script.value.clone(), |f| short(&f.name).to_string()),
            });
        }
        self.program.externs = Externs {
            engine: Some(engine),
            functions,
            limits,
            stack: limits.stack(),
        };
    }

    /// The `extern limits` of the policy: at most one block, known names, whole numbers in range.
    fn extern_limits(&mut self) -> Limits {
        let mut limits = Limits::default();
        let blocks = self.externs.limits.clone();
        if blocks.is_empty() {
            return limits;
        }
        if self.externs.decls.is_empty() {
            let (file, b) = &blocks[0];
            let loc = Loc {
                file: *file,
                span: b.span,
            };
            self.findings.push(
                Finding::warning(loc, "`extern limits` has no `extern fn` to limit")
                    .help("remove it, or declare the functions it limits"),
            );
        }
        let first = Loc {
            file: blocks[0].0,
            span: blocks[0].1.span,
        };
        for (i, (file, block)) in blocks.iter().enumerate() {
            if i > 0 {
                let loc = Loc {
                    file: *file,
                    span: block.span,
                };
                let where_ = format!(
                    "the first is at {}:{}",
                    self.files
                        .get(first.file as usize)
                        .map_or("?", |f| f.name.as_str()),
                    self.line_of(first)
                );
                self.error(loc, "the script limits are set twice").help =
                    Some(format!("a policy has one `extern limits` block; {where_}"));
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            for l in &block.limits {
                let loc = Loc {
                    file: *file,
                    span: l.name.span,
                };
                let name = l.name.name.as_str();
                let Some((_, _, max, what)) = LIMITS.iter().find(|x| x.0 == name) else {
                    let names = LIMITS.iter().map(|x| x.0);
                    let help = did_you_mean(name, names).unwrap_or_else(|| {
                        let all: Vec<&str> = LIMITS.iter().map(|x| x.0).collect();
                        format!("the limits are: {}", all.join(", "))
                    });
                    self.error(loc, format!("there is no script limit `{name}`"))
                        .help = Some(help);
                    continue;
                };
                if seen.contains(&name) {
                    self.error(loc, format!("`{name}` is set twice"));
                    continue;
                }
                seen.push(name);
                let value = l
                    .value
                    .text
                    .parse::<u64>()
                    .ok()
                    .filter(|v| (1..=*max).contains(v));
                match value {
                    Some(v) => {
                        if let Some(slot) = limits.slot(name) {
                            *slot = v;
                        }
                    }
                    None => {
                        let loc = Loc {
                            file: *file,
                            span: l.value.span,
                        };
                        self.error(
                            loc,
                            format!("`{name}` must be a whole number from 1 to {max} ({what})"),
                        );
                    }
                }
            }
        }
        limits
    }

    /// Types that cannot cross into a script: durations (and groups and needs, which have no
    /// written type).
    fn crossable(&mut self, file: FileId, span: ast::Span, ty: &Type) {
        fn has_duration(t: &Type) -> bool {
            match t {
                Type::Duration => true,
                Type::List(inner) => has_duration(inner),
                _ => false,
            }
        }
        if has_duration(ty) {
            self.error(
                Loc { file, span },
                "a duration cannot be passed to or from a script",
            )
            .help = Some("pass a number of days or months, or the dates themselves".into());
        }
    }

    /// Compiles a script; a syntax error is reported in the script, where it is.
    fn compile(
        &mut self,
        engine: &Engine,
        script: FileId,
        file: FileId,
        d: &ast::ExternFnDecl,
    ) -> Option<Arc<AST>> {
        let text = self.files.get(script as usize)?.text.clone();
        match engine.compile(text.trim_start_matches('\u{feff}')) {
            Ok(ast) => Some(Arc::new(ast)),
            Err(e) => {
                let span = span_at(&text, e.position());
                let help = format!(
                    "the script of `extern fn {}` ({}:{})",
                    d.name.name,
                    self.files
                        .get(file as usize)
                        .map_or("?", |f| f.name.as_str()),
                    self.line_of(Loc { file, span: d.span })
                );
                let reason = match e.0.to_string() {
                    r if r.contains("'eval'") => {
                        "`eval` is not allowed in a script (it would run code made from text)"
                            .to_string()
                    }
                    r if r.contains("'import'") => {
                        "`import` is not allowed in a script (a script is one file, with no modules)"
                            .to_string()
                    }
                    r => r,
                };
                let finding = Finding::error(
                    Loc { file: script, span },
                    format!("the script does not compile: {reason}"),
                )
                .help(help);
                self.findings.push(finding);
                None
            }
        }
    }

    /// The script must define the function, with as many parameters as declared.
    fn has_function(&mut self, ast: &AST, file: FileId, d: &ast::ExternFnDecl) {
        let loc = Loc {
            file,
            span: d.name.span,
        };
        let defined: Vec<(String, usize)> = ast
            .iter_functions()
            .map(|f| (f.name.to_string(), f.params.len()))
            .collect();
        let script = short(&d.script.value).to_string();
        let arities: Vec<usize> = defined
            .iter()
            .filter(|(n, _)| *n == d.name.name)
            .map(|(_, a)| *a)
            .collect();
        let want = d.params.len();
        if arities.is_empty() {
            let help = did_you_mean(&d.name.name, defined.iter().map(|(n, _)| n.as_str()))
                .unwrap_or_else(|| {
                    if defined.is_empty() {
                        format!("{script} defines no functions")
                    } else {
                        let all: Vec<String> =
                            defined.iter().map(|(n, a)| format!("{n} ({a})")).collect();
                        format!("{script} defines: {}", all.join(", "))
                    }
                });
            self.error(loc, format!("{script} has no function `{}`", d.name.name))
                .help = Some(help);
        } else if !arities.contains(&want) {
            let has = arities
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" or ");
            let msg = format!(
                "`{}` in {script} takes {has} parameter{}, but the extern fn declares {want}",
                d.name.name,
                if has == "1" { "" } else { "s" }
            );
            self.error(loc, msg).help =
                Some("the declaration and the script must agree on the parameters".into());
        }
    }

    /// The declared parameter and return types of `extern fn` number `i`.
    pub(crate) fn extern_signature(&self, i: u32) -> (Vec<Type>, Type) {
        self.externs
            .types
            .get(i as usize)
            .cloned()
            .unwrap_or((Vec::new(), Type::Error))
    }

    /// The name of `extern fn` number `i`, for messages.
    pub(crate) fn extern_name(&self, i: u32) -> String {
        self.externs
            .decls
            .get(i as usize)
            .map(|(_, d)| d.name.name.clone())
            .unwrap_or_default()
    }
}

/// The file name without its folders.
fn short(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// The byte span of the word at a rhai position (1-based line and column in characters).
fn span_at(text: &str, pos: Position) -> ast::Span {
    let (Some(line), col) = (pos.line(), pos.position().unwrap_or(1)) else {
        return ast::Span::new(0, 0);
    };
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    let start = line_start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
    let word = text[start..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(text.len() - start, |(i, _)| i);
    let end = start + word.max(text[start..].chars().next().map_or(0, char::len_utf8));
    ast::Span::new(start, end)
}

// ---------------------------------------------------------------- calling

/// Why an `extern fn` call failed: becomes the record's error.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    loc: Loc,
    function: String,
    message: String,
}

impl Failure {
    /// The record error: names the function and the policy line that called it.
    pub(crate) fn into_record_error(self, files: &[SourceFile]) -> RecordError {
        let (name, line) = files.get(self.loc.file as usize).map_or(("?", 0), |f| {
            let upto = self.loc.span.start.min(f.text.len());
            (
                f.name.as_str(),
                f.text.as_bytes()[..upto]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1,
            )
        });
        RecordError::new(
            None,
            format!(
                "`{}`, called at {name}:{line}, {}",
                self.function, self.message
            ),
        )
    }
}

/// Calls `extern fn` number `function` with the evaluated arguments. A failure is put in
/// `failure` and the call gives unknown; once a record has a failure, no further script runs
/// for it.
pub(crate) fn call(
    program: &Program,
    function: u32,
    args: &[Value],
    loc: Loc,
    failure: &mut Option<Failure>,
) -> Value {
    if failure.is_some() {
        return Value::unknown();
    }
    let externs = &program.externs;
    let (Some(engine), Some(f)) = (&externs.engine, externs.functions.get(function as usize))
    else {
        return Value::unknown();
    };
    let Some(ast) = &f.ast else {
        return Value::unknown();
    };
    // A `()` result is unknown because of the arguments that were unknown.
    let mut missing = Missing::None;
    let mut dyn_args = Vec::with_capacity(args.len());
    for (v, ty) in args.iter().zip(&f.params) {
        missing = missing.union(&arg_missing(v));
        dyn_args.push(to_dynamic(program, v, ty));
    }
    let result = stacker::maybe_grow(externs.stack, externs.stack, || {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let out = engine.call_fn_with_options::<Dynamic>(
            options,
            &mut Scope::new(),
            ast,
            &f.name,
            dyn_args,
        );
        match out {
            Ok(d) => from_dynamic(program, d, &f.ret).map_err(|what| {
                let names = type_names(program);
                format!(
                    "returned {what}, but `{}` is declared to return {}",
                    f.name,
                    Shown(&f.ret, &names)
                )
            }),
            Err(e) => Err(script_error(e, &externs.limits, &f.script)),
        }
    });
    match result {
        Ok(Value::Unknown(_)) => Value::Unknown(missing.settled()),
        Ok(v) => v,
        Err(message) => {
            *failure = Some(Failure {
                loc,
                function: f.name.clone(),
                message,
            });
            Value::unknown()
        }
    }
}

/// A record passed to a script is passed whole: every field of it (and of the records inside
/// it) is read, so the record decoder must not skip any.
pub(crate) fn read_whole_records(program: &mut Program) {
    fn mark(records: &[crate::ir::RecordDef], read: &mut [Vec<bool>], ty: &Type) {
        match ty {
            Type::List(inner) => mark(records, read, inner),
            Type::Record(r) => {
                let Some(def) = records.get(*r as usize) else {
                    return;
                };
                if let Some(slots) = read.get_mut(*r as usize) {
                    if slots.iter().all(|s| *s) && !slots.is_empty() {
                        return; // already whole (also ends any cycle)
                    }
                    slots.iter_mut().for_each(|s| *s = true);
                }
                for f in &def.fields {
                    mark(records, read, &f.ty);
                }
            }
            _ => {}
        }
    }
    let Program {
        records,
        read,
        externs,
        ..
    } = program;
    for f in &externs.functions {
        for ty in f.params.iter().chain([&f.ret]) {
            mark(records, read, ty);
        }
    }
}

/// The explanation's detail of a call: the call with its arguments' values, and its result —
/// `deprivation_decile("LS9 7AB") = 1`.
pub(crate) fn detail(program: &Program, function: u32, args: &[Value], result: &Value) -> String {
    let Some(f) = program.externs.functions.get(function as usize) else {
        return String::new();
    };
    let shown: Vec<String> = args
        .iter()
        .zip(&f.params)
        .map(|(v, t)| crate::explain::show(program, v, t))
        .collect();
    format!(
        "{}({}) = {}",
        f.name,
        shown.join(", "),
        crate::explain::show(program, result, &f.ret)
    )
}

fn type_names(program: &Program) -> TypeNames<'_> {
    TypeNames {
        enums: &program.enums,
        records: &program.records,
        scales: &program.scales,
    }
}

/// The record paths that made an argument unknown (or a list uncertain).
fn arg_missing(v: &Value) -> Missing {
    match v {
        Value::List(l) => l
            .maybe
            .iter()
            .flatten()
            .flatten()
            .fold(Missing::None, |acc, m| acc.union(m)),
        other => other.missing(),
    }
}

/// A value as rhai sees it, by its declared type. Unknown is `()`; so is a list some of whose
/// elements are only maybe members (the list itself is not known).
fn to_dynamic(program: &Program, v: &Value, ty: &Type) -> Dynamic {
    match v {
        Value::Unknown(_) | Value::Range { .. } | Value::Group(_) | Value::Need(_) => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Num(d) => Dynamic::from_decimal(*d),
        Value::Text(t) => Dynamic::from(ImmutableString::from(&**t)),
        Value::Date(d) => Dynamic::from(d.format("%Y-%m-%d").to_string()),
        Value::Duration(_) => Dynamic::UNIT,
        Value::Symbol(i) => {
            crate::explain::symbol(program, ty, *i).map_or(Dynamic::UNIT, Dynamic::from)
        }
        Value::List(l) => {
            if l.maybe
                .as_ref()
                .is_some_and(|m| m.iter().any(Option::is_some))
            {
                return Dynamic::UNIT;
            }
            let elem = ty.element().unwrap_or(&Type::Error);
            Dynamic::from_array(
                l.items
                    .iter()
                    .map(|x| to_dynamic(program, x, elem))
                    .collect(),
            )
        }
        Value::Record(r) => {
            let Some(def) = program.records.get(r.record as usize) else {
                return Dynamic::UNIT;
            };
            let map: rhai::Map = def
                .fields
                .iter()
                .zip(r.fields.iter())
                .map(|(f, x)| (f.name.as_ref().into(), to_dynamic(program, x, &f.ty)))
                .collect();
            Dynamic::from_map(map)
        }
    }
}

/// A script's result as a value of the declared type; `()` is unknown. The error says what the
/// script returned instead (its kind, never its content).
fn from_dynamic(program: &Program, d: Dynamic, ty: &Type) -> Result<Value, String> {
    let d = d.flatten();
    if d.is_unit() {
        return Ok(Value::unknown());
    }
    let wrong = |d: &Dynamic| Err(kind(d));
    match ty {
        Type::Bool => d.as_bool().map(Value::Bool).or_else(|_| wrong(&d)),
        Type::Number | Type::Percent | Type::Money => {
            if let Ok(x) = d.as_decimal() {
                Ok(Value::Num(x))
            } else if let Ok(i) = d.as_int() {
                Ok(Value::Num(Decimal::from(i)))
            } else {
                wrong(&d)
            }
        }
        Type::Text => {
            if let Ok(c) = d.as_char() {
                return Ok(Value::Text(c.to_string().into()));
            }
            match d.into_immutable_string() {
                Ok(s) => Ok(Value::Text(Arc::from(s.as_str()))),
                Err(_) => Err("something that is not text".into()),
            }
        }
        Type::Date => {
            if !d.is_string() {
                return wrong(&d);
            }
            let s = d.into_immutable_string().unwrap_or_default();
            parse_date(s.as_str())
                .map(Value::Date)
                .ok_or_else(|| "text that is not a date (YYYY-MM-DD)".to_string())
        }
        Type::Enum(_) | Type::Level(_) => {
            if !d.is_string() {
                return wrong(&d);
            }
            let s = d.into_immutable_string().unwrap_or_default();
            program
                .values_of(ty)
                .and_then(|def| def.symbol(s.as_str()))
                .map(Value::Symbol)
                .ok_or_else(|| {
                    let names = type_names(program);
                    format!("text that is not a value of {}", Shown(ty, &names))
                })
        }
        Type::List(elem) => {
            if !d.is_array() {
                return wrong(&d);
            }
            let items = d.into_array().unwrap_or_default();
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.into_iter().enumerate() {
                let v = from_dynamic(program, x, elem)
                    .map_err(|what| format!("a list whose element {} is {what}", i + 1))?;
                out.push(v);
            }
            Ok(Value::List(Arc::new(List::certain(out))))
        }
        Type::Record(r) => {
            let Some(mut map) = d.clone().try_cast::<rhai::Map>() else {
                return wrong(&d);
            };
            let Some(def) = program.records.get(*r as usize) else {
                return wrong(&d);
            };
            let mut fields = Vec::with_capacity(def.fields.len());
            for f in &def.fields {
                let v = match map.remove(f.name.as_ref()) {
                    Some(x) => from_dynamic(program, x, &f.ty)
                        .map_err(|what| format!("a map whose `{}` is {what}", f.name))?,
                    None => Value::unknown(),
                };
                // Unknown for no record path: the script, not the input, left it out.
                let v = match v {
                    Value::Unknown(_) if f.required => {
                        return Err(format!("a map without its required `{}`", f.name))
                    }
                    Value::Unknown(_) => Value::Unknown(Missing::Set(Arc::new(Vec::new()))),
                    v => v,
                };
                fields.push(v);
            }
            Ok(Value::Record(Arc::new(Record {
                path: root_path(),
                record: *r,
                fields: fields.into(),
            })))
        }
        Type::Duration | Type::Group | Type::Need | Type::Error => wrong(&d),
    }
}

/// What kind of value a script returned, for messages.
fn kind(d: &Dynamic) -> String {
    let k = if d.is_bool() {
        "yes/no"
    } else if d.is_int() {
        "a whole number"
    } else if d.is_decimal() {
        "a decimal number"
    } else if d.is_string() {
        "text"
    } else if d.is_char() {
        "a character"
    } else if d.is_array() {
        "a list"
    } else if d.is_map() {
        "a map"
    } else if d.is_fnptr() {
        "a function pointer"
    } else {
        return format!("a value of type {}", d.type_name());
    };
    k.to_string()
}

/// A script's error in words, with where in the script it happened.
fn script_error(e: Box<EvalAltResult>, limits: &Limits, script: &str) -> String {
    // The innermost error says what went wrong; the innermost known position says where.
    let mut pos = Position::NONE;
    let mut err: &EvalAltResult = &e;
    loop {
        if !err.position().is_none() {
            pos = err.position();
        }
        match err {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => err = inner,
            _ => break,
        }
    }
    let limit = |name: &str, value: u64, what: &str| {
        format!("went over the limit of {value} {what} (raise `{name}` in `extern limits` if the script needs more)")
    };
    let what = match err {
        EvalAltResult::ErrorTooManyOperations(_) => {
            limit("operations", limits.operations, "operations")
        }
        EvalAltResult::ErrorStackOverflow(_) => {
            limit("call_depth", limits.call_depth, "nested function calls")
        }
        EvalAltResult::ErrorDataTooLarge(which, _) => {
            if which.contains("string") {
                limit("string_size", limits.string_size, "bytes of text")
            } else if which.contains("map") {
                limit("map_size", limits.map_size, "map entries")
            } else {
                limit("array_size", limits.array_size, "array elements")
            }
        }
        EvalAltResult::ErrorTerminated(..) => {
            "nested too deeply for the stack it runs on (lower `call_depth` or simplify the script)"
                .to_string()
        }
        // Not the thrown value: it may be made from the record, which errors never show.
        EvalAltResult::ErrorRuntime(..) => "threw an error".to_string(),
        // rhai's message shows the operands ("Division by zero: 12 / 0").
        EvalAltResult::ErrorArithmetic(..) => {
            "an arithmetic error (a division by zero, or a number too large)".to_string()
        }
        other => {
            // rhai's own words, without its "(line …, position …)": the line is given below.
            let text = other.to_string();
            match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            }
        }
    };
    match pos.line() {
        Some(line) => format!("failed in {script}:{line}: {what}"),
        None => format!("failed in {script}: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_fit_an_ordinary_thread() {
        let l = Limits::default();
        assert_eq!(l.operations, 100_000);
        if frame_factor() == 1 {
            assert!(l.stack() < 2 * 1024 * 1024 - 256 * 1024, "{}", l.stack());
        }
    }

    #[test]
    fn rhai_is_optimised_in_this_workspace() {
        // The profiles compile dependencies with optimisations even for `dev`.
        assert_eq!(frame_factor(), 1);
    }

    #[test]
    fn span_at_points_at_the_word() {
        let text = "fn f(x) {\n  let y = ;\n}\n";
        let pos = Position::new(2, 7);
        let s = span_at(text, pos);
        assert_eq!(&text[s.start..s.end], "y");
    }
}
