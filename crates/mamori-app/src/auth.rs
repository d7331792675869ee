//! Passwords (argon2), random tokens and their hashes, and the password rule of the R7 checklist.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use rand::RngExt;
use sha2::{Digest, Sha256};

/// A PHC string for a password. Slow on purpose: call it off the async runtime.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a stored hash. `None` (unknown user) still spends the time of one check,
/// so that response times do not tell which login IDs exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("mamori-dummy-password"));
    let (hash, known) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && known
}

/// 32 random bytes as hex: session ids, CSRF tokens and API tokens.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// Tokens are stored only as their SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new API token: the secret to show once, and what the store keeps of it.
pub fn new_api_token(
    label: &str,
    role: mamori_core::Role,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> (String, mamori_store::NewToken) {
    let token = new_token();
    let stored = mamori_store::NewToken {
        hash: token_hash(&token),
        label: label.to_string(),
        role,
        expires_at,
    };
    (token, stored)
}

/// Constant-time comparison for CSRF tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The R7 checklist's password rule (8+ characters mixing letters, digits and symbols, or 13+ characters),
/// then two more: not one of the person's own details (`personal`: login, name, facility), and not common:
/// zxcvbn's lists of leaked passwords, words and keyboard patterns (l33t and reversals included) must put it
/// beyond a million guesses.
pub fn password_problem(password: &str, personal: &[&str]) -> Option<&'static str> {
    let n = password.chars().count();
    let letters = password.chars().any(|c| c.is_ascii_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let symbols = password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    if n < 8 {
        return Some(
            "パスワードは8文字以上にしてください（英字・数字・記号を混ぜるか、13文字以上）",
        );
    }
    if n < 13 && !(letters && digits && symbols) {
        return Some("パスワードは英字・数字・記号を混ぜるか、13文字以上にしてください");
    }
    let lower = password.to_lowercase();
    let own = personal
        .iter()
        .flat_map(|s| s.split(|c: char| c.is_whitespace() || c == '　'))
        .map(str::to_lowercase)
        .any(|part| part.chars().count() >= 3 && lower.contains(&part));
    if own {
        return Some("ログインID・氏名・施設名を含むパスワードは使えません");
    }
    if (zxcvbn::zxcvbn(password, personal).score() as u8) < 2 {
        return Some(
            "よく使われるパスワードや、単純な並び・置き換えで推測されやすいパスワードは使えません（例：P@ssw0rd!、Password1!）。無関係な単語を組み合わせた長いパスフレーズなどにしてください",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_unknown_users_fail() {
        let h = hash_password("Kusuri#2025");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Kusuri#2025", Some(&h)));
        assert!(!verify_password("kusuri#2025", Some(&h)));
        assert!(!verify_password("Kusuri#2025", None));
        assert!(!verify_password("x", Some("not a hash")));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }

    #[test]
    fn password_rule_of_the_r7_checklist() {
        assert!(password_problem("Kx7#mQ2v", &[]).is_none());
        assert!(
            password_problem("kiri tsukue ringo", &[]).is_none(),
            "13+ characters"
        );
        assert!(password_problem("Abc12xyz", &[]).unwrap().contains("記号"));
        assert!(password_problem("A1#b", &[]).unwrap().contains("8文字以上"));
        // Meets the R7 rule, but common, a pattern, or the person's own name.
        for common in [
            "P@ssw0rd!",
            "Password1!",
            "Qwerty123!",
            "abcdefghijklm",
            "1qaz2wsx3edc!",
        ] {
            assert!(
                password_problem(common, &[])
                    .unwrap()
                    .contains("よく使われる"),
                "{common}"
            );
        }
        assert!(password_problem("Yamada#2025", &[]).is_none());
        assert!(
            password_problem("Yamada#2025", &["yamada", "山田 太郎"])
                .unwrap()
                .contains("ログインID")
        );
        assert!(password_problem("みどり#2025x", &["admin", "みどり クリニック"]).is_some());
    }
}
