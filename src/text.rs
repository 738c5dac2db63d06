//! Text a client sends (SPEC §8): a `req`, a name, a title, a reason, an announcement.
//! Every such text is UTF-8 (its type already says so) with no NUL and no control
//! character, except newline and tab in long texts, and is checked here at the edge,
//! before it reaches a room or the database (PostgreSQL cannot store a NUL at all).

/// What a text may hold besides printable characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// One line: a `req`, a name, a title, a number.
    Line,
    /// Several lines: a description, a reason, an announcement, a note (newline and tab).
    Long,
}

/// Whether `text` holds a character its kind forbids: a control character (Unicode's
/// general category Cc, which includes NUL and DEL), other than newline and tab in a long
/// text.
pub fn has_forbidden_character(text: &str, kind: TextKind) -> bool {
    text.chars().any(|character| {
        character.is_control() && !(kind == TextKind::Long && matches!(character, '\n' | '\t'))
    })
}

/// The message that refuses a field for [`has_forbidden_character`].
pub fn forbidden_character_message(field: &str, kind: TextKind) -> String {
    match kind {
        TextKind::Line => format!("{field} must not contain control characters"),
        TextKind::Long => {
            format!("{field} must not contain control characters other than newline and tab")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_refuses_every_control_character_a_long_text_keeps_newline_and_tab() {
        for text in ["a\0b", "a\u{7}b", "a\rb", "a\u{7f}b", "a\u{85}b"] {
            assert!(has_forbidden_character(text, TextKind::Line), "{text:?}");
            assert!(has_forbidden_character(text, TextKind::Long), "{text:?}");
        }
        for text in ["a\nb", "a\tb"] {
            assert!(has_forbidden_character(text, TextKind::Line), "{text:?}");
            assert!(!has_forbidden_character(text, TextKind::Long), "{text:?}");
        }
        assert!(!has_forbidden_character(
            "拍卖 lot 7 — ¥1,000",
            TextKind::Line
        ));
    }
}
