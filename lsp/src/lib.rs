//! `earlyhelp lsp`: the language server for policy files, over the Language Server Protocol.
//!
//! Diagnostics come from the engine's own checker (the text being typed is checked as if it were
//! the file, its imports read from disk); everything else (outline, hover, navigation, completion,
//! rename) comes from the syntax trees of the file and the files it imports ([`index`]), so it
//! keeps working while the policy has errors elsewhere.

mod index;
mod text;

use index::{Index, Kind};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use text::{from_uri, to_uri, Lines};

/// Serves one editor over standard input and output until it asks the server to exit.
pub fn serve_stdio() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    serve(connection)?;
    io.join().map_err(|e| e.to_string())
}

/// Serves one editor over `connection` (the initialize handshake included) until it exits.
pub fn serve(connection: Connection) -> Result<(), String> {
    let caps = capabilities();
    let params = connection
        .initialize(serde_json::to_value(caps).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let init: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let mut server = Server {
        conn: &connection,
        open: HashMap::new(),
        published: HashMap::new(),
        roots: workspace_roots(&init),
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(r) => {
                if connection.handle_shutdown(&r).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                let id = r.id.clone();
                // A bug in one answer must not end the session: the editor gets an error instead.
                let answer = catch_unwind(AssertUnwindSafe(|| server.request(r)))
                    .unwrap_or_else(|_| Err("internal error (a bug in earlyhelp lsp)".into()));
                let resp = match answer {
                    Ok(v) => Response::new_ok(id, v),
                    Err(e) => Response::new_err(id, ErrorCode::RequestFailed as i32, e),
                };
                server.send(resp.into());
            }
            Message::Notification(n) => {
                let _ = catch_unwind(AssertUnwindSafe(|| server.notification(n)));
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[allow(deprecated)] // root_uri: editors that send no workspace folders still send it
fn workspace_roots(init: &lsp::InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = init
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| from_uri(&f.uri))
        .collect();
    if roots.is_empty() {
        roots.extend(init.root_uri.as_ref().and_then(from_uri));
    }
    roots
}

struct Server<'c> {
    conn: &'c Connection,
    /// Open documents: their text as the editor has it.
    open: HashMap<PathBuf, String>,
    /// For each open document, the files its last diagnostics went to (cleared when clean).
    published: HashMap<PathBuf, HashSet<PathBuf>>,
    roots: Vec<PathBuf>,
}

/// The keywords completion offers.
const KEYWORDS: &[&str] = &[
    "policy",
    "import",
    "use types from",
    "tests for",
    "enum",
    "record",
    "required",
    "list of",
    "input",
    "param",
    "let",
    "fn",
    "extern fn",
    "scale",
    "group",
    "need",
    "indicator",
    "level",
    "decision",
    "internal decision",
    "for each",
    "only when",
    "test",
    "given",
    "expect",
    "and",
    "or",
    "not",
    "in",
    "is",
    "is known",
    "is missing",
    "where",
    "otherwise",
    "between",
    "within",
    "before",
    "after",
    "when",
    "then",
    "else",
    "true",
    "false",
    "any",
    "all",
    "none",
    "count of",
    "sum of",
    "min of",
    "max of",
    "highest",
    "groups met",
    "needs met",
    "source",
    "title",
    "version",
    "in_force",
    "as_at",
    "today",
];

/// At most this many `.policy` files under a workspace folder are searched for references (the
/// open files and their imports always are), found in at most this many folders: a workspace
/// opened on a home folder must not be walked whole on every request.
const MAX_WORKSPACE_FILES: usize = 500;
const MAX_WORKSPACE_DIRS: usize = 2000;

fn param<P: serde::de::DeserializeOwned>(v: Value) -> Result<P, String> {
    serde_json::from_value(v).map_err(|e| format!("bad parameters: {e}"))
}

fn json<T: serde::Serialize>(v: T) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

impl Server<'_> {
    fn send(&self, msg: Message) {
        // The editor has gone when the channel is closed; the loop ends on its own then.
        let _ = self.conn.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                if let Ok(p) = param::<lsp::DidOpenTextDocumentParams>(n.params) {
                    if let Some(path) = from_uri(&p.text_document.uri) {
                        self.open.insert(path.clone(), p.text_document.text);
                        self.diagnose(&path);
                    }
                }
            }
            notif::DidChangeTextDocument::METHOD => {
                if let Ok(p) = param::<lsp::DidChangeTextDocumentParams>(n.params) {
                    if let (Some(path), Some(change)) = (
                        from_uri(&p.text_document.uri),
                        p.content_changes.into_iter().last(),
                    ) {
                        self.open.insert(path.clone(), change.text);
                        self.diagnose(&path);
                    }
                }
            }
            notif::DidSaveTextDocument::METHOD => {
                // Files that import the saved one read it from disk: check them again.
                let open: Vec<PathBuf> = self.open.keys().cloned().collect();
                for path in open {
                    self.diagnose(&path);
                }
            }
            notif::DidCloseTextDocument::METHOD => {
                if let Ok(p) = param::<lsp::DidCloseTextDocumentParams>(n.params) {
                    if let Some(path) = from_uri(&p.text_document.uri) {
                        self.open.remove(&path);
                        for file in self.published.remove(&path).unwrap_or_default() {
                            self.publish(&file, Vec::new());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lsp::Diagnostic>) {
        let Some(uri) = to_uri(path) else { return };
        let params = lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        self.send(Notification::new(notif::PublishDiagnostics::METHOD.into(), params).into());
    }

    fn text_of(&self, path: &Path) -> Option<String> {
        self.open
            .get(path)
            .cloned()
            .or_else(|| std::fs::read_to_string(path).ok())
    }

    /// Checks an open document and publishes what the checker says, file by file.
    fn diagnose(&mut self, path: &Path) {
        let Some(text) = self.open.get(path).cloned() else {
            return;
        };
        let found = match earlyhelp::Policy::from_text_at(path, &text) {
            Ok(policy) => policy.warnings().to_vec(),
            Err(e) => e.diagnostics,
        };
        let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        by_file.insert(path.to_path_buf(), Vec::new());
        let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
        for d in found {
            // A schema's record types are checked as "x.schema.json (record types)": the
            // diagnostics that name it belong to the schema.
            let file = PathBuf::from(d.file.trim_end_matches(" (record types)"));
            let lines = texts
                .entry(file.clone())
                .or_insert_with(|| self.text_of(&file))
                .as_deref()
                .map(Lines::new);
            by_file
                .entry(file)
                .or_default()
                .push(to_lsp_diagnostic(&d, lines.as_ref()));
        }
        let before = self
            .published
            .insert(path.to_path_buf(), by_file.keys().cloned().collect())
            .unwrap_or_default();
        for gone in before.iter().filter(|f| !by_file.contains_key(*f)) {
            self.publish(gone, Vec::new());
        }
        for (file, diags) in by_file {
            self.publish(&file, diags);
        }
    }

    /// The index for a request on `path`: that file and its imports, the other open files and
    /// the workspace's policies (so references and rename reach the files that import it).
    fn index(&self, path: &Path, wide: bool) -> Index {
        let mut roots = vec![path.to_path_buf()];
        roots.extend(self.open.keys().cloned());
        if wide {
            for root in &self.roots {
                policy_files(root, &mut roots);
            }
        }
        Index::load(&roots, &self.open)
    }

    fn request(&mut self, r: Request) -> Result<Value, String> {
        match r.method.as_str() {
            req::Formatting::METHOD => {
                let p: lsp::DocumentFormattingParams = param(r.params)?;
                let path = from_uri(&p.text_document.uri).ok_or("not a file")?;
                let text = self.text_of(&path).ok_or("cannot read the file")?;
                let Ok(formatted) = earlyhelp_grammar::format(&text) else {
                    return Ok(Value::Null); // a file that does not parse is left as it is
                };
                if formatted == text {
                    return json(Vec::<lsp::TextEdit>::new());
                }
                let lines = Lines::new(&text);
                let range = lsp::Range::new(lsp::Position::new(0, 0), lines.position(text.len()));
                json(vec![lsp::TextEdit::new(range, formatted)])
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: lsp::DocumentSymbolParams = param(r.params)?;
                let path = from_uri(&p.text_document.uri).ok_or("not a file")?;
                let text = self.text_of(&path).ok_or("cannot read the file")?;
                let Ok(module) = earlyhelp_grammar::parse(&text) else {
                    return Ok(Value::Null);
                };
                json(symbols::outline(&module, &Lines::new(&text)))
            }
            req::HoverRequest::METHOD => {
                let p: lsp::HoverParams = param(r.params)?;
                json(self.hover(&p.text_document_position_params))
            }
            req::GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = param(r.params)?;
                let at = &p.text_document_position_params;
                let (index, file, offset) = self.locate(at, false)?;
                let Some((_, targets)) = index.target_at(file, offset) else {
                    return Ok(Value::Null);
                };
                let locs: Vec<lsp::Location> = targets
                    .iter()
                    .filter_map(|&d| location(&index, index.defs[d].file, index.defs[d].span))
                    .collect();
                json(locs)
            }
            req::References::METHOD => {
                let p: lsp::ReferenceParams = param(r.params)?;
                let (index, file, offset) = self.locate(&p.text_document_position, true)?;
                let Some((_, targets)) = index.target_at(file, offset) else {
                    return Ok(Value::Null);
                };
                let locs: Vec<lsp::Location> = index
                    .references(&targets, p.context.include_declaration)
                    .into_iter()
                    .filter_map(|(f, s)| location(&index, f, s))
                    .collect();
                json(locs)
            }
            req::Rename::METHOD => {
                let p: lsp::RenameParams = param(r.params)?;
                json(self.rename(&p)?)
            }
            req::Completion::METHOD => {
                let p: lsp::CompletionParams = param(r.params)?;
                json(self.complete(&p.text_document_position)?)
            }
            req::CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = param(r.params)?;
                json(code_actions(&p))
            }
            _ => Err(format!("earlyhelp lsp does not handle {}", r.method)),
        }
    }

    /// Indexes the file a position is in and finds the byte offset of the position.
    fn locate(
        &self,
        at: &lsp::TextDocumentPositionParams,
        wide: bool,
    ) -> Result<(Index, usize, usize), String> {
        let path = from_uri(&at.text_document.uri).ok_or("not a file")?;
        let index = self.index(&path, wide);
        let file = index.file_of(&path).ok_or("cannot read the file")?;
        let offset = Lines::new(&index.files[file].text).offset(at.position);
        Ok((index, file, offset))
    }

    fn hover(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let (index, file, offset) = self.locate(at, false).ok()?;
        let lines = Lines::new(&index.files[file].text);
        let (value, span) = match index.target_at(file, offset) {
            Some((span, targets)) if !targets.is_empty() => {
                let texts: Vec<&str> = targets
                    .iter()
                    .map(|&d| index.defs[d].hover.as_str())
                    .collect();
                (texts.join("\n\n---\n\n"), span)
            }
            _ => {
                let call = index.call_at(file, offset)?;
                let b = earlyhelp::BUILTINS.iter().find(|b| b.name == call.name)?;
                (
                    format!("```earlyhelp\n{}\n```\n\n{}", b.signature, b.doc),
                    call.span,
                )
            }
        };
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            }),
            range: Some(lines.range(span)),
        })
    }

    // `Uri` keys edits in lsp-types; it hashes by its text, not its cache cell.
    #[allow(clippy::mutable_key_type)]
    fn rename(&self, p: &lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>, String> {
        let name = &p.new_name;
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !earlyhelp_grammar::RESERVED.contains(&name.as_str());
        if !valid {
            return Err(format!("`{name}` is not a name a policy can declare"));
        }
        let (index, file, offset) = self.locate(&p.text_document_position, true)?;
        let Some((_, targets)) = index.target_at(file, offset) else {
            return Ok(None);
        };
        let renamable = |k: Kind| matches!(k, Kind::Param | Kind::Let | Kind::Need | Kind::Group);
        if targets.is_empty() || !targets.iter().all(|&d| renamable(index.defs[d].kind)) {
            return Err("only a param, let, need or group can be renamed".into());
        }
        let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (f, span) in index.references(&targets, true) {
            if let Some(loc) = location(&index, f, span) {
                changes
                    .entry(loc.uri)
                    .or_default()
                    .push(lsp::TextEdit::new(loc.range, name.clone()));
            }
        }
        Ok(Some(lsp::WorkspaceEdit::new(changes)))
    }

    fn complete(
        &self,
        at: &lsp::TextDocumentPositionParams,
    ) -> Result<Vec<lsp::CompletionItem>, String> {
        let (index, file, offset) = self.locate(at, false)?;
        let text = &index.files[file].text;
        let before = &text[..offset];
        let word_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let item = |label: &str, kind, detail: Option<String>| lsp::CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            ..Default::default()
        };
        if before[..word_start].ends_with('.') {
            let chain = &before[..word_start - 1];
            let fields = fields_after(&index, file, chain);
            let mut seen = HashSet::new();
            return Ok(fields
                .into_iter()
                .filter(|&d| seen.insert(index.defs[d].name.clone()))
                .map(|d| {
                    item(
                        &index.defs[d].name,
                        lsp::CompletionItemKind::FIELD,
                        index.defs[d].ty.clone(),
                    )
                })
                .collect());
        }
        let mut items: Vec<lsp::CompletionItem> = Vec::new();
        let mut seen = HashSet::new();
        for (_, d) in index.visible_defs(file) {
            let kind = match d.kind {
                Kind::Param | Kind::Let => lsp::CompletionItemKind::CONSTANT,
                Kind::Fn => lsp::CompletionItemKind::FUNCTION,
                Kind::Input => lsp::CompletionItemKind::VARIABLE,
                Kind::Need | Kind::Group | Kind::Decision => lsp::CompletionItemKind::PROPERTY,
                Kind::EnumValue | Kind::Level => lsp::CompletionItemKind::ENUM_MEMBER,
                Kind::Record | Kind::Enum | Kind::Scale => lsp::CompletionItemKind::CLASS,
                Kind::Policy | Kind::Field => continue,
            };
            if seen.insert(d.name.clone()) {
                items.push(item(
                    &d.name,
                    kind,
                    Some(format!("{:?}", d.kind).to_lowercase()),
                ));
            }
        }
        for b in earlyhelp::BUILTINS {
            if seen.insert(b.name.to_string()) {
                let mut it = item(
                    b.name,
                    lsp::CompletionItemKind::FUNCTION,
                    Some(b.signature.into()),
                );
                it.documentation = Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: b.doc.into(),
                }));
                items.push(it);
            }
        }
        for k in KEYWORDS {
            if seen.insert(k.to_string()) {
                items.push(item(k, lsp::CompletionItemKind::KEYWORD, None));
            }
        }
        Ok(items)
    }
}

/// The fields that can follow `chain.`: those of the record the chain's type names where it can
/// be followed from an input through fields, else every record's fields.
fn fields_after(index: &Index, file: usize, chain: &str) -> Vec<usize> {
    let fields: Vec<usize> = index
        .visible_defs(file)
        .filter(|(_, d)| d.kind == Kind::Field)
        .map(|(i, _)| i)
        .collect();
    let of = |t: &str| -> Vec<usize> {
        fields
            .iter()
            .copied()
            .filter(|&d| record_of(index, d) == Some(t))
            .collect()
    };
    match chain_type(index, file, &fields, chain, chain.len(), 0) {
        Some(t) if !of(&t).is_empty() => of(&t),
        _ => fields,
    }
}

/// The record (or list element) type of the name chain ending `text[..end]`, as far as the
/// syntax shows it: an input's type, a `name: Type` parameter, or `name in list` whose list's
/// type is known, then through fields.
fn chain_type(
    index: &Index,
    file: usize,
    fields: &[usize],
    text: &str,
    end: usize,
    depth: usize,
) -> Option<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let start = text[..end].rfind(|c: char| !word(c)).map_or(0, |i| i + 1);
    let path: Vec<&str> = text[start..end].split('.').collect();
    let (first, rest) = path.split_first()?;
    if first.is_empty() || depth > 4 {
        return None;
    }
    let mut ty = index
        .visible_defs(file)
        .find(|(_, d)| d.kind == Kind::Input && d.name == *first)
        .and_then(|(_, d)| d.ty.clone())
        .or_else(|| binder_type(index, file, fields, &text[..start], first, depth));
    for name in rest {
        let t = ty?;
        ty = fields
            .iter()
            .copied()
            .find(|&d| index.defs[d].name == *name && record_of(index, d) == Some(t.as_str()))
            .and_then(|d| index.defs[d].ty.clone());
    }
    ty
}

/// The type of a local name from its nearest binding before the cursor: `name: Type` (a fn's
/// parameter) or `name in list` (a quantifier, aggregate or `for each`).
fn binder_type(
    index: &Index,
    file: usize,
    fields: &[usize],
    before: &str,
    name: &str,
    depth: usize,
) -> Option<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (at, _) in before.rmatch_indices(name) {
        if before[..at].ends_with(is_word) {
            continue;
        }
        let after = &before[at + name.len()..];
        if after.starts_with(is_word) {
            continue;
        }
        let after = after.trim_start();
        if let Some(t) = after.strip_prefix(':') {
            let t = t.trim_start();
            let t = t.trim_start_matches("list of ").trim_start();
            let ty: String = t.chars().take_while(|&c| is_word(c)).collect();
            return (!ty.is_empty()).then_some(ty);
        }
        if let Some(list) = after.strip_prefix("in ") {
            let list = list.trim_start();
            let len = list
                .find(|c: char| !(is_word(c) || c == '.'))
                .unwrap_or(list.len());
            return chain_type(index, file, fields, list, len, depth + 1);
        }
    }
    None
}

/// The record a field is declared in: the record whose declaration spans it.
fn record_of(index: &Index, field: usize) -> Option<&str> {
    let f = &index.defs[field];
    index
        .defs
        .iter()
        .find(|r| {
            r.kind == Kind::Record
                && r.file == f.file
                && r.full.start <= f.full.start
                && f.full.end <= r.full.end
        })
        .map(|r| r.name.as_str())
}

fn location(
    index: &Index,
    file: usize,
    span: earlyhelp_grammar::ast::Span,
) -> Option<lsp::Location> {
    let f = &index.files[file];
    Some(lsp::Location::new(
        to_uri(&f.path)?,
        Lines::new(&f.text).range(span),
    ))
}

/// Every `.policy` file under `root` (hidden folders and `target` skipped), up to a bound.
fn policy_files(root: &Path, out: &mut Vec<PathBuf>) {
    let mut stack = vec![root.to_path_buf()];
    let (mut found, mut dirs) = (0, 0);
    while let Some(dir) = stack.pop() {
        dirs += 1;
        if dirs > MAX_WORKSPACE_DIRS {
            return;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(p);
                }
            } else if name.ends_with(".policy") {
                found += 1;
                if found > MAX_WORKSPACE_FILES {
                    return;
                }
                out.push(p);
            }
        }
    }
}

fn to_lsp_diagnostic(d: &earlyhelp::Diagnostic, lines: Option<&Lines>) -> lsp::Diagnostic {
    let pos = |line: usize, col: usize| match lines {
        Some(l) => l.char_position(line.saturating_sub(1), col.saturating_sub(1)),
        None => lsp::Position::new(line.saturating_sub(1) as u32, col.saturating_sub(1) as u32),
    };
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push_str(&format!(": {label}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    // Other places the finding concerns (a name's first definition), in their own files.
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let uri = text::to_uri(std::path::Path::new(&r.file))?;
            let at = |l: usize, c: usize| {
                lsp::Position::new(l.saturating_sub(1) as u32, c.saturating_sub(1) as u32)
            };
            let range = lsp::Range::new(at(r.line, r.column), at(r.end_line, r.end_column));
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri, range),
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        related_information: (!related.is_empty()).then_some(related),
        range: lsp::Range::new(pos(d.line, d.column), pos(d.end_line, d.end_column)),
        severity: Some(if d.is_error() {
            lsp::DiagnosticSeverity::ERROR
        } else {
            lsp::DiagnosticSeverity::WARNING
        }),
        source: Some("earlyhelp".into()),
        message,
        ..Default::default()
    }
}

// `Uri` keys edits in lsp-types; it hashes by its text, not its cache cell.
#[allow(clippy::mutable_key_type)]
/// One quick fix for each diagnostic that says "did you mean `x`?": write `x` in its place.
fn code_actions(p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in &p.context.diagnostics {
        let Some(rest) = d.message.split("did you mean `").nth(1) else {
            continue;
        };
        let Some(name) = rest.split('`').next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let edit = lsp::TextEdit::new(d.range, name.to_string());
        let changes = HashMap::from([(p.text_document.uri.clone(), vec![edit])]);
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Change to `{name}`"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(lsp::WorkspaceEdit::new(changes)),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    out
}

mod symbols {
    use super::text::Lines;
    use earlyhelp_grammar::ast::{self, Item, Span};
    use lsp_types::{DocumentSymbol, SymbolKind};

    #[allow(deprecated)] // `deprecated` is a required field of the struct
    fn symbol(
        lines: &Lines,
        name: &ast::Ident,
        detail: Option<String>,
        kind: SymbolKind,
        full: Span,
        children: Vec<DocumentSymbol>,
    ) -> DocumentSymbol {
        DocumentSymbol {
            name: name.name.clone(),
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: lines.range(full),
            selection_range: lines.range(name.span),
            children: (!children.is_empty()).then_some(children),
        }
    }

    /// The values of an enum or the levels of a scale, with their labels.
    fn members(lines: &Lines, values: &[ast::Labelled]) -> Vec<DocumentSymbol> {
        values
            .iter()
            .map(|v| {
                let label = v.label.as_ref().map(|l| l.value.clone());
                symbol(
                    lines,
                    &v.id,
                    label,
                    SymbolKind::ENUM_MEMBER,
                    v.id.span,
                    vec![],
                )
            })
            .collect()
    }

    /// The outline of a file: its declarations, with needs under their groups, fields under
    /// their records, values under their enums and levels under their scales.
    pub fn outline(module: &ast::Module, lines: &Lines) -> Vec<DocumentSymbol> {
        let mut out = Vec::new();
        for item in &module.items {
            let s = match item {
                Item::Header(h) => symbol(
                    lines,
                    &h.name,
                    h.title.as_ref().map(|t| t.value.clone()),
                    SymbolKind::MODULE,
                    h.span,
                    vec![],
                ),
                Item::Group(g) => {
                    let needs = g
                        .needs
                        .iter()
                        .map(|n| {
                            symbol(
                                lines,
                                &n.id,
                                Some(n.label.value.clone()),
                                SymbolKind::BOOLEAN,
                                n.span,
                                vec![],
                            )
                        })
                        .collect();
                    symbol(
                        lines,
                        &g.id,
                        Some(g.label.value.clone()),
                        SymbolKind::NAMESPACE,
                        g.span,
                        needs,
                    )
                }
                Item::Decision(d) => symbol(
                    lines,
                    &d.name,
                    d.label.as_ref().map(|l| l.value.clone()),
                    SymbolKind::EVENT,
                    d.span,
                    vec![],
                ),
                Item::Let(l) => symbol(lines, &l.name, None, SymbolKind::VARIABLE, l.span, vec![]),
                Item::Param(p) => {
                    symbol(lines, &p.name, None, SymbolKind::CONSTANT, p.span, vec![])
                }
                Item::Input(i) => {
                    symbol(lines, &i.name, None, SymbolKind::VARIABLE, i.span, vec![])
                }
                Item::Fn(f) => symbol(lines, &f.name, None, SymbolKind::FUNCTION, f.span, vec![]),
                Item::ExternFn(f) => symbol(
                    lines,
                    &f.name,
                    Some("extern".into()),
                    SymbolKind::FUNCTION,
                    f.span,
                    vec![],
                ),
                Item::Record(r) => {
                    let fields = r
                        .fields
                        .iter()
                        .map(|f| symbol(lines, &f.name, None, SymbolKind::FIELD, f.span, vec![]))
                        .collect();
                    symbol(lines, &r.name, None, SymbolKind::STRUCT, r.span, fields)
                }
                Item::Enum(e) => {
                    let values = members(lines, &e.values);
                    symbol(lines, &e.name, None, SymbolKind::ENUM, e.span, values)
                }
                Item::Scale(s) => {
                    let levels = members(lines, &s.levels);
                    symbol(lines, &s.name, None, SymbolKind::ENUM, s.span, levels)
                }
                _ => continue,
            };
            out.push(s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn did_you_mean_becomes_a_quick_fix() {
        let uri: lsp_types::Uri = "file:///p.policy".parse().unwrap();
        let d = lsp_types::Diagnostic {
            message: "unknown name `treshold`\nhelp: did you mean `threshold`?".into(),
            ..Default::default()
        };
        let p = lsp_types::CodeActionParams {
            text_document: lsp_types::TextDocumentIdentifier::new(uri),
            range: d.range,
            context: lsp_types::CodeActionContext {
                diagnostics: vec![d],
                ..Default::default()
            },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        let actions = super::code_actions(&p);
        assert_eq!(actions.len(), 1);
        let lsp_types::CodeActionOrCommand::CodeAction(a) = &actions[0] else {
            panic!("a code action")
        };
        assert_eq!(a.title, "Change to `threshold`");
    }
}
