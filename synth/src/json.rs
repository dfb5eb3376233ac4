//! A minimal compact JSON writer that also decides which optional fields are left unknown.
//!
//! Records are written straight to bytes: building a `serde_json::Value` per family (a map
//! allocation per object, a `String` per key) would cost more than generating the family.
//! The output is byte-for-byte what `serde_json::to_string` prints for the same value, because
//! every string the generator writes is plain ASCII without quotes, backslashes or control
//! characters, so nothing ever needs escaping.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::date::Date;

/// Which optional fields to hide, drawn from a random stream of its own.
///
/// Every optional field consumes the same two draws whatever the missing rate, and a field is
/// hidden when its first draw falls below the rate. So for one family, raising the rate only
/// hides more: a field hidden at 0.1 is also hidden at 0.2, and every value that is shown is
/// the same at every rate.
pub(crate) struct Mask {
    rng: ChaCha8Rng,
    /// Chance that an optional field outside any sub-record is unknown: the missing rate.
    missing: f64,
    /// Chance that a whole sub-record (a person's `health`, the family's `housing`, …) or the
    /// incident list is unknown.
    record_p: f64,
    /// Chance that a field inside a sub-record that is shown is unknown.
    field_p: f64,
}

impl Mask {
    /// Splits the `missing` rate between sub-records and the fields inside them so that every
    /// leaf field is unknown with probability `missing`:
    /// `(1 - record_p) * (1 - field_p) = 1 - missing`. Whole sub-records go missing too (no
    /// health data shared for a person), less often than fields at realistic rates, and
    /// always at 1.0, which leaves only the required fields.
    pub(crate) fn new(rng: ChaCha8Rng, missing: f64) -> Mask {
        let m = if missing.is_nan() {
            0.0
        } else {
            missing.clamp(0.0, 1.0)
        };
        Mask {
            rng,
            missing: m,
            record_p: m * (1.0 + 3.0 * m) / 4.0,
            field_p: 3.0 * m / (4.0 + 3.0 * m),
        }
    }

    /// Draws whether the next field is hidden at probability `p`, and if so whether it is
    /// written as `null` (otherwise it is left out). Unknown data arrives both ways in practice.
    fn draw(&mut self, p: f64) -> Option<Hidden> {
        let u: f64 = self.rng.gen();
        let as_null: bool = self.rng.gen();
        (u < p).then_some(if as_null {
            Hidden::Null
        } else {
            Hidden::Absent
        })
    }
}

enum Hidden {
    Null,
    Absent,
}

/// Writes one JSON document into a byte buffer, hiding optional fields as the [`Mask`] says.
pub(crate) struct Writer<'a> {
    out: &'a mut Vec<u8>,
    mask: Mask,
    /// A value or key was written at this level, so the next one needs a comma.
    comma: bool,
    /// Inside a hidden sub-record: walk it (to keep the mask draws aligned) but write nothing.
    muted: u32,
    /// How many sub-records (or the incident list) enclose the current field.
    depth: u32,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, mask: Mask) -> Writer<'a> {
        Writer {
            out,
            mask,
            comma: false,
            muted: 0,
            depth: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.muted == 0 {
            self.out.extend_from_slice(bytes);
        }
    }

    fn separate(&mut self) {
        if self.comma {
            self.put(b",");
        }
    }

    /// Writes a key, or a key and `null`, of the current object.
    fn write_key(&mut self, key: &str) {
        self.separate();
        self.put(b"\"");
        self.put(key.as_bytes());
        self.put(b"\":");
        self.comma = false;
    }

    fn value_done(&mut self) {
        self.comma = true;
    }

    pub(crate) fn begin_object(&mut self) {
        self.separate();
        self.put(b"{");
        self.comma = false;
    }

    pub(crate) fn end_object(&mut self) {
        self.put(b"}");
        self.value_done();
    }

    pub(crate) fn begin_array(&mut self) {
        self.separate();
        self.put(b"[");
        self.comma = false;
    }

    pub(crate) fn end_array(&mut self) {
        self.put(b"]");
        self.value_done();
    }

    /// A required field: the key is always written; the caller writes the value.
    pub(crate) fn key(&mut self, key: &str) {
        self.write_key(key);
    }

    /// An optional field: returns true when the caller should write its value; otherwise the
    /// field has been written as `null` or left out.
    pub(crate) fn optional(&mut self, key: &str) -> bool {
        let p = if self.depth > 0 {
            self.mask.field_p
        } else {
            self.mask.missing
        };
        self.shown(key, p)
    }

    fn shown(&mut self, key: &str, p: f64) -> bool {
        match self.mask.draw(p) {
            None => {
                self.write_key(key);
                true
            }
            Some(Hidden::Null) => {
                self.write_key(key);
                self.null();
                false
            }
            Some(Hidden::Absent) => false,
        }
    }

    /// An optional sub-record: `body` writes its fields between the braces.
    pub(crate) fn record(&mut self, key: &str, body: impl FnOnce(&mut Self)) {
        let p = self.mask.record_p;
        self.nested(key, p, |w| {
            w.begin_object();
            body(w);
            w.end_object();
        });
    }

    /// An optional list of objects with optional fields of their own (the incidents): `body`
    /// writes the items between the brackets.
    pub(crate) fn optional_list(&mut self, key: &str, body: impl FnOnce(&mut Self)) {
        let p = self.mask.record_p;
        self.nested(key, p, |w| {
            w.begin_array();
            body(w);
            w.end_array();
        });
    }

    /// An optional value holding optional fields. A hidden one is still walked, silently, so
    /// that the fields after it draw the same mask values at every missing rate.
    fn nested(&mut self, key: &str, p: f64, body: impl FnOnce(&mut Self)) {
        let shown = self.shown(key, p);
        self.depth += 1;
        if shown {
            body(self);
        } else {
            let comma = self.comma;
            self.muted += 1;
            body(self);
            self.muted -= 1;
            // Nothing was written, so the enclosing object's comma state is as it was.
            self.comma = comma;
        }
        self.depth -= 1;
    }

    pub(crate) fn null(&mut self) {
        self.separate();
        self.put(b"null");
        self.value_done();
    }

    pub(crate) fn bool(&mut self, value: bool) {
        self.separate();
        self.put(if value { b"true" } else { b"false" });
        self.value_done();
    }

    /// A string that needs no escaping (ids, codes, enum values, postcodes).
    pub(crate) fn str(&mut self, value: &str) {
        debug_assert!(value
            .bytes()
            .all(|b| b.is_ascii() && b >= b' ' && b != b'"' && b != b'\\'));
        self.separate();
        self.put(b"\"");
        self.put(value.as_bytes());
        self.put(b"\"");
        self.value_done();
    }

    pub(crate) fn date(&mut self, value: Date) {
        self.separate();
        if self.muted == 0 {
            self.out.push(b'"');
            value.write_iso(self.out);
            self.out.push(b'"');
        }
        self.value_done();
    }

    pub(crate) fn dates(&mut self, values: &[Date]) {
        self.begin_array();
        for &d in values {
            self.date(d);
        }
        self.end_array();
    }

    /// An exact decimal with `places` digits after the point, from an integer count of
    /// hundredths (`places` is 1 or 2; with 1 the last digit of `hundredths` must be 0).
    pub(crate) fn decimal(&mut self, hundredths: u64, places: u32) {
        self.separate();
        if self.muted == 0 {
            push_uint(self.out, hundredths / 100);
            self.out.push(b'.');
            let cents = hundredths % 100;
            self.out.push(b'0' + (cents / 10) as u8);
            if places == 2 {
                self.out.push(b'0' + (cents % 10) as u8);
            }
        }
        self.value_done();
    }
}

impl Writer<'_> {
    /// A whole number, possibly negative.
    pub(crate) fn int(&mut self, value: i64) {
        self.separate();
        if self.muted == 0 {
            if value < 0 {
                self.out.push(b'-');
            }
            push_uint(self.out, value.unsigned_abs());
        }
        self.value_done();
    }
}

/// Decimal digits of `n`, without going through `format!`.
fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}
