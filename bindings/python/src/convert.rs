//! Python objects to JSON text, and JSON values back to Python objects.
//!
//! Records arrive as Python objects (dicts, lists, numbers…) and the engine reads JSON. The
//! conversion walks the object once, holding the GIL, and writes the JSON text `json.dumps`
//! would write (numbers keep the exact text Python's `repr` prints, so `89.99` stays 89.99: the
//! engine reads it as an exact decimal). Writing text is cheaper than building a tree of values,
//! and the engine then decodes only the fields the policy reads, without the GIL, exactly as it
//! decodes a line of a JSON Lines file.
//! Whatever has no JSON form (NaN, infinity, a set, a non-text key, a structure nested deeper than
//! JSON parsers accept) is an error naming the path, never a crash.

use pyo3::exceptions::{PyTypeError, PyUnicodeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple,
    PyType,
};
use serde_json::{Number, Value as Json};
use std::borrow::Cow;
use std::fmt::Write;

/// How deep a record may nest: the limit serde_json applies to JSON text, so a record given as a
/// dict and the same record given as text are accepted alike.
const MAX_DEPTH: usize = 127;

/// The largest integer a record may hold, in bits (about 1,000 decimal digits; Python itself
/// refuses to print more than 4,300).
const MAX_INT_BITS: u64 = 3_300;

/// Why a Python object could not become JSON, and where in it.
#[derive(Debug)]
pub(crate) struct ConvertError {
    /// The path of the offending value (`members[2].education.attendance_pct`), empty at the top.
    pub path: String,
    pub message: String,
}

impl ConvertError {
    pub(crate) fn render(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

/// A conversion failure: either the value has no JSON form (a record problem), or Python itself
/// raised while we looked at it (e.g. a `__len__` or `tolist` that raises).
pub(crate) enum Failure {
    Record(ConvertError),
    Python(PyErr),
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Failure {
        Failure::Python(e)
    }
}

static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Prefixes a record error's path with the key or index it was found under (paths are built
/// only on the way back from an error, so a good record costs no path bookkeeping).
fn under(seg: Seg<'_>, f: Failure) -> Failure {
    match f {
        Failure::Record(mut e) => {
            let head = match seg {
                Seg::Key(k) => k.to_string(),
                Seg::Index(i) => format!("[{i}]"),
            };
            e.path = if e.path.is_empty() {
                head
            } else if e.path.starts_with('[') {
                format!("{head}{}", e.path)
            } else {
                format!("{head}.{}", e.path)
            };
            Failure::Record(e)
        }
        other => other,
    }
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Converts a Python value to JSON text (the engine reads records as text, as `earlyhelp eval`
/// reads a line: it decodes only the fields the policy reads). `na_is_null` also reads float NaN
/// as `null` (pandas fills the holes of a DataFrame with NaN); otherwise NaN is an error, as in
/// `json.dumps(allow_nan=False)`.
pub(crate) fn to_json_text(obj: &Bound<'_, PyAny>, na_is_null: bool) -> Result<String, Failure> {
    let mut walker = Walker {
        na_is_null,
        out: String::with_capacity(1024),
    };
    walker.value(obj, 0)?;
    Ok(walker.out)
}

struct Walker {
    na_is_null: bool,
    /// The JSON text written so far (discarded on failure).
    out: String,
}

impl Walker {
    fn fail(&self, message: impl Into<String>) -> Failure {
        Failure::Record(ConvertError {
            path: String::new(),
            message: message.into(),
        })
    }

    fn value(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> Result<(), Failure> {
        if depth > MAX_DEPTH {
            return Err(self.fail(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        // Most common first: records are mostly dicts, texts, lists, numbers and booleans.
        if let Ok(d) = obj.cast::<PyDict>() {
            // Converting a value may run Python code (a `tolist`, an `isoformat`…) that changes
            // this dict. pyo3's iterator panics if the dict changes size under it, or if it is
            // asked for more items than the dict had: check the size before each step, and never
            // step more than `n` times.
            let n = d.len();
            let mut items = d.iter();
            self.out.push('{');
            for i in 0..n {
                if d.len() != n {
                    return Err(self.fail("the record changed while it was being read"));
                }
                let Some((k, v)) = items.next() else { break };
                self.member(i, &k, &v, depth)?;
            }
            self.out.push('}');
            return Ok(());
        }
        if let Ok(s) = obj.cast::<PyString>() {
            let text = self.text(s)?;
            push_json_string(&mut self.out, &text);
            return Ok(());
        }
        if obj.is_none() {
            self.out.push_str("null");
            return Ok(());
        }
        // bool before int: `True` is an int in Python.
        if let Ok(b) = obj.cast::<PyBool>() {
            self.out
                .push_str(if b.is_true() { "true" } else { "false" });
            return Ok(());
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            if let Ok(n) = i.extract::<i64>() {
                let _ = write!(self.out, "{n}");
                return Ok(());
            }
            // A big integer: its decimal digits are already a JSON number. Python refuses to
            // print more than a few thousand digits (and no record needs them).
            let bits: u64 = i.call_method0("bit_length")?.extract().unwrap_or(u64::MAX);
            if bits > MAX_INT_BITS {
                return Err(self.fail("an integer of more than 1,000 digits is not a record value"));
            }
            // `int.__str__` of the exact type: a subclass may print itself otherwise.
            let text = py_int_text(i)?;
            return self.number(&text);
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return self.float(f);
        }
        if let Ok(l) = obj.cast::<PyList>() {
            return self.array(l.iter(), depth);
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            return self.array(t.iter(), depth);
        }
        self.unusual(obj, depth)
    }

    /// A list or tuple, as a JSON array.
    fn array<'py>(
        &mut self,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
        depth: usize,
    ) -> Result<(), Failure> {
        self.out.push('[');
        for (i, v) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.value(&v, depth + 1)
                .map_err(|f| under(Seg::Index(i), f))?;
        }
        self.out.push(']');
        Ok(())
    }

    /// The `i`th member of an object: `"key":value`.
    fn member(
        &mut self,
        i: usize,
        k: &Bound<'_, PyAny>,
        v: &Bound<'_, PyAny>,
        depth: usize,
    ) -> Result<(), Failure> {
        let key = self.key(k)?;
        if i > 0 {
            self.out.push(',');
        }
        push_json_string(&mut self.out, &key);
        self.out.push(':');
        self.value(v, depth + 1)
            .map_err(|f| under(Seg::Key(&key), f))
    }

    /// Dates, decimals, other mappings and sequences, numpy scalars and arrays.
    fn unusual(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> Result<(), Failure> {
        let py = obj.py();
        if obj.is_instance(DATE.import(py, "datetime", "date")?)? {
            // pandas' NaT is a datetime that is not equal to itself.
            if obj.ne(obj)? {
                return if self.na_is_null {
                    self.out.push_str("null");
                    Ok(())
                } else {
                    Err(self.fail("NaT (not a time) has no JSON form"))
                };
            }
            // A datetime at midnight is a date (pandas reads date columns as Timestamps);
            // any other time of day is kept, and the engine says if a date was wanted.
            let is_datetime = obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)?;
            let text: String = if is_datetime {
                let midnight = obj.getattr("hour")?.extract::<u32>()? == 0
                    && obj.getattr("minute")?.extract::<u32>()? == 0
                    && obj.getattr("second")?.extract::<u32>()? == 0
                    && obj.getattr("microsecond")?.extract::<u32>()? == 0
                    && obj.getattr("tzinfo")?.is_none();
                if midnight {
                    obj.call_method0("date")?
                        .call_method0("isoformat")?
                        .extract()?
                } else {
                    obj.call_method0("isoformat")?.extract()?
                }
            } else {
                obj.call_method0("isoformat")?.extract()?
            };
            push_json_string(&mut self.out, &text);
            return Ok(());
        }
        if obj.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)? {
            if !obj.call_method0("is_finite")?.is_truthy()? {
                return Err(self.fail("a decimal NaN or infinity is not a JSON number"));
            }
            let text: String = obj.str()?.extract()?;
            return self.number(&text);
        }
        if obj.cast::<PyBytes>().is_ok() || obj.cast::<PyByteArray>().is_ok() {
            return Err(self.fail("bytes are not JSON (decode them to text first)"));
        }
        if let Ok(m) = obj.cast::<PyMapping>() {
            // `items()` is a list of its own: safe from changes to the mapping.
            self.out.push('{');
            for (i, item) in m.items()?.iter().enumerate() {
                let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                self.member(i, &k, &v, depth)?;
            }
            self.out.push('}');
            return Ok(());
        }
        let type_name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "object".into());
        // pandas' NA (a hole in a nullable column).
        if type_name == "NAType" {
            return if self.na_is_null {
                self.out.push_str("null");
                Ok(())
            } else {
                Err(self.fail("pandas.NA has no JSON form"))
            };
        }
        // numpy scalars and arrays (and pyarrow scalars) know their plain Python value.
        for method in ["tolist", "as_py"] {
            if obj.hasattr(method)? {
                let plain = obj.call_method0(method)?;
                if plain.is(obj) {
                    break;
                }
                return self.value(&plain, depth + 1);
            }
        }
        Err(self.fail(format!("a {type_name} has no JSON form")))
    }

    /// A Python text as Rust text. A text holding a lone surrogate (`"\ud800"`) has no UTF-8
    /// form: a record error (whose message does not show the text).
    fn text<'a>(&self, s: &'a Bound<'_, PyString>) -> Result<Cow<'a, str>, Failure> {
        match s.to_cow() {
            Ok(t) => Ok(t),
            Err(e) if e.is_instance_of::<PyUnicodeError>(s.py()) => Err(self.fail(
                "a text that is not valid Unicode (it holds a lone surrogate) has no JSON form",
            )),
            Err(e) => Err(Failure::Python(e)),
        }
    }

    fn key<'a>(&self, k: &'a Bound<'_, PyAny>) -> Result<Cow<'a, str>, Failure> {
        match k.cast::<PyString>() {
            Ok(s) => self.text(s),
            Err(_) => {
                let shown = k
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "object".into());
                Err(self.fail(format!(
                    "a key of type {shown} is not text (JSON keys are strings)"
                )))
            }
        }
    }

    /// Writes a number given as text, if it is a JSON number.
    fn number(&mut self, text: &str) -> Result<(), Failure> {
        if is_json_number(text) {
            self.out.push_str(text);
            Ok(())
        } else {
            Err(self.fail("not a JSON number"))
        }
    }

    fn float(&mut self, f: &Bound<'_, PyFloat>) -> Result<(), Failure> {
        let v = f.value();
        if v.is_nan() && self.na_is_null {
            self.out.push_str("null");
            return Ok(());
        }
        if !v.is_finite() {
            let shown = if v.is_nan() {
                "nan"
            } else if v > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            return Err(self.fail(format!("{shown} is not a JSON number")));
        }
        // Python's own repr: exactly the digits `json.dumps` writes (shortest round trip, ties to
        // even), which the engine reads as an exact decimal: 89.99 stays 89.99. A subclass
        // (numpy.float64) may print itself otherwise, so ask float's repr.
        let text = if f.is_exact_instance_of::<PyFloat>() {
            f.repr()?
        } else {
            PyFloat::new(f.py(), v).repr()?
        };
        let text = text.to_cow()?;
        self.number(&text)
    }
}

/// The decimal digits of a Python int, as `int.__str__` of the exact type prints them.
fn py_int_text(i: &Bound<'_, PyInt>) -> PyResult<String> {
    let py = i.py();
    py.get_type::<PyInt>()
        .getattr("__str__")?
        .call1((i,))?
        .extract()
}

/// Whether `text` is a JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Writes `s` as a JSON string, escaped as `json.dumps(ensure_ascii=False)` escapes it.
fn push_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Record texts almost never hold a character to escape: copy those whole.
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so `i` is a character boundary.
        out.push_str(&s[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether `bytes` hold a quote, a backslash or a control character, which JSON escapes. Eight
/// bytes at a time: the test for a zero byte (or one below 0x20) is exact for "any of them".
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let special = |x: u64| {
        zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS)
    };
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        if special(u64::from_le_bytes(word)) != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// A JSON value as a Python object: objects → dict (in order), arrays → list, numbers → int when
/// integral, else float (as `json.loads` gives them).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Json::Number(n) => number_to_py(py, n)?,
        Json::String(s) => PyString::new(py, s).into_any(),
        Json::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Json::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    let text = n.to_string();
    if !text.contains(['.', 'e', 'E']) {
        // An integer beyond 64 bits: let Python read the digits.
        return py
            .get_type::<PyInt>()
            .call1((text,))
            .map_err(|_| PyTypeError::new_err("an integer the engine gave could not be read"));
    }
    let f: f64 = text.parse().unwrap_or(f64::NAN);
    Ok(PyFloat::new(py, f).into_any())
}
