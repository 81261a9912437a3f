//! What the spec lets the suite do: the bound operations per lifecycle
//! action (each binding of an operation with several is a variant of its
//! own), the accounts and clients, and how to build a request that
//! presents a given token or credential exactly where the binding says,
//! with the values its `when` needs and the client's credentials.

use std::sync::{Arc, LazyLock};

use serde_json::Value;

use openapi::binding::{ActionKind, Binding, ClientAuthMethod, Policy, Source};
use openapi::expr::Expr;
use openapi::model::Client;
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
    /// OAuth clients to authenticate as, where bindings authenticate one.
    pub clients: Vec<Client>,
    /// The declared policy.
    pub policy: Policy,
    /// Whether the target's clock can be moved (it is the mock).
    pub clock: bool,
    /// Bound operations usable in sequences, one per binding (a
    /// [`Bound`] indexes this list).
    pub ops: Vec<Planned>,
    /// Bound operations (variants) left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// The operations and properties the run looks at.
    pub selection: Selection,
    /// The login command and the operations it logs in on
    /// (`--login-command`).
    pub login: Option<Arc<crate::login::CommandLogin>>,
    /// The JWT checks (the declared settings, the key set).
    pub jwt: crate::jwt::Checks,
    /// The shard of the run (`--shard`).
    pub shard: crate::shard::Shard,
    /// The units the run sent.
    pub units: crate::shard::Ledger,
}

/// One binding of one operation the suite can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// Its action.
    pub action: ActionKind,
    /// The operation's index in the spec.
    pub op: usize,
    /// The binding's index in the operation.
    pub binding: usize,
}

/// A planned binding: an index into [`Plan::ops`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bound(pub usize);

/// Who a step authenticates as, where its binding authenticates a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The client the presented token was issued to (the first client,
    /// for a login or a token no client got).
    Own,
    /// Client `i` of the plan (another client's token, for a call).
    Client(usize),
    /// A client the API does not know.
    Stranger,
}

/// The client id of [`Caller::Stranger`].
pub const STRANGER_ID: &str = "conformance-unknown-client";

/// Where HTTP Basic client credentials go.
static AUTHORIZATION: LazyLock<Source> = LazyLock::new(|| Source {
    expr: Expr::RequestHeader("authorization".into()),
    scheme: None,
});

/// A value to put at a binding's source, or to leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    /// Present this value (formatted with the source's scheme).
    Value(String),
    /// Present this JSON value as it is (a `when` value: a number stays a
    /// number in a JSON body).
    Exactly(Value),
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
        people: (Vec<(String, String)>, Vec<Client>),
        clock: bool,
        selection: Selection,
    ) -> Plan {
        let (accounts, clients) = people;
        let policy = spec.lifecycle().policy.clone();
        let mut ops = Vec::new();
        let mut left_out = Vec::new();
        for (i, op) in spec.operations().iter().enumerate() {
            for (j, b) in op.bindings.iter().enumerate() {
                let name = op.variant_name(j);
                if let Some(why) = selection.leaves_out_variant(&spec, op, j) {
                    left_out.push((name, why));
                    continue;
                }
                if b.action.is_code_flow() {
                    left_out.push((name, crate::login::CODE_FLOW_LEFT_OUT.into()));
                    continue;
                }
                // A request presenting a placeholder token must be valid,
                // or the binding cannot be exercised.
                let probe = with_conditions(
                    b,
                    fills_for(b, |_| Fill::Value("probe-token-0123456789".into())),
                );
                let built = build(&spec, op, &probe);
                if built.problems.is_empty() {
                    ops.push(Planned {
                        action: b.action,
                        op: i,
                        binding: j,
                    });
                } else {
                    left_out.push((
                        name,
                        format!(
                            "no valid request can be built: {}",
                            built.problem_texts().join("; ")
                        ),
                    ));
                }
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
            clients,
            policy,
            clock,
            ops,
            left_out,
            selection,
            login: None,
            jwt,
            shard: crate::shard::Shard::WHOLE,
            units: crate::shard::Ledger::default(),
        }
    }

    /// Whether the run requests operation `index` (`--include`,
    /// `--exclude`).
    pub fn selected(&self, index: usize) -> bool {
        self.selection
            .leaves_out(&self.spec, self.op(index))
            .is_none()
    }

    /// Whether the run sends unit `number` of `list` (its shard's), and
    /// records it when it does.
    pub fn takes(&self, list: &str, number: u64) -> bool {
        crate::shard::take(self.shard, &self.units, list, number)
    }

    /// The operation at `index`.
    pub fn op(&self, index: usize) -> &Operation {
        &self.spec.operations()[index]
    }

    /// The planned binding `b`.
    pub fn planned(&self, b: Bound) -> Planned {
        self.ops[b.0]
    }

    /// The operation of planned binding `b`.
    pub fn op_of(&self, b: Bound) -> &Operation {
        self.op(self.ops[b.0].op)
    }

    /// The name of planned binding `b` in reports: its operation's, with
    /// its conditions where the operation has several bindings.
    pub fn name_of(&self, b: Bound) -> String {
        let p = self.ops[b.0];
        self.op(p.op).variant_name(p.binding)
    }

    /// The planned bindings performing `action`, in document order.
    pub fn all(&self, action: ActionKind) -> impl Iterator<Item = Bound> + '_ {
        (0..self.ops.len())
            .filter(move |i| self.ops[*i].action == action)
            .map(Bound)
    }

    /// The first planned binding performing `action`.
    pub fn first(&self, action: ActionKind) -> Option<Bound> {
        self.all(action).next()
    }

    /// The id and secret `caller` presents on binding `b`'s requests, with
    /// `own` the client the presented token was issued to; `None` where
    /// the binding authenticates no client.
    pub fn credentials_of(
        &self,
        b: Bound,
        caller: Caller,
        own: Option<usize>,
    ) -> Option<(String, Option<String>)> {
        self.binding(b).client.as_ref()?;
        let index = match caller {
            Caller::Own => own.unwrap_or(0),
            Caller::Client(i) => i,
            Caller::Stranger => usize::MAX,
        };
        Some(match self.clients.get(index) {
            Some(c) => (c.id.clone(), c.secret.clone()),
            None => (STRANGER_ID.to_owned(), Some("not-a-secret".to_owned())),
        })
    }

    /// Every fill of a request of binding `b`: `fills` at its token and
    /// credential places, the values its `when` needs, and the client's
    /// `credentials` where it authenticates one.
    pub fn fills<'p>(
        &'p self,
        b: Bound,
        fills: Vec<(&'p Source, Fill)>,
        credentials: Option<(String, Option<String>)>,
    ) -> Vec<(&'p Source, Fill)> {
        let binding = self.binding(b);
        let mut out = with_conditions(binding, fills);
        let (Some(client), Some((id, secret))) = (&binding.client, credentials) else {
            return out;
        };
        match client.method {
            ClientAuthMethod::ClientSecretBasic => {
                let header = wire::basic_authorization(&id, secret.as_deref().unwrap_or(""));
                out.push((&*AUTHORIZATION, Fill::Value(header)));
            }
            ClientAuthMethod::ClientSecretPost | ClientAuthMethod::None => {
                if let Some(s) = &client.id {
                    out.push((s, Fill::Value(id)));
                }
                if let Some(s) = &client.secret {
                    out.push((s, secret.map_or(Fill::Omit, Fill::Value)));
                }
            }
        }
        out
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

    /// The fills of binding `b` presenting `token` at each of its token
    /// places, authenticated as the first client where it authenticates
    /// one.
    pub fn presenting(&self, b: Bound, token: Fill) -> Vec<(&Source, Fill)> {
        let fills = fills_for(self.binding(b), |_| token.clone());
        self.fills(b, fills, self.credentials_of(b, Caller::Own, None))
    }

    /// The binding of a planned operation.
    pub fn binding(&self, b: Bound) -> &Binding {
        let p = self.ops[b.0];
        &self.op(p.op).bindings[p.binding]
    }

    /// The fills of a login with these credentials (the account's; the
    /// client's are [`Plan::fills`]'s).
    pub fn login_fills(&self, op: Bound, username: &str, password: &str) -> Vec<(&Source, Fill)> {
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
        self.first(action).is_some()
    }

    /// Whether some bound operation authenticates a client.
    pub fn authenticates_clients(&self) -> bool {
        self.spec
            .operations()
            .iter()
            .flat_map(|o| &o.bindings)
            .any(|b| b.client.is_some())
    }
}

/// The binding's request sources paired with what to put there.
pub fn fills_for<'b>(
    b: &'b Binding,
    mut value: impl FnMut(&'b Source) -> Fill,
) -> Vec<(&'b Source, Fill)> {
    b.sources().map(|s| (s, value(s))).collect()
}

/// `fills` with the values the binding's `when` needs.
pub fn with_conditions<'b>(
    b: &'b Binding,
    mut fills: Vec<(&'b Source, Fill)>,
) -> Vec<(&'b Source, Fill)> {
    fills.extend(
        b.when
            .iter()
            .map(|c| (&c.place, Fill::Exactly(c.value.clone()))),
    );
    fills
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
                Fill::Exactly(v) => Some(v.clone()),
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
        let text = match f {
            Fill::Value(v) => s.format(v),
            Fill::Exactly(v) => openapi::media::simple_text(v),
            Fill::Omit => continue,
        };
        match &s.expr {
            Expr::RequestHeader(n) if !b.has_header(n) => {
                b.header(n, &text);
            }
            Expr::RequestCookie(n) if !b.has_cookie(n) => {
                b.cookie(n, &text);
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
                    Fill::Exactly(v) => ptr.set(&mut body, v.clone()),
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
