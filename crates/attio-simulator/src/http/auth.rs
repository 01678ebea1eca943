//! `Authorization: Bearer <token>`, or Basic with the token as the user name.

use super::super::api_error::ApiError;

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The token carried by an Authorization header value.
pub fn token_of(header: &str) -> Option<String> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(decode_base64(rest)?).ok()?;
        let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
        return (!user.is_empty()).then(|| user.to_owned());
    }
    None
}

/// Checks the header against the valid tokens (any token when `valid` is empty).
pub fn authorize(header: Option<&str>, valid: &[String]) -> Result<String, ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::unauthorized(
            "The Authorization header was not provided. Send \"Authorization: Bearer <access token>\".",
        )
    })?;
    let token = token_of(header)
        .ok_or_else(|| ApiError::unauthorized("The Authorization header is malformed; use the Bearer scheme."))?;
    if valid.is_empty() || valid.iter().any(|v| v == &token) {
        Ok(token)
    } else {
        Err(ApiError::unauthorized(
            "The access token provided is invalid or has been revoked.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_carry_the_token() {
        assert_eq!(token_of("Bearer abc").as_deref(), Some("abc"));
        // base64("abc:") = "YWJjOg=="
        assert_eq!(token_of("Basic YWJjOg==").as_deref(), Some("abc"));
        assert_eq!(token_of("Token abc"), None);
    }

    #[test]
    fn unknown_and_missing_tokens_are_unauthorized() {
        let valid = vec!["good".to_owned()];
        assert!(authorize(Some("Bearer good"), &valid).is_ok());
        assert_eq!(authorize(Some("Bearer bad"), &valid).unwrap_err().status, 401);
        assert_eq!(authorize(None, &valid).unwrap_err().code, "unauthorized");
        assert!(authorize(Some("Bearer anything"), &[]).is_ok());
    }
}
