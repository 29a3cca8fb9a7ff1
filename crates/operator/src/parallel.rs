//! Work split across the machine's cores with scoped threads: no runtime, no pool to manage.

use std::num::NonZeroUsize;

/// Applies `work` to contiguous shares of `items`, one share per core, and returns the results
/// in the items' order.
pub fn by_share<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let share = items.len().div_ceil(cores).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(share)
            .map(|share| scope.spawn(move || work(share)))
            .collect();
        // A worker only panics if `work` does, which is a bug to surface as such.
        let joined = workers.into_iter().map(|worker| worker.join());
        joined
            .map(|result| result.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::by_share;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u32> = (0..1001).collect();
        let sums = by_share(&items, |share| share.to_vec());
        assert_eq!(sums.concat(), items);
        assert!(by_share(&[] as &[u32], |share| share.len()).is_empty());
    }
}
