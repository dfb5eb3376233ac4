//! Where a batch's records come from. Every face (the command line, Python, a case system) reads
//! records through these, so the same bytes give the same rows wherever they enter.
//!
//! A [`Source`] hands out records a chunk at a time, each numbered by its line (JSON Lines) or its
//! position from 1 (an array, a list, a columnar batch). It never evaluates and never fails a
//! record: what cannot be read becomes an [`Input`] that is already an error, so its row says why.

use crate::RecordError;
use serde_json::Value as Json;
use std::io::{self, BufRead, BufReader, Read};

/// Records per chunk for the readers here: enough to keep every core busy between two hand-overs,
/// few enough that memory stays flat.
pub(crate) const CHUNK: usize = 8192;

/// The error row of a line that is not UTF-8 text (no byte of it is repeated).
pub(crate) const NOT_UTF8: &str = "the line is not UTF-8 text";

/// One record of a batch, before evaluation: its text, its parsed value, or why it could not be
/// read.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub(crate) line: usize,
    pub(crate) body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body {
    Text(String),
    Value(Json),
    Failed(RecordError),
}

impl Input {
    /// A record as JSON text (a line's end already removed), numbered `line`.
    pub fn text(line: usize, text: String) -> Input {
        Input {
            line,
            body: Body::Text(text),
        }
    }
    /// A record already parsed.
    pub fn value(line: usize, value: Json) -> Input {
        Input {
            line,
            body: Body::Value(value),
        }
    }
    /// A record that could not be read (not UTF-8, not convertible): its row is this error.
    pub fn failed(line: usize, error: RecordError) -> Input {
        Input {
            line,
            body: Body::Failed(error),
        }
    }
    /// A record whose bytes are not UTF-8 text: the same row as such a line of a file.
    pub fn not_utf8(line: usize) -> Input {
        Input::failed(line, RecordError::new(None, NOT_UTF8.into()))
    }
    /// Its line in a JSON Lines input, or its position from 1.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// Records, a chunk at a time, in input order. Runs on its own thread while earlier chunks are
/// evaluated, so it must be `Send`.
///
/// This is also the hook for columnar input (an Arrow batch, a DataFrame): implement it to turn a
/// slice of rows into [`Input`]s — or implement [`Columnar`] and wrap it in [`Columns`].
pub trait Source: Send {
    /// Appends the next records to `chunk` (empty on entry). Leaving it empty ends the batch. An
    /// `Err` stops the batch: keep it for failures of the source itself, not of one record.
    fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()>;

    /// Whether reading is work worth a core of its own even when one thread evaluates
    /// (converting objects of another language, say). Reading bytes is not: with one thread, it
    /// runs in turn with evaluating.
    fn costly(&self) -> bool {
        false
    }
}

/// JSON Lines from any reader — or, when the first line opens a document that does not close on
/// it (`[` or a pretty-printed `{`), one JSON array of records or one record. A line that is not
/// UTF-8 becomes an error row; a byte-order mark, `\r\n` line ends and a last line without its
/// line end are accepted. Streams: memory holds a chunk of lines, never the whole input (except a
/// whole-document input, which is one document).
pub struct JsonLines<R> {
    reader: BufReader<R>,
    line: usize,
    /// The records of a whole-document input, handed out a chunk at a time.
    document: Option<std::vec::IntoIter<Input>>,
    buf: Vec<u8>,
}

impl<R: Read + Send> JsonLines<R> {
    /// Records read from `reader` (buffered here: pass the bare reader).
    pub fn new(reader: R) -> Self {
        JsonLines {
            reader: BufReader::with_capacity(1 << 20, reader),
            line: 0,
            document: None,
            buf: Vec::new(),
        }
    }
}

impl<R: Read + Send> Source for JsonLines<R> {
    fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()> {
        if let Some(document) = &mut self.document {
            chunk.extend(document.by_ref().take(CHUNK));
            return Ok(());
        }
        while chunk.len() < CHUNK {
            self.buf.clear();
            if read_line(&mut self.reader, &mut self.buf)? == 0 {
                break;
            }
            self.line += 1;
            if self.line == 1 && std::str::from_utf8(&self.buf).is_ok_and(starts_document) {
                // The first line is not a whole record: read the document whole. Bytes, not a
                // string: a line that is not UTF-8 must become an error row, not end the run.
                let mut text = std::mem::take(&mut self.buf);
                self.reader.read_to_end(&mut text)?;
                let records = std::str::from_utf8(&text)
                    .ok()
                    .and_then(whole_document)
                    .unwrap_or_else(|| lines(&text));
                let mut records = records.into_iter();
                chunk.extend(records.by_ref().take(CHUNK));
                self.document = Some(records);
                return Ok(());
            }
            chunk.push(line(self.line, &self.buf));
        }
        Ok(())
    }
}

/// `BufRead::read_until(b'\n', buf)`, with the line end found by `memchr`: the same bytes
/// appended, the same count returned.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => {
                buf.extend_from_slice(&available[..=i]);
                (true, i + 1)
            }
            None => {
                buf.extend_from_slice(available);
                (available.is_empty(), available.len())
            }
        };
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

/// Line `n` of a records input, without its line end.
fn line(n: usize, bytes: &[u8]) -> Input {
    match std::str::from_utf8(bytes) {
        Ok(text) => Input::text(n, text.trim_end_matches(['\n', '\r']).to_string()),
        Err(_) => Input::not_utf8(n),
    }
}

/// The lines of an input, numbered from 1 (a last line end ends the last line).
fn lines(text: &[u8]) -> Vec<Input> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| line(i + 1, l))
        .collect()
}

/// A first line that opens an array, or an object that does not close on the same line. Only the
/// first line is ever asked, so no other line is parsed twice.
fn starts_document(first: &str) -> bool {
    let t = first
        .trim_end_matches(['\n', '\r'])
        .trim_start()
        .trim_start_matches('\u{feff}');
    t.starts_with('[')
        || (t.starts_with('{')
            && serde_json::from_str::<serde::de::IgnoredAny>(t).is_err()
            && !t.trim_end().ends_with('}'))
}

/// An input holding one JSON array of records (each numbered by its position), or one record.
fn whole_document(text: &str) -> Option<Vec<Input>> {
    let record = |(i, r): (usize, &Json)| Input::text(i + 1, r.to_string());
    match serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')).ok()? {
        Json::Array(records) => Some(records.iter().enumerate().map(record).collect()),
        one @ Json::Object(_) => Some(vec![record((0, &one))]),
        _ => None,
    }
}

/// Records already parsed (a case system's own values), numbered from 1; [`Values::one`] for a
/// single record.
pub struct Values<I> {
    records: I,
    line: usize,
}

impl<I: Iterator<Item = Json> + Send> Values<I> {
    /// The records of an iterator, in its order.
    pub fn new(records: impl IntoIterator<IntoIter = I>) -> Self {
        Values {
            records: records.into_iter(),
            line: 0,
        }
    }
}

impl Values<std::iter::Once<Json>> {
    /// One record.
    pub fn one(record: Json) -> Self {
        Values::new(std::iter::once(record))
    }
}

impl<I: Iterator<Item = Json> + Send> Source for Values<I> {
    fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()> {
        for record in self.records.by_ref().take(CHUNK) {
            self.line += 1;
            chunk.push(Input::value(self.line, record));
        }
        Ok(())
    }
}

/// Columnar input (an Arrow record batch, a table): rows read by index. Wrap it in [`Columns`] to
/// make it a [`Source`].
pub trait Columnar: Send {
    /// How many rows.
    fn rows(&self) -> usize;
    /// Row `i` as a record, or why it cannot be one (a cell of a type JSON has no form for).
    fn record(&self, i: usize) -> Result<Json, RecordError>;
    /// Row `i` as the input numbered `line`: [`Columnar::record`] unless overridden. A column of
    /// JSON texts returns [`Input::text`], so each text is read as a line of JSON Lines is.
    fn input(&self, i: usize, line: usize) -> Input {
        match self.record(i) {
            Ok(record) => Input::value(line, record),
            Err(e) => Input::failed(line, e),
        }
    }
}

/// A [`Columnar`] input as a [`Source`]: rows numbered from 1.
pub struct Columns<C> {
    columns: C,
    next: usize,
}

impl<C: Columnar> Columns<C> {
    /// The rows of `columns`, in order.
    pub fn new(columns: C) -> Self {
        Columns { columns, next: 0 }
    }
}

impl<C: Columnar> Source for Columns<C> {
    fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()> {
        let end = self.columns.rows().min(self.next.saturating_add(CHUNK));
        chunk.extend((self.next..end).map(|i| self.columns.input(i, i + 1)));
        self.next = end;
        Ok(())
    }

    /// Making records of columns is work of its own: it overlaps evaluation even on one thread.
    fn costly(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Input> {
        let mut source = JsonLines::new(bytes);
        let mut all = Vec::new();
        loop {
            let mut chunk = Vec::new();
            source.next_chunk(&mut chunk).expect("reads from memory");
            if chunk.is_empty() {
                return all;
            }
            all.extend(chunk);
        }
    }

    fn texts(inputs: &[Input]) -> Vec<(usize, Option<&str>)> {
        inputs
            .iter()
            .map(|i| match &i.body {
                Body::Text(t) => (i.line, Some(t.as_str())),
                _ => (i.line, None),
            })
            .collect()
    }

    /// The line reader gives what `read_until` gives, lines spanning the reader's buffer too.
    #[test]
    fn lines_are_read_as_read_until_reads_them() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\n",
            b"{\"a\": 1}\n{\"b\": 2}\r\n\n{\"c\": 3}",
            b"one line without its end",
            b"\n\n\nabc\n",
            b"caf\xc3\xa9\n\xff\xfe\n",
        ];
        for input in inputs {
            for capacity in [1, 2, 3, 7, 1 << 20] {
                let mut ours = BufReader::with_capacity(capacity, input);
                let mut std = BufReader::with_capacity(capacity, input);
                loop {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let n = read_line(&mut ours, &mut a).expect("reads");
                    let m = std.read_until(b'\n', &mut b).expect("reads");
                    assert_eq!((n, &a), (m, &b), "{input:?} in a buffer of {capacity}");
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn lines_are_numbered_and_keep_no_line_end() {
        let got = read(b"{\"a\":1}\r\n\n{\"b\":2}");
        assert_eq!(
            texts(&got),
            [
                (1, Some("{\"a\":1}")),
                (2, Some("")),
                (3, Some("{\"b\":2}"))
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_an_error_input() {
        let got = read(b"{}\n{\xff}\n{}\n");
        assert_eq!(texts(&got), [(1, Some("{}")), (2, None), (3, Some("{}"))]);
        assert_eq!(
            got[1].body,
            Body::Failed(RecordError::new(None, NOT_UTF8.into()))
        );
    }

    #[test]
    fn an_array_is_its_records_numbered_by_position() {
        let got = read(b"\xef\xbb\xbf[\n {\"id\": \"A\"},\n 3\n]\n");
        assert_eq!(texts(&got), [(1, Some("{\"id\":\"A\"}")), (2, Some("3"))]);
    }

    #[test]
    fn a_document_that_never_closes_is_read_line_by_line() {
        let got = read(b"{\"id\": \"B\",\n{\xfe}\n{}\n");
        assert_eq!(
            texts(&got),
            [(1, Some("{\"id\": \"B\",")), (2, None), (3, Some("{}"))]
        );
    }

    #[test]
    fn many_lines_come_in_chunks() {
        let text = "{}\n".repeat(CHUNK + 3);
        let mut source = JsonLines::new(text.as_bytes());
        let mut chunk = Vec::new();
        source.next_chunk(&mut chunk).expect("reads");
        assert_eq!(chunk.len(), CHUNK);
        chunk.clear();
        source.next_chunk(&mut chunk).expect("reads");
        assert_eq!(chunk.len(), 3);
        assert_eq!(chunk[2].line, CHUNK + 3);
    }
}
