//! Synthetic families in the shape of the reference family record
//! (`shared/spec/family-record.md`), for examples, benchmarks and tests of early-help policies.
//!
//! Every family is a pure function of `(seed, index, missing)`: it is drawn from its own random
//! stream, so families can be generated in any order or in parallel and the output never
//! depends on how many threads made it. The figures behind each distribution, and what is
//! deliberately unrealistic, are in `docs/synthetic-data.md`.
//!
//! ```
//! let opts = earlyhelp_synth::Options { families: 3, ..Default::default() };
//! let mut out = Vec::new();
//! earlyhelp_synth::write_jsonl(&opts, &mut out).unwrap();
//! assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 3);
//!
//! let first = earlyhelp_synth::family(opts.seed, 1, opts.missing);
//! assert_eq!(first["id"], "F0000001");
//! ```

#![warn(missing_docs)]

mod date;
mod json;
mod model;
mod places;
mod render;
mod sample;

use std::io::{BufWriter, Write};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What to generate: how many families, from which seed, with how much unknown data.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Number of families; [`write_jsonl`] writes indices `1..=families`.
    pub families: u64,
    /// Seed of the whole data set: the same seed always gives the same bytes.
    pub seed: u64,
    /// Share of optional fields left unknown, from 0.0 (everything known) to 1.0 (only the
    /// required fields). Unknown fields are left out or written as `null`, about half each.
    /// Values outside 0.0..=1.0 are clamped, and NaN counts as 0.0.
    pub missing: f64,
}

impl Default for Options {
    /// 1,000 families from seed 1, with 8% of optional fields unknown: case records are
    /// rarely complete, so complete data should be asked for, not assumed.
    fn default() -> Self {
        Options {
            families: 1000,
            seed: 1,
            missing: 0.08,
        }
    }
}

/// One family as a JSON object in the reference record shape, with id `F` and `index` in
/// seven or more digits (`F0000042`).
///
/// Deterministic for `(seed, index, missing)`. The true family depends on `(seed, index)`
/// only; `missing` just hides fields, and a higher rate hides a superset of what a lower rate
/// hides. Serialised with `serde_json::to_string`, the value is exactly the line that
/// [`write_jsonl`] writes for the same index.
pub fn family(seed: u64, index: u64, missing: f64) -> serde_json::Value {
    let mut buf = Vec::with_capacity(4096);
    write_family(seed, index, missing, &mut buf);
    // The writer only produces well-formed JSON, so this cannot fail short of a bug.
    serde_json::from_slice(&buf).expect("the generator writes valid JSON")
}

/// Writes `opts.families` families as JSON Lines (one compact object per line, indices
/// `1..=families`), buffering internally. Only errors from `out` are returned.
pub fn write_jsonl(opts: &Options, out: &mut impl Write) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::with_capacity(8192);
    for index in 1..=opts.families {
        line.clear();
        write_family(opts.seed, index, opts.missing, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()
}

/// Random streams per family: one for the family's values and one for which fields are
/// hidden, so that the missing rate never changes the values drawn.
const VALUES: u64 = 1;
const MASK: u64 = 2;

/// The ChaCha stream for one family and purpose: the key is the seed and the purpose, the
/// stream number is the index. ChaCha streams are independent, so no hashing is needed.
fn stream(seed: u64, purpose: u64, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&purpose.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index);
    rng
}

fn write_family(seed: u64, index: u64, missing: f64, out: &mut Vec<u8>) {
    let family = sample::family(&mut stream(seed, VALUES, index), index);
    let mask = json::Mask::new(stream(seed, MASK, index), missing);
    render::family(&mut json::Writer::new(out, mask), &family);
}
