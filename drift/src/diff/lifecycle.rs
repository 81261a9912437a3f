//! Behavioural changes: the `x-token-lifecycle` policy and bindings.

use super::response::statuses;
use super::Pair;
use openapi::model::OutcomeName;
use openapi::vocabulary::policy_of;

use crate::binding::{locations, outcome_status, KEY};
use crate::doc::{Doc, Node};
use crate::finding::{Finding, Severity};

/// Compares the root policies (defaults filled in, so an explicit default is
/// no change).
pub(crate) fn root(old: Doc<'_>, new: Doc<'_>, out: &mut Vec<Finding>) {
    let o = policy_of(old.root);
    let n = policy_of(new.root);
    if o == n {
        return;
    }
    let mut push = |rule: &str, sev: Severity, msg: String, field: &str| {
        let (op, np) = (existing(old, field), existing(new, field));
        out.push(Finding::new(rule, sev, msg).at(op.as_deref(), np.as_deref()));
    };
    for (field, name, ov, nv) in [
        (
            "accessTokenTtl",
            "access-token",
            o.access_token_ttl,
            n.access_token_ttl,
        ),
        (
            "refreshTokenTtl",
            "refresh-token",
            o.refresh_token_ttl,
            n.refresh_token_ttl,
        ),
    ] {
        if nv < ov {
            let msg = format!("{name} ttl cut from {ov}s to {nv}s: clients caching tokens for the old lifetime break");
            push(
                &format!("lifecycle-{name}-ttl-decreased"),
                Severity::Breaking,
                msg,
                field,
            );
        } else if nv > ov {
            let msg = format!("{name} ttl raised from {ov}s to {nv}s");
            push(
                &format!("lifecycle-{name}-ttl-increased"),
                Severity::Info,
                msg,
                field,
            );
        }
    }
    if o.logout_ends != n.logout_ends {
        let msg = format!(
            "logout now ends `{}` instead of `{}`",
            n.logout_ends.as_str(),
            o.logout_ends.as_str()
        );
        push(
            "lifecycle-logout-ends-changed",
            Severity::Breaking,
            msg,
            "logoutEnds",
        );
    }
    if o.reuse_grace_seconds != n.reuse_grace_seconds {
        let (ov, nv) = (o.reuse_grace_seconds, n.reuse_grace_seconds);
        if nv < ov {
            let msg = format!(
                "reuse grace cut from {ov}s to {nv}s: a client retrying a refresh within {ov}s now has its session ended"
            );
            push(
                "lifecycle-reuse-grace-cut",
                Severity::Breaking,
                msg,
                "reuseGraceSeconds",
            );
        } else {
            let msg = format!(
                "reuse grace raised from {ov}s to {nv}s: a leaked refresh token works longer"
            );
            push(
                "lifecycle-reuse-grace-raised",
                Severity::Warning,
                msg,
                "reuseGraceSeconds",
            );
        }
    }
    if o.refresh_lifetime != n.refresh_lifetime {
        let (sev, rule) = match n.refresh_lifetime {
            openapi::model::RefreshLifetime::Absolute => {
                (Severity::Breaking, "lifecycle-refresh-lifetime-absolute")
            }
            openapi::model::RefreshLifetime::Sliding => {
                (Severity::Info, "lifecycle-refresh-lifetime-sliding")
            }
        };
        let msg = format!(
            "refresh token lifetime now `{}` instead of `{}`",
            n.refresh_lifetime.as_str(),
            o.refresh_lifetime.as_str()
        );
        push(rule, sev, msg, "refreshLifetime");
    }
    if o.concurrent_refresh != n.concurrent_refresh {
        // Concurrent duplicates that got the same answer now lose (and, as
        // reuse, may end the session): clients retrying at once break.
        let (sev, rule) = match n.concurrent_refresh {
            openapi::model::ConcurrentRefresh::OneWins => {
                (Severity::Breaking, "lifecycle-concurrent-refresh-one-wins")
            }
            openapi::model::ConcurrentRefresh::SameAnswer => {
                (Severity::Info, "lifecycle-concurrent-refresh-same-answer")
            }
        };
        let msg = format!(
            "concurrent refreshes now `{}` instead of `{}`",
            n.concurrent_refresh.as_str(),
            o.concurrent_refresh.as_str()
        );
        push(rule, sev, msg, "concurrentRefresh");
    }
    match (o.session_ttl, n.session_ttl) {
        (ov, Some(nv)) if ov.is_none_or(|ov| nv < ov) => {
            let was = ov.map_or("no bound".to_owned(), |ov| format!("{ov}s"));
            let msg = format!(
                "session lifetime cut to {nv}s (was {was}): clients keeping a session longer break"
            );
            push(
                "lifecycle-session-ttl-decreased",
                Severity::Breaking,
                msg,
                "sessionTtl",
            );
        }
        (Some(ov), nv) if nv.is_none_or(|nv| nv > ov) => {
            let now = nv.map_or("no bound".to_owned(), |nv| format!("{nv}s"));
            let msg = format!("session lifetime raised from {ov}s to {now}");
            push(
                "lifecycle-session-ttl-increased",
                Severity::Info,
                msg,
                "sessionTtl",
            );
        }
        _ => {}
    }
    // The switches: what turning each off, then on, does to a client.
    type Turn = (&'static str, Severity, &'static str);
    let switches: [(&str, bool, bool, Turn, Turn); 6] = [
        (
            "refreshSingleUse",
            o.refresh_single_use,
            n.refresh_single_use,
            (
                "lifecycle-refresh-no-longer-single-use",
                Severity::Breaking,
                "refresh tokens are no longer single-use: a stolen refresh token stays valid",
            ),
            (
                "lifecycle-refresh-now-single-use",
                Severity::Breaking,
                "refresh tokens became single-use: clients reusing a refresh token break",
            ),
        ),
        (
            "reuseEndsSession",
            o.reuse_ends_session,
            n.reuse_ends_session,
            (
                "lifecycle-reuse-no-longer-ends-session",
                Severity::Breaking,
                "presenting a spent refresh token no longer ends the session",
            ),
            (
                "lifecycle-reuse-now-ends-session",
                Severity::Warning,
                "presenting a spent refresh token now ends the whole session",
            ),
        ),
        (
            "revokeIgnoresInvalidTokens",
            o.revoke_ignores_invalid_tokens,
            n.revoke_ignores_invalid_tokens,
            (
                "lifecycle-revoke-no-longer-always-succeeds",
                Severity::Breaking,
                "revoke no longer always succeeds: clients treating revoke as fire-and-forget break",
            ),
            (
                "lifecycle-revoke-now-always-succeeds",
                Severity::Info,
                "revoke now always succeeds",
            ),
        ),
        (
            "revokeCascades",
            o.revoke_cascades,
            n.revoke_cascades,
            (
                "lifecycle-revoke-cascade-dropped",
                Severity::Breaking,
                "revoking a refresh token no longer revokes the access tokens of its grant: clients relying on revoke to sign out leave live tokens",
            ),
            (
                "lifecycle-revoke-cascade-added",
                Severity::Breaking,
                "revoking a refresh token now revokes the access tokens of its grant: clients keeping the access token break",
            ),
        ),
        (
            "refreshRevokesAccess",
            o.refresh_revokes_access,
            n.refresh_revokes_access,
            (
                "lifecycle-refresh-keeps-access",
                Severity::Warning,
                "a refresh no longer revokes the previous access tokens: they live out their lifetime",
            ),
            (
                "lifecycle-refresh-revokes-access",
                Severity::Breaking,
                "a refresh now revokes the previous access tokens: clients using one after refreshing break",
            ),
        ),
        (
            "rotateOnRefresh",
            o.rotate_on_refresh(),
            n.rotate_on_refresh(),
            (
                "lifecycle-rotation-disabled",
                Severity::Warning,
                "refresh no longer rotates the refresh token",
            ),
            (
                "lifecycle-rotation-enabled",
                Severity::Breaking,
                "refresh now rotates the refresh token: clients keeping the old one break",
            ),
        ),
    ];
    for (field, was, is, off, on) in switches {
        if was != is {
            let (rule, sev, msg) = if is { on } else { off };
            push(rule, sev, msg.to_owned(), field);
        }
    }
}

/// The pointer of a policy field, or of its nearest existing parent.
fn existing(doc: Doc<'_>, field: &str) -> Option<String> {
    let candidates = [
        format!("/{KEY}/policy/{field}"),
        format!("/{KEY}/policy"),
        format!("/{KEY}"),
    ];
    candidates
        .into_iter()
        .find(|p| doc.root.pointer(p).is_some())
        .map(|p| format!("#{p}"))
}

/// The bindings of an operation (one object, or a list of them), each with
/// its `when` condition in a canonical form (`""` for none).
fn bindings<'a>(op: &Node<'a>) -> Vec<(String, Node<'a>)> {
    let list = match op.get(KEY) {
        None => Vec::new(),
        Some(b) if b.v.is_array() => op.items(KEY),
        Some(b) => vec![b],
    };
    list.into_iter().map(|b| (condition(&b), b)).collect()
}

/// A binding's `when` as sorted `place=value` pairs.
fn condition(binding: &Node<'_>) -> String {
    let mut pairs: Vec<String> = binding
        .entries("when")
        .into_iter()
        .map(|(place, v)| match v.v.as_str() {
            Some(s) => format!("{place}={s}"),
            None => format!("{place}={}", v.v),
        })
        .collect();
    pairs.sort();
    pairs.join(", ")
}

/// Compares the bindings of two matched operations: bindings are paired by
/// their `when` condition, then what is left by a unique action on both
/// sides (a changed condition), and each pair is compared alone.
pub(crate) fn operation(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let mut old = bindings(&pair.o.node);
    let mut new = bindings(&pair.n.node);
    let mut matched = Vec::new();
    old.retain(|(c, o)| match new.iter().position(|(nc, _)| nc == c) {
        Some(i) => {
            matched.push((o.clone(), new.remove(i).1));
            false
        }
        None => true,
    });
    let action = |b: &Node<'_>| b.str("action").unwrap_or("?").to_owned();
    let unique = |list: &[(String, Node<'_>)], a: &str| {
        list.iter().filter(|(_, b)| action(b) == a).count() == 1
    };
    let (o_left, n_left) = (old.clone(), new.clone());
    old.retain(|(oc, o)| {
        let a = action(o);
        if !unique(&o_left, &a) || !unique(&n_left, &a) {
            return true;
        }
        let Some(i) = new.iter().position(|(_, n)| action(n) == a) else {
            return true;
        };
        let (nc, n) = new.remove(i);
        let show = |c: &str| if c.is_empty() { "always".to_owned() } else { c.to_owned() };
        let msg = format!(
            "the condition of lifecycle binding `{a}` changed from {} to {}: requests that matched it may no longer",
            show(oc),
            show(&nc)
        );
        out.push(pair.finding(
            "lifecycle-binding-condition-changed",
            Severity::Breaking,
            msg,
            Some(&o.ptr),
            Some(&n.ptr),
        ));
        matched.push((o.clone(), n));
        false
    });
    for (_, o) in old {
        compare(pair, Some(o), None, out);
    }
    for (_, n) in new {
        compare(pair, None, Some(n), out);
    }
    for (o, n) in matched {
        compare(pair, Some(o), Some(n), out);
    }
}

/// Compares one binding of the old operation with one of the new.
fn compare(
    pair: &Pair<'_, '_>,
    ob: Option<Node<'_>>,
    nb: Option<Node<'_>>,
    out: &mut Vec<Finding>,
) {
    let action = |b: &Option<Node<'_>>| {
        b.as_ref()
            .and_then(|b| b.str("action"))
            .unwrap_or("?")
            .to_owned()
    };
    let (oa, na) = (action(&ob), action(&nb));
    let (ob, nb) = match (ob, nb) {
        (None, None) => return,
        (Some(o), None) => {
            let msg = format!(
                "lifecycle binding `{oa}` removed: the operation no longer promises its behaviour"
            );
            out.push(pair.finding(
                "lifecycle-binding-removed",
                Severity::Breaking,
                msg,
                Some(&o.ptr),
                None,
            ));
            return;
        }
        (None, Some(n)) => {
            let msg = format!("lifecycle binding `{na}` added");
            out.push(pair.finding(
                "lifecycle-binding-added",
                Severity::Info,
                msg,
                None,
                Some(&n.ptr),
            ));
            return;
        }
        (Some(o), Some(n)) => (o, n),
    };
    if oa != na {
        let msg = format!("lifecycle action changed from `{oa}` to `{na}`");
        let (op, np) = (format!("{}/action", ob.ptr), format!("{}/action", nb.ptr));
        out.push(pair.finding(
            "lifecycle-action-changed",
            Severity::Breaking,
            msg,
            Some(&op),
            Some(&np),
        ));
        return;
    }
    let (ol, nl) = (locations(&ob), locations(&nb));
    for (field, (o, optr)) in &ol {
        match nl.get(field) {
            Some((n, nptr)) if n.canonical() != o.canonical() => {
                let msg = format!("{field} moved from {} to {}", o.show(), n.show());
                out.push(pair.finding(
                    "lifecycle-token-location-moved",
                    Severity::Breaking,
                    msg,
                    Some(optr),
                    Some(nptr),
                ));
            }
            Some(_) => {}
            None => {
                let msg = format!("{field} location {} removed from the binding", o.show());
                out.push(pair.finding(
                    "lifecycle-location-removed",
                    Severity::Breaking,
                    msg,
                    Some(optr),
                    Some(&nb.ptr),
                ));
            }
        }
    }
    for (field, (n, nptr)) in &nl {
        if !ol.contains_key(field) {
            let sev = if field.contains('.') || field == "subject" {
                Severity::Info
            } else {
                Severity::Warning
            };
            let msg = format!("{field} location {} added to the binding", n.show());
            out.push(pair.finding(
                "lifecycle-location-added",
                sev,
                msg,
                Some(&ob.ptr),
                Some(nptr),
            ));
        }
    }
    let ost: Vec<String> = statuses(pair.old, pair.o).into_keys().collect();
    let nst: Vec<String> = statuses(pair.new, pair.n).into_keys().collect();
    for outcome in OutcomeName::ALL {
        if outcome == OutcomeName::InvalidCredentials && na != "login" {
            continue;
        }
        let os = outcome_status(&ob, &ost, outcome);
        let ns = outcome_status(&nb, &nst, outcome);
        if os == ns {
            continue;
        }
        let show = |s: &Option<String>| {
            s.clone()
                .unwrap_or_else(|| "none".to_owned())
                .to_ascii_lowercase()
        };
        let (rule, msg) = if outcome == OutcomeName::Success {
            let rule = if na == "logout" {
                "lifecycle-logout-status-changed"
            } else {
                "lifecycle-success-status-changed"
            };
            (
                rule,
                format!(
                    "{na} success status changed from {} to {}",
                    show(&os),
                    show(&ns)
                ),
            )
        } else {
            (
                "lifecycle-outcome-status-changed",
                format!(
                    "{na} outcome `{outcome}` status changed from {} to {}",
                    show(&os),
                    show(&ns)
                ),
            )
        };
        out.push(pair.finding(rule, Severity::Breaking, msg, Some(&ob.ptr), Some(&nb.ptr)));
    }
}
