//! Reading the Markdown checklists that teams start from.
//!
//! Real files arrive with their emoji and arrows mis-decoded (UTF-8 bytes read as Windows-1252,
//! so `→` shows as `â†’`); [`repair`] undoes that. [`boxes`] lists a document's checkbox items
//! with the headings and numbered steps they sit under and their nesting depth.

/// Windows-1252's characters for the bytes 0x80 to 0x9F; the five bytes it leaves undefined
/// pass through as the C1 control of the same number, as decoders do.
const CP1252_HIGH: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// The byte that Windows-1252 shows as `c`, for bytes of 0x80 and above.
fn cp1252_byte(c: char) -> Option<u8> {
    if let Some(i) = CP1252_HIGH.iter().position(|&h| h == c) {
        return Some(0x80 + i as u8);
    }
    let code = u32::from(c);
    (0xa0..=0xff).contains(&code).then_some(code as u8)
}

/// Undoes UTF-8 text that was decoded as Windows-1252: each run of characters whose bytes form
/// valid UTF-8 sequences is replaced by what those sequences say; anything else is kept.
pub fn repair(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((decoded, used)) = decode_at(&chars[i..]) {
            out.push(decoded);
            i += used;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Decodes one UTF-8 sequence spelt as Windows-1252 characters at the start of `chars`.
fn decode_at(chars: &[char]) -> Option<(char, usize)> {
    let lead = cp1252_byte(*chars.first()?)?;
    let len = match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let bytes: Vec<u8> = chars
        .get(..len)?
        .iter()
        .map(|&c| cp1252_byte(c))
        .collect::<Option<_>>()?;
    let decoded = std::str::from_utf8(&bytes).ok()?;
    Some((decoded.chars().next()?, len))
}

/// A checkbox item (or a success-criterion bullet) of a Markdown checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Box {
    /// The `##` heading above it.
    pub part: Option<String>,
    /// The `###` heading above it.
    pub title: Option<String>,
    /// The numbered step (`1. **Backend Deployment**`) it sits in, as written after the number.
    pub step: Option<String>,
    /// 0 for a top-level box, 1 for one nested under it, ...
    pub depth: usize,
    /// The text after `- [ ] `, repaired.
    pub text: String,
    /// Whether the box was ticked.
    pub ticked: bool,
    /// True for a `- ✅ ...` bullet rather than a checkbox.
    pub criterion: bool,
}

/// Lists every checkbox of a Markdown document in order, with where it sits.
pub fn boxes(markdown: &str) -> Vec<Box> {
    let text = repair(markdown);
    let mut out = Vec::new();
    let (mut part, mut title, mut step) = (None, None, None);
    let mut indents: Vec<usize> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            (title, step) = (Some(h.trim().to_string()), None);
            indents.clear();
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            (part, title, step) = (Some(h.trim().to_string()), None, None);
            indents.clear();
            continue;
        }
        if let Some(rest) = numbered_step(line) {
            step = Some(rest.to_string());
            indents.clear();
            continue;
        }
        let indent = line.len() - trimmed.len();
        let (ticked, criterion, text) = if let Some(t) = trimmed.strip_prefix("- [ ] ") {
            (false, false, t)
        } else if let Some(t) = trimmed
            .strip_prefix("- [x] ")
            .or_else(|| trimmed.strip_prefix("- [X] "))
        {
            (true, false, t)
        } else if let Some(t) = trimmed.strip_prefix("- \u{2705} ") {
            (false, true, t)
        } else {
            continue;
        };
        while indents.last().is_some_and(|&top| top >= indent) {
            indents.pop();
        }
        let depth = indents.len();
        indents.push(indent);
        out.push(Box {
            part: part.clone(),
            title: title.clone(),
            step: step.clone(),
            depth,
            text: text.trim_end().to_string(),
            ticked,
            criterion,
        });
    }
    out
}

/// The text of a top-level numbered list entry (`2. **Database Migration**`), if it is one.
fn numbered_step(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    line[digits..].strip_prefix(". ").map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_emoji_and_arrows_read_as_windows_1252() {
        assert_eq!(
            repair("Phase 1 (BLOCKING) ðŸ”´"),
            "Phase 1 (BLOCKING) \u{1f534}"
        );
        assert_eq!(repair("CPU > 80% â†’ SNS"), "CPU > 80% \u{2192} SNS");
        assert_eq!(repair("Setup âœ…"), "Setup \u{2705}");
        assert_eq!(repair("plain text, café"), "plain text, café");
    }

    #[test]
    fn boxes_carry_headings_steps_and_depth() {
        let md = "## Part\n### Title\n- [ ] **Parent**\n  - [ ] child\n    - [x] grandchild\n\
                  1. **Step**\n   ```bash\n   - [ ] not a box\n   ```\n   - [ ] in step\n";
        let found = boxes(md);
        assert_eq!(found.len(), 4);
        assert_eq!(found[2].depth, 2);
        assert!(found[2].ticked);
        assert_eq!(found[3].step.as_deref(), Some("**Step**"));
        assert_eq!(found[3].depth, 0);
        assert_eq!(found[0].title.as_deref(), Some("Title"));
    }
}
