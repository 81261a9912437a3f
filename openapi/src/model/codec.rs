//! How tokens carry what the model needs to judge them.
//!
//! The model keeps no table of the tokens it issued. Each token carries its
//! [`Stamp`] (its kind, its session, its place in the order of issue, when
//! it was issued and when it expires), written by a [`TokenCodec`] the
//! caller passes in and read back by the same codec, which vouches for it:
//! the mock's codec signs the stamp with a MAC, the conformance oracle's
//! ([`Symbolic`]) keeps a small table of the names it gave. The model then
//! needs, per session, only what policies change after issue: which of the
//! session's refresh tokens are spent, what was revoked, whether the
//! session ended.

use std::collections::HashMap;

use super::{Instant, SessionId, Token, TokenKind};

/// What a token says of itself, vouched for by the codec that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    /// Its kind.
    pub kind: TokenKind,
    /// How many times the model had been reset when it was issued: a token
    /// of an earlier era is unknown, so a session id used again after a
    /// reset never accepts the tokens of the session that had it before.
    pub era: u32,
    /// Its session (session ids are never used twice in an era).
    pub session: SessionId,
    /// The client its session was granted to (the model's index), where
    /// the API has clients.
    pub client: Option<u32>,
    /// Its place in the model's order of issue, from 1, over both kinds:
    /// unique, and what revocations by epoch compare (everything of a
    /// session, or of a user, issued before some serial).
    pub serial: u64,
    /// When it was issued.
    pub issued_at: Instant,
    /// When it expires.
    pub expires_at: Instant,
}

/// What a token being issued is: its stamp, and what a codec that writes a
/// JWT puts in its claims (`sub`, `client_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims<'a> {
    /// What the token carries.
    pub stamp: Stamp,
    /// Its user.
    pub username: &'a str,
    /// The `client_id` of the client it is issued to, where the API has
    /// clients.
    pub client_id: Option<&'a str>,
}

/// Writes tokens that carry their [`Stamp`] and reads them back.
///
/// `recognise` must give back the stamp of every token `mint` wrote (the
/// model checks, and asks again a bounded number of times if it does not),
/// and nothing for any other string: a token it cannot vouch for (made up,
/// altered, another codec's) is unknown to the model.
pub trait TokenCodec {
    /// A new token carrying `claims.stamp`.
    fn mint(&mut self, claims: &Claims<'_>) -> Token;

    /// The stamp of a token this codec wrote, if it is one.
    fn recognise(&self, token: &str) -> Option<Stamp>;

    /// The token [`TokenCodec::mint`] wrote for these claims, written again,
    /// for the listings ([`super::Model::tokens`]); `None` where the codec
    /// cannot (the default).
    fn rewrite(&self, claims: &Claims<'_>) -> Option<Token> {
        let _ = claims;
        None
    }
}

/// Symbolic tokens, `R.1`, `A.2`: the kind's letter and the token's serial.
/// A table from serial to stamp recognises them, so memory grows with the
/// tokens issued: this is the codec of the conformance oracle (whose
/// sequences are short, and whose tokens the driver maps to the target's
/// real ones) and of tests, not of a long-running server.
#[derive(Debug, Clone, Default)]
pub struct Symbolic {
    stamps: HashMap<u64, Stamp>,
}

impl Symbolic {
    /// A codec that has written nothing yet.
    pub fn new() -> Symbolic {
        Symbolic::default()
    }

    /// The name of the token with this stamp (`R.4`).
    pub fn name(stamp: &Stamp) -> Token {
        let letter = match stamp.kind {
            TokenKind::Access => 'A',
            TokenKind::Refresh => 'R',
        };
        format!("{letter}.{}", stamp.serial).into()
    }
}

impl TokenCodec for Symbolic {
    fn mint(&mut self, claims: &Claims<'_>) -> Token {
        self.stamps.insert(claims.stamp.serial, claims.stamp);
        Symbolic::name(&claims.stamp)
    }

    fn recognise(&self, token: &str) -> Option<Stamp> {
        let (_, serial) = token.split_once('.')?;
        let stamp = self.stamps.get(&serial.parse().ok()?)?;
        // `R.01`, `A.4` for a refresh token: not a name it gave.
        (Symbolic::name(stamp) == token).then_some(*stamp)
    }

    fn rewrite(&self, claims: &Claims<'_>) -> Option<Token> {
        let known = self.stamps.get(&claims.stamp.serial) == Some(&claims.stamp);
        known.then(|| Symbolic::name(&claims.stamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(kind: TokenKind, serial: u64) -> Stamp {
        Stamp {
            kind,
            era: 0,
            session: 0,
            client: None,
            serial,
            issued_at: 10,
            expires_at: 20,
        }
    }

    #[test]
    fn symbolic_names_are_recognised_and_nothing_else_is() {
        let mut codec = Symbolic::new();
        let s = stamp(TokenKind::Refresh, 4);
        let claims = Claims {
            stamp: s,
            username: "demo",
            client_id: None,
        };
        assert_eq!(codec.mint(&claims), "R.4");
        assert_eq!(codec.recognise("R.4"), Some(s));
        assert_eq!(codec.rewrite(&claims).as_deref(), Some("R.4"));
        for other in ["A.4", "R.04", "R.4 ", "R.5", "R", "garbage", ""] {
            assert_eq!(codec.recognise(other), None, "{other:?}");
        }
        let unknown = Claims {
            stamp: stamp(TokenKind::Access, 5),
            ..claims
        };
        assert_eq!(codec.rewrite(&unknown), None);
    }
}
