//! Where manifests come from: the `-f` arguments expanded into files (directories recursively,
//! `*.yaml`, `*.yml` and `*.json`, sorted) or stdin, and reading them as text. Only regular files
//! are read (a FIFO or device could block or never end) and no input may exceed a size limit.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::problem::InputError;

/// Extensions read from directories (any file named explicitly is read whatever its name).
const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
/// The `-f` argument that means stdin.
pub const STDIN: &str = "-";

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// The text of one input, named as the user gave it (`-` for stdin).
pub struct Source {
    pub name: String,
    pub text: String,
    /// Whether the text is JSON (a `.json` file); other text is YAML, or JSON detected on stdin.
    pub json: bool,
}

/// A problem with the arguments themselves: nothing is audited.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{path}")]
    Unreadable {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}: no *.yaml, *.yml or *.json file in this directory or below")]
    NoManifests(String),
    #[error("`-f -` (stdin) may be given only once")]
    StdinTwice,
}

/// The inputs the arguments name, in order; directories expand to their manifest files, sorted
/// by path. Hidden entries (names starting with `.`) inside directories are skipped. Problems
/// below a directory (an unreadable subdirectory) are input errors, not usage errors.
pub fn expand(args: &[String]) -> Result<(Vec<Input>, Vec<InputError>), SourceError> {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == STDIN {
            if inputs.contains(&Input::Stdin) {
                return Err(SourceError::StdinTwice);
            }
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let metadata = fs::metadata(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => SourceError::NotFound(arg.clone()),
            _ => SourceError::Unreadable {
                path: arg.clone(),
                source,
            },
        })?;
        if !metadata.is_dir() {
            inputs.push(Input::File(path.to_path_buf()));
            continue;
        }
        let entries = fs::read_dir(path).map_err(|source| SourceError::Unreadable {
            path: arg.clone(),
            source,
        })?;
        let mut files = Vec::new();
        let mut visited = BTreeSet::new();
        visited.extend(fs::canonicalize(path).ok());
        walk(entries, path, &mut files, &mut errors, &mut visited);
        if files.is_empty() {
            return Err(SourceError::NoManifests(arg.clone()));
        }
        inputs.extend(files.into_iter().map(Input::File));
    }
    Ok((inputs, errors))
}

fn walk(
    entries: fs::ReadDir,
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
    visited: &mut BTreeSet<PathBuf>,
) {
    let mut names: Vec<_> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry.file_name()),
            Err(error) => errors.push(InputError::file(&display(dir), error.to_string())),
        }
    }
    names.sort();
    for name in names {
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = dir.join(&name);
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                errors.push(InputError::file(&display(&path), error.to_string()));
                continue;
            }
        };
        if metadata.is_dir() {
            // Symbolic links may loop back; every directory is walked once.
            let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !visited.insert(canonical) {
                continue;
            }
            match fs::read_dir(&path) {
                Ok(entries) => walk(entries, &path, files, errors, visited),
                Err(error) => errors.push(InputError::file(&display(&path), error.to_string())),
            }
        } else if is_manifest(&path) {
            files.push(path);
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            MANIFEST_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

/// A path as the user would write it.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Reads an input of at most `max_bytes` as UTF-8 text (a leading byte-order mark is dropped).
/// A file that is not a regular file is refused before it is opened.
pub fn read(input: &Input, max_bytes: u64) -> Result<Source, InputError> {
    let (name, bytes) = match input {
        Input::Stdin => (
            STDIN.to_string(),
            read_limited(io::stdin().lock(), STDIN, max_bytes, 0)?,
        ),
        Input::File(path) => {
            let name = display(path);
            let metadata = fs::metadata(path).map_err(|error| InputError::file(&name, error.to_string()))?;
            if !metadata.is_file() {
                return Err(InputError::file(
                    &name,
                    format!(
                        "not a regular file ({}): skipped; pipe its content to `-f -` instead",
                        file_type(&metadata)
                    ),
                ));
            }
            if metadata.len() > max_bytes {
                return Err(too_large(&name, max_bytes));
            }
            let file = fs::File::open(path).map_err(|error| InputError::file(&name, error.to_string()))?;
            let bytes = read_limited(file, &name, max_bytes, metadata.len())?;
            (name, bytes)
        }
    };
    let json = matches!(input, Input::File(path) if path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("json")));
    let mut text = String::from_utf8(bytes).map_err(|_| InputError::file(&name, "not UTF-8 text"))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(Source { name, text, json })
}

/// Reads to the end, refusing to hold more than `max_bytes` (a file may grow while it is read).
/// Room for `expected` bytes (and the one that tells the end) is made at once.
fn read_limited(reader: impl Read, name: &str, max_bytes: u64, expected: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::with_capacity(usize::try_from(expected.saturating_add(1)).unwrap_or(0));
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| InputError::file(name, error.to_string()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(name, max_bytes));
    }
    Ok(bytes)
}

fn too_large(name: &str, max_bytes: u64) -> InputError {
    InputError::file(
        name,
        format!("larger than the {max_bytes}-byte limit: skipped (raise it with --max-file-size)"),
    )
}

fn file_type(metadata: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let file_type = metadata.file_type();
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// A size as bytes, or with a binary suffix as Kubernetes quantities write it: `512Ki`, `64Mi`,
/// `1Gi`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let multiplier: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?}: use bytes or Ki, Mi, Gi")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| "expected a number of bytes, e.g. 64Mi".to_string())?;
    number
        .checked_mul(multiplier)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| "must be between 1 byte and 16Ei".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_extensions() {
        assert!(is_manifest(Path::new("a/b.yaml")));
        assert!(is_manifest(Path::new("b.YML")));
        assert!(is_manifest(Path::new("b.json")));
        assert!(!is_manifest(Path::new("b.txt")));
        assert!(!is_manifest(Path::new("yaml")));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("64Mi"), Ok(64 << 20));
        assert_eq!(parse_size("2Gi"), Ok(2 << 30));
        assert!(parse_size("0").is_err() && parse_size("5MB").is_err() && parse_size("Mi").is_err());
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = std::env::temp_dir().join(format!("palisade-sources-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let big = dir.join("big.yaml");
        fs::write(&big, "a: 1\n".repeat(100)).expect("write");
        let error = read(&Input::File(big.clone()), 10).err().expect("too large");
        assert!(error.message.contains("10-byte limit"), "{error}");
        assert!(read(&Input::File(big), 1000).is_ok());
        let fifo = dir.join("pipe.yaml");
        let _ = fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            // Opening a FIFO with no writer would block: it must be refused before that.
            let error = read(&Input::File(fifo), 1000).err().expect("a FIFO is not read");
            assert!(error.message.starts_with("not a regular file (a FIFO)"), "{error}");
        }
        let device = read(&Input::File("/dev/zero".into()), 1000).err().expect("a device");
        assert!(device.message.contains("a device"), "{device}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn stdin_once_and_missing_paths() {
        let twice = expand(&["-".to_string(), "-".to_string()]);
        assert!(matches!(twice, Err(SourceError::StdinTwice)));
        let missing = expand(&["/nonexistent/palisade.yaml".to_string()]);
        assert!(matches!(missing, Err(SourceError::NotFound(_))));
    }
}
