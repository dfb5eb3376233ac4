//! Diagnostics: what is wrong with a policy, where, and what would fix it. Collected as values by
//! every stage and rendered in one place, rustc-style, with a caret under the offending text.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
/// How serious a diagnostic is: an error stops the policy loading; a warning does not.
pub enum Severity {
    /// The policy does not load.
    Error,
    /// The policy loads, but something looks wrong.
    Warning,
}

/// One finding about a policy file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// The file as it was named when loaded.
    pub file: String,
    /// 1-based line and column (in characters) of the start of the offending text.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 1-based line and column just past its end.
    pub end_line: usize,
    /// 1-based column just past the end, in characters.
    pub end_column: usize,
    /// A short note under the caret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What would fix it, where that helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Other places the finding concerns (the first definition of a name defined twice).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The rendered source lines with the caret, for terminals.
    #[serde(skip)]
    pub(crate) snippet: String,
}

impl Diagnostic {
    /// Whether this stops the policy loading.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{kind}: {}", self.message)?;
        let gutter = " ".repeat(self.line.to_string().len());
        writeln!(f, "{gutter}--> {}:{}:{}", self.file, self.line, self.column)?;
        f.write_str(&self.snippet)?;
        if let Some(help) = &self.help {
            writeln!(f, "{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// A source file of the policy: the main file or an import.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    pub name: String,
    pub text: String,
}

/// A finding before it is placed in a file: the checker works in spans, the renderer in lines.
#[derive(Clone, Debug)]
pub(crate) struct Finding {
    pub severity: Severity,
    pub file: u32,
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Other places the finding concerns, each with a note.
    pub related: Vec<(crate::ir::Loc, String)>,
}

/// Another place a diagnostic concerns: a file, a 1-based line and column, and what is there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    /// The file as it was named when loaded.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 1-based line just past the end.
    pub end_line: usize,
    /// 1-based column just past the end, in characters.
    pub end_column: usize,
    /// What is there (`first defined here`).
    pub message: String,
}

impl Finding {
    pub(crate) fn error(loc: crate::ir::Loc, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            file: loc.file,
            start: loc.span.start,
            end: loc.span.end,
            message: message.into(),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }
    pub(crate) fn warning(loc: crate::ir::Loc, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(loc, message)
        }
    }
    pub(crate) fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }
    pub(crate) fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }
    /// Another place the finding concerns.
    pub(crate) fn related(mut self, loc: crate::ir::Loc, message: impl Into<String>) -> Finding {
        self.related.push((loc, message.into()));
        self
    }
}

/// 1-based (line, column) of a byte offset, counting columns in characters.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn render(finding: &Finding, files: &[SourceFile]) -> Diagnostic {
    let (name, text) = files
        .get(finding.file as usize)
        .map_or(("<unknown>", ""), |f| (f.name.as_str(), f.text.as_str()));
    let (line, column) = line_col(text, finding.start);
    let (end_line, end_column) = line_col(text, finding.end.max(finding.start));
    let gutter = " ".repeat(line.to_string().len());
    let source_line = text
        .lines()
        .nth(line - 1)
        .unwrap_or("")
        .trim_end_matches('\r');
    // The caret covers the span on its first line, at least one character.
    let width = if end_line == line {
        end_column.saturating_sub(column).max(1)
    } else {
        1
    };
    let width = width.min(
        source_line
            .chars()
            .count()
            .saturating_sub(column - 1)
            .max(1),
    );
    let lead: String = source_line
        .chars()
        .take(column - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let mut snippet = format!(
        "{gutter} |\n{line} | {source_line}\n{gutter} | {lead}{}",
        "^".repeat(width)
    );
    if let Some(label) = &finding.label {
        snippet.push(' ');
        snippet.push_str(label);
    }
    snippet.push('\n');
    Diagnostic {
        severity: finding.severity,
        message: finding.message.clone(),
        file: name.to_string(),
        line,
        column,
        end_line,
        end_column,
        label: finding.label.clone(),
        help: finding.help.clone(),
        related: finding
            .related
            .iter()
            .map(|(loc, message)| {
                let (name, text) = files
                    .get(loc.file as usize)
                    .map_or(("<unknown>", ""), |f| (f.name.as_str(), f.text.as_str()));
                let (line, column) = line_col(text, loc.span.start);
                let (end_line, end_column) = line_col(text, loc.span.end.max(loc.span.start));
                Related {
                    file: name.to_string(),
                    line,
                    column,
                    end_line,
                    end_column,
                    message: message.clone(),
                }
            })
            .collect(),
        snippet,
    }
}

/// Why a policy did not load: every diagnostic found (errors first, in source order).
#[derive(Clone, Debug)]
pub struct LoadError {
    /// Every diagnostic, errors first.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Every diagnostic of a load: its errors when it failed, its warnings when it loaded.
pub fn diagnostics(loaded: &Result<crate::Policy, LoadError>) -> &[Diagnostic] {
    match loaded {
        Ok(policy) => policy.warnings(),
        Err(e) => &e.diagnostics,
    }
}

/// Diagnostics as one pretty-printed JSON array: what `earlyhelp check --format json` prints and
/// the service's `POST /v1/check` answers, so editors and case systems read one shape.
pub fn diagnostics_json(diagnostics: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(diagnostics).unwrap_or_else(|_| "[]".into())
}

/// What to write instead of a comparison of two types that cannot be compared, for the slips
/// newcomers make: an enum value written as a quoted text, and a `count of … where` whose condition
/// took the comparison meant for the count.
pub(crate) fn comparison_help(
    left: &crate::ir::Type,
    right: &crate::ir::Type,
    a: &earlyhelp_grammar::ast::Expr,
    b: &earlyhelp_grammar::ast::Expr,
) -> Option<String> {
    use crate::ir::Type;
    use earlyhelp_grammar::ast::{ExprKind, LitKind};
    match (left, right, &b.kind) {
        (Type::Enum(_), Type::Text, ExprKind::Lit(l)) if l.kind == LitKind::Text => Some(format!(
            "an enum value is a name, not a quoted text: write `{} is {}`",
            earlyhelp_grammar::print_expr(a),
            l.text
        )),
        (Type::Bool, Type::Number, _) => Some(
            "a `where` condition takes the comparison after it: to compare a count, put it in \
             parentheses, `(count of x in xs where condition) >= 2`"
                .into(),
        ),
        _ => None,
    }
}

/// Suggests the closest of `candidates` to a misspelt `name`, if one is close enough.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| {
            *d <= limit
                || (c.contains(name) && name.len() >= 3)
                || (name.contains(c) && c.len() >= 3)
        })
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Edits from `a` to `b`, where swapping two neighbouring letters counts as one (`levle` → `level`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["attendance_pct", "suspensions", "sen"];
        assert_eq!(
            did_you_mean("attendance", names).as_deref(),
            Some("did you mean `attendance_pct`?")
        );
        assert_eq!(
            did_you_mean("suspension", names).as_deref(),
            Some("did you mean `suspensions`?")
        );
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(
            did_you_mean("levle", ["level"]).as_deref(),
            Some("did you mean `level`?")
        );
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("ab\n£cd", 5), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
