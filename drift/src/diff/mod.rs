//! `diff`: the changes between two documents, with their severity.

mod components;
mod lifecycle;
mod operation;
pub(crate) mod request;
pub(crate) mod response;
mod schema;
pub(crate) mod security;
pub(crate) mod shape;
mod version;
mod webhook;

use std::collections::{BTreeMap, HashMap};

use openapi::swagger2::Origins;
use serde_json::Value;

use crate::doc::{self, operations, path_key, Doc, Operation};
use crate::finding::{Finding, Report, Severity};
use crate::options::{Date, Options};

pub(crate) use schema::{Dir, SchemaDiff};

/// Two matched operations, one per document.
pub(crate) struct Pair<'p, 'a> {
    pub old: Doc<'a>,
    pub new: Doc<'a>,
    pub o: &'p Operation<'a>,
    pub n: &'p Operation<'a>,
    /// `METHOD /path` of the new document.
    pub label: String,
    /// The schema comparisons of the whole diff.
    pub memo: &'p schema::Memo,
}

impl<'a> Pair<'_, 'a> {
    /// A yes/no property that changed from `was` to `is`: `became(true)`
    /// names the finding of its turning on, `became(false)` of its turning
    /// off.
    pub fn flag(
        &self,
        (was, is): (bool, bool),
        (old, new): (Option<&str>, Option<&str>),
        out: &mut Vec<Finding>,
        became: impl FnOnce(bool) -> (&'static str, Severity, String),
    ) {
        if was != is {
            let (rule, severity, message) = became(is);
            out.push(self.finding(rule, severity, message, old, new));
        }
    }

    /// The media types of two `content` objects at `at` (the parents'
    /// pointers): the schemas of those on both sides compared, the others
    /// told with `told(media type, added)`, which gives rule, severity and
    /// message.
    pub fn media_types(
        &self,
        (om, nm): (
            &BTreeMap<String, doc::Node<'a>>,
            &BTreeMap<String, doc::Node<'a>>,
        ),
        (dir, prefix): (Dir, &'static str),
        (op, np): (Option<&str>, Option<&str>),
        told: impl Fn(&str, bool) -> (&'static str, Severity, String),
        out: &mut Vec<Finding>,
    ) {
        for (ct, o) in om {
            match nm.get(ct) {
                Some(n) => {
                    if let (Some(os), Some(ns)) = (o.get("schema"), n.get("schema")) {
                        self.schemas(dir, prefix, (os, ns), "body", out);
                    }
                }
                None => {
                    let (rule, sev, msg) = told(ct, false);
                    out.push(self.finding(rule, sev, msg, Some(&o.ptr), np));
                }
            }
        }
        for (ct, n) in nm {
            if !om.contains_key(ct) {
                let (rule, sev, msg) = told(ct, true);
                out.push(self.finding(rule, sev, msg, op, Some(&n.ptr)));
            }
        }
    }

    /// Compares two schemas of this operation in direction `dir`, with
    /// rule ids starting with `prefix`.
    pub fn schemas(
        &self,
        dir: Dir,
        prefix: &'static str,
        (old, new): (doc::Node<'a>, doc::Node<'a>),
        label: &str,
        out: &mut Vec<Finding>,
    ) {
        let mut sd = SchemaDiff::new(
            self.old,
            self.new,
            dir,
            prefix,
            self.label.clone(),
            self.memo,
        );
        sd.compare(old, new, label);
        out.append(&mut sd.findings);
    }

    /// A finding about this operation.
    pub fn finding(
        &self,
        rule: &str,
        severity: Severity,
        message: String,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Finding {
        Finding::new(rule, severity, message)
            .operation(self.label.clone())
            .at(old, new)
    }
}

/// Every change from `old` to `new`, most severe first, under the default
/// [`Options`] (the lenient policy, no version check, no date: every
/// sunset still to come). [`diff_with`] takes options.
///
/// Operations are matched by method and path template (parameter names do
/// not matter: `/pets/{id}` is `/pets/{petId}`). Schemas are compared by
/// meaning: refs are followed, `allOf` is merged, `oneOf`/`anyOf` branches are
/// matched by name or content, and order never matters.
///
/// A Swagger 2.0 document is compared in its conversion
/// ([`openapi::swagger2`], the loader's), so a 2.0 version and a 3.x
/// version of the same API differ only where the API does; every pointer
/// names the place of the document as written.
pub fn diff(old: &Value, new: &Value) -> Report {
    diff_with(old, new, &Options::default())
}

/// Every change from `old` to `new` as [`diff`] finds them, then judged by
/// `options`: the breaking policy, the `[rules]` severities of its
/// config, its ignores (hidden findings are in [`Report::ignored`]; an
/// expired ignore is itself a finding), and, with `check_version`, whether
/// `info.version` was bumped enough for what breaks.
///
/// ```
/// use drift::{diff_with, BreakingPolicy, Options, Severity};
/// use serde_json::json;
///
/// let doc = |values: serde_json::Value, version: &str| json!({
///     "openapi": "3.0.3", "info": {"title": "t", "version": version},
///     "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok",
///         "content": {"application/json": {"schema": {"type": "string", "enum": values}}}}}}}}
/// });
/// let (old, new) = (doc(json!(["cat"]), "1.0.0"), doc(json!(["cat", "dog"]), "1.1.0"));
///
/// let lenient = diff_with(&old, &new, &Options::default());
/// assert_eq!(lenient.findings[0].severity, Severity::Warning);
///
/// let strict = Options::default().policy(BreakingPolicy::Strict).check_version(true);
/// let report = diff_with(&old, &new, &strict);
/// assert_eq!(report.findings[0].severity, Severity::Breaking);
/// // A breaking change with a minor bump only:
/// assert!(report.by_rule("version-major-bump-missing").next().is_some());
/// ```
pub fn diff_with(old: &Value, new: &Value, options: &Options) -> Report {
    let raw = changes(old, new, options.today);
    let findings: Vec<Finding> = raw
        .findings
        .into_iter()
        .map(|f| options.policy.judge(f))
        .collect();
    let findings = options.config.severities(findings);
    let (mut findings, ignored) = options.config.ignores(findings, options.today);
    if options.check_version {
        let more = version::check(old, new, &findings);
        findings.extend(more);
    }
    // `[rules]` apply to the config's and the version policy's own findings
    // too (applying them again to the others changes nothing).
    let findings = options.config.severities(findings);
    let mut report = Report::from_findings(findings);
    report.ignored = ignored;
    report
}

/// The changes, before any policy or config.
fn changes(old: &Value, new: &Value, today: Option<Date>) -> Report {
    let (o, n) = (
        openapi::swagger2::normalize(old),
        openapi::swagger2::normalize(new),
    );
    if o.is_none() && n.is_none() {
        return diff_openapi(old, new, today);
    }
    let same = Origins::default();
    let report = diff_openapi(
        o.as_ref().map_or(old, |c| &c.document),
        n.as_ref().map_or(new, |c| &c.document),
        today,
    );
    report.relocated(
        o.as_ref().map_or(&same, |c| &c.origins),
        n.as_ref().map_or(&same, |c| &c.origins),
    )
}

fn diff_openapi(old: &Value, new: &Value, today: Option<Date>) -> Report {
    let (od, nd) = (Doc::new(old), Doc::new(new));
    let olds = operations(od);
    let news = operations(nd);
    let mut index: HashMap<(String, &str), usize> = HashMap::new();
    for (i, op) in news.iter().enumerate() {
        index.entry((path_key(op.path), op.method)).or_insert(i);
    }
    let mut matched = vec![false; news.len()];
    let mut out = Vec::new();
    let mut pairs: Vec<(&Operation<'_>, &Operation<'_>)> = Vec::new();
    for o in &olds {
        match index.get(&(path_key(o.path), o.method)) {
            Some(&j) if !matched[j] => {
                matched[j] = true;
                pairs.push((o, &news[j]));
            }
            _ => out.push(operation::removed(o, today)),
        }
    }
    let renamed = operation::renamed_tags(&pairs);
    operation::tag_renames(&renamed, &od.node(), &nd.node(), &mut out);
    let memo = schema::Memo::default();
    for (o, n) in pairs {
        let pair = Pair {
            old: od,
            new: nd,
            o,
            n,
            label: n.label(),
            memo: &memo,
        };
        let start = out.len();
        operation(&pair, &renamed, &mut out);
        let mut found = out.split_off(start);
        operation::stability(&pair, &mut found, &mut out);
        out.append(&mut found);
    }
    for (j, n) in news.iter().enumerate() {
        if !matched[j] {
            out.push(
                Finding::new(
                    "operation-added",
                    Severity::Info,
                    format!("operation {} added", n.label()),
                )
                .operation(n.label())
                .at(None, Some(&n.node.ptr)),
            );
        }
    }
    security::schemes(od, nd, &mut out);
    lifecycle::root(od, nd, &mut out);
    components::renames(od, nd, &mut out);
    webhook::webhooks_diff(od, nd, &memo, &mut out);
    Report::from_findings(out)
}

fn operation(
    pair: &Pair<'_, '_>,
    renamed_tags: &std::collections::BTreeMap<String, String>,
    out: &mut Vec<Finding>,
) {
    operation::deprecation(pair, out);
    operation::identity(pair, renamed_tags, out);
    request::parameters(pair, out);
    request::body(pair, out);
    response::responses(pair, out);
    security::requirements(pair, out);
    lifecycle::operation(pair, out);
}
