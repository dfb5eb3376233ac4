//! Yardsticks for the benchmarks.
