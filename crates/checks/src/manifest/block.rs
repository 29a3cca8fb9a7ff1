//! A fast reader for the plain block-style YAML that `kubectl get -o yaml`, `helm template` and
//! `kustomize build` print: block mappings and sequences, single-line plain and quoted scalars,
//! block scalars (`|`, `|-`, `>`, `>-`), empty flow collections and comments. Such a document is
//! read several times faster than by the full parser, into exactly the value the full parser
//! gives, or straight into the type that value would be typed as (a Pod, say), with no value
//! built in between ([`de`]). A large `List` is read item by item, its lines one at a time, so
//! it is never held whole.
//!
//! Anything outside that subset makes it give up (`None`) so the full parser reads the document,
//! with its limits and its error messages: anchors, aliases, tags, merge keys, directives, flow
//! collections with content, multi-line plain or quoted scalars, folding beyond joining lines, escapes in quoted scalars, plain
//! scalars the full parser types by rules this reader does not repeat (`yes`, `0x1F`, `1e3`,
//! `.5`, …), duplicate keys, tabs, carriage returns and characters YAML treats specially. The
//! reader never errs: giving up is always safe, so each rule here errs on the side of it.

use std::borrow::Cow;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde_json::Value;

use de::{GiveUp, Node, NodeDeserializer, Scalar};

mod de;

/// Deepest nesting read here; deeper documents go to the full parser and its depth limit.
const MAX_DEPTH: usize = 64;
/// The full parser refuses implicit keys longer than this.
const MAX_KEY_BYTES: usize = 1024;

/// The value of one YAML document whose top level is a block mapping, or `None` when the
/// document is not plain block YAML (see the module's documentation).
pub(super) fn read(text: &str) -> Option<Value> {
    typed(text)
}

/// One YAML document whose top level is a block mapping read straight into `T`, with no value
/// in between: what typing the full parser's value as `T` gives, or `None` when the document is
/// not plain block YAML or its value is not a `T` (the full parser and typing then say why).
pub(crate) fn typed<T: DeserializeOwned>(text: &str) -> Option<T> {
    document(text, std::marker::PhantomData)
}

/// Reads a `…List` document whose top level is a block mapping, handing each entry of its
/// `items` block sequence to `on_item` (with its index) as soon as it is read; the other fields
/// are read and dropped. So a List is never held whole, nor its lines.
///
/// `None` when the document is not plain block YAML or its `items` is not a sequence: the
/// items handed over until then are its first ones, in order (nothing after them had been read),
/// and the caller reads the rest with the full parser.
pub(super) fn read_list(text: &str, on_item: &mut dyn FnMut(usize, Value)) -> Option<()> {
    document(text, super::ListItems(on_item))
}

/// The top-level `apiVersion` and `kind` of a document when both are plain or quoted one-line
/// strings, found by its lines alone: a line that starts with a key can only be a top-level
/// key (block scalars and continued lines inside a top-level mapping are indented). Only the
/// lines up to both are read (tools print them first): typing the document reads every line,
/// refuses a key written twice, and checks both again, as every object's type knows its own.
pub(crate) fn header(text: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let (mut api_version, mut kind) = (None, None);
    for line in text.lines().filter(|line| line.starts_with(['a', 'k'])) {
        if api_version.is_some() && kind.is_some() {
            break;
        }
        let Some((key, rest)) = split_simple_key(line) else {
            continue;
        };
        let field = match key.as_ref() {
            "apiVersion" => &mut api_version,
            "kind" => &mut kind,
            _ => continue,
        };
        let rest = rest.trim_start_matches(' ');
        let value = match rest.as_bytes().first()? {
            b'"' | b'\'' => quoted(rest).filter(|(_, after)| ends_line(after))?.0,
            _ => match plain(rest)? {
                Scalar::String(value) => value,
                _ => return None,
            },
        };
        if field.replace(value).is_some() {
            return None;
        }
    }
    Some((api_version?, kind?))
}

/// Reads a whole document as `seed` makes it, its top level a block mapping.
fn document<'a, S: DeserializeSeed<'a>>(text: &'a str, seed: S) -> Option<S::Value> {
    let mut reader = Reader::new(text)?;
    if reader.peek()?.indent != 0 {
        return None;
    }
    let top = Node::Mapping {
        indent: 0,
        depth: 1,
        first: None,
    };
    let value = seed.deserialize(NodeDeserializer::new(&mut reader, top)).ok()?;
    // Every line with content must have been read: at the top level a line less indented
    // than the mapping cannot occur, so anything left is outside the subset.
    match reader.peek() {
        None => Some(value),
        Some(_) => None,
    }
}

/// No tab, carriage return or other control character, and none of the characters some YAML
/// versions read as line breaks or byte-order marks.
fn plain_characters(text: &str) -> bool {
    let control = |byte: u8| (byte < 0x20 && byte != b'\n') || byte == 0x7F;
    let special = |c: char| {
        matches!(
            c,
            '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
    };
    // Folded a block at a time so the compiler can test many bytes at once.
    !text
        .as_bytes()
        .chunks(64)
        .any(|block| block.iter().fold(false, |found, &byte| found | control(byte)))
        && (text.is_ascii() || !text.chars().any(special))
}

/// Whether a line starts with `-`, `.` or `%`, as document markers, end markers and directives
/// do, so only such texts pay for looking at their lines. A marker alone on the first line, as
/// every document but a file's first begins, does not count: the reader reads it as a blank line.
fn has_marker_like_line(text: &str) -> bool {
    let body = after_leading_marker(text).as_bytes();
    let marker_like = |byte: u8| matches!(byte, b'-' | b'.' | b'%');
    let after_a_break = body
        .iter()
        .zip(body.get(1..).unwrap_or_default())
        .fold(false, |found, (&before, &byte)| {
            found | (before == b'\n' && marker_like(byte))
        });
    body.first().is_some_and(|&byte| marker_like(byte)) || after_a_break
}

/// Whether no end marker or directive starts a line and every document marker comes before the
/// content, alone on its line or with a comment.
fn one_document(text: &str) -> bool {
    let mut content_seen = false;
    for line in text.split_inclusive('\n').map(Line::of) {
        if line.indent == 0 {
            if let Some(after) = line.text.strip_prefix("---") {
                // A document marker is only read before the content. Whatever else follows it is
                // left to the full parser.
                let after = after.trim_start_matches(' ');
                if content_seen || !(after.is_empty() || after.starts_with('#')) {
                    return false;
                }
            } else if line.text.starts_with("...") || line.text.starts_with('%') {
                return false;
            }
        }
        content_seen |= line.has_content();
    }
    true
}

/// The text after its first line when that line is a document marker alone or with a comment.
fn after_leading_marker(text: &str) -> &str {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    match first.strip_prefix("---").map(|after| after.trim_start_matches(' ')) {
        Some(after) if after.is_empty() || after.starts_with('#') => rest,
        _ => text,
    }
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// The rest of the line, without its line break; empty for a blank line.
    text: &'a str,
    /// Whether the line ends with a line break (only the last line of a text may not).
    broken: bool,
}

impl<'a> Line<'a> {
    /// A line as split off its text, its line break included.
    fn of(raw: &'a str) -> Line<'a> {
        let (body, broken) = match raw.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let text = body.trim_start_matches(' ');
        Line {
            indent: body.len() - text.len(),
            text,
            broken,
        }
    }

    fn has_content(&self) -> bool {
        !self.text.is_empty() && !self.text.starts_with('#')
    }
}

/// The lines of a text, each with its line break. Found by `memchr`'s search, which tests many
/// bytes at once where the standard library's looks at a line this short a byte at a time.
struct RawLines<'a>(&'a str);

impl<'a> Iterator for RawLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = memchr::memchr(b'\n', self.0.as_bytes()).map_or(self.0.len(), |at| at + 1);
        let (line, rest) = self.0.split_at_checked(end)?;
        self.0 = rest;
        (!line.is_empty()).then_some(line)
    }
}

/// Reads lines one at a time: a `List` of 100k pods has six million of them, too many to keep.
struct Reader<'a> {
    raw: RawLines<'a>,
    /// The line the reader is at, once taken from `raw`.
    current: Option<Line<'a>>,
}

impl<'a> Reader<'a> {
    /// A reader of `text`, unless it has characters outside the subset (see [`plain_characters`])
    /// or a line marks it as more than one document or as using directives (the caller cuts a
    /// text into documents at its markers; see [`one_document`]).
    fn new(text: &'a str) -> Option<Self> {
        if !plain_characters(text) || (has_marker_like_line(text) && !one_document(text)) {
            return None;
        }
        Some(Reader {
            raw: RawLines(text),
            current: None,
        })
    }

    /// The line the reader is at, blank or not (a document marker reads as a blank line).
    fn line(&mut self) -> Option<Line<'a>> {
        if self.current.is_none() {
            self.current = self.raw.next().map(|raw| {
                let line = Line::of(raw);
                match line.indent == 0 && line.text.starts_with("---") {
                    true => Line { text: "", ..line },
                    false => line,
                }
            });
        }
        self.current
    }

    /// Moves past the line the reader is at.
    fn advance(&mut self) {
        self.current = None;
    }

    /// The next line with content; blank and comment lines before it are passed over.
    fn peek(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.line() {
            if line.has_content() {
                return Some(line);
            }
            self.advance();
        }
        None
    }

    /// What the value of a mapping key at `indent` is, given what follows its colon on the key's
    /// line; a scalar is read, a collection is read as it is deserialized.
    fn value_of_key(&mut self, rest: &'a str, indent: usize, depth: usize) -> Result<Node<'a>, GiveUp> {
        let rest = rest.trim_start_matches(' ');
        if !(rest.is_empty() || rest.starts_with('#')) {
            return self.inline(rest, indent, indent + 1);
        }
        Ok(match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
            // A sequence may sit at its key's own indentation, as kubectl prints it.
            Some(next) if next.indent == indent && is_entry(next.text) => Node::Sequence {
                indent,
                depth: depth + 1,
            },
            _ => Node::Scalar(Scalar::Null),
        })
    }

    /// A block mapping or sequence at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Node<'a> {
        match self.peek() {
            Some(line) if is_entry(line.text) => Node::Sequence { indent, depth },
            _ => Node::Mapping {
                indent,
                depth,
                first: None,
            },
        }
    }

    /// The next entry of a block sequence whose `-` are at `indent`, `None` after the last.
    fn entry(&mut self, indent: usize, depth: usize) -> Result<Option<Node<'a>>, GiveUp> {
        let Some(line) = self.peek() else { return Ok(None) };
        if line.indent < indent || (line.indent == indent && !is_entry(line.text)) {
            return Ok(None);
        }
        if line.indent > indent {
            return Err(GiveUp);
        }
        let after_dash = &line.text[1..];
        let rest = after_dash.trim_start_matches(' ');
        self.advance();
        let node = if rest.is_empty() || rest.starts_with('#') {
            match self.peek() {
                Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
                _ => Node::Scalar(Scalar::Null),
            }
        } else if is_entry(rest) {
            return Err(GiveUp);
        } else if let Some(first) = split_key(rest) {
            // A mapping that starts on the entry's line: its keys line up with the first.
            Node::Mapping {
                indent: indent + 1 + (after_dash.len() - rest.len()),
                depth: depth + 1,
                first: Some(first),
            }
        } else {
            self.inline(rest, indent, indent + 2)?
        };
        Ok(Some(node))
    }

    /// The next key of a block mapping whose keys are at `indent` and what follows its colon,
    /// `None` after the last.
    fn key(&mut self, indent: usize) -> Result<Option<(Cow<'a, str>, &'a str)>, GiveUp> {
        let Some(line) = self.peek() else { return Ok(None) };
        if line.indent < indent {
            return Ok(None);
        }
        if line.indent > indent {
            return Err(GiveUp);
        }
        self.advance();
        split_key(line.text).map(Some).ok_or(GiveUp)
    }

    /// A value written on its key's or entry's line (`rest`, not empty, no comment), under a
    /// parent at `indent`. A literal block scalar's lines must be indented at least
    /// `content_indent`.
    fn inline(&mut self, rest: &'a str, indent: usize, content_indent: usize) -> Result<Node<'a>, GiveUp> {
        let scalar = match rest.as_bytes()[0] {
            b'"' | b'\'' => {
                let (text, after) = quoted(rest).ok_or(GiveUp)?;
                if !ends_line(after) {
                    return Err(GiveUp);
                }
                Scalar::String(text)
            }
            b'|' | b'>' => {
                let keep_last_break = match rest[1..].trim_end_matches(' ') {
                    "" => true,
                    "-" => false,
                    _ => return Err(GiveUp),
                };
                let text = self
                    .block_scalar(content_indent, rest.starts_with('>'), keep_last_break)
                    .ok_or(GiveUp)?;
                return Ok(Node::Scalar(Scalar::String(Cow::Owned(text))));
            }
            b'[' | b'{' => match rest.trim_end_matches(' ') {
                "[]" => Scalar::EmptySequence,
                "{}" => Scalar::EmptyMapping,
                _ => return Err(GiveUp),
            },
            _ => plain(rest).ok_or(GiveUp)?,
        };
        // A more indented line after a one-line scalar continues it (or is an error).
        match self.peek() {
            Some(next) if next.indent > indent => Err(GiveUp),
            _ => Ok(Node::Scalar(scalar)),
        }
    }

    /// The lines of a block scalar, its header already read: every line indented at least as
    /// much as its first (which must be at least `content_indent`), blank lines between them
    /// kept; the last line break kept (`|`, `>`) or not (`|-`, `>-`), trailing blank lines
    /// dropped. A folded scalar (`>`) is read only when its lines are all at one indentation
    /// with no blank line between them (as tools print a long string); they join with spaces.
    fn block_scalar(&mut self, content_indent: usize, folded: bool, keep_last_break: bool) -> Option<String> {
        let mut text = String::new();
        let mut block_indent = None;
        let mut blank_lines = 0;
        while let Some(line) = self.line() {
            if line.text.is_empty() {
                // Spaces beyond the block's indentation on a blank line are content; blank lines
                // before the first line are read differently by YAML versions: both left out.
                if block_indent.is_none_or(|indent| line.indent > indent) {
                    return None;
                }
                blank_lines += 1;
                self.advance();
                continue;
            }
            let indent = match block_indent {
                Some(indent) if line.indent < indent => break,
                Some(indent) => indent,
                None if line.indent < content_indent => return None,
                None => *block_indent.insert(line.indent),
            };
            if !line.broken || (folded && (blank_lines > 0 || line.indent > indent || line.text.ends_with(' '))) {
                return None;
            }
            if folded && !text.is_empty() {
                text.pop();
                text.push(' ');
            }
            for _ in 0..blank_lines {
                text.push('\n');
            }
            blank_lines = 0;
            text.extend(std::iter::repeat_n(' ', line.indent - indent));
            text.push_str(line.text);
            text.push('\n');
            self.advance();
        }
        block_indent?;
        if !keep_last_break {
            text.pop();
        }
        Some(text)
    }
}

/// A block sequence entry: `-` alone or followed by a space.
fn is_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The key of a `key: value` line and what follows its colon, when the line is one and its key
/// is a string the full parser reads alike.
fn split_key(text: &str) -> Option<(Cow<'_, str>, &str)> {
    if let Some(split) = split_simple_key(text) {
        return Some(split);
    }
    if text.starts_with(['"', '\'']) {
        let (key, after) = quoted(text)?;
        let rest = after.strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    let colon = text
        .match_indices(':')
        .map(|(at, _)| at)
        .find(|&at| text[at + 1..].is_empty() || text[at + 1..].starts_with(' '))?;
    let key = &text[..colon];
    if key.len() > MAX_KEY_BYTES || key.ends_with(' ') || key == "<<" || key.contains(" #") {
        return None;
    }
    match plain(key)? {
        Scalar::String(key) => Some((key, &text[colon + 1..])),
        _ => None,
    }
}

/// [`split_key`] for the keys objects are made of (`apiVersion`, `app.kubernetes.io/name`): a
/// letter, then letters, digits and `-_./` up to the colon. No such key is structure, a comment
/// or a number, so it is the string it reads as unless it is a word the full parser types
/// (`true`, `null`, `on`, …), which is left to the general reading.
fn split_simple_key(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let colon = bytes
        .iter()
        .position(|&byte| !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'/')))?;
    let key = &text[..colon];
    let ends_key = bytes[colon] == b':' && matches!(bytes.get(colon + 1), None | Some(b' '));
    (ends_key && key.len() <= MAX_KEY_BYTES && !is_typed_word(key)).then(|| (Cow::Borrowed(key), &text[colon + 1..]))
}

/// A single-line quoted scalar at the start of `text` and what follows it. Escapes in double
/// quotes are left to the full parser.
fn quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let quote = text.chars().next()?;
    let body = &text[1..];
    if quote == '"' {
        let end = body.find(['"', '\\'])?;
        return (body.as_bytes()[end] == b'"').then(|| (Cow::Borrowed(&body[..end]), &body[end + 1..]));
    }
    let end = body.find('\'')?;
    if !body[end + 1..].starts_with('\'') {
        return Some((Cow::Borrowed(&body[..end]), &body[end + 1..]));
    }
    // A quote written twice stands for one.
    let mut value = String::new();
    let mut rest = body;
    loop {
        let end = rest.find('\'')?;
        value.push_str(&rest[..end]);
        match rest[end + 1..].strip_prefix('\'') {
            Some(after) => {
                value.push('\'');
                rest = after;
            }
            None => return Some((Cow::Owned(value), &rest[end + 1..])),
        }
    }
}

/// Whether what follows a quoted scalar ends its line: nothing, spaces, or spaces and a comment.
fn ends_line(after: &str) -> bool {
    let trimmed = after.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < after.len())
}

/// A one-line plain scalar (its comment cut off) typed as the full parser types it, or `None`
/// when the full parser could type it by rules not repeated here or read it as structure.
fn plain(text: &str) -> Option<Scalar<'_>> {
    let (text, colon_space) = cut_comment(text);
    let text = text.trim_end_matches(' ');
    let mut chars = text.chars();
    let first = chars.next()?;
    let second = chars.next();
    let indicator = matches!(
        first,
        '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`'
    );
    if indicator || colon_space || text.ends_with(':') {
        return None;
    }
    if first.is_ascii_digit() || (first == '-' && second.is_some_and(|c| c.is_ascii_digit())) {
        return numeric(text);
    }
    if first == '-' && !second.is_some_and(|c| c == '-' || c.is_ascii_alphabetic()) {
        return None;
    }
    if matches!(first, '+' | '.' | '~') {
        return (text == "~").then_some(Scalar::Null);
    }
    match text {
        "null" | "Null" | "NULL" => return Some(Scalar::Null),
        "true" => return Some(Scalar::Bool(true)),
        "false" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    (!is_typed_word(text)).then_some(Scalar::String(Cow::Borrowed(text)))
}

/// A word some YAML version types as a boolean, null or float in some spelling.
fn is_typed_word(text: &str) -> bool {
    const TYPED_WORDS: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf", "infinity",
    ];
    const LONGEST_TYPED_WORD: usize = "infinity".len();
    text.len() <= LONGEST_TYPED_WORD && TYPED_WORDS.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// The text before a ` #` comment, and whether a `: ` comes before it: one pass over the
/// spaces, as every key and value of a document is read through here.
fn cut_comment(text: &str) -> (&str, bool) {
    let bytes = text.as_bytes();
    let mut colon_space = false;
    for (at, byte) in bytes.iter().enumerate() {
        if *byte != b' ' {
            continue;
        }
        if bytes.get(at + 1) == Some(&b'#') {
            return (&text[..at], colon_space);
        }
        colon_space |= at > 0 && bytes[at - 1] == b':';
    }
    (text, colon_space)
}

/// A scalar that starts with a digit: a decimal integer, or a string when it has a character no
/// number the full parser reads has (`128Mi`, `100m`, `8080/TCP`, `0.0.0.0/0`). Other numbers
/// (`0.5`, `0x1F`, `1_000`, `1e3`, `0777`) and the strings made only of such characters are
/// left to the full parser.
fn numeric(text: &str) -> Option<Scalar<'_>> {
    const NUMBER_CHARACTERS: &str = "0123456789abcdefABCDEF_.+-xXoOpPnNiItTyY";
    match integer(text) {
        Some(number) => Some(number),
        None if text.chars().all(|c| NUMBER_CHARACTERS.contains(c)) => None,
        None => Some(Scalar::String(Cow::Borrowed(text))),
    }
}

/// A decimal integer without sign, leading zeros or separators, small enough for any integer
/// type (`-?(0|[1-9][0-9]{0,17})`).
fn integer(text: &str) -> Option<Scalar<'static>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(text.starts_with('-') && digits == "0");
    if !canonical {
        return None;
    }
    text.parse::<i64>().ok().map(Scalar::Integer)
}

#[cfg(test)]
mod tests;
