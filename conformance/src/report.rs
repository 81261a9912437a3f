//! Reports: a human summary with each failure as a replayable curl
//! sequence, JSON, JUnit XML (one testcase per check and operation), and
//! one self-contained HTML page for a QA lead ([`html`]).

mod html;

use std::fmt::Write as _;

use crate::budget::Stop;
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
    /// Every request of every phase: answered, in time, within the body
    /// bound.
    Transport,
}

impl Group {
    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Stateless => "stateless",
            Group::Stateful => "stateful",
            Group::Concurrency => "concurrency",
            Group::Expiry => "expiry",
            Group::Transport => "transport",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It held every time.
    Passed,
    /// It failed.
    Failed,
    /// It could not run.
    Skipped,
}

impl Status {
    /// Every status, in summary order.
    pub const ALL: [Status; 3] = [Status::Passed, Status::Failed, Status::Skipped];

    /// The word summaries use.
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    /// Whether the message is a reason (as opposed to a failure).
    fn explains(self) -> bool {
        !matches!(self, Status::Passed | Status::Failed)
    }
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
    /// Requests sent, every phase counted.
    pub requests: u64,
    /// Stateful sequences run.
    pub sequences: u64,
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// Why the run stopped before its phases were over (a bound reached,
    /// a failing target, Ctrl-C); `None`: it ran to the end.
    pub stop: Option<Stop>,
    /// Whether the run is incomplete: stopped by a failing target, an
    /// unreachable one or Ctrl-C rather than by a bound the user set.
    pub incomplete: bool,
    /// What every reader must know (certificates not verified).
    pub warnings: Vec<String>,
}

fn count(report: &Report, status: Status) -> usize {
    report.checks.iter().filter(|c| c.status == status).count()
}

impl Report {
    /// A report of no check yet.
    pub fn new(spec: &str, target: &str, seed: u64) -> Report {
        Report {
            spec: spec.to_owned(),
            target: target.to_owned(),
            seed,
            checks: Vec::new(),
            requests: 0,
            sequences: 0,
            seconds: 0.0,
            stop: None,
            incomplete: false,
            warnings: Vec::new(),
        }
    }

    /// The report of a run that could not start (the target unreachable
    /// from the start): incomplete, no check.
    pub fn not_started(spec: &str, target: &str, seed: u64, stop: Stop) -> Report {
        let mut r = Report::new(spec, target, seed);
        r.stop = Some(stop);
        r.incomplete = true;
        r
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        count(self, Status::Failed) == 0
    }

    /// The statuses present, with their counts, in summary order.
    fn tally(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .into_iter()
            .map(|s| (s, count(self, s)))
            .filter(|(s, n)| {
                *n > 0 || matches!(s, Status::Passed | Status::Failed | Status::Skipped)
            })
            .collect()
    }

    /// The one line that says how the run ended early, if it did.
    pub fn stop_line(&self) -> Option<String> {
        let stop = self.stop.as_ref()?;
        Some(if self.incomplete {
            format!("INCOMPLETE: {stop}; the report covers what was checked before")
        } else {
            format!("stopped: {stop}; the report covers what was checked before")
        })
    }

    /// The human summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            let _ = writeln!(out, "WARNING: {w}");
        }
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
                Status::Passed => "ok".to_owned(),
                Status::Failed => "FAILED".to_owned(),
                other => other.label().to_owned(),
            };
            let detail = match (&c.message, c.status) {
                (Some(m), s) if s.explains() => format!(" ({m})"),
                (_, Status::Passed) => format!(" ({} checks)", c.checks),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {mark:<7} {}{detail}", c.name);
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
        if let Some(line) = self.stop_line() {
            let _ = writeln!(out, "\n{line}");
        }
        let tally: Vec<String> = self
            .tally()
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        let _ = writeln!(
            out,
            "\n{} ({} requests, {} sequences, {:.1} s)",
            tally.join(", "),
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
            self.checks.iter().filter(|c| c.status.explains()).count(),
            self.seconds
        );
        let mut groups: Vec<Group> = self.checks.iter().map(|c| c.group).collect();
        groups.sort();
        groups.dedup();
        let notes = self.warnings.iter().map(|w| format!("WARNING: {w}"));
        for note in notes.chain(self.stop_line()) {
            let _ = writeln!(out, "  <!-- {} -->", xml(&note).replace("--", "- -"));
        }
        for group in groups {
            let cases: Vec<&CheckResult> =
                self.checks.iter().filter(|c| c.group == group).collect();
            if cases.is_empty() {
                continue;
            }
            let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
            let skipped = cases.iter().filter(|c| c.status.explains()).count();
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
                    _ if c.status.explains() => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(c.message.as_deref().unwrap_or(""))
                        );
                    }
                    _ => {
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
