//! The shipped policies every evaluating target runs, loaded once per process.

use earlyhelp::Policy;
use std::sync::OnceLock;

const POLICIES: [&str; 3] = [
    "supporting-families/supporting-families.policy",
    "continuum-of-need/continuum-of-need.policy",
    "early-education-two-year-olds/early-education-two-year-olds.policy",
];

pub fn policies() -> &'static [Policy] {
    static LOADED: OnceLock<Vec<Policy>> = OnceLock::new();
    LOADED.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        POLICIES
            .iter()
            .map(|p| Policy::from_file(root.join(p)).unwrap_or_else(|e| panic!("{p} loads: {e}")))
            .collect()
    })
}
