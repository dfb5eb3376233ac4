//! CSV output: a header, then one line per row — `id`, one column per decision, `missing`,
//! `error` — each value in its flat form ([`flat`](super::flat): lists and objects joined with
//! `;`, objects as `key=value`).

use super::row::{cells, header};
use super::{Row, RowWriter};
use crate::Policy;
use std::io::{self, Write};

/// Writes rows as CSV, each encoded on the core that evaluated it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CsvWriter {
    decisions: Vec<String>,
}

impl CsvWriter {
    /// A CSV writer with a column for each of `policy`'s decisions.
    pub fn new(policy: &Policy) -> Self {
        CsvWriter {
            decisions: policy.decisions().into_iter().map(|d| d.name).collect(),
        }
    }
}

/// One CSV record, line end included.
fn encode(cells: &[String]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells).map_err(io::Error::other)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

impl RowWriter for CsvWriter {
    type Prepared = Vec<u8>;

    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&encode(&header(&self.decisions))?)
    }

    fn prepare(&self, row: Row) -> io::Result<Vec<u8>> {
        encode(&cells(&row, &self.decisions, ""))
    }

    fn write(&mut self, out: &mut dyn Write, rows: Vec<Vec<u8>>) -> io::Result<()> {
        rows.iter().try_for_each(|row| out.write_all(row))
    }
}
