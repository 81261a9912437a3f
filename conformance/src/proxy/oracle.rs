//! The proxy's judge: every exchange it forwarded, checked as the suite
//! checks it. Stateless checks by `check::response_problems` and the
//! request check of `openapi::request`; the lifecycle by the suite's own
//! reference ([`RefState`], the pure model with the `Symbolic` codec) and
//! driver ([`Driver::observe`]), with each real token seen in a bound
//! answer mapped to the symbolic token the model minted for it.
//!
//! Invariant: no verdict without knowledge. A request presenting a token
//! the proxy never saw issued (issued before it started, or forgotten), a
//! login of an account it does not know, or a token within the expiry
//! tolerance of its lifetime's end is forwarded and not judged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use openapi::binding::{ActionKind, Binding};
use openapi::model::TokenKind;
use openapi::request::{Checked, Incoming};
use openapi::router::{base_path, Routed, Router};
use openapi::wire::Component;

use crate::check::response_problems;
use crate::driver::{Driver, Exchange, Violation};
use crate::machine::{RefState, Step, Tok};
use crate::plan::{Bound, Caller, Plan};
use crate::property::Property;
use crate::target::HttpResponse;

/// Symbolic tokens kept before expired ones are forgotten.
const KNOWN_TOKENS: usize = 10_000;

/// The operation a request is for (index into `Spec::operations()`), its
/// path parameters, and the request checked against it.
struct Matched {
    op: usize,
    params: Vec<(String, String)>,
    checked: Checked,
}

/// A request's path and query, as sent.
fn target_of(seen: &Seen<'_>) -> String {
    match seen.query {
        "" => seen.path.to_owned(),
        q => format!("{}?{q}", seen.path),
    }
}

/// One exchange as the oracle sees it.
pub struct Seen<'a> {
    /// The method, uppercase.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query.
    pub query: &'a str,
    /// The request headers, names lowercase.
    pub headers: &'a Vec<(String, String)>,
    /// The request body.
    pub body: &'a [u8],
}

/// What the oracle found over every exchange.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// How often each property was judged.
    pub exercised: BTreeMap<Property, u64>,
    /// Each property's violations: how many, the first message, and the
    /// first exchange that showed it.
    pub failed: BTreeMap<Property, (u64, String, Exchange)>,
    /// Exchanges judged against the model (bound operations or guarded
    /// ones with a known token).
    pub bound: u64,
    /// Exchanges with no verdict on their lifecycle (an unknown token or
    /// account, within the expiry tolerance).
    pub no_verdict: u64,
    /// Exchanges forwarded.
    pub exchanges: u64,
    /// Exchanges not judged at all: a body (request or answer) streamed
    /// through, over the judge limit or an event stream.
    pub unjudged: u64,
    /// The first of them: method, path and why.
    pub first_unjudged: Option<String>,
}

/// The judge.
pub struct Oracle {
    plan: Arc<Plan>,
    router: Router,
    state: Option<RefState>,
    driver: Driver,
    /// Real token -> symbolic token.
    reverse: HashMap<String, String>,
    started: Instant,
    tolerance: u64,
    /// What the exchange being judged should have got, in words.
    expected: String,
    /// Everything found so far.
    pub tally: Tally,
}

impl Oracle {
    /// A judge for `plan` (a passive plan: its target is never asked),
    /// with `tolerance` seconds of slack around every token's expiry.
    pub fn new(plan: Arc<Plan>, tolerance: u64) -> Result<Oracle, crate::RunError> {
        let router = Router::new(plan.spec.operations(), &base_path(plan.spec.document()));
        let mut driver = Driver::new(plan.clone())?;
        driver.passive = true;
        driver.introspects = false;
        Ok(Oracle {
            state: Some(RefState::new(plan.clone())),
            plan,
            router,
            driver,
            reverse: HashMap::new(),
            started: Instant::now(),
            tolerance,
            expected: String::new(),
            tally: Tally::default(),
        })
    }

    /// Judge one exchange: the violations it shows.
    /// Messages, the request and the answer are written with every
    /// secret shortened, as [`Oracle::mask`] does.
    /// With them, the request's path and query as they may be shown.
    pub fn judge(&mut self, seen: &Seen<'_>, resp: &HttpResponse) -> (Vec<Violation>, String) {
        self.tally.exchanges += 1;
        self.expected.clear();
        let matched = self.matched(seen);
        let mut found = self.judge_inner(seen, resp, matched.as_ref());
        let secrets = self.secrets_of(seen, Some(resp), matched.as_ref());
        for v in &mut found {
            v.message = self.mask(&v.message, &secrets);
            if !self.tally.failed.contains_key(&v.property) {
                let exchange = Exchange {
                    step: self.mask(&format!("{} {}", seen.method, seen.path), &secrets),
                    curl: self.mask(&self.curl(seen), &secrets),
                    expected: self.mask(&self.expected, &secrets),
                    status: resp.status,
                    body: self.mask(&resp.body_text(400), &secrets),
                };
                let first = (0, v.message.clone(), exchange);
                self.tally.failed.insert(v.property, first);
            }
            if let Some(e) = self.tally.failed.get_mut(&v.property) {
                e.0 += 1;
            }
        }
        (found, self.mask(&target_of(seen), &secrets))
    }

    /// The request's path and query as they may be shown, with every
    /// secret it carries shortened: for an exchange that is not judged.
    pub fn shown(&self, seen: &Seen<'_>) -> String {
        let matched = self.matched(seen);
        let secrets = self.secrets_of(seen, None, matched.as_ref());
        self.mask(&target_of(seen), &secrets)
    }

    /// The operation a request is for, and the request checked against
    /// it: routed and checked once per exchange.
    fn matched(&self, seen: &Seen<'_>) -> Option<Matched> {
        let Routed::Found { op, params } = self.router.route(seen.method, seen.path) else {
            return None;
        };
        let incoming = Incoming {
            query: seen.query,
            headers: seen.headers,
            body: seen.body,
            path_params: &params,
        };
        let checked =
            openapi::request::check(&self.plan.spec, &self.plan.spec.operations()[op], &incoming);
        Some(Matched {
            op,
            params,
            checked,
        })
    }

    /// The request as a curl command to the upstream.
    fn curl(&self, seen: &Seen<'_>) -> String {
        let mut req = crate::target::HttpRequest::new(seen.method, seen.path);
        req.query = openapi::wire::query_pairs(seen.query);
        let mut media = None;
        for (n, v) in seen.headers {
            match n.as_str() {
                "content-type" => media = Some(v.clone()),
                "content-length" => {}
                _ => req.headers.push((n.clone(), v.clone())),
            }
        }
        if !seen.body.is_empty() || media.is_some() {
            req.body = Some((media.unwrap_or_default(), seen.body.to_vec()));
        }
        self.plan.target.curl(&req)
    }

    /// What one exchange carries that must not be written in full: the
    /// values at the places its operation's bindings read a password, a
    /// token or a client secret (and its guard a token), the tokens its
    /// answer issues, and the credentials of `Authorization` and `Cookie`.
    fn secrets_of(
        &self,
        seen: &Seen<'_>,
        resp: Option<&HttpResponse>,
        matched: Option<&Matched>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (n, v) in seen.headers {
            match n.as_str() {
                "authorization" | "proxy-authorization" => {
                    let credential = v.trim().split_once(' ').map_or(v.as_str(), |(_, c)| c);
                    out.push(credential.trim().to_owned());
                }
                "cookie" => out.extend(
                    openapi::wire::cookie_pairs([v.as_str()])
                        .into_iter()
                        .map(|(_, v)| v),
                ),
                _ => {}
            }
        }
        let plan = self.plan.clone();
        let spec = &plan.spec;
        let Some(m) = matched else {
            return out;
        };
        let op = &spec.operations()[m.op];
        let incoming = Incoming {
            query: seen.query,
            headers: seen.headers,
            body: seen.body,
            path_params: &m.params,
        };
        let parsed = match &m.checked {
            Checked::Valid(p) | Checked::Invalid(_, p) => p,
            Checked::UnsupportedMediaType { .. } => return out,
        };
        let mut places: Vec<&openapi::binding::Source> =
            crate::guard::guard(&plan, op).into_iter().collect();
        for b in &op.bindings {
            places.extend(
                [&b.password, &b.access_token, &b.refresh_token, &b.token]
                    .into_iter()
                    .flatten(),
            );
            if let Some(c) = &b.client {
                places.extend(&c.secret);
            }
            let issued = [
                &b.issue.access_token,
                &b.issue.refresh_token,
                &b.issue.id_token,
            ];
            out.extend(
                issued
                    .into_iter()
                    .flatten()
                    .filter_map(|e| resp.and_then(|r| crate::driver::read(e, r))),
            );
        }
        for source in places {
            if let Some(raw) = incoming.text(parsed, &source.expr) {
                out.push(source.strip(&raw).to_owned());
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// `text` with every token the oracle knows and every one of
    /// `secrets` shortened to its first four characters and an ellipsis
    /// (`kX3a…`; a short one to the ellipsis alone): the journal, the logs
    /// and the reports never hold a live token or a password in full. A
    /// token is a maximal run of the characters of base64url, JWTs and
    /// opaque tokens (`A-Z a-z 0-9 - _ . ~ +`) with its trailing `=`
    /// padding, so that `token=kX3a…` splits at the `=`. A secret is
    /// shortened where it stands as a whole token, whatever its length,
    /// and one of eight characters or more wherever it appears; its form-
    /// and percent-encoded forms too.
    pub fn mask(&self, text: &str, secrets: &[String]) -> String {
        let short = |word: &str| {
            let keep = if word.chars().count() >= 12 { 4 } else { 0 };
            let mut s: String = word.chars().take(keep).collect();
            s.push('…');
            s
        };
        let mut text = text.to_owned();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            let encoded: Vec<String> = [
                Component::Query.encode(secret),
                Component::Form.encode(secret),
            ]
            .into_iter()
            .filter(|e| e != secret)
            .collect();
            if secret.len() >= 8 {
                text = text.replace(secret.as_str(), &short(secret));
            }
            for e in encoded {
                text = text.replace(e.as_str(), &short(secret));
            }
        }
        let is_token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~+".contains(c);
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find(is_token_char) {
            out.push_str(&rest[..start]);
            let run = &rest[start..];
            let bare = run.find(|c: char| !is_token_char(c)).unwrap_or(run.len());
            let padding = run[bare..].len() - run[bare..].trim_start_matches('=').len();
            let end = bare + padding;
            let word = &run[..end];
            let known = |w: &str| self.reverse.contains_key(w) || secrets.iter().any(|s| s == w);
            if known(word) {
                out.push_str(&short(word));
                rest = &run[end..];
            } else if known(&run[..bare]) {
                out.push_str(&short(&run[..bare]));
                rest = &run[bare..];
            } else {
                out.push_str(word);
                rest = &run[end..];
            }
        }
        out.push_str(rest);
        out
    }

    /// An exchange whose body was streamed through, not read: no verdict.
    /// When it was for a bound operation, what it did to the tokens is
    /// unknown: every token known is forgotten, so that no later exchange
    /// is judged on a state the model can no longer vouch for.
    pub fn unjudged(&mut self, method: &str, path: &str, why: &str) {
        self.tally.exchanges += 1;
        self.tally.unjudged += 1;
        if self.tally.first_unjudged.is_none() {
            self.tally.first_unjudged = Some(self.mask(&format!("{method} {path}: {why}"), &[]));
        }
        let bound = match self.router.route(method, path) {
            Routed::Found { op, .. } => self.plan.spec.operations()[op].is_bound(),
            _ => false,
        };
        if bound {
            self.forget(|_| true);
        }
    }

    fn exercise(&mut self, p: Property) {
        *self.tally.exercised.entry(p).or_default() += 1;
    }

    fn judge_inner(
        &mut self,
        seen: &Seen<'_>,
        resp: &HttpResponse,
        matched: Option<&Matched>,
    ) -> Vec<Violation> {
        let plan = self.plan.clone();
        let spec = &plan.spec;
        let Some(m) = matched else {
            return Vec::new();
        };
        let index = m.op;
        let op = &spec.operations()[index];
        let incoming = Incoming {
            query: seen.query,
            headers: seen.headers,
            body: seen.body,
            path_params: &m.params,
        };
        let (parsed, problems) = match &m.checked {
            Checked::Valid(p) => (p, &[][..]),
            Checked::Invalid(e, p) => (p, &e[..]),
            Checked::UnsupportedMediaType { sent, .. } => {
                return self.rejected(vec![format!("content type {sent}")], resp)
            }
        };
        let binding = op.binding_for(|e| incoming.value(parsed, e));
        let missing = binding
            .is_some_and(|b| b.answers_missing(problems.iter().map(|p| p.location.as_str())));
        if !problems.is_empty() && !missing {
            let texts = problems
                .iter()
                .map(|p| format!("{}: {}", p.location, p.message))
                .collect();
            return self.rejected(texts, resp);
        }
        let step = match binding {
            Some(b) => {
                let j = op
                    .bindings
                    .iter()
                    .position(|x| std::ptr::eq(x, b))
                    .unwrap_or(0);
                let bound = plan
                    .ops
                    .iter()
                    .position(|p| p.op == index && p.binding == j)
                    .map(Bound);
                match bound {
                    Some(bound) => self.bound_step(bound, b, |e| incoming.text(parsed, e)),
                    None => None,
                }
            }
            None => crate::guard::guard(&plan, op).and_then(|source| {
                let raw = incoming.text(parsed, &source.expr)?;
                let sym = self.reverse.get(source.strip(&raw))?.clone();
                Some(Step::Guarded {
                    op: index,
                    token: Tok::Known(sym),
                })
            }),
        };
        let Some(step) = step else {
            // Unbound, or nothing the model knows: the stateless checks.
            if op.is_bound() || crate::guard::guard(&plan, op).is_some() {
                self.tally.no_verdict += 1;
            }
            return self.documented(op, resp);
        };
        self.lifecycle(step, resp)
    }

    /// A request the spec forbids: any 4xx.
    fn rejected(&mut self, problems: Vec<String>, resp: &HttpResponse) -> Vec<Violation> {
        self.exercise(Property::InvalidRequestsRejected);
        self.expected = format!(
            "a 4xx: the request breaks the spec ({})",
            problems.join("; ")
        );
        if (400..500).contains(&resp.status) {
            return Vec::new();
        }
        vec![Violation {
            property: Property::InvalidRequestsRejected,
            message: format!(
                "a request the spec forbids ({}) got {} instead of a 4xx",
                problems.join("; "),
                resp.status
            ),
        }]
    }

    /// `responses match the spec` alone.
    fn documented(&mut self, op: &openapi::spec::Operation, resp: &HttpResponse) -> Vec<Violation> {
        self.exercise(Property::ResponsesDocumented);
        self.expected = "an answer the spec documents".to_owned();
        let problems = response_problems(&self.plan.spec, op, resp);
        if problems.is_empty() {
            return Vec::new();
        }
        vec![Violation {
            property: Property::ResponsesDocumented,
            message: problems.join("; "),
        }]
    }

    /// The step a request to a bound operation is, where the model knows
    /// enough: the account of a login, the token of a call.
    fn bound_step(
        &self,
        bound: Bound,
        b: &Binding,
        read: impl Fn(&openapi::expr::Expr) -> Option<String>,
    ) -> Option<Step> {
        let text = |s: &Option<openapi::binding::Source>| {
            s.as_ref()
                .and_then(|s| read(&s.expr).map(|raw| s.strip(&raw).to_owned()))
        };
        match b.action {
            ActionKind::Login => {
                let user = text(&b.username)?;
                let password = text(&b.password)?;
                let i = self.plan.accounts.iter().position(|(u, _)| *u == user)?;
                Some(Step::Login {
                    op: bound,
                    user: i,
                    wrong_password: self.plan.accounts[i].1 != password,
                    client: self.caller(b, &read, None),
                })
            }
            a if a.is_code_flow() => None,
            action => {
                let sources = [&b.access_token, &b.refresh_token, &b.token];
                let presented = sources.into_iter().find_map(text);
                let token = match presented {
                    None => Tok::Missing,
                    Some(t) if t.is_empty() => Tok::Empty,
                    Some(t) => Tok::Known(self.reverse.get(&t)?.clone()),
                };
                let sym = match &token {
                    Tok::Known(s) => Some(s.as_str()),
                    _ => None,
                };
                let client = self.caller(b, &read, sym);
                Some(Step::Call {
                    op: bound,
                    action,
                    token,
                    client,
                })
            }
        }
    }

    /// The client a request to `b` authenticates as, read where the mock
    /// reads it (HTTP Basic in `Authorization`, or the binding's places):
    /// the token's own client (for a login, the plan's first), another
    /// of the plan's clients, or [`Caller::Stranger`] for credentials that
    /// match none (a wrong secret, an unknown id, none at all), which the
    /// model refuses as the API should.
    fn caller(
        &self,
        b: &Binding,
        read: &impl Fn(&openapi::expr::Expr) -> Option<String>,
        token: Option<&str>,
    ) -> Caller {
        let Some(c) = &b.client else {
            return Caller::Own;
        };
        let (id, secret) = openapi::request::client_credentials(c, read);
        let found = self.plan.clients.iter().position(|known| {
            Some(&known.id) == id.as_ref()
                && match &known.secret {
                    Some(s) => secret.as_ref() == Some(s),
                    None => true,
                }
        });
        let own = token
            .and_then(|t| self.state.as_ref()?.known_token(t))
            .and_then(|k| k.client)
            .unwrap_or(0);
        match found {
            Some(i) if i == own => Caller::Own,
            Some(i) => Caller::Client(i),
            None => Caller::Stranger,
        }
    }

    /// Run `step` through the reference at the real clock, and judge the
    /// answer with the suite's driver.
    fn lifecycle(&mut self, step: Step, resp: &HttpResponse) -> Vec<Violation> {
        let mut state = self.state.take().expect("the reference state");
        let now = self.started.elapsed().as_secs();
        if now > state.now {
            let seconds = now - state.now;
            state = state.step(&Step::Wait { seconds });
        }
        let near_expiry = step
            .known_token()
            .is_some_and(|s| self.near_expiry(&state, s));
        let known = state.known.len();
        let after = state.step(&step);
        self.expected = crate::driver::expected_text(&after.expected);
        let found = match self.driver.observe(&after, &step, resp) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("not judged: {e}");
                Vec::new()
            }
        };
        for (sym, _) in &after.known[known..] {
            if let Some(real) = self.driver.real_token(sym) {
                self.reverse.insert(real, sym.clone());
            }
        }
        for (p, n) in std::mem::take(&mut self.driver.exercised) {
            *self.tally.exercised.entry(p).or_default() += n;
        }
        self.state = Some(after);
        self.forget_expired();
        if near_expiry {
            self.tally.no_verdict += 1;
            return Vec::new();
        }
        self.tally.bound += 1;
        found
    }

    /// The lifetime of a token of `kind`.
    fn ttl(&self, kind: TokenKind) -> u64 {
        match kind {
            TokenKind::Access => self.plan.policy.access_token_ttl,
            TokenKind::Refresh => self.plan.policy.refresh_token_ttl,
        }
    }

    /// Whether the real clock is within the tolerance of `sym`'s expiry.
    fn near_expiry(&self, state: &RefState, sym: &str) -> bool {
        let Some(k) = state.known_token(sym) else {
            return false;
        };
        let end = k.issued_at + self.ttl(k.kind);
        let now = self.started.elapsed().as_secs_f64();
        (now - end as f64).abs() <= self.tolerance as f64 + 1.0
    }

    /// Past [`KNOWN_TOKENS`], forget the tokens whose lifetime ended more
    /// than the tolerance ago (a later request with one gets no verdict).
    fn forget_expired(&mut self) {
        let Some(state) = self.state.as_ref() else {
            return;
        };
        if state.known.len() <= KNOWN_TOKENS {
            return;
        }
        let now = state.now;
        let policy = self.plan.policy.clone();
        let tolerance = self.tolerance;
        self.forget(|k| {
            let ttl = match k.kind {
                TokenKind::Access => policy.access_token_ttl,
                TokenKind::Refresh => policy.refresh_token_ttl,
            };
            k.issued_at + ttl + tolerance + 1 < now
        });
    }

    /// Forget the known tokens `gone` picks: a later request presenting
    /// one gets no verdict.
    fn forget(&mut self, gone: impl Fn(&crate::machine::KnownToken) -> bool) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        let mut forgotten = Vec::new();
        state.known.retain(|(s, k)| {
            if gone(k) {
                forgotten.push(s.clone());
                return false;
            }
            true
        });
        let gone = forgotten;
        for s in &gone {
            state.causes.remove(s);
        }
        self.driver.forget(&gone);
        let gone: std::collections::HashSet<&String> = gone.iter().collect();
        self.reverse.retain(|_, s| !gone.contains(s));
    }
}
