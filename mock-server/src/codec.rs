//! The mock's tokens: the model's [`Stamp`] written into the token and
//! authenticated with HMAC-SHA256, so that the model stores no token and
//! still knows every token it issued for its whole lifetime.
//!
//! An opaque token is 72 base64url characters: a 37-byte stamp (version
//! and kind, era, session, client, serial, issue and expiry instants, big
//! endian) and the first 17 bytes (136 bits) of its MAC under the
//! namespace's [`Key`]. Where the spec's tokens are JWTs, an access token is
//! a JWT signed by the spec's [`Signer`] whose `jti` is that opaque token
//! (and `sid` its session): the model reads it only if both the signature
//! and the MAC hold. Anything else, a token with one bit changed included,
//! is unknown to the model.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use openapi::model::{Claims, Stamp, Token, TokenCodec, TokenKind};

use crate::jwt::Signer;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The stamp's bytes.
const STAMP_LEN: usize = 37;

/// The MAC's bytes kept in the token: 136 bits.
const TAG_LEN: usize = 17;

/// The length of an opaque token the mock mints: base64url of the stamp
/// and its tag, no padding (54 bytes are 72 characters).
pub const TOKEN_LEN: usize = (STAMP_LEN + TAG_LEN) / 3 * 4;

/// The layout's version, in the high bits of the first byte.
const VERSION: u8 = 0x10;

/// The first byte: version and flags.
const ACCESS: u8 = 0x01;
const HAS_CLIENT: u8 = 0x02;

/// The key that authenticates one namespace's tokens: 256 random bits,
/// made with the namespace and kept for its life (a `--watch` reload keeps
/// it), so a token of one namespace or one mock means nothing to another.
/// The HMAC state is keyed once; each token clones it.
#[derive(Clone)]
pub(crate) struct Key(HmacSha256);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A fresh random key.
    pub(crate) fn random() -> Key {
        let secret: [u8; 32] = rand::random();
        Key::from_secret(&secret)
    }

    pub(crate) fn from_secret(secret: &[u8; 32]) -> Key {
        // HMAC takes a key of any length: this never fails.
        match HmacSha256::new_from_slice(secret) {
            Ok(mac) => Key(mac),
            Err(_) => unreachable!("HMAC accepts 32-byte keys"),
        }
    }

    fn tag(&self, stamp: &[u8; STAMP_LEN]) -> [u8; TAG_LEN] {
        let full = self.0.clone().chain_update(stamp).finalize().into_bytes();
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// An opaque token carrying `stamp`.
    fn write(&self, stamp: &Stamp) -> Token {
        let body = encode(stamp);
        let mut bytes = [0; STAMP_LEN + TAG_LEN];
        bytes[..STAMP_LEN].copy_from_slice(&body);
        bytes[STAMP_LEN..].copy_from_slice(&self.tag(&body));
        URL_SAFE_NO_PAD.encode(bytes).into()
    }

    /// The stamp of an opaque token this key wrote (the tag is compared in
    /// constant time).
    fn read(&self, token: &str) -> Option<Stamp> {
        if token.len() != TOKEN_LEN {
            return None;
        }
        let mut bytes = [0; STAMP_LEN + TAG_LEN];
        let n = URL_SAFE_NO_PAD.decode_slice(token, &mut bytes).ok()?;
        if n != bytes.len() {
            return None;
        }
        let (body, tag) = bytes.split_at(STAMP_LEN);
        self.0
            .clone()
            .chain_update(body)
            .verify_truncated_left(tag)
            .ok()?;
        decode(body)
    }
}

fn encode(s: &Stamp) -> [u8; STAMP_LEN] {
    let mut b = [0; STAMP_LEN];
    let mut flags = VERSION;
    if s.kind == TokenKind::Access {
        flags |= ACCESS;
    }
    if s.client.is_some() {
        flags |= HAS_CLIENT;
    }
    b[0] = flags;
    b[1..5].copy_from_slice(&s.era.to_be_bytes());
    b[5..9].copy_from_slice(&s.session.to_be_bytes());
    b[9..13].copy_from_slice(&s.client.unwrap_or(0).to_be_bytes());
    b[13..21].copy_from_slice(&s.serial.to_be_bytes());
    b[21..29].copy_from_slice(&s.issued_at.to_be_bytes());
    b[29..37].copy_from_slice(&s.expires_at.to_be_bytes());
    b
}

fn decode(b: &[u8]) -> Option<Stamp> {
    let u32_at = |i: usize| b.get(i..i + 4)?.try_into().ok().map(u32::from_be_bytes);
    let u64_at = |i: usize| b.get(i..i + 8)?.try_into().ok().map(u64::from_be_bytes);
    let flags = *b.first()?;
    if flags & 0xf0 != VERSION {
        return None;
    }
    Some(Stamp {
        kind: if flags & ACCESS != 0 {
            TokenKind::Access
        } else {
            TokenKind::Refresh
        },
        era: u32_at(1)?,
        session: u32_at(5)?,
        client: (flags & HAS_CLIENT != 0).then_some(u32_at(9)?),
        serial: u64_at(13)?,
        issued_at: u64_at(21)?,
        expires_at: u64_at(29)?,
    })
}

/// The mock's codec for one namespace and one served spec: opaque tokens
/// under the namespace's key, access tokens as JWTs where the spec asks.
pub(crate) struct Codec<'a> {
    pub(crate) key: &'a Key,
    pub(crate) signer: Option<&'a Signer>,
}

impl Codec<'_> {
    fn write(&self, claims: &Claims<'_>) -> Token {
        let opaque = self.key.write(&claims.stamp);
        match (self.signer, claims.stamp.kind) {
            (Some(signer), TokenKind::Access) => signer.access_token(claims, &opaque),
            _ => opaque,
        }
    }
}

impl TokenCodec for Codec<'_> {
    fn mint(&mut self, claims: &Claims<'_>) -> Token {
        self.write(claims)
    }

    fn recognise(&self, token: &str) -> Option<Stamp> {
        let Some(signer) = self.signer else {
            return self.key.read(token);
        };
        if token.len() == TOKEN_LEN {
            // Where access tokens are JWTs, a bare stamp (a JWT's `jti`)
            // is none.
            return self
                .key
                .read(token)
                .filter(|s| s.kind == TokenKind::Refresh);
        }
        // A JWT: its signature, then the stamp in its `jti`.
        let jti = signer.verify(token)?;
        self.key.read(&jti).filter(|s| s.kind == TokenKind::Access)
    }

    fn rewrite(&self, claims: &Claims<'_>) -> Option<Token> {
        Some(self.write(claims))
    }
}

/// The mock's token codec for opaque tokens, with a random key of its own:
/// what the mock's namespaces mint with, for benchmarks and tests of the
/// model with real tokens ([`openapi::model::Model::apply`]).
#[derive(Debug, Clone)]
pub struct MockCodec(Key);

impl MockCodec {
    /// A codec with a fresh random key.
    pub fn new() -> MockCodec {
        MockCodec(Key::random())
    }
}

impl Default for MockCodec {
    fn default() -> Self {
        MockCodec::new()
    }
}

impl TokenCodec for MockCodec {
    fn mint(&mut self, claims: &Claims<'_>) -> Token {
        self.0.write(&claims.stamp)
    }

    fn recognise(&self, token: &str) -> Option<Stamp> {
        self.0.read(token)
    }

    fn rewrite(&self, claims: &Claims<'_>) -> Option<Token> {
        Some(self.0.write(&claims.stamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            kind: TokenKind::Refresh,
            era: 3,
            session: 70_000,
            client: Some(2),
            serial: 1 << 40,
            issued_at: 1_700_000_000,
            expires_at: u64::MAX,
        }
    }

    #[test]
    fn a_token_carries_its_stamp_and_nothing_else_reads_as_one() {
        let key = Key::from_secret(&[7; 32]);
        let s = stamp();
        let token = key.write(&s);
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(key.read(&token), Some(s));
        let access = Stamp {
            kind: TokenKind::Access,
            client: None,
            ..s
        };
        assert_eq!(key.read(&key.write(&access)), Some(access));
        // Deterministic: the listings write a token again.
        assert_eq!(key.write(&s), token);
        // Another key's token, a cut or lengthened one, garbage.
        let other = Key::from_secret(&[8; 32]);
        assert_eq!(other.read(&token), None);
        assert_eq!(key.read(&token[..TOKEN_LEN - 1]), None);
        assert_eq!(key.read(&format!("{token}A")), None);
        assert_eq!(key.read(&"A".repeat(TOKEN_LEN)), None);
        assert_eq!(key.read("!".repeat(TOKEN_LEN).as_str()), None);
    }

    #[test]
    fn changing_any_character_of_a_token_makes_it_unknown() {
        let key = Key::from_secret(&[7; 32]);
        let token = key.write(&stamp());
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..token.len() {
            for c in alphabet.chars().step_by(7) {
                let mut altered = token.to_string();
                altered.replace_range(i..=i, &c.to_string());
                if altered != token {
                    assert_eq!(key.read(&altered), None, "{altered}");
                }
            }
        }
    }

    #[test]
    fn a_stamp_with_a_forged_tag_or_another_layout_is_refused() {
        let key = Key::from_secret(&[7; 32]);
        let mut body = encode(&stamp());
        // A later serial under the old tag.
        let tag = key.tag(&body);
        body[20] ^= 1;
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&tag);
        assert_eq!(key.read(&URL_SAFE_NO_PAD.encode(&bytes)), None);
        // A layout of another version, correctly tagged.
        let mut body = encode(&stamp());
        body[0] = 0x20;
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&key.tag(&body));
        assert_eq!(key.read(&URL_SAFE_NO_PAD.encode(&bytes)), None);
    }
}
