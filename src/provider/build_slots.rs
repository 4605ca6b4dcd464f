//! The bound on concurrent builds: the engine runs every resource at once,
//! and many `docker buildx build`s on one engine compete for its cores and
//! memory. At most `maxParallelBuilds` run; the others wait, say so in
//! their progress, and stay cancellable while they wait.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::ProviderError;

/// Slots for builds; a build holds one while its buildx runs.
#[derive(Debug, Clone)]
pub struct BuildSlots {
    limit: usize,
    semaphore: Arc<Semaphore>,
}

impl BuildSlots {
    /// `limit` slots (at least one).
    pub fn new(limit: usize) -> BuildSlots {
        let limit = limit.max(1);
        BuildSlots {
            limit,
            semaphore: Arc::new(Semaphore::new(limit)),
        }
    }

    /// How many builds may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A slot, once one is free: at once when one is, else after saying
    /// the build is queued. Cancelling `token` stops the wait.
    pub async fn acquire(
        &self,
        token: &CancellationToken,
    ) -> Result<OwnedSemaphorePermit, ProviderError> {
        if let Ok(permit) = self.semaphore.clone().try_acquire_owned() {
            return Ok(permit);
        }
        tracing::info!(
            status = true,
            "queued: {} builds are running already (maxParallelBuilds); this one starts when one of them ends",
            self.limit
        );
        tokio::select! {
            biased;
            () = token.cancelled() => Err(ProviderError::Cancelled),
            permit = self.semaphore.clone().acquire_owned() => {
                // Invariant: the semaphore is never closed.
                Ok(permit.expect("the build slots are never closed"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_most_the_limit_and_a_queued_wait_can_be_cancelled() {
        let slots = BuildSlots::new(2);
        let token = CancellationToken::new();
        let first = slots.acquire(&token).await.unwrap();
        let _second = slots.acquire(&token).await.unwrap();
        let waiting = {
            let (slots, token) = (slots.clone(), token.child_token());
            tokio::spawn(async move { slots.acquire(&token).await.map(|_| ()) })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a third build waits");
        drop(first);
        waiting.await.unwrap().expect("it starts when a slot frees");

        let cancelled = CancellationToken::new();
        let _third = slots.acquire(&token).await.unwrap();
        let queued = {
            let (slots, cancelled) = (slots.clone(), cancelled.clone());
            tokio::spawn(async move { slots.acquire(&cancelled).await.map(|_| ()) })
        };
        cancelled.cancel();
        assert!(matches!(
            queued.await.unwrap(),
            Err(ProviderError::Cancelled)
        ));
        assert_eq!(BuildSlots::new(0).limit(), 1);
    }
}
