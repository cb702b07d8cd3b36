//! Short SHA-256 digests: the one way the project names content (a training
//! set, a pretraining recipe, a feature cache) by what it holds.

use sha2::{Digest, Sha256};

/// Lowercase hex of the first `bytes` bytes of a SHA-256 over `feed`'s input.
/// 8 bytes (16 hex digits) keep accidental collisions out of reach for the
/// few thousand items a cache or a sweep holds, and stay readable in a path.
pub fn short_hex(bytes: usize, feed: impl FnOnce(&mut Sha256)) -> String {
    let mut h = Sha256::new();
    feed(&mut h);
    h.finalize().iter().take(bytes).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value_and_length() {
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(short_hex(8, |h| h.update(b"abc")), "ba7816bf8f01cfea");
        assert_eq!(short_hex(2, |h| h.update(b"abc")).len(), 4);
    }
}
