//! The `[--serve PORT]` argument of the examples that demonstrate themselves end to end by
//! default (`upgrade`, `proxy`) and keep serving on PORT when asked.

/// `Some(PORT)` for `--serve PORT`, `None` for no arguments; anything else prints
/// `usage: NAME [--serve PORT]` and exits with status 2.
pub fn serve_flag(name: &str) -> Option<u16> {
    let mut args = std::env::args().skip(1);
    match (
        args.next().as_deref(),
        args.next().map(|p| p.parse::<u16>()),
    ) {
        (None, _) => None,
        (Some("--serve"), Some(Ok(p))) => Some(p),
        _ => {
            eprintln!("usage: {name} [--serve PORT]");
            std::process::exit(2);
        }
    }
}
