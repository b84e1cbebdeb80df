//! Knowledge of polar-transport's own error types, kept in one place.

/// True when `err` is one of the transport's timeout errors.
pub(crate) fn is_transport_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    err.downcast_ref::<polar_transport::Error>()
        .is_some_and(polar_transport::Error::is_timeout)
}

/// The transport's error somewhere in the chain of `err`, if any.
pub(crate) fn find_transport_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a polar_transport::Error> {
    polar_transport::error::chain(err).find_map(|e| e.downcast_ref::<polar_transport::Error>())
}
