//! Writing to stdout and stderr without panicking: a closed pipe (`palisade audit | head`) ends
//! the output quietly instead of aborting the process.

use std::io::{self, Write};

/// Writes all of `text` to stdout. A reader that went away is not an error.
pub fn write_stdout(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes one line to stderr; failures to write it are ignored (there is nowhere left to say so).
pub fn error(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
