//! Fan-out of independent work items over a pool of worker threads (the only user of rayon).
//!
//! Training shards, validation chunks and prediction chunks are cut in fixed sizes whatever the
//! thread count, each item writes only its own slot, and the callers combine the slots in item
//! order afterwards. The pool therefore decides only *who* computes an item, never what is
//! computed or in which order results are added: outputs are bit-identical for any `threads`
//! (`docs/derivations/forecaster.md` §5).

use rayon::prelude::*;

/// A pool of `threads` workers, or the calling thread alone when `threads` ≤ 1.
#[derive(Debug)]
pub struct Workers {
    pool: Option<rayon::ThreadPool>,
}

impl Workers {
    /// A pool of `threads` workers. With `threads` ≤ 1, or when the operating system refuses
    /// the threads, items run one after another on the calling thread (same results).
    pub fn new(threads: usize) -> Self {
        let pool = (threads > 1)
            .then(|| rayon::ThreadPoolBuilder::new().num_threads(threads).build().ok())
            .flatten();
        Workers { pool }
    }

    /// Run `work` on every item, each item exactly once, spread over the workers.
    pub fn for_each<T: Send>(&self, items: &mut [T], work: impl Fn(&mut T) + Sync + Send) {
        match &self.pool {
            Some(pool) if items.len() > 1 => pool.install(|| items.par_iter_mut().for_each(work)),
            _ => items.iter_mut().for_each(work),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item is visited exactly once, with its own result in its own slot, for any pool.
    #[test]
    fn every_item_runs_once_whatever_the_thread_count() {
        for threads in [0, 1, 2, 3, 8] {
            let workers = Workers::new(threads);
            let mut items: Vec<(usize, u64)> = (0..37).map(|i| (i, 0)).collect();
            workers.for_each(&mut items, |(i, out)| *out += (*i as u64 + 1) * 3);
            let want: Vec<(usize, u64)> = (0..37).map(|i| (i, (i as u64 + 1) * 3)).collect();
            assert_eq!(items, want, "{threads} threads");
        }
    }

    /// More than one thread does run items concurrently (the pool is real): two items that each
    /// wait for the other to start can only finish when they run at the same time.
    #[test]
    fn two_workers_run_two_items_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::{Duration, Instant};
        let started = AtomicUsize::new(0);
        let mut met = [false, false];
        Workers::new(2).for_each(&mut met, |met| {
            started.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(10);
            while started.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                std::thread::yield_now();
            }
            *met = started.load(Ordering::SeqCst) == 2;
        });
        assert_eq!(met, [true, true]);
    }
}
