//! Work split across the machine's cores with scoped threads: no runtime, no pool to manage.

use std::num::NonZeroUsize;

/// Applies `work` to contiguous shares of `items`, one share per core, and returns the results
/// in the items' order.
pub fn by_share<'a, T: Sync, R: Send>(items: &'a [T], work: impl Fn(&'a [T]) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    in_shares(items, cores, work)
}

/// Items rendered per batch by [`render_in_order`]: for findings, about 1 MB of text.
pub const BATCH: usize = 2048;

/// Renders `items` a batch of [`BATCH`] at a time, each batch's shares on every core, and hands
/// each share's text to `write` in the items' order: large outputs (72k findings) are printed on
/// every core while only a batch's text is held.
pub fn render_in_order<'a, T: Sync, E: Send>(
    items: &'a [T],
    render: impl Fn(&'a [T]) -> Result<Vec<u8>, E> + Sync,
    mut write: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    for batch in items.chunks(BATCH) {
        for text in by_share(batch, &render) {
            write(&text?)?;
        }
    }
    Ok(())
}

/// Stack of each worker. Parsing recurses once per nesting level of a document, up to
/// `palisade_checks::manifest::MAX_DEPTH`; the default 2 MiB of a spawned thread is too little for
/// that in unoptimised builds. Only the pages used are ever committed.
const WORKER_STACK_BYTES: usize = 16 << 20;

/// Applies `work` to at most `shares` contiguous shares of `items`, each on its own thread, and
/// returns the results in the items' order. A share whose thread cannot be spawned is worked on
/// the calling thread.
pub fn in_shares<'a, T: Sync, R: Send>(items: &'a [T], shares: usize, work: impl Fn(&'a [T]) -> R + Sync) -> Vec<R> {
    let share = items.len().div_ceil(shares.max(1)).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<Result<_, &[T]>> = items
            .chunks(share)
            .map(|share| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK_BYTES)
                    .spawn_scoped(scope, move || work(share))
                    .map_err(|_| share)
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| match worker {
                // A worker only panics if `work` does, which is a bug to surface as such.
                Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(share) => work(share),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::{by_share, in_shares};

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u32> = (0..1001).collect();
        let sums = by_share(&items, |share| share.to_vec());
        assert_eq!(sums.concat(), items);
        assert!(by_share(&[] as &[u32], |share| share.len()).is_empty());
        assert_eq!(in_shares(&items, 3, |share| share.len()), [334, 334, 333]);
    }
}
