//! Project automation, run as `cargo xtask <command>`.
//!
//! - `cargo xtask codegen [--spec PATH] [--check]`: derive the spec subset (`spec/`) from Polar's
//!   OpenAPI document at PATH, or re-derive it from itself without `--spec`, then generate
//!   `crates/polar-types/src/generated/` (and the transport's API version, and the round-trip
//!   instances) from it. `--check` writes nothing and fails when a file would change.
//! - `cargo xtask public-api [--check]`: write the public API of every publishable crate to
//!   `api/` (needs `cargo-public-api` and a nightly toolchain); `--check` writes nothing and
//!   fails, showing the difference, when the API is not the committed one.

mod codegen;
mod public_api;

use std::{path::PathBuf, process::ExitCode};

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask codegen [--spec PATH] [--check]\n\
         \x20      cargo xtask public-api [--check]\n\
         \n\
         --spec PATH  Polar's full OpenAPI document: derive spec/polar-openapi-subset.json from it\n\
         \x20            (without it, the committed subset is the input)\n\
         --check      write nothing; fail if a generated file (or the subset, or a public API\n\
         \x20            snapshot in api/) would change"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("codegen") => {}
        Some("public-api") => {
            let check = match args.next().as_deref() {
                None => false,
                Some("--check") => true,
                Some(other) => {
                    eprintln!("unknown argument `{other}`");
                    return usage();
                }
            };
            return report("public-api", public_api::run(&workspace_root(), check));
        }
        _ => return usage(),
    }
    let mut options = codegen::Options {
        spec: None,
        check: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--spec" => match args.next() {
                Some(p) => options.spec = Some(PathBuf::from(p)),
                None => {
                    eprintln!("`--spec` needs the path of Polar's OpenAPI document");
                    return usage();
                }
            },
            "--check" => options.check = true,
            other => {
                if let Some(p) = other.strip_prefix("--spec=") {
                    options.spec = Some(PathBuf::from(p));
                } else {
                    eprintln!("unknown argument `{other}`");
                    return usage();
                }
            }
        }
    }
    report("codegen", codegen::run(&options, &workspace_root()))
}

/// The workspace's root directory.
fn workspace_root() -> PathBuf {
    // `cargo run` names the package's directory at run time too. Prefer that to the one compiled
    // in: two checkouts sharing one target directory (the clean-clone check) can leave the other
    // checkout's binary in place, which would otherwise read and write that checkout's files.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.join("..")
}

fn report(command: &str, result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{command}: {e}");
            ExitCode::FAILURE
        }
    }
}
