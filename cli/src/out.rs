//! Standard output for every command. Rust ignores SIGPIPE, so a write to a pipe whose reader has
//! gone (`earlyhelp test | head -1`) fails with `BrokenPipe`, on which `println!` panics (exit
//! 101). As ripgrep does, that ends the process quietly with status 0 here: the reader no longer
//! wants the output, which is not a failure of the command. Any other write error is said on
//! stderr, with status 2. (`eval` and `synth` write through a `BufWriter` and do the same.)

use std::io::{self, Write};

/// `print!`, ending the process on a write error (see above).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::print(format_args!($($arg)*))
    };
}

/// `println!`, ending the process on a write error (see above).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

pub(crate) fn print(args: std::fmt::Arguments) {
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}
