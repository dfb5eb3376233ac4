//! JSON Lines output: one JSON object per row — the decision in its stable shape
//! ([`Decision::to_json`](crate::Decision::to_json)), or `{"id", "line", "error"}`.

use super::{Row, RowWriter};
use serde_json::json;
use std::io::{self, Write};

/// Writes rows as JSON Lines, each serialised on the core that evaluated it.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct JsonlWriter;

impl JsonlWriter {
    /// A JSON Lines writer.
    pub fn new() -> Self {
        JsonlWriter
    }
}

impl RowWriter for JsonlWriter {
    type Prepared = Vec<u8>;

    fn prepare(&self, row: Row) -> io::Result<Vec<u8>> {
        let mut bytes = match &row.outcome {
            Ok(d) => serde_json::to_vec(d),
            Err(e) => serde_json::to_vec(&json!({
                "id": e.id,
                "line": row.line,
                "error": e.to_string(),
            })),
        }?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    fn write(&mut self, out: &mut dyn Write, rows: Vec<Vec<u8>>) -> io::Result<()> {
        rows.iter().try_for_each(|row| out.write_all(row))
    }
}
