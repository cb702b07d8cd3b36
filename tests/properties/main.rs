//! Property tests of the parsers and loaders: arbitrary and mutated inputs
//! (truncated, bit-flipped, with bytes inserted, deleted or duplicated) never
//! panic, and either parse to something consistent or fail with an error
//! naming the file or the origin they were given.
//!
//! Each property runs a modest, fixed set of cases so the whole file takes
//! seconds; `PROPTEST_RNG_SEED` and `PROPTEST_CASES` explore further.

mod checkpoints;
mod csv;
mod idx;
mod mutate;
mod suite;
