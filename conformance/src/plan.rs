//! What the spec lets the suite do: the bound operations per lifecycle
//! action, the accounts, and how to build a request that presents a given
//! token or credential exactly where the binding says.

use std::sync::Arc;

use serde_json::Value;

use openapi::binding::{ActionKind, Binding, Policy, Source};
use openapi::expr::Expr;
use openapi::problem::FieldError;
use openapi::spec::{Operation, Parameter};
use openapi::wire::{self, Builder};
use openapi::Spec;

use crate::select::Selection;
use crate::target::{HttpRequest, Target};

/// Everything a stateful run needs, shared by every case.
#[derive(Debug)]
pub struct Plan {
    /// The spec.
    pub spec: Arc<Spec>,
    /// The implementation under test.
    pub target: Target,
    /// Accounts to log in with.
    pub accounts: Vec<(String, String)>,
    /// The declared policy.
    pub policy: Policy,
    /// Whether the target's clock can be moved (it is the mock).
    pub clock: bool,
    /// Bound operations usable in sequences: `(action, operation index)`.
    pub ops: Vec<(ActionKind, usize)>,
    /// Bound operations left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// The operations and properties the run looks at.
    pub selection: Selection,
    /// The login command and the operations it logs in on
    /// (`--login-command`).
    pub login: Option<Arc<crate::login::CommandLogin>>,
    /// The JWT checks (the declared settings, the key set).
    pub jwt: crate::jwt::Checks,
}

/// A value to put at a binding's source, or to leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    /// Present this value (formatted with the source's scheme).
    Value(String),
    /// Leave the location out entirely.
    Omit,
}

/// A request built for a step.
#[derive(Debug, Clone)]
pub struct Built {
    /// The request.
    pub request: HttpRequest,
    /// Why the request breaks the spec, each where the mock would say
    /// (empty: it is valid).
    pub problems: Vec<FieldError>,
}

impl Built {
    /// The problems as text.
    pub fn problem_texts(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect()
    }
}

impl Plan {
    /// Analyse `spec` for a run against `target`.
    pub fn new(
        spec: Arc<Spec>,
        target: Target,
        accounts: Vec<(String, String)>,
        clock: bool,
        selection: Selection,
    ) -> Plan {
        let policy = spec.lifecycle().policy.clone();
        let mut ops = Vec::new();
        let mut left_out = Vec::new();
        for (i, op) in spec.operations().iter().enumerate() {
            let Some(b) = &op.binding else { continue };
            if let Some(why) = selection.leaves_out(&spec, op) {
                left_out.push((op.name(), why));
                continue;
            }
            if b.action.is_code_flow() {
                left_out.push((op.name(), crate::login::CODE_FLOW_LEFT_OUT.into()));
                continue;
            }
            // A request presenting a placeholder token must be valid, or the
            // operation cannot be exercised.
            let probe = fills_for(b, |_| Fill::Value("probe-token-0123456789".into()));
            let built = build(&spec, op, &probe);
            if built.problems.is_empty() {
                ops.push((b.action, i));
            } else {
                left_out.push((
                    op.name(),
                    format!(
                        "no valid request can be built: {}",
                        built.problem_texts().join("; ")
                    ),
                ));
            }
        }
        let jwt = crate::jwt::Checks::new(
            spec.lifecycle().tokens.jwt.clone(),
            crate::jwt::DEFAULT_CLOCK_SKEW,
        );
        Plan {
            spec,
            target,
            accounts,
            policy,
            clock,
            ops,
            left_out,
            selection,
            login: None,
            jwt,
        }
    }

    /// Whether the run requests operation `index` (`--include`,
    /// `--exclude`).
    pub fn selected(&self, index: usize) -> bool {
        self.selection
            .leaves_out(&self.spec, self.op(index))
            .is_none()
    }

    /// The operation at `index`.
    pub fn op(&self, index: usize) -> &Operation {
        &self.spec.operations()[index]
    }

    /// The user name and password a login step sends: account `user`'s,
    /// or its password made wrong.
    pub fn credentials(&self, user: usize, wrong_password: bool) -> (String, String) {
        let (u, p) = &self.accounts[user];
        let password = if wrong_password {
            format!("{p}-wrong")
        } else {
            p.clone()
        };
        (u.clone(), password)
    }

    /// The binding of a planned operation.
    pub fn binding(&self, index: usize) -> &Binding {
        self.op(index)
            .binding
            .as_ref()
            .expect("planned operations are bound")
    }

    /// The fills of a login with these credentials.
    pub fn login_fills(&self, op: usize, username: &str, password: &str) -> Vec<(&Source, Fill)> {
        let b = self.binding(op);
        fills_for(b, |s| {
            if Some(s) == b.username.as_ref() {
                Fill::Value(username.to_owned())
            } else {
                Fill::Value(password.to_owned())
            }
        })
    }

    /// Whether some usable operation performs `action`.
    pub fn has(&self, action: ActionKind) -> bool {
        self.ops.iter().any(|(a, _)| *a == action)
    }
}

/// The binding's request sources paired with what to put there.
pub fn fills_for<'b>(
    b: &'b Binding,
    mut value: impl FnMut(&'b Source) -> Fill,
) -> Vec<(&'b Source, Fill)> {
    b.sources().map(|s| (s, value(s))).collect()
}

fn canonical(spec: &Spec, schema: Option<&openapi::spec::SchemaRef>) -> Value {
    schema.map_or(Value::String("x".into()), |s| {
        openapi::schema::generate(spec.document(), &s.value, 0)
    })
}

/// Build the request of `op` with `fills` at the binding's sources and a
/// canonical (schema- or example-generated) value everywhere else the spec
/// requires one, written by `openapi::wire` (the codec the mock parses
/// with). Its problems are located as the mock locates them.
pub fn build(spec: &Spec, op: &Operation, fills: &[(&Source, Fill)]) -> Built {
    let mut problems = Vec::new();
    let fill_for = |p: &Parameter| {
        fills.iter().find_map(|(s, f)| {
            wire::names_parameter(&s.expr, p).then(|| match f {
                Fill::Value(v) => Some(Value::String(s.format(v))),
                Fill::Omit => None,
            })
        })
    };
    let mut b = Builder::new(op);
    for p in &op.parameters {
        let value = match fill_for(p) {
            Some(v) => v,
            None if p.required => Some(canonical(spec, p.schema.as_ref())),
            None => None,
        };
        match value {
            Some(v) => {
                b.param(p, &v);
            }
            None if p.required => problems.push(wire::missing(p)),
            None => {}
        }
    }
    // Sources the operation does not declare as parameters (the
    // Authorization header of a security scheme).
    for (s, f) in fills {
        match (&s.expr, f) {
            (Expr::RequestHeader(n), Fill::Value(v)) if !b.has_header(n) => {
                b.header(n, &s.format(v));
            }
            (Expr::RequestCookie(n), Fill::Value(v)) if !b.has_cookie(n) => {
                b.cookie(n, v);
            }
            _ => {}
        }
    }
    let media = op
        .request_body
        .as_ref()
        .and_then(|rb| wire::preferred_media(&rb.content).or(rb.content.first()));
    if let Some(media) = media {
        let mut body = match (&media.example, media.examples.first()) {
            (Some(e), _) | (None, Some((_, e))) if e.is_object() => e.clone(),
            _ => canonical(spec, media.schema.as_ref()),
        };
        for (s, f) in fills {
            if let Expr::RequestBody(ptr) = &s.expr {
                match f {
                    Fill::Value(v) => ptr.set(&mut body, Value::String(v.clone())),
                    Fill::Omit => ptr.remove(&mut body),
                };
            }
        }
        if let Some(schema) = &media.schema {
            match wire::violations(spec, &schema.pointer, &body, "$request.body#") {
                Ok(v) => problems.extend(v),
                Err(e) => problems.push(wire::field_error("$request.body", e.to_string())),
            }
        }
        b.body(&media.name, &body);
    }
    let (request, unsendable) = b.finish();
    problems.extend(unsendable);
    Built { request, problems }
}
