//! `earlyhelp diff OLD NEW --records FILE`: the impact of a policy change over a population.
//! Reading and folding are the engine's (`Batch::compare`); this file only presents the impact.

use crate::out::outln;
use earlyhelp::batch::{Batch, JsonLines};
use earlyhelp::{Impact, Options};
use serde_json::Value as Json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Markdown,
    Json,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy as it is.
    old: PathBuf,
    /// The policy as proposed.
    new: PathBuf,
    /// Records, read as `eval` reads them: JSON Lines, a JSON array or one record, or `-` for
    /// standard input.
    #[arg(long)]
    records: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Apply both policies as at this date (YYYY-MM-DD).
    #[arg(long, value_parser = crate::eval::parse_date)]
    as_at: Option<earlyhelp::NaiveDate>,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let (Some(old), Some(new)) = (crate::load(&args.old), crate::load(&args.new)) else {
        return ExitCode::from(2);
    };
    let Some((input, progress)) = crate::eval::open(&args.records) else {
        return ExitCode::from(2);
    };
    let compared = Batch::new(&old)
        .options(Options::default().as_at(args.as_at))
        .compare(&new, &mut JsonLines::new(input));
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let impact = match compared {
        Ok(impact) => impact,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&impact.to_json()).unwrap_or_default(),
        Format::Markdown => markdown(&impact, args),
        Format::Table => table(&impact, args),
    };
    outln!("{text}");
    ExitCode::SUCCESS
}

/// A decision value as a person reads it in a report.
fn shown(value: &Json) -> String {
    match value {
        Json::Null => "undetermined".into(),
        Json::Array(items) if items.is_empty() => "[]".into(),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn drivers(t: &earlyhelp::Transition) -> String {
    t.drivers
        .iter()
        .take(4)
        .map(|(n, c)| format!("{n} ({c})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn markdown(impact: &Impact, args: &Args) -> String {
    let mut out = format!(
        "# Impact of {} → {}\n\n{} records compared, {} could not be evaluated.\n",
        args.old.display(),
        args.new.display(),
        impact.records,
        impact.errors
    );
    for d in &impact.decisions {
        out.push_str(&format!(
            "\n## `{}`: {} records change\n\n",
            d.name, d.changed
        ));
        out.push_str("| from | to | records | driven by | examples |\n|---|---|---:|---|---|\n");
        for t in &d.transitions {
            if t.from == t.to {
                continue;
            }
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                shown(&t.from),
                shown(&t.to),
                t.count,
                drivers(t),
                t.examples.join(", ")
            ));
        }
        let unchanged: usize = d
            .transitions
            .iter()
            .filter(|t| t.from == t.to)
            .map(|t| t.count)
            .sum();
        out.push_str(&format!("\nUnchanged: {unchanged}.\n"));
    }
    out
}

fn table(impact: &Impact, args: &Args) -> String {
    let mut out = format!(
        "{} → {}: {} records, {} errors\n",
        args.old.display(),
        args.new.display(),
        impact.records,
        impact.errors
    );
    for d in &impact.decisions {
        out.push_str(&format!("\n{}: {} changed\n", d.name, d.changed));
        for t in d.transitions.iter().filter(|t| t.from != t.to) {
            out.push_str(&format!(
                "  {} → {}: {}\n",
                shown(&t.from),
                shown(&t.to),
                t.count
            ));
            if !t.drivers.is_empty() {
                out.push_str(&format!("      driven by: {}\n", drivers(t)));
            }
            if !t.examples.is_empty() {
                out.push_str(&format!("      e.g. {}\n", t.examples.join(", ")));
            }
        }
    }
    out
}
