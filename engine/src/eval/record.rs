//! Reading a record into runtime values, guided by the record types the policy declares.
//!
//! One streaming decoder serves JSON text and already-parsed JSON alike (both are serde
//! deserializers): no intermediate tree is built, and fields the policy never reads are skipped
//! without being decoded. A field the policy reads (or a `required` one) must have its declared
//! type: otherwise the record is rejected with an error naming the path and the JSON type found —
//! never the content, which is personal data.

use crate::ir::{Program, RecordDef, Type};
use crate::value::{
    field_path, index_path, parse_date, parse_decimal, unknown_fields, List, Missing, Path, Record,
    Value,
};
use crate::RecordError;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// The decoded input and its top-level `id` (kept for the output row even if undeclared).
#[derive(Clone)]
pub(crate) struct Input {
    pub value: Value,
    pub id: Option<String>,
}

/// Decodes JSON text: in one pass over the bytes where the record is ordinary
/// ([`super::scan`]), else with serde, which also gives every error.
pub(crate) fn decode_text(
    program: &Program,
    text: &str,
    record: u32,
) -> Result<Input, RecordError> {
    match super::scan::decode(program, text, record) {
        Some(input) => Ok(input),
        None => decode_text_serde(program, text, record),
    }
}

/// Decodes JSON text with serde.
pub(crate) fn decode_text_serde(
    program: &Program,
    text: &str,
    record: u32,
) -> Result<Input, RecordError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let cx = Context::new(program);
    let result = RecordSeed {
        cx: &cx,
        record,
        path: crate::value::root_path(),
        top: true,
    }
    .deserialize(&mut de);
    let result = result.and_then(|input| de.end().map(|()| input));
    finish(
        &cx,
        result.map_err(|e| (json_error_kind(&e), e.line(), e.column())),
    )
}

/// Decodes an already-parsed JSON value.
pub(crate) fn decode_json(
    program: &Program,
    json: &Json,
    record: u32,
) -> Result<Input, RecordError> {
    let cx = Context::new(program);
    let result = RecordSeed {
        cx: &cx,
        record,
        path: crate::value::root_path(),
        top: true,
    }
    .deserialize(json);
    finish(&cx, result.map_err(|_| ("unexpected data", 0, 0)))
}

fn finish(
    cx: &Context<'_>,
    result: Result<Input, (&'static str, usize, usize)>,
) -> Result<Input, RecordError> {
    match result {
        Ok(input) => Ok(input),
        Err((kind, line, column)) => Err(cx.error.borrow_mut().take().unwrap_or_else(|| {
            RecordError::new(
                None,
                format!("not valid JSON ({kind} at line {line} column {column})"),
            )
        })),
    }
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    if e.to_string().starts_with("recursion limit exceeded") {
        return "nested more than 128 levels deep";
    }
    match e.classify() {
        serde_json::error::Category::Eof => "it ends too soon",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

/// What every visitor shares: the program, and the record error that stopped decoding (serde's
/// own error type cannot carry it, so it waits here).
struct Context<'p> {
    program: &'p Program,
    error: RefCell<Option<RecordError>>,
}

impl<'p> Context<'p> {
    fn new(program: &'p Program) -> Context<'p> {
        Context {
            program,
            error: RefCell::new(None),
        }
    }

    fn fail<E: de::Error>(&self, path: Option<String>, message: String) -> E {
        *self.error.borrow_mut() = Some(RecordError::new(path, message));
        E::custom("record error")
    }
}

struct RecordSeed<'c, 'p> {
    cx: &'c Context<'p>,
    record: u32,
    path: Path,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = Input;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Input, D::Error> {
        d.deserialize_any(self)
    }
}

/// The visitor methods of a JSON true/false, number or text where the visitor wants something
/// else: each the error `$wrong` gives, naming what was found.
macro_rules! scalars_are_errors {
    ($out:ty, $wrong:ident) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$out, E> {
            Err(self.$wrong("true/false"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$out, E> {
            Err(self.$wrong("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$out, E> {
            Err(self.$wrong("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$out, E> {
            Err(self.$wrong("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$out, E> {
            Err(self.$wrong("a text"))
        }
    };
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let program = self.cx.program;
        let Some(def) = program.records.get(self.record as usize) else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Input {
                value: Value::unknown(),
                id: None,
            });
        };
        let read = program
            .read
            .get(self.record as usize)
            .filter(|r| !r.is_empty());
        let mut fields = unknown_fields(def.fields.len());
        let mut id = None;
        let mut first = true;
        // Where the next key is looked for first: records usually list fields in their declared
        // order, so most keys match at the first comparison.
        let mut next_slot = 0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let name = key.as_str();
            if std::mem::take(&mut first) && name == NUMBER_TOKEN {
                map.next_value::<IgnoredAny>()?;
                return Err(self.not_an_object("a number"));
            }
            let slot = field_slot(def, name, next_slot);
            if let Some(i) = slot {
                next_slot = i + 1;
            }
            let wanted =
                slot.is_some_and(|i| read.is_none_or(|r| r.get(i).copied().unwrap_or(true)));
            if self.top && name == "id" {
                // Kept for the output row whatever its declared type, then decoded as declared.
                let raw: Json = map.next_value()?;
                id = match &raw {
                    Json::String(s) => Some(s.clone()),
                    Json::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                if let (Some(i), true) = (slot, wanted) {
                    let f = &def.fields[i];
                    fields[i] = FieldSeed {
                        cx: self.cx,
                        ty: &f.ty,
                        path: &|| field_path(&self.path, &f.name),
                        item: false,
                    }
                    .deserialize(&raw)
                    .map_err(de::Error::custom)?;
                }
                continue;
            }
            match (slot, wanted) {
                (Some(i), true) => {
                    let f = &def.fields[i];
                    let seed = FieldSeed {
                        cx: self.cx,
                        ty: &f.ty,
                        path: &|| field_path(&self.path, &f.name),
                        item: false,
                    };
                    fields[i] = map.next_value_seed(seed)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Null, absent and unknown alike leave a field unknown.
        if let Some(f) = def
            .fields
            .iter()
            .zip(&fields)
            .find(|(f, v)| f.required && v.is_unknown())
            .map(|(f, _)| f)
        {
            let path = field_path(&self.path, &f.name).to_string();
            return Err(self
                .cx
                .fail(Some(path), "a required field is missing".into()));
        }
        let record = Record {
            path: self.path,
            record: self.record,
            fields,
        };
        Ok(Input {
            value: Value::Record(Arc::new(record)),
            id,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Input, E> {
        if self.top {
            return Err(self
                .cx
                .fail(None, "the record is not a JSON object (found null)".into()));
        }
        Ok(Input {
            value: Value::Unknown(Missing::None),
            id: None,
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<Input, E> {
        self.visit_unit()
    }

    scalars_are_errors!(Input, not_an_object);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Err(self.not_an_object("a list"))
    }
}

/// The slot of the field called `name`, searched from slot `from` on and then from the start.
pub(super) fn field_slot(def: &RecordDef, name: &str, from: usize) -> Option<usize> {
    let n = def.fields.len();
    (from.min(n)..n)
        .chain(0..from.min(n))
        .find(|&i| *def.fields[i].name == *name)
}

impl RecordSeed<'_, '_> {
    fn not_an_object<E: de::Error>(&self, found: &str) -> E {
        if self.top {
            return self.cx.fail(
                None,
                format!("the record is not a JSON object (found {found})"),
            );
        }
        let name = self
            .cx
            .program
            .records
            .get(self.record as usize)
            .map_or("?", |r| r.name.as_str());
        self.cx.fail(
            Some(self.path.to_string()),
            format!("expected a {name} object, found {found}"),
        )
    }
}

/// An object key, borrowed from the text when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// One field's value, decoded as its declared type.
struct FieldSeed<'c, 'p, 'f> {
    cx: &'c Context<'p>,
    ty: &'f Type,
    path: &'f dyn Fn() -> Path,
    /// A list element: an unknown element knows its own path at once (fields make theirs lazily).
    item: bool,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.ty {
            Type::Record(r) => {
                let seed = RecordSeed {
                    cx: self.cx,
                    record: *r,
                    path: (self.path)(),
                    top: false,
                };
                let value = d.deserialize_any(seed)?.value;
                Ok(self.unknown_here(value))
            }
            Type::List(_) => d.deserialize_any(self),
            _ => {
                let leaf = d.deserialize_any(LeafVisitor)?;
                leaf_value(self.cx, &leaf, self.ty, self.path, self.item)
            }
        }
    }
}

impl FieldSeed<'_, '_, '_> {
    fn unknown_here(&self, value: Value) -> Value {
        match value {
            Value::Unknown(Missing::None) if self.item => {
                Value::Unknown(Missing::At((self.path)()))
            }
            other => other,
        }
    }
}

/// Lists: each element decoded as the element type.
impl<'de> Visitor<'de> for FieldSeed<'_, '_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Type::List(item) = self.ty else {
            return Ok(Value::unknown());
        };
        // Made only if an element needs it (a record, an unknown, an error): most lists hold
        // known dates, whose paths are never asked for.
        let list_path = std::cell::OnceCell::new();
        let list_path = || list_path.get_or_init(|| (self.path)());
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = items.len();
            if i >= MAX_LIST_ITEMS {
                let message = format!("the list has more than {MAX_LIST_ITEMS} items");
                return Err(self.cx.fail(Some(list_path().to_string()), message));
            }
            let at = || index_path(list_path(), i);
            let seed = FieldSeed {
                cx: self.cx,
                ty: item,
                path: &at,
                item: true,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        if items.is_empty() {
            return Ok(Value::List(empty_list()));
        }
        Ok(Value::List(Arc::new(List::certain(items))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(self.unknown_here(Value::Unknown(Missing::None)))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    scalars_are_errors!(Value, not_a_list);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let found = match map.next_key::<Key<'de>>()? {
            Some(k) if k.as_str() == NUMBER_TOKEN => "a number",
            _ => "an object",
        };
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(self.not_a_list(found))
    }
}

impl FieldSeed<'_, '_, '_> {
    fn not_a_list<E: de::Error>(&self, found: &str) -> E {
        self.cx.fail(
            Some((self.path)().to_string()),
            format!("expected a list, found {found}"),
        )
    }
}

/// One empty list per thread for every `[]` in the records it decodes: records hold many.
pub(super) fn empty_list() -> Arc<List> {
    thread_local! {
        static EMPTY_LIST: Arc<List> = Arc::new(List::certain(Vec::new()));
    }
    EMPTY_LIST.with(Arc::clone)
}

/// The longest list a record may hold.
pub(super) const MAX_LIST_ITEMS: usize = 100_000;

/// With exact numbers on (serde_json's `arbitrary_precision`), a number arrives as a one-entry map
/// under this key, its value the number's text.
pub(super) const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A scalar as written, before it is checked against the declared type.
pub(super) enum Leaf<'de> {
    Null,
    Bool(bool),
    Text(Cow<'de, str>),
    Number(Cow<'de, str>),
    /// A list or an object where a scalar was expected.
    Other(&'static str),
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(Cow::Owned(n.to_string())))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(Cow::Owned(n.to_string())))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Leaf<'de>, E> {
        // Shortest text that reads back as the same float: 89.99 stays 89.99.
        Ok(Leaf::Number(Cow::Owned(n.to_string())))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Text(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Text(Cow::Owned(s.to_string())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Text(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf<'de>, A::Error> {
        match map.next_key::<Key<'de>>()? {
            Some(k) if k.as_str() == NUMBER_TOKEN => {
                Ok(Leaf::Number(Cow::Owned(map.next_value()?)))
            }
            Some(_) => {
                map.next_value::<IgnoredAny>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Leaf::Other("an object"))
            }
            None => Ok(Leaf::Other("an object")),
        }
    }
}

fn leaf_type(leaf: &Leaf<'_>) -> &'static str {
    match leaf {
        Leaf::Null => "null",
        Leaf::Bool(_) => "true/false",
        Leaf::Text(_) => "a text",
        Leaf::Number(_) => "a number",
        Leaf::Other(what) => what,
    }
}

/// A scalar as its declared type, or `None` where it is not one: [`leaf_value`] then says why,
/// and the one-pass decoder (`super::scan`) leaves the record to serde. Inlined where it is
/// used, so that the value is written where it goes, not returned through the stack.
#[inline(always)]
pub(super) fn scalar(program: &Program, leaf: &Leaf<'_>, ty: &Type) -> Option<Value> {
    Some(match (ty, leaf) {
        (Type::Bool, Leaf::Bool(b)) => Value::Bool(*b),
        (Type::Number | Type::Percent | Type::Money, Leaf::Number(n)) => {
            Value::Num(parse_decimal(n)?)
        }
        (Type::Text, Leaf::Text(s)) => Value::Text(s.as_ref().into()),
        (Type::Date, Leaf::Text(s)) => Value::Date(parse_date(s)?),
        (Type::Enum(_) | Type::Level(_), Leaf::Text(s)) => {
            Value::Symbol(program.values_of(ty)?.symbol(s)?)
        }
        _ => return None,
    })
}

/// Checks a scalar against its declared type.
fn leaf_value<E: de::Error>(
    cx: &Context<'_>,
    leaf: &Leaf<'_>,
    ty: &Type,
    path: &dyn Fn() -> Path,
    item: bool,
) -> Result<Value, E> {
    match leaf {
        Leaf::Null if item => return Ok(Value::Unknown(Missing::At(path()))),
        Leaf::Null => return Ok(Value::Unknown(Missing::None)),
        _ => {}
    }
    let program = cx.program;
    if let Some(value) = scalar(program, leaf, ty) {
        return Ok(value);
    }
    let wrong = |expected: &str| {
        cx.fail(
            Some(path().to_string()),
            format!("expected {expected}, found {}", leaf_type(leaf)),
        )
    };
    Err(match (ty, leaf) {
        (Type::Bool, _) => wrong("true or false"),
        (Type::Number | Type::Percent | Type::Money, Leaf::Number(_)) => {
            let msg = "the number is too large or too precise (at most 28 significant digits)";
            cx.fail(Some(path().to_string()), msg.to_string())
        }
        (Type::Number | Type::Percent | Type::Money, _) => wrong("a number"),
        (Type::Text, _) => wrong("a text"),
        (Type::Date, Leaf::Text(_)) => {
            let msg = "not a date: expected \"YYYY-MM-DD\" with a real calendar day";
            cx.fail(Some(path().to_string()), msg.to_string())
        }
        (Type::Date, _) => wrong("a date (\"YYYY-MM-DD\")"),
        (Type::Enum(_) | Type::Level(_), leaf) => {
            let Some(def) = program.values_of(ty) else {
                return Ok(Value::unknown());
            };
            match leaf {
                Leaf::Text(_) => {
                    let msg = format!(
                        "not a value of {} (expected one of {})",
                        def.name,
                        def.values.join(", ")
                    );
                    cx.fail(Some(path().to_string()), msg)
                }
                _ => wrong(&format!("one of {}", def.values.join(", "))),
            }
        }
        _ => return Ok(Value::unknown()),
    })
}
