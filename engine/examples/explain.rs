//! Prints the plain-English explanation of one record: `cargo run --example explain POLICY RECORD.json`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let policy = earlyhelp::Policy::from_file(&args[1])?;
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&args[2])?)?;
    let d = policy.evaluate_with(&record, &earlyhelp::Options::default().explain(true))?;
    println!(
        "{}",
        d.explanation().map(|e| e.to_text()).unwrap_or_default()
    );
    Ok(())
}
