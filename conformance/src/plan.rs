//! What the spec lets the suite do: the bound operations per lifecycle
//! action, the accounts, and how to build a request that presents a given
//! token or credential exactly where the binding says.

use std::sync::Arc;

use openapi::media::simple_text as scalar;
use serde_json::Value;

use openapi::binding::{ActionKind, Binding, Policy, Source};
use openapi::expr::{Expr, Pointer};
use openapi::spec::{Location, Operation};
use openapi::Spec;

use crate::target::{encode, HttpRequest, Target};

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
    /// Why the request breaks the spec (empty: it is valid).
    pub problems: Vec<String>,
}

impl Plan {
    /// Analyse `spec` for a run against `target`.
    pub fn new(
        spec: Arc<Spec>,
        target: Target,
        accounts: Vec<(String, String)>,
        clock: bool,
    ) -> Plan {
        let policy = spec.lifecycle().policy.clone();
        let mut ops = Vec::new();
        let mut left_out = Vec::new();
        for (i, op) in spec.operations().iter().enumerate() {
            let Some(b) = &op.binding else { continue };
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
                        built.problems.join("; ")
                    ),
                ));
            }
        }
        Plan {
            spec,
            target,
            accounts,
            policy,
            clock,
            ops,
            left_out,
        }
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
/// requires one.
pub fn build(spec: &Spec, op: &Operation, fills: &[(&Source, Fill)]) -> Built {
    let mut problems = Vec::new();
    let fill_for = |loc: Location, name: &str| {
        fills.iter().find_map(|(s, f)| {
            let hit = match (&s.expr, loc) {
                (Expr::RequestPath(n), Location::Path) => n == name,
                (Expr::RequestQuery(n), Location::Query) => n == name,
                (Expr::RequestHeader(n), Location::Header) => n.eq_ignore_ascii_case(name),
                (Expr::RequestCookie(n), Location::Cookie) => n == name,
                _ => false,
            };
            hit.then(|| match f {
                Fill::Value(v) => Some(s.format(v)),
                Fill::Omit => None,
            })
        })
    };
    let mut path = op.path.clone();
    let mut req = HttpRequest::new(&op.method, "");
    let mut cookies = Vec::new();
    for p in &op.parameters {
        let value = match fill_for(p.location, &p.name) {
            Some(v) => v,
            None if p.required => Some(scalar(&canonical(spec, p.schema.as_ref()))),
            None => None,
        };
        let Some(value) = value else {
            if p.required {
                problems.push(format!(
                    "required {} parameter `{}` is left out",
                    p.location.as_str(),
                    p.name
                ));
            }
            continue;
        };
        if value.is_empty() && p.location == Location::Path {
            problems.push(format!("path parameter `{}` is empty", p.name));
        }
        match p.location {
            Location::Path => path = path.replace(&format!("{{{}}}", p.name), &encode(&value)),
            Location::Query => req.query.push((p.name.clone(), value)),
            Location::Header => req.headers.push((p.name.clone(), value)),
            Location::Cookie => cookies.push(format!("{}={}", p.name, value)),
        }
    }
    // Sources the operation does not declare as parameters (the
    // Authorization header of a security scheme).
    for (s, f) in fills {
        if let (Expr::RequestHeader(n), Fill::Value(v)) = (&s.expr, f) {
            if !req.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(n)) {
                req.headers.push((n.clone(), s.format(v)));
            }
        }
        if let (Expr::RequestCookie(n), Fill::Value(v)) = (&s.expr, f) {
            if !cookies.iter().any(|c| c.starts_with(&format!("{n}="))) {
                cookies.push(format!("{n}={v}"));
            }
        }
    }
    if !cookies.is_empty() {
        req.headers.push(("cookie".into(), cookies.join("; ")));
    }
    req.path = path;
    if let Some(rb) = &op.request_body {
        let media = rb
            .content
            .iter()
            .find(|m| m.name.contains("json"))
            .or_else(|| {
                rb.content
                    .iter()
                    .find(|m| m.name == "application/x-www-form-urlencoded")
            })
            .or(rb.content.first());
        if let Some(media) = media {
            let mut body = match (&media.example, media.examples.first()) {
                (Some(e), _) | (None, Some((_, e))) if e.is_object() => e.clone(),
                _ => canonical(spec, media.schema.as_ref()),
            };
            for (s, f) in fills {
                if let Expr::RequestBody(ptr) = &s.expr {
                    match f {
                        Fill::Value(v) => {
                            ptr.set(&mut body, Value::String(v.clone()));
                        }
                        Fill::Omit => remove(&mut body, ptr),
                    }
                }
            }
            if let Some(schema) = &media.schema {
                match spec.schemas().validate(&schema.pointer, &body) {
                    Ok(v) => problems.extend(
                        v.into_iter()
                            .map(|v| format!("body{}: {}", v.path, v.message)),
                    ),
                    Err(e) => problems.push(e.to_string()),
                }
            }
            let media_name = if media.name.contains('*') {
                "application/json".to_owned()
            } else {
                media.name.clone()
            };
            let bytes = if media_name == "application/x-www-form-urlencoded" {
                form(&body).into_bytes()
            } else {
                body.to_string().into_bytes()
            };
            req.body = Some((media_name, bytes));
        }
    }
    Built {
        request: req,
        problems,
    }
}

fn form(body: &Value) -> String {
    let Some(m) = body.as_object() else {
        return String::new();
    };
    m.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(&scalar(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Remove the value at `ptr`, if any.
pub fn remove(target: &mut Value, ptr: &Pointer) {
    let Some((last, parents)) = ptr.tokens().split_last() else {
        *target = Value::Null;
        return;
    };
    let parent = parents.iter().try_fold(target, |v, t| match v {
        Value::Object(m) => m.get_mut(t),
        Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?),
        _ => None,
    });
    match parent {
        Some(Value::Object(m)) => {
            m.shift_remove(last);
        }
        Some(Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>() {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        _ => {}
    }
}
