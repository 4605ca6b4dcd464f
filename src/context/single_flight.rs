//! Single flight: concurrent requests for the same work share one run.
//!
//! The engine plans every resource at once, so the eight images of a
//! monorepo ask for the hash of the same context directory at the same
//! moment. The first request walks and reads the tree; the others wait for
//! its result instead of reading every file again. A request that comes
//! after a run ended starts a new one (the files may have changed since);
//! the stat cache keeps that cheap.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Condvar, Mutex};

/// Runs of work by key, shared while in flight.
#[derive(Debug)]
pub struct SingleFlight<K, V> {
    flights: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

#[derive(Debug)]
struct Flight<V> {
    result: Mutex<Option<V>>,
    ready: Condvar,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// The result of `work` for `key`: run here, or, when a run for the
    /// same key is in flight, that run's. The flag says whether this call
    /// ran it. `abandoned` is what waiting callers get if the run panics.
    pub fn run(&self, key: K, work: impl FnOnce() -> V, abandoned: impl Fn() -> V) -> (V, bool) {
        let (flight, leads) = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            match flights.get(&key) {
                Some(flight) => (flight.clone(), false),
                None => {
                    let flight = Arc::new(Flight {
                        result: Mutex::new(None),
                        ready: Condvar::new(),
                    });
                    flights.insert(key.clone(), flight.clone());
                    (flight, true)
                }
            }
        };
        if !leads {
            let mut result = flight.result.lock().unwrap_or_else(|e| e.into_inner());
            while result.is_none() {
                result = flight.ready.wait(result).unwrap_or_else(|e| e.into_inner());
            }
            // Invariant: the loop above ends only with a result.
            return (
                result.clone().expect("a finished flight has a result"),
                false,
            );
        }
        // Whatever happens to `work`, the waiting callers are released.
        let landing = Landing {
            flights: self,
            key: Some(key),
            flight,
            abandoned: &abandoned,
        };
        let value = work();
        landing.land(value.clone());
        (value, true)
    }
}

/// Ends a flight: publishes its result (or, unwinding, `abandoned`) and
/// takes it off the map, so the next request runs afresh.
struct Landing<'a, K: Eq + Hash + Clone, V: Clone> {
    flights: &'a SingleFlight<K, V>,
    key: Option<K>,
    flight: Arc<Flight<V>>,
    abandoned: &'a dyn Fn() -> V,
}

impl<K: Eq + Hash + Clone, V: Clone> Landing<'_, K, V> {
    fn land(mut self, value: V) {
        self.publish(value);
    }

    fn publish(&mut self, value: V) {
        let Some(key) = self.key.take() else { return };
        self.flights
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        *self.flight.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
        self.flight.ready.notify_all();
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for Landing<'_, K, V> {
    fn drop(&mut self) {
        if self.key.is_some() {
            let value = (self.abandoned)();
            self.publish(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn concurrent_requests_share_one_run_and_later_ones_run_again() {
        let flights: SingleFlight<&str, usize> = SingleFlight::default();
        let runs = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    barrier.wait();
                    let (value, _) = flights.run(
                        "tree",
                        || {
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            runs.fetch_add(1, Ordering::SeqCst) + 1
                        },
                        || 0,
                    );
                    assert_eq!(value, 1, "every caller sees the one run");
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let (value, led) = flights.run("tree", || 2, || 0);
        assert_eq!((value, led), (2, true), "a later request runs again");
    }

    #[test]
    fn a_panicking_run_releases_the_waiters() {
        let flights: SingleFlight<&str, Option<usize>> = SingleFlight::default();
        let started = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let leader = scope.spawn(|| {
                flights.run(
                    "tree",
                    || {
                        started.wait();
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        panic!("the hashing thread failed");
                    },
                    || None,
                )
            });
            started.wait();
            let (value, led) = flights.run("tree", || Some(1), || None);
            assert!(
                value.is_none() && !led,
                "the waiter got the abandoned result"
            );
            assert!(leader.join().is_err());
        });
    }
}
