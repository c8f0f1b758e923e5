//! The connections of one load connection, one per target, shared by its
//! lanes: both HTTP/2 clients (the lean path and the `h2` crate's) keep
//! theirs here. When a target has no usable connection, the first lane to
//! ask opens one and the others wait for it, so a target is never
//! connected twice at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;

use super::Endpoint;

/// A connection handle a [`Pool`] keeps: cheap to clone, and able to say
/// whether new streams may still be opened on it.
pub trait Handle: Clone {
    /// True while new streams may be opened.
    fn usable(&self) -> bool;
}

/// One connection slot per target.
pub struct Pool<L> {
    endpoints: Arc<[Endpoint]>,
    live: Vec<RefCell<Option<L>>>,
    /// A lane is connecting this target; the others wait on `opened`.
    connecting: Vec<Cell<bool>>,
    opened: tokio::sync::Notify,
}

impl<L: Handle> Pool<L> {
    /// A pool for `endpoints`, none opened yet.
    pub fn new(endpoints: Arc<[Endpoint]>) -> Pool<L> {
        let n = endpoints.len();
        Pool {
            endpoints,
            live: (0..n).map(|_| RefCell::new(None)).collect(),
            connecting: (0..n).map(|_| Cell::new(false)).collect(),
            opened: tokio::sync::Notify::new(),
        }
    }

    /// The number of targets.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// True when some target has a usable connection.
    pub fn is_open(&self) -> bool {
        self.live
            .iter()
            .any(|l| l.borrow().as_ref().is_some_and(L::usable))
    }

    /// Target `target`'s usable connection, opened with `connect` if it has
    /// none (by this lane, or by another lane already opening it).
    pub async fn get<'a, F, Fut>(&'a self, target: usize, connect: F) -> anyhow::Result<L>
    where
        F: Fn(&'a Endpoint) -> Fut,
        Fut: Future<Output = anyhow::Result<L>>,
    {
        loop {
            if let Some(l) = self.live[target].borrow().as_ref()
                && l.usable()
            {
                return Ok(l.clone());
            }
            if self.connecting[target].get() {
                // Created before the connecting lane can finish (one thread), so not missed.
                self.opened.notified().await;
                continue;
            }
            self.connecting[target].set(true);
            let result = connect(&self.endpoints[target]).await;
            self.connecting[target].set(false);
            self.opened.notify_waiters();
            let l = result?;
            *self.live[target].borrow_mut() = Some(l.clone());
            return Ok(l);
        }
    }

    /// Forgets target `target`'s connection if `is_it` says it is the one
    /// held (the next request reconnects).
    pub fn forget(&self, target: usize, is_it: impl Fn(&L) -> bool) {
        let mut slot = self.live[target].borrow_mut();
        if slot.as_ref().is_some_and(is_it) {
            *slot = None;
        }
    }
}
