//! `mock-server`: serve an OpenAPI document as a stateful mock.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use mock_server::{Cors, MockServer};

/// Serve an OpenAPI 3.0/3.1 document as a stateful mock: bound operations
/// (x-token-lifecycle) run the token lifecycle, the rest answer from examples.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The OpenAPI document (YAML or JSON); the embedded reference spec when
    /// absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// The address to listen on (an IP address, or `localhost`).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    host: IpAddr,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Add an account, or change a declared one's password: NAME:PASSWORD.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Browser origins allowed by CORS: an origin (repeatable), `*` for any,
    /// `none` to turn CORS off. Default: localhost origins on any port.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = parse_origin)]
    cors: Vec<String>,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = mock_server::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Seed of schema-generated bodies (Prefer: dynamic=true).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err(format!("`{s}` is not NAME:PASSWORD")),
    }
}

fn parse_host(s: &str) -> Result<IpAddr, String> {
    match s {
        "localhost" => Ok(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        _ => s
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or `localhost`")),
    }
}

/// `*`, `none`, or an origin: `scheme://host[:port]`, nothing after.
fn parse_origin(s: &str) -> Result<String, String> {
    if s == "*" || s == "none" {
        return Ok(s.to_owned());
    }
    let origin = s.trim_end_matches('/');
    let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && !rest.is_empty()
            && !rest.contains(['/', ' ', '?', '#'])
    });
    if valid {
        Ok(origin.to_owned())
    } else {
        Err(format!("`{s}` is not an origin such as https://app.example.com or http://localhost:5173 (or `*`, `none`)"))
    }
}

fn cors(list: &[String]) -> Cors {
    if list.is_empty() {
        Cors::Localhost
    } else if list.iter().any(|o| o == "none") {
        Cors::Off
    } else if list.iter().any(|o| o == "*") {
        Cors::Any
    } else {
        Cors::Origins(list.to_vec())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let spec = match &args.spec {
        None => openapi::reference_spec(),
        Some(path) => match openapi::Spec::from_path(path) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    match run(args, spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args, spec: openapi::Spec) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let title = spec.title().to_owned();
        let operations = spec.operations().len();
        let mut builder = MockServer::builder()
            .spec(spec)
            .host(args.host)
            .port(args.port)
            .cors(cors(&args.cors))
            .body_limit(args.body_limit)
            .seed(args.seed);
        for (name, password) in args.users {
            builder = builder.user(name, password);
        }
        let server = builder.start().await?;
        println!(
            "mock-server: serving \"{title}\" ({operations} operations) on {}",
            server.uri()
        );
        println!(
            "mock-server: admin API and Swagger UI on {}/__mock/docs",
            server.uri()
        );
        tracing::info!(address = %server.address(), "listening");
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.stop().await;
        Ok(())
    })
}
