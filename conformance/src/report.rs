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
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 3] = [Group::Stateless, Group::Stateful, Group::Concurrency];

    fn as_str(self) -> &'static str {
        match self {
            Group::Stateless => "stateless",
            Group::Stateful => "stateful",
            Group::Concurrency => "concurrency",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It held every time it was checked.
    Passed,
    /// It failed.
    Failed,
    /// The spec says the API does not do this: passed over, the verdict
    /// unaffected.
    NotApplicable,
    /// It applies, but the run never reached it (its budget, no account,
    /// a login that failed, a request the suite cannot build): the run
    /// fails unless unexercised checks are allowed.
    NotExercised,
}

impl Status {
    /// The word reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::NotApplicable => "not applicable",
            Status::NotExercised => "not exercised",
        }
    }
}

/// What a run means, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing failed and every applicable check was exercised (or that
    /// was allowed): exit 0.
    Passed,
    /// A check failed: exit 1.
    Failed,
    /// Nothing failed, but an applicable check was not exercised: exit 3.
    Unexercised,
}

impl Verdict {
    /// The exit code of the `conformance` binary.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed => 0,
            Verdict::Failed => 1,
            Verdict::Unexercised => 3,
        }
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
    /// The failure, or why it is not applicable or was not exercised.
    pub message: Option<String>,
    /// The minimal failing sequence.
    pub steps: Vec<Exchange>,
    /// The request of the run (counted from its start) that first
    /// exercised it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_at: Option<u64>,
    /// The request of the run that first showed the failure, before
    /// shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<u64>,
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
            first_at: None,
            detected_at: None,
        }
    }

    /// A check the spec makes not applicable, and why.
    pub fn not_applicable(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            status: Status::NotApplicable,
            message: Some(reason.into()),
            ..CheckResult::passed(group, name, 0)
        }
    }

    /// An applicable check the run did not reach, and why.
    pub fn not_exercised(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            status: Status::NotExercised,
            message: Some(reason.into()),
            ..CheckResult::passed(group, name, 0)
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
            first_at: None,
            detected_at: None,
        }
    }

    /// The same result with the request that first exercised it.
    pub fn first_at(mut self, at: Option<u64>) -> CheckResult {
        self.first_at = at;
        self
    }

    /// The same result with the request that first showed its failure.
    pub fn detected_at(mut self, at: Option<u64>) -> CheckResult {
        self.detected_at = at;
        self
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
    /// Set when the run could not log in: one line, with the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub could_not_log_in: Option<String>,
    /// Whether checks that were not exercised still let the run pass.
    pub allow_unexercised: bool,
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
    /// What the run means: failed if a check failed; unexercised if an
    /// applicable check was not exercised (unless that is allowed);
    /// passed otherwise.
    pub fn verdict(&self) -> Verdict {
        if count(self, Status::Failed) > 0 {
            Verdict::Failed
        } else if count(self, Status::NotExercised) > 0 && !self.allow_unexercised {
            Verdict::Unexercised
        } else {
            Verdict::Passed
        }
    }

    /// Whether the verdict is [`Verdict::Passed`]: no check failed, and
    /// every applicable one was exercised (or that is allowed).
    pub fn passed(&self) -> bool {
        self.verdict() == Verdict::Passed
    }

    /// The results of the checks with this status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(move |c| c.status == status)
    }

    /// The human summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(line) = &self.could_not_log_in {
            let _ = writeln!(out, "could not log in: {line}");
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
                Status::Passed => "ok           ",
                Status::Failed => "FAILED       ",
                Status::NotApplicable => "n/a          ",
                Status::NotExercised => "NOT EXERCISED",
            };
            let detail = match (c.status, &c.message) {
                (Status::NotApplicable | Status::NotExercised, Some(m)) => format!(" ({m})"),
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
            "\n{} passed, {} failed, {} not applicable, {} not exercised ({} requests, {} sequences, {:.1} s)",
            count(self, Status::Passed),
            count(self, Status::Failed),
            count(self, Status::NotApplicable),
            count(self, Status::NotExercised),
            self.requests,
            self.sequences,
            self.seconds
        );
        let unexercised = count(self, Status::NotExercised);
        if unexercised > 0 {
            let what = if unexercised == 1 {
                "1 applicable check was not exercised".to_owned()
            } else {
                format!("{unexercised} applicable checks were not exercised")
            };
            let _ = if self.allow_unexercised {
                writeln!(out, "{what} (allowed by --allow-unexercised)")
            } else if count(self, Status::Failed) == 0 {
                writeln!(
                    out,
                    "NOT VERIFIED: {what}; the run fails (exit 3) unless --allow-unexercised"
                )
            } else {
                writeln!(out, "{what}")
            };
        }
        out
    }

    /// JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// JUnit XML: one testsuite per group, one testcase per check.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        // Not exercised is an error (the check could not run), or a skip
        // where that is allowed.
        let errors = |cases: &[&CheckResult]| {
            cases
                .iter()
                .filter(|c| c.status == Status::NotExercised && !self.allow_unexercised)
                .count()
        };
        let skipped = |cases: &[&CheckResult]| {
            cases
                .iter()
                .filter(|c| match c.status {
                    Status::NotApplicable => true,
                    Status::NotExercised => self.allow_unexercised,
                    _ => false,
                })
                .count()
        };
        let all: Vec<&CheckResult> = self.checks.iter().collect();
        let _ = writeln!(
            out,
            "<testsuites name=\"conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.checks.len(),
            count(self, Status::Failed),
            errors(&all),
            skipped(&all),
            self.seconds
        );
        for group in Group::ALL {
            let cases: Vec<&CheckResult> =
                self.checks.iter().filter(|c| c.group == group).collect();
            if cases.is_empty() {
                continue;
            }
            let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{}\">",
                group.as_str(),
                cases.len(),
                errors(&cases),
                skipped(&cases)
            );
            for c in cases {
                let _ = write!(
                    out,
                    "    <testcase classname=\"conformance.{}\" name=\"{}\"",
                    group.as_str(),
                    xml(&c.name)
                );
                let reason = || {
                    xml(&format!(
                        "{}: {}",
                        c.status.as_str(),
                        c.message.as_deref().unwrap_or("")
                    ))
                };
                match c.status {
                    Status::Passed => out.push_str("/>\n"),
                    Status::NotExercised if !self.allow_unexercised => {
                        let _ = writeln!(
                            out,
                            ">\n      <error type=\"not-exercised\" message=\"{}\"/>\n    </testcase>",
                            reason()
                        );
                    }
                    Status::NotApplicable | Status::NotExercised => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            reason()
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
