//! Process-wide settings that decide how fast candle trains on a CPU, made
//! once at the start of every command ([`configure`]).
//!
//! **Freed memory.** By default mimalloc (v3) hands freed memory back to the
//! OS a second after it falls empty. A training step allocates and frees the
//! same large buffers every time (activations, gradients, the 47 MB embedding
//! gradient of MiniLM), so each step page-faults them in again and the kernel
//! zeroes every page: measured at 28% of a MiniLM fine-tuning step's CPU time
//! (perf), and 0.87 s against 0.56 s per step with freed memory kept (one
//! side-by-side measurement, early in the work). The cost: memory a worker
//! frees stays with it until it exits (a worker lives for one run).
//!
//! **candle's element-wise pool.** candle 0.11 runs element-wise operations
//! on a pool of its own whose threads spin on a barrier, beside the rayon
//! threads that run matrix products (and this project's fused kernels). With
//! two threads on two cores the spinning threads take turns away from each
//! other: a MiniLM fine-tuning step measured 1.0-1.2 s with the pool and a
//! steady 0.6 s with element-wise work kept on the calling thread
//! (`CANDLE_NUM_THREADS=1`); matrix products still use every thread. A value
//! the user set is kept.

/// Applies both settings; call before any tensor work (candle reads its
/// thread count once, when its pool starts).
pub fn configure() {
    keep_freed_memory();
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

/// mimalloc's `mi_option_purge_delay` (the same position in its v2 and v3 option lists).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Never return freed memory to the OS for the rest of this process.
pub fn keep_freed_memory() {
    // SAFETY: sets one integer option; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option at that position is the purge delay: mimalloc v3's default
    /// for it is 1000 ms (options.c), and it takes the value set.
    #[test]
    fn the_option_is_the_purge_delay() {
        // SAFETY: reads and sets integer options.
        unsafe {
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), 1000);
            }
            keep_freed_memory();
            assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), -1);
        }
    }
}
