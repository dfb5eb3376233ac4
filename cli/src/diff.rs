//! `earlyhelp diff OLD NEW --records FILE`: the impact of a policy change over a population.

use earlyhelp::{Impact, Options};
use rayon::prelude::*;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
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
    /// Records, as JSON Lines.
    #[arg(long)]
    records: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Apply both policies as at this date (YYYY-MM-DD).
    #[arg(long, value_parser = crate::eval::parse_date)]
    as_at: Option<earlyhelp::NaiveDate>,
}

const CHUNK: usize = 8192;

pub(crate) fn run(args: &Args) -> ExitCode {
    let (Some(old), Some(new)) = (crate::load(&args.old), crate::load(&args.new)) else {
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&args.records) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.records.display());
            return ExitCode::from(2);
        }
    };
    let options = Options {
        as_at: args.as_at,
        explain: true,
        ..Options::default()
    };
    let mut impact = Impact::default();
    let mut lines = BufReader::new(file).lines();
    loop {
        let chunk: Vec<String> = lines.by_ref().take(CHUNK).map_while(Result::ok).collect();
        if chunk.is_empty() {
            break;
        }
        let part = chunk
            .par_iter()
            .fold(Impact::default, |mut acc, line| {
                acc.add(
                    &old.evaluate_json(line, &options),
                    &new.evaluate_json(line, &options),
                );
                acc
            })
            .collect::<Vec<Impact>>();
        for p in part {
            impact.merge(p);
        }
    }
    let impact = impact.finish();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&impact.to_json()).unwrap_or_default(),
        Format::Markdown => markdown(&impact, args),
        Format::Table => table(&impact, args),
    };
    println!("{text}");
    ExitCode::SUCCESS
}

fn shown(json_text: &str) -> String {
    match serde_json::from_str::<Json>(json_text) {
        Ok(Json::Null) => "undetermined".into(),
        Ok(Json::Array(items)) if items.is_empty() => "[]".into(),
        Ok(Json::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Ok(Json::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => json_text.to_string(),
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
