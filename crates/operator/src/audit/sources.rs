//! Where manifests come from: the `-f` arguments expanded into files (directories recursively,
//! `*.yaml`, `*.yml` and `*.json`, sorted) or stdin, and reading them as text.

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

/// Reads an input as UTF-8 text (a leading byte-order mark is dropped).
pub fn read(input: &Input) -> Result<Source, InputError> {
    let (name, bytes) = match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|error| InputError::file(STDIN, error.to_string()))?;
            (STDIN.to_string(), bytes)
        }
        Input::File(path) => {
            let name = display(path);
            let bytes = fs::read(path).map_err(|error| InputError::file(&name, error.to_string()))?;
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
    fn stdin_once_and_missing_paths() {
        let twice = expand(&["-".to_string(), "-".to_string()]);
        assert!(matches!(twice, Err(SourceError::StdinTwice)));
        let missing = expand(&["/nonexistent/palisade.yaml".to_string()]);
        assert!(matches!(missing, Err(SourceError::NotFound(_))));
    }
}
