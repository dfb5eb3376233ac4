//! Yardsticks for the benchmarks.

pub mod native;
pub mod rhai_yardstick;
