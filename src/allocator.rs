//! Allocator tuning for training (the only user of `libc`).
//!
//! Every forward pass allocates its caches afresh (the layer contract keeps `forward` pure), a few
//! megabytes per shard and step. glibc serves blocks above its mmap threshold with fresh `mmap`
//! pages and unmaps them on free, so each step paid page faults and kernel page clearing: a
//! third of the LSTM's training time in `perf` (docs/performance.md). Raising the mmap and trim
//! thresholds keeps those blocks in the heap for reuse. Other platforms keep their defaults.

/// Keep large allocations in the process heap (glibc on Linux); a no-op elsewhere.
pub fn keep_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const LIMIT: libc::c_int = 1 << 30;
        // SAFETY: mallopt only changes allocator parameters; called before any threads start.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LIMIT);
            libc::mallopt(libc::M_TRIM_THRESHOLD, LIMIT);
        }
    }
}
