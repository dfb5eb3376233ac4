//! The rhai yardstick: the Supporting Families rules (v2) written as a rhai script
//! (`benches/rhai/supporting-families.rhai`), compiled once and called once per
//! family — what a team would get by embedding a scripting language instead of
//! writing a rules engine.
//!
//! The record goes into the script as a rhai object map. Two ways in:
//! - [`to_dynamic`] converts an already-parsed `serde_json::Value` (the
//!   benchmarks' "prepared record" case);
//! - [`parse`] reads JSON text straight into a `Dynamic` with one serde pass, no
//!   intermediate `serde_json::Value` (the "end to end" case) — the fastest way
//!   in that a team would reasonably write, so the yardstick is not a straw man.
//!
//! JSON `null` becomes `()` (unknown), as does an absent field when the script
//! reads it. Numbers are exact: an integer literal becomes a rhai `INT`, any
//! other number a rhai `Decimal` (the `decimal` feature: rust_decimal, 28
//! significant digits) built from the literal's own text — never through `f64`
//! — so the script's `attendance_pct < 90` is exact (89.99 < 90; 90.0 is not
//! < 90). (rhai's own `rhai::serde::to_dynamic` is not used: under serde_json's
//! `arbitrary_precision`, which this workspace enables, it turns every number
//! into a one-key map, and without that feature it goes through `f64`.)
//!
//! The yardstick does not validate the record (types, enum values, real dates):
//! it trusts the shape, which only flatters rhai's speed. The host gives the
//! script the calendar of `english-calendar.md` (`compulsory_school_age`,
//! `year_group` over date strings), as an embedding team would; a record
//! outside the programme's period is an `Err`, as it is for the native oracle.
//!
//! ```
//! use earlyhelp_benches::rhai_yardstick::Yardstick;
//!
//! let rhai = Yardstick::new();
//! let out = rhai
//!     .evaluate_json(
//!         r#"{"id": "F1", "assessment_date": "2024-06-01",
//!             "members": [{"id": "C1", "role": "child", "date_of_birth": "2014-01-01",
//!                          "education": {"attendance_pct": 90.0}}],
//!             "housing": {"status": "homeless"},
//!             "finances": {"problem_debt": true}}"#,
//!     )
//!     .unwrap();
//! assert_eq!(out.eligible, Some(true));
//! assert_eq!(out.headlines, ["education", "housing", "financial"]);
//! assert_eq!(out.needs, ["persistent_absence", "housing_need", "problem_debt"]);
//! ```

use std::borrow::Cow;
use std::fmt;

use rhai::{Array, CallFnOptions, Dynamic, Engine, ImmutableString, Map, Scope, AST};
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::{calendar, native};

/// The script's text.
pub const SCRIPT: &str = include_str!("../rhai/supporting-families.rhai");

/// The rhai engine with the script compiled once.
pub struct Yardstick {
    engine: Engine,
    ast: AST,
}

/// The decisions the script returns for one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `Some(true)` eligible, `Some(false)` not, `None` undetermined.
    pub eligible: Option<bool>,
    /// Headline ids known to be met, in the spec's table order.
    pub headlines: Vec<ImmutableString>,
    /// Need ids known to be present, in the spec's table order.
    pub needs: Vec<ImmutableString>,
}

impl Outcome {
    /// The same decisions as the native implementation gave.
    pub fn agrees_with(&self, native: &native::Outcome) -> bool {
        self.eligible == native.eligible
            && self
                .headlines
                .iter()
                .map(|s| s.as_str())
                .eq(native.headlines.iter().copied())
            && self
                .needs
                .iter()
                .map(|s| s.as_str())
                .eq(native.needs.iter().copied())
    }
}

impl Default for Yardstick {
    fn default() -> Self {
        Yardstick::new()
    }
}

impl Yardstick {
    /// A standard rhai engine (`Engine::new()`: all standard packages, default
    /// optimisation) with the script compiled to an AST.
    pub fn new() -> Yardstick {
        let mut engine = Engine::new();
        // Debug builds default to a nesting limit (16 inside functions) that the
        // rules' nested Kleene calls exceed; release builds allow 32.
        engine.set_max_expr_depths(128, 128);
        // The calendar, from the host; a date that is not YYYY-MM-DD gives unknown.
        let day = |s: &str| s.parse::<chrono::NaiveDate>().ok();
        engine.register_fn(
            "compulsory_school_age",
            move |dob: ImmutableString, on: ImmutableString| -> Dynamic {
                match (day(&dob), day(&on)) {
                    (Some(dob), Some(on)) => calendar::compulsory_school_age(dob, on).into(),
                    _ => Dynamic::UNIT,
                }
            },
        );
        engine.register_fn(
            "year_group",
            move |dob: ImmutableString, on: ImmutableString| -> Dynamic {
                match (day(&dob), day(&on)) {
                    (Some(dob), Some(on)) => rhai::INT::from(calendar::year_group(dob, on)).into(),
                    _ => Dynamic::UNIT,
                }
            },
        );
        let ast = engine
            .compile(SCRIPT)
            .unwrap_or_else(|e| panic!("the rhai script does not compile: {e}"));
        Yardstick { engine, ast }
    }

    /// Runs the script's `evaluate` on a family already converted to a rhai map
    /// (by [`to_dynamic`] or [`parse`]). rhai passes arguments by value, so the
    /// map is consumed.
    pub fn evaluate(&self, family: Dynamic) -> Result<Outcome, String> {
        let mut scope = Scope::new();
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(false);
        let result: Map = self
            .engine
            .call_fn_with_options(options, &mut scope, &self.ast, "evaluate", (family,))
            .map_err(|e| e.to_string())?;
        outcome(result)
    }

    /// [`parse`] then [`Yardstick::evaluate`]: JSON text to decisions.
    pub fn evaluate_json(&self, text: &str) -> Result<Outcome, String> {
        self.evaluate(parse(text)?)
    }
}

fn outcome(mut map: Map) -> Result<Outcome, String> {
    let mut take = |name: &str| {
        map.remove(name)
            .ok_or_else(|| format!("no `{name}` in the script's result"))
    };
    let eligible = take("eligible")?;
    let eligible = if eligible.is_unit() {
        None
    } else {
        Some(
            eligible
                .as_bool()
                .map_err(|t| format!("`eligible` is a {t}"))?,
        )
    };
    let mut list = |name: &str| -> Result<Vec<ImmutableString>, String> {
        take(name)?
            .into_array()
            .map_err(|t| format!("`{name}` is a {t}"))?
            .into_iter()
            .map(|v| {
                v.into_immutable_string()
                    .map_err(|t| format!("`{name}` holds a {t}"))
            })
            .collect()
    };
    let headlines = list("headlines")?;
    let needs = list("needs")?;
    Ok(Outcome {
        eligible,
        headlines,
        needs,
    })
}

// ---------------------------------------------------------------------------
// JSON → rhai.
// ---------------------------------------------------------------------------

/// A JSON number from its literal text: an `INT` when it is an integer literal
/// that fits, otherwise an exact `Decimal`.
fn number(text: &str) -> Result<Dynamic, String> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<rhai::INT>() {
            return Ok(Dynamic::from_int(i));
        }
    }
    let exact = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    exact
        .map(Dynamic::from_decimal)
        .map_err(|_| format!("the number {text} cannot be held exactly as a decimal"))
}

/// Converts a parsed JSON value to the rhai value the script reads.
pub fn to_dynamic(value: &Value) -> Result<Dynamic, String> {
    Ok(match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        // With `arbitrary_precision`, `as_str` is the literal's own text.
        Value::Number(n) => number(n.as_str())?,
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(items) => {
            Dynamic::from_array(items.iter().map(to_dynamic).collect::<Result<Array, _>>()?)
        }
        Value::Object(fields) => {
            let mut map = Map::new();
            for (k, v) in fields {
                map.insert(k.as_str().into(), to_dynamic(v)?);
            }
            Dynamic::from_map(map)
        }
    })
}

/// Reads one JSON text straight into the rhai value the script reads.
pub fn parse(text: &str) -> Result<Dynamic, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = RhaiSeed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The key serde_json uses to hand over a number's literal text under
/// `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

struct RhaiSeed;

impl<'de> DeserializeSeed<'de> for RhaiSeed {
    type Value = Dynamic;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Dynamic, D::Error> {
        d.deserialize_any(RhaiVisitor)
    }
}

struct RhaiVisitor;

impl<'de> Visitor<'de> for RhaiVisitor {
    type Value = Dynamic;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::UNIT)
    }
    fn visit_none<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::UNIT)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Dynamic, E> {
        Ok(Dynamic::from_bool(b))
    }
    fn visit_str<E>(self, s: &str) -> Result<Dynamic, E> {
        Ok(Dynamic::from(ImmutableString::from(s)))
    }
    // Only without `arbitrary_precision` (numbers otherwise come as a map).
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Dynamic, E> {
        Ok(Dynamic::from_int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Dynamic, E> {
        number(&u.to_string()).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Dynamic, E> {
        // The shortest text that reads back as `f`: the literal, for any literal
        // an f64 can tell apart.
        number(&f.to_string()).map_err(E::custom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dynamic, A::Error> {
        let mut items = Array::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(RhaiSeed)? {
            items.push(item);
        }
        Ok(Dynamic::from_array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Dynamic, A::Error> {
        let mut map = Map::new();
        let mut first = true;
        while let Some(Key(key)) = access.next_key()? {
            if first && key == NUMBER_TOKEN {
                let Key(text) = access.next_value()?;
                return number(&text).map_err(de::Error::custom);
            }
            first = false;
            let value = access.next_value_seed(RhaiSeed)?;
            map.insert(key.as_ref().into(), value);
        }
        Ok(Dynamic::from_map(map))
    }
}

/// A string that borrows from the input when it can (keys without escapes).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> String {
        let d = parse(text).unwrap();
        format!("{} {}", d.type_name(), d)
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(num("89.99"), "decimal 89.99");
        assert_eq!(num("90"), "i64 90");
        assert_eq!(num("-3"), "i64 -3");
        assert_eq!(num("8.999E+1"), "decimal 89.99");
        assert_eq!(num("0.1"), "decimal 0.1");
        assert!(parse("1e40").is_err());
        // The same through an already-parsed value.
        let v: Value = serde_json::from_str("[89.99, 90, 9e1]").unwrap();
        assert_eq!(to_dynamic(&v).unwrap().to_string(), "[89.99, 90, 90]");
    }

    #[test]
    fn maps_nulls_and_strings() {
        let text = r#"{"a": null, "b": [true, "x\"y"], "c\u0041": {}}"#;
        let d = parse(text).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(d.to_string(), to_dynamic(&v).unwrap().to_string());
        let map = d.cast::<Map>();
        assert!(map["a"].is_unit());
        assert!(map.contains_key("cA"));
        assert!(parse("{} x").is_err());
    }
}
