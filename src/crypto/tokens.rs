//! Session tokens (signed JWTs), CSRF tokens (HMAC), one-time codes and their hashes.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fill_random;

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519 `sub`).
    pub sub: String,
    /// The session id; the session must still be live in the database.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// Sign a session token (HS256) with the service's secret key.
pub fn issue_jwt(secret: &[u8], claims: &Claims) -> anyhow::Result<String> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| anyhow::anyhow!("cannot sign token: {e}"))
}

/// Check a session token's signature and expiry. Only HS256 is accepted.
pub fn verify_jwt(secret: &[u8], token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .ok()
        .map(|d| d.claims)
}

fn hmac_hex(secret: &[u8], purpose: &str, value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The CSRF token for a browser: an HMAC of its random `csrf` cookie, put in every form.
pub fn csrf_token(secret: &[u8], cookie_value: &str) -> String {
    hmac_hex(secret, "csrf", cookie_value)
}

/// Constant-time check of a submitted CSRF token.
pub fn csrf_valid(secret: &[u8], cookie_value: &str, submitted: &str) -> bool {
    let expected = csrf_token(secret, cookie_value);
    constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `text`, hex-encoded: how one-time codes and tokens are stored.
pub fn sha256_hex(text: &str) -> String {
    sha256_hex_bytes(text.as_bytes())
}

pub fn sha256_hex_bytes(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Letters and digits that cannot be mistaken for each other on paper (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A one-time invitation code like `K7MQ-3XTA-9HWE` (12 symbols, about 59 bits).
pub fn invitation_code() -> anyhow::Result<String> {
    // Rejection sampling keeps every symbol equally likely (248 = 8 × 31).
    let limit = (256 / CODE_ALPHABET.len() * CODE_ALPHABET.len()) as u8;
    let mut s = String::with_capacity(12);
    while s.len() < 12 {
        let mut raw = [0u8; 16];
        fill_random(&mut raw)?;
        for b in raw {
            if b < limit && s.len() < 12 {
                s.push(CODE_ALPHABET[(b as usize) % CODE_ALPHABET.len()] as char);
            }
        }
    }
    Ok(format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12]))
}

/// The canonical form of a typed code: upper case, grouped by dashes, whatever spacing was typed.
pub fn normalise_code(input: &str) -> String {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '－')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if cleaned.len() == 12 && cleaned.is_ascii() {
        format!("{}-{}-{}", &cleaned[0..4], &cleaned[4..8], &cleaned[8..12])
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_round_trip_and_tamper() {
        let secret = [7u8; 32];
        let claims = Claims {
            sub: "5".into(),
            sid: "abc".into(),
            iat: 0,
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let t = issue_jwt(&secret, &claims).unwrap();
        assert_eq!(verify_jwt(&secret, &t), Some(claims.clone()));
        assert_eq!(verify_jwt(&[8u8; 32], &t), None);
        let expired = Claims {
            exp: chrono::Utc::now().timestamp() - 1,
            ..claims
        };
        assert_eq!(
            verify_jwt(&secret, &issue_jwt(&secret, &expired).unwrap()),
            None
        );
        assert_eq!(verify_jwt(&secret, "garbage"), None);
    }

    #[test]
    fn csrf_tokens_bind_to_the_cookie() {
        let s = [1u8; 32];
        let t = csrf_token(&s, "cookie-a");
        assert!(csrf_valid(&s, "cookie-a", &t));
        assert!(!csrf_valid(&s, "cookie-b", &t));
        assert!(!csrf_valid(&s, "cookie-a", ""));
    }

    #[test]
    fn codes_are_readable_and_normalise() {
        let c = invitation_code().unwrap();
        assert_eq!(c.len(), 14);
        assert!(c
            .chars()
            .all(|ch| ch == '-' || CODE_ALPHABET.contains(&(ch as u8))));
        assert_eq!(normalise_code(&c.to_lowercase().replace('-', " ")), c);
        assert_ne!(c, invitation_code().unwrap());
    }
}
