//! Positions: the engine and parser count bytes (spans) or characters (diagnostics); the protocol
//! counts UTF-16 code units on 0-based lines. And file paths to and from `file://` URIs.

use earlyhelp_grammar::ast::Span;
use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};

pub struct Lines<'t> {
    text: &'t str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    fn line_text(&self, line: usize) -> &'t str {
        let start = self.starts[line];
        let end = self.starts.get(line + 1).map_or(self.text.len(), |e| e - 1);
        &self.text[start..end.max(start)]
    }

    /// The position of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col: usize = self
            .line_text(line)
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        Position::new(line as u32, col as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The byte offset of a position (clamped to its line and the text).
    pub fn offset(&self, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return self.text.len();
        }
        let mut units = 0;
        for (i, c) in self.line_text(line).char_indices() {
            if units >= pos.character as usize {
                return self.starts[line] + i;
            }
            units += c.len_utf16();
        }
        self.starts[line] + self.line_text(line).len()
    }

    /// The position of a 0-based line and 0-based column counted in characters.
    pub fn char_position(&self, line: usize, col: usize) -> Position {
        if line >= self.starts.len() {
            return Position::new(line as u32, col as u32);
        }
        let units: usize = self
            .line_text(line)
            .chars()
            .take(col)
            .map(char::len_utf16)
            .sum();
        let extra = col.saturating_sub(self.line_text(line).chars().count());
        Position::new(line as u32, (units + extra) as u32)
    }
}

/// The path a `file://` URI names.
pub fn from_uri(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path`: only the local host is ours.
    let rest = &rest[rest.find('/')?..];
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file://` URI of an absolute path.
pub fn to_uri(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a\n£1 x\n";
        let l = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(l.position(x), Position::new(1, 3));
        assert_eq!(l.offset(Position::new(1, 3)), x);
        assert_eq!(l.char_position(1, 3), Position::new(1, 3));
        assert_eq!(l.position(text.len()), Position::new(2, 0));
    }

    #[test]
    fn uris_round_trip_paths_with_spaces() {
        let p = Path::new("/tmp/a policy/£.policy");
        let uri = to_uri(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20policy/%C2%A3.policy");
        assert_eq!(from_uri(&uri).unwrap(), p);
    }
}
