//! Small helpers over tree-sitter nodes, shared by the analysers.

use tree_sitter::Node;

/// The source text of a node.
pub fn text<'a>(node: Node<'_>, src: &'a str) -> &'a str {
    &src[node.byte_range()]
}

/// The named children of a node (one cursor walk: asking for child `i` each time would
/// walk from the first child again).
pub fn named_children<'t>(node: Node<'t>) -> std::vec::IntoIter<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect::<Vec<_>>().into_iter()
}

pub fn field<'t>(node: Node<'t>, name: &str) -> Option<Node<'t>> {
    node.child_by_field_name(name)
}

/// Every node below `node` (itself included), in document order.
pub fn descendants<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// The nearest ancestor whose kind is one of `kinds`.
pub fn ancestor<'t>(node: Node<'t>, kinds: &[&str]) -> Option<Node<'t>> {
    let mut n = node.parent();
    while let Some(p) = n {
        if kinds.contains(&p.kind()) {
            return Some(p);
        }
        n = p.parent();
    }
    None
}

/// The value of a string literal without its quotes and prefixes, if `node` is one with no
/// interpolation.
pub fn string_value(node: Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        // Python: string_start, string_content*, string_end (and interpolations for f-strings).
        "string" => {
            let mut out = String::new();
            for child in named_children(node) {
                match child.kind() {
                    "string_content" | "string_fragment" | "escape_sequence" => {
                        out.push_str(text(child, src))
                    }
                    "string_start" | "string_end" => {}
                    _ => return None,
                }
            }
            Some(out)
        }
        "template_string" => {
            let mut out = String::new();
            for child in named_children(node) {
                match child.kind() {
                    "string_fragment" | "escape_sequence" => out.push_str(text(child, src)),
                    _ => return None,
                }
            }
            Some(out)
        }
        "concatenated_string" => named_children(node).map(|c| string_value(c, src)).collect(),
        "interpreted_string_literal" | "raw_string_literal" | "string_literal" => {
            let t = text(node, src);
            Some(t.trim_matches(|c| c == '"' || c == '`').to_string())
        }
        _ => None,
    }
}

/// The literal text parts of a string node, interpolations left out (for "does this look
/// like SQL / HTML" checks).
pub fn literal_parts(node: Node<'_>, src: &str) -> String {
    let mut out = String::new();
    for n in descendants(node) {
        if matches!(n.kind(), "string_content" | "string_fragment") {
            out.push_str(text(n, src));
        }
    }
    out
}

/// A dotted name for an expression made of identifiers and attribute accesses
/// (`os.path.join`, `req.query.next`), or `None` for anything else.
pub fn dotted(node: Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        "identifier"
        | "property_identifier"
        | "shorthand_property_identifier"
        | "this"
        | "self"
        | "field_identifier"
        | "type_identifier" => Some(text(node, src).to_string()),
        "attribute" => {
            let object = dotted(field(node, "object")?, src)?;
            Some(format!("{object}.{}", text(field(node, "attribute")?, src)))
        }
        "member_expression" => {
            let object = dotted(field(node, "object")?, src)?;
            Some(format!("{object}.{}", text(field(node, "property")?, src)))
        }
        "selector_expression" => {
            let object = dotted(field(node, "operand")?, src)?;
            Some(format!("{object}.{}", text(field(node, "field")?, src)))
        }
        "scoped_identifier" => {
            let path = field(node, "path").and_then(|p| dotted(p, src));
            let name = text(field(node, "name")?, src);
            Some(match path {
                Some(p) => format!("{p}.{name}"),
                None => name.to_string(),
            })
        }
        "parenthesized_expression" => dotted(named_children(node).next()?, src),
        _ => None,
    }
}

/// The last segment of a dotted name.
pub fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Whether a name reads like it holds a secret or a credential.
pub fn secretish(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "passw",
        "pwd",
        "salt",
        "nonce",
        "otp",
        "apikey",
        "api_key",
        "session",
        "csrf",
        "reset",
        "verif",
        "auth",
        "credential",
        "signature",
        "private",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Whether a name reads like a password.
pub fn passwordish(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("passw") || n.contains("pwd") || n.contains("passphrase")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names_and_strings() {
        let src = "x = os.path.join(a, 'b')\n";
        let tree = crate::audit::Lang::Python.parse(src).unwrap();
        let call = descendants(tree.root_node()).into_iter().find(|n| n.kind() == "call").unwrap();
        assert_eq!(dotted(field(call, "function").unwrap(), src).as_deref(), Some("os.path.join"));
        let s = descendants(tree.root_node()).into_iter().find(|n| n.kind() == "string").unwrap();
        assert_eq!(string_value(s, src).as_deref(), Some("b"));
        assert!(secretish("reset_code") && secretish("API_KEY") && !secretish("page"));
    }
}
