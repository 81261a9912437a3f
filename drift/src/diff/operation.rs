//! What an operation says about itself: deprecation and its sunset date
//! (`x-sunset`), stability level (`x-stability-level`), operationId and
//! tags.

use std::collections::{BTreeMap, BTreeSet};

use super::Pair;
use crate::doc::{path_key, Node, Operation};
use crate::finding::{Finding, Severity};
use crate::options::{parse_date, show_date, Date};

/// The extension naming the date a deprecated operation goes away.
pub(crate) const SUNSET: &str = "x-sunset";
/// The extension naming an operation's stability level.
pub(crate) const STABILITY: &str = "x-stability-level";
/// The stability levels, least stable first. An operation without one is
/// stable.
pub(crate) const LEVELS: [&str; 4] = ["draft", "alpha", "beta", "stable"];

/// An operation's `x-sunset`: absent, a date, or text that is not one.
enum Sunset<'s> {
    None,
    On(Date),
    Invalid(&'s str),
}

fn sunset<'a>(node: &Node<'a>) -> Sunset<'a> {
    match node.v.get(SUNSET) {
        None => Sunset::None,
        Some(v) => match v.as_str() {
            Some(text) => parse_date(text).map_or(Sunset::Invalid(text), Sunset::On),
            None => Sunset::Invalid("a value that is not a string"),
        },
    }
}

fn deprecated(node: &Node<'_>) -> bool {
    node.bool("deprecated").unwrap_or(false)
}

/// The finding for an operation of the old document that the new one
/// lacks: breaking, unless the operation was deprecated and its sunset
/// date has passed (`today`), or it never promised stability.
pub(crate) fn removed(o: &Operation<'_>, today: Option<Date>) -> Finding {
    let label = o.label();
    let (rule, sev, msg) = match (deprecated(&o.node), sunset(&o.node)) {
        (true, Sunset::On(date)) if today.is_some_and(|t| t >= date) => (
            "operation-removed-after-sunset",
            Severity::Warning,
            format!(
                "operation {label} removed after its sunset date {}",
                show_date(date)
            ),
        ),
        (true, Sunset::On(date)) => (
            "operation-removed-before-sunset",
            Severity::Breaking,
            format!(
                "operation {label} removed before its sunset date {}",
                show_date(date)
            ),
        ),
        (true, _) => (
            "operation-removed",
            Severity::Breaking,
            format!("operation {label} removed (deprecated, but no sunset date was announced)"),
        ),
        (false, _) => (
            "operation-removed",
            Severity::Breaking,
            format!("operation {label} removed"),
        ),
    };
    let mut f = Finding::new(rule, sev, msg)
        .operation(label)
        .at(Some(&o.node.ptr), None);
    if let Some(level) = unstable(&o.node) {
        relax(&mut f, level);
    }
    f
}

/// Deprecation, its notice and its sunset date.
pub(crate) fn deprecation(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let (o, n) = (&pair.o.node, &pair.n.node);
    let (op, np) = (Some(o.ptr.as_str()), Some(n.ptr.as_str()));
    let (was, is) = (deprecated(o), deprecated(n));
    let label = &pair.label;
    let new_sunset = sunset(n);
    let changed = o.v.get(SUNSET) != n.v.get(SUNSET);
    if let (Sunset::Invalid(text), true) = (&new_sunset, changed) {
        let msg = format!("{SUNSET} of {label} is `{text}`, not a date like 2025-06-30");
        out.push(pair.finding("operation-sunset-invalid", Severity::Warning, msg, op, np));
    }
    if !was && is {
        let (rule, msg) = match new_sunset {
            Sunset::On(date) => (
                "operation-deprecated",
                format!(
                    "operation {label} deprecated, sunset on {}",
                    show_date(date)
                ),
            ),
            _ => (
                "operation-deprecated-without-sunset",
                format!(
                    "operation {label} deprecated without a sunset date ({SUNSET}): clients are not told when it goes"
                ),
            ),
        };
        out.push(pair.finding(rule, Severity::Warning, msg, op, np));
    } else if was && !is {
        let msg = format!("operation {label} no longer deprecated");
        out.push(pair.finding("operation-undeprecated", Severity::Info, msg, op, np));
    } else if was && is {
        let old_sunset = sunset(o);
        if let (false, Sunset::On(date)) = (matches!(old_sunset, Sunset::On(_)), &new_sunset) {
            let msg = format!(
                "sunset of the deprecated {label} announced for {}",
                show_date(*date)
            );
            out.push(pair.finding("operation-sunset-announced", Severity::Info, msg, op, np));
        }
        if let (Sunset::On(a), Sunset::On(b)) = (old_sunset, new_sunset) {
            let (rule, sev, how) = if b < a {
                (
                    "operation-sunset-brought-forward",
                    Severity::Warning,
                    "brought forward",
                )
            } else {
                ("operation-sunset-postponed", Severity::Info, "postponed")
            };
            if a != b {
                let msg = format!(
                    "sunset of {label} {how} from {} to {}",
                    show_date(a),
                    show_date(b)
                );
                out.push(pair.finding(rule, sev, msg, op, np));
            }
        }
    }
}

/// A stability level: its rank in [`LEVELS`], or the text when it is not one.
fn level(node: &Node<'_>) -> Option<Result<usize, String>> {
    let v = node.v.get(STABILITY)?;
    let text = v.as_str().unwrap_or_default();
    Some(
        LEVELS
            .iter()
            .position(|l| l.eq_ignore_ascii_case(text))
            .ok_or_else(|| v.to_string()),
    )
}

/// `draft` or `alpha`: no stability promised.
fn unstable(node: &Node<'_>) -> Option<&'static str> {
    match level(node) {
        Some(Ok(i)) if i < 2 => Some(LEVELS[i]),
        _ => None,
    }
}

/// A breaking finding of an operation that promised no stability is a
/// warning.
fn relax(f: &mut Finding, level: &str) {
    if f.severity == Severity::Breaking {
        f.severity = Severity::Warning;
        f.message
            .push_str(&format!(" ({STABILITY} {level}: no stability promised)"));
    }
}

/// The stability level's change, and the findings `found` of an operation
/// that was `draft` or `alpha` made warnings at most.
pub(crate) fn stability(pair: &Pair<'_, '_>, found: &mut [Finding], out: &mut Vec<Finding>) {
    if let Some(level) = unstable(&pair.o.node) {
        for f in found.iter_mut() {
            relax(f, level);
        }
    }
    let (o, n) = (&pair.o.node, &pair.n.node);
    let (op, np) = (Some(o.ptr.as_str()), Some(n.ptr.as_str()));
    let label = &pair.label;
    match (level(o), level(n)) {
        (a, b) if a == b => {}
        (_, Some(Err(text))) => {
            let msg = format!(
                "{STABILITY} of {label} is {text}, not one of {}",
                LEVELS.join(", ")
            );
            out.push(pair.finding(
                "operation-stability-invalid",
                Severity::Warning,
                msg,
                op,
                np,
            ));
        }
        // A level that is none of the four promised nothing: any level is a
        // rise from it.
        (Some(Err(text)), b) => {
            let b = b.and_then(Result::ok).unwrap_or(LEVELS.len() - 1);
            let msg = format!(
                "{label}: stability level changed from {text} (not a level) to {}",
                LEVELS[b]
            );
            out.push(pair.finding("operation-stability-increased", Severity::Info, msg, op, np));
        }
        // No level is stable; setting one where there was none is allowed.
        (Some(Ok(a)), b) => {
            let b = match b {
                Some(Ok(b)) => b,
                _ => LEVELS.len() - 1,
            };
            let msg = format!(
                "{label}: stability level changed from {} to {}",
                LEVELS[a], LEVELS[b]
            );
            if b < a {
                out.push(pair.finding(
                    "operation-stability-decreased",
                    Severity::Breaking,
                    msg,
                    op,
                    np,
                ));
            } else if b > a {
                out.push(pair.finding(
                    "operation-stability-increased",
                    Severity::Info,
                    msg,
                    op,
                    np,
                ));
            }
        }
        _ => {}
    }
}

/// The tags of an operation.
fn tags<'a>(op: &Operation<'a>) -> BTreeSet<&'a str> {
    op.node
        .v
        .get("tags")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str())
        .collect()
}

/// Tags renamed: an old tag no operation of the new document has, whose
/// matched operations are exactly those of a new tag the old document
/// did not have. Returns old name to new name.
pub(crate) fn renamed_tags(pairs: &[(&Operation<'_>, &Operation<'_>)]) -> BTreeMap<String, String> {
    let key = |op: &Operation<'_>| format!("{} {}", op.method, path_key(op.path));
    let mut olds: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut news: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (o, n) in pairs {
        for t in tags(o) {
            olds.entry(t).or_default().insert(key(o));
        }
        for t in tags(n) {
            news.entry(t).or_default().insert(key(o));
        }
    }
    let mut out = BTreeMap::new();
    for (t, ops) in &olds {
        if news.contains_key(t) {
            continue;
        }
        let to = news
            .iter()
            .find(|(u, nops)| !olds.contains_key(*u) && *nops == ops)
            .map(|(u, _)| (*u).to_owned());
        if let Some(u) = to {
            out.insert((*t).to_owned(), u);
        }
    }
    out
}

/// The findings of tag renames, at the root `tags` entries when declared.
pub(crate) fn tag_renames(
    renames: &BTreeMap<String, String>,
    old: &Node<'_>,
    new: &Node<'_>,
    out: &mut Vec<Finding>,
) {
    let at = |root: &Node<'_>, name: &str| {
        root.items("tags")
            .into_iter()
            .find(|t| t.str("name") == Some(name))
            .map(|t| t.ptr)
    };
    for (a, b) in renames {
        let msg = format!(
            "tag `{a}` renamed to `{b}`: generated clients move its operations to another class"
        );
        out.push(
            Finding::new("tag-renamed", Severity::Warning, msg)
                .at(at(old, a).as_deref(), at(new, b).as_deref()),
        );
    }
}

/// operationId and tags: wire-compatible, but generated clients name
/// methods after the operationId and group them by tag.
pub(crate) fn identity(
    pair: &Pair<'_, '_>,
    renamed: &BTreeMap<String, String>,
    out: &mut Vec<Finding>,
) {
    let (o, n) = (&pair.o.node, &pair.n.node);
    let (op, np) = (Some(o.ptr.as_str()), Some(n.ptr.as_str()));
    match (o.str("operationId"), n.str("operationId")) {
        (Some(a), Some(b)) if a != b => {
            let msg = format!(
                "operationId changed from `{a}` to `{b}`: generated clients rename the method"
            );
            out.push(pair.finding("operation-id-changed", Severity::Warning, msg, op, np));
        }
        (Some(a), None) => {
            let msg = format!("operationId `{a}` removed: generated clients rename the method");
            out.push(pair.finding("operation-id-removed", Severity::Warning, msg, op, np));
        }
        (None, Some(b)) => {
            let msg = format!("operationId `{b}` added");
            out.push(pair.finding("operation-id-added", Severity::Info, msg, op, np));
        }
        _ => {}
    }
    let (ot, nt) = (tags(pair.o), tags(pair.n));
    for t in ot.iter().filter(|t| !nt.contains(*t)) {
        if renamed.get(*t).is_some_and(|u| nt.contains(u.as_str())) {
            continue;
        }
        let msg = format!("tag `{t}` removed from the operation");
        out.push(pair.finding("operation-tag-removed", Severity::Warning, msg, op, np));
    }
    for t in nt.iter().filter(|t| !ot.contains(*t)) {
        if renamed
            .iter()
            .any(|(a, u)| u == t && ot.contains(a.as_str()))
        {
            continue;
        }
        let msg = format!("tag `{t}` added to the operation");
        out.push(pair.finding("operation-tag-added", Severity::Info, msg, op, np));
    }
}
