//! The earlyhelp policy language, as text: the pest grammar (`policy.pest`), the parser that turns
//! a file into an [`ast::Module`] with source spans, and the canonical printer.
//!
//! This crate knows nothing about types, records or evaluation; it never does IO.

pub mod ast;
mod layout;
mod parse;
mod print;
mod slips;

pub use parse::{
    parse, parse_expr, parse_steps, SyntaxError, MAX_BRACKETS, MAX_DEPTH, MAX_PARSE_STEPS,
    MAX_TYPE_DEPTH, RESERVED,
};
pub use print::{format, print, print_expr, FormatError};
