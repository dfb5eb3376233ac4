//! JSON Lines output: one JSON object per row — the decision in its stable shape
//! ([`Decision::to_json`](crate::Decision::to_json)), or `{"id", "line", "error"}`.

use super::{Row, RowWriter};
use serde_json::json;
use std::io::{self, Write};

/// A row of Supporting Families with a few missing paths is about 400 bytes.
const ROW_BYTES: usize = 512;

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
        // Room for a typical row at once: grown from empty, a row was copied some seven times.
        let mut bytes = Vec::with_capacity(ROW_BYTES);
        match &row.outcome {
            Ok(d) => serde_json::to_writer(&mut bytes, d),
            Err(e) => serde_json::to_writer(
                &mut bytes,
                &json!({
                    "id": e.id,
                    "line": row.line,
                    "error": e.to_string(),
                }),
            ),
        }?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    fn write(&mut self, out: &mut dyn Write, rows: Vec<Vec<u8>>) -> io::Result<()> {
        rows.iter().try_for_each(|row| out.write_all(row))
    }
}
