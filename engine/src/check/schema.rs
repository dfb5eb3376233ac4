//! `use types from "x.schema.json"`: the records and enums a policy reads, declared by a JSON
//! Schema (draft 2020-12) instead of `record` and `enum` lines.
//!
//! The schema is turned into the declarations a policy author would have written — the text of a
//! small policy module — and that module is checked like any imported file. So a schema-declared
//! record behaves exactly as a written one, and what the schema says is readable as policy text.
//!
//! The mapping (docs/language.md, "Record types from a JSON Schema"):
//! - the root schema becomes a record named by its `title`; each `$defs` entry a record (an
//!   object schema) or an enum (a string enum), named by its key;
//! - `"type": [T, "null"]` is a field that may be unknown; a field in `required` is `required`;
//! - `boolean` → `bool`; `number`, `integer` → `number`, or `money` / `percent` where the schema
//!   says so with `"x-earlyhelp-unit": "money"` (or `"percent"`); `string` → `text`; a string with
//!   `"format": "date"` → `date`; `array` with `items` → `list of …`; `$ref` to a `$defs` entry →
//!   that record or enum;
//! - a string `enum` (or `oneOf` of `const`s, whose `title` or `description` becomes the value's
//!   label) inline in a property is an enum named by the schema's `title`, else by the record and
//!   the field in one word (`Person.role` → `PersonRole`);
//! - anything else (`anyOf`, an object without properties, a `$ref` outside `$defs`, …) is a
//!   diagnostic pointing at the place in the schema.

use earlyhelp_grammar::ast::Span;
use serde_json::{Map, Value as Json};
use std::fmt::Write as _;

/// A place in the schema that cannot be mapped, and why.
pub(crate) struct Unmapped {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// The keyword that gives a number its unit.
const UNIT: &str = "x-earlyhelp-unit";

/// The policy text declaring the schema's records and enums, or why it cannot be read at all;
/// with the places that could not be mapped.
pub(crate) fn to_policy(schema_text: &str) -> Result<(String, Vec<Unmapped>), Unmapped> {
    let root: Json = serde_json::from_str(schema_text).map_err(|e| Unmapped {
        span: Span::new(0, 0),
        message: format!("the schema is not JSON: {e}"),
        help: None,
    })?;
    let Some(title) = root.get("title").and_then(Json::as_str) else {
        return Err(Unmapped {
            span: Span::new(0, 0),
            message: "the schema has no `title`, which names its record".into(),
            help: Some("add `\"title\": \"Family\"` (or the record's name) at the top".into()),
        });
    };
    let mut out = Mapper {
        text: schema_text,
        defs: root
            .get("$defs")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
        decls: String::new(),
        enums: Vec::new(),
        unmapped: Vec::new(),
    };
    out.record(title, &root, &["".to_string()]);
    let defs = out.defs.clone();
    for (name, def) in &defs {
        let at = ["$defs".to_string(), name.clone()];
        if def.get("enum").is_some() || def.get("oneOf").is_some() {
            out.enumeration(name, def, &at);
        } else {
            out.record(name, def, &at);
        }
    }
    Ok((out.decls, out.unmapped))
}

struct Mapper<'a> {
    text: &'a str,
    defs: Map<String, Json>,
    decls: String,
    /// Inline enums declared so far: name and values.
    enums: Vec<(String, Vec<String>)>,
    unmapped: Vec<Unmapped>,
}

impl Mapper<'_> {
    fn record(&mut self, name: &str, schema: &Json, at: &[String]) {
        let Some(props) = schema.get("properties").and_then(Json::as_object) else {
            self.unmapped(
                at,
                format!("`{name}` has no `properties`, so it is not a record"),
                None,
            );
            return;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        for (field, prop) in props {
            let mut here = at.to_vec();
            here.extend(["properties".to_string(), field.clone()]);
            if let Some(ty) = self.field_type(name, field, prop, &here) {
                let req = if required.contains(&field.as_str()) {
                    " required"
                } else {
                    ""
                };
                fields.push(format!("    {field}: {ty}{req}"));
            }
        }
        let _ = writeln!(self.decls, "record {name} {{\n{}\n}}\n", fields.join("\n"));
    }

    /// The policy type of one property (its nullability is not a type: every field may be unknown).
    fn field_type(
        &mut self,
        record: &str,
        field: &str,
        prop: &Json,
        at: &[String],
    ) -> Option<String> {
        if let Some(target) = prop.get("$ref").and_then(Json::as_str) {
            return match target.strip_prefix("#/$defs/") {
                Some(def) if self.defs.contains_key(def) => Some(def.to_string()),
                _ => {
                    self.unmapped(
                        at,
                        format!("`$ref` \"{target}\" is not an entry of this schema's `$defs`"),
                        Some("refer to `#/$defs/NAME`".into()),
                    );
                    None
                }
            };
        }
        if prop.get("enum").is_some() || prop.get("oneOf").is_some() {
            let name = prop
                .get("title")
                .and_then(Json::as_str)
                .map(String::from)
                .unwrap_or_else(|| format!("{}{}", pascal(record), pascal(field)));
            return self.enumeration(&name, prop, at).then_some(name);
        }
        let types: Vec<&str> = match prop.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let non_null: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        let [ty] = non_null[..] else {
            self.unmapped(
                at,
                format!("`{record}.{field}` has no single type (found {non_null:?})"),
                Some("give `\"type\"` one type, or one type and \"null\"".into()),
            );
            return None;
        };
        let unit = prop.get(UNIT).and_then(Json::as_str);
        Some(match (ty, unit) {
            ("boolean", _) => "bool".into(),
            ("number" | "integer", None) => "number".into(),
            ("number" | "integer", Some(u @ ("money" | "percent"))) => u.into(),
            ("number" | "integer", Some(other)) => {
                self.unmapped(
                    at,
                    format!("`{UNIT}` \"{other}\" is not a unit"),
                    Some("write \"money\" or \"percent\"".into()),
                );
                return None;
            }
            ("string", _) if prop.get("format").and_then(Json::as_str) == Some("date") => {
                "date".into()
            }
            ("string", _) => "text".into(),
            ("array", _) => {
                let Some(items) = prop.get("items") else {
                    self.unmapped(
                        at,
                        format!("the list `{record}.{field}` has no `items`"),
                        None,
                    );
                    return None;
                };
                let mut here = at.to_vec();
                here.push("items".into());
                format!("list of {}", self.field_type(record, field, items, &here)?)
            }
            ("object", _) => {
                let name = prop
                    .get("title")
                    .and_then(Json::as_str)
                    .map(String::from)
                    .unwrap_or_else(|| format!("{}{}", pascal(record), pascal(field)));
                self.record(&name, prop, at);
                name
            }
            (other, _) => {
                self.unmapped(
                    at,
                    format!("`{record}.{field}` has type \"{other}\", which a policy cannot read"),
                    None,
                );
                return None;
            }
        })
    }

    /// Declares the enum `name` from `enum` or `oneOf` of `const`s; false if it cannot.
    fn enumeration(&mut self, name: &str, schema: &Json, at: &[String]) -> bool {
        let mut values: Vec<(String, Option<String>)> = Vec::new();
        if let Some(list) = schema.get("enum").and_then(Json::as_array) {
            values = list
                .iter()
                .filter_map(|v| v.as_str().map(|s| (s.to_string(), None)))
                .collect();
            if values.len() != list.iter().filter(|v| !v.is_null()).count() {
                self.unmapped(
                    at,
                    format!("the enum `{name}` has values that are not text"),
                    None,
                );
                return false;
            }
        } else if let Some(list) = schema.get("oneOf").and_then(Json::as_array) {
            for v in list {
                match v.get("const").and_then(Json::as_str) {
                    Some(c) => {
                        let label = v
                            .get("title")
                            .or_else(|| v.get("description"))
                            .and_then(Json::as_str)
                            .map(String::from);
                        values.push((c.to_string(), label));
                    }
                    None => {
                        self.unmapped(
                            at,
                            format!("`oneOf` in `{name}` must list text `const`s"),
                            None,
                        );
                        return false;
                    }
                }
            }
        }
        let ids: Vec<String> = values.iter().map(|(v, _)| v.clone()).collect();
        if let Some((_, seen)) = self.enums.iter().find(|(n, _)| n == name) {
            if *seen == ids {
                return true; // the same enum, used again
            }
            self.unmapped(
                at,
                format!("two different enums would both be named `{name}`"),
                Some("give one of them a `title`".into()),
            );
            return false;
        }
        if let Some(bad) = ids.iter().find(|v| !is_ident(v)) {
            self.unmapped(
                at,
                format!("the enum value \"{bad}\" is not a name a policy can write"),
                Some("enum values are letters, digits and `_`, starting with a letter".into()),
            );
            return false;
        }
        self.enums.push((name.to_string(), ids));
        let body: Vec<String> = values
            .iter()
            .map(|(v, label)| match label {
                Some(l) => format!(
                    "    {v} \"{}\"",
                    l.replace('\\', "\\\\").replace('"', "\\\"")
                ),
                None => format!("    {v}"),
            })
            .collect();
        let _ = writeln!(self.decls, "enum {name} {{\n{}\n}}\n", body.join("\n"));
        true
    }

    fn unmapped(&mut self, at: &[String], message: String, help: Option<String>) {
        self.unmapped.push(Unmapped {
            span: locate(self.text, at),
            message,
            help,
        });
    }
}

/// `substance_misuse` → `SubstanceMisuse`.
fn pascal(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Where the value at `pointer` (keys from the root) is written in `text`: each key is looked for,
/// quoted, after the previous one. Approximate for schemas that repeat keys oddly, exact for the
/// usual one-key-per-place layout; the whole text when a key is not found.
fn locate(text: &str, pointer: &[String]) -> Span {
    let mut at = 0;
    let mut found = Span::new(0, 0);
    for key in pointer.iter().filter(|k| !k.is_empty()) {
        let quoted = format!("\"{key}\"");
        match text.get(at..).and_then(|rest| rest.find(&quoted)) {
            Some(i) => {
                found = Span::new(at + i, at + i + quoted.len());
                at = found.end;
            }
            None => return found,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        let (text, unmapped) = to_policy(
            r##"{"title": "Family", "type": "object", "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "on": {"type": ["string", "null"], "format": "date"},
                    "income": {"type": ["number", "null"], "x-earlyhelp-unit": "money"},
                    "members": {"type": "array", "items": {"$ref": "#/$defs/Person"}}},
                "$defs": {"Person": {"type": "object", "properties": {
                    "role": {"type": "string", "enum": ["parent_carer", "child"]},
                    "tags": {"type": ["array", "null"], "items": {"type": "string"}}}}}}"##,
        )
        .unwrap_or_else(|u| panic!("{}", u.message));
        assert!(unmapped.is_empty());
        assert!(text.contains("record Family {\n    id: text required\n    on: date\n    income: money\n    members: list of Person\n}"), "{text}");
        assert!(
            text.contains("enum PersonRole {\n    parent_carer\n    child\n}"),
            "{text}"
        );
        assert!(text.contains("    tags: list of text"), "{text}");
    }

    /// Records and enums of a policy text, in a comparable form: record → field → (type,
    /// required), with enums written as their values.
    fn shape(text: &str) -> std::collections::BTreeMap<String, Vec<(String, String, bool)>> {
        use earlyhelp_grammar::ast::{Item, TypeExpr};
        let Ok(module) = earlyhelp_grammar::parse(text) else {
            panic!("does not parse")
        };
        let mut enums = std::collections::HashMap::new();
        for item in &module.items {
            if let Item::Enum(e) = item {
                let values: Vec<String> = e.values.iter().map(|v| v.id.name.clone()).collect();
                enums.insert(e.name.name.clone(), values.join("|"));
            }
        }
        fn show(t: &TypeExpr, enums: &std::collections::HashMap<String, String>) -> String {
            match t {
                TypeExpr::List(inner, _) => format!("list of {}", show(inner, enums)),
                TypeExpr::Named(n) => enums
                    .get(&n.name)
                    .map_or_else(|| n.name.clone(), |v| format!("enum {v}")),
            }
        }
        let mut out = std::collections::BTreeMap::new();
        for item in &module.items {
            if let Item::Record(r) = item {
                let mut fields: Vec<(String, String, bool)> = r
                    .fields
                    .iter()
                    .map(|f| (f.name.name.clone(), show(&f.ty, &enums), f.required))
                    .collect();
                fields.sort();
                out.insert(r.name.name.clone(), fields);
            }
        }
        out
    }

    fn repo(path: &str) -> String {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path);
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
    }

    /// The shipped record declarations and the reference JSON Schema describe the same record:
    /// every record, field, type (units and enum values included) and `required`, both ways.
    #[test]
    fn the_shipped_declarations_and_the_reference_schema_describe_the_same_record() {
        let (mapped, unmapped) = to_policy(&repo("policies/shared/family-record.schema.json"))
            .unwrap_or_else(|u| panic!("{}", u.message));
        assert!(
            unmapped.is_empty(),
            "{:?}",
            unmapped.iter().map(|u| &u.message).collect::<Vec<_>>()
        );
        let written = shape(&repo("policies/shared/family-record.policy"));
        let from_schema = shape(&mapped);
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            from_schema.keys().collect::<Vec<_>>(),
            "the same records"
        );
        for (record, fields) in &written {
            assert_eq!(fields, &from_schema[record], "record {record}");
        }
        // The same enum names, so a policy may write `Benefit.universal_credit` either way.
        for name in [
            "Role",
            "Benefit",
            "IncidentOutcome",
            "EmploymentStatus",
            "HousingStatus",
        ] {
            assert!(mapped.contains(&format!("enum {name} {{")), "enum {name}");
        }
    }

    /// policies/shared/family-record.schema.json is the reference schema (the shared spec's; its
    /// copy in synth/tests) with only the annotations a policy needs added.
    #[test]
    fn the_schema_form_is_the_reference_schema_plus_annotations() {
        fn strip(v: &mut Json) {
            match v {
                Json::Object(m) => {
                    m.remove(UNIT);
                    if m.contains_key("enum") {
                        m.remove("title");
                    }
                    m.values_mut().for_each(strip);
                }
                Json::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut annotated: Json =
            serde_json::from_str(&repo("policies/shared/family-record.schema.json")).expect("JSON");
        strip(&mut annotated);
        let reference: Json =
            serde_json::from_str(&repo("synth/tests/family-record.schema.json")).expect("JSON");
        assert_eq!(annotated, reference);
    }

    #[test]
    fn what_cannot_be_mapped_points_into_the_schema() {
        let schema = r#"{"title": "R", "properties": {"x": {"anyOf": [{"type": "string"}]}}}"#;
        let (_, unmapped) = to_policy(schema).unwrap_or_else(|u| panic!("{}", u.message));
        assert_eq!(unmapped.len(), 1);
        assert_eq!(
            &schema[unmapped[0].span.start..unmapped[0].span.end],
            "\"x\""
        );
    }
}
