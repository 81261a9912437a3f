//! What a run looks at: operations picked by `--include`/`--exclude`
//! (operationId, path glob, method, tag) and properties by `--checks`/
//! `--exclude-checks`. An operation left out is never requested; a
//! property left out is never judged and is reported as deselected.

use globset::{Glob, GlobMatcher};
use serde_json::Value;

use openapi::spec::Operation;
use openapi::Spec;

use crate::property::Property;

/// One operation filter: `id:login`, `path:/auth/*`, `method:POST`,
/// `tag:auth`.
#[derive(Debug, Clone)]
pub enum OpFilter {
    /// By `operationId`.
    Id(String),
    /// By path template, a glob (`/auth/*`, `/users/**`).
    Path(String, GlobMatcher),
    /// By method, any case.
    Method(String),
    /// By tag.
    Tag(String),
}

impl std::str::FromStr for OpFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<OpFilter, String> {
        let (kind, value) = s.split_once(':').ok_or_else(|| {
            format!("`{s}` is not id:OPERATION_ID, path:GLOB, method:METHOD or tag:TAG")
        })?;
        if value.is_empty() {
            return Err(format!("`{s}` names nothing after `{kind}:`"));
        }
        Ok(match kind {
            "id" | "operation-id" => OpFilter::Id(value.to_owned()),
            "path" => {
                let glob = Glob::new(value).map_err(|e| format!("`{value}`: {e}"))?;
                OpFilter::Path(value.to_owned(), glob.compile_matcher())
            }
            "method" => OpFilter::Method(value.to_uppercase()),
            "tag" => OpFilter::Tag(value.to_owned()),
            _ => {
                return Err(format!(
                    "`{kind}:` is not id:, path:, method: or tag: (in `{s}`)"
                ))
            }
        })
    }
}

impl std::fmt::Display for OpFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpFilter::Id(v) => write!(f, "id:{v}"),
            OpFilter::Path(v, _) => write!(f, "path:{v}"),
            OpFilter::Method(v) => write!(f, "method:{v}"),
            OpFilter::Tag(v) => write!(f, "tag:{v}"),
        }
    }
}

impl OpFilter {
    fn matches(&self, spec: &Spec, op: &Operation) -> bool {
        match self {
            OpFilter::Id(id) => op.operation_id.as_deref() == Some(id),
            OpFilter::Path(_, glob) => glob.is_match(&op.path),
            OpFilter::Method(m) => op.method.eq_ignore_ascii_case(m),
            OpFilter::Tag(t) => spec
                .document()
                .pointer(&op.pointer)
                .and_then(|o| o.get("tags"))
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|x| x.as_str() == Some(t))),
        }
    }
}

/// The operations and properties a run looks at.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// An operation must match one of these (empty: every operation).
    pub include: Vec<OpFilter>,
    /// An operation matching one of these is left out.
    pub exclude: Vec<OpFilter>,
    /// Only these properties are judged (empty: every one).
    pub checks: Vec<Property>,
    /// These properties are not judged.
    pub exclude_checks: Vec<Property>,
}

impl Selection {
    /// Why `op` is left out, or `None` when the run requests it.
    pub fn leaves_out(&self, spec: &Spec, op: &Operation) -> Option<String> {
        if !self.include.is_empty() && !self.include.iter().any(|f| f.matches(spec, op)) {
            let names: Vec<String> = self.include.iter().map(ToString::to_string).collect();
            return Some(format!("not included (--include {})", names.join(", ")));
        }
        self.exclude
            .iter()
            .find(|f| f.matches(spec, op))
            .map(|f| format!("excluded (--exclude {f})"))
    }

    /// Whether `p` is judged.
    pub fn judges(&self, p: Property) -> bool {
        (self.checks.is_empty() || self.checks.contains(&p)) && !self.exclude_checks.contains(&p)
    }

    /// The properties not judged.
    pub fn deselected(&self) -> impl Iterator<Item = Property> + '_ {
        Property::ALL.into_iter().filter(|p| !self.judges(*p))
    }
}
