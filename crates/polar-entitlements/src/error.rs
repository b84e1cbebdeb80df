//! The one error of this crate: Polar gave no answer, and nothing recent enough is known.

use std::sync::Arc;
use std::time::Duration;

/// Why a question could not be answered. The application decides what to do (allow, deny,
/// retry later); the cache never decides for it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Polar could not be asked, or refused (a transport error, a timeout, a 429 past the
    /// call's deadline, a 5xx, a 401 …), and the last known state is missing or older than
    /// the maximum staleness.
    #[error("no usable state for this customer: Polar did not answer ({source}){}", age_note(.last_known_age))]
    Polar {
        /// What the client reported (secrets redacted).
        #[source]
        source: Arc<polar_customers::Error>,
        /// How old the last known state was, if there was one.
        last_known_age: Option<Duration>,
    },
    /// The fetch ended without an answer: its task panicked or the runtime is shutting down.
    #[error("the state fetch ended without an answer")]
    FetchAborted,
}

fn age_note(age: &Option<Duration>) -> String {
    match age {
        Some(age) => format!(
            "; the last known state is {} ms old, past the maximum staleness",
            age.as_millis()
        ),
        None => "; no state of it is known".to_owned(),
    }
}

impl Error {
    /// The client's error, when Polar was asked.
    pub fn polar_error(&self) -> Option<&polar_customers::Error> {
        match self {
            Error::Polar { source, .. } => Some(source),
            Error::FetchAborted => None,
        }
    }
}
