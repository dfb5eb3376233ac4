//! Table output, for a person: aligned columns (`id`, the decisions, `missing`, `error`), cells
//! in their flat form with an undetermined value written `undetermined`, widths fixed by the
//! first chunk of rows and capped at 40 characters (a longer cell ends in `…`).

use super::row::{cells, header};
use super::{Row, RowWriter};
use crate::Policy;
use std::io::{self, Write};

/// The widest a column grows.
const MAX_WIDTH: usize = 40;

/// Writes rows as an aligned table.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TableWriter {
    decisions: Vec<String>,
    /// Fixed by the first chunk, so rows can be written as they come.
    widths: Option<Vec<usize>>,
}

impl TableWriter {
    /// A table with a column for each of `policy`'s decisions.
    pub fn new(policy: &Policy) -> Self {
        TableWriter {
            decisions: policy.decisions().into_iter().map(|d| d.name).collect(),
            widths: None,
        }
    }
}

impl RowWriter for TableWriter {
    type Prepared = Vec<String>;

    fn prepare(&self, row: Row) -> io::Result<Vec<String>> {
        Ok(cells(&row, &self.decisions, "undetermined"))
    }

    fn write(&mut self, out: &mut dyn Write, rows: Vec<Vec<String>>) -> io::Result<()> {
        let widths = match &self.widths {
            Some(w) => w,
            None => {
                let header = header(&self.decisions);
                let widths: Vec<usize> = header
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let longest = rows
                            .iter()
                            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                            .max()
                            .unwrap_or(0);
                        longest.max(name.len()).min(MAX_WIDTH)
                    })
                    .collect();
                writeln!(out, "{}", padded(&header, &widths))?;
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                writeln!(out, "{}", rule.join("  "))?;
                self.widths.insert(widths)
            }
        };
        for row in &rows {
            writeln!(out, "{}", padded(row, widths).trim_end())?;
        }
        Ok(())
    }
}

fn padded(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| {
            let shown: String = if c.chars().count() > *w {
                c.chars().take(w.saturating_sub(1)).chain(['…']).collect()
            } else {
                c.clone()
            };
            format!("{shown:w$}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}
