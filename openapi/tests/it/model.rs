//! Unit tests of the behaviour model, one per sentence of the contract and
//! per policy variant. Every test uses a counting mint (`access-1`,
//! `refresh-2`, ...) and explicit instants.

use openapi::binding::{LogoutScope, Policy};
use openapi::model::{Action, Issued, Model, Outcome, Rejection, Token, TokenKind, TokenState};

const ACCESS_TTL: u64 = 3600;
const REFRESH_TTL: u64 = 86400;

/// A model with the accounts `demo`/`demo` and `alice`/`alice-secret`, and a
/// counting mint.
struct World {
    model: Model,
    minted: u32,
}

fn world(policy: Policy) -> World {
    World {
        model: Model::new(policy, [("demo", "demo"), ("alice", "alice-secret")]),
        minted: 0,
    }
}

fn default_world() -> World {
    world(Policy::default())
}

fn invalid() -> Outcome {
    Outcome::Rejected(Rejection::Invalid)
}

fn expired() -> Outcome {
    Outcome::Rejected(Rejection::Expired)
}

fn missing() -> Outcome {
    Outcome::Rejected(Rejection::Missing)
}

impl World {
    fn apply(&mut self, action: Action<'_>, now: u64) -> Outcome {
        let minted = &mut self.minted;
        let mut mint = |kind: TokenKind| -> Token {
            *minted += 1;
            let kind = match kind {
                TokenKind::Access => "access",
                TokenKind::Refresh => "refresh",
            };
            format!("{kind}-{minted}").into()
        };
        self.model.apply(action, now, &mut mint)
    }

    fn login_as(&mut self, user: &str, password: &str, now: u64) -> Issued {
        let action = Action::Login {
            username: Some(user),
            password: Some(password),
        };
        match self.apply(action, now) {
            Outcome::Issued(issued) => issued,
            other => panic!("login of {user} failed: {other:?}"),
        }
    }

    fn login(&mut self, now: u64) -> Issued {
        self.login_as("demo", "demo", now)
    }

    fn refresh(&mut self, token: &str, now: u64) -> Outcome {
        self.apply(
            Action::Refresh {
                refresh_token: Some(token),
            },
            now,
        )
    }

    fn refreshed(&mut self, token: &str, now: u64) -> Issued {
        match self.refresh(token, now) {
            Outcome::Issued(issued) => issued,
            other => panic!("refresh of {token} failed: {other:?}"),
        }
    }

    fn logout(&mut self, token: &str, now: u64) -> Outcome {
        self.apply(
            Action::Logout {
                access_token: Some(token),
            },
            now,
        )
    }

    fn revoke(&mut self, token: &str, now: u64) -> Outcome {
        self.apply(
            Action::Revoke {
                refresh_token: Some(token),
            },
            now,
        )
    }

    fn revoke_all(&mut self, token: Option<&str>, now: u64) -> Outcome {
        self.apply(
            Action::RevokeAll {
                access_token: token,
            },
            now,
        )
    }

    fn protected(&mut self, token: &str, now: u64) -> Outcome {
        self.apply(
            Action::Protected {
                access_token: Some(token),
            },
            now,
        )
    }

    fn access_ok(&self, token: &str, now: u64) -> bool {
        self.model.is_usable(token, TokenKind::Access, now)
    }

    fn refresh_ok(&self, token: &str, now: u64) -> bool {
        self.model.is_usable(token, TokenKind::Refresh, now)
    }
}

fn authorized(user: &str) -> Outcome {
    Outcome::Authorized {
        username: user.to_owned(),
    }
}

// ---------------------------------------------------------------- login

#[test]
fn login_starts_a_new_session_and_issues_an_access_and_a_refresh_token() {
    let mut w = default_world();
    let first = w.login(0);
    assert_eq!(first.username, "demo");
    assert_eq!(first.expires_in, ACCESS_TTL);
    assert_eq!(first.refresh_expires_in, REFRESH_TTL);
    assert_ne!(first.access_token, first.refresh_token);
    assert!(w.access_ok(&first.access_token, 0));
    assert!(w.refresh_ok(&first.refresh_token, 0));
    assert_eq!(w.protected(&first.access_token, 1), authorized("demo"));

    let second = w.login(5);
    assert_ne!(
        first.session, second.session,
        "every login is a session of its own"
    );
    assert_eq!(w.model.session_count(), 2);
    let starts: Vec<_> = w
        .model
        .sessions()
        .map(|s| (s.username, s.live, s.started_at))
        .collect();
    assert_eq!(starts, [("demo".into(), true, 0), ("demo".into(), true, 5)]);
    // Earlier sessions of the same user keep working.
    assert_eq!(w.protected(&first.access_token, 6), authorized("demo"));
    assert!(w.refresh_ok(&first.refresh_token, 6));
}

#[test]
fn login_with_a_wrong_password_is_invalid_credentials() {
    let mut w = default_world();
    for password in ["wrong", "DEMO", "demo ", "alice-secret"] {
        let action = Action::Login {
            username: Some("demo"),
            password: Some(password),
        };
        assert_eq!(
            w.apply(action, 0),
            Outcome::Rejected(Rejection::InvalidCredentials),
            "{password}"
        );
    }
    assert_eq!(w.model.session_count(), 0);
}

#[test]
fn login_of_an_unknown_user_is_invalid_credentials() {
    let mut w = default_world();
    for user in ["mallory", "Demo", "demo "] {
        let action = Action::Login {
            username: Some(user),
            password: Some("demo"),
        };
        assert_eq!(
            w.apply(action, 0),
            Outcome::Rejected(Rejection::InvalidCredentials),
            "{user}"
        );
    }
    assert_eq!(w.model.session_count(), 0);
}

#[test]
fn login_with_a_missing_or_empty_credential_is_missing() {
    let mut w = default_world();
    let cases = [
        (None, None),
        (None, Some("demo")),
        (Some("demo"), None),
        (Some(""), Some("demo")),
        (Some("demo"), Some("")),
        (Some(""), Some("")),
        // Missing wins over unknown: nothing to check the account with.
        (Some("mallory"), None),
    ];
    for (username, password) in cases {
        let action = Action::Login { username, password };
        assert_eq!(w.apply(action, 0), missing(), "{username:?} {password:?}");
    }
    assert_eq!(w.model.session_count(), 0);
}

#[test]
fn a_changed_password_takes_effect() {
    let mut w = default_world();
    w.model.set_account("demo".into(), "new".into());
    let old = Action::Login {
        username: Some("demo"),
        password: Some("demo"),
    };
    assert_eq!(
        w.apply(old, 0),
        Outcome::Rejected(Rejection::InvalidCredentials)
    );
    w.login_as("demo", "new", 0);
    assert_eq!(w.model.accounts().count(), 2);
}

// ---------------------------------------------------------------- refresh

#[test]
fn refresh_spends_the_token_and_issues_a_new_pair_in_the_same_session() {
    let mut w = default_world();
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 10);
    assert_eq!(next.session, login.session);
    assert_eq!(next.username, "demo");
    assert_ne!(next.access_token, login.access_token);
    assert_ne!(next.refresh_token, login.refresh_token);
    assert!(!w.refresh_ok(&login.refresh_token, 10), "spent");
    assert!(w.refresh_ok(&next.refresh_token, 10));
    // The access token issued before keeps working until it expires.
    assert_eq!(w.protected(&login.access_token, 11), authorized("demo"));
    assert_eq!(w.protected(&next.access_token, 11), authorized("demo"));
    // And the chain goes on.
    let third = w.refreshed(&next.refresh_token, 20);
    assert_eq!(third.session, login.session);
    let spent = w
        .model
        .tokens(20)
        .find(|t| t.token == login.refresh_token)
        .unwrap();
    assert_eq!(spent.state, TokenState::Spent);
}

#[test]
fn refresh_with_an_expired_token_is_expired() {
    let mut w = default_world();
    let login = w.login(100);
    // Expiry is at issued + ttl: one second before it still works...
    let mut probe = w.model.clone();
    let mut n = 0;
    let mut mint = |kind: TokenKind| -> Token {
        n += 1;
        format!("probe-{kind:?}-{n}").into()
    };
    let action = Action::Refresh {
        refresh_token: Some(&login.refresh_token),
    };
    assert!(matches!(
        probe.apply(action, 100 + REFRESH_TTL - 1, &mut mint),
        Outcome::Issued(_)
    ));
    // ...and at issued + ttl it is expired.
    assert_eq!(
        w.refresh(&login.refresh_token, 100 + REFRESH_TTL),
        expired()
    );
    assert_eq!(
        w.refresh(&login.refresh_token, 100 + 10 * REFRESH_TTL),
        expired()
    );
    // An expired token is not spent by the attempt, and not "reused".
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn refresh_with_an_unknown_or_garbage_token_is_invalid() {
    let mut w = default_world();
    w.login(0);
    for token in ["refresh-999", "garbage", " ", "\u{0}", "refresh-1 "] {
        assert_eq!(w.refresh(token, 1), invalid(), "{token:?}");
    }
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn refresh_with_an_access_token_is_invalid() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.refresh(&login.access_token, 1), invalid());
    // Nothing happened to the session.
    assert!(w.refresh_ok(&login.refresh_token, 1));
    assert!(w.access_ok(&login.access_token, 1));
}

#[test]
fn refresh_with_a_missing_or_empty_token_is_missing() {
    let mut w = default_world();
    w.login(0);
    assert_eq!(
        w.apply(
            Action::Refresh {
                refresh_token: None
            },
            1
        ),
        missing()
    );
    assert_eq!(w.refresh("", 1), missing());
}

#[test]
fn refresh_with_a_revoked_token_is_invalid_and_does_not_end_the_session() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.revoke(&login.refresh_token, 1), Outcome::Done);
    assert_eq!(w.refresh(&login.refresh_token, 2), invalid());
    assert_eq!(w.refresh(&login.refresh_token, 3), invalid());
    // Revoked is not reuse: the access token still works.
    assert_eq!(w.protected(&login.access_token, 4), authorized("demo"));
}

#[test]
fn refresh_after_logout_is_invalid() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.logout(&login.access_token, 1), Outcome::Done);
    assert_eq!(w.refresh(&login.refresh_token, 2), invalid());
}

#[test]
fn reuse_of_a_spent_refresh_token_is_invalid_and_ends_the_whole_session() {
    let mut w = default_world();
    let login = w.login(0);
    let other_session = w.login(0);
    let alice = w.login_as("alice", "alice-secret", 0);
    let next = w.refreshed(&login.refresh_token, 10);
    let after = w.refreshed(&next.refresh_token, 20);

    // The first token, spent twice over, is presented again.
    assert_eq!(w.refresh(&login.refresh_token, 30), invalid());

    // Every access and refresh token of the session stops working...
    for access in [&login.access_token, &next.access_token, &after.access_token] {
        assert_eq!(w.protected(access, 31), invalid(), "{access}");
    }
    assert_eq!(w.refresh(&after.refresh_token, 31), invalid());
    assert_eq!(w.logout(&after.access_token, 31), invalid());
    assert!(!w.model.sessions().nth(login.session as usize).unwrap().live);
    // ...and nothing else does.
    assert_eq!(
        w.protected(&other_session.access_token, 31),
        authorized("demo")
    );
    assert!(w.refresh_ok(&other_session.refresh_token, 31));
    assert_eq!(w.protected(&alice.access_token, 31), authorized("alice"));
    assert!(w.refresh_ok(&alice.refresh_token, 31));
}

#[test]
fn reuse_of_the_previous_token_right_after_a_refresh_ends_the_session() {
    let mut w = default_world();
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    assert_eq!(w.refresh(&login.refresh_token, 2), invalid());
    assert_eq!(w.refresh(&next.refresh_token, 3), invalid());
    assert_eq!(w.protected(&next.access_token, 3), invalid());
}

#[test]
fn reuse_without_reuse_ends_session_is_only_invalid() {
    let mut w = world(Policy {
        reuse_ends_session: false,
        ..Policy::default()
    });
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 10);
    assert_eq!(w.refresh(&login.refresh_token, 20), invalid());
    assert_eq!(w.refresh(&login.refresh_token, 21), invalid());
    // The session lives on.
    assert_eq!(w.protected(&login.access_token, 22), authorized("demo"));
    assert_eq!(w.protected(&next.access_token, 22), authorized("demo"));
    let again = w.refreshed(&next.refresh_token, 23);
    assert_eq!(again.session, login.session);
}

#[test]
fn an_expired_spent_token_is_expired_and_not_reuse() {
    // Expiry is checked first: a spent token past its lifetime is `expired`
    // and triggers no reuse detection.
    let policy = Policy {
        access_token_ttl: 1000,
        refresh_token_ttl: 100,
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 50);
    assert_eq!(
        w.refresh(&login.refresh_token, 99),
        invalid(),
        "spent, not yet expired"
    );
    assert!(
        !w.access_ok(&next.access_token, 99),
        "reuse ended the session"
    );

    let login = w.login(200);
    let next = w.refreshed(&login.refresh_token, 250);
    assert_eq!(
        w.refresh(&login.refresh_token, 300),
        expired(),
        "spent and expired"
    );
    assert!(w.access_ok(&next.access_token, 300), "no reuse detection");
    assert!(w.refresh_ok(&next.refresh_token, 300));
}

#[test]
fn expiry_wins_over_every_other_reason() {
    let policy = Policy {
        access_token_ttl: 10,
        refresh_token_ttl: 20,
        ..Policy::default()
    };
    let mut w = world(policy);
    let revoked = w.login(0);
    assert_eq!(w.revoke(&revoked.refresh_token, 1), Outcome::Done);
    let ended = w.login(0);
    assert_eq!(w.logout(&ended.access_token, 1), Outcome::Done);
    assert_eq!(w.refresh(&revoked.refresh_token, 19), invalid());
    assert_eq!(
        w.refresh(&revoked.refresh_token, 20),
        expired(),
        "revoked and expired"
    );
    assert_eq!(w.protected(&ended.access_token, 9), invalid());
    assert_eq!(
        w.protected(&ended.access_token, 10),
        expired(),
        "session ended and expired"
    );
    assert_eq!(
        w.refresh(&ended.refresh_token, 20),
        expired(),
        "session ended and expired"
    );
}

#[test]
fn refresh_without_single_use_keeps_the_token_and_does_not_rotate() {
    let mut w = world(Policy {
        refresh_single_use: false,
        ..Policy::default()
    });
    let login = w.login(0);
    let a = w.refreshed(&login.refresh_token, 1);
    let b = w.refreshed(&login.refresh_token, 2);
    // rotateOnRefresh defaults to refreshSingleUse: the same token comes back.
    assert_eq!(a.refresh_token, login.refresh_token);
    assert_eq!(b.refresh_token, login.refresh_token);
    assert_ne!(a.access_token, b.access_token);
    assert_eq!(a.session, login.session);
    assert!(w.refresh_ok(&login.refresh_token, 3));
    // It still expires on its original schedule.
    assert_eq!(w.refresh(&login.refresh_token, REFRESH_TTL), expired());
}

#[test]
fn refresh_without_single_use_but_with_rotation_issues_a_new_token_and_keeps_the_old() {
    let policy = Policy {
        refresh_single_use: false,
        rotate_on_refresh: Some(true),
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    assert_ne!(next.refresh_token, login.refresh_token);
    assert!(w.refresh_ok(&login.refresh_token, 2));
    assert!(w.refresh_ok(&next.refresh_token, 2));
    w.refreshed(&login.refresh_token, 3);
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn refresh_with_single_use_but_without_rotation_leaves_no_refresh_token() {
    let policy = Policy {
        refresh_single_use: true,
        rotate_on_refresh: Some(false),
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    // The same, now spent, token is re-sent; the client must log in again.
    assert_eq!(next.refresh_token, login.refresh_token);
    assert!(!w.refresh_ok(&login.refresh_token, 2));
    assert_eq!(w.protected(&next.access_token, 2), authorized("demo"));
}

#[test]
fn tokens_issued_by_a_refresh_expire_relative_to_the_refresh() {
    let policy = Policy {
        access_token_ttl: 10,
        refresh_token_ttl: 100,
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 50);
    assert_eq!((next.expires_in, next.refresh_expires_in), (10, 100));
    assert!(w.access_ok(&next.access_token, 59));
    assert_eq!(w.protected(&next.access_token, 60), expired());
    assert!(w.refresh_ok(&next.refresh_token, 149));
    assert!(!w.refresh_ok(&next.refresh_token, 150));
    let view = w
        .model
        .tokens(0)
        .find(|t| t.token == next.refresh_token)
        .unwrap();
    assert_eq!(view.expires_at, 150);
}

// ---------------------------------------------------------------- logout

#[test]
fn logout_ends_the_session_its_access_and_refresh_tokens_stop_working() {
    let mut w = default_world();
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    let other = w.login(2);
    assert_eq!(w.logout(&next.access_token, 3), Outcome::Done);
    assert_eq!(w.protected(&login.access_token, 4), invalid());
    assert_eq!(w.protected(&next.access_token, 4), invalid());
    assert_eq!(w.refresh(&next.refresh_token, 4), invalid());
    assert!(w
        .model
        .tokens(4)
        .filter(|t| t.session == login.session)
        .all(|t| !t.usable));
    // The other session of the same user is not touched.
    assert_eq!(w.protected(&other.access_token, 4), authorized("demo"));
    assert!(w.refresh_ok(&other.refresh_token, 4));
}

#[test]
fn logout_of_only_the_access_token_leaves_the_session() {
    let mut w = world(Policy {
        logout_ends: LogoutScope::AccessToken,
        ..Policy::default()
    });
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    assert_eq!(w.logout(&login.access_token, 2), Outcome::Done);
    assert_eq!(w.protected(&login.access_token, 3), invalid());
    assert_eq!(w.logout(&login.access_token, 3), invalid(), "already dead");
    // The session's other tokens keep working.
    assert_eq!(w.protected(&next.access_token, 3), authorized("demo"));
    let after = w.refreshed(&next.refresh_token, 4);
    assert_eq!(after.session, login.session);
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn logout_with_a_missing_or_empty_token_is_missing() {
    let mut w = default_world();
    w.login(0);
    assert_eq!(w.apply(Action::Logout { access_token: None }, 1), missing());
    assert_eq!(w.logout("", 1), missing());
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn logout_with_an_unknown_token_or_a_refresh_token_is_invalid() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.logout("access-999", 1), invalid());
    assert_eq!(w.logout("garbage", 1), invalid());
    assert_eq!(w.logout(&login.refresh_token, 1), invalid());
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn logout_with_an_expired_token_is_expired() {
    let mut w = default_world();
    let login = w.login(7);
    assert_eq!(w.logout(&login.access_token, 7 + ACCESS_TTL), expired());
    // The session was not ended: its refresh token still works.
    assert!(w.refresh_ok(&login.refresh_token, 7 + ACCESS_TTL));
}

#[test]
fn logout_twice_is_invalid() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.logout(&login.access_token, 1), Outcome::Done);
    assert_eq!(w.logout(&login.access_token, 2), invalid());
}

#[test]
fn login_after_logout_starts_a_fresh_session() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.logout(&login.access_token, 1), Outcome::Done);
    let again = w.login(2);
    assert_ne!(again.session, login.session);
    assert_eq!(w.protected(&again.access_token, 3), authorized("demo"));
}

// ---------------------------------------------------------------- revoke

#[test]
fn revoke_of_a_live_refresh_token_stops_it_refreshing_but_access_tokens_keep_working() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.revoke(&login.refresh_token, 1), Outcome::Done);
    assert_eq!(w.refresh(&login.refresh_token, 2), invalid());
    // The access token keeps working until it expires...
    assert_eq!(
        w.protected(&login.access_token, ACCESS_TTL - 1),
        authorized("demo")
    );
    // ...and then it expires.
    assert_eq!(w.protected(&login.access_token, ACCESS_TTL), expired());
    let view = w
        .model
        .tokens(2)
        .find(|t| t.token == login.refresh_token)
        .unwrap();
    assert_eq!(view.state, TokenState::Revoked);
    assert!(w.model.sessions().all(|s| s.live));
}

#[test]
fn revoke_ignores_invalid_tokens_whatever_the_token() {
    let mut w = default_world();
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    let doomed = w.login(1);
    assert_eq!(w.revoke(&doomed.refresh_token, 2), Outcome::Done);
    let old = w.login(0);
    let t = REFRESH_TTL + 1;
    let cases: [(&str, &str); 7] = [
        ("live", &next.refresh_token),
        ("spent", &login.refresh_token),
        ("revoked", &doomed.refresh_token),
        ("unknown", "refresh-999"),
        ("garbage", "\u{1F600} not a token"),
        ("an access token", &next.access_token),
        ("expired", &old.refresh_token),
    ];
    for (what, token) in cases {
        let now = if what == "expired" { t } else { 3 };
        assert_eq!(w.revoke(token, now), Outcome::Done, "{what}");
    }
    // No token is nothing to ignore: refused (a binding maps `missing`
    // to its 400, as RFC 7009 servers answer `invalid_request`).
    assert_eq!(
        w.apply(
            Action::Revoke {
                refresh_token: None
            },
            3
        ),
        missing(),
        "missing"
    );
    assert_eq!(w.revoke("", 3), missing(), "empty");
}

#[test]
fn revoke_of_a_spent_token_is_not_reuse() {
    let mut w = default_world();
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    assert_eq!(w.revoke(&login.refresh_token, 2), Outcome::Done);
    assert_eq!(w.protected(&next.access_token, 3), authorized("demo"));
    assert!(w.refresh_ok(&next.refresh_token, 3));
}

#[test]
fn revoke_does_not_touch_access_tokens_even_when_given_one() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(w.revoke(&login.access_token, 1), Outcome::Done);
    assert_eq!(w.protected(&login.access_token, 2), authorized("demo"));
    assert!(w.refresh_ok(&login.refresh_token, 2));
}

#[test]
fn revoke_without_always_succeeds_rejects_a_token_that_is_not_live() {
    let mut w = world(Policy {
        revoke_ignores_invalid_tokens: false,
        ..Policy::default()
    });
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    let doomed = w.login(1);
    assert_eq!(w.revoke(&doomed.refresh_token, 2), Outcome::Done, "live");
    assert_eq!(w.revoke(&doomed.refresh_token, 3), invalid(), "revoked");
    assert_eq!(w.revoke(&login.refresh_token, 3), invalid(), "spent");
    assert_eq!(w.revoke("refresh-999", 3), invalid(), "unknown");
    assert_eq!(
        w.revoke(&next.access_token, 3),
        invalid(),
        "an access token"
    );
    assert_eq!(w.revoke("", 3), missing(), "empty");
    assert_eq!(
        w.apply(
            Action::Revoke {
                refresh_token: None
            },
            3
        ),
        missing(),
        "missing"
    );
    assert_eq!(
        w.revoke(&next.refresh_token, 1 + REFRESH_TTL),
        expired(),
        "expired"
    );
}

// ---------------------------------------------------------------- revoke-all

#[test]
fn revoke_all_revokes_every_live_refresh_token_of_the_user_in_all_sessions() {
    let mut w = default_world();
    let a = w.login(0);
    let b = w.login(1);
    let b2 = w.refreshed(&b.refresh_token, 2);
    let alice = w.login_as("alice", "alice-secret", 3);
    assert_eq!(w.revoke_all(Some(&a.access_token), 4), Outcome::Done);
    assert_eq!(w.refresh(&a.refresh_token, 5), invalid());
    assert_eq!(w.refresh(&b2.refresh_token, 5), invalid());
    // Access tokens keep working until they expire; sessions are not ended.
    for access in [&a.access_token, &b.access_token, &b2.access_token] {
        assert_eq!(w.protected(access, 5), authorized("demo"));
    }
    // No other user's token is touched.
    assert!(w.refresh_ok(&alice.refresh_token, 5));
    assert_eq!(w.protected(&alice.access_token, 5), authorized("alice"));
    // A later login of the user is not affected.
    let c = w.login(6);
    assert!(w.refresh_ok(&c.refresh_token, 6));
}

#[test]
fn revoke_all_with_an_invalid_token_is_done_and_revokes_nothing() {
    let mut w = default_world();
    let a = w.login(0);
    let other = w.login(ACCESS_TTL);
    let dead = w.login(0);
    assert_eq!(w.logout(&dead.access_token, 1), Outcome::Done);
    assert_eq!(w.revoke_all(None, ACCESS_TTL), missing(), "missing");
    assert_eq!(w.revoke_all(Some(""), ACCESS_TTL), missing(), "empty");
    let cases: [(&str, Option<&str>); 4] = [
        ("garbage", Some("garbage")),
        ("a refresh token", Some(&a.refresh_token)),
        ("an expired access token", Some(&a.access_token)),
        (
            "an access token of an ended session",
            Some(&dead.access_token),
        ),
    ];
    for (what, token) in cases {
        assert_eq!(w.revoke_all(token, ACCESS_TTL), Outcome::Done, "{what}");
    }
    assert!(w.refresh_ok(&a.refresh_token, ACCESS_TTL));
    assert!(w.refresh_ok(&other.refresh_token, ACCESS_TTL));
}

#[test]
fn revoke_all_without_always_succeeds_rejects_a_bad_token() {
    let mut w = world(Policy {
        revoke_ignores_invalid_tokens: false,
        ..Policy::default()
    });
    let a = w.login(0);
    assert_eq!(w.revoke_all(None, 1), missing());
    assert_eq!(w.revoke_all(Some(""), 1), missing());
    assert_eq!(w.revoke_all(Some("garbage"), 1), invalid());
    assert_eq!(w.revoke_all(Some(&a.refresh_token), 1), invalid());
    assert_eq!(w.revoke_all(Some(&a.access_token), ACCESS_TTL), expired());
    assert!(w.refresh_ok(&a.refresh_token, ACCESS_TTL));
    assert_eq!(w.revoke_all(Some(&a.access_token), 1), Outcome::Done);
    assert!(!w.refresh_ok(&a.refresh_token, 1));
}

#[test]
fn revoke_all_revokes_older_live_refresh_tokens_when_refresh_is_not_single_use() {
    let policy = Policy {
        refresh_single_use: false,
        rotate_on_refresh: Some(true),
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(0);
    let next = w.refreshed(&login.refresh_token, 1);
    assert!(
        w.refresh_ok(&login.refresh_token, 2),
        "not single use: still live"
    );
    assert_eq!(w.revoke_all(Some(&next.access_token), 2), Outcome::Done);
    assert!(!w.refresh_ok(&next.refresh_token, 3));
    // "revokes every live refresh token of that user"
    assert!(
        !w.refresh_ok(&login.refresh_token, 3),
        "an older live refresh token survived revoke-all"
    );
}

// ---------------------------------------------------------------- protected

#[test]
fn protected_with_a_valid_access_token_is_authorized_as_its_user() {
    let mut w = default_world();
    let demo = w.login(0);
    let alice = w.login_as("alice", "alice-secret", 0);
    assert_eq!(w.protected(&demo.access_token, 1), authorized("demo"));
    assert_eq!(w.protected(&alice.access_token, 1), authorized("alice"));
    assert_eq!(
        w.protected(&alice.access_token, 1).name().as_str(),
        "success"
    );
}

#[test]
fn protected_rejects_everything_else() {
    let mut w = default_world();
    let login = w.login(0);
    assert_eq!(
        w.apply(Action::Protected { access_token: None }, 1),
        missing()
    );
    assert_eq!(w.protected("", 1), missing());
    assert_eq!(w.protected("garbage", 1), invalid());
    assert_eq!(w.protected(&login.refresh_token, 1), invalid());
    assert_eq!(
        w.protected(&login.access_token, 1).name().as_str(),
        "success"
    );
    assert_eq!(
        w.protected(&login.access_token, ACCESS_TTL - 1),
        authorized("demo")
    );
    assert_eq!(w.protected(&login.access_token, ACCESS_TTL), expired());
    assert_eq!(
        w.protected(&login.access_token, ACCESS_TTL).name().as_str(),
        "expired"
    );
}

// ---------------------------------------------------------------- expiry

#[test]
fn expiry_is_at_issued_plus_ttl_for_each_kind() {
    let policy = Policy {
        access_token_ttl: 5,
        refresh_token_ttl: 9,
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(1000);
    assert!(w.access_ok(&login.access_token, 1004));
    assert!(!w.access_ok(&login.access_token, 1005));
    assert!(w.refresh_ok(&login.refresh_token, 1008));
    assert!(!w.refresh_ok(&login.refresh_token, 1009));
    let views: Vec<_> = {
        let mut v: Vec<_> = w
            .model
            .tokens(1005)
            .map(|t| (t.kind, t.expires_at, t.usable))
            .collect();
        v.sort_by_key(|t| t.1);
        v
    };
    assert_eq!(
        views,
        [
            (TokenKind::Access, 1005, false),
            (TokenKind::Refresh, 1009, true)
        ]
    );
}

#[test]
fn huge_ttls_saturate_instead_of_overflowing() {
    let policy = Policy {
        access_token_ttl: u64::MAX,
        refresh_token_ttl: u64::MAX,
        ..Policy::default()
    };
    let mut w = world(policy);
    let login = w.login(u64::MAX - 5);
    assert!(w.access_ok(&login.access_token, u64::MAX - 1));
    let next = w.refreshed(&login.refresh_token, u64::MAX - 1);
    assert!(w.access_ok(&next.access_token, u64::MAX - 1));
}

// ---------------------------------------------------------------- mint

#[test]
fn tokens_never_repeat_the_model_re_mints_when_a_mint_repeats() {
    let mut model = Model::new(Policy::default(), [("demo", "demo")]);
    // A mint that answers every name three times over.
    let mut n = 0u32;
    let mut mint = |kind: TokenKind| -> Token {
        n += 1;
        format!("{kind:?}-{}", n / 3).into()
    };
    let mut seen = std::collections::HashSet::new();
    let login = Action::Login {
        username: Some("demo"),
        password: Some("demo"),
    };
    let Outcome::Issued(first) = model.apply(login.clone(), 0, &mut mint) else {
        panic!()
    };
    let mut refresh = first.refresh_token.clone();
    assert!(seen.insert(first.access_token));
    assert!(seen.insert(first.refresh_token));
    for i in 1..20 {
        let action = Action::Refresh {
            refresh_token: Some(&refresh),
        };
        let Outcome::Issued(next) = model.apply(action, i, &mut mint) else {
            panic!("refresh {i}")
        };
        refresh = next.refresh_token.clone();
        assert!(
            seen.insert(next.access_token.clone()),
            "{}",
            next.access_token
        );
        assert!(
            seen.insert(next.refresh_token.clone()),
            "{}",
            next.refresh_token
        );
    }
    for i in 0..10 {
        let Outcome::Issued(again) = model.apply(login.clone(), 100 + i, &mut mint) else {
            panic!()
        };
        assert!(seen.insert(again.access_token));
        assert!(seen.insert(again.refresh_token));
    }
    assert_eq!(model.tokens(0).count(), seen.len());
}

#[test]
fn a_mint_that_repeats_a_token_of_the_other_kind_is_re_asked() {
    let mut model = Model::new(Policy::default(), [("demo", "demo")]);
    // The same string whatever the kind, twice each.
    let mut n = 0u32;
    let mut mint = |_: TokenKind| -> Token {
        n += 1;
        format!("t{}", n / 2).into()
    };
    let login = Action::Login {
        username: Some("demo"),
        password: Some("demo"),
    };
    let Outcome::Issued(a) = model.apply(login.clone(), 0, &mut mint) else {
        panic!()
    };
    let Outcome::Issued(b) = model.apply(login, 0, &mut mint) else {
        panic!()
    };
    let all = [
        &a.access_token,
        &a.refresh_token,
        &b.access_token,
        &b.refresh_token,
    ];
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), 4, "{all:?}");
    assert!(model.is_usable(&a.access_token, TokenKind::Access, 1));
    assert!(model.is_usable(&a.refresh_token, TokenKind::Refresh, 1));
}

#[test]
fn reset_forgets_sessions_and_tokens_but_keeps_accounts_and_policy() {
    let policy = Policy {
        access_token_ttl: 42,
        ..Policy::default()
    };
    let mut w = world(policy.clone());
    let login = w.login(0);
    w.model.reset();
    assert_eq!(w.model.session_count(), 0);
    assert_eq!(w.model.tokens(0).count(), 0);
    assert_eq!(w.protected(&login.access_token, 1), invalid());
    assert_eq!(w.model.policy(), &policy);
    let again = w.login(1);
    assert_eq!(again.expires_in, 42);
}

#[test]
fn outcome_names_are_the_binding_names() {
    assert_eq!(Outcome::Done.name().as_str(), "success");
    assert_eq!(authorized("x").name().as_str(), "success");
    let names = [
        (Rejection::InvalidCredentials, "invalidCredentials"),
        (Rejection::Missing, "missing"),
        (Rejection::Expired, "expired"),
        (Rejection::Invalid, "invalid"),
    ];
    for (r, name) in names {
        assert_eq!(Outcome::Rejected(r).name().as_str(), name);
        assert!(openapi::model::OutcomeName::MAPPED
            .iter()
            .any(|o| o.as_str() == name));
    }
}

// --- Why a token is invalid, in finer words --------------------------------

#[test]
fn diagnose_names_why_a_token_is_invalid_without_changing_the_model() {
    use openapi::model::Invalidity;
    let mut w = default_world();
    let t = w.login_as("demo", "demo", 0);
    fn refresh(t: &str) -> Action<'_> {
        Action::Refresh {
            refresh_token: Some(t),
        }
    }
    fn me(t: &str) -> Action<'_> {
        Action::Protected {
            access_token: Some(t),
        }
    }
    assert_eq!(
        w.model.diagnose(&refresh("garbage"), 1),
        Some(Invalidity::Unknown)
    );
    assert_eq!(
        w.model.diagnose(&refresh(&t.access_token), 1),
        Some(Invalidity::WrongKind)
    );
    assert_eq!(w.model.diagnose(&refresh(&t.refresh_token), 1), None);
    // A query: diagnosing did not spend the token.
    let next = match w.apply(refresh(&t.refresh_token), 1) {
        Outcome::Issued(i) => i,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        w.model.diagnose(&refresh(&t.refresh_token), 2),
        Some(Invalidity::Spent)
    );
    assert_eq!(
        w.apply(
            Action::Revoke {
                refresh_token: Some(&next.refresh_token)
            },
            2
        ),
        Outcome::Done
    );
    assert_eq!(
        w.model.diagnose(&refresh(&next.refresh_token), 3),
        Some(Invalidity::Revoked)
    );
    assert_eq!(
        w.apply(
            Action::Logout {
                access_token: Some(&next.access_token)
            },
            3
        ),
        Outcome::Done
    );
    assert_eq!(
        w.model.diagnose(&me(&next.access_token), 4),
        Some(Invalidity::Ended)
    );
    // Expired and missing are outcomes of their own, not kinds of invalid.
    let u = w.login_as("alice", "alice-secret", 10);
    assert_eq!(
        w.model.diagnose(&me(&u.access_token), 10 + ACCESS_TTL),
        None
    );
    assert_eq!(
        w.model
            .diagnose(&Action::Protected { access_token: None }, 10),
        None
    );
    assert_eq!(w.model.diagnose(&me(""), 10), None);
}

#[test]
fn revoke_all_is_diagnosed_as_revoked() {
    use openapi::model::Invalidity;
    let mut w = default_world();
    let t = w.login_as("demo", "demo", 0);
    let revoke_all = Action::RevokeAll {
        access_token: Some(&t.access_token),
    };
    assert_eq!(w.apply(revoke_all, 1), Outcome::Done);
    let refresh = Action::Refresh {
        refresh_token: Some(&t.refresh_token),
    };
    assert_eq!(w.model.diagnose(&refresh, 2), Some(Invalidity::Revoked));
    assert_eq!(w.apply(refresh, 2), invalid());
}

// --- OAuth-era policies ------------------------------------------------------

#[test]
fn refresh_revokes_access_ends_the_previous_access_tokens_only() {
    use openapi::model::Invalidity;
    let mut w = world(Policy {
        refresh_revokes_access: true,
        ..Policy::default()
    });
    let first = w.login(0);
    let other = w.login(0);
    let next = w.refreshed(&first.refresh_token, 1);
    assert!(
        !w.access_ok(&first.access_token, 2),
        "the old access token lives"
    );
    assert_eq!(
        w.model.diagnose(
            &Action::Protected {
                access_token: Some(&first.access_token)
            },
            2
        ),
        Some(Invalidity::Revoked)
    );
    assert!(w.access_ok(&next.access_token, 2));
    // Another session of the same user is not touched.
    assert!(w.access_ok(&other.access_token, 2));
    // Without the policy the old access token keeps working.
    let mut plain = default_world();
    let t = plain.login(0);
    plain.refreshed(&t.refresh_token, 1);
    assert!(plain.access_ok(&t.access_token, 2));
}

#[test]
fn a_cascading_revoke_ends_the_access_tokens_of_the_grant() {
    let mut w = world(Policy {
        revoke_cascades: true,
        ..Policy::default()
    });
    let t = w.login(0);
    let other = w.login(0);
    assert_eq!(w.revoke(&t.refresh_token, 1), Outcome::Done);
    assert_eq!(w.protected(&t.access_token, 2), invalid());
    assert!(w.access_ok(&other.access_token, 2));
    // Without the cascade the access token outlives its refresh token.
    let mut plain = default_world();
    let t = plain.login(0);
    plain.revoke(&t.refresh_token, 1);
    assert!(plain.access_ok(&t.access_token, 2));
}

#[test]
fn a_spent_refresh_token_refreshes_within_the_grace_period_only() {
    let mut w = world(Policy {
        reuse_grace_seconds: 10,
        ..Policy::default()
    });
    let t = w.login(0);
    let a = w.refreshed(&t.refresh_token, 100);
    // A retry within the grace: new tokens, the session lives on.
    let b = w.refreshed(&t.refresh_token, 109);
    assert_ne!(a.refresh_token, b.refresh_token);
    assert!(w.refresh_ok(&a.refresh_token, 109));
    // The grace counts from the first use, not from the retry.
    assert_eq!(w.refresh(&t.refresh_token, 110), invalid());
    // Past the grace it is reuse: the session ends.
    assert!(!w.access_ok(&b.access_token, 110));
    assert!(!w.refresh_ok(&a.refresh_token, 110));
}

#[test]
fn an_absolute_refresh_lifetime_counts_from_the_login() {
    let mut w = world(Policy {
        refresh_lifetime: openapi::model::RefreshLifetime::Absolute,
        ..Policy::default()
    });
    let t = w.login(0);
    let a = w.refreshed(&t.refresh_token, REFRESH_TTL - 100);
    assert_eq!(a.refresh_expires_in, 100);
    assert!(w.refresh_ok(&a.refresh_token, REFRESH_TTL - 1));
    assert_eq!(w.refresh(&a.refresh_token, REFRESH_TTL), expired());
    // Sliding (the default): each refresh starts a new lifetime.
    let mut plain = default_world();
    let t = plain.login(0);
    let a = plain.refreshed(&t.refresh_token, REFRESH_TTL - 100);
    assert_eq!(a.refresh_expires_in, REFRESH_TTL);
    assert!(plain.refresh_ok(&a.refresh_token, REFRESH_TTL));
}

#[test]
fn no_token_outlives_the_session_lifetime() {
    let mut w = world(Policy {
        session_ttl: Some(5000),
        ..Policy::default()
    });
    let t = w.login(0);
    assert_eq!(t.expires_in, ACCESS_TTL);
    assert_eq!(t.refresh_expires_in, 5000);
    let a = w.refreshed(&t.refresh_token, 4000);
    // The access token is cut short by the session's end.
    assert_eq!(a.expires_in, 1000);
    assert_eq!(a.refresh_expires_in, 1000);
    assert!(w.access_ok(&a.access_token, 4999));
    assert_eq!(w.protected(&a.access_token, 5000), expired());
    assert_eq!(w.refresh(&a.refresh_token, 5000), expired());
}

// --- Clients, RFC 7009 revocation, RFC 7662 introspection --------------------

fn with_clients() -> World {
    use openapi::model::Client;
    let mut w = default_world();
    w.model = w.model.with_clients([
        Client {
            id: "web".into(),
            secret: Some("web-secret".into()),
        },
        Client {
            id: "spa".into(),
            secret: None,
        },
    ]);
    w
}

impl World {
    fn as_client(
        &mut self,
        id: &str,
        secret: Option<&str>,
        action: Action<'_>,
        now: u64,
    ) -> Outcome {
        let minted = &mut self.minted;
        let mut mint = |_: TokenKind| -> Token {
            *minted += 1;
            format!("t-{minted}").into()
        };
        let client = openapi::model::ClientAuth {
            id: Some(id),
            secret,
        };
        self.model.apply_as(client, action, now, &mut mint)
    }
}

#[test]
fn clients_authenticate_and_own_their_tokens() {
    let mut w = with_clients();
    let login = Action::Login {
        username: Some("demo"),
        password: Some("demo"),
    };
    let denied = Outcome::Rejected(Rejection::InvalidClient);
    assert_eq!(w.as_client("web", Some("wrong"), login.clone(), 0), denied);
    assert_eq!(w.as_client("web", None, login.clone(), 0), denied);
    assert_eq!(w.as_client("nobody", None, login.clone(), 0), denied);
    let Outcome::Issued(web) = w.as_client("web", Some("web-secret"), login.clone(), 0) else {
        panic!("a confidential client with its secret logs in")
    };
    // A public client authenticates by its id alone.
    let Outcome::Issued(spa) = w.as_client("spa", None, login, 0) else {
        panic!("a public client logs in")
    };
    fn refresh(t: &str) -> Action<'_> {
        Action::Refresh {
            refresh_token: Some(t),
        }
    }
    // Another client's refresh token is no token of this one.
    let web_token = web.refresh_token.to_string();
    assert_eq!(w.as_client("spa", None, refresh(&web_token), 1), invalid());
    assert!(w.refresh_ok(&web.refresh_token, 1), "refused, not spent");
    assert!(matches!(
        w.as_client("web", Some("web-secret"), refresh(&web_token), 1),
        Outcome::Issued(_)
    ));
    // Revoking another client's token: refused where revoke can fail.
    let mut strict = with_clients();
    strict.model = Model::new(
        Policy {
            revoke_ignores_invalid_tokens: false,
            ..Policy::default()
        },
        [("demo", "demo")],
    )
    .with_clients(w.model.clients().to_vec());
    let Outcome::Issued(t) = strict.as_client(
        "web",
        Some("web-secret"),
        Action::Login {
            username: Some("demo"),
            password: Some("demo"),
        },
        0,
    ) else {
        panic!()
    };
    let revoke = Action::Revoke {
        refresh_token: Some(&t.refresh_token),
    };
    assert_eq!(strict.as_client("spa", None, revoke.clone(), 1), invalid());
    assert!(strict.refresh_ok(&t.refresh_token, 1));
    assert_eq!(
        strict.as_client("web", Some("web-secret"), revoke, 1),
        Outcome::Done
    );
    // Protected resources take the access token alone.
    assert_eq!(
        w.as_client(
            "nobody",
            None,
            Action::Protected {
                access_token: Some(&spa.access_token)
            },
            1
        ),
        authorized("demo")
    );
}

#[test]
fn rfc7009_revokes_either_kind_and_answers_done_for_unknown_tokens() {
    use openapi::model::TokenHint;
    let mut w = world(Policy {
        revoke_cascades: true,
        ..Policy::default()
    });
    let t = w.login(0);
    let u = w.login(0);
    // The hint is where to look first, not a filter.
    assert_eq!(
        w.model
            .revoke_token(Some(&t.access_token), Some(TokenHint::RefreshToken), 1),
        Outcome::Done
    );
    assert!(!w.access_ok(&t.access_token, 1));
    assert!(
        w.refresh_ok(&t.refresh_token, 1),
        "only the access token went"
    );
    assert_eq!(
        w.model.revoke_token(Some(&u.refresh_token), None, 1),
        Outcome::Done
    );
    assert!(!w.refresh_ok(&u.refresh_token, 1));
    assert!(
        !w.access_ok(&u.access_token, 1),
        "the cascade took the grant"
    );
    assert_eq!(
        w.model.revoke_token(Some("garbage"), None, 1),
        Outcome::Done
    );
    assert_eq!(w.model.revoke_token(None, None, 1), missing());
}

#[test]
fn rfc7662_introspection_is_the_models_own_word() {
    use openapi::model::TokenHint;
    let mut w = with_clients();
    let Outcome::Issued(t) = w.as_client(
        "web",
        Some("web-secret"),
        Action::Login {
            username: Some("alice"),
            password: Some("alice-secret"),
        },
        10,
    ) else {
        panic!()
    };
    let i = w.model.introspect(&t.access_token, 11);
    assert!(i.active);
    assert_eq!(i.exp, Some(10 + ACCESS_TTL));
    assert_eq!(i.sub.as_deref(), Some("alice"));
    assert_eq!(i.client_id.as_deref(), Some("web"));
    assert_eq!(i.token_type, Some(TokenHint::AccessToken));
    let r = w.model.introspect(&t.refresh_token, 11);
    assert_eq!(r.token_type, Some(TokenHint::RefreshToken));
    // Dead, expired and unknown tokens are inactive, and nothing more.
    assert!(!w.model.introspect(&t.access_token, 10 + ACCESS_TTL).active);
    assert!(!w.model.introspect("garbage", 11).active);
    w.logout(&t.access_token, 12);
    let dead = w.model.introspect(&t.refresh_token, 13);
    assert!(!dead.active);
    assert_eq!(dead.sub, None);
}
