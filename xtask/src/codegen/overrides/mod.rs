//! Facts the generator needs that Polar's document does not state (or states in a way Rust cannot
//! use directly), and the doc lines we write ourselves. The spec's own description sentences are
//! never copied into the subset or the generated code.

mod docs;
mod subset;
mod types;

pub use docs::*;
pub use subset::*;
pub use types::*;
