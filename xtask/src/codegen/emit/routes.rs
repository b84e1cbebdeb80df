//! The table of routes (`Route`, one variant per params type) and the API version.

use std::fmt::Write;

use super::{
    Emitter,
    params::{params_type, route_variant},
};

impl Emitter<'_> {
    pub(super) fn routes(&self) -> String {
        let ops = &self.api.operations;
        let mut out = String::from("use crate::*;\n\n");
        writeln!(
            out,
            "/// The version of Polar's API this crate was generated from (the spec subset's\n\
             /// `info.version`); the SDK sends it as `Polar-Version`.\n\
             pub const API_VERSION: &str = {:?};\n",
            self.api.version
        )
        .unwrap();
        out.push_str(
            "/// Every route this crate has a params type for: the operation, its HTTP method and its path\n\
             /// template.\n\
             ///\n\
             /// Each params type names its own as `ROUTE`. A `match` on a route handles every operation\n\
             /// in one place: a route added by a newer spec is a compile error until it is handled.\n\
             /// Routes order as [`Route::ALL`] lists them.\n\
             #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Route {\n",
        );
        for op in ops {
            let id = &op.op.operation_id;
            writeln!(
                out,
                "    /// `{} {}` (`{id}`, [`{}`]).\n    {},",
                op.method,
                op.path,
                params_type(id),
                route_variant(id)
            )
            .unwrap();
        }
        out.push_str("}\n\nimpl Route {\n");
        writeln!(
            out,
            "    /// Every route, in the order of the generated params types.\n    pub const ALL: [Route; {}] = [",
            ops.len()
        )
        .unwrap();
        for op in ops {
            writeln!(
                out,
                "        Route::{},",
                route_variant(&op.op.operation_id)
            )
            .unwrap();
        }
        out.push_str("    ];\n\n");
        for (doc, signature, item) in [
            (
                "The operation's ID in Polar's API document (`customers:list`).",
                "operation_id(self) -> &'static str",
                "OPERATION_ID",
            ),
            (
                "The HTTP method.",
                "method(self) -> ::http::Method",
                "METHOD",
            ),
            (
                "The path template; `{name}` marks a path parameter.",
                "template(self) -> &'static str",
                "PATH",
            ),
        ] {
            writeln!(
                out,
                "    /// {doc}\n    pub const fn {signature} {{\n        match self {{"
            )
            .unwrap();
            for op in ops {
                let id = &op.op.operation_id;
                writeln!(
                    out,
                    "            Route::{} => {}::{item},",
                    route_variant(id),
                    params_type(id)
                )
                .unwrap();
            }
            out.push_str("        }\n    }\n\n");
        }
        out.push_str(
            "    /// The route of an operation ID, if this crate covers it.\n    \
             pub fn from_operation_id(id: &str) -> Option<Route> {\n        \
             Route::ALL.into_iter().find(|r| r.operation_id() == id)\n    }\n}\n",
        );
        out
    }
}

/// The transport's copy of the API version, so that it does not depend on polar-types.
pub(super) fn transport_version(version: &str) -> String {
    format!(
        "/// The version of Polar's API the SDK was generated from (the spec subset's `info.version`).\n\
         pub(crate) const API_VERSION: &str = {version:?};\n"
    )
}
