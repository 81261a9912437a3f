//! The version policy: a breaking change needs a major bump of
//! `info.version` (for `0.y.z`, of the leftmost non-zero part, as Cargo
//! reads semantic versions).

use semver::Version;
use serde_json::Value;

use crate::finding::{Finding, Severity};

const POINTER: &str = "#/info/version";

/// `info.version` as a semantic version: `v2.1.0` and `2.1` are read as
/// `2.1.0`; anything else is the text, for the note.
fn read(doc: &Value) -> Result<Version, String> {
    let Some(v) = doc.pointer("/info/version") else {
        return Err("missing".to_owned());
    };
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        other => return Err(other.to_string()),
    };
    let bare = text.strip_prefix(['v', 'V']).unwrap_or(&text);
    if let Ok(version) = Version::parse(bare) {
        return Ok(version);
    }
    // `2` and `2.1`: the missing parts are zero.
    let parts: Vec<&str> = bare.split('.').collect();
    if parts.len() < 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let padded = [parts.as_slice(), &["0", "0"][..3 - parts.len()]]
            .concat()
            .join(".");
        if let Ok(version) = Version::parse(&padded) {
            return Ok(version);
        }
    }
    Err(format!("`{text}`"))
}

/// The least version after `v` that may break clients.
fn next_breaking(v: &Version) -> Version {
    if v.major > 0 {
        Version::new(v.major + 1, 0, 0)
    } else if v.minor > 0 {
        Version::new(0, v.minor + 1, 0)
    } else {
        Version::new(0, 0, v.patch + 1)
    }
}

/// `a minor bump`, `no bump`...
fn bump(a: &Version, b: &Version) -> &'static str {
    if b < a {
        "a downgrade"
    } else if (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) {
        if a == b {
            "no bump"
        } else {
            "a pre-release change"
        }
    } else if b.major > a.major {
        "a major bump"
    } else if b.minor > a.minor {
        "a minor bump"
    } else {
        "a patch bump"
    }
}

/// The version policy's findings for a diff whose findings are `found`.
pub(crate) fn check(old: &Value, new: &Value, found: &[Finding]) -> Vec<Finding> {
    let mut out = Vec::new();
    let (a, b) = match (read(old), read(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for (which, r, at) in [("old", a, true), ("new", b, false)] {
                if let Err(text) = r {
                    let msg = format!(
                        "info.version of the {which} document is {text}, not a semantic version (MAJOR.MINOR.PATCH): the version policy is not checked"
                    );
                    let (op, np) = if at {
                        (Some(POINTER), None)
                    } else {
                        (None, Some(POINTER))
                    };
                    out.push(Finding::new("version-not-semver", Severity::Warning, msg).at(op, np));
                }
            }
            return out;
        }
    };
    let breaking = found
        .iter()
        .filter(|f| f.severity == Severity::Breaking)
        .count();
    let enough = next_breaking(&a);
    let plain = |v: &Version| Version::new(v.major, v.minor, v.patch);
    if breaking > 0 && plain(&b) < enough {
        let msg = format!(
            "{breaking} breaking change{}, but info.version went from {a} to {b} ({}): a breaking change needs {enough} or later",
            if breaking == 1 { "" } else { "s" },
            bump(&a, &b)
        );
        out.push(
            Finding::new("version-major-bump-missing", Severity::Breaking, msg)
                .at(Some(POINTER), Some(POINTER)),
        );
    } else if b < a {
        let msg = format!("info.version went down from {a} to {b}");
        out.push(
            Finding::new("version-decreased", Severity::Warning, msg)
                .at(Some(POINTER), Some(POINTER)),
        );
    }
    out
}
