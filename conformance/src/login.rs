//! `--login-command`: logins the suite cannot perform itself (the
//! authorization-code flow through a login page, SSO, MFA) are performed by
//! a command of the user's.
//!
//! The command runs under `sh -c` with the account and the target in its
//! environment, never in its arguments: `CONFORMANCE_USERNAME`,
//! `CONFORMANCE_PASSWORD`, `CONFORMANCE_TARGET` (the base URL),
//! `CONFORMANCE_NAMESPACE` (against the mock, the run's namespace, to send
//! as `x-mock-namespace`), and where the suite knows the client
//! `CONFORMANCE_CLIENT_ID`, `CONFORMANCE_CLIENT_SECRET`,
//! `CONFORMANCE_REDIRECT_URI`. It prints a token response (RFC 6749
//! section 5.1: `access_token`, `refresh_token`, `expires_in`, `id_token`)
//! on its standard output. The suite takes that as the answer of the
//! operation the command stands for (an `exchange-code` operation, or a
//! `login` the suite cannot build a request for): a login step of the
//! sequence, after which the model holds a session for the account.
//! A command that cannot start, exits non-zero, outlives `--login-timeout`
//! or prints no token response stops the run with a
//! [`RunError::LoginCommand`] naming it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wait_timeout::ChildExt;

use openapi::binding::ActionKind;
use openapi::expr::Expr;
use openapi::model::OutcomeName;

use crate::driver::Exchange;
use crate::error::RunError;
use crate::plan::{Bound, Plan, Planned};
use crate::target::{shell, HttpResponse};

/// The default `--login-timeout`.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a command's output read.
const MAX_OUTPUT: u64 = 1 << 20;

/// A command that logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCommand {
    /// The command line, run by `sh -c`.
    pub command: String,
    /// How long it may take.
    pub timeout: Duration,
    /// The directory it runs in (that of the config file naming it);
    /// `None`: the suite's.
    pub dir: Option<std::path::PathBuf>,
}

impl LoginCommand {
    /// `command` with the default timeout.
    pub fn new(command: &str) -> LoginCommand {
        LoginCommand {
            command: command.to_owned(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            dir: None,
        }
    }
}

/// The client a command logs in as, where the suite knows it (the
/// spec's first client with redirect URIs, against the mock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginClient {
    /// `client_id`.
    pub id: String,
    /// Its secret, for a confidential client.
    pub secret: Option<String>,
    /// Its first registered redirect URI.
    pub redirect_uri: Option<String>,
}

/// The login command of a plan, and the operations it stands for.
#[derive(Debug)]
pub struct CommandLogin {
    /// The command.
    pub command: LoginCommand,
    /// The operations whose logins it performs.
    pub ops: Vec<Bound>,
    /// The client it is told of.
    pub client: Option<LoginClient>,
}

/// What a command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: String,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `expires_in`.
    pub expires_in: Option<u64>,
    /// `id_token`.
    pub id_token: Option<String>,
}

/// Why the code flow's operations are left out of sequences without a
/// login command.
pub const CODE_FLOW_LEFT_OUT: &str = "the authorization-code flow needs a browser; give \
     --login-command (docs/oauth.md) to log in through it";

impl Plan {
    /// Log in with `command` where the suite cannot: on every
    /// `exchange-code` operation, and every `login` operation left out
    /// because no valid request can be built for it. The `authorize`
    /// operations it drives are no longer listed as left out.
    pub fn use_login_command(&mut self, command: LoginCommand) -> Result<(), RunError> {
        let spec = self.spec.clone();
        let mut found = Vec::new();
        let mut names = Vec::new();
        for (i, op) in spec.operations().iter().enumerate() {
            for (j, b) in op.bindings.iter().enumerate() {
                if b.action == ActionKind::Authorize {
                    names.push(op.variant_name(j));
                }
                let chosen = self.selection.leaves_out_variant(&spec, op, j).is_none();
                let planned = self.ops.iter().any(|p| p.op == i && p.binding == j);
                let undrivable = b.action == ActionKind::Login && !planned;
                if chosen && (b.action == ActionKind::ExchangeCode || undrivable) {
                    found.push((i, j));
                    names.push(op.variant_name(j));
                }
            }
        }
        if found.is_empty() {
            return Err(RunError::LoginPlan(
                "the spec binds no `exchange-code` operation, nor a `login` the suite cannot \
                 drive, for the command to stand for"
                    .into(),
            ));
        }
        self.left_out.retain(|(op, _)| !names.contains(op));
        let mut ops = Vec::new();
        for (op, binding) in found {
            ops.push(Bound(self.ops.len()));
            self.ops.push(Planned {
                action: ActionKind::Login,
                op,
                binding,
            });
        }
        let lifecycle = spec.lifecycle();
        // The spec's clients exist on the mock only, as its accounts do.
        let client = lifecycle
            .clients
            .iter()
            .find(|c| lifecycle.redirect_uris.contains_key(&c.id))
            .filter(|_| self.clock)
            .map(|c| LoginClient {
                id: c.id.clone(),
                secret: c.secret.clone(),
                redirect_uri: lifecycle.redirect_uris[&c.id].first().cloned(),
            });
        self.login = Some(Arc::new(CommandLogin {
            command,
            ops,
            client,
        }));
        Ok(())
    }

    /// Whether logins on operation `op` are the login command's.
    pub fn by_command(&self, op: Bound) -> bool {
        self.login.as_ref().is_some_and(|l| l.ops.contains(&op))
    }
}

/// Log in as account `user` by the plan's command, for operation `op`:
/// the token response as the answer of `op` (the tokens at its binding's
/// `issue` places, with its success status), and the exchange for the
/// report.
pub fn log_in(
    plan: &Plan,
    op: Bound,
    user: usize,
    step: String,
    expected: String,
) -> Result<(HttpResponse, Exchange), RunError> {
    let login = plan
        .login
        .as_ref()
        .ok_or_else(|| RunError::LoginPlan("no login command".into()))?;
    let (username, password) = plan.credentials(user, false);
    let mut env = vec![
        ("CONFORMANCE_USERNAME", username.clone()),
        ("CONFORMANCE_PASSWORD", password.clone()),
        ("CONFORMANCE_TARGET", plan.target.base().to_owned()),
    ];
    if let Some(ns) = plan.target.namespace() {
        env.push(("CONFORMANCE_NAMESPACE", ns.to_owned()));
    }
    if let Some(c) = &login.client {
        env.push(("CONFORMANCE_CLIENT_ID", c.id.clone()));
        if let Some(s) = &c.secret {
            env.push(("CONFORMANCE_CLIENT_SECRET", s.clone()));
        }
        if let Some(r) = &c.redirect_uri {
            env.push(("CONFORMANCE_REDIRECT_URI", r.clone()));
        }
    }
    let tokens = run(&login.command, &env, &password)?;
    let resp = answer(plan, op, &tokens);
    let shown: Vec<String> = env
        .iter()
        .filter(|(k, _)| !k.ends_with("PASSWORD") && !k.ends_with("SECRET"))
        .map(|(k, v)| format!("{k}={}", shell(v)))
        .collect();
    let exchange = Exchange {
        step,
        curl: format!(
            "{} CONFORMANCE_PASSWORD=\"(the password of {username})\" sh -c {}",
            shown.join(" "),
            shell(&login.command.command)
        ),
        expected,
        status: resp.status,
        body: plan.target.redact(&resp.body_text(400)),
    };
    Ok((resp, exchange))
}

/// The token response as the answer of `op`: its success status, each
/// token at its binding's `issue` place (a body field or a header).
fn answer(plan: &Plan, op: Bound, t: &TokenResponse) -> HttpResponse {
    let b = plan.binding(op);
    let status = b.outcome(OutcomeName::Success).status;
    let mut body = json!({});
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let i = &b.issue;
    let values = [
        (&i.access_token, Some(Value::from(t.access_token.as_str()))),
        (
            &i.refresh_token,
            t.refresh_token.as_deref().map(Value::from),
        ),
        (&i.expires_in, t.expires_in.map(Value::from)),
        (&i.id_token, t.id_token.as_deref().map(Value::from)),
    ];
    for (place, value) in values {
        match (place, value) {
            (Some(Expr::ResponseBody(ptr)), Some(v)) => {
                ptr.set(&mut body, v);
            }
            (Some(Expr::ResponseHeader(name)), Some(v)) => {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                headers.push((name.clone(), text));
            }
            _ => {}
        }
    }
    HttpResponse {
        status,
        headers,
        body: body.to_string().into_bytes(),
    }
}

/// Run `command` with `env`, within its timeout, and read its token
/// response; `password` is removed from whatever of its error output is
/// quoted.
pub fn run(
    command: &LoginCommand,
    env: &[(&str, String)],
    password: &str,
) -> Result<TokenResponse, RunError> {
    let fail = |message: String| RunError::LoginCommand {
        command: command.command.clone(),
        message: if password.is_empty() {
            message
        } else {
            message.replace(password, "(password)")
        },
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&command.command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = &command.dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = match child.wait_timeout(command.timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(format!(
                "did not finish within {} (--login-timeout)",
                humantime::format_duration(command.timeout)
            )));
        }
        Err(e) => return Err(fail(format!("could not be waited for: {e}"))),
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        return Err(fail(format!("failed ({status}): {}", tail(&stderr))));
    }
    parse(&stdout).map_err(|why| fail(format!("{why}; its error output: {}", tail(&stderr))))
}

/// The end of a command's error output, for a message.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "nothing".into();
    }
    let chars: Vec<char> = text.chars().collect();
    let start = chars.len().saturating_sub(500);
    let cut: String = chars[start..].iter().collect();
    if start > 0 {
        format!("…{cut}")
    } else {
        cut
    }
}

/// The token response a command printed.
pub fn parse(stdout: &[u8]) -> Result<TokenResponse, String> {
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "printed no JSON token response on its standard output ({} bytes: {e})",
            stdout.len()
        )
    })?;
    let text = |k: &str| -> Result<Option<String>, String> {
        match value.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(format!("printed a token response whose `{k}` is {other}")),
        }
    };
    let Some(access_token) = text("access_token")? else {
        return Err("printed a JSON token response without `access_token`".into());
    };
    let expires_in = match value.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            format!("printed a token response whose `expires_in` is {v}, not seconds")
        })?),
    };
    Ok(TokenResponse {
        access_token,
        refresh_token: text("refresh_token")?,
        expires_in,
        id_token: text("id_token")?,
    })
}
