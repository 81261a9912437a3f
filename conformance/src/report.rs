//! Reports: a human summary with each failure as a replayable curl
//! sequence, JSON, and JUnit XML (one testcase per check and operation).

use std::fmt::Write as _;

use crate::driver::Exchange;

/// The kind of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Per-operation requests generated from schemas.
    Stateless,
    /// Lifecycle sequences against the model.
    Stateful,
    /// Concurrent refreshes.
    Concurrency,
    /// Token expiry.
    Expiry,
}

impl Group {
    fn as_str(self) -> &'static str {
        match self {
            Group::Stateless => "stateless",
            Group::Stateful => "stateful",
            Group::Concurrency => "concurrency",
            Group::Expiry => "expiry",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It held every time.
    Passed,
    /// It failed.
    Failed,
    /// It could not run.
    Skipped,
}

/// One check's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    /// Its kind.
    pub group: Group,
    /// Its name (a property, or `operation: what`).
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// How many times it was checked.
    pub checks: u64,
    /// The failure or the reason for skipping.
    pub message: Option<String>,
    /// The minimal failing sequence.
    pub steps: Vec<Exchange>,
}

impl CheckResult {
    /// A passed check.
    pub fn passed(group: Group, name: impl Into<String>, checks: u64) -> CheckResult {
        CheckResult {
            group,
            name: name.into(),
            status: Status::Passed,
            checks,
            message: None,
            steps: Vec::new(),
        }
    }

    /// A skipped check.
    pub fn skipped(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            group,
            name: name.into(),
            status: Status::Skipped,
            checks: 0,
            message: Some(reason.into()),
            steps: Vec::new(),
        }
    }

    /// A failed check.
    pub fn failed(
        group: Group,
        name: impl Into<String>,
        checks: u64,
        message: impl Into<String>,
        steps: Vec<Exchange>,
    ) -> CheckResult {
        CheckResult {
            group,
            name: name.into(),
            status: Status::Failed,
            checks,
            message: Some(message.into()),
            steps,
        }
    }
}

/// The report of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The spec's title.
    pub spec: String,
    /// The target's base URL.
    pub target: String,
    /// The seed that replays the run.
    pub seed: u64,
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// Requests sent.
    pub requests: u64,
    /// Stateful sequences run.
    pub sequences: u64,
    /// Wall time of the run, seconds.
    pub seconds: f64,
}

fn count(report: &Report, status: Status) -> usize {
    report.checks.iter().filter(|c| c.status == status).count()
}

impl Report {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        count(self, Status::Failed) == 0
    }

    /// The human summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "conformance of {} against \"{}\" (seed {})",
            self.target, self.spec, self.seed
        );
        let mut group = None;
        for c in &self.checks {
            if group != Some(c.group) {
                let _ = writeln!(out, "\n{}", c.group.as_str());
                group = Some(c.group);
            }
            let mark = match c.status {
                Status::Passed => "ok     ",
                Status::Failed => "FAILED ",
                Status::Skipped => "skipped",
            };
            let detail = match (c.status, &c.message) {
                (Status::Skipped, Some(m)) => format!(" ({m})"),
                (Status::Passed, _) => format!(" ({} checks)", c.checks),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {mark} {}{detail}", c.name);
        }
        for c in self.checks.iter().filter(|c| c.status == Status::Failed) {
            let _ = writeln!(out, "\n--- FAILED: {} ({})", c.name, c.group.as_str());
            if let Some(m) = &c.message {
                let _ = writeln!(out, "{m}");
            }
            if !c.steps.is_empty() {
                let _ = writeln!(
                    out,
                    "minimal sequence (replay the run with --seed {}):",
                    self.seed
                );
                for (i, s) in c.steps.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, s.step);
                    let _ = writeln!(out, "     {}", s.curl);
                    if s.status != 0 {
                        let _ = writeln!(
                            out,
                            "     expected {}; received {} {}",
                            s.expected, s.status, s.body
                        );
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} skipped ({} requests, {} sequences, {:.1} s)",
            count(self, Status::Passed),
            count(self, Status::Failed),
            count(self, Status::Skipped),
            self.requests,
            self.sequences,
            self.seconds
        );
        out
    }

    /// JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// JUnit XML: one testsuite per group, one testcase per check.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.checks.len(),
            count(self, Status::Failed),
            count(self, Status::Skipped),
            self.seconds
        );
        for group in [
            Group::Stateless,
            Group::Stateful,
            Group::Concurrency,
            Group::Expiry,
        ] {
            let cases: Vec<&CheckResult> =
                self.checks.iter().filter(|c| c.group == group).collect();
            if cases.is_empty() {
                continue;
            }
            let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
            let skipped = cases.iter().filter(|c| c.status == Status::Skipped).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
                group.as_str(),
                cases.len()
            );
            for c in cases {
                let _ = write!(
                    out,
                    "    <testcase classname=\"conformance.{}\" name=\"{}\"",
                    group.as_str(),
                    xml(&c.name)
                );
                match c.status {
                    Status::Passed => out.push_str("/>\n"),
                    Status::Skipped => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(c.message.as_deref().unwrap_or(""))
                        );
                    }
                    Status::Failed => {
                        let mut body = String::new();
                        for (i, s) in c.steps.iter().enumerate() {
                            let _ = writeln!(body, "{}. {}\n   {}", i + 1, s.step, s.curl);
                            if s.status != 0 {
                                let _ = writeln!(
                                    body,
                                    "   expected {}; received {} {}",
                                    s.expected, s.status, s.body
                                );
                            }
                        }
                        let _ = writeln!(body, "replay with --seed {}", self.seed);
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            xml(c.message.as_deref().unwrap_or("")),
                            xml(&body)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
