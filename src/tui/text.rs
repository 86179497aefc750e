//! Text fitted to the screen: wrapped, cut with a mark, or left out whole.

/// `text` in rows of at most `width` columns, broken between words; a word longer than a row
/// is cut into rows.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        let used = row.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            row.push(' ');
            row.extend(&word);
            continue;
        }
        if used > 0 {
            rows.push(std::mem::take(&mut row));
        }
        while word.len() > width {
            rows.push(word.drain(..width).collect());
        }
        row.extend(&word);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// Most rows a dialog gives the hostlist of its targets.
pub const HOSTLIST_ROWS: usize = 6;

/// [`wrap_words`] at most `most` rows; when cut, the last row ends in `cut` so nothing is
/// dropped silently.
pub fn rows_of(text: &str, width: usize, most: usize, cut: &str) -> Vec<String> {
    let mut rows = wrap_words(text, width);
    if rows.len() > most.max(1) {
        rows.truncate(most.max(1));
        let last = rows.last_mut().expect("at least one row");
        let keep = width.saturating_sub(cut.chars().count());
        *last = last.chars().take(keep).chain(cut.chars()).collect();
    }
    rows
}

/// `text` in at most `width` columns, ending in `…` when cut.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The ` · `-separated hints of `text` that fit in `width`, whole ones from the start.
pub fn fit_hints(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, hint) in text.split(" · ").enumerate() {
        let next = if i == 0 {
            hint.to_string()
        } else {
            format!("{out} · {hint}")
        };
        if next.chars().count() > width {
            break;
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_text_wraps_between_words() {
        assert_eq!(wrap_words("", 10), vec![""]);
        assert_eq!(
            wrap_words("add the marked nodes to the group", 12),
            vec!["add the", "marked nodes", "to the group"]
        );
        assert_eq!(wrap_words("abcdefghij k", 4), vec!["abcd", "efgh", "ij k"]);
    }

    #[test]
    fn hints_that_do_not_fit_are_left_out_whole() {
        let text = " ctrl-s apply · esc close · ctrl-z undo";
        assert_eq!(fit_hints(text, 80), text);
        assert_eq!(fit_hints(text, 30), " ctrl-s apply · esc close");
        assert_eq!(fit_hints(text, 5), "");
    }

    #[test]
    fn hostlists_fill_rows_and_a_cut_says_so() {
        assert_eq!(rows_of("", 10, 3, "…"), vec![String::new()]);
        assert_eq!(rows_of("abcdefg", 3, 3, "…"), vec!["abc", "def", "g"]);
        let cut = rows_of("abcdefghijkl", 4, 2, "…+");
        assert_eq!(cut, vec!["abcd", "ef…+"]);
        assert!(cut.iter().all(|r| r.chars().count() <= 4));
    }

    #[test]
    fn clipped_text_ends_in_a_mark() {
        assert_eq!(clip("/power-control/v1", 8), "/power-…");
        assert_eq!(clip("short", 8), "short");
    }
}
