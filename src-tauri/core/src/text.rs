//! Text that came from outside (Okta, a tunnel's output, a hand-edited database) made safe to
//! show a person: control characters made visible, and long values cut short.
//!
//! A userName or a title can hold ESC, CR or backspace. Printed raw to the admin's terminal they
//! are live escape sequences (a changed window title, a clipboard write, an erased line); stored
//! raw in the activity log they are the same thing one `activity list` later. Everything the CLI
//! prints as text, and every activity line, goes through [`visible`]. One convention
//! everywhere: `\t`, `\n` and `\r` by name, every other control character (C0, DEL and C1) as
//! `\xNN`, its code point in two hex digits — so `\x1b` is ESC and `\x9b` the C1 CSI.
//!
//! Not for: JSON output, which stays exact (JSON escapes control characters itself), nor the
//! stored SCIM documents, which keep what Okta sent.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character written as an escape (see the module's convention).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` cut to at most `max` characters, the last of them an ellipsis when it was cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// The most characters of a value an error message quotes.
pub const QUOTE_MAX_CHARS: usize = 100;

/// A value someone sent, as an error message quotes it: control characters visible, and at most
/// [`QUOTE_MAX_CHARS`] characters, so a megabyte userName makes a short message.
pub fn quoted(s: &str) -> String {
    visible(&clip(s, QUOTE_MAX_CHARS)).into_owned()
}

/// The first control character of `s` that an identifier must not hold: any but tab.
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control() && *c != '\t')
}

/// How a control character is named in a message: `U+001B`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes_and_the_rest_stays() {
        assert!(matches!(visible("Zoë O'Brien"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\u{1b}]0;pwned\u{7}\r\n\tb\u{8}\u{7f}\u{9b}c\0"),
            "a\\x1b]0;pwned\\x07\\r\\n\\tb\\x08\\x7f\\x9bc\\x00"
        );
        // Nothing printable is left of what a terminal would act on.
        assert!(!visible("\u{1b}[2J\u{85}").chars().any(char::is_control));
    }

    #[test]
    fn clipping_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("exactly10!", 10), "exactly10!");
        assert_eq!(clip("eleven chars", 10), "eleven ch…");
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip(&"x".repeat(1_000_000), 500).chars().count(), 500);
        let q = quoted(&format!("\u{1b}{}", "y".repeat(5_000)));
        assert!(q.starts_with("\\x1byyy") && q.ends_with('…'), "{q}");
        assert!(q.chars().count() <= QUOTE_MAX_CHARS + 3);
    }

    #[test]
    fn only_tab_is_allowed_in_identifiers() {
        assert_eq!(forbidden_control("jane\t@corp.example"), None);
        assert_eq!(forbidden_control("jane\u{1b}@corp"), Some('\u{1b}'));
        assert_eq!(forbidden_control("x\u{85}"), Some('\u{85}'));
        assert_eq!(code_point('\u{1b}'), "U+001B");
    }
}
