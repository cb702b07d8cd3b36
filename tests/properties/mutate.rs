//! Mutations of valid inputs, and the runner every property here shares.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use std::io::Write;

/// Runs `test` on `cases` inputs drawn from `strategy`, and panics with the
/// smallest failing input when one fails (a panic inside `test` counts as a
/// failure and is shrunk too).
///
/// The seed is fixed so that CI runs the same cases every time; set
/// `PROPTEST_RNG_SEED=<n>` (and `PROPTEST_CASES=<n>`) to explore others.
pub fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let from_env = Config::default();
    let config = Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            from_env.cases
        } else {
            cases
        },
        rng_seed: match from_env.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5eed_2026),
            fixed => fixed,
        },
        // A failure prints its input; no regression files in the source tree.
        failure_persistence: None,
        ..from_env
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// A position in a byte string: taken modulo the string's length (or one
/// more, where the end is a position too).
pub type Pos = u32;

fn at(pos: Pos, size: usize) -> usize {
    pos as usize % size
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Keep only what comes before the position.
    Truncate(Pos),
    /// Flip one bit of the byte at the position.
    Flip(Pos, u8),
    /// Insert a byte before the position.
    Insert(Pos, u8),
    /// Delete the byte at the position.
    Delete(Pos),
    /// Overwrite the byte at the position.
    Replace(Pos, u8),
    /// Copy up to 16 bytes from the first position to before the second.
    Duplicate(Pos, Pos, u8),
}

/// Any one edit; flips and overwrites are the most likely.
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => any::<Pos>().prop_map(Edit::Truncate),
        3 => (any::<Pos>(), 0u8..8).prop_map(|(i, bit)| Edit::Flip(i, bit)),
        2 => (any::<Pos>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => any::<Pos>().prop_map(Edit::Delete),
        3 => (any::<Pos>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        1 => (any::<Pos>(), any::<Pos>(), 1u8..=16).prop_map(|(from, to, n)| Edit::Duplicate(from, to, n)),
    ]
}

/// `bytes` with `edits` applied in order.
pub fn apply(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let len = out.len();
        match edit {
            Edit::Truncate(i) => out.truncate(at(*i, len + 1)),
            Edit::Insert(i, b) => out.insert(at(*i, len + 1), *b),
            _ if len == 0 => {}
            Edit::Flip(i, bit) => out[at(*i, len)] ^= 1 << bit,
            Edit::Delete(i) => {
                out.remove(at(*i, len));
            }
            Edit::Replace(i, b) => out[at(*i, len)] = *b,
            Edit::Duplicate(from, to, n) => {
                let start = at(*from, len);
                let copy = out[start..(start + *n as usize).min(len)].to_vec();
                let at = at(*to, len + 1);
                out.splice(at..at, copy);
            }
        }
    }
    out
}

/// `valid` with one to five edits.
pub fn mutated(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(edit(), 1..6).prop_map(move |edits| apply(&valid, &edits))
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// Asserts that an error's message names `origin` (a path or a description).
pub fn names(err: &impl std::fmt::Display, origin: &str) -> Result<(), TestCaseError> {
    let message = err.to_string();
    prop_assert!(message.contains(origin), "the error does not name {origin}: {message}");
    Ok(())
}

#[test]
fn edits_do_what_they_say() {
    let abc = b"abcdef";
    assert_eq!(apply(abc, &[Edit::Truncate(3)]), b"abc");
    assert_eq!(apply(abc, &[Edit::Flip(0, 0)]), b"`bcdef");
    assert_eq!(apply(abc, &[Edit::Insert(6, b'!')]), b"abcdef!");
    assert_eq!(apply(abc, &[Edit::Delete(5)]), b"abcde");
    assert_eq!(apply(abc, &[Edit::Duplicate(4, 0, 4)]), b"efabcdef");
    assert_eq!(apply(b"", &[Edit::Delete(0), Edit::Flip(0, 3)]), b"");
}
