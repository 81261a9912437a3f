//! Findings, their severity and the report that collects them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How much a finding matters.
///
/// For a diff, `Breaking` means a client written against the old document can
/// fail against the new one. For a lint, `Breaking` is an error in the
/// document (the mock or the oracle would misbehave).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, harmless.
    Info,
    /// May break some clients, or is suspicious.
    Warning,
    /// Breaks clients (diff) or is an error (lint).
    Breaking,
}

impl Severity {
    /// The lowercase name: `info`, `warning` or `breaking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The threshold at which a report fails a build (see [`Report::exceeds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Fail on breaking findings only.
    Breaking,
    /// Fail on warnings and breaking findings.
    Warning,
    /// Fail on any finding at all.
    Info,
}

impl FailOn {
    /// The least severity that fails.
    pub fn threshold(self) -> Severity {
        match self {
            FailOn::Breaking => Severity::Breaking,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

impl FromStr for FailOn {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "breaking" | "error" => Ok(FailOn::Breaking),
            "warning" | "warn" => Ok(FailOn::Warning),
            "info" => Ok(FailOn::Info),
            _ => Err(Error::UnknownFailOn(s.to_owned())),
        }
    }
}

/// One change (diff) or one problem (lint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// A stable rule id such as `operation-removed`.
    pub rule: String,
    /// How much it matters.
    pub severity: Severity,
    /// A one-line human explanation.
    pub message: String,
    /// The operation concerned, as `METHOD /path`, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// A JSON pointer (`#/paths/...`) into the old document (diff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// A JSON pointer into the new document; for a lint, into the linted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The shared component the change is in (`#/components/schemas/Pet`,
    /// `#/definitions/Pet` in a Swagger 2.0 document), when its pointer is
    /// inside one: set by [`Report::from_findings`]. A change to a component
    /// used by several operations is one finding per operation, and the
    /// renderers group them under the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

impl Finding {
    /// A finding with no operation and no pointers.
    pub fn new(rule: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.into(),
            severity,
            message: message.into(),
            operation: None,
            old: None,
            new: None,
            component: None,
        }
    }

    /// Sets the operation (`METHOD /path`).
    pub fn operation(mut self, op: impl Into<String>) -> Self {
        self.operation = Some(op.into());
        self
    }

    /// Sets the pointers into the old and the new document.
    pub fn at(mut self, old: Option<&str>, new: Option<&str>) -> Self {
        self.old = old.map(str::to_owned);
        self.new = new.map(str::to_owned);
        self
    }

    /// The most useful pointer: the new document's, else the old one's.
    pub fn pointer(&self) -> Option<&str> {
        self.new.as_deref().or(self.old.as_deref())
    }
}

/// The component a pointer is inside: its first tokens up to the
/// component's name (`#/components/schemas/Pet` of
/// `#/components/schemas/Pet/properties/id`), with the Swagger 2.0
/// sections (`#/definitions/Pet`, `#/parameters/limit`, `#/responses/NotFound`).
pub(crate) fn component_of(pointer: &str) -> Option<String> {
    let rest = pointer.strip_prefix("#/")?;
    let mut tokens = rest.split('/');
    let first = tokens.next()?;
    let depth = match first {
        "components" => 3,
        "definitions" | "parameters" | "responses" => 2,
        _ => return None,
    };
    let taken: Vec<&str> = rest.split('/').take(depth).collect();
    (taken.len() == depth && taken.iter().all(|t| !t.is_empty()))
        .then(|| format!("#/{}", taken.join("/")))
}

/// The findings of one diff or one lint, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
    /// Findings an ignore entry of the config hid, with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<crate::config::Ignored>,
}

impl Report {
    /// Builds a report: sorts the findings (most severe first, then by rule,
    /// operation, pointer and message), drops repeats of the same rule,
    /// operation, pointers and message, and sets each finding's
    /// [`Finding::component`]. A shared component changed once stays one
    /// finding per operation that uses it.
    pub fn from_findings(mut findings: Vec<Finding>) -> Self {
        for f in &mut findings {
            f.component = f.pointer().and_then(component_of);
        }
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.operation.cmp(&b.operation))
                .then_with(|| a.old.cmp(&b.old))
                .then_with(|| a.new.cmp(&b.new))
                .then_with(|| a.message.cmp(&b.message))
        });
        let mut seen = std::collections::HashSet::new();
        findings.retain(|f| {
            if f.old.is_none() && f.new.is_none() {
                return true;
            }
            seen.insert((
                f.rule.clone(),
                f.operation.clone(),
                f.old.clone(),
                f.new.clone(),
                f.message.clone(),
            ))
        });
        Report {
            findings,
            ignored: Vec::new(),
        }
    }

    /// The report with repeats of a problem at one place dropped whatever
    /// the operation (lint: an example of a shared component is wrong once,
    /// not once per operation that uses it).
    pub(crate) fn once_per_place(mut self) -> Report {
        let mut seen = std::collections::HashSet::new();
        self.findings.retain(|f| {
            f.pointer().is_none()
                || seen.insert((
                    f.rule.clone(),
                    f.old.clone(),
                    f.new.clone(),
                    f.message.clone(),
                ))
        });
        self
    }

    /// The report with every pointer into the old document passed through
    /// `old`, and into the new one through `new` (a converted document's
    /// pointers mapped back to the document as written).
    pub(crate) fn relocated(
        self,
        old: &openapi::swagger2::Origins,
        new: &openapi::swagger2::Origins,
    ) -> Report {
        let findings = self
            .findings
            .into_iter()
            .map(|mut f| {
                f.old = f.old.map(|p| old.original_fragment(&p));
                f.new = f.new.map(|p| new.original_fragment(&p));
                f
            })
            .collect();
        let mut report = Report::from_findings(findings);
        report.ignored = self.ignored;
        report
    }

    /// True when there is no finding.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// How many findings have exactly this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The highest severity present, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// True when some finding is at least as severe as the threshold: the
    /// build should fail.
    pub fn exceeds(&self, fail_on: FailOn) -> bool {
        self.max_severity()
            .is_some_and(|max| max >= fail_on.threshold())
    }

    /// The findings of one rule.
    pub fn by_rule<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}
