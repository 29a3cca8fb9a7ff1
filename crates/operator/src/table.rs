//! Plain-text tables with aligned columns, as `kubectl get` prints them.

/// Renders a header and rows; every column but the last is padded to its widest cell, columns
/// are separated by three spaces, and no line ends with whitespace.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|cell| (*cell).to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate().take(columns) {
            if index > 0 {
                line.push_str("   ");
            }
            line.push_str(cell);
            if index + 1 < columns {
                let padding = widths[index].saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', padding));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn columns_align_and_lines_have_no_trailing_space() {
        let rows = vec![
            vec!["a".to_string(), "long cell".to_string(), "x".to_string()],
            vec!["bbb".to_string(), String::new(), "y y".to_string()],
        ];
        assert_eq!(
            render(&["H1", "H2", "H3"], &rows),
            "H1    H2          H3\na     long cell   x\nbbb               y y\n"
        );
    }
}
