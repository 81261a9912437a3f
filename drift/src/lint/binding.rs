//! Checks of `x-token-lifecycle` bindings: the problems of
//! [`openapi::spec::binding_problems`], the reader the loader uses, as findings.
//! A document loads if and only if none of these is reported.

use crate::finding::{Finding, Severity};

/// Every problem of the vocabulary in `doc`, as breaking findings under the
/// rule ids of [`openapi::Rule::id`].
pub(crate) fn bindings(doc: &serde_json::Value, out: &mut Vec<Finding>) {
    for p in openapi::spec::binding_problems(doc) {
        let mut f = Finding::new(p.rule.id(), Severity::Breaking, p.message)
            .at(None, Some(&format!("#{}", p.at)));
        if let Some(op) = p.operation {
            f = f.operation(op);
        }
        out.push(f);
    }
}
