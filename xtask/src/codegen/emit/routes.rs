//! The API version: polar-types' `API_VERSION`, and the transport's copy of it.

use super::Emitter;

impl Emitter<'_> {
    pub(super) fn routes(&self) -> String {
        format!(
            "/// The version of Polar's API this crate was generated from (the spec subset's\n\
             /// `info.version`); the SDK sends it as `Polar-Version`.\n\
             pub const API_VERSION: &str = {:?};\n",
            self.api.version
        )
    }
}

/// The transport's copy of the API version, so that it does not depend on polar-types.
pub(super) fn transport_version(version: &str) -> String {
    format!(
        "/// The version of Polar's API the SDK was generated from (the spec subset's `info.version`).\n\
         pub(crate) const API_VERSION: &str = {version:?};\n"
    )
}
