use std::time::Duration;

use serde_json::{json, Value};

use conformance::{LoginCommand, Property, RunError, Status};

use crate::support::{self, config, login_command, only_failure, root, spec, Served};

fn oidc() -> Value {
    let text = std::fs::read_to_string(root().join("fixtures/oidc.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn status_of(report: &conformance::Report, p: Property) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.name == p.name())
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {}", p.name()))
}

const JWT: [Property; 5] = [
    Property::JwtExpAgreesWithExpiresIn,
    Property::JwtIatNotInTheFuture,
    Property::JwtJtiUnique,
    Property::JwtSignatureVerifies,
    Property::JwtIssAndAudAsDeclared,
];

#[test]
fn the_mock_on_oidc_yaml_passes_through_the_login_command_with_every_jwt_check() {
    let served = Served::start(spec(oidc()));
    for seed in [0, 1, 2] {
        let report = conformance::run(
            &config(&served.uri(), oidc(), 20, seed),
            &conformance::NoProgress,
        )
        .unwrap();
        let text = report.to_text();
        assert!(report.passed(), "seed {seed}:\n{text}");
        for p in JWT.into_iter().chain([
            Property::LoginIssuesTokens,
            Property::RefreshRotates,
            Property::ReuseEndsSession,
            Property::TokensExpire,
        ]) {
            assert_eq!(
                status_of(&report, p),
                Status::Passed,
                "{}:\n{text}",
                p.name()
            );
        }
        // The login went through the command, as the journal says: no
        // password login exists.
        assert!(report.could_not_log_in.is_none(), "{text}");
    }
    assert!(
        served
            .server
            .namespaces()
            .iter()
            .all(|ns| ns == mock_server::DEFAULT_NAMESPACE),
        "the runs' namespaces were dropped, the codes with them"
    );
}

#[test]
fn without_a_login_command_the_code_flow_is_not_exercised_and_says_how_to() {
    let served = Served::start(spec(oidc()));
    let mut c = config(&served.uri(), oidc(), 5, 0);
    c.login_command = None;
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(!report.passed());
    let token = report
        .checks
        .iter()
        .find(|c| c.name == "token [grant_type=authorization_code]: lifecycle")
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(token.status, Status::NotExercised);
    assert!(
        token
            .message
            .as_deref()
            .unwrap_or("")
            .contains("--login-command"),
        "{token:?}"
    );
    assert_eq!(
        status_of(&report, Property::LoginIssuesTokens),
        Status::NotExercised
    );
}

/// The reference spec with JWT access tokens (RS256, the mock's key).

#[test]
fn a_key_set_other_than_the_signing_one_fails_the_signature_check_only() {
    let target = Served::start(spec(support::reference_with_jwt()));
    // A second mock: its key set is another key's.
    let other = Served::start(spec(support::reference_with_jwt()));
    let mut checked = support::reference_with_jwt();
    checked["x-token-lifecycle"]["tokens"]["jwks"] =
        json!(format!("{}/.well-known/jwks.json", other.uri()));
    let report = conformance::run(
        &config(&target.uri(), checked.clone(), 10, 1),
        &conformance::NoProgress,
    )
    .unwrap();
    let check = only_failure(&report, Property::JwtSignatureVerifies);
    assert!(
        check
            .message
            .as_deref()
            .unwrap_or("")
            .contains("no key of the key set"),
        "{check:?}"
    );
    // Its own key set (the default place): everything passes.
    let report = conformance::run(
        &config(&target.uri(), support::reference_with_jwt(), 10, 1),
        &conformance::NoProgress,
    )
    .unwrap();
    assert!(report.passed(), "{}", report.to_text());
    for p in JWT {
        assert_eq!(status_of(&report, p), Status::Passed, "{}", p.name());
    }
}

#[test]
fn a_lifetime_that_disagrees_with_expires_in_fails_the_exp_check_only() {
    // The served copy answers the example's `expiresIn: 60` (it binds no
    // `expiresIn`), while its JWTs live 3600 s.
    let served = support::jwt_lifetime_off_by_3540_s();
    let mock = Served::start(spec(served));
    let report = conformance::run(
        &config(&mock.uri(), support::reference_with_jwt(), 10, 1),
        &conformance::NoProgress,
    )
    .unwrap();
    let f = only_failure(&report, Property::JwtExpAgreesWithExpiresIn);
    assert!(f.message.as_deref().unwrap().contains("3600 s"), "{f:?}");
    // A short sequence: the first login shows it.
    assert!(f.steps.len() <= 2, "{}", report.to_text());
}

#[test]
fn opaque_tokens_leave_the_jwt_checks_not_applicable() {
    let doc = openapi::reference::reference_json();
    let mock = Served::start(spec(doc.clone()));
    let report =
        conformance::run(&config(&mock.uri(), doc, 5, 0), &conformance::NoProgress).unwrap();
    for p in JWT {
        assert_eq!(status_of(&report, p), Status::NotApplicable, "{}", p.name());
    }
}

/// A run of the oidc fixture with `command` as the login command.
fn run_with(command: LoginCommand) -> Result<conformance::Report, RunError> {
    let served = Served::start(spec(oidc()));
    let mut c = config(&served.uri(), oidc(), 5, 0);
    c.login_command = Some(command);
    conformance::run(&c, &conformance::NoProgress)
}

#[test]
fn a_failing_login_command_is_a_clear_error_naming_it() {
    // It prints the password to its error output: the message does not.
    let err = run_with(LoginCommand::new(
        "echo \"no luck for $CONFORMANCE_USERNAME with $CONFORMANCE_PASSWORD\" >&2; exit 3",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("the login command `echo"), "{err}");
    assert!(err.contains("exit status: 3"), "{err}");
    // (demo's password is `demo` too: both words go.)
    assert!(
        err.contains("no luck for (password) with (password)"),
        "{err}"
    );
    assert!(
        !err.contains("with demo"),
        "the password in the message: {err}"
    );

    let err = run_with(LoginCommand::new("echo 'not json'"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("printed no JSON token response"), "{err}");
    let err = run_with(LoginCommand::new("echo '{\"token_type\": \"Bearer\"}'"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("without `access_token`"), "{err}");

    let mut slow = LoginCommand::new("exec sleep 30");
    slow.timeout = Duration::from_millis(300);
    let err = run_with(slow).unwrap_err().to_string();
    assert!(err.contains("did not finish within 300ms"), "{err}");
}

#[test]
fn the_login_command_gets_the_account_and_target_in_its_environment_only() {
    // A command that logs in with the worked example, after writing down
    // what it was given.
    let dir = std::env::temp_dir().join(format!("oidc-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seen = dir.join("env.txt");
    let example = login_command().command;
    let command = format!(
        "printf '%s %s %s %s %s\\n' \"$CONFORMANCE_USERNAME\" \"$CONFORMANCE_TARGET\" \
         \"$CONFORMANCE_CLIENT_ID\" \"$CONFORMANCE_REDIRECT_URI\" \"$#\" >> '{}'; {example}",
        seen.display()
    );
    let report = run_with(LoginCommand::new(&command)).unwrap();
    assert!(report.passed(), "{}", report.to_text());
    let lines = std::fs::read_to_string(&seen).unwrap();
    let first = lines.lines().next().unwrap();
    let fields: Vec<&str> = first.split(' ').collect();
    assert_eq!(fields[0], "demo");
    assert!(fields[1].starts_with("http://127.0.0.1:"), "{first}");
    assert_eq!(&fields[2..], ["spa", "http://127.0.0.1/callback", "0"]);
    // Both accounts logged in.
    assert!(lines.lines().any(|l| l.starts_with("alice ")), "{lines}");
    let _ = std::fs::remove_dir_all(&dir);
}
