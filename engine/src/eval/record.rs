//! Reading a JSON record into runtime values, guided by the record types the policy declares.
//! Fields the policy does not declare are ignored; a declared field of the wrong JSON type is an
//! error naming its path and the JSON type found — never its content, which is personal data.

use crate::ir::{Program, Type};
use crate::value::{
    field_path, index_path, parse_date, parse_decimal, Missing, Path, Record, Value,
};
use crate::RecordError;
use serde_json::Value as Json;
use std::sync::Arc;

pub(crate) fn decode_input(
    program: &Program,
    json: &Json,
    record: u32,
) -> Result<Value, RecordError> {
    let Json::Object(_) = json else {
        return Err(RecordError::new(
            None,
            format!(
                "the record is not a JSON object (found {})",
                json_type(json)
            ),
        ));
    };
    decode_record(program, json, record, crate::value::root_path())
}

fn decode_record(
    program: &Program,
    json: &Json,
    record: u32,
    path: Path,
) -> Result<Value, RecordError> {
    let Json::Object(map) = json else {
        let name = program
            .records
            .get(record as usize)
            .map_or("?", |r| r.name.as_str());
        return Err(RecordError::new(
            Some(path.to_string()),
            format!("expected a {name} object, found {}", json_type(json)),
        ));
    };
    let Some(def) = program.records.get(record as usize) else {
        return Ok(Value::unknown());
    };
    let mut fields = Vec::with_capacity(def.fields.len());
    for f in &def.fields {
        let value = match map.get(&*f.name) {
            None | Some(Json::Null) => {
                if f.required {
                    let p = field_path(&path, &f.name).to_string();
                    return Err(RecordError::new(
                        Some(p),
                        "a required field is missing".to_string(),
                    ));
                }
                // The path is made only if a rule reads the field (see `eval::field`).
                Value::Unknown(Missing::None)
            }
            Some(v) => decode_value(program, v, &f.ty, &|| field_path(&path, &f.name))?,
        };
        fields.push(value);
    }
    Ok(Value::Record(Arc::new(Record {
        path,
        record,
        fields: fields.into_boxed_slice(),
    })))
}

fn decode_value(
    program: &Program,
    json: &Json,
    ty: &Type,
    path: &dyn Fn() -> Path,
) -> Result<Value, RecordError> {
    let wrong = |expected: &str| {
        RecordError::new(
            Some(path().to_string()),
            format!("expected {expected}, found {}", json_type(json)),
        )
    };
    Ok(match ty {
        Type::Bool => Value::Bool(json.as_bool().ok_or_else(|| wrong("true or false"))?),
        Type::Number | Type::Percent | Type::Money => {
            let Json::Number(n) = json else {
                return Err(wrong("a number"));
            };
            let d = parse_decimal(&n.to_string()).ok_or_else(|| {
                RecordError::new(
                    Some(path().to_string()),
                    "the number is too large or too precise (at most 28 significant digits)"
                        .to_string(),
                )
            })?;
            Value::Num(d)
        }
        Type::Text => Value::Text(json.as_str().ok_or_else(|| wrong("a text"))?.into()),
        Type::Date => {
            let s = json
                .as_str()
                .ok_or_else(|| wrong("a date (\"YYYY-MM-DD\")"))?;
            let d = parse_date(s).ok_or_else(|| {
                RecordError::new(
                    Some(path().to_string()),
                    "not a date: expected \"YYYY-MM-DD\" with a real calendar day".to_string(),
                )
            })?;
            Value::Date(d)
        }
        Type::Enum(e) | Type::Level(e) => {
            let def = if matches!(ty, Type::Enum(_)) {
                program.enums.get(*e as usize)
            } else {
                program.scales.get(*e as usize)
            };
            let Some(def) = def else {
                return Ok(Value::unknown());
            };
            let s = json
                .as_str()
                .ok_or_else(|| wrong(&format!("one of {}", def.values.join(", "))))?;
            match def.values.iter().position(|v| **v == *s) {
                Some(i) => Value::Symbol(i as u32),
                None => {
                    let msg = format!(
                        "not a value of {} (expected one of {})",
                        def.name,
                        def.values.join(", ")
                    );
                    return Err(RecordError::new(Some(path().to_string()), msg));
                }
            }
        }
        Type::Record(r) => decode_record(program, json, *r, path())?,
        Type::List(item) => {
            let Json::Array(items) = json else {
                return Err(wrong("a list"));
            };
            let list_path = path();
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                let at = || index_path(&list_path, i);
                out.push(match x {
                    Json::Null => Value::Unknown(Missing::At(at())),
                    _ => decode_value(program, x, item, &at)?,
                });
            }
            Value::List(Arc::new(crate::value::List::certain(out)))
        }
        Type::Duration | Type::Group | Type::Need | Type::Error => Value::unknown(),
    })
}

pub(crate) fn json_type(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "true/false",
        Json::Number(_) => "a number",
        Json::String(_) => "a text",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}
