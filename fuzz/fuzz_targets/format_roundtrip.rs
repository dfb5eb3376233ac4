//! Text that parses → the canonical printer. The printed text parses again to the same tree
//! (ignoring spans), keeps every comment, and printing it again gives the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The tree's shape without source positions (as `grammar/tests/roundtrip.rs` does).
fn shape(debug: String) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    // Every `Span { … }`, named (`span: Span { … }`) or not (`List(_, Span { … })`).
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(first) = earlyhelp_grammar::parse(text) else {
        return;
    };
    let printed = earlyhelp_grammar::print(&first);
    let second = match earlyhelp_grammar::parse(&printed) {
        Ok(m) => m,
        Err(e) => panic!(
            "the printed policy does not parse: {e:?}\n--- input\n{text}\n--- printed\n{printed}"
        ),
    };
    assert_eq!(
        shape(format!("{:?}", first.items)),
        shape(format!("{:?}", second.items)),
        "printing changed the tree\n--- input\n{text}\n--- printed\n{printed}"
    );
    assert_eq!(
        first.comments.len(),
        second.comments.len(),
        "printing lost or added comments\n--- input\n{text}\n--- printed\n{printed}"
    );
    let again = earlyhelp_grammar::print(&second);
    assert_eq!(
        again, printed,
        "printing is not idempotent\n--- input\n{text}"
    );
});
