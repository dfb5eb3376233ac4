//! What the server knows about a set of policy files, from their syntax trees alone: every
//! declaration (with its hover text) and every use of a name, with spans. Names are resolved by
//! name and kind, the way the checker sees them: one scope across a policy and its imports.

use earlyhelp_grammar::ast::{self, Expr, ExprKind, Item, Span, TypeExpr};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

/// One file: its path, text and (when it parses) syntax tree.
pub struct File {
    pub path: PathBuf,
    pub text: String,
    pub module: Option<ast::Module>,
    /// The files it imports (and the policy a tests file is for).
    imports: Vec<PathBuf>,
    /// The files whose declarations it sees: those of every policy it is part of.
    pub visible: HashSet<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Policy,
    Param,
    Let,
    Fn,
    Input,
    Need,
    Group,
    Decision,
    Record,
    Field,
    Enum,
    EnumValue,
    Scale,
    Level,
}

/// A declaration.
pub struct Def {
    pub kind: Kind,
    pub name: String,
    pub file: usize,
    /// The name as written in the declaration.
    pub span: Span,
    /// The whole declaration.
    pub full: Span,
    /// Markdown for hover.
    pub hover: String,
    /// For inputs and fields: the record or enum named by the type (lists unwrapped); for enum
    /// values and levels: their enum or scale.
    pub ty: Option<String>,
}

/// How a name is used, which says what kind of declaration it can mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Value,
    Call,
    Field,
    /// `Type.member`: a value of the enum or a level of the scale `Type`, else a field.
    Member,
    Type,
    Level,
    Scale,
    NeedOrGroup,
    Decision,
}

pub struct Use {
    pub role: Role,
    pub name: String,
    /// For [`Role::Member`]: the name before the dot.
    pub owner: Option<String>,
    pub file: usize,
    pub span: Span,
}

#[derive(Default)]
pub struct Index {
    pub files: Vec<File>,
    pub defs: Vec<Def>,
    pub uses: Vec<Use>,
}

/// Joins an import path onto the importing file's folder, tidying `.` and `..`.
pub fn join(importer: &Path, path: &str) -> PathBuf {
    let base = importer.parent().unwrap_or(Path::new("/")).join(path);
    let mut out = PathBuf::new();
    for c in base.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl Index {
    /// Reads `roots` and everything they import (the open text of a file where `open` has it,
    /// else the disk), parses each once and indexes it.
    pub fn load(roots: &[PathBuf], open: &HashMap<PathBuf, String>) -> Index {
        let mut index = Index::default();
        let mut seen = HashSet::new();
        let mut queue: VecDeque<PathBuf> = roots.iter().cloned().collect();
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) || path.extension().is_some_and(|e| e == "json") {
                continue;
            }
            let text = match open.get(&path) {
                Some(t) => t.clone(),
                None => match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(_) => continue,
                },
            };
            let module = parse_tolerant(&text);
            let mut imports = Vec::new();
            for item in module.iter().flat_map(|m| &m.items) {
                if let Item::Import(p) | Item::TestsFor(p) = item {
                    imports.push(join(&path, &p.value));
                }
            }
            queue.extend(imports.iter().cloned());
            index.files.push(File {
                path,
                text,
                module,
                imports,
                visible: HashSet::new(),
            });
        }
        let closures: Vec<HashSet<usize>> =
            (0..index.files.len()).map(|f| index.closure(f)).collect();
        for file in 0..index.files.len() {
            // A policy and its imports share one scope: a file sees what every policy that
            // imports it sees.
            index.files[file].visible = closures
                .iter()
                .filter(|c| c.contains(&file))
                .flatten()
                .copied()
                .collect();
            index.scan(file);
        }
        index
    }

    /// The file and everything it imports, transitively.
    fn closure(&self, file: usize) -> HashSet<usize> {
        let mut seen = HashSet::from([file]);
        let mut stack = vec![file];
        while let Some(f) = stack.pop() {
            for p in &self.files[f].imports {
                if let Some(i) = self.file_of(p) {
                    if seen.insert(i) {
                        stack.push(i);
                    }
                }
            }
        }
        seen
    }

    pub fn file_of(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    fn scan(&mut self, file: usize) {
        let Some(module) = self.files[file].module.take() else {
            return;
        };
        let mut s = Scanner {
            file,
            defs: &mut self.defs,
            uses: &mut self.uses,
            locals: Vec::new(),
        };
        for item in &module.items {
            s.item(item);
        }
        self.files[file].module = Some(module);
    }

    /// The declarations a use can mean.
    pub fn resolve(&self, u: &Use) -> Vec<usize> {
        let fits = |k: Kind| match u.role {
            Role::Value => matches!(
                k,
                Kind::Param
                    | Kind::Let
                    | Kind::Input
                    | Kind::Need
                    | Kind::Group
                    | Kind::Decision
                    | Kind::EnumValue
                    | Kind::Level
            ),
            Role::Call => k == Kind::Fn,
            Role::Field | Role::Member => k == Kind::Field,
            Role::Type => matches!(k, Kind::Record | Kind::Enum | Kind::Scale),
            Role::Level => k == Kind::Level,
            Role::Scale => k == Kind::Scale,
            Role::NeedOrGroup => matches!(k, Kind::Need | Kind::Group),
            Role::Decision => k == Kind::Decision,
        };
        if let (Role::Member, Some(owner)) = (u.role, &u.owner) {
            let member = self.matching(u.file, &u.name, |k| {
                matches!(k, Kind::EnumValue | Kind::Level)
            });
            let of_owner: Vec<usize> = member
                .into_iter()
                .filter(|&d| self.defs[d].ty.as_deref() == Some(owner.as_str()))
                .collect();
            if !of_owner.is_empty() {
                return of_owner;
            }
        }
        let found: Vec<usize> = self.matching(u.file, &u.name, fits);
        if found.is_empty() && u.role == Role::Value {
            // Inside `xs where cond` an element's fields are plain names.
            return self.matching(u.file, &u.name, |k| k == Kind::Field);
        }
        found
    }

    /// The declarations named `name` of a fitting kind that `file` sees.
    fn matching(&self, file: usize, name: &str, fits: impl Fn(Kind) -> bool) -> Vec<usize> {
        let visible = &self.files[file].visible;
        (0..self.defs.len())
            .filter(|&d| {
                let def = &self.defs[d];
                def.name == name && fits(def.kind) && visible.contains(&def.file)
            })
            .collect()
    }

    /// The declarations `file` sees.
    pub fn visible_defs(&self, file: usize) -> impl Iterator<Item = (usize, &Def)> {
        let visible = &self.files[file].visible;
        self.defs
            .iter()
            .enumerate()
            .filter(move |(_, d)| visible.contains(&d.file))
    }

    /// The declarations named at `offset` in `file`: the declaration itself, or what a use means.
    pub fn target_at(&self, file: usize, offset: usize) -> Option<(Span, Vec<usize>)> {
        let within = |s: Span| s.start <= offset && offset <= s.end;
        if let Some(d) =
            (0..self.defs.len()).find(|&d| self.defs[d].file == file && within(self.defs[d].span))
        {
            return Some((self.defs[d].span, vec![d]));
        }
        let u = self
            .uses
            .iter()
            .find(|u| u.file == file && within(u.span))?;
        Some((u.span, self.resolve(u)))
    }

    /// The name of a use or declaration at `offset`, for built-ins (which have no declaration).
    pub fn call_at(&self, file: usize, offset: usize) -> Option<&Use> {
        self.uses.iter().find(|u| {
            u.file == file && u.role == Role::Call && u.span.start <= offset && offset <= u.span.end
        })
    }

    /// Every place (file, span) that names one of `targets`, declarations included.
    pub fn references(&self, targets: &[usize], declarations: bool) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        if declarations {
            out.extend(
                targets
                    .iter()
                    .map(|&d| (self.defs[d].file, self.defs[d].span)),
            );
        }
        for u in &self.uses {
            if self.resolve(u).iter().any(|d| targets.contains(d)) {
                out.push((u.file, u.span));
            }
        }
        out.sort_by_key(|(f, s)| (*f, s.start));
        out.dedup_by_key(|(f, s)| (*f, s.start));
        out
    }
}

/// Parses a file being edited: where the text does not parse, the line with the error (or, when
/// that line is blank, the nearest line above with text) is blanked and parsing tried again, a few
/// times. Blanking keeps every byte offset, so the spans of the rest stay true to the text.
fn parse_tolerant(text: &str) -> Option<ast::Module> {
    const TRIES: usize = 6;
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..TRIES {
        let current = String::from_utf8_lossy(&bytes).into_owned();
        let err = match earlyhelp_grammar::parse(&current) {
            Ok(m) => return Some(m),
            Err(e) => e,
        };
        let at = err.span.start.min(bytes.len());
        let mut start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let mut end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| at + i);
        while bytes[start..end].iter().all(|b| b.is_ascii_whitespace()) {
            if start == 0 {
                return None;
            }
            end = start - 1;
            start = bytes[..end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        }
        bytes[start..end].iter_mut().for_each(|b| *b = b' ');
    }
    None
}

struct Scanner<'a> {
    file: usize,
    defs: &'a mut Vec<Def>,
    uses: &'a mut Vec<Use>,
    /// Names bound by fn parameters, binders and `for each`: not uses of a declaration.
    locals: Vec<String>,
}

fn type_text(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(i) => i.name.clone(),
        TypeExpr::List(inner, _) => format!("list of {}", type_text(inner)),
    }
}

fn type_base(t: &TypeExpr) -> &ast::Ident {
    match t {
        TypeExpr::Named(i) => i,
        TypeExpr::List(inner, _) => type_base(inner),
    }
}

fn code(text: &str) -> String {
    format!("```earlyhelp\n{text}\n```")
}

fn source_line(source: &Option<ast::Text>) -> String {
    source
        .as_ref()
        .map(|s| format!("\n\nSource: {}", s.value))
        .unwrap_or_default()
}

impl Scanner<'_> {
    /// The values of an enum or the levels of a scale: each a definition whose hover shows how
    /// it is written (`head`) and its label.
    fn members(
        &mut self,
        kind: Kind,
        members: &[ast::Labelled],
        ty: &ast::Ident,
        full: Span,
        head: impl Fn(&str, &str) -> String,
    ) {
        for m in members {
            let label = m
                .label
                .as_ref()
                .map(|l| format!("\n\n{}", l.value))
                .unwrap_or_default();
            let hover = format!("{}{label}", code(&head(&m.id.name, &ty.name)));
            self.def(kind, &m.id, full, hover, Some(ty.name.clone()));
        }
    }

    fn def(&mut self, kind: Kind, id: &ast::Ident, full: Span, hover: String, ty: Option<String>) {
        self.defs.push(Def {
            kind,
            name: id.name.clone(),
            file: self.file,
            span: id.span,
            full,
            hover,
            ty,
        });
    }

    fn use_(&mut self, role: Role, id: &ast::Ident) {
        self.use_of(role, id, None);
    }

    fn use_of(&mut self, role: Role, id: &ast::Ident, owner: Option<String>) {
        if role == Role::Value && self.locals.contains(&id.name) {
            return;
        }
        self.uses.push(Use {
            role,
            name: id.name.clone(),
            owner,
            file: self.file,
            span: id.span,
        });
    }

    fn ty(&mut self, t: &TypeExpr) {
        self.use_(Role::Type, type_base(t));
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Header(h) => {
                let title = h.title.as_ref().map(|t| t.value.as_str()).unwrap_or("");
                let hover = format!(
                    "{}\n\n{title}{}",
                    code(&format!("policy {}", h.name.name)),
                    source_line(&h.source)
                );
                self.def(Kind::Policy, &h.name, h.span, hover, None);
                if let Some(e) = &h.as_at {
                    self.expr(e);
                }
            }
            Item::Enum(e) => {
                let values: Vec<&str> = e.values.iter().map(|v| v.id.name.as_str()).collect();
                let hover = code(&format!("enum {} {{ {} }}", e.name.name, values.join(", ")));
                self.def(Kind::Enum, &e.name, e.span, hover, None);
                self.members(Kind::EnumValue, &e.values, &e.name, e.span, |value, ty| {
                    format!("{ty}.{value}")
                });
            }
            Item::Record(r) => {
                self.def(
                    Kind::Record,
                    &r.name,
                    r.span,
                    code(&format!("record {}", r.name.name)),
                    None,
                );
                for f in &r.fields {
                    let req = if f.required { " required" } else { "" };
                    let hover = format!(
                        "{}\n\nA field of record `{}`.",
                        code(&format!("{}: {}{req}", f.name.name, type_text(&f.ty))),
                        r.name.name
                    );
                    let base = type_base(&f.ty).name.clone();
                    self.def(Kind::Field, &f.name, f.span, hover, Some(base));
                    self.ty(&f.ty);
                }
            }
            Item::Input(i) => {
                let hover = code(&format!("input {}: {}", i.name.name, type_text(&i.ty)));
                let base = type_base(&i.ty).name.clone();
                self.def(Kind::Input, &i.name, i.span, hover, Some(base));
                self.ty(&i.ty);
            }
            Item::Param(p) => {
                let head = format!("param {}: {}", p.name.name, type_text(&p.ty));
                let text = match &p.value {
                    ast::ParamValue::Fixed(e) => {
                        format!("{head} = {}", earlyhelp_grammar::print_expr(e))
                    }
                    ast::ParamValue::Dated(values) => {
                        let lines: Vec<String> = values
                            .iter()
                            .map(|(d, e)| {
                                format!("    from {}: {}", d.text, earlyhelp_grammar::print_expr(e))
                            })
                            .collect();
                        format!("{head} {{\n{}\n}}", lines.join("\n"))
                    }
                };
                self.def(Kind::Param, &p.name, p.span, code(&text), None);
                self.ty(&p.ty);
                match &p.value {
                    ast::ParamValue::Fixed(e) => self.expr(e),
                    ast::ParamValue::Dated(values) => values.iter().for_each(|(_, e)| self.expr(e)),
                }
            }
            // A decision table is a value by its name, like a `let`; its inputs use names.
            Item::Table(t) => {
                let label = t
                    .label
                    .as_ref()
                    .map(|l| format!("\n\n{}", l.value))
                    .unwrap_or_default();
                let hover = format!("{}{label}", code(&format!("table {}", t.name.name)));
                self.def(Kind::Let, &t.name, t.span, hover, None);
                for input in &t.inputs {
                    self.expr(input);
                }
            }
            Item::Let(l) => {
                let ty =
                    l.ty.as_ref()
                        .map(|t| format!(": {}", type_text(t)))
                        .unwrap_or_default();
                let text = format!(
                    "let {}{ty} = {}",
                    l.name.name,
                    earlyhelp_grammar::print_expr(&l.value)
                );
                self.def(Kind::Let, &l.name, l.span, code(&text), None);
                if let Some(t) = &l.ty {
                    self.ty(t);
                }
                self.expr(&l.value);
            }
            Item::Fn(f) => {
                let ret = f
                    .ret
                    .as_ref()
                    .map(|t| format!(" -> {}", type_text(t)))
                    .unwrap_or_default();
                let text = format!("fn {}({}){ret}", f.name.name, params(&f.params));
                self.def(Kind::Fn, &f.name, f.span, code(&text), None);
                self.fn_params(&f.params);
                if let Some(t) = &f.ret {
                    self.ty(t);
                }
                self.locals
                    .extend(f.params.iter().map(|p| p.name.name.clone()));
                self.expr(&f.body);
                self.locals.clear();
            }
            Item::ExternFn(f) => {
                let text = format!(
                    "extern fn {}({}) -> {} = script \"{}\"",
                    f.name.name,
                    params(&f.params),
                    type_text(&f.ret),
                    f.script.value
                );
                self.def(Kind::Fn, &f.name, f.span, code(&text), None);
                self.fn_params(&f.params);
                self.ty(&f.ret);
            }
            Item::Scale(s) => {
                let levels: Vec<&str> = s.levels.iter().map(|l| l.id.name.as_str()).collect();
                let hover = code(&format!(
                    "scale {} {{ {} }}",
                    s.name.name,
                    levels.join(" < ")
                ));
                self.def(Kind::Scale, &s.name, s.span, hover, None);
                self.members(Kind::Level, &s.levels, &s.name, s.span, |level, ty| {
                    format!("level {level} of scale {ty}")
                });
            }
            Item::Group(g) => {
                let needs: Vec<String> =
                    g.needs.iter().map(|n| format!("`{}`", n.id.name)).collect();
                let hover = format!(
                    "{}\n\n{}{}\n\nNeeds: {}",
                    code(&format!("group {}", g.id.name)),
                    g.label.value,
                    source_line(&g.source),
                    needs.join(", ")
                );
                self.def(Kind::Group, &g.id, g.span, hover, None);
                for n in &g.needs {
                    let kind = match n.kind {
                        ast::NeedKind::Need => "need",
                        ast::NeedKind::Indicator => "indicator",
                    };
                    let level = n
                        .level
                        .as_ref()
                        .map(|l| format!("\n\nLevel: `{}`", l.name))
                        .unwrap_or_default();
                    let hover = format!(
                        "{}\n\n{}{level}{}\n\nIn group `{}`.",
                        code(&format!("{kind} {}", n.id.name)),
                        n.label.value,
                        source_line(&n.source),
                        g.id.name
                    );
                    self.def(Kind::Need, &n.id, n.span, hover, None);
                    if let Some(l) = &n.level {
                        self.use_(Role::Level, l);
                    }
                    self.expr(&n.when);
                }
            }
            Item::Decision(d) => {
                let label = d
                    .label
                    .as_ref()
                    .map(|l| format!("\n\n{}", l.value))
                    .unwrap_or_default();
                let internal = if d.internal { "internal " } else { "" };
                let hover = format!(
                    "{}{label}",
                    code(&format!("{internal}decision {}", d.name.name))
                );
                self.def(Kind::Decision, &d.name, d.span, hover, None);
                if let Some(fe) = &d.for_each {
                    self.expr(&fe.list);
                    self.locals.push(fe.binder.name.clone());
                }
                self.expr(&d.value);
                if let Some(w) = &d.only_when {
                    self.expr(w);
                }
                self.locals.clear();
            }
            Item::Test(t) => {
                for step in &t.steps {
                    if let ast::TestStep::Expect(e) = step {
                        match &e.kind {
                            ast::ExpectKind::Decision { name, value } => {
                                self.use_(Role::Decision, name);
                                match value {
                                    ast::Expected::Ids(ids) => {
                                        ids.iter().for_each(|i| self.use_(Role::Value, i))
                                    }
                                    ast::Expected::Id(i) => self.use_(Role::Value, i),
                                    _ => {}
                                }
                            }
                            ast::ExpectKind::Need { id, .. } => self.use_(Role::NeedOrGroup, id),
                            _ => {}
                        }
                    }
                }
            }
            Item::Import(_) | Item::UseTypes(_) | Item::TestsFor(_) | Item::ExternLimits(_) => {}
        }
    }

    fn fn_params(&mut self, ps: &[ast::FnParam]) {
        for p in ps {
            self.ty(&p.ty);
        }
    }

    fn bound(&mut self, binder: &ast::Ident, parts: &[&Expr]) {
        self.locals.push(binder.name.clone());
        for e in parts {
            self.expr(e);
        }
        self.locals.pop();
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Lit(_) | ExprKind::Met(_) => {}
            ExprKind::Name(i) => self.use_(Role::Value, i),
            ExprKind::Field(base, f) => {
                self.expr(base);
                match &base.kind {
                    // `level.targeted_early_help`, `Role.child` — unless a local is meant.
                    ExprKind::Name(owner) if !self.locals.contains(&owner.name) => {
                        self.use_of(Role::Member, f, Some(owner.name.clone()))
                    }
                    _ => self.use_(Role::Field, f),
                }
            }
            ExprKind::Call(f, args) => {
                self.use_(Role::Call, f);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Not(x) | ExprKind::Neg(x) => self.expr(x),
            ExprKind::Binary(_, a, b) | ExprKind::Otherwise(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Between(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::Is { value, rhs, .. } => {
                self.expr(value);
                self.expr(rhs);
            }
            ExprKind::In { value, list, .. } => {
                self.expr(value);
                self.expr(list);
            }
            ExprKind::Known { value, .. } => self.expr(value),
            ExprKind::Within {
                date,
                duration,
                anchor,
                ..
            } => {
                self.expr(date);
                self.expr(duration);
                self.expr(anchor);
            }
            ExprKind::Where(list, cond) => {
                self.expr(list);
                self.locals.push("it".into());
                self.expr(cond);
                self.locals.pop();
            }
            ExprKind::Quantifier {
                binder,
                list,
                filter,
                body,
                ..
            } => {
                self.expr(list);
                let mut parts: Vec<&Expr> = filter.iter().map(|f| &**f).collect();
                parts.push(body);
                self.bound(binder, &parts);
            }
            ExprKind::Aggregate {
                binder,
                list,
                filter,
                body,
                ..
            } => {
                self.expr(list);
                let parts: Vec<&Expr> = filter.iter().chain(body.iter()).map(|f| &**f).collect();
                match binder {
                    Some(b) => self.bound(b, &parts),
                    None => parts.iter().for_each(|p| self.expr(p)),
                }
            }
            ExprKind::When { arms, otherwise } => {
                for (c, v) in arms {
                    self.expr(c);
                    self.expr(v);
                }
                self.expr(otherwise);
            }
            ExprKind::Highest(s) => self.use_(Role::Scale, s),
        }
    }
}

fn params(ps: &[ast::FnParam]) -> String {
    ps.iter()
        .map(|p| format!("{}: {}", p.name.name, type_text(&p.ty)))
        .collect::<Vec<_>>()
        .join(", ")
}
