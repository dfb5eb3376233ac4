//! Yardsticks for the benchmarks, and the independent oracles the shipped policies are
//! differentially tested against: each written from the shared specs alone, never from the
//! policies or the engine.

pub mod calendar;
pub mod native;
pub mod rhai_yardstick;
pub mod two_year_olds;
