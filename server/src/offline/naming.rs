//! English word forms and identifier cases: singular/plural, PascalCase, snake_case, slugs.

/// Irregular plurals, singular first.
const IRREGULAR: &[(&str, &str)] = &[
    ("person", "people"),
    ("child", "children"),
    ("man", "men"),
    ("woman", "women"),
    ("mouse", "mice"),
    ("goose", "geese"),
    ("tooth", "teeth"),
    ("foot", "feet"),
    ("leaf", "leaves"),
    ("knife", "knives"),
    ("life", "lives"),
    ("wife", "wives"),
    ("shelf", "shelves"),
    ("half", "halves"),
    ("wolf", "wolves"),
    ("calf", "calves"),
    ("cactus", "cacti"),
    ("criterion", "criteria"),
    ("analysis", "analyses"),
    ("ox", "oxen"),
];

/// Words whose singular and plural are the same.
const UNCOUNTABLE: &[&str] = &[
    "sheep",
    "fish",
    "deer",
    "series",
    "species",
    "news",
    "equipment",
    "information",
    "data",
    "feedback",
    "software",
    "music",
    "money",
    "furniture",
    "luggage",
    "staff",
];

/// Nouns ending in "ie", whose plural is not "-ies" → "-y".
const IE_NOUNS: &[&str] = &[
    "movie", "cookie", "zombie", "pie", "tie", "calorie", "rookie", "selfie", "smoothie", "brownie",
    "hippie", "genie", "lie", "prairie", "sortie", "veggie", "goalie", "newbie",
];

/// Singular form of a lowercase English noun ("berries" → "berry").
pub(crate) fn singular(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    if UNCOUNTABLE.contains(&w.as_str()) {
        return w;
    }
    if let Some((s, _)) = IRREGULAR.iter().find(|(_, p)| *p == w) {
        return (*s).to_string();
    }
    if IRREGULAR.iter().any(|(s, _)| *s == w) {
        return w;
    }
    if w.len() <= 3 || ["ss", "us", "is"].iter().any(|k| w.ends_with(k)) {
        return w;
    }
    if let Some(stem) = w.strip_suffix('s')
        && IE_NOUNS.contains(&stem)
    {
        return stem.to_string();
    }
    if let Some(stem) = w.strip_suffix("ies")
        && stem.len() >= 2
    {
        return format!("{stem}y");
    }
    if w.ends_with("ouses") {
        return w[..w.len() - 1].to_string();
    }
    for suffix in ["sses", "shes", "ches", "xes", "zzes", "uses"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    if let Some(stem) = w.strip_suffix('s') {
        return stem.to_string();
    }
    w
}

/// Plural form of a lowercase English noun ("category" → "categories").
pub(crate) fn plural(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    if UNCOUNTABLE.contains(&w.as_str()) {
        return w;
    }
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == w) {
        return (*p).to_string();
    }
    if let Some(stem) = w.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
        && !stem.is_empty()
    {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| w.ends_with(s)) {
        return format!("{w}es");
    }
    format!("{w}s")
}

/// Splits an identifier in any case into lowercase words ("OrderItem" → ["order", "item"]).
pub(crate) fn words(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// "order item" → "OrderItem".
pub(crate) fn pascal(ident: &str) -> String {
    words(ident).iter().map(|w| capitalize(w)).collect()
}

/// "OrderItem" → "order_item".
pub(crate) fn snake(ident: &str) -> String {
    words(ident).join("_")
}

/// "OrderItem" → "order_items": the snake_case plural of a PascalCase name (last word pluralised).
pub(crate) fn snake_plural(name: &str) -> String {
    let mut ws = words(name);
    if let Some(last) = ws.last_mut() {
        *last = plural(last);
    }
    ws.join("_")
}

/// "order_items" → "Order items".
pub(crate) fn sentence(ident: &str) -> String {
    capitalize(&words(ident).join(" "))
}

/// "order_items" → "Order Items".
pub(crate) fn title(ident: &str) -> String {
    words(ident).iter().map(|w| capitalize(w)).collect::<Vec<_>>().join(" ")
}

pub(crate) fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// "a order item" → "an order item": the indefinite article, by the first letter.
pub(crate) fn with_article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// "water" → "watering", "bake" → "baking", "run" → "running".
pub(crate) fn gerund(verb: &str) -> String {
    let v = verb.to_ascii_lowercase();
    let vowel = |c: u8| b"aeiou".contains(&c);
    let b = v.as_bytes();
    if v.ends_with("ie") {
        return format!("{}ying", &v[..v.len() - 2]);
    }
    if v.ends_with('e') && !v.ends_with("ee") && v.len() > 2 {
        return format!("{}ing", &v[..v.len() - 1]);
    }
    if b.len() == 3 && !vowel(b[0]) && vowel(b[1]) && !vowel(b[2]) && !b"wxy".contains(&b[2]) {
        return format!("{v}{}ing", b[2] as char);
    }
    format!("{v}ing")
}

/// A slug: lowercase letters, digits and single dashes, starting with a letter, at most 64 bytes.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for w in words(text) {
        if out.len() + w.len() + 1 > 64 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    let trimmed = out.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    if trimmed.is_empty() { "app".to_string() } else { trimmed.trim_end_matches('-').to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_and_plural() {
        for (s, p) in [
            ("category", "categories"),
            ("product", "products"),
            ("box", "boxes"),
            ("match", "matches"),
            ("person", "people"),
            ("reply", "replies"),
            ("day", "days"),
            ("status", "statuses"),
            ("shelf", "shelves"),
            ("bus", "buses"),
            ("houseplant", "houseplants"),
            ("series", "series"),
            ("house", "houses"),
            ("movie", "movies"),
            ("photo", "photos"),
            ("course", "courses"),
        ] {
            assert_eq!(plural(s), p, "plural of {s}");
            assert_eq!(singular(p), s, "singular of {p}");
        }
        assert_eq!(singular("class"), "class");
        assert_eq!(singular("analysis"), "analysis");
    }

    #[test]
    fn cases() {
        assert_eq!(words("OrderItem"), ["order", "item"]);
        assert_eq!(pascal("order item"), "OrderItem");
        assert_eq!(snake("StockMovement"), "stock_movement");
        assert_eq!(snake_plural("OrderItem"), "order_items");
        assert_eq!(snake_plural("Person"), "people");
        assert_eq!(title("order_items"), "Order Items");
        assert_eq!(sentence("due_date"), "Due date");
        assert_eq!(slug("Task Tracker!"), "task-tracker");
        assert_eq!(slug("42"), "app");
    }

    #[test]
    fn gerunds() {
        for (v, g) in [
            ("water", "watering"),
            ("bake", "baking"),
            ("run", "running"),
            ("feed", "feeding"),
            ("visit", "visiting"),
            ("tie", "tying"),
            ("see", "seeing"),
        ] {
            assert_eq!(gerund(v), g);
        }
    }
}
