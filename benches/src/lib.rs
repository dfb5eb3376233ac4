//! Yardsticks for the benchmarks.

pub mod native;
