//! Tokens and secrets never reach the journal (which the dashboard shows)
//! or the log in full: a refresh token in a revoke path, tokens in a
//! query and in headers, passwords and the admin token.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{mock_binary, pair, Started};

#[test]
fn tokens_in_paths_queries_and_headers_stay_out_of_the_journal_and_the_log() {
    let password = "hunter2-battery";
    let admin = "admin-token-not-for-logs";
    let mut command = mock_binary();
    command
        .args(["--port", "0", "--user", &format!("carol:{password}")])
        .env("MOCK_ADMIN_TOKEN", admin)
        .env("RUST_LOG", "debug");
    let mock = Started::new(command);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (secrets, journal) = rt.block_on(async {
        let c = reqwest::Client::new();
        let url = |path: &str| format!("{}{path}", mock.url);
        let login = c
            .post(url("/auth/login"))
            .json(&json!({"username": "carol", "password": password}))
            .send()
            .await
            .unwrap();
        let tokens = pair(login).await;
        let other = "an-opaque-secret-of-another-shape";
        // A refresh token in a revoke path.
        let revoked = c.delete(url(&format!("/refresh-tokens/{}", tokens.refresh)));
        assert_eq!(
            revoked.send().await.unwrap().status(),
            StatusCode::NO_CONTENT
        );
        // Tokens in a query, and in headers.
        let query = format!("/me?access_token={}&token={other}", tokens.access);
        let me = c
            .get(url(&query))
            .bearer_auth(&tokens.access)
            .header("x-refresh-token", &tokens.refresh)
            .header("cookie", format!("session={other}"));
        assert!(!me.send().await.unwrap().status().is_server_error());
        let journal = c
            .get(url("/__mock/journal"))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(journal.status(), StatusCode::OK);
        let journal = journal.text().await.unwrap();
        let secrets = [tokens.access, tokens.refresh, other.to_owned()];
        (secrets, journal)
    });
    let log = mock.stop();
    assert!(journal.contains("/refresh-tokens/#"), "{journal}");
    assert!(journal.contains("access_token=#"), "{journal}");
    assert!(
        journal.contains("#redacted"),
        "the password is masked: {journal}"
    );
    assert!(log.contains("/refresh-tokens/#"), "{log}");
    for secret in secrets.iter().map(String::as_str).chain([password, admin]) {
        assert!(
            !journal.contains(secret),
            "`{secret}` in the journal: {journal}"
        );
        assert!(!log.contains(secret), "`{secret}` in the log: {log}");
    }
}
