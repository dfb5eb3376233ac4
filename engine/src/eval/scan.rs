//! Reading a record from JSON text in one pass over its bytes, straight into the values the
//! evaluators read: the common case, without serde's machinery between the text and the slots.
//!
//! It reads only what is ordinary: strings without escapes, numbers without exponents, nesting
//! no deeper than [`MAX_DEPTH`], each value of its declared type. Anything else (an escape, a
//! wrong type, a required field absent, malformed JSON) makes it give up (`None`) and the record
//! is read again by the serde decoder (`super::record`), which gives the exact value or error. So
//! it needs no error messages of its own, and where it answers it must answer as that decoder
//! does: the tests below, `benches/tests/compiled_agrees.rs` and the `decode` and `compiled` fuzz
//! targets compare the two (`Options::reference_only` selects serde's decoder).

use super::record::{empty_list, field_slot, scalar, Input, Leaf, MAX_LIST_ITEMS};
use crate::ir::{Program, RecordDef, Type};
use crate::value::{
    field_path, index_path, root_path, unknown_fields, List, Missing, Path, Record, Value,
};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

/// Deeper than family records go, and well inside serde_json's limit of 128.
const MAX_DEPTH: u32 = 64;

/// Decodes `text` as a record of type `record`, or `None` where the serde decoder must.
pub(crate) fn decode(program: &Program, text: &str, record: u32) -> Option<Input> {
    let mut s = Scan {
        text,
        at: 0,
        depth: 0,
    };
    s.ws();
    let (value, id) = s.record(program, record, root_path(), true)?;
    s.ws();
    (s.at == text.len()).then_some(Input { value, id })
}

/// The length of a string's text up to its closing quote, or `None` if an escape or a control
/// character comes first, or no quote at all. Eight bytes at a time, as serde_json does it: a
/// byte is flagged if it is a quote, a backslash or below 0x20, and the lowest flag is exact.
fn plain_len(text: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let flags = |x: u64| {
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH
    };
    let mut at = 0;
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let found = flags(u64::from_le_bytes(word));
        if found != 0 {
            at += found.trailing_zeros() as usize / 8;
            return (text.get(at) == Some(&b'"')).then_some(at);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    let first = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    (tail.get(first) == Some(&b'"')).then_some(at + first)
}

/// Whether two byte strings are equal, compared a word at a time in line: field names are
/// short, and a call to `memcmp` for every key cost more than the comparison itself.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    fn word<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
        s.get(at..at + N)?.try_into().ok()
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        // Eight bytes at a time, the last eight overlapping the ones before them.
        let mut at = 0;
        while at + 8 < n {
            if word::<8>(a, at) != word::<8>(b, at) {
                return false;
            }
            at += 8;
        }
        word::<8>(a, n - 8) == word::<8>(b, n - 8)
    } else if n >= 4 {
        word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// Writes `value` into a record's slot. The slot is almost always still unknown, and owns
/// nothing to release; a duplicate key's earlier value is released as usual.
#[inline(always)]
fn put(slot: &mut Value, value: Value) {
    match std::mem::replace(slot, value) {
        Value::Unknown(Missing::None) => {}
        earlier => drop(earlier),
    }
}

struct Scan<'t> {
    text: &'t str,
    at: usize,
    depth: u32,
}

impl<'t> Scan<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips white space and `byte`, if it comes next. Records are mostly written without
    /// white space, so the byte is looked for first.
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() != Some(byte) {
            self.ws();
            if self.peek() != Some(byte) {
                return false;
            }
        }
        self.at += 1;
        true
    }

    /// Reads `word` (`true`, `false`, `null`) if it comes next.
    fn word(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        same(self.text.as_bytes().get(self.at..end)?, word.as_bytes()).then(|| self.at = end)
    }

    /// A string with no escapes and no control characters, at its opening quote.
    fn string(&mut self) -> Option<&'t str> {
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        if bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let end = start + plain_len(bytes.get(start..)?)?;
        self.at = end + 1;
        // Quotes are ASCII, so both ends lie on character boundaries.
        self.text.get(start..end)
    }

    /// A number as written, without an exponent (serde_json rewrites exponents: `1E5` is read
    /// as `1e+5`).
    fn number(&mut self) -> Option<&'t str> {
        let bytes = self.text.as_bytes();
        let digits = |from: usize| {
            from + bytes
                .get(from..)
                .map_or(0, |b| b.iter().take_while(|b| b.is_ascii_digit()).count())
        };
        let start = self.at;
        let mut i = start + usize::from(bytes.get(start) == Some(&b'-'));
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i),
            _ => return None,
        }
        if bytes.get(i) == Some(&b'.') {
            let end = digits(i + 1);
            if end == i + 1 {
                return None;
            }
            i = end;
        }
        // A second leading zero, an exponent or anything else glued on is left to serde_json.
        if matches!(bytes.get(i), Some(b'0'..=b'9' | b'e' | b'E' | b'.')) {
            return None;
        }
        self.at = i;
        self.text.get(start..i)
    }

    /// The items of an object or a list whose `open` bracket comes next: `item` reads each (an
    /// object's key and value, a list's element); the commas, the `close` bracket and the depth
    /// are checked here.
    #[inline(always)]
    fn items(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if self.peek() != Some(open) {
            return None;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        if !self.eat(close) {
            loop {
                self.ws();
                item(self)?;
                if self.eat(close) {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Skips a value the policy does not read, checking that it is well formed.
    fn skip(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.items(b'{', b'}', |s| {
                s.string()?;
                s.eat(b':').then_some(())?;
                s.skip()
            }),
            b'[' => self.items(b'[', b']', Self::skip),
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            _ => self.number().map(drop),
        }
    }

    /// A record of declared type `record` at `path`, and (at the top) its `id`.
    fn record(
        &mut self,
        program: &Program,
        record: u32,
        path: Path,
        top: bool,
    ) -> Option<(Value, Option<String>)> {
        let def = program.records.get(record as usize)?;
        let read = program.read.get(record as usize).filter(|r| !r.is_empty());
        let mut fields = unknown_fields(def.fields.len());
        let mut id = None;
        let mut next_slot = 0;
        self.items(b'{', b'}', |s| {
            // The next declared field, or one of the two after it when fields are absent.
            let expected = (next_slot..next_slot + 3).find_map(|i| s.expected_key(def, i));
            let (name, slot) = match expected {
                Some(found) => found,
                None => {
                    let name = s.string()?;
                    (name, field_slot(def, name, next_slot))
                }
            };
            if name == super::record::NUMBER_TOKEN || !s.eat(b':') {
                return None;
            }
            s.ws();
            if let Some(i) = slot {
                next_slot = i + 1;
            }
            if top && name == "id" {
                // Kept for the output row; anything but a text is left to serde.
                id = Some(s.peek_string()?.to_string());
            }
            let wanted = slot
                .filter(|&i| read.is_none_or(|r| r.get(i).copied().unwrap_or(true)))
                .and_then(|i| Some((i, def.fields.get(i)?)));
            match wanted {
                Some((i, f)) => {
                    let at = || field_path(&path, &f.name);
                    let value = s.value(program, &f.ty, &at, false)?;
                    if let Some(slot) = fields.get_mut(i) {
                        put(slot, value);
                    }
                    Some(())
                }
                None => s.skip(),
            }
        })?;
        // A required field absent is an error: serde's decoder says which.
        if def
            .fields
            .iter()
            .zip(&fields)
            .any(|(f, v)| f.required && v.is_unknown())
        {
            return None;
        }
        let record = Record {
            path,
            record,
            fields,
        };
        Some((Value::Record(Arc::new(record)), id))
    }

    /// The key that comes next if it names the field in slot `slot`, as it does when a record
    /// lists its fields in their declared order: one comparison, no search for its end.
    fn expected_key(&mut self, def: &RecordDef, slot: usize) -> Option<(&'t str, Option<usize>)> {
        let name = &def.fields.get(slot)?.name;
        let start = self.at + 1;
        let end = start + name.len();
        let bytes = self.text.as_bytes();
        // Field names are identifiers: no quote, escape or control character to look for.
        if bytes.get(self.at) != Some(&b'"')
            || !same(bytes.get(start..end)?, name.as_bytes())
            || bytes.get(end) != Some(&b'"')
        {
            return None;
        }
        self.at = end + 1;
        Some((self.text.get(start..end)?, Some(slot)))
    }

    /// The string that comes next, without moving past it.
    fn peek_string(&mut self) -> Option<&'t str> {
        let at = self.at;
        let s = self.string();
        self.at = at;
        s
    }

    /// A value of declared type `ty`, at white space's end. `item`: a list element, whose
    /// unknowns know their path at once (as in the serde decoder).
    // Inlined into its callers, so that a value is written once, where it goes: returned from
    // a call, it was written in 8-byte parts and read back in 16-byte ones, which the processor
    // cannot forward from its store buffer (a stall on every field read).
    #[inline(always)]
    fn value(
        &mut self,
        program: &Program,
        ty: &Type,
        path: &dyn Fn() -> Path,
        item: bool,
    ) -> Option<Value> {
        let null = |s: &mut Self| {
            s.word("null")?;
            Some(if item {
                Value::Unknown(Missing::At(path()))
            } else {
                Value::Unknown(Missing::None)
            })
        };
        match (ty, self.peek()?) {
            (_, b'n') => null(self),
            (Type::Record(r), _) => Some(self.record(program, *r, path(), false)?.0),
            (Type::List(item), _) => self.list(program, item, path),
            (_, b'[' | b'{') => None,
            (_, first) => {
                let leaf = match first {
                    b'"' => Leaf::Text(Cow::Borrowed(self.string()?)),
                    b't' => self.word("true").map(|()| Leaf::Bool(true))?,
                    b'f' => self.word("false").map(|()| Leaf::Bool(false))?,
                    _ => Leaf::Number(Cow::Borrowed(self.number()?)),
                };
                scalar(program, &leaf, ty)
            }
        }
    }

    /// A list whose elements are of type `item`.
    fn list(&mut self, program: &Program, item: &Type, path: &dyn Fn() -> Path) -> Option<Value> {
        // Made only if an element needs it, as in the serde decoder.
        let list_path = OnceCell::new();
        let list_path = || list_path.get_or_init(path);
        let mut items = Vec::new();
        self.items(b'[', b']', |s| {
            let i = items.len();
            if i >= MAX_LIST_ITEMS {
                return None;
            }
            let at = || index_path(list_path(), i);
            items.push(s.value(program, item, &at, true)?);
            Some(())
        })?;
        if items.is_empty() {
            return Some(Value::List(empty_list()));
        }
        Some(Value::List(Arc::new(List::certain(items))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::record::{decode_text, decode_text_serde};
    use crate::Policy;

    fn policy() -> Policy {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        Policy::from_file(root.join("supporting-families/supporting-families.policy"))
            .expect("the shipped policy loads")
    }

    /// What a decoder made of `text`, as text: the value tree (paths and all) and id, or the
    /// error's path and message.
    fn shown(r: Result<Input, crate::RecordError>) -> String {
        match r {
            Ok(i) => format!("{:?} {:?}", i.value, i.id),
            Err(e) => format!("error at {:?}: {}", e.path, e.message),
        }
    }

    const FAMILY: &str = r#"{"id":"F1","assessment_date":"2023-03-19","postcode":"S9 2FU",
        "members":[{"id":"P1","role":"child","date_of_birth":"2015-01-14",
            "education":{"attendance_pct":98.1,"suspensions":["2023-01-01","2022-11-30"],
                "permanent_exclusions":[],"missing_education":false,"sen":"ehcp"},
            "health":{"mental_health_concern":true,"substance_misuse":"none"}},
            {"id":"P2","role":"parent_carer","date_of_birth":"1985-09-07",
             "employment":{"status":"unemployed","out_of_work_benefits":true}}],
        "housing":{"status":"settled","rent_arrears":false,"eviction_notices":[]},
        "incidents":[{"type":"domestic_abuse","date":"2023-02-01","source":"police"}]}"#;

    /// `FAMILY` with `from` replaced by `to` (which must occur).
    fn variant(from: &str, to: &str) -> String {
        assert!(FAMILY.contains(from), "{from} is not in the family");
        FAMILY.replacen(from, to, 1)
    }

    /// Both decoders on `text`: they must agree; returns whether the one-pass one answered.
    fn agree(text: &str) -> bool {
        let p = policy();
        let program = p.program();
        let input = program.input.as_ref().expect("an input").1;
        let fast = decode(program, text, input).is_some();
        assert_eq!(
            shown(decode_text(program, text, input)),
            shown(decode_text_serde(program, text, input)),
            "the decoders differ on {text}"
        );
        fast
    }

    #[test]
    fn a_string_ends_at_its_first_quote_unless_an_escape_or_control_character_comes_first() {
        let naive = |t: &[u8]| {
            let first = t
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            (t[first] == b'"').then_some(first)
        };
        // Every length around the eight-byte steps, with each special byte at every place and
        // bytes on either side of the flagged ranges (0x1f/0x20, 0x21-0x23, 0x5b-0x5d, 0x80+).
        for len in 0..=25 {
            for special in [b'"', b'\\', 0x00, 0x1f, 0x20, b'!', b'#', b'[', b']', 0xc3] {
                for at in 0..len {
                    let mut text: Vec<u8> = (0..len).map(|i| b"a!#[]\x7f "[i % 7]).collect();
                    text[at] = special;
                    text.push(b'"');
                    assert_eq!(plain_len(&text), naive(&text), "{text:?}");
                }
            }
            let unterminated = vec![b'a'; len];
            assert_eq!(plain_len(&unterminated), None);
        }
    }

    #[test]
    fn byte_strings_are_the_same_as_slices_are_equal() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()));
            if n > 0 {
                assert!(!same(&a, &a[..n - 1]));
            }
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "{n} bytes, differing at {at}");
            }
        }
    }

    #[test]
    fn ordinary_records_are_read_in_one_pass_as_serde_reads_them() {
        let spaced = FAMILY.replace(',', " ,\r\n\t").replace(':', " : ");
        let shuffled = variant(
            r#"{"id":"F1","assessment_date":"2023-03-19","#,
            r#"{"unread":{"a":[1,-2.5,true,null,"x",{}],"b":[]},"assessment_date":"2023-03-19","id":"F1","#,
        );
        for text in [
            FAMILY.to_string(),
            spaced,
            shuffled,
            variant("98.1", "98"),
            variant("98.1", "98.10"),
            variant("98.1", "-0"),
            variant("98.1", "0.5"),
            variant("98.1", "123456789012345678901234567"),
            variant("98.1", "null"),
            variant(
                "\"permanent_exclusions\":[]",
                "\"permanent_exclusions\":null",
            ),
            variant("\"2023-01-01\"", "null"),
            variant("{\"status\":\"settled\"", "{\"status\":null"),
            variant("\"housing\":{", "\"housing\":null,\"h\":{"),
            variant("\"S9 2FU\"", "\"Åsa – ünïcödé 🙂\""),
            variant(
                "\"mental_health_concern\":true",
                "\"mental_health_concern\":false,\"mental_health_concern\":true",
            ),
            variant("\"id\":\"F1\"", "\"id\":\"F1\",\"id\":\"F2\""),
        ] {
            assert!(agree(&text), "the one-pass decoder gave up on {text}");
        }
    }

    #[test]
    fn anything_out_of_the_ordinary_is_left_to_serde() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let too_deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for text in [
            // Escapes, exponents and malformed numbers.
            variant("\"S9 2FU\"", r#""S9 \"2FU\"""#),
            variant("\"id\":\"F1\"", r#""\u0069d":"F1""#),
            variant("98.1", "9.81e1"),
            variant("98.1", "9.81E+1"),
            variant("98.1", "098"),
            variant("98.1", "98."),
            variant("98.1", "-"),
            variant("98.1", "98.1.2"),
            variant("98.1", "NaN"),
            // Wrong types, absent required fields, an id that is not a text.
            variant("98.1", "\"98.1\""),
            variant(
                "\"substance_misuse\":\"none\"",
                "\"substance_misuse\":\"often\"",
            ),
            variant("\"2023-01-01\"", "\"2023-02-30\""),
            variant("\"members\":[", "\"members\":{\"x\":["),
            variant("\"housing\":{", "\"housing\":[{"),
            variant("\"assessment_date\":\"2023-03-19\",", ""),
            variant("\"id\":\"F1\"", "\"id\":1"),
            variant(
                "\"id\":\"F1\"",
                "\"$serde_json::private::Number\":\"1\",\"id\":\"F1\"",
            ),
            // Malformed JSON.
            variant("\"postcode\"", "postcode"),
            variant(",\"postcode\"", ",,\"postcode\""),
            variant("\"eviction_notices\":[]", "\"eviction_notices\":[,]"),
            variant(
                "\"eviction_notices\":[]",
                "\"eviction_notices\":[\"2023-01-01\",]",
            ),
            variant("\"source\":\"police\"}", "\"source\":\"police\",}"),
            variant("\"S9 2FU\"", "\"S9\u{1}2FU\""),
            variant("\"postcode\":\"S9 2FU\"", "\"postcode\":tru"),
            variant("\"postcode\":\"S9 2FU\"", &format!("\"unread\":{too_deep}")),
            format!("{FAMILY} {{}}"),
            format!("{FAMILY}x"),
            FAMILY[..FAMILY.len() - 1].to_string(),
            "[]".into(),
            "null".into(),
            "".into(),
            "{}".into(),
        ] {
            assert!(!agree(&text), "the one-pass decoder answered {text}");
        }
        // Nesting deeper than records go, in a field the policy does not read: serde reads it.
        let deep = variant("\"postcode\":\"S9 2FU\"", &format!("\"unread\":{deep}"));
        assert!(!agree(&deep));
    }
}
