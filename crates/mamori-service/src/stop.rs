//! The stop request a service manager (or a test) sends to a program that waits.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Shared by the one who asks to stop and the loop that waits: clones see the same request.
#[derive(Clone, Default)]
pub struct Stop(Arc<(Mutex<bool>, Condvar)>);

impl std::fmt::Debug for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stop({})", self.is_requested())
    }
}

impl Stop {
    pub fn new() -> Self {
        Stop::default()
    }

    /// Asks every waiter to stop; waits in progress end at once.
    pub fn request(&self) {
        let (lock, cvar) = &*self.0;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
    }

    pub fn is_requested(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits up to `timeout`; true when a stop was requested (before or during the wait).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let (lock, cvar) = &*self.0;
        let deadline = Instant::now() + timeout;
        let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = cvar
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Waits until a stop is requested.
    pub fn wait(&self) {
        let (lock, cvar) = &*self.0;
        let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            stopped = cvar.wait(stopped).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_times_out_without_a_request() {
        let stop = Stop::new();
        assert!(!stop.wait_timeout(Duration::from_millis(20)));
        assert!(!stop.is_requested());
    }

    #[test]
    fn a_request_ends_a_long_wait_from_another_thread() {
        let stop = Stop::new();
        let asker = stop.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            asker.request();
        });
        // An hour's wait ends when the other thread asks.
        assert!(stop.wait_timeout(Duration::from_secs(3600)));
        stop.wait();
        t.join().unwrap();
        assert!(stop.is_requested());
    }
}
