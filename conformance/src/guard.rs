//! The guard rule from the suite's side: an unbound operation that carries
//! a credential where a `protected` binding reads its access token
//! ([`openapi::Spec::guards_of`]) has that token checked by the model, so a
//! dead token is refused there as on the protected operations themselves.

use openapi::binding::{ActionKind, Source};
use openapi::spec::Operation;

use crate::plan::{build, Bound, Fill, Plan};

/// A guarded operation the suite can call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    /// Its operation index.
    pub op: usize,
    /// A planned protected operation reading the same place (the first
    /// one), asked for its own view of a token when the guarded operation
    /// disagrees with the model.
    pub control: Option<Bound>,
}

/// The guarded operations of a plan: those for which a valid request
/// presenting a token at their first guard place can be built.
pub fn guarded(plan: &Plan) -> Vec<Guarded> {
    let protected: Vec<Bound> = plan.all(ActionKind::Protected).collect();
    let mut out = Vec::new();
    for (i, op) in plan.spec.operations().iter().enumerate() {
        let Some(source) = guard(plan, op).filter(|_| plan.selected(i)) else {
            continue;
        };
        let probe = [(source, Fill::Value("probe-token-0123456789".into()))];
        if !build(&plan.spec, op, &probe).problems.is_empty() {
            continue;
        }
        let reads_here = |p: &&Bound| plan.binding(**p).access_token.as_ref() == Some(source);
        let control = protected
            .iter()
            .find(reads_here)
            .or(protected.first())
            .copied();
        out.push(Guarded { op: i, control });
    }
    out
}

/// The guard place a step fills: the first the operation carries (the one
/// an implementation checks first).
pub fn guard<'p>(plan: &'p Plan, op: &'p Operation) -> Option<&'p Source> {
    plan.spec.guards_of(op).next()
}

/// Whether `status` refuses a token (401 or 403).
pub fn refuses(status: u16) -> bool {
    status == 401 || status == 403
}
