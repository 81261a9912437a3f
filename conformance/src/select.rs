//! What a run looks at: operations picked by `--include`/`--exclude`
//! (operationId or variant name, path glob, method, tag, a binding's
//! `when` condition) and properties by `--checks`/`--exclude-checks`. An
//! operation left out is never requested; a property left out is never
//! judged and is reported as deselected.

use globset::{Glob, GlobMatcher};
use serde_json::Value;

use openapi::binding::Binding;
use openapi::spec::Operation;
use openapi::Spec;

use crate::property::Property;

/// One operation filter: `id:login`, `path:/auth/*`, `method:POST`,
/// `tag:auth`, `when:grant_type=refresh_token`.
#[derive(Debug, Clone)]
pub enum OpFilter {
    /// By `operationId`, or a variant's name (`token [grant_type=password]`).
    Id(String),
    /// The bindings whose `when` has this condition (`grant_type=password`,
    /// as reports name variants); an operation with none of them is
    /// matched by none.
    When(String),
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
            format!(
                "`{s}` is not id:OPERATION_ID, path:GLOB, method:METHOD, tag:TAG or when:NAME=VALUE"
            )
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
            "when" if value.contains('=') => OpFilter::When(value.to_owned()),
            "when" => return Err(format!("`{s}`: write when:NAME=VALUE")),
            _ => {
                return Err(format!(
                    "`{kind}:` is not id:, path:, method:, tag: or when: (in `{s}`)"
                ))
            }
        })
    }
}

impl std::fmt::Display for OpFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpFilter::Id(v) => write!(f, "id:{v}"),
            OpFilter::When(v) => write!(f, "when:{v}"),
            OpFilter::Path(v, _) => write!(f, "path:{v}"),
            OpFilter::Method(v) => write!(f, "method:{v}"),
            OpFilter::Tag(v) => write!(f, "tag:{v}"),
        }
    }
}

impl OpFilter {
    /// Whether the filter picks `op`, or (`binding`: `Some(i)`) its
    /// binding `i`; an operation is picked by a variant's filter when one
    /// of its bindings is.
    fn matches(&self, spec: &Spec, op: &Operation, binding: Option<usize>) -> bool {
        let variants: Vec<usize> = match binding {
            Some(i) => vec![i],
            None => (0..op.bindings.len()).collect(),
        };
        let conditioned = |b: &Binding, wanted: &str| b.when.iter().any(|c| c.label() == wanted);
        match self {
            OpFilter::Id(id) => {
                op.operation_id.as_deref() == Some(id)
                    || variants.iter().any(|i| op.variant_name(*i) == *id)
            }
            OpFilter::When(wanted) => variants
                .iter()
                .any(|i| conditioned(&op.bindings[*i], wanted)),
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
    /// Why `op` is left out, or `None` when the run requests it (some of
    /// its variants, at least).
    pub fn leaves_out(&self, spec: &Spec, op: &Operation) -> Option<String> {
        self.leaves_out_as(spec, op, None)
    }

    /// Why binding `index` of `op` is left out, or `None` when the run
    /// requests it.
    pub fn leaves_out_variant(&self, spec: &Spec, op: &Operation, index: usize) -> Option<String> {
        self.leaves_out_as(spec, op, Some(index))
    }

    fn leaves_out_as(&self, spec: &Spec, op: &Operation, binding: Option<usize>) -> Option<String> {
        let picks = |f: &OpFilter| f.matches(spec, op, binding);
        if !self.include.is_empty() && !self.include.iter().any(picks) {
            let names: Vec<String> = self.include.iter().map(ToString::to_string).collect();
            return Some(format!("not included (--include {})", names.join(", ")));
        }
        // Excluding one variant leaves the operation's others in.
        let excludes = |f: &&OpFilter| match (f, binding) {
            (OpFilter::When(_), None) => {
                op.is_bound() && (0..op.bindings.len()).all(|i| f.matches(spec, op, Some(i)))
            }
            _ => picks(f),
        };
        self.exclude
            .iter()
            .find(excludes)
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
