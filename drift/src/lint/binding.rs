//! Checks of `x-token-lifecycle` bindings: the problems of
//! [`openapi::spec::binding_problems`], the reader the loader uses, as findings.
//! A document loads if and only if none of these is reported as breaking
//! (the warnings, an old field name, do not stop it loading).

use crate::finding::{Finding, Severity};

/// Every problem of the vocabulary in `doc`, as findings under the rule
/// ids of [`openapi::Rule::id`]: breaking, or a warning where the rule is
/// one ([`openapi::Rule::is_warning`]).
pub(crate) fn bindings(doc: &serde_json::Value, out: &mut Vec<Finding>) {
    for p in openapi::spec::binding_problems(doc) {
        let severity = if p.rule.is_warning() {
            Severity::Warning
        } else {
            Severity::Breaking
        };
        let mut f =
            Finding::new(p.rule.id(), severity, p.message).at(None, Some(&format!("#{}", p.at)));
        if let Some(op) = p.operation {
            f = f.operation(op);
        }
        out.push(f);
    }
}
