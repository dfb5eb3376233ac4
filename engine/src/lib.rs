//! # earlyhelp
//!
//! An embeddable rules engine for early-help eligibility and threshold-of-need decisions. A policy
//! is one text file that a policy officer can read; earlyhelp checks it before it runs, evaluates
//! it against family records (JSON) in three-valued logic — unknown data stays unknown, and every
//! undetermined decision says which fields would settle it — and explains every decision in plain
//! English, because a practitioner, not the machine, makes the final decision.
//!
//! The pipeline, one module per stage: `grammar` crate (parse) → [`check`](crate) (names, types)
//! → `lower` (constants folded) → `eval` (three-valued evaluation) → `explain`. Many records at
//! once, in order and on all cores: [`batch`].
//!
//! ```
//! use earlyhelp::{Options, Policy};
//! use serde_json::json;
//!
//! let policy: Policy = r#"
//!     policy attendance { version "1" }
//!     record Child { id: text required, attendance_pct: percent }
//!     input child: Child
//!     param threshold: percent = 90%
//!     decision persistent_absence "Attends less than 90% of sessions" =
//!         child.attendance_pct < threshold
//! "#.parse()?;
//!
//! let decision = policy.evaluate(&json!({"id": "C1", "attendance_pct": 89.99}))?;
//! assert_eq!(decision.output("persistent_absence"), Some(&json!(true)));
//!
//! // Unknown is not false: the decision is undetermined and says what is missing.
//! let decision = policy.evaluate(&json!({"id": "C2"}))?;
//! assert_eq!(decision.output("persistent_absence"), Some(&json!(null)));
//! assert_eq!(decision.missing(), ["attendance_pct"]);
//!
//! // Ask for an explanation when a person will read it.
//! let options = Options::default().explain(true);
//! let decision = policy.evaluate_with(&json!({"id": "C3", "attendance_pct": 84.5}), &options)?;
//! let text = decision.explanation().map(|e| e.to_text()).unwrap_or_default();
//! assert!(text.contains("Attends less than 90% of sessions: yes."));
//! let trace = decision.explanation().map(|e| e.to_trace()).unwrap_or_default();
//! assert!(trace.contains("84.5% < 90%"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod batch;
mod builtins;
mod check;
mod depth;
mod diagnostic;
mod eval;
mod explain;
mod ir;
mod lower;
mod policy;
mod script;
mod testing;
mod value;

pub use batch::{DecisionImpact, Impact, Transition};
pub use builtins::{Builtin, BUILTINS};
pub use chrono::NaiveDate;
pub use diagnostic::{diagnostics, diagnostics_json, Diagnostic, LoadError, Related, Severity};
pub use explain::Explanation;
pub use policy::{Decision, DecisionInfo, DecisionType, Decoded, Options, Policy, RecordError};
pub use testing::{Coverage, CoverageItem, TestReport, TestResult};
