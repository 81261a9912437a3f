//! The `run` options of the binary: flags, the `conformance.toml` file they
//! override (found in the current directory, or given by `--config`), and
//! credentials from the environment (`--user-env VAR`, `$VAR` in header
//! values) so that CI secrets never appear in argv, logs or reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use conformance::{
    Limits, LoginCommand, OpFilter, Property, Rate, Secret, Selection, Shard, Tls, Transport,
};

/// The config file's name, looked for in the current directory.
pub const CONFIG_FILE: &str = "conformance.toml";

/// `conformance.toml`: every key is optional, a flag overrides it. Paths are
/// relative to the file's directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    /// Base URL.
    pub target: Option<String>,
    /// The spec.
    pub spec: Option<PathBuf>,
    /// Accounts, NAME:PASSWORD (prefer `user-env`).
    pub users: Option<Vec<String>>,
    /// Environment variables holding NAME:PASSWORD.
    pub user_env: Option<Vec<String>>,
    /// OAuth clients, ID:SECRET (prefer `client-env`).
    pub clients: Option<Vec<String>>,
    /// Environment variables holding ID:SECRET.
    pub client_env: Option<Vec<String>>,
    /// `--cases`.
    pub cases: Option<u32>,
    /// `--max-steps`.
    pub max_steps: Option<usize>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--concurrency`.
    pub concurrency: Option<usize>,
    /// `--expiry-wait`, seconds.
    pub expiry_wait: Option<u64>,
    /// `--race-rounds`.
    pub race_rounds: Option<u32>,
    /// `--allow-unexercised`.
    pub allow_unexercised: Option<bool>,
    /// Headers for every request; `$VAR` and `${VAR}` read the environment.
    pub headers: Option<BTreeMap<String, String>>,
    /// `--request-timeout` ("30s").
    pub request_timeout: Option<String>,
    /// `--max-response-time` ("2s").
    pub max_response_time: Option<String>,
    /// `--max-body` ("16MiB").
    pub max_body: Option<String>,
    /// `--rate-limit` ("10/s").
    pub rate_limit: Option<String>,
    /// `--budget`.
    pub budget: Option<u64>,
    /// `--duration` ("10m").
    pub duration: Option<String>,
    /// `--max-failures-in-a-row`.
    pub max_failures_in_a_row: Option<u32>,
    /// `--include`.
    pub include: Option<Vec<String>>,
    /// `--exclude`.
    pub exclude: Option<Vec<String>>,
    /// `--checks`.
    pub checks: Option<Vec<String>>,
    /// `--exclude-checks`.
    pub exclude_checks: Option<Vec<String>>,
    /// `--login-command` (run in the file's directory).
    pub login_command: Option<String>,
    /// `--login-timeout` ("30s").
    pub login_timeout: Option<String>,
    /// `--clock-skew` ("30s").
    pub clock_skew: Option<String>,
    /// `--shard` ("2/3").
    pub shard: Option<String>,
    /// `[tls]`.
    pub tls: Option<TlsFile>,
    /// `[reports]`.
    pub reports: Option<ReportsFile>,
}

/// `[tls]` of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TlsFile {
    /// `--ca-cert`.
    pub ca_cert: Option<PathBuf>,
    /// `--insecure`.
    pub insecure: Option<bool>,
    /// `--client-cert`.
    pub client_cert: Option<PathBuf>,
    /// `--client-key`.
    pub client_key: Option<PathBuf>,
}

/// `[reports]` of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReportsFile {
    /// JUnit XML.
    pub junit: Option<PathBuf>,
    /// JSON.
    pub json: Option<PathBuf>,
    /// HTML.
    pub html: Option<PathBuf>,
}

impl File {
    /// The file at `path`, or `./conformance.toml` when it exists (and no
    /// file when it does not); with the directory its paths are relative
    /// to.
    pub fn load(path: Option<&Path>) -> anyhow::Result<(File, PathBuf)> {
        let path = match path {
            Some(p) => p.to_owned(),
            None if Path::new(CONFIG_FILE).is_file() => PathBuf::from(CONFIG_FILE),
            None => return Ok((File::default(), PathBuf::from("."))),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file: File =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        Ok((file, dir))
    }
}

/// A duration: `30s`, `1m 30s`, `500ms`, or bare seconds (`30`).
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration such as 30s: {e}"))
}

/// A size in bytes: `1048576`, `512KiB`, `16MiB`, `1GiB` (K, M, G alike).
pub fn size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let bad = || format!("`{s}` is not a size such as 16MiB or 1048576");
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().map_err(|_| bad())?;
    let unit: u64 = match s[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(unit).ok_or_else(bad)
}

/// `value` with `$VAR` and `${VAR}` read from the environment (`$$` is a
/// `$`); each value read is a secret, written out as `$VAR`.
pub fn expand(value: &str, secrets: &mut Vec<Secret>) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, tail) = match after.strip_prefix('{') {
            Some(braced) => match braced.split_once('}') {
                Some((name, tail)) => (name, tail),
                None => bail!("`${{` without `}}` in a header value"),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if name.is_empty() {
            bail!("a `$` in a header value names no variable (write `$$` for a `$`)");
        }
        let Ok(v) = std::env::var(name) else {
            bail!("the environment variable {name} is not set");
        };
        secrets.push(Secret {
            reference: format!("${name}"),
            value: v.clone(),
        });
        out.push_str(&v);
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// A header, `K:V`, its value expanded.
pub fn header(s: &str, secrets: &mut Vec<Secret>) -> anyhow::Result<(String, String)> {
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() => {
            Ok((k.trim().to_owned(), expand(v.trim(), secrets)?))
        }
        _ => bail!("`{s}` is not K:V"),
    }
}

/// An account from the environment variable `var` (NAME:PASSWORD); the
/// password is a secret, written out as `${VAR#*:}`.
pub fn user_from_env(var: &str, secrets: &mut Vec<Secret>) -> anyhow::Result<(String, String)> {
    let Ok(v) = std::env::var(var) else {
        bail!("--user-env {var}: the environment variable is not set");
    };
    match v.split_once(':') {
        Some((n, p)) if !n.is_empty() => {
            secrets.push(Secret {
                reference: format!("${{{var}#*:}}"),
                value: p.to_owned(),
            });
            Ok((n.to_owned(), p.to_owned()))
        }
        // Never the value: it is a secret.
        _ => bail!("--user-env {var}: the variable does not hold NAME:PASSWORD"),
    }
}

/// `--login-command` over `login-command`, with its timeout; a command
/// of the file runs in the file's directory.
pub fn login_command(
    file: &File,
    dir: &Path,
    flag: Option<String>,
    timeout: Option<Duration>,
) -> anyhow::Result<Option<LoginCommand>> {
    let (command, cwd) = match (flag, &file.login_command) {
        (Some(c), _) => (c, None),
        (None, Some(c)) => (c.clone(), Some(dir.to_owned())),
        (None, None) => return Ok(None),
    };
    if command.trim().is_empty() {
        bail!("--login-command is empty");
    }
    let timeout = match (timeout, &file.login_timeout) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            duration(s).map_err(|e| anyhow::anyhow!("{CONFIG_FILE} login-timeout: {e}"))?
        }
        (None, None) => conformance::DEFAULT_LOGIN_TIMEOUT,
    };
    if timeout.is_zero() {
        bail!("--login-timeout must be more than 0");
    }
    let mut login = LoginCommand::new(&command);
    login.timeout = timeout;
    login.dir = cwd;
    Ok(Some(login))
}

/// `--clock-skew` over `clock-skew`, in whole seconds.
pub fn clock_skew(file: &File, flag: Option<Duration>) -> anyhow::Result<u64> {
    let skew = match (flag, &file.clock_skew) {
        (Some(d), _) => d,
        (None, Some(s)) => {
            duration(s).map_err(|e| anyhow::anyhow!("{CONFIG_FILE} clock-skew: {e}"))?
        }
        (None, None) => return Ok(conformance::DEFAULT_CLOCK_SKEW),
    };
    Ok(skew.as_secs())
}

/// `--shard` over `shard`; the whole run by default.
pub fn shard(file: &File, flag: Option<Shard>) -> anyhow::Result<Shard> {
    match (flag, &file.shard) {
        (Some(s), _) => Ok(s),
        (None, Some(s)) => s
            .parse()
            .map_err(|e: String| anyhow::anyhow!("{CONFIG_FILE} shard: {e}")),
        (None, None) => Ok(Shard::WHOLE),
    }
}

/// Accounts or clients as given: by flags (values, and environment
/// variables holding them) and by the file (the same two keys).
pub struct Given<'a, T> {
    /// `--user`/`--client` values parsed, and `--user-env`/`--client-env`.
    pub flags: (&'a [T], &'a [String]),
    /// The file's `users`/`clients` and `user-env`/`client-env`.
    pub file: (Option<&'a [String]>, Option<&'a [String]>),
    /// The file's key, for messages.
    pub key: &'a str,
}

impl<T: Clone> Given<'_, T> {
    /// The flags' if any, else the file's (each value parsed by `parse`),
    /// then those of the environment variables (read by `from_env`, which
    /// records the secret).
    pub fn read(
        self,
        parse: impl Fn(&str) -> Result<T, String>,
        from_env: impl Fn(&str, &mut Vec<Secret>) -> anyhow::Result<T>,
        secrets: &mut Vec<Secret>,
    ) -> anyhow::Result<Vec<T>> {
        let ((values, vars), (file_values, file_vars)) = (self.flags, self.file);
        let (mut out, vars) = if values.is_empty() && vars.is_empty() {
            let parsed = file_values
                .unwrap_or_default()
                .iter()
                .map(|v| parse(v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("{CONFIG_FILE} {}: {e}", self.key))?;
            (parsed, file_vars.unwrap_or_default())
        } else {
            (values.to_vec(), vars)
        };
        for var in vars {
            out.push(from_env(var, secrets)?);
        }
        Ok(out)
    }
}

/// A client, `ID:SECRET` (or `ID` alone, a public client).
pub fn client(s: &str) -> Result<openapi::model::Client, String> {
    let (id, secret) = match s.split_once(':') {
        Some((id, secret)) => (id, Some(secret.to_owned()).filter(|s| !s.is_empty())),
        None => (s, None),
    };
    if id.is_empty() {
        // Never the value: it holds a secret.
        return Err("a client is ID:SECRET (or ID alone); the ID is empty".into());
    }
    Ok(openapi::model::Client {
        id: id.to_owned(),
        secret,
    })
}

/// A client from the environment variable `var` (ID:SECRET, or ID); the
/// secret is a secret, written out as `${VAR#*:}`.
pub fn client_from_env(
    var: &str,
    secrets: &mut Vec<Secret>,
) -> anyhow::Result<openapi::model::Client> {
    let Ok(v) = std::env::var(var) else {
        bail!("--client-env {var}: the environment variable is not set");
    };
    let c = client(&v).map_err(|e| anyhow::anyhow!("--client-env {var}: {e}"))?;
    if let Some(secret) = &c.secret {
        secrets.push(Secret {
            reference: format!("${{{var}#*:}}"),
            value: secret.clone(),
        });
    }
    Ok(c)
}

/// Parse `--include`/`--exclude` values.
pub fn filters(values: &[String], flag: &str) -> anyhow::Result<Vec<OpFilter>> {
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|e: String| anyhow::anyhow!("{flag}: {e}"))
        })
        .collect()
}

/// Parse `--checks` values (comma-separated too; `all` is every property).
pub fn properties(values: &[String], flag: &str) -> anyhow::Result<Vec<Property>> {
    let mut out = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let v = v.trim();
        if v.is_empty() || v == "all" {
            continue;
        }
        out.push(
            v.parse::<Property>()
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))?,
        );
    }
    Ok(out)
}

/// Everything but the target and spec, built from flags over the file.
pub struct Resolved {
    pub transport: Transport,
    pub limits: Limits,
    pub selection: Selection,
}

/// Flag, else file, else default: the transport, limits and selection.
#[allow(clippy::too_many_arguments)]
pub fn resolve(
    file: &File,
    dir: &Path,
    tls: Tls,
    request_timeout: Option<Duration>,
    max_response_time: Option<Duration>,
    max_body: Option<u64>,
    rate: Option<Rate>,
    budget: Option<u64>,
    run_for: Option<Duration>,
    max_failures: Option<u32>,
    selection: [Vec<String>; 4],
) -> anyhow::Result<Resolved> {
    let in_dir = |p: &PathBuf| dir.join(p);
    let ftls = file.tls.as_ref();
    let tls = Tls {
        ca_cert: tls
            .ca_cert
            .or_else(|| ftls.and_then(|t| t.ca_cert.as_ref()).map(in_dir)),
        insecure: tls.insecure || ftls.and_then(|t| t.insecure).unwrap_or(false),
        client_cert: tls
            .client_cert
            .or_else(|| ftls.and_then(|t| t.client_cert.as_ref()).map(in_dir)),
        client_key: tls
            .client_key
            .or_else(|| ftls.and_then(|t| t.client_key.as_ref()).map(in_dir)),
    };
    let from_file = |v: &Option<String>, parse: fn(&str) -> Result<Duration, String>, key: &str| {
        v.as_deref()
            .map(|s| parse(s).map_err(|e| anyhow::anyhow!("{CONFIG_FILE} {key}: {e}")))
            .transpose()
    };
    let request_timeout = match request_timeout {
        Some(t) => t,
        None => from_file(&file.request_timeout, duration, "request-timeout")?
            .unwrap_or(conformance::DEFAULT_REQUEST_TIMEOUT),
    };
    if request_timeout.is_zero() {
        bail!("--request-timeout must be more than 0");
    }
    let max_response_time = match max_response_time {
        Some(t) => Some(t),
        None => from_file(&file.max_response_time, duration, "max-response-time")?,
    };
    let max_body = match (max_body, &file.max_body) {
        (Some(b), _) => b,
        (None, Some(s)) => size(s).map_err(|e| anyhow::anyhow!("{CONFIG_FILE} max-body: {e}"))?,
        (None, None) => conformance::DEFAULT_MAX_BODY,
    };
    let rate = match (rate, &file.rate_limit) {
        (Some(r), _) => Some(r),
        (None, Some(s)) => Some(
            s.parse()
                .map_err(|e: String| anyhow::anyhow!("{CONFIG_FILE} rate-limit: {e}"))?,
        ),
        (None, None) => None,
    };
    let run_for = match run_for {
        Some(d) => Some(d),
        None => from_file(&file.duration, duration, "duration")?,
    };
    let [include, exclude, checks, exclude_checks] = selection;
    let or_file = |flag: Vec<String>, f: &Option<Vec<String>>| {
        if flag.is_empty() {
            f.clone().unwrap_or_default()
        } else {
            flag
        }
    };
    let selection = Selection {
        include: filters(&or_file(include, &file.include), "--include")?,
        exclude: filters(&or_file(exclude, &file.exclude), "--exclude")?,
        checks: properties(&or_file(checks, &file.checks), "--checks")?,
        exclude_checks: properties(
            &or_file(exclude_checks, &file.exclude_checks),
            "--exclude-checks",
        )?,
    };
    Ok(Resolved {
        transport: Transport {
            request_timeout,
            max_response_time,
            max_body,
            tls,
        },
        limits: Limits {
            requests: budget.or(file.budget),
            duration: run_for,
            rate,
            max_failures_in_a_row: max_failures
                .or(file.max_failures_in_a_row)
                .unwrap_or(conformance::DEFAULT_MAX_FAILURES_IN_A_ROW),
            interrupt: None,
        },
        selection,
    })
}
