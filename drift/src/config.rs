//! `drift.toml`: per-rule severities and ignores with a reason and an
//! expiry date, the policy and the version check.
//!
//! ```toml
//! breaking-policy = "strict"       # or "lenient" (the default)
//! check-version = true
//!
//! [rules]
//! response-status-added = "breaking"
//! operation-tag-added = "off"      # off, info, warning or breaking
//!
//! [[ignore]]
//! rule = "response-property-removed"
//! operation = "GET /pets/{id}"     # optional: every operation when absent
//! pointer = "#/components/schemas/Pet"   # optional: a prefix of either pointer
//! reason = "the mobile app stopped reading `legacy_id` in 4.2"
//! expires = 2025-06-30             # a TOML date or "2025-06-30"
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::doc::path_key;
use crate::error::Error;
use crate::finding::{Finding, Severity};
use crate::options::{parse_date, show_date, BreakingPolicy, Date};
use crate::rules;

/// The config file's name, looked for in the current directory by
/// `conformance diff`.
pub const CONFIG_FILE: &str = "drift.toml";

/// The rule of an expired ignore entry.
pub const IGNORE_EXPIRED: &str = "drift-ignore-expired";
/// The rule of an ignore entry that matched nothing.
pub const IGNORE_UNUSED: &str = "drift-ignore-unused";

/// A severity a `[rules]` entry sets, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The rule is not reported.
    Off,
    /// Reported as info.
    Info,
    /// Reported as a warning.
    Warning,
    /// Reported as breaking.
    Breaking,
}

/// One `[[ignore]]` entry: a known finding accepted until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The rule id it hides.
    pub rule: String,
    /// Only this operation (`GET /pets/{id}`; method case and path
    /// parameter names do not matter).
    pub operation: Option<String>,
    /// Only findings whose old or new pointer starts with this.
    pub pointer: Option<String>,
    /// Why the break is accepted (shown with every finding it hides).
    pub reason: String,
    /// The last day it holds; past it the finding is reported again, and
    /// the entry itself too.
    pub expires: Date,
}

impl Ignore {
    fn matches(&self, f: &Finding) -> bool {
        if f.rule != self.rule {
            return false;
        }
        if let Some(want) = &self.operation {
            let Some(op) = &f.operation else {
                return false;
            };
            if operation_key(want) != operation_key(op) {
                return false;
            }
        }
        if let Some(p) = &self.pointer {
            let under =
                |q: &Option<String>| q.as_deref().is_some_and(|q| q.starts_with(p.as_str()));
            if !under(&f.old) && !under(&f.new) {
                return false;
            }
        }
        true
    }

    fn describe(&self) -> String {
        let mut s = format!("`{}`", self.rule);
        if let Some(op) = &self.operation {
            s.push_str(&format!(" on {op}"));
        }
        if let Some(p) = &self.pointer {
            s.push_str(&format!(" at {p}"));
        }
        s
    }
}

/// `GET /pets/{}`: an operation as written in a config, matched as the
/// diff matches operations.
fn operation_key(op: &str) -> (String, String) {
    let (method, path) = op.trim().split_once(' ').unwrap_or(("", op));
    (method.to_ascii_uppercase(), path_key(path.trim()))
}

/// A finding an ignore entry hid, with the entry's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    /// The finding as it would have been reported.
    pub finding: Finding,
    /// The entry's reason.
    pub reason: String,
    /// The entry's expiry date (`2025-06-30`).
    pub expires: String,
}

/// A `drift.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `breaking-policy`.
    pub breaking_policy: Option<BreakingPolicy>,
    /// `check-version`.
    pub check_version: Option<bool>,
    /// `[rules]`: a severity (or off) per rule id.
    pub rules: BTreeMap<String, Level>,
    /// `[[ignore]]`.
    pub ignore: Vec<Ignore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    breaking_policy: Option<BreakingPolicy>,
    check_version: Option<bool>,
    #[serde(default)]
    rules: BTreeMap<String, Level>,
    #[serde(default)]
    ignore: Vec<IgnoreFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    rule: String,
    operation: Option<String>,
    pointer: Option<String>,
    reason: Option<String>,
    expires: Option<toml::Value>,
}

impl Config {
    /// Reads a `drift.toml`. Every rule it names must exist, and every
    /// ignore entry needs a reason and an expiry date.
    pub fn from_toml(text: &str) -> Result<Config, Error> {
        let file: File = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        for rule in file.rules.keys() {
            known(rule, "[rules]")?;
        }
        let mut ignore = Vec::new();
        for (i, e) in file.ignore.into_iter().enumerate() {
            let at = format!("[[ignore]] #{}", i + 1);
            known(&e.rule, &at)?;
            let reason = e
                .reason
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| Error::Config(format!("{at} (`{}`) needs a reason", e.rule)))?;
            let expires = match &e.expires {
                Some(toml::Value::Datetime(d)) => parse_date(&d.to_string()),
                Some(toml::Value::String(s)) => parse_date(s),
                Some(_) => None,
                None => {
                    return Err(Error::Config(format!(
                        "{at} (`{}`) needs an expiry date: expires = 2025-06-30",
                        e.rule
                    )))
                }
            }
            .ok_or_else(|| {
                Error::Config(format!(
                    "{at} (`{}`): expires is not a date like 2025-06-30",
                    e.rule
                ))
            })?;
            ignore.push(Ignore {
                rule: e.rule,
                operation: e.operation,
                pointer: e.pointer,
                reason,
                expires,
            });
        }
        Ok(Config {
            breaking_policy: file.breaking_policy,
            check_version: file.check_version,
            rules: file.rules,
            ignore,
        })
    }

    /// The findings with the `[rules]` severities applied (a rule `off`
    /// dropped).
    pub(crate) fn severities(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                match self.rules.get(&f.rule) {
                    Some(Level::Off) => return None,
                    Some(Level::Info) => f.severity = Severity::Info,
                    Some(Level::Warning) => f.severity = Severity::Warning,
                    Some(Level::Breaking) => f.severity = Severity::Breaking,
                    None => {}
                }
                Some(f)
            })
            .collect()
    }

    /// Splits the findings into those reported and those an unexpired
    /// ignore entry hides; adds a finding for each entry that expired
    /// (`today` past its date: what it hid is reported again) and for
    /// each that hid nothing.
    pub(crate) fn ignores(
        &self,
        findings: Vec<Finding>,
        today: Option<Date>,
    ) -> (Vec<Finding>, Vec<Ignored>) {
        let mut used = vec![false; self.ignore.len()];
        let live: Vec<bool> = self
            .ignore
            .iter()
            .map(|e| today.is_none_or(|t| t <= e.expires))
            .collect();
        let mut kept = Vec::new();
        let mut hidden = Vec::new();
        for f in findings {
            let hit = (0..self.ignore.len()).find(|&i| live[i] && self.ignore[i].matches(&f));
            match hit {
                Some(i) => {
                    used[i] = true;
                    let e = &self.ignore[i];
                    hidden.push(Ignored {
                        finding: f,
                        reason: e.reason.clone(),
                        expires: show_date(e.expires),
                    });
                }
                None => kept.push(f),
            }
        }
        for (i, e) in self.ignore.iter().enumerate() {
            if !live[i] {
                let msg = format!(
                    "the ignore of {} expired on {} ({}): what it hid is reported again",
                    e.describe(),
                    show_date(e.expires),
                    e.reason
                );
                kept.push(Finding::new(IGNORE_EXPIRED, Severity::Warning, msg));
            } else if !used[i] {
                let msg = format!(
                    "the ignore of {} (until {}) matched no finding: remove it",
                    e.describe(),
                    show_date(e.expires)
                );
                kept.push(Finding::new(IGNORE_UNUSED, Severity::Info, msg));
            }
        }
        (kept, hidden)
    }
}

fn known(rule: &str, at: &str) -> Result<(), Error> {
    if rules::is_known(rule) {
        return Ok(());
    }
    let hint = rules::closest(rule)
        .map(|r| format!(" (did you mean `{r}`?)"))
        .unwrap_or_default();
    Err(Error::Config(format!("{at}: unknown rule `{rule}`{hint}")))
}
