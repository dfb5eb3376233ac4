//! Text that parses → the canonical printer. `earlyhelp_grammar::format` checks that the printed
//! text parses again to the same tree (ignoring spans), keeps every comment, and prints to itself
//! again; any failure of that check is a printer bug, so it panics here.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e @ earlyhelp_grammar::FormatError::Unstable(_)) = earlyhelp_grammar::format(text) {
        panic!("{e}\n--- input\n{text}");
    }
});
