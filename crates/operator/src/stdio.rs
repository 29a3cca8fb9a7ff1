//! Writing to stdout and stderr without panicking: a closed pipe (`palisade audit | head`) ends
//! the output quietly instead of aborting the process.

use std::io::{self, Write};

/// Writes all of `text` to stdout. A reader that went away is not an error.
pub fn write_stdout(text: &str) -> io::Result<()> {
    stream_stdout(|out| out.write_all(text.as_bytes()))
}

/// Streams output to stdout through `write`, buffered, so large reports are never held whole
/// in memory. A reader that went away is not an error.
pub fn stream_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes one line to stderr; failures to write it are ignored (there is nowhere left to say so).
pub fn error(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
