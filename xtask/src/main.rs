//! Project automation, run as `cargo xtask <command>`.
//!
//! - `cargo xtask codegen --spec PATH [--check]`: generate `crates/polar-types/src/generated/`
//!   (and the spec-synthesised test instances) from Polar's OpenAPI document.

mod codegen;

use std::{path::PathBuf, process::ExitCode};

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask codegen --spec PATH [--check]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("codegen") => {}
        _ => return usage(),
    }
    let mut spec = None;
    let mut check = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--spec" => spec = args.next().map(PathBuf::from),
            "--check" => check = true,
            other => {
                if let Some(p) = other.strip_prefix("--spec=") {
                    spec = Some(PathBuf::from(p));
                } else {
                    eprintln!("unknown argument `{other}`");
                    return usage();
                }
            }
        }
    }
    let Some(spec) = spec else { return usage() };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    match codegen::run(&spec, &root, check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
