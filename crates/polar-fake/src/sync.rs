//! Lock helpers shared by every part of the fake.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex; a poisoned lock (a panic elsewhere) is taken over rather than propagated.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
