//! Plain-text tables with aligned columns, as `kubectl get` prints them: fitted to a terminal's
//! width and colored when printed to one, never raw control characters.

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};

/// Narrowest a column other than the last is narrowed to (its header stays whole).
const MIN_COLUMN: usize = 6;
/// Narrowest the last column is wrapped to before other columns are narrowed for it.
const MIN_LAST_COLUMN: usize = 24;
const SEPARATOR: &str = "   ";

/// How to print for where the output goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Width to fit lines to (a terminal's): wide cells wrap. `None` prints every cell on one line.
    pub width: Option<usize>,
    /// Whether cells are colored (ANSI SGR).
    pub color: bool,
}

impl Layout {
    /// The layout for stdout: fitted and colored only on a terminal. `NO_COLOR` (any non-empty
    /// value, <https://no-color.org>) turns color off; `COLUMNS` overrides the terminal's width.
    pub fn for_stdout() -> Layout {
        let stdout = std::io::stdout();
        let terminal = stdout.is_terminal();
        let measured = terminal
            .then(|| terminal_size::terminal_size_of(&stdout))
            .flatten()
            .map(|(terminal_size::Width(width), _)| usize::from(width));
        Layout::detect(
            terminal,
            std::env::var_os("NO_COLOR"),
            std::env::var_os("COLUMNS"),
            measured,
        )
    }

    fn detect(
        terminal: bool,
        no_color: Option<OsString>,
        columns: Option<OsString>,
        measured: Option<usize>,
    ) -> Layout {
        if !terminal {
            return Layout::default();
        }
        let columns = columns.and_then(|columns| columns.to_str()?.trim().parse::<usize>().ok());
        Layout {
            width: columns.or(measured).filter(|width| *width > 0),
            color: no_color.is_none_or(|value| value.is_empty()),
        }
    }
}

/// A color for a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Bold,
    BoldRed,
    Red,
    Yellow,
    Cyan,
    Dim,
}

impl Style {
    fn sgr(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::BoldRed => "1;31",
            Style::Red => "31",
            Style::Yellow => "33",
            Style::Cyan => "36",
            Style::Dim => "2",
        }
    }

    /// `text` in this style when `color` is on.
    pub fn paint(self, text: &str, color: bool) -> Cow<'_, str> {
        if color {
            Cow::Owned(format!("\x1b[{}m{text}\x1b[0m", self.sgr()))
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// Text with every control character (and every invisible character that reorders text) in a
/// visible escaped form such as `\u{1b}` or `\n`, so input cannot move the cursor, clear the
/// screen or disguise itself on a terminal.
pub fn visible(text: &str) -> Cow<'_, str> {
    if is_printable_ascii(text) || !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Nearly every cell is printable ASCII, which a byte scan proves without decoding characters.
fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|byte| (b' '..=b'~').contains(&byte))
}

/// How many characters `text` takes once made [`visible`].
fn visible_width(text: &str) -> usize {
    if is_printable_ascii(text) {
        text.len()
    } else {
        visible(text).chars().count()
    }
}

fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Renders a header and rows; every column but the last is padded to its widest cell, columns
/// are separated by three spaces, and no line ends with whitespace.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    render_fitted(header, rows, Layout::default(), |_, _| None)
}

/// [`render`] for a [`Layout`]: cells are made [`visible`], and the cells `style` picks a style
/// for (by column and text) colored when the layout colors. With a width, columns narrow to fit
/// it and a cell wider than its column wraps onto more lines: nothing is cut off.
pub fn render_fitted<C: AsRef<str> + Sync>(
    header: &[&str],
    rows: &[Vec<C>],
    layout: Layout,
    style: impl Fn(usize, &str) -> Option<Style> + Sync,
) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail, and every byte written comes from a `str`.
    let _ = write_rows(&mut out, header, rows, cells_of, layout, style);
    String::from_utf8(out).unwrap_or_default()
}

/// [`render_fitted`] written to `out` a batch of lines at a time, of rows whose cells are made by
/// `cells` when needed (twice: once to measure the columns, once to print), so a table of 72k
/// findings holds neither its cells nor its text at once; both passes run on every core.
pub fn write_rows<'a, R: Sync, C: AsRef<str>>(
    out: &mut dyn Write,
    header: &[&str],
    rows: &'a [R],
    cells: impl Fn(&'a R) -> Vec<C> + Sync,
    layout: Layout,
    style: impl Fn(usize, &str) -> Option<Style> + Sync,
) -> io::Result<()> {
    let columns = header.len();
    let header_widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    let measure = |share: &'a [R]| {
        let mut widths = header_widths.clone();
        for row in share {
            for (width, cell) in widths.iter_mut().zip(cells(row)) {
                *width = (*width).max(visible_width(cell.as_ref()));
            }
        }
        widths
    };
    let mut widths = header_widths.clone();
    for share in crate::parallel::by_share(rows, measure) {
        for (width, measured) in widths.iter_mut().zip(share) {
            *width = (*width).max(measured);
        }
    }
    if let Some(limit) = layout.width {
        fit(&mut widths, header, limit);
    }

    let header: Vec<Cow<'_, str>> = header.iter().map(|cell| Cow::Borrowed(*cell)).collect();
    write_row(out, &mut String::new(), &header, &widths, layout, &|_| None)?;
    let print = |share: &'a [R]| -> io::Result<Vec<u8>> {
        let mut text = Vec::new();
        let mut line = String::new();
        for row in share {
            let row = cells(row);
            let row = visible_cells(&row, columns);
            write_row(&mut text, &mut line, &row, &widths, layout, &|column| {
                style(column, &row[column])
            })?;
        }
        Ok(text)
    };
    crate::parallel::render_in_order(rows, print, |text| out.write_all(text))
}

/// Writes a row: one line when its cells fit their columns (or nothing is fitted), else the
/// lines its wrapped cells take.
fn write_row(
    out: &mut dyn Write,
    line: &mut String,
    row: &[Cow<'_, str>],
    widths: &[usize],
    layout: Layout,
    style: &impl Fn(usize) -> Option<Style>,
) -> io::Result<()> {
    if layout.width.is_none() || fits(row, widths) {
        return write_line(out, line, row.iter().map(AsRef::as_ref), widths, style, layout.color);
    }
    let pieces: Vec<Vec<String>> = row.iter().zip(widths).map(|(cell, width)| wrap(cell, *width)).collect();
    let height = pieces.iter().map(Vec::len).max().unwrap_or(1);
    for line_index in 0..height {
        let cells = pieces
            .iter()
            .map(|cell_pieces| cell_pieces.get(line_index).map_or("", String::as_str));
        write_line(out, line, cells, widths, style, layout.color)?;
    }
    Ok(())
}

fn cells_of<'a, R: AsRef<[C]>, C: AsRef<str> + 'a>(row: &'a R) -> Vec<&'a str> {
    row.as_ref().iter().map(AsRef::as_ref).collect()
}

fn visible_cells<C: AsRef<str>>(row: &[C], columns: usize) -> Vec<Cow<'_, str>> {
    row.iter().take(columns).map(|cell| visible(cell.as_ref())).collect()
}

/// Whether every cell of `row` fits its column, so the row is one line as it is.
fn fits(row: &[Cow<'_, str>], widths: &[usize]) -> bool {
    row.iter()
        .zip(widths)
        .all(|(cell, width)| cell.chars().count() <= *width)
}

/// Writes one line of cells, padded to `widths` but the last, through `line` (reused between
/// lines so a line costs no allocation).
fn write_line<'a>(
    out: &mut dyn Write,
    line: &mut String,
    cells: impl Iterator<Item = &'a str>,
    widths: &[usize],
    style: &impl Fn(usize) -> Option<Style>,
    color: bool,
) -> io::Result<()> {
    line.clear();
    for (column, (text, width)) in cells.zip(widths).enumerate() {
        if column > 0 {
            line.push_str(SEPARATOR);
        }
        match style(column) {
            Some(cell_style) if !text.is_empty() => line.push_str(&cell_style.paint(text, color)),
            _ => line.push_str(text),
        }
        if column + 1 < widths.len() {
            let padding = width.saturating_sub(text.chars().count());
            line.extend(std::iter::repeat_n(' ', padding));
        }
    }
    let trimmed = line.trim_end().len();
    line.truncate(trimmed);
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// Narrows the columns to fit `limit`: the last column takes what the others leave; when that is
/// less than [`MIN_LAST_COLUMN`], the widest other columns give way, down to [`MIN_COLUMN`] or
/// their header. Lines that still do not fit keep the last column at [`MIN_LAST_COLUMN`].
fn fit(widths: &mut [usize], header: &[&str], limit: usize) {
    let Some((last, others)) = widths.split_last_mut() else {
        return;
    };
    let separators = SEPARATOR.len() * others.len();
    let room = |others: &[usize]| limit.saturating_sub(others.iter().sum::<usize>() + separators);
    let wanted = MIN_LAST_COLUMN.min(*last);
    while room(others) < wanted {
        let narrowest = |column: usize| {
            header
                .get(column)
                .map_or(0, |cell| cell.chars().count())
                .max(MIN_COLUMN)
        };
        let widest = others
            .iter()
            .enumerate()
            .filter(|(column, width)| **width > narrowest(*column))
            .max_by_key(|(_, width)| **width)
            .map(|(column, _)| column);
        match widest {
            Some(column) => others[column] -= 1,
            None => break,
        }
    }
    *last = (*last).min(room(others).max(wanted));
}

/// A line of free text for a [`Layout`]: made [`visible`] and wrapped to its width.
pub fn fit_line(text: &str, layout: Layout) -> String {
    let text = visible(text);
    match layout.width {
        Some(width) => wrap(&text, width).join("\n"),
        None => text.into_owned(),
    }
}

/// The text in lines of at most `width` characters, broken at spaces, or else after a `/`, `.`,
/// `-` or `:` (paths and ids), or else anywhere.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(line.drain(..).collect());
        }
        if !line.is_empty() {
            line.push(' ');
        }
        while line.len() + word.len() > width {
            let room = width - line.len();
            let cut = word[..room]
                .iter()
                .rposition(|c| matches!(c, '/' | '.' | '-' | ':'))
                .map_or(room, |at| at + 1);
            let rest = word.split_off(cut);
            line.extend(word);
            lines.push(line.drain(..).collect());
            word = rest;
        }
        line.extend(word);
    }
    lines.push(line.into_iter().collect());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| (*cell).to_string()).collect())
            .collect()
    }

    #[test]
    fn rows_keep_their_order_across_batches_and_cores() {
        let rows: Vec<Vec<String>> = (0..2 * crate::parallel::BATCH + 3)
            .map(|index| vec![format!("row-{index}"), "x".to_string()])
            .collect();
        let table = render(&["ROW", "X"], &rows);
        let printed: Vec<&str> = table
            .lines()
            .skip(1)
            .map(|line| line.split_whitespace().next().unwrap_or_default())
            .collect();
        let expected: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        assert_eq!(printed, expected);
    }

    #[test]
    fn columns_align_and_lines_have_no_trailing_space() {
        let rows = cells(&[&["a", "long cell", "x"], &["bbb", "", "y y"]]);
        assert_eq!(
            render(&["H1", "H2", "H3"], &rows),
            "H1    H2          H3\na     long cell   x\nbbb               y y\n"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_columns_still_align() {
        assert_eq!(visible("plain"), Cow::Borrowed("plain"));
        assert_eq!(
            visible("a\x1b[2Jb\nc\u{202e}d\u{7f}"),
            "a\\u{1b}[2Jb\\nc\\u{202e}d\\u{7f}"
        );
        let rows = cells(&[&["\x1b[31mred", "x"], &["ok", "tab\there"]]);
        assert_eq!(
            render(&["NAME", "NOTE"], &rows),
            "NAME            NOTE\n\\u{1b}[31mred   x\nok              tab\\there\n"
        );
    }

    #[test]
    fn wide_cells_wrap_within_the_width_and_nothing_is_cut_off() {
        let rows = cells(&[&["short", "a fairly long message that needs wrapping"]]);
        let layout = Layout {
            width: Some(30),
            color: false,
        };
        let table = render_fitted(&["NAME", "MESSAGE"], &rows, layout, |_, _| None);
        assert_eq!(
            table,
            "NAME    MESSAGE\nshort   a fairly long message\n        that needs wrapping\n"
        );

        let rows = cells(&[&["Deployment/a-very-long-namespace/a-very-long-name", "msg text here"]]);
        let table = render_fitted(&["RESOURCE", "MESSAGE"], &rows, layout, |_, _| None);
        assert_eq!(
            table,
            "RESOURCE         MESSAGE\nDeployment/a-    msg text here\nvery-long-\nnamespace/a-\nvery-long-name\n"
        );
        assert!(table.lines().all(|line| line.chars().count() <= 30), "{table}");
    }

    #[test]
    fn columns_too_wide_for_the_terminal_keep_a_readable_last_column() {
        let rows = cells(&[&["critical", "Required", "pod.privileged", "a message of some length"]]);
        let layout = Layout {
            width: Some(40),
            color: false,
        };
        let table = render_fitted(&["SEVERITY", "MODE", "CHECK", "MESSAGE"], &rows, layout, |_, _| None);
        // Columns narrow to their headers or 6 characters; the message keeps 24 and the line
        // overflows.
        assert_eq!(
            table,
            "SEVERITY   MODE     CHECK    MESSAGE\ncritical   Requir   pod.     a message of some length\n           ed       privil\n                    eged\n"
        );
    }

    #[test]
    fn free_text_lines_are_escaped_and_wrapped_only_with_a_width() {
        let text = "score 40; baseline \u{1b}[31mred";
        assert_eq!(fit_line(text, Layout::default()), "score 40; baseline \\u{1b}[31mred");
        let narrow = Layout {
            width: Some(12),
            color: false,
        };
        assert_eq!(fit_line(text, narrow), "score 40;\nbaseline\n\\u{1b}[31mre\nd");
    }

    #[test]
    fn words_break_at_spaces_then_after_separators_then_anywhere() {
        assert_eq!(wrap("abcdefghij kl", 4), ["abcd", "efgh", "ij", "kl"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("ab cd", 5), ["ab cd"]);
        assert_eq!(wrap("ab cd", 4), ["ab", "cd"]);
        assert_eq!(wrap("shop/Deployment/web", 12), ["shop/", "Deployment/", "web"]);
    }

    #[test]
    fn cells_are_colored_only_when_the_layout_colors_and_padding_ignores_the_codes() {
        let rows = cells(&[&["critical", "x"], &["low", "y"]]);
        let style = |column: usize, text: &str| (column == 0 && text == "critical").then_some(Style::BoldRed);
        let colored = Layout {
            width: None,
            color: true,
        };
        assert_eq!(
            render_fitted(&["SEVERITY", "CHECK"], &rows, colored, style),
            "SEVERITY   CHECK\n\x1b[1;31mcritical\x1b[0m   x\nlow        y\n"
        );
        assert_eq!(
            render_fitted(&["SEVERITY", "CHECK"], &rows, Layout::default(), style),
            "SEVERITY   CHECK\ncritical   x\nlow        y\n"
        );
    }

    #[test]
    fn only_a_terminal_gets_color_and_a_width_and_no_color_turns_color_off() {
        let os = |text: &str| Some(OsString::from(text));
        let layout = |width, color| Layout { width, color };
        assert_eq!(Layout::detect(false, None, os("80"), Some(120)), Layout::default());
        assert_eq!(Layout::detect(true, None, None, Some(120)), layout(Some(120), true));
        // COLUMNS overrides the measured width; nonsense is ignored.
        assert_eq!(Layout::detect(true, None, os("80"), Some(120)), layout(Some(80), true));
        assert_eq!(
            Layout::detect(true, None, os("wide"), Some(120)),
            layout(Some(120), true)
        );
        assert_eq!(Layout::detect(true, os("1"), None, None), layout(None, false));
        // An empty NO_COLOR does not count.
        assert_eq!(Layout::detect(true, os(""), None, None), layout(None, true));
        assert_eq!(Layout::detect(true, None, os("0"), None).width, None);
    }
}
