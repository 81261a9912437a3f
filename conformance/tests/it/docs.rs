//! The staging guide of docs/conformance.md runs as written: every `sh`
//! block between its `tested` markers, against the reference mock over
//! https (a CA made in the test), the `toml` block as `conformance.toml`.

use crate::support::{root, Pki, Scratch, TlsServed};

const STAGING: &str = "https://staging.example.com";

/// The fenced blocks between the markers: (language, text).
fn tested_blocks() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(root().join("docs/conformance.md")).unwrap();
    let (_, rest) = doc.split_once("<!-- tested: begin -->").unwrap();
    let (section, _) = rest.split_once("<!-- tested: end -->").unwrap();
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) else {
            continue;
        };
        let text: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push((lang.to_owned(), text.join("\n")));
    }
    blocks
}

#[test]
fn every_command_of_the_staging_guide_runs() {
    let pki = Pki::new("docs");
    let https = TlsServed::start(&pki, false);
    let mtls = TlsServed::start(&pki, true);
    let dir = Scratch::new("docs");
    for (from, to) in [
        (&pki.ca, "ca.pem"),
        (&pki.client_cert, "client.pem"),
        (&pki.client_key, "client-key.pem"),
    ] {
        std::fs::copy(from, dir.path(to)).unwrap();
    }
    std::fs::copy(
        root().join("openapi/reference.yaml"),
        dir.path("openapi.yaml"),
    )
    .unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_conformance"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let blocks = tested_blocks();
    assert!(
        blocks.iter().filter(|(l, _)| l == "sh").count() >= 5,
        "{blocks:?}"
    );
    for (lang, text) in &blocks {
        let uri = if text.contains("--client-cert") {
            &mtls.uri
        } else {
            &https.uri
        };
        let text = text.replace(STAGING, uri);
        match lang.as_str() {
            "toml" => std::fs::write(dir.path("conformance.toml"), &text).unwrap(),
            "sh" => {
                let out = std::process::Command::new("sh")
                    .args(["-ec", &text])
                    .current_dir(&dir.0)
                    .env("PATH", &path)
                    .env("QA_USER_1", "demo:demo")
                    .env("QA_USER_2", "alice:alice-secret")
                    .env("QA_API_KEY", "k-docs-0001")
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{text}\n{stdout}{stderr}");
                assert!(stdout.contains(" 0 failed"), "{text}\n{stdout}");
                if text.contains("--insecure") {
                    assert!(stdout.contains("WARNING: TLS certificates are NOT verified"));
                }
            }
            other => panic!("a tested block in {other}"),
        }
    }
    for report in ["report.html", "conformance.xml", "conformance.json"] {
        assert!(dir.path(report).is_file(), "{report} was not written");
    }
}
