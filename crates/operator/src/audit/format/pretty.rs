//! serde_json's pretty layout for parts of one document rendered apart: a value nested in a
//! document written by hand, and arrays of findings rendered on every core.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Serializer;
use serde_json::ser::Formatter;

/// Writes `value` as the value of a key `depth` levels into a document.
pub fn write_value(value: &impl Serialize, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    value.serialize(&mut Serializer::with_formatter(out, PrettyAt::depth(depth)))?;
    Ok(())
}

/// Writes the items of `parts`, in order, as one array that is the value of a key `depth` levels
/// into a document, each item as `render` makes it, on every core (printing 31 MB of JSON for 72k
/// findings was the largest step of an audit left on one thread).
pub fn write_array<'a, T: Sync, S: Serialize>(
    parts: &[&'a [T]],
    depth: usize,
    render: impl Fn(&'a T) -> S + Sync,
    out: &mut dyn Write,
) -> io::Result<()> {
    if parts.iter().all(|part| part.is_empty()) {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let render_share = |items: &'a [T]| -> io::Result<Vec<u8>> {
        let mut text = Vec::with_capacity(items.len() * 512);
        for item in items {
            // Every item follows a separator, `,` and a new line; the very first has no comma.
            text.push(b',');
            PrettyAt::depth(depth + 1).new_line(&mut text)?;
            render(item).serialize(&mut Serializer::with_formatter(&mut text, PrettyAt::depth(depth + 1)))?;
        }
        Ok(text)
    };
    let mut skip = 1;
    for part in parts {
        crate::parallel::render_in_order(part, render_share, |text| {
            out.write_all(&text[skip..])?;
            skip = 0;
            Ok(())
        })?;
    }
    PrettyAt::depth(depth).new_line(out)?;
    out.write_all(b"]")
}

/// serde_json's pretty layout (two spaces an indent) for a value `depth` levels into a document,
/// so that parts of one document can be rendered apart.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

impl PrettyAt {
    fn depth(depth: usize) -> PrettyAt {
        PrettyAt {
            depth,
            has_value: false,
        }
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn new_line<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        self.indent(writer)
    }

    fn indent<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
    }
}

impl Formatter for PrettyAt {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
