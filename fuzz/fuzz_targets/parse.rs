//! Arbitrary bytes → the parser. Never panics, never overflows the stack: every input is a
//! `Module` or a `SyntaxError` whose span lies inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match earlyhelp_grammar::parse(&text) {
        Ok(module) => {
            // Printing any parsed module must not panic either (the round trip is checked by
            // the `format_roundtrip` target).
            let _ = earlyhelp_grammar::print(&module);
        }
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "syntax error span {:?} outside the text of {} bytes",
                e.span,
                text.len()
            );
            assert!(!e.message.is_empty(), "a syntax error says what is wrong");
        }
    }
});
