//! The indexed form of an operation: parameters, bodies, responses and
//! security, each with the JSON pointer it came from, and its binding.

use serde_json::Value;

use crate::binding::{Binding, OutcomeResponse, Source};
use crate::expr::Expr;
pub use crate::expr::Location;

/// A schema in the document: where it is and what it says (resolved).
#[derive(Debug, Clone)]
pub struct SchemaRef {
    /// JSON pointer of the schema in the document (`/components/schemas/X`).
    pub pointer: String,
    /// The schema with its top-level `$ref` chain resolved.
    pub value: Value,
}

/// An operation parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name (as written; headers compare case-insensitively).
    pub name: String,
    /// Where it sits.
    pub location: Location,
    /// Whether it must be present.
    pub required: bool,
    /// Its schema, if it has one (`schema` or the first `content` entry).
    pub schema: Option<SchemaRef>,
    /// Serialization style (`form`, `simple`, ...), defaulted per location.
    pub style: String,
    /// Whether arrays and objects explode.
    pub explode: bool,
    /// Whether the value is JSON in `content` rather than styled.
    pub json_content: bool,
}

/// One media type of a request body or a response.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// The media type (`application/json`, `application/*`, ...).
    pub name: String,
    /// Its schema.
    pub schema: Option<SchemaRef>,
    /// The single `example`, if any.
    pub example: Option<Value>,
    /// The named `examples` (their `value`s), in document order.
    pub examples: Vec<(String, Value)>,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// Its media types, in document order.
    pub content: Vec<MediaType>,
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status key as written: `200`, `4XX`, `default`.
    pub status: String,
    /// Its media types, in document order.
    pub content: Vec<MediaType>,
    /// Its documented headers: name (lowercase), required, schema, example.
    pub headers: Vec<Header>,
}

/// A documented response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header name, lowercase.
    pub name: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Its schema.
    pub schema: Option<SchemaRef>,
    /// Its example, if any.
    pub example: Option<Value>,
}

/// One alternative of an operation's security: every scheme must be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityAlternative(pub Vec<SecurityScheme>);

/// A security scheme an operation requires, as the mock can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityScheme {
    /// `http` with `scheme: bearer` (or basic, digest...): an `Authorization`
    /// header with that scheme word.
    Http {
        /// The scheme word, lowercase (`bearer`, `basic`).
        scheme: String,
    },
    /// `apiKey` in a header, query parameter or cookie.
    ApiKey {
        /// Where.
        location: Location,
        /// The name.
        name: String,
    },
    /// OAuth 2 / OpenID Connect: a bearer token in `Authorization`.
    OAuth,
    /// A scheme the mock cannot check (mutualTLS, unknown names).
    Unchecked,
}

/// An indexed operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Uppercase method.
    pub method: String,
    /// The path template (`/refresh-tokens/{refreshToken}`).
    pub path: String,
    /// JSON pointer of the operation (`/paths/~1auth~1login/post`).
    pub pointer: String,
    /// `operationId`, if any.
    pub operation_id: Option<String>,
    /// Path-item and operation parameters merged.
    pub parameters: Vec<Parameter>,
    /// The request body, if any.
    pub request_body: Option<RequestBody>,
    /// Responses in document order.
    pub responses: Vec<Response>,
    /// Security alternatives; empty means no security.
    pub security: Vec<SecurityAlternative>,
    /// The behaviour bindings, in document order: none (unbound), one,
    /// or several, each answering the requests its `when` matches.
    pub bindings: Vec<Binding>,
    /// The response of a request no binding matches (`unsupported`),
    /// where some binding has a `when`.
    pub unsupported: Option<OutcomeResponse>,
}

impl Operation {
    /// A short name for reports: the operationId or `METHOD /path`.
    pub fn name(&self) -> String {
        match &self.operation_id {
            Some(id) => id.clone(),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// Whether the operation has a binding.
    pub fn is_bound(&self) -> bool {
        !self.bindings.is_empty()
    }

    /// The binding that answers a request: the first whose `when` holds
    /// for what `read` finds at each condition's place (`None`: no binding
    /// matches, the request gets [`Operation::unsupported`]).
    pub fn binding_for(&self, mut read: impl FnMut(&Expr) -> Option<Value>) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.matches(&mut read))
    }

    /// The name of binding `index` of the operation in reports and
    /// `--include`: the operation's name, with the binding's conditions
    /// where it has any (`POST /o/token/ [grant_type=refresh_token]`).
    pub fn variant_name(&self, index: usize) -> String {
        match self.bindings.get(index).map(Binding::label) {
            Some(label) if !label.is_empty() => format!("{} [{label}]", self.name()),
            _ => self.name(),
        }
    }

    /// The response documented for `status`: exact, then `NXX`, then
    /// `default`.
    pub fn response(&self, status: u16) -> Option<&Response> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        self.responses
            .iter()
            .find(|r| r.status == exact)
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status.eq_ignore_ascii_case(&range))
            })
            .or_else(|| self.responses.iter().find(|r| r.status == "default"))
    }

    /// Documented statuses that are plain numbers, in document order.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.responses.iter().filter_map(|r| r.status.parse().ok())
    }

    /// The lowest documented 2xx status, if any.
    pub fn success_status(&self) -> Option<u16> {
        self.statuses().filter(|s| (200..300).contains(s)).min()
    }

    /// Whether the operation declares a request place: a parameter at
    /// `location` named `name` (header names compare case-insensitively), or
    /// the place one of its security schemes reads (`Authorization` for
    /// http and OAuth schemes, the named header, query parameter or cookie
    /// of an apiKey scheme).
    pub fn declares(&self, location: Location, name: &str) -> bool {
        self.reads(location, name, None)
    }

    /// Whether the operation carries a credential at `source`: a declared
    /// parameter there, or a security scheme that reads that place (for an
    /// http scheme, with the source's scheme word).
    pub fn carries(&self, source: &Source) -> bool {
        match source.expr.request_place() {
            Some((Location::Path, _)) | None => false,
            Some((location, name)) => self.reads(location, name, Some(source.scheme.as_deref())),
        }
    }

    /// A parameter at the place, or a security scheme reading it (see
    /// [`scheme_reads`] for `word`).
    fn reads(&self, location: Location, name: &str, word: Option<Option<&str>>) -> bool {
        self.parameters
            .iter()
            .any(|p| p.location == location && same_place(location, &p.name, name))
            || self
                .security
                .iter()
                .flat_map(|a| &a.0)
                .any(|s| scheme_reads(s, location, name, word))
    }

    /// The status a refused credential gets where no binding says
    /// otherwise (missing credentials, a dead token at a guard): 401, or
    /// 403 where the operation documents 403 and not 401. The mock answers
    /// so and the suite expects it.
    pub fn refusal_status(&self) -> u16 {
        let documented = |s: u16| self.statuses().any(|d| d == s);
        if documented(401) || !documented(403) {
            401
        } else {
            403
        }
    }

    /// Whether the operation requires some credential (no alternative is
    /// empty).
    pub fn requires_credentials(&self) -> bool {
        !self.security.is_empty() && self.security.iter().all(|alt| !alt.0.is_empty())
    }
}

/// Whether two names of `location` name the same place (header names are
/// case-insensitive).
pub(crate) fn same_place(location: Location, a: &str, b: &str) -> bool {
    if location == Location::Header {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Whether a security scheme reads `name` at `location`. With `word`, an
/// http scheme must also use that scheme word (`Some(None)`: a source with
/// no scheme word never matches an http scheme).
fn scheme_reads(
    s: &SecurityScheme,
    location: Location,
    name: &str,
    word: Option<Option<&str>>,
) -> bool {
    let authorization = location == Location::Header && name.eq_ignore_ascii_case("authorization");
    match s {
        SecurityScheme::Http { scheme } => {
            authorization && word.is_none_or(|w| w.is_some_and(|w| w.eq_ignore_ascii_case(scheme)))
        }
        SecurityScheme::OAuth => authorization,
        SecurityScheme::ApiKey {
            location: l,
            name: n,
        } => *l == location && same_place(location, n, name),
        SecurityScheme::Unchecked => false,
    }
}
