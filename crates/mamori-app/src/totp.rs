//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), the otpauth URI and
//! its QR code for authenticator apps.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// A new 160-bit secret, base32 without padding (as authenticator apps expect).
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The step (30-second window number) of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of one step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS)
}

/// The step a typed code belongs to, allowing one step of clock drift either way. The caller refuses a
/// step not newer than the last one accepted (no replay).
pub fn matching_step(secret_b32: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = code.parse().ok()?;
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.as_bytes())
        .ok()?;
    let now = step_of(unix_seconds);
    [now, now - 1, now + 1]
        .into_iter()
        .find(|s| code_at(&secret, *s) == typed)
}

/// The otpauth:// URI that authenticator apps read from the QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/Mamori:{}?secret={secret_b32}&issuer=Mamori&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(account)
    )
}

/// The QR code of a text as an SVG document.
pub fn qr_svg(text: &str) -> String {
    qrcode::QrCode::new(text.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 digits are ours).
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(code_at(secret, step_of(t)), eight % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn codes_match_within_one_step_only() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let raw = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .unwrap();
        let t = 1_800_000_000;
        let code = format!("{:06}", code_at(&raw, step_of(t)));
        assert_eq!(matching_step(&secret, &code, t), Some(step_of(t)));
        assert_eq!(matching_step(&secret, &code, t + 30), Some(step_of(t)));
        assert_eq!(matching_step(&secret, &code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri("JBSWY3DPEHPK3PXP", "みどり admin");
        assert!(uri.starts_with("otpauth://totp/Mamori:%E3%81%BF"));
        assert!(uri.contains("secret=JBSWY3DPEHPK3PXP&issuer=Mamori"));
        assert!(qr_svg(&uri).contains("<svg"));
    }
}
