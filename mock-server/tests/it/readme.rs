//! The README's commands, run as a new user runs them: the fresh-machine
//! block (`cargo run -p mock-server` literally, with `MOCK_SERVER_PORT=0`
//! so that it binds a free port) and the tour, a shell script run by bash
//! with `curl` and `sed` against a started `mock-server` binary, each
//! answer checked against the `# =>` comment after its command (`…`
//! matches anything). The mock's own log of the tour is checked too.

use std::process::Command;

use regex::Regex;

use crate::support::{mock_binary, root, Started};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The `sh` code blocks of the README section headed `heading`.
fn blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading}"));
    let section = &readme[start + 4..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```sh\n")
        .skip(1)
        .map(|b| b[..b.find("```").expect("a closed block")].to_owned())
        .collect()
}

/// A command of the tour and the answer its `# =>` comments expect.
struct Step {
    command: String,
    expected: Vec<String>,
}

fn steps(block: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for line in block.lines() {
        if let Some(expected) = line.strip_prefix("# => ") {
            steps
                .last_mut()
                .expect("an answer after a command")
                .expected
                .push(expected.to_owned());
        } else if continued {
            let last = steps.last_mut().unwrap();
            last.command.push('\n');
            last.command.push_str(line);
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            steps.push(Step {
                command: line.to_owned(),
                expected: Vec::new(),
            });
        }
        continued = line.ends_with('\\');
    }
    steps
}

/// `expected` with `…` matching anything, as an anchored regex.
fn pattern(expected: &str) -> Regex {
    let parts: Vec<String> = expected.split('…').map(regex::escape).collect();
    Regex::new(&format!("^{}$", parts.join(".*"))).unwrap()
}

/// Run the steps in one bash (so variables carry over), a marker line
/// before each; check each step's output against its answer.
fn run_tour(steps: &[Step], base: &str) {
    let mut script = String::from("set -euo pipefail\n");
    for (i, step) in steps.iter().enumerate() {
        script.push_str(&format!("echo '@@step {i}'\n{}\n", step.command));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("B", base)
        .current_dir(root())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the tour failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut outputs: Vec<Vec<&str>> = vec![Vec::new(); steps.len()];
    let mut current = None;
    for line in stdout.lines() {
        match line.strip_prefix("@@step ") {
            Some(i) => current = Some(i.parse::<usize>().unwrap()),
            None => outputs[current.expect("output after a marker")].push(line),
        }
    }
    let mut checked = 0;
    for (step, got) in steps.iter().zip(&outputs) {
        if step.expected.is_empty() {
            continue;
        }
        checked += 1;
        assert_eq!(
            got.len(),
            step.expected.len(),
            "{}\nanswered:\n{}",
            step.command,
            got.join("\n")
        );
        for (line, want) in got.iter().zip(&step.expected) {
            assert!(
                pattern(want).is_match(line),
                "{}\nanswered: {line}\nexpected: {want}",
                step.command
            );
        }
    }
    assert!(checked >= 10, "the tour checks {checked} answers");
}

#[test]
fn the_tour_runs_as_written_against_the_mock_binary() {
    let blocks = blocks(&readme(), "A short tour");
    assert_eq!(blocks.len(), 1, "one tour");
    let steps = steps(&blocks[0]);
    // The order a person follows: login, /me, refresh, reuse, login again,
    // logout, revoke.
    let order: Vec<usize> = [
        "$B/auth/login",
        "$B/me",
        "$B/auth/refresh",
        "$B/auth/logout",
        "$B/refresh-tokens/",
    ]
    .iter()
    .map(|p| steps.iter().position(|s| s.command.contains(p)).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    let mock = Started::new({
        let mut c = mock_binary();
        c.args(["--port", "0"]);
        c
    });
    run_tour(&steps, &mock.url);
    let log = mock.stop();

    // One line per request, the model's outcome in words; no colour on a
    // pipe; no token in full.
    for line in [
        r"INFO POST /auth/login login -> 200 success: session 0 \(\d+\.\d ms\)",
        r"INFO GET /me protected -> 200 success: demo",
        r"INFO POST /auth/refresh refresh -> 401 invalid: spent by a refresh \d+ s ago, session ended",
        r"INFO POST /auth/logout logout -> 204 success",
        r"INFO DELETE /refresh-tokens/#[0-9a-f]{6} revoke -> 204 success",
        r"INFO POST /auth/refresh refresh -> 400 the request does not match the spec",
    ] {
        let line = Regex::new(line).unwrap();
        assert!(line.is_match(&log), "no `{line}` in the log:\n{log}");
    }
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log to a pipe:\n{log}"
    );
    let token = Regex::new(r"[A-Za-z0-9_-]{24}").unwrap();
    assert!(!token.is_match(&log), "a token in full in the log:\n{log}");
}

#[test]
fn the_fresh_machine_commands_work() {
    let blocks = blocks(&readme(), "On a fresh machine");
    let commands: Vec<&str> = blocks.iter().flat_map(|b| b.lines()).collect();
    assert!(commands.contains(&"cargo test --workspace"), "{commands:?}");
    for command in commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            // This test is part of that run.
            ["cargo", "test", "--workspace"] => {}
            ["cargo", "install", "--path", dir] => {
                let manifest = std::fs::read_to_string(root().join(dir).join("Cargo.toml"))
                    .unwrap_or_else(|e| panic!("{command}: {e}"));
                assert!(manifest.contains(&format!("name = \"{dir}\"")), "{command}");
            }
            ["cargo", "run", ..] => {
                // Literally, with the cargo that runs this test; the port
                // from the environment so that it binds a free one.
                let mut c = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
                c.args(&words[1..])
                    .env("MOCK_SERVER_PORT", "0")
                    .current_dir(root());
                let mock = Started::new(c);
                let index = get_text(&format!("{}/", mock.url));
                mock.stop();
                assert!(
                    index.contains("/__mock/ui"),
                    "{command}: GET / answered {index}"
                );
            }
            other => panic!("the README's fresh-machine block has an untested command: {other:?}"),
        }
    }
}

/// `GET url`, which must succeed; its body.
fn get_text(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::get(url).await.unwrap();
        assert!(resp.status().is_success(), "{url}: {}", resp.status());
        resp.text().await.unwrap()
    })
}
