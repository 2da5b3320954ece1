//! Go and Rust: the common sinks, fed with strings built by formatting (`fmt.Sprintf`,
//! `format!`, `+`) or, in Go's net/http handlers, with request data.

use std::collections::HashMap;

use tree_sitter::Node;

use super::syntax::{descendants, field, named_children, secretish, text};
use super::{Cx, Lang, Severity};

/// What is known of a Go or Rust value: assembled at run time, and from the request.
#[derive(Debug, Clone, Copy, Default)]
struct Val {
    built: bool,
    request: bool,
}

pub(crate) fn check_go(cx: &mut Cx<'_>) {
    let Some(tree) = Lang::Go.parse(cx.text) else { return };
    let src = cx.text;
    let root = tree.root_node();
    let math_rand = src.contains("\"math/rand\"") || src.contains("\"math/rand/v2\"");
    for node in descendants(root) {
        if node.kind() == "keyed_element" && text(node, src).replace(' ', "") == "InsecureSkipVerify:true" {
            cx.report("tls-verify-off", node.byte_range(), "`InsecureSkipVerify: true` accepts any certificate: anyone on the network path can read and change this traffic. Remove it; add a private CA to `RootCAs` instead.");
        }
    }
    for func in descendants(root) {
        if !matches!(func.kind(), "function_declaration" | "method_declaration" | "func_literal") {
            continue;
        }
        let Some(body) = field(func, "body") else { continue };
        let fname = field(func, "name").map(|n| text(n, src)).unwrap_or("");
        let mut vars: HashMap<String, Val> = HashMap::new();
        for node in descendants(body) {
            // Nested function literals are walked on their own.
            if node != body
                && super::syntax::ancestor(node, &["func_literal"])
                    .is_some_and(|f| f.start_byte() > func.start_byte())
            {
                continue;
            }
            match node.kind() {
                "short_var_declaration" | "assignment_statement" | "var_spec" => {
                    let (Some(left), Some(right)) = (
                        field(node, "left").or_else(|| field(node, "name")),
                        field(node, "right").or_else(|| field(node, "value")),
                    ) else {
                        continue;
                    };
                    let lefts: Vec<Node<'_>> = if left.kind() == "expression_list" {
                        named_children(left).collect()
                    } else {
                        vec![left]
                    };
                    let rights: Vec<Node<'_>> = if right.kind() == "expression_list" {
                        named_children(right).collect()
                    } else {
                        vec![right]
                    };
                    for (i, l) in lefts.iter().enumerate() {
                        let r = rights.get(i).or(rights.first()).copied();
                        let v = r.map(|r| go_val(r, src, &vars)).unwrap_or_default();
                        vars.insert(text(*l, src).to_string(), v);
                    }
                }
                "call_expression" => go_call(cx, node, src, &vars, fname, math_rand),
                _ => {}
            }
        }
    }
}

fn go_val(node: Node<'_>, src: &str, vars: &HashMap<String, Val>) -> Val {
    let t = text(node, src);
    let request = [
        ".URL.Query()",
        ".FormValue(",
        ".PostFormValue(",
        "mux.Vars(",
        ".Header.Get(",
        ".PathValue(",
        "c.Param(",
        "c.Query(",
        "c.PostForm(",
        ".URL.Path",
    ]
    .iter()
    .any(|s| t.contains(s))
        || descendants(node)
            .into_iter()
            .any(|n| n.kind() == "identifier" && vars.get(text(n, src)).is_some_and(|v| v.request));
    let built = match node.kind() {
        "call_expression" => {
            let f = field(node, "function").map(|f| text(f, src)).unwrap_or("");
            matches!(f, "fmt.Sprintf" | "strings.Join" | "strings.Replace" | "strings.ReplaceAll")
                && field(node, "arguments").is_some_and(|a| named_children(a).nth(1).is_some())
        }
        "binary_expression" => !named_children(node).all(|c| c.kind().ends_with("string_literal")),
        "identifier" => vars.get(t).is_some_and(|v| v.built),
        _ => false,
    };
    Val { built, request }
}

fn go_call(
    cx: &mut Cx<'_>,
    call: Node<'_>,
    src: &str,
    vars: &HashMap<String, Val>,
    fname: &str,
    math_rand: bool,
) {
    let Some(callee) = field(call, "function") else { return };
    let name = text(callee, src);
    let method = name.rsplit('.').next().unwrap_or(name);
    let args: Vec<Node<'_>> =
        field(call, "arguments").map(|a| named_children(a).collect()).unwrap_or_default();
    let val = |i: usize| args.get(i).map(|a| go_val(*a, src, vars)).unwrap_or_default();
    match method {
        "Query" | "QueryRow" | "Exec" | "Prepare" if name.contains('.') && !name.contains("URL") => {
            let v = val(0);
            if v.built && args.first().is_some_and(|a| a.kind() != "interpreted_string_literal") {
                cx.report_with("sql-injection", None, (!v.request).then_some(Severity::Warning), args[0].byte_range(), "The SQL text is built with `fmt.Sprintf` or `+`: a quote in the value rewrites the query. Use placeholders (`db.Query(\"… WHERE id = $1\", id)`).");
            }
        }
        "QueryContext" | "QueryRowContext" | "ExecContext" | "PrepareContext" => {
            let v = val(1);
            if v.built {
                cx.report_with("sql-injection", None, (!v.request).then_some(Severity::Warning), args[1].byte_range(), "The SQL text is built with `fmt.Sprintf` or `+`: a quote in the value rewrites the query. Use placeholders.");
            }
        }
        "Command" | "CommandContext" if name.starts_with("exec.") => {
            let offset = usize::from(method == "CommandContext");
            let program = args.get(offset).map(|a| text(*a, src).trim_matches('"')).unwrap_or("");
            let shell = matches!(program, "sh" | "bash" | "/bin/sh" | "/bin/bash" | "cmd" | "powershell");
            if shell
                && args.get(offset + 1).is_some_and(|a| {
                    text(*a, src).trim_matches('"') == "-c" || text(*a, src).trim_matches('"') == "/C"
                })
            {
                let v = val(offset + 2);
                if v.built || v.request {
                    cx.report("command-injection", args[offset + 2].byte_range(), "The shell command is built at run time: `;`, `|` or `$(…)` in the value run other commands. Run the program directly with separate arguments (`exec.Command(\"prog\", arg)`).");
                }
            } else if val(offset).request {
                cx.report("command-injection", args[offset].byte_range(), "The program to run comes from the request: the caller chooses what runs. Pick it from a fixed list.");
            }
        }
        "Redirect" if name == "http.Redirect" && val(2).request => {
            cx.report("open-redirect", args[2].byte_range(), "The redirect target comes from the request: a link can send users to any site. Redirect only to relative paths or an allow-list.");
        }
        "Open" | "ReadFile" | "Create" | "WriteFile" | "Remove" | "OpenFile"
            if (name.starts_with("os.") || name.starts_with("ioutil.")) && val(0).request =>
        {
            cx.report("path-traversal", args[0].byte_range(), "The file path comes from the request: `../` in it reaches any file. Use `filepath.Base` and check the cleaned path stays inside the base folder.");
        }
        "ServeFile" if name == "http.ServeFile" && val(2).request => {
            cx.report("path-traversal", args[2].byte_range(), "The file to serve comes from the request: `../` in it reaches any file. Serve from an `http.Dir` with `http.FileServer`, or clean and confine the path.");
        }
        "HTML"
            if name == "template.HTML"
                && args.first().is_some_and(|a| {
                    a.kind() != "interpreted_string_literal" && a.kind() != "raw_string_literal"
                }) =>
        {
            let sev = if val(0).request { None } else { Some(Severity::Warning) };
            cx.report_with("xss", None, sev, call.byte_range(), "`template.HTML` marks this value as safe HTML, so the template inserts it unescaped: markup in it runs in the page. Pass the plain string and let `html/template` escape it.");
        }
        "New" | "Sum" if name.starts_with("md5.") || name.starts_with("sha1.") => {
            cx.report(
                "weak-hash",
                call.byte_range(),
                format!(
                    "{} is broken for security uses. Use `crypto/sha256` or better.",
                    name.split('.').next().unwrap_or("").to_ascii_uppercase()
                ),
            );
        }
        _ if math_rand && name.starts_with("rand.") && secretish(fname) => {
            cx.report("insecure-random", call.byte_range(), "`math/rand` is predictable: this secret can be guessed. Use `crypto/rand` (`rand.Read`, `rand.Text`).");
        }
        _ => {}
    }
}

pub(crate) fn check_rust(cx: &mut Cx<'_>) {
    let Some(tree) = Lang::Rust.parse(cx.text) else { return };
    let src = cx.text;
    let mut built: HashMap<String, bool> = HashMap::new();
    for node in descendants(tree.root_node()) {
        match node.kind() {
            "let_declaration" => {
                if let (Some(p), Some(v)) = (field(node, "pattern"), field(node, "value")) {
                    built.insert(text(p, src).to_string(), rust_built(v, src, &built));
                }
            }
            "call_expression" => {
                let Some(callee) = field(node, "function") else { continue };
                let method = match callee.kind() {
                    "field_expression" => field(callee, "field").map(|f| text(f, src)).unwrap_or(""),
                    "scoped_identifier" => field(callee, "name").map(|f| text(f, src)).unwrap_or(""),
                    _ => text(callee, src),
                };
                let args: Vec<Node<'_>> =
                    field(node, "arguments").map(|a| named_children(a).collect()).unwrap_or_default();
                let first = args.first().copied();
                match method {
                    "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                        if first.is_some_and(|a| text(a, src) == "true") =>
                    {
                        cx.report("tls-verify-off", node.byte_range(), format!("`{method}(true)` turns off certificate checks: anyone on the network path can read and change this traffic. Remove it; add a private CA with `add_root_certificate`."));
                    }
                    "query" | "query_as" | "query_scalar" | "execute" | "query_row" | "prepare"
                    | "raw_sql" | "sql_query"
                        if first
                            .is_some_and(|a| rust_built(a, src, &built) && looks_like_sql(text(a, src))) =>
                    {
                        cx.report("sql-injection", first.expect("checked").byte_range(), "The SQL text is built with `format!`: a quote in a value rewrites the query. Keep the SQL constant and `.bind()` the values (or pass `params![]`).");
                    }
                    "arg" | "args"
                        if shell_command(callee, src)
                            && first.is_some_and(|a| rust_built(a, src, &built)) =>
                    {
                        cx.report("command-injection", first.expect("checked").byte_range(), "A shell command line is built with `format!`: `;`, `|` or `$(…)` in a value run other commands. Run the program directly: `Command::new(prog).arg(value)`.");
                    }
                    "new" | "compute" | "digest"
                        if {
                            let t = text(callee, src);
                            t.starts_with("Md5::")
                                || t.starts_with("md5::")
                                || t.starts_with("Sha1::")
                                || t.starts_with("sha1::")
                        } =>
                    {
                        cx.report("weak-hash", node.byte_range(), "MD5 and SHA-1 are broken for security uses. Use SHA-256 (`sha2::Sha256`) or better.");
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// A `format!` (or a variable holding one) with placeholders.
fn rust_built(node: Node<'_>, src: &str, vars: &HashMap<String, bool>) -> bool {
    match node.kind() {
        "reference_expression" => field(node, "value").is_some_and(|v| rust_built(v, src, vars)),
        "macro_invocation" => {
            let t = text(node, src);
            t.starts_with("format!") && (t.contains('{') || t.contains(','))
        }
        "identifier" => vars.get(text(node, src)).copied().unwrap_or(false),
        "call_expression" => {
            field(node, "function")
                .is_some_and(|f| text(f, src).ends_with("as_str") || text(f, src).ends_with("to_string"))
                && descendants(node)
                    .into_iter()
                    .any(|n| n.kind() == "macro_invocation" && rust_built(n, src, vars))
        }
        _ => false,
    }
}

/// A `format!` whose text reads like SQL, or a variable (already known to be built).
fn looks_like_sql(t: &str) -> bool {
    let u = t.to_ascii_uppercase();
    !u.contains("FORMAT!")
        || ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE ", " FROM "].iter().any(|k| u.contains(k))
}

/// Whether a method chain starts with `Command::new("sh")` (or bash, cmd).
fn shell_command(callee: Node<'_>, src: &str) -> bool {
    let t = text(callee, src).replace(' ', "");
    ["Command::new(\"sh\")", "Command::new(\"bash\")", "Command::new(\"/bin/sh\")", "Command::new(\"cmd\")"]
        .iter()
        .any(|s| t.contains(s))
}
