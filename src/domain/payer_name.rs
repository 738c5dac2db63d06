//! Whether a bank transfer's payer is the account's verified holder (SPEC §11).
//!
//! A bank writes the payer's name (付款人户名) as its own system keeps it: full-width or
//! half-width characters, padded with spaces, in capitals. Two names are the same payer
//! when their comparable forms are equal:
//! - Unicode NFKC, so full-width letters, digits, spaces and brackets (`（`, `Ａ`, `１`)
//!   are their half-width selves, as a company's registered name and a bank's record of
//!   it differ most often in its brackets;
//! - the middle dots of transliterated names (`·` U+00B7, `・` U+30FB, `･` U+FF65, `•`
//!   U+2022, `‧` U+2027) all count as U+00B7;
//! - leading and trailing white space dropped, every run of white space inside one space;
//! - letters compared without case (`JOHN SMITH` is `John Smith`).
//!
//! Nothing else is forgiven: a different character, a missing word or a shortened company
//! name is another payer, held for an admin to judge.

use unicode_normalization::UnicodeNormalization;

/// The form two names are compared in (see the module's documentation).
pub fn comparable_name(name: &str) -> String {
    let normalized: String = name
        .nfkc()
        .map(|c| match c {
            '\u{30FB}' | '\u{2022}' | '\u{2027}' | '\u{FF65}' => '\u{00B7}',
            other => other,
        })
        .collect();
    normalized
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether a transfer's payer name is the verified name (see the module's documentation).
pub fn is_same_payer(payer_name: &str, verified_name: &str) -> bool {
    comparable_name(payer_name) == comparable_name(verified_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_around_and_inside_a_name_do_not_make_another_payer() {
        assert!(is_same_payer("  张三 ", "张三"));
        assert!(is_same_payer("John   Smith", "John Smith"));
        assert!(is_same_payer("张三\u{3000}", "张三"));
    }

    #[test]
    fn full_width_and_half_width_forms_are_the_same_payer() {
        assert!(is_same_payer(
            "长沙星城置业有限公司（分公司）",
            "长沙星城置业有限公司(分公司)"
        ));
        assert!(is_same_payer("ＡＢＣ科技有限公司", "ABC科技有限公司"));
        assert!(is_same_payer("阿依古丽・买买提", "阿依古丽·买买提"));
    }

    #[test]
    fn latin_letters_are_compared_without_case() {
        assert!(is_same_payer("JOHN SMITH", "John Smith"));
        assert!(is_same_payer("ｊｏｈｎ ｓｍｉｔｈ", "John Smith"));
    }

    #[test]
    fn another_character_or_a_shortened_name_is_another_payer() {
        assert!(!is_same_payer("张三", "张山"));
        assert!(!is_same_payer("李四", "张三"));
        assert!(!is_same_payer("星城置业", "长沙星城置业有限公司"));
        assert!(!is_same_payer("JohnSmith", "John Smith"));
        assert!(!is_same_payer("", "张三"));
    }
}
