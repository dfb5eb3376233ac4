//! Arrow in and out of `evaluate_many` (and so of polars and Spark's `mapInArrow`), over the Arrow
//! C data interface: the batches arrive as Rust arrays without a copy, their rows become records
//! through the engine's columnar hook ([`Columnar`], wrapped in `Columns`) and the one batch
//! pipeline, and the rows become Arrow arrays here, without one Python object per row.
//!
//! A table is records in the reference record shape (structs, lists, maps and scalars; a null
//! cell is an unknown field) or, when `json` names a string column, one JSON text per row, read
//! exactly as a line of `earlyhelp eval --records` is. A cell with no JSON form (binary, NaN…)
//! makes its row an error row naming the path, never the content.

use crate::batch::jobs as check_jobs;
use crate::batch::Records;
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Float64Builder, ListBuilder, MapBuilder,
    MapFieldNames, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{NaiveDateTime, NaiveTime};
use earlyhelp::batch::{self, Batch, Columnar, Input, Row};
use earlyhelp::{DecisionType, Options, Policy, RecordError};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::{PySchema, PyTable};
use serde_json::{Map, Number, Value as Json};
use std::sync::Arc;

/// The rows of Arrow record batches, numbered from 1 across them.
pub(crate) struct ArrowRows {
    batches: Vec<RecordBatch>,
    /// The first row of each batch.
    starts: Vec<usize>,
    rows: usize,
    /// The column of JSON texts, when the records are texts.
    json: Option<usize>,
}

impl ArrowRows {
    fn new(batches: Vec<RecordBatch>, json: Option<usize>) -> Self {
        let mut starts = Vec::with_capacity(batches.len());
        let mut rows = 0;
        for b in &batches {
            starts.push(rows);
            rows += b.num_rows();
        }
        ArrowRows {
            batches,
            starts,
            rows,
            json,
        }
    }

    /// The batch holding row `i`, and the row's index in it.
    fn locate(&self, i: usize) -> Option<(&RecordBatch, usize)> {
        let b = self.starts.partition_point(|s| *s <= i).checked_sub(1)?;
        let batch = self.batches.get(b)?;
        let at = i - self.starts[b];
        (at < batch.num_rows()).then_some((batch, at))
    }
}

impl Columnar for ArrowRows {
    fn rows(&self) -> usize {
        self.rows
    }

    fn record(&self, i: usize) -> Result<Json, RecordError> {
        let (batch, at) = self
            .locate(i)
            .ok_or_else(|| RecordError::new(None, "no such row".into()))?;
        let schema = batch.schema();
        let mut record = Map::new();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            if column.is_null(at) {
                continue;
            }
            match cell(column.as_ref(), at) {
                Ok(value) => {
                    record.insert(field.name().clone(), value);
                }
                Err(e) => {
                    let id = batch
                        .column_by_name("id")
                        .filter(|c| !c.is_null(at))
                        .and_then(|c| cell(c.as_ref(), at).ok())
                        .and_then(|id| batch::record_id(&serde_json::json!({ "id": id })));
                    return Err(e.into_record_error(field.name()).with_id(id));
                }
            }
        }
        Ok(Json::Object(record))
    }

    fn input(&self, i: usize, line: usize) -> Input {
        let Some(json) = self.json else {
            return match self.record(i) {
                Ok(record) => Input::value(line, record),
                Err(e) => Input::failed(line, e),
            };
        };
        let Some((batch, at)) = self.locate(i) else {
            return Input::failed(line, RecordError::new(None, "no such row".into()));
        };
        let column = batch.column(json);
        if column.is_null(at) {
            return Input::failed(line, RecordError::new(None, "the JSON text is null".into()));
        }
        let text = match column.data_type() {
            DataType::Utf8 => column.as_string::<i32>().value(at),
            DataType::LargeUtf8 => column.as_string::<i64>().value(at),
            DataType::Utf8View => column.as_string_view().value(at),
            _ => return Input::failed(line, RecordError::new(None, "not a text".into())),
        };
        Input::text(line, text.to_string())
    }
}

/// Why a cell has no JSON form, and where: the path's segments innermost first.
struct Unreadable {
    inner: Vec<String>,
    message: String,
}

impl Unreadable {
    fn new(message: String) -> Self {
        Unreadable {
            inner: Vec::new(),
            message,
        }
    }
    fn at(mut self, segment: String) -> Self {
        self.inner.push(segment);
        self
    }
    /// The record error, its path starting at the column `name` (`members[0].born`).
    fn into_record_error(self, name: &str) -> RecordError {
        let mut path = name.to_string();
        for segment in self.inner.iter().rev() {
            path.push_str(segment);
        }
        RecordError::new(Some(path), self.message)
    }
}

/// A number from its shortest decimal digits (a float's `Display` is the shortest text that reads
/// back the same), which the engine reads as an exact decimal: 89.99 stays 89.99.
fn number(text: &str) -> Result<Json, Unreadable> {
    text.parse::<Number>()
        .map(Json::Number)
        .map_err(|_| Unreadable::new(format!("{text} is not a JSON number")))
}

fn float(v: f64) -> Result<Json, Unreadable> {
    if v.is_nan() {
        return Err(Unreadable::new("nan is not a JSON number".into()));
    }
    if v.is_infinite() {
        let shown = if v > 0.0 { "inf" } else { "-inf" };
        return Err(Unreadable::new(format!("{shown} is not a JSON number")));
    }
    number(&v.to_string())
}

/// A date-time as a date when it is midnight without a zone (pandas and Spark give date columns
/// so), otherwise in full: the engine says if a date was wanted. As `convert.rs` does for Python.
fn datetime(t: Option<NaiveDateTime>, zoned: bool) -> Result<Json, Unreadable> {
    let t = t.ok_or_else(|| Unreadable::new("a timestamp out of range".into()))?;
    let midnight = t.time() == NaiveTime::MIN;
    let text = if midnight && !zoned {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
    };
    Ok(Json::String(text))
}

/// The key of a dictionary's cell `i`, as an index into its values.
fn dictionary_key(keys: &dyn Array, i: usize) -> Option<usize> {
    macro_rules! key {
        ($($t:ty),*) => {{
            $(if let Some(k) = keys.as_primitive_opt::<$t>() {
                return usize::try_from(k.value(i)).ok();
            })*
            None
        }};
    }
    key!(Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type)
}

/// The items of a list cell.
fn items(a: &dyn Array, i: usize) -> Option<ArrayRef> {
    match a.data_type() {
        DataType::List(_) => Some(a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => Some(a.as_list::<i64>().value(i)),
        DataType::FixedSizeList(_, _) => Some(a.as_fixed_size_list().value(i)),
        _ => None,
    }
}

/// Cell `i` of `a` (not null) as JSON.
fn cell(a: &dyn Array, i: usize) -> Result<Json, Unreadable> {
    if a.is_null(i) {
        return Ok(Json::Null);
    }
    macro_rules! int {
        ($t:ty) => {
            Ok(Json::from(a.as_primitive::<$t>().value(i)))
        };
    }
    macro_rules! timestamp {
        ($t:ty, $zone:expr) => {
            datetime(a.as_primitive::<$t>().value_as_datetime(i), $zone.is_some())
        };
    }
    match a.data_type() {
        DataType::Null => Ok(Json::Null),
        DataType::Boolean => Ok(Json::Bool(a.as_boolean().value(i))),
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float16 => float(f64::from(a.as_primitive::<Float16Type>().value(i))),
        // An f32's own shortest digits, not those of the f64 it widens to.
        DataType::Float32 => {
            let v = a.as_primitive::<Float32Type>().value(i);
            if v.is_finite() {
                number(&v.to_string())
            } else {
                float(f64::from(v))
            }
        }
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal32(_, _) => number(&a.as_primitive::<Decimal32Type>().value_as_string(i)),
        DataType::Decimal64(_, _) => number(&a.as_primitive::<Decimal64Type>().value_as_string(i)),
        DataType::Decimal128(_, _) => {
            number(&a.as_primitive::<Decimal128Type>().value_as_string(i))
        }
        DataType::Decimal256(_, _) => {
            number(&a.as_primitive::<Decimal256Type>().value_as_string(i))
        }
        DataType::Utf8 => Ok(Json::String(a.as_string::<i32>().value(i).to_string())),
        DataType::LargeUtf8 => Ok(Json::String(a.as_string::<i64>().value(i).to_string())),
        DataType::Utf8View => Ok(Json::String(a.as_string_view().value(i).to_string())),
        DataType::Date32 => date(a.as_primitive::<Date32Type>().value_as_date(i)),
        DataType::Date64 => date(a.as_primitive::<Date64Type>().value_as_date(i)),
        DataType::Timestamp(TimeUnit::Second, zone) => timestamp!(TimestampSecondType, zone),
        DataType::Timestamp(TimeUnit::Millisecond, zone) => {
            timestamp!(TimestampMillisecondType, zone)
        }
        DataType::Timestamp(TimeUnit::Microsecond, zone) => {
            timestamp!(TimestampMicrosecondType, zone)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, zone) => {
            timestamp!(TimestampNanosecondType, zone)
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            let items = items(a, i).ok_or_else(|| Unreadable::new("not a list".into()))?;
            (0..items.len())
                .map(|j| cell(items.as_ref(), j).map_err(|e| e.at(format!("[{j}]"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Json::Array)
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut object = Map::new();
            for (field, column) in fields.iter().zip(s.columns()) {
                // A null field is an unknown one, as if it were absent.
                if column.is_null(i) {
                    continue;
                }
                let value =
                    cell(column.as_ref(), i).map_err(|e| e.at(format!(".{}", field.name())))?;
                object.insert(field.name().clone(), value);
            }
            Ok(Json::Object(object))
        }
        DataType::Map(_, _) => {
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut object = Map::new();
            for j in 0..entries.len() {
                let key = match cell(keys.as_ref(), j)? {
                    Json::String(k) => k,
                    _ => return Err(Unreadable::new("a map whose keys are not texts".into())),
                };
                let value = cell(values.as_ref(), j).map_err(|e| e.at(format!(".{key}")))?;
                object.insert(key, value);
            }
            Ok(Json::Object(object))
        }
        DataType::Dictionary(_, _) => {
            let d = a
                .as_any_dictionary_opt()
                .ok_or_else(|| Unreadable::new("not a dictionary".into()))?;
            let key = dictionary_key(d.keys(), i)
                .filter(|k| *k < d.values().len())
                .ok_or_else(|| Unreadable::new("a dictionary key out of range".into()))?;
            cell(d.values().as_ref(), key)
        }
        other => Err(Unreadable::new(format!(
            "an Arrow {other} has no JSON form"
        ))),
    }
}

fn date(d: Option<earlyhelp::NaiveDate>) -> Result<Json, Unreadable> {
    d.map(|d| Json::String(d.format("%Y-%m-%d").to_string()))
        .ok_or_else(|| Unreadable::new("a date out of range".into()))
}

/// The Arrow form of a decision's values.
#[derive(Clone, Debug)]
enum Kind {
    Bool,
    Float,
    Text,
    Date,
    /// A record: its JSON text.
    Json,
    List(Box<Kind>),
    /// Per member: member id → value.
    Map(Box<Kind>),
}

impl Kind {
    fn of(ty: &DecisionType) -> Kind {
        match ty {
            DecisionType::YesNo => Kind::Bool,
            DecisionType::Number | DecisionType::Percent | DecisionType::Money => Kind::Float,
            DecisionType::Date => Kind::Date,
            DecisionType::Record(_) => Kind::Json,
            DecisionType::List(t) => Kind::List(Box::new(Kind::of(t))),
            // Texts, enum members, levels, needs, groups, durations: their names.
            _ => Kind::Text,
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Kind::Bool => DataType::Boolean,
            Kind::Float => DataType::Float64,
            Kind::Text | Kind::Json => DataType::Utf8,
            Kind::Date => DataType::Date32,
            Kind::List(k) => DataType::List(Arc::new(item_field(k))),
            Kind::Map(k) => DataType::Map(
                Arc::new(Field::new_struct(
                    "entries",
                    vec![
                        Field::new("key", DataType::Utf8, false),
                        Field::new("value", k.data_type(), true),
                    ],
                    false,
                )),
                false,
            ),
        }
    }

    fn builder(&self) -> Box<dyn ArrayBuilder> {
        match self {
            Kind::Bool => Box::new(BooleanBuilder::new()),
            Kind::Float => Box::new(Float64Builder::new()),
            Kind::Text | Kind::Json => Box::new(StringBuilder::new()),
            Kind::Date => Box::new(Date32Builder::new()),
            Kind::List(k) => Box::new(ListBuilder::new(k.builder()).with_field(item_field(k))),
            Kind::Map(k) => {
                let names = MapFieldNames {
                    entry: "entries".into(),
                    key: "key".into(),
                    value: "value".into(),
                };
                Box::new(
                    MapBuilder::new(Some(names), StringBuilder::new(), k.builder())
                        .with_values_field(Field::new("value", k.data_type(), true)),
                )
            }
        }
    }

    /// Appends `v` (null: unknown) to `b`, a builder this kind made.
    fn append(&self, b: &mut dyn ArrayBuilder, v: &Json) -> Result<(), ArrowError> {
        fn get<T: 'static>(b: &mut dyn ArrayBuilder) -> Result<&mut T, ArrowError> {
            b.as_any_mut()
                .downcast_mut::<T>()
                .ok_or_else(|| ArrowError::InvalidArgumentError("a builder of another kind".into()))
        }
        match self {
            Kind::Bool => get::<BooleanBuilder>(b)?.append_option(v.as_bool()),
            Kind::Float => get::<Float64Builder>(b)?.append_option(match v {
                Json::Number(n) => n.to_string().parse::<f64>().ok(),
                _ => None,
            }),
            Kind::Text => get::<StringBuilder>(b)?.append_option(match v {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }),
            Kind::Json => {
                get::<StringBuilder>(b)?.append_option((!v.is_null()).then(|| v.to_string()))
            }
            Kind::Date => get::<Date32Builder>(b)?.append_option(
                v.as_str()
                    .and_then(|s| earlyhelp::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .map(Date32Type::from_naive_date),
            ),
            Kind::List(k) => {
                let list = get::<ListBuilder<Box<dyn ArrayBuilder>>>(b)?;
                match v {
                    Json::Array(items) => {
                        for item in items {
                            k.append(&mut **list.values(), item)?;
                        }
                        list.append(true);
                    }
                    _ => list.append(false),
                }
            }
            Kind::Map(k) => {
                let map = get::<MapBuilder<StringBuilder, Box<dyn ArrayBuilder>>>(b)?;
                match v {
                    Json::Object(entries) => {
                        for (key, value) in entries {
                            map.keys().append_value(key);
                            k.append(&mut **map.values(), value)?;
                        }
                        map.append(true)?;
                    }
                    _ => map.append(false)?,
                }
            }
        }
        Ok(())
    }
}

fn item_field(k: &Kind) -> Field {
    Field::new("item", k.data_type(), true)
}

/// A decision called like a column `evaluate_many` adds keeps its name; the column gets a `_`
/// (as `_frames.py` names the pandas columns).
fn meta(name: &str, decisions: &[String]) -> String {
    if decisions.iter().any(|d| d == name) {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// What the result holds besides the decisions.
#[derive(Clone, Copy)]
struct Extras {
    outside_in_force: bool,
    explain: bool,
    /// Whether the error says the row's position (`line 3: …`): not in Spark, where positions
    /// are a partition's.
    lines: bool,
}

/// The columns of the result: `id`, the decisions, `missing`, `error`, then `outside_in_force`
/// and `explanation` when asked for.
fn schema(policy: &Policy, extras: Extras) -> (Vec<(String, Kind)>, SchemaRef) {
    let infos = policy.decisions();
    let names: Vec<String> = infos.iter().map(|d| d.name.clone()).collect();
    let mut columns = vec![(meta("id", &names), Kind::Text)];
    for d in &infos {
        let kind = Kind::of(&d.ty);
        let kind = if d.per_member {
            Kind::Map(Box::new(kind))
        } else {
            kind
        };
        columns.push((d.name.clone(), kind));
    }
    columns.push((meta("missing", &names), Kind::List(Box::new(Kind::Text))));
    columns.push((meta("error", &names), Kind::Text));
    if extras.outside_in_force {
        columns.push((meta("outside_in_force", &names), Kind::Bool));
    }
    if extras.explain {
        columns.push((meta("explanation", &names), Kind::Json));
    }
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, kind)| Field::new(name, kind.data_type(), true))
        .collect();
    (columns, Arc::new(Schema::new(fields)))
}

/// Rows into Arrow arrays, a chunk at a time.
struct Builders {
    decisions: Vec<String>,
    kinds: Vec<Kind>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    schema: SchemaRef,
    extras: Extras,
}

impl Builders {
    fn new(policy: &Policy, extras: Extras) -> Self {
        let (columns, schema) = schema(policy, extras);
        let kinds: Vec<Kind> = columns.into_iter().map(|(_, k)| k).collect();
        Builders {
            decisions: policy.decisions().into_iter().map(|d| d.name).collect(),
            builders: kinds.iter().map(Kind::builder).collect(),
            kinds,
            schema,
            extras,
        }
    }

    fn add(&mut self, rows: &[Row]) -> Result<(), ArrowError> {
        for row in rows {
            let mut values: Vec<Json> = Vec::with_capacity(self.kinds.len());
            values.push(row.id().map_or(Json::Null, |id| Json::String(id.into())));
            match &row.outcome {
                Ok(d) => {
                    for name in &self.decisions {
                        values.push(d.output(name).cloned().unwrap_or(Json::Null));
                    }
                    values.push(Json::from(d.missing().to_vec()));
                    values.push(Json::Null);
                    if self.extras.outside_in_force {
                        values.push(Json::Bool(d.outside_in_force()));
                    }
                    if self.extras.explain {
                        values.push(d.explanation().map_or(Json::Null, |e| e.to_json()));
                    }
                }
                Err(e) => {
                    values.extend(self.decisions.iter().map(|_| Json::Null));
                    values.push(Json::Array(Vec::new()));
                    let error = if self.extras.lines {
                        row.error_text().unwrap_or_default()
                    } else {
                        e.to_string()
                    };
                    values.push(Json::String(error));
                    if self.extras.outside_in_force {
                        values.push(Json::Null);
                    }
                    if self.extras.explain {
                        values.push(Json::Null);
                    }
                }
            }
            for ((kind, builder), value) in self.kinds.iter().zip(&mut self.builders).zip(&values) {
                kind.append(builder.as_mut(), value)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        RecordBatch::try_new(self.schema, arrays)
    }
}

fn arrow_error(e: ArrowError) -> PyErr {
    PyRuntimeError::new_err(format!("cannot build the Arrow result: {e}"))
}

/// The rows of an Arrow object: anything with `__arrow_c_stream__` or `__arrow_c_array__` (a
/// pyarrow Table or RecordBatch, a polars DataFrame, an arro3 table); `json` names its column of
/// JSON texts, if that is what it holds. The batches are the caller's memory, shared, not copied.
pub(crate) fn arrow_rows(records: &Bound<'_, PyAny>, json: Option<&str>) -> PyResult<ArrowRows> {
    let reader = records.extract::<AnyRecordBatch>()?.into_reader()?;
    let schema = reader.schema();
    let json = match json {
        None => None,
        Some(name) => {
            let i = schema.index_of(name).map_err(|_| {
                PyValueError::new_err(format!("json_column: the table has no column {name:?}"))
            })?;
            let ty = schema.field(i).data_type();
            if !matches!(
                ty,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) {
                return Err(PyValueError::new_err(format!(
                    "json_column: the column {name:?} holds {ty}, not texts"
                )));
            }
            Some(i)
        }
    };
    // Reading a stream may call back into Python: done holding the GIL.
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow records: {e}")))?;
    Ok(ArrowRows::new(batches, json))
}

/// `evaluate_many(..., output="arrow")` (internal: `_frames.py` decides the forms in and out).
/// `kind` says what `records` is: `"path"`, `"records"` (a Python iterable; `na_is_null` reads
/// NaN as null) or `"arrow"` (`json` naming its column of JSON texts, if any). Returns an Arrow
/// table (an arro3 `Table`, which pyarrow and polars take without a copy).
#[pyfunction]
#[pyo3(signature = (policy, kind, records, json = None, as_at = None, explain = false, na_is_null = false, jobs = None, outside_in_force = false, lines = true))]
#[allow(clippy::too_many_arguments)] // a Python signature: its keyword arguments
pub(crate) fn _evaluate_arrow<'py>(
    py: Python<'py>,
    policy: &Bound<'py, crate::policy::PyPolicy>,
    kind: &str,
    records: &Bound<'py, PyAny>,
    json: Option<&str>,
    as_at: Option<&Bound<'py, PyAny>>,
    explain: bool,
    na_is_null: bool,
    jobs: Option<usize>,
    outside_in_force: bool,
    lines: bool,
) -> PyResult<PyTable> {
    let policy = &policy.get().inner;
    let options = Options::default()
        .as_at(crate::parse_as_at(as_at)?)
        .explain(explain)
        .outside_in_force(outside_in_force);
    let batch = Batch::new(policy).options(options).jobs(check_jobs(jobs)?);
    let records = records_of(kind, records, json, na_is_null)?;
    let extras = Extras {
        outside_in_force,
        explain,
        lines,
    };
    let mut out = Builders::new(policy, extras);
    let schema = out.schema.clone();
    let mut failed = None;
    crate::batch::with_source(py, records, &mut None, |source, _| {
        batch.for_each_chunk(source, |rows| {
            out.add(&rows).map_err(|e| {
                failed = Some(e);
                std::io::Error::other("the Arrow result could not be built")
            })
        })
    })
    .map_err(|e| failed.take().map_or(e, arrow_error))?;
    let result = out.finish().map_err(arrow_error)?;
    PyTable::try_new(vec![result], schema)
}

/// The pandas columns of `evaluate_many` (as `Policy._columns_from_records` gives them) for
/// Arrow records, read in Rust (internal).
#[pyfunction]
#[pyo3(signature = (policy, records, json = None, as_at = None, explain = false, jobs = None, outside_in_force = false))]
#[allow(clippy::too_many_arguments)] // a Python signature: its keyword arguments
pub(crate) fn _columns_from_arrow<'py>(
    py: Python<'py>,
    policy: &Bound<'py, crate::policy::PyPolicy>,
    records: &Bound<'py, PyAny>,
    json: Option<&str>,
    as_at: Option<&Bound<'py, PyAny>>,
    explain: bool,
    jobs: Option<usize>,
    outside_in_force: bool,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let options = Options::default()
        .as_at(crate::parse_as_at(as_at)?)
        .explain(explain)
        .outside_in_force(outside_in_force);
    let records = Records::Arrow(arrow_rows(records, json)?);
    crate::batch::columns(py, &policy.get().inner, records, options, check_jobs(jobs)?)
}

/// The records of `kind` (see [`_evaluate_arrow`]).
pub(crate) fn records_of<'py>(
    kind: &str,
    records: &Bound<'py, PyAny>,
    json: Option<&str>,
    na_is_null: bool,
) -> PyResult<Records<'py>> {
    Ok(match kind {
        "path" => Records::Path(records.extract()?),
        "arrow" => Records::Arrow(arrow_rows(records, json)?),
        _ => Records::Python(records.clone(), na_is_null),
    })
}

/// The Arrow schema `evaluate_many(..., output="arrow")` gives for this policy (internal: Spark
/// declares it before any row is evaluated).
#[pyfunction]
#[pyo3(signature = (policy, explain = false, outside_in_force = false))]
pub(crate) fn _arrow_schema(
    policy: &Bound<'_, crate::policy::PyPolicy>,
    explain: bool,
    outside_in_force: bool,
) -> PySchema {
    let extras = Extras {
        outside_in_force,
        explain,
        lines: true,
    };
    PySchema::new(schema(&policy.get().inner, extras).1)
}
