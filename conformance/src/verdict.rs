//! Each property's status, from what the spec declares and what the run
//! found: failed (with its minimal sequence), passed (with how often it
//! was checked), not applicable (the spec says the API does not do this)
//! or not exercised (it applies, but the run never reached it).
//!
//! Applicability is read from the spec alone (its bindings, its policy,
//! its documented responses), never from what the run managed to do: an
//! operation the spec binds but the suite cannot drive, a login that
//! failed, a missing account, a budget spent before a property was
//! reached all leave an applicable property *not exercised*, which fails
//! the run unless that is allowed.

use std::sync::Arc;

use proptest_state_machine::ReferenceStateMachine;

use openapi::binding::ActionKind;
use openapi::media::essence;
use openapi::wire::preferred_media;

use crate::budget::Stop;
use crate::guard;
use crate::machine::{Expected, RefMachine, RefState, Step, Tok};
use crate::plan::{Bound, Caller, Plan};
use crate::property::Property;
use crate::quality::{self, Quality};
use crate::report::{CheckResult, Group};
use crate::special::expiry_unreachable;
use crate::stateful::Outcome;

/// What the verdict needs to know of the run besides its evidence.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Longest real wait for expiry, seconds.
    pub expiry_wait: u64,
    /// Whether race rounds were asked for.
    pub races: bool,
    /// Why the run ended early, if it did.
    pub stop: Option<Stop>,
}

/// One result per property of `groups`, in report order.
pub fn results(
    plan: &Arc<Plan>,
    out: &Outcome,
    facts: &RunFacts,
    groups: &[Group],
) -> Vec<CheckResult> {
    Property::ALL
        .into_iter()
        .filter(|p| groups.contains(&p.group()))
        .map(|p| result(plan, out, facts, p))
        .collect()
}

fn result(plan: &Arc<Plan>, out: &Outcome, facts: &RunFacts, p: Property) -> CheckResult {
    let group = p.group();
    if !plan.selection.judges(p) {
        return CheckResult::deselected(group, p.name());
    }
    let checks = out.exercised.get(&p).copied().unwrap_or(0);
    let first_at = out.first_at.get(&p).copied();
    if let Some(f) = out.failures.iter().find(|f| f.property == p) {
        return CheckResult::failed(group, p.name(), checks, f.message.clone(), f.steps.clone())
            .first_at(first_at)
            .detected_at(Some(f.detected_at));
    }
    if let Some(reason) = not_applicable(plan, p) {
        // JWTs the spec does not declare are judged as found (the checks
        // that need nothing declared).
        if !(p.is_jwt() && checks > 0) {
            return CheckResult::not_applicable(group, p.name(), reason);
        }
    }

    // With one account, "no other user's" cannot be checked, nor with one
    // client "another client's": half a property is not a pass.
    let half = (p == Property::RevokeAllPerUser && plan.accounts.len() < 2)
        || (p == Property::ClientBound && plan.clients.len() < 2);
    if checks > 0 && !half {
        return CheckResult::passed(group, p.name(), checks).first_at(first_at);
    }
    if let Some(reason) = left_out_by_selection(plan, p) {
        return CheckResult::deselected_by(group, p.name(), reason);
    }
    CheckResult::not_exercised(group, p.name(), unexercised(plan, out, facts, p))
}

/// Whether the spec binds an operation to `action` (usable by the suite
/// or not).
fn binds(plan: &Plan, action: ActionKind) -> bool {
    !variants_of(plan, action).is_empty()
}

/// Whether an operation bound to `bound` performs `action`: a code
/// exchange is a login (it starts a session).
fn acts(bound: ActionKind, action: ActionKind) -> bool {
    bound == action || (action == ActionKind::Login && bound == ActionKind::ExchangeCode)
}

/// Every binding that performs `action` in the spec, as `(operation,
/// binding)` indices.
fn variants_of(plan: &Plan, action: ActionKind) -> Vec<(usize, usize)> {
    let ops = plan.spec.operations().iter().enumerate();
    ops.flat_map(|(i, op)| {
        op.bindings
            .iter()
            .enumerate()
            .filter(move |(_, b)| acts(b.action, action))
            .map(move |(j, _)| (i, j))
    })
    .collect()
}

fn needs(action: ActionKind) -> String {
    format!("the spec binds no `{}` operation", action.as_str())
}

/// Why the spec makes `p` not applicable, if it does.
pub fn not_applicable(plan: &Arc<Plan>, p: Property) -> Option<String> {
    use ActionKind::*;
    let policy = &plan.policy;
    let b = |a| binds(plan, a);
    let any_bound = plan.spec.operations().iter().any(|op| op.is_bound());
    if !any_bound && p != Property::MalformedRequestsRejected {
        return Some("the spec binds no operation (x-token-lifecycle)".into());
    }
    let revokes_blindly = policy.revoke_ignores_invalid_tokens;
    let refuses_tokens = b(Refresh)
        || b(Logout)
        || b(Protected)
        || (!revokes_blindly && (b(Revoke) || b(RevokeAll) || b(RevokeToken)));
    match p {
        Property::LoginIssuesTokens if !b(Login) => Some(needs(Login)),
        Property::TokensUnique | Property::TokensUnpredictable if !b(Login) && !b(Refresh) => {
            Some("the spec binds no operation that issues tokens".into())
        }
        Property::RefreshRotates | Property::RefreshSingleUse if !b(Refresh) => {
            Some(needs(Refresh))
        }
        Property::RefreshSingleUse if !policy.refresh_single_use => {
            Some("the spec declares refresh tokens reusable (refreshSingleUse: false)".into())
        }
        Property::ReuseEndsSession if !b(Refresh) => Some(needs(Refresh)),
        Property::ReuseEndsSession if !policy.refresh_single_use => {
            Some("the spec declares refresh tokens reusable: there is no reuse".into())
        }
        Property::ReuseEndsSession if !policy.reuse_ends_session => {
            Some("the spec declares that reuse does not end the session".into())
        }
        Property::LogoutEndsSession if !b(Logout) => Some(needs(Logout)),
        Property::RevokeAlways if !b(Revoke) && !b(RevokeAll) && !b(RevokeToken) => {
            Some("the spec binds no `revoke`, `revoke-all` or `revoke-token` operation".into())
        }
        Property::RevokeAlways if !policy.revoke_ignores_invalid_tokens => Some(
            "the spec declares that revocations refuse invalid tokens \
             (revokeIgnoresInvalidTokens: false)"
                .into(),
        ),
        Property::RevokedCannotRefresh if !b(Revoke) && !b(RevokeToken) => {
            Some("the spec binds no `revoke` or `revoke-token` operation".into())
        }
        Property::RevokedCannotRefresh if !b(Refresh) => Some(needs(Refresh)),
        Property::RevokeAllPerUser if !b(RevokeAll) => Some(needs(RevokeAll)),
        Property::TokensExpire if !b(Login) && !b(Refresh) => {
            Some("the spec binds no operation that issues tokens".into())
        }
        Property::TokensExpire if !b(Protected) && !b(Refresh) => Some(
            "the spec binds no `protected` or `refresh` operation to present a token to".into(),
        ),
        Property::UnknownTokensRejected if !refuses_tokens => {
            Some("no bound operation refuses a token: revocations always succeed".into())
        }
        Property::WrongKindRejected if !refuses_tokens || !b(Login) => {
            Some("the spec binds no login and operation that refuses a token".into())
        }
        Property::ClientBound if !plan.authenticates_clients() => {
            Some("no binding authenticates a client (`client`)".into())
        }
        Property::ClientBound if !b(Login) => Some(needs(Login)),
        Property::IntrospectionAgrees if !b(Introspect) => Some(needs(Introspect)),
        Property::GuardsRefuseDeadTokens
            if !plan
                .spec
                .operations()
                .iter()
                .any(|op| guard::guard(plan, op).is_some()) =>
        {
            Some(
                "the spec has no guarded operation: no unbound operation carries a credential \
                 where a `protected` binding reads its access token"
                    .into(),
            )
        }
        Property::UnauthorizedChallenge if !documents_challenge(plan) => {
            Some("no 401 of the spec documents WWW-Authenticate".into())
        }
        Property::ErrorBodiesMatch if !names_examples(plan) => {
            Some("no binding names an example for an outcome".into())
        }
        Property::InvalidRequestsRejected if !forbids_some_step(plan) => Some(
            "every request the suite sends is valid: the spec maps `missing` wherever a token goes"
                .into(),
        ),
        Property::ModelAgreement if !b(Protected) => Some(
            "the spec binds no `protected` operation: every prediction is another property's"
                .into(),
        ),
        Property::MalformedRequestsRejected if !takes_json(plan) => {
            Some("no operation takes a JSON request body".into())
        }
        Property::RaceOneWins | Property::RaceNoServerError | Property::RaceNoFork
            if !b(Refresh) =>
        {
            Some(needs(Refresh))
        }
        Property::RaceNoFork if !policy.refresh_single_use => Some(
            "the spec declares refresh tokens reusable: concurrent refreshes may all win".into(),
        ),
        p if p.is_jwt() => jwt_not_applicable(plan, p, b(Login) || b(Refresh)),
        _ => None,
    }
}

/// Why a JWT property does not apply: no operation issues tokens, the
/// spec does not declare JWTs (`tokens.format: jwt`), or declares
/// nothing the property compares with.
fn jwt_not_applicable(plan: &Plan, p: Property, issues: bool) -> Option<String> {
    if !issues {
        return Some("the spec binds no operation that issues tokens".into());
    }
    let Some(declared) = plan.jwt.declared() else {
        return Some(
            "the spec does not declare JWTs (tokens.format: jwt), and no token issued was one"
                .into(),
        );
    };
    match p {
        Property::JwtIssAndAudAsDeclared
            if declared.declared_issuer.is_none() && declared.audience.is_none() =>
        {
            Some("the spec declares no `tokens.issuer` or `tokens.audience`".into())
        }
        _ => None,
    }
}

fn documents_challenge(plan: &Plan) -> bool {
    plan.spec.operations().iter().any(|op| {
        let guarded = guard::guard(plan, op).is_some();
        (op.is_bound() || guarded)
            && op
                .response(401)
                .is_some_and(|r| r.headers.iter().any(|h| h.name == "www-authenticate"))
    })
}

fn names_examples(plan: &Plan) -> bool {
    plan.spec.operations().iter().any(|op| {
        op.bindings
            .iter()
            .any(|b| b.outcomes.values().any(|o| o.example.is_some()))
    })
}

fn takes_json(plan: &Plan) -> bool {
    plan.spec.operations().iter().any(|op| {
        op.request_body
            .as_ref()
            .and_then(|rb| preferred_media(&rb.content))
            .is_some_and(|m| !m.name.contains('*') && essence(&m.name).contains("json"))
    })
}

/// Whether some step the suite can send (an empty or a missing token) is
/// a request the spec forbids, as the reference predicts it.
fn forbids_some_step(plan: &Arc<Plan>) -> bool {
    let init = RefState::new(plan.clone());
    plan.ops.iter().enumerate().any(|(i, planned)| {
        let (action, op) = (planned.action, Bound(i));
        action != ActionKind::Login
            && [Tok::Empty, Tok::Missing].into_iter().any(|token| {
                let step = Step::Call {
                    op,
                    action,
                    token,
                    client: Caller::Own,
                };
                RefMachine::preconditions(&init, &step)
                    && matches!(
                        init.clone().step(&step).expected,
                        Expected::ClientError { .. }
                    )
            })
    })
}

/// Why an applicable property was not exercised.
fn unexercised(plan: &Plan, out: &Outcome, facts: &RunFacts, p: Property) -> String {
    use ActionKind::*;
    if let Some(line) = out.could_not_log_in.as_deref() {
        if p != Property::MalformedRequestsRejected {
            // The answer's status, not its body: the report's first line
            // has that.
            let short = line.split_once(" answered ").map_or(line, |(who, rest)| {
                let status = rest.split(' ').next().unwrap_or("");
                &line[..who.len() + " answered ".len() + status.len()]
            });
            return format!("could not log in: {short}");
        }
    }
    let lifecycle = p != Property::MalformedRequestsRejected;
    if lifecycle && binds(plan, Login) && !plan.has(Login) {
        return left_out(plan, Login);
    }
    let login_needs_client = plan
        .spec
        .operations()
        .iter()
        .flat_map(|o| &o.bindings)
        .any(|b| b.action == Login && b.client.is_some());
    if lifecycle && login_needs_client && plan.clients.is_empty() {
        return "no client to authenticate as: pass --client ID:SECRET (or --client-env VAR, \
                twice for the other-client checks); the spec's declared clients are used only \
                when the target is the mock"
            .into();
    }
    if lifecycle && plan.accounts.is_empty() && binds(plan, Login) {
        return "no account to log in with: pass --user NAME:PASSWORD (twice for the cross-user \
                checks); the spec's declared accounts are used only when the target is the mock"
            .into();
    }
    if let Some(a) = needed_action(p).filter(|a| binds(plan, *a) && !plan.has(*a)) {
        return left_out(plan, a);
    }
    match p {
        Property::RevokeAllPerUser if plan.accounts.len() < 2 => {
            "needs two accounts (pass --user twice)".into()
        }
        Property::ClientBound if plan.clients.len() < 2 => {
            "needs two clients (pass --client twice)".into()
        }
        Property::GuardsRefuseDeadTokens if guard::guarded(plan).is_empty() => {
            "no valid request can be built for a guarded operation".into()
        }
        Property::TokensExpire => expiry_unreachable(plan, facts.expiry_wait)
            .unwrap_or_else(|| "no sequence reached the end of a token's lifetime".into()),
        Property::TokensUnpredictable => match quality::judge(&out.tokens, 0) {
            Quality::TooFew { have } => format!(
                "{have} tokens of one kind were issued to one user; {} are needed",
                quality::MIN_SAMPLES
            ),
            Quality::Judged { .. } => "no sequence issued enough tokens".into(),
        },
        Property::RaceOneWins | Property::RaceNoFork | Property::RaceNoServerError
            if !facts.races =>
        {
            "no race round ran (--race-rounds 0)".into()
        }
        _ => match &facts.stop {
            Some(stop) => format!("not reached: {stop}"),
            None => "no sequence reached it within the run (raise --cases)".into(),
        },
    }
}

/// The action whose operations a property cannot do without.
fn needed_action(p: Property) -> Option<ActionKind> {
    use ActionKind::*;
    Some(match p {
        Property::RefreshRotates
        | Property::RefreshSingleUse
        | Property::ReuseEndsSession
        | Property::RaceOneWins
        | Property::RaceNoFork
        | Property::RaceNoServerError => Refresh,
        Property::LogoutEndsSession => Logout,
        Property::RevokedCannotRefresh => Revoke,
        Property::RevokeAllPerUser => RevokeAll,
        Property::ModelAgreement => Protected,
        Property::IntrospectionAgrees => Introspect,
        _ => return None,
    })
}

/// How `--include`/`--exclude` leave `p` out, if they do: every operation
/// bound to the action it needs (or to login, for a lifecycle property) is
/// left out.
fn left_out_by_selection(plan: &Plan, p: Property) -> Option<String> {
    let why = |action: ActionKind| -> Option<String> {
        let ops = plan.spec.operations();
        let mut reasons = variants_of(plan, action)
            .into_iter()
            .map(|(i, j)| plan.selection.leaves_out_variant(&plan.spec, &ops[i], j));
        let first = reasons.next()??;
        reasons
            .all(|r| r.is_some())
            .then(|| format!("its `{}` operations are left out: {first}", action.as_str()))
    };
    if p == Property::MalformedRequestsRejected || p.group() == Group::Transport {
        return None;
    }
    if p == Property::RevokeAlways {
        // Left out when every revocation the spec binds is.
        let bound: Vec<ActionKind> = [
            ActionKind::Revoke,
            ActionKind::RevokeAll,
            ActionKind::RevokeToken,
        ]
        .into_iter()
        .filter(|a| binds(plan, *a))
        .collect();
        let reasons: Vec<Option<String>> = bound.into_iter().map(why).collect();
        return reasons
            .iter()
            .all(Option::is_some)
            .then(|| reasons.into_iter().flatten().next())
            .flatten();
    }
    needed_action(p)
        .and_then(why)
        .or_else(|| why(ActionKind::Login))
}

fn left_out(plan: &Plan, action: ActionKind) -> String {
    let ops = plan.spec.operations();
    let names: Vec<String> = variants_of(plan, action)
        .into_iter()
        .map(|(i, j)| ops[i].variant_name(j))
        .collect();
    let why = plan
        .left_out
        .iter()
        .find(|(op, _)| names.contains(op))
        .map_or("", |(_, why)| why.as_str());
    format!(
        "the `{}` operation cannot be driven: {why}",
        action.as_str()
    )
}
