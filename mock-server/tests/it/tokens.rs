use std::collections::HashSet;

use crate::support::Api;

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[tokio::test]
async fn five_hundred_logins_give_a_thousand_distinct_long_tokens() {
    let api = Api::start().await;
    let mut seen = HashSet::new();
    for i in 0..500 {
        let (u, p) = if i % 2 == 0 {
            ("demo", "demo")
        } else {
            ("alice", "alice-secret")
        };
        let pair = api.login(u, p).await;
        for token in [pair.access, pair.refresh] {
            // 22 base64url characters carry 132 bits.
            assert!(token.len() >= 22, "{token} is too short");
            assert!(is_base64url(&token), "{token} is not base64url");
            assert!(seen.insert(token.clone()), "{token} repeated");
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[tokio::test]
async fn refreshed_tokens_never_repeat_either() {
    let api = Api::start().await;
    let mut pair = api.login("demo", "demo").await;
    let mut seen: HashSet<String> = [pair.access.clone(), pair.refresh.clone()].into();
    for _ in 0..100 {
        pair = api.refresh(&pair.refresh).await;
        assert!(seen.insert(pair.access.clone()));
        assert!(seen.insert(pair.refresh.clone()));
        assert!(pair.access.len() >= 22 && is_base64url(&pair.access));
        assert!(pair.refresh.len() >= 22 && is_base64url(&pair.refresh));
    }
}

#[tokio::test]
async fn two_servers_share_no_tokens() {
    let a = Api::start().await;
    let b = Api::start().await;
    let pa = a.login("demo", "demo").await;
    let pb = b.login("demo", "demo").await;
    assert_ne!(pa.access, pb.access);
    assert_ne!(pa.refresh, pb.refresh);
    // A token of one server means nothing to the other.
    crate::support::expect_401(b.me(&pa.access).await, "Invalid token").await;
}

#[tokio::test]
async fn a_token_with_one_character_changed_is_unknown() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    assert_eq!(pair.access.len(), mock_server::TOKEN_LEN);
    let altered = |t: &str, i: usize| {
        let mut s = t.to_owned();
        let c = if &t[i..=i] == "A" { "B" } else { "A" };
        s.replace_range(i..=i, c);
        s
    };
    for i in [0, 10, pair.access.len() - 1] {
        crate::support::expect_401(api.me(&altered(&pair.access, i)).await, "Invalid token").await;
        api.refresh_refused(&altered(&pair.refresh, i), "RefreshToken Invalid")
            .await;
    }
    // Nothing happened to the real ones.
    api.me_ok(&pair.access, "demo").await;
    api.refresh(&pair.refresh).await;
}
