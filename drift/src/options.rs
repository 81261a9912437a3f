//! What a diff is asked to judge besides the documents: the breaking
//! policy, the version check, the date sunsets are read against, and the
//! rule overrides and ignores of a `drift.toml` ([`Config`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::Error;
use crate::finding::{Finding, Severity};

/// A calendar date (UTC), for sunsets and ignore expiries.
pub type Date = time::Date;

/// Today's date in UTC: what the command line reads sunset dates and
/// ignore expiries against. The diff itself takes the date as an input
/// ([`Options::today`]) and reads no clock.
pub fn today_utc() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Reads a date as written in a document or a `drift.toml`: `2025-06-30`,
/// or an RFC 3339 date-time (`2025-06-30T00:00:00Z`), whose date is kept.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let day = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &day).ok().or_else(|| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.date())
    })
}

/// `2025-06-30`.
pub(crate) fn show_date(date: Date) -> String {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&day).unwrap_or_else(|_| date.to_string())
}

/// How a change that only breaks clients with exhaustive matches is
/// judged: a new enum value, `oneOf` alternative or discriminator value in
/// a response, a response enum no longer restricted or made extensible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BreakingPolicy {
    /// A warning (the default): clients are expected to accept values
    /// they do not know (the tolerant reader); `--fail-on warning` still
    /// fails on them.
    #[default]
    Lenient,
    /// Breaking, as oasdiff 1.30+ has it: for clients generated with
    /// exhaustive enums and unions.
    Strict,
}

impl BreakingPolicy {
    /// `lenient` or `strict`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakingPolicy::Lenient => "lenient",
            BreakingPolicy::Strict => "strict",
        }
    }

    /// The finding as this policy judges it.
    pub(crate) fn judge(self, mut f: Finding) -> Finding {
        if self == BreakingPolicy::Strict
            && f.severity == Severity::Warning
            && crate::rules::exhaustive_match(&f.rule)
        {
            f.severity = Severity::Breaking;
        }
        f
    }
}

impl fmt::Display for BreakingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BreakingPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "lenient" => Ok(BreakingPolicy::Lenient),
            "strict" => Ok(BreakingPolicy::Strict),
            _ => Err(Error::UnknownPolicy(s.to_owned())),
        }
    }
}

/// The options of [`diff_with`](crate::diff_with).
///
/// ```
/// use drift::{BreakingPolicy, Options};
///
/// let options = Options::default()
///     .policy(BreakingPolicy::Strict)
///     .check_version(true)
///     .today(drift::today_utc());
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// How exhaustive-match changes are judged.
    pub policy: BreakingPolicy,
    /// Report a breaking change that comes without a major bump of
    /// `info.version`.
    pub check_version: bool,
    /// The date sunsets and ignore expiries are read against; `None`
    /// reads every sunset as still to come and no ignore as expired.
    pub today: Option<Date>,
    /// Severity overrides and ignores.
    pub config: Config,
}

impl Options {
    /// Options taken from a `drift.toml` (its policy and version check;
    /// flags may override them afterwards).
    pub fn from_config(config: Config) -> Self {
        Options {
            policy: config.breaking_policy.unwrap_or_default(),
            check_version: config.check_version.unwrap_or(false),
            today: None,
            config,
        }
    }

    /// Sets the breaking policy.
    pub fn policy(mut self, policy: BreakingPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the version check.
    pub fn check_version(mut self, on: bool) -> Self {
        self.check_version = on;
        self
    }

    /// Sets the date sunsets and expiries are read against.
    pub fn today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }
}
