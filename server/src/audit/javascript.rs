//! JavaScript, TypeScript and TSX: Express (and Koa, Next.js handlers) on the server, the
//! DOM and React in the browser.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::syntax::{
    ancestor, descendants, dotted, field, last_segment, literal_parts, named_children, passwordish,
    secretish, string_value, text,
};
use super::taint::{Info, Level, Scopes, sanitizer, sink, validator};
use super::{CommentStyle, Cx, Lang, Severity};

pub(crate) fn check(cx: &mut Cx<'_>, lang: Lang) {
    let Some(tree) = lang.parse(cx.text) else { return };
    let root = tree.root_node();
    let mut js = Js::new(cx, root);
    // Scripts run code at the top level too (browser pages): it has its own scope.
    js.scopes.push();
    js.walk(root);
}

/// Properties of a request object that hold what the client sent.
const REQUEST_DATA: &[&str] = &[
    "query",
    "params",
    "body",
    "headers",
    "cookies",
    "signedCookies",
    "originalUrl",
    "url",
    "path",
    "files",
    "file",
    "request",
    "hostname",
    "nextUrl",
    "searchParams",
];

/// Browser values an attacker controls through the link a victim opens.
const BROWSER_SOURCES: &[&str] = &[
    "location.search",
    "location.hash",
    "location.href",
    "location.pathname",
    "window.location.search",
    "window.location.hash",
    "window.location.href",
    "window.location.pathname",
    "document.location.search",
    "document.location.hash",
    "document.location.href",
    "document.URL",
    "document.documentURI",
    "document.referrer",
    "window.name",
    "router.query",
];

fn auth_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "auth",
        "login",
        "loggedin",
        "session",
        "jwt",
        "token",
        "passport",
        "guard",
        "protect",
        "requireuser",
        "ensure",
        "verify",
        "isadmin",
        "permission",
        "signedin",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn public_route(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [
        "login",
        "logout",
        "register",
        "signup",
        "sign-up",
        "signin",
        "token",
        "auth",
        "password",
        "reset",
        "webhook",
        "health",
        "callback",
        "oauth",
        "verify",
        "confirm",
        "contact",
        "subscribe",
        "checkout",
    ]
    .iter()
    .any(|w| p.contains(w))
}

struct Js<'c, 'a> {
    cx: &'c mut Cx<'a>,
    src: &'a str,
    /// Local name → module path (`exec` → `child_process.exec`, `cp` → `child_process`).
    aliases: HashMap<String, String>,
    scopes: Scopes,
    requests: Vec<HashSet<String>>,
    functions: Vec<String>,
    /// Auth middleware used on some route, or installed for all (`app.use(requireAuth)`).
    uses_auth: bool,
    credentials_header: bool,
    /// Browser code (the DOM, React): outgoing requests there are not SSRF.
    browser: bool,
}

/// `node:fs/promises` → `fs`.
fn module_name(spec: &str) -> String {
    let s = spec.trim_matches(|c| c == '\'' || c == '"' || c == '`');
    let s = s.strip_prefix("node:").unwrap_or(s);
    match s {
        "fs/promises" => "fs".into(),
        other => other.to_string(),
    }
}

impl<'c, 'a> Js<'c, 'a> {
    fn new(cx: &'c mut Cx<'a>, root: Node<'_>) -> Js<'c, 'a> {
        let src = cx.text;
        let mut aliases = HashMap::new();
        for node in descendants(root) {
            match node.kind() {
                "import_statement" => {
                    let Some(source) = field(node, "source") else { continue };
                    let module = module_name(text(source, src));
                    for clause in named_children(node).filter(|c| c.kind() == "import_clause") {
                        for part in named_children(clause) {
                            match part.kind() {
                                "identifier" => {
                                    aliases.insert(text(part, src).to_string(), module.clone());
                                }
                                "namespace_import" => {
                                    if let Some(id) = named_children(part).find(|c| c.kind() == "identifier")
                                    {
                                        aliases.insert(text(id, src).to_string(), module.clone());
                                    }
                                }
                                "named_imports" => {
                                    for spec in
                                        named_children(part).filter(|c| c.kind() == "import_specifier")
                                    {
                                        let Some(name) = field(spec, "name") else { continue };
                                        let local = field(spec, "alias").unwrap_or(name);
                                        aliases.insert(
                                            text(local, src).to_string(),
                                            format!("{module}.{}", text(name, src)),
                                        );
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                "variable_declarator" => {
                    let (Some(name), Some(value)) = (field(node, "name"), field(node, "value")) else {
                        continue;
                    };
                    let Some((module, member)) = require_of(value, src) else { continue };
                    let base = match member {
                        Some(m) => format!("{module}.{m}"),
                        None => module,
                    };
                    match name.kind() {
                        "identifier" => {
                            aliases.insert(text(name, src).to_string(), base);
                        }
                        "object_pattern" => {
                            for p in named_children(name) {
                                match p.kind() {
                                    "shorthand_property_identifier_pattern" => {
                                        let n = text(p, src);
                                        aliases.insert(n.to_string(), format!("{base}.{n}"));
                                    }
                                    "pair_pattern" => {
                                        if let (Some(k), Some(v)) = (field(p, "key"), field(p, "value")) {
                                            aliases.insert(
                                                text(v, src).to_string(),
                                                format!("{base}.{}", text(k, src)),
                                            );
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let uses_auth = descendants(root).into_iter().any(|n| {
            n.kind() == "call_expression"
                && field(n, "function").is_some_and(|f| {
                    matches!(
                        last_segment(text(f, src)),
                        "get" | "post" | "put" | "patch" | "delete" | "use" | "all"
                    )
                })
                && field(n, "arguments").is_some_and(|a| {
                    let args: Vec<Node<'_>> = named_children(a).collect();
                    args.iter().any(|x| {
                        matches!(x.kind(), "identifier" | "call_expression" | "member_expression")
                            && auth_name(text(*x, src))
                    })
                })
        });
        let lower = src.to_ascii_lowercase();
        let browser = lower.contains("document.")
            || lower.contains("window.")
            || lower.contains("from 'react'")
            || lower.contains("from \"react\"")
            || lower.contains("usestate(");
        Js {
            cx,
            src,
            aliases,
            scopes: Scopes::default(),
            requests: Vec::new(),
            functions: Vec::new(),
            uses_auth,
            credentials_header: lower.contains("access-control-allow-credentials"),
            browser,
        }
    }

    /// The callee's name with its first segment resolved through imports and requires.
    fn resolve(&self, node: Node<'_>) -> Option<String> {
        let node = unwrap_expr(node);
        if node.kind() == "call_expression"
            && let Some((module, member)) = require_of(node, self.src)
        {
            return Some(member.map_or(module.clone(), |m| format!("{module}.{m}")));
        }
        if node.kind() == "member_expression"
            && let Some(obj) = field(node, "object")
            && let Some(prop) = field(node, "property")
            && let Some(base) = self.resolve(obj)
        {
            return Some(format!("{base}.{}", text(prop, self.src)));
        }
        let name = dotted(node, self.src)?;
        let (first, rest) = match name.split_once('.') {
            Some((f, r)) => (f, Some(r)),
            None => (name.as_str(), None),
        };
        Some(match (self.aliases.get(first), rest) {
            (Some(full), Some(rest)) => format!("{full}.{rest}"),
            (Some(full), None) => full.clone(),
            (None, _) => name.clone(),
        })
    }

    fn is_request(&self, node: Node<'_>) -> bool {
        node.kind() == "identifier" && {
            let n = text(node, self.src);
            self.requests.iter().any(|r| r.contains(n))
        }
    }

    // --- the walk --------------------------------------------------------------------------

    fn walk(&mut self, node: Node<'_>) {
        match node.kind() {
            "function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration" => self.function(node),
            "variable_declarator" => {
                if let Some(value) = field(node, "value") {
                    self.walk(value);
                    let info = self.info(value);
                    if let Some(name) = field(node, "name") {
                        self.bind(name, info);
                        if self.validation(value) && name.kind() == "identifier" {
                            self.scopes.flag(text(name, self.src));
                        }
                    }
                }
            }
            "assignment_expression" | "augmented_assignment_expression" => {
                if let Some(right) = field(node, "right") {
                    self.walk(right);
                }
                self.assignment(node);
            }
            "if_statement" | "while_statement" | "do_statement" => {
                let cond = field(node, "condition");
                if let Some(cond) = cond {
                    self.walk(cond);
                    self.guards(cond);
                }
                self.scopes.enter_branch();
                for child in named_children(node) {
                    if Some(child) != cond {
                        self.walk(child);
                    }
                }
                self.scopes.leave_branch();
                // `if (!ok) url = '/'`: after a validation, a value replaced by a constant in
                // the branch is safe either way.
                if let (Some(cond), Some(body)) = (cond, field(node, "consequence"))
                    && self.validation(cond)
                {
                    for n in descendants(body) {
                        if n.kind() == "assignment_expression"
                            && let (Some(l), Some(r)) = (field(n, "left"), field(n, "right"))
                            && self.info(r).constant
                            && let Some(name) = dotted(l, self.src)
                        {
                            self.scopes.validate(&name);
                        }
                    }
                }
            }
            "for_statement" | "for_in_statement" | "try_statement" | "catch_clause" | "switch_statement" => {
                if node.kind() == "for_in_statement"
                    && let (Some(left), Some(right)) = (field(node, "left"), field(node, "right"))
                {
                    self.walk(right);
                    let info = self.info(right);
                    self.bind(left, info);
                }
                self.scopes.enter_branch();
                for child in named_children(node) {
                    self.walk(child);
                }
                self.scopes.leave_branch();
            }
            "call_expression" | "new_expression" => {
                for child in named_children(node) {
                    self.walk(child);
                }
                self.call(node);
            }
            "jsx_attribute" => {
                for child in named_children(node) {
                    self.walk(child);
                }
                self.jsx_attribute(node);
            }
            "pair" => {
                for child in named_children(node) {
                    self.walk(child);
                }
                self.pair(node);
            }
            _ => {
                for child in named_children(node) {
                    self.walk(child);
                }
            }
        }
    }

    fn function(&mut self, func: Node<'_>) {
        let params: Vec<Node<'_>> = match field(func, "parameters") {
            Some(p) => named_children(p).collect(),
            None => field(func, "parameter").into_iter().collect(),
        };
        let name = field(func, "name")
            .map(|n| text(n, self.src).to_string())
            .or_else(|| {
                let parent = func.parent()?;
                (parent.kind() == "variable_declarator")
                    .then(|| field(parent, "name").map(|n| text(n, self.src).to_string()))
                    .flatten()
            })
            .unwrap_or_default();
        let handler = self.route_handler(func);
        let first = params.first().map(|p| param_name(*p, self.src)).unwrap_or_default();
        let second = params.get(1).map(|p| param_name(*p, self.src)).unwrap_or_default();
        let first_type = params.first().map(|p| param_type(*p, self.src)).unwrap_or_default();
        let request_like = handler
            || (matches!(first.as_str(), "req" | "request")
                && matches!(second.as_str(), "res" | "reply" | "response" | "h" | ""))
            || first == "ctx" && text(func, self.src).contains("ctx.request")
            || first_type.ends_with("Request")
            || (matches!(name.as_str(), "GET" | "POST" | "PUT" | "PATCH" | "DELETE") && !first.is_empty());
        self.scopes.push();
        let mut requests = HashSet::new();
        for (i, p) in params.iter().enumerate() {
            match p.kind() {
                // `({ body, params }, res)`: the destructured parts are the request's data.
                _ if i == 0
                    && request_like
                    && pattern_of(*p).is_some_and(|pat| pat.kind() == "object_pattern") =>
                {
                    if let Some(pat) = pattern_of(*p) {
                        self.bind(pat, Info::strong("the request"));
                    }
                }
                _ => {
                    let n = param_name(*p, self.src);
                    if n.is_empty() {
                        continue;
                    }
                    if i == 0 && request_like {
                        requests.insert(n);
                    } else if request_like {
                        // `res`, `next`: not data.
                    } else if let Some(pat) = pattern_of(*p) {
                        let ty = param_type(*p, self.src);
                        if matches!(ty.as_str(), "number" | "boolean") {
                            continue;
                        }
                        self.bind(pat, Info::weak(n));
                    }
                }
            }
        }
        self.requests.push(requests);
        self.functions.push(name);
        if let Some(body) = field(func, "body") {
            self.walk(body);
            // An expression-bodied arrow: its value is checked like a return.
        }
        self.functions.pop();
        self.requests.pop();
        self.scopes.pop();
    }

    /// Whether `func` is passed to `app.get('/path', …)` and the like.
    fn route_handler(&self, func: Node<'_>) -> bool {
        let Some(args) = func.parent().filter(|p| p.kind() == "arguments") else { return false };
        let Some(call) = args.parent() else { return false };
        let Some(callee) = field(call, "function") else { return false };
        let method = last_segment(text(callee, self.src));
        matches!(method, "get" | "post" | "put" | "patch" | "delete" | "all" | "use" | "route" | "handle")
            && named_children(args).next().is_some_and(|first| {
                first.kind() == "string" || first.kind() == "template_string" || first == func
            })
    }

    fn bind(&mut self, target: Node<'_>, info: Info) {
        match target.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                self.scopes.bind(text(target, self.src), info)
            }
            "object_pattern" => {
                for p in named_children(target) {
                    match p.kind() {
                        "shorthand_property_identifier_pattern" => {
                            self.scopes.bind(text(p, self.src), info.clone())
                        }
                        "pair_pattern" => {
                            if let Some(v) = field(p, "value") {
                                self.bind(v, info.clone());
                            }
                        }
                        "object_assignment_pattern" | "assignment_pattern" => {
                            if let Some(l) = field(p, "left") {
                                self.bind(l, info.clone());
                            }
                        }
                        "rest_pattern" => {
                            if let Some(id) = named_children(p).next() {
                                self.bind(id, info.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            "array_pattern" => {
                // `const [searchParams] = useSearchParams()`.
                for p in named_children(target) {
                    self.bind(p, info.clone());
                }
            }
            "assignment_pattern" => {
                if let Some(l) = field(target, "left") {
                    self.bind(l, info);
                }
            }
            "member_expression" => {
                if let Some(name) = dotted(target, self.src) {
                    self.scopes.bind(&name, info);
                }
            }
            _ => {}
        }
    }

    fn assignment(&mut self, node: Node<'_>) {
        let (Some(left), Some(right)) = (field(node, "left"), field(node, "right")) else { return };
        let mut info = self.info(right);
        if node.kind() == "augmented_assignment_expression"
            && let Some(old) = dotted(left, self.src).and_then(|n| self.scopes.lookup(&n))
        {
            info = Info::concat(old, info);
        }
        let target = text(left, self.src);
        let prop = if left.kind() == "member_expression" {
            field(left, "property").map(|p| text(p, self.src)).unwrap_or("")
        } else {
            ""
        };
        // DOM sinks.
        if matches!(prop, "innerHTML" | "outerHTML") && !info.constant {
            self.html_sink(right, &info, prop);
        }
        if matches!(
            target,
            "window.location"
                | "location"
                | "document.location"
                | "location.href"
                | "window.location.href"
                | "document.location.href"
        ) && info.is_strong()
            && info.head
        {
            self.cx.report("open-redirect", right.byte_range(), format!("The page navigates to {}: a crafted link sends users to any site, or runs `javascript:` URLs. Navigate only to relative paths or an allow-list.", info.describe()));
        }
        if target == "process.env.NODE_TLS_REJECT_UNAUTHORIZED" && text(right, self.src).contains('0') {
            self.cx.report("tls-verify-off", node.byte_range(), "Setting `NODE_TLS_REJECT_UNAUTHORIZED=0` turns off certificate checks for every HTTPS request of the process. Remove it; trust a private CA with `NODE_EXTRA_CA_CERTS`.");
        }
        self.bind(left, info);
    }

    fn guards(&mut self, cond: Node<'_>) {
        for n in descendants(cond) {
            if n.kind() != "call_expression" {
                continue;
            }
            let Some(callee) = field(n, "function") else { continue };
            let name = self.resolve(callee).unwrap_or_default();
            if !validator(&name) && !matches!(last_segment(&name), "includes" | "has") {
                continue;
            }
            let method = last_segment(&name);
            if callee.kind() == "member_expression"
                && let Some(obj) = field(callee, "object")
            {
                if matches!(method, "includes" | "has") {
                    // `ALLOWED.includes(x)`: x is checked against an allow-list.
                    if let Some(args) = field(n, "arguments") {
                        for a in named_children(args) {
                            if let Some(d) = dotted(a, self.src) {
                                self.scopes.validate(&d);
                            }
                        }
                    }
                    continue;
                }
                if let Some(d) = dotted(obj, self.src) {
                    self.scopes.validate(&d);
                }
            }
            if let Some(args) = field(n, "arguments") {
                for a in named_children(args) {
                    if let Some(d) = dotted(a, self.src) {
                        self.scopes.validate(&d);
                    }
                }
            }
        }
    }

    /// Whether an expression checks a value: a validator call (`startsWith`, `.test`,
    /// `ALLOWED.includes`), URL parts compared, or a boolean holding such a check.
    fn validation(&self, node: Node<'_>) -> bool {
        descendants(node).into_iter().any(|n| match n.kind() {
            "call_expression" => field(n, "function")
                .map(|f| match f.kind() {
                    "member_expression" => {
                        field(f, "property").map(|p| text(p, self.src).to_string()).unwrap_or_default()
                    }
                    _ => self.resolve(f).unwrap_or_default(),
                })
                .is_some_and(|name| validator(&name) || matches!(last_segment(&name), "includes" | "has")),
            "member_expression" => {
                matches!(
                    field(n, "property").map(|p| text(p, self.src)),
                    Some("hostname" | "host" | "origin" | "protocol")
                )
            }
            "identifier" => self.scopes.is_flag(text(n, self.src)),
            _ => false,
        })
    }

    // --- what a value is --------------------------------------------------------------------

    fn info(&self, node: Node<'_>) -> Info {
        match node.kind() {
            "identifier" | "shorthand_property_identifier" => {
                if self.is_request(node) {
                    return Info::default();
                }
                self.scopes.lookup(text(node, self.src)).unwrap_or_default()
            }
            "member_expression" | "subscript_expression" => {
                let t = text(node, self.src);
                if BROWSER_SOURCES.iter().any(|s| t == *s || t.starts_with(&format!("{s}."))) {
                    return Info::strong(t);
                }
                let Some(obj) = field(node, "object") else { return Info::default() };
                if node.kind() == "subscript_expression" && is_constant_name(text(obj, self.src)) {
                    return Info::default();
                }
                if self.is_request(obj) {
                    let prop = field(node, "property").map(|p| text(p, self.src)).unwrap_or("");
                    return if REQUEST_DATA.contains(&prop) || node.kind() == "subscript_expression" {
                        Info::strong(t)
                    } else {
                        Info::default()
                    };
                }
                if let Some(d) = dotted(node, self.src)
                    && let Some(info) = self.scopes.lookup(&d)
                {
                    return info;
                }
                let inner = self.info(obj);
                Info { built: false, constant: false, ..inner }
            }
            "string" => Info { markup: looks_like_html(text(node, self.src)), ..Info::constant() },
            "number" | "true" | "false" | "null" | "undefined" | "regex" => Info::constant(),
            "template_string" => {
                let mut info = Info::constant();
                info.markup = looks_like_html(&literal_parts(node, self.src));
                let mut first = true;
                for child in named_children(node) {
                    match child.kind() {
                        "template_substitution" => {
                            let inner =
                                named_children(child).next().map(|e| self.info(e)).unwrap_or_default();
                            let head = first && inner.tainted();
                            info = Info::concat(info, inner);
                            info.head |= head;
                            first = false;
                        }
                        "string_fragment" => first = false,
                        _ => {}
                    }
                }
                info
            }
            "binary_expression" => {
                let (Some(l), Some(r)) = (field(node, "left"), field(node, "right")) else {
                    return Info::default();
                };
                let op = field(node, "operator").map(|o| text(o, self.src)).unwrap_or("");
                match op {
                    "+" => Info::concat(self.info(l), self.info(r)),
                    "||" | "??" => self.info(l).join(self.info(r)),
                    "&&" => self.info(r),
                    _ => Info::constant(),
                }
            }
            "ternary_expression" => {
                // `ok(url) ? url : "/"`: a validated choice.
                if field(node, "condition").is_some_and(|c| self.validation(c)) {
                    return Info::default();
                }
                let c = field(node, "consequence").map(|n| self.info(n)).unwrap_or_default();
                let a = field(node, "alternative").map(|n| self.info(n)).unwrap_or_default();
                c.join(a)
            }
            "call_expression" => self.call_info(node),
            "new_expression" => {
                let ctor = field(node, "constructor").map(|c| text(c, self.src)).unwrap_or("");
                if ctor == "Function" {
                    return Info::default();
                }
                field(node, "arguments")
                    .and_then(|a| named_children(a).next())
                    .map(|a| Info { built: false, ..self.info(a) })
                    .unwrap_or_default()
            }
            "parenthesized_expression"
            | "await_expression"
            | "as_expression"
            | "non_null_expression"
            | "type_assertion"
            | "satisfies_expression"
            | "spread_element" => named_children(node).next().map(|c| self.info(c)).unwrap_or_default(),
            "array" | "object" | "pair" | "arguments" => {
                let joined = named_children(node)
                    .filter(|c| c.kind() != "property_identifier")
                    .map(|c| self.info(c))
                    .reduce(Info::join)
                    .unwrap_or_else(Info::constant);
                Info { built: false, head: false, ..joined }
            }
            "arrow_function" | "function_expression" | "function" => Info::default(),
            _ => Info::default(),
        }
    }

    fn call_info(&self, call: Node<'_>) -> Info {
        let Some(callee) = field(call, "function") else { return Info::default() };
        let name = self.resolve(callee).unwrap_or_default();
        let args: Vec<Node<'_>> =
            field(call, "arguments").map(|a| named_children(a).collect()).unwrap_or_default();
        let args_info =
            || args.iter().map(|a| self.info(*a)).reduce(Info::join).unwrap_or_else(Info::constant);
        if let Some(mask) = sanitizer(&name) {
            return args_info().cleaned(mask);
        }
        let last = last_segment(&name);
        if matches!(last, "useSearchParams" | "useParams" | "useLocation" | "useRouter" | "prompt") {
            return Info::strong(format!("{last}()"));
        }
        if callee.kind() == "member_expression" {
            let object = field(callee, "object");
            if let Some(obj) = object
                && self.is_request(obj)
            {
                return if matches!(last, "json" | "formData" | "text" | "param" | "get" | "header" | "query")
                {
                    Info::strong(text(call, self.src))
                } else {
                    Info::default()
                };
            }
            if matches!(
                last,
                "query"
                    | "execute"
                    | "all"
                    | "get"
                    | "run"
                    | "findOne"
                    | "findMany"
                    | "findAll"
                    | "find"
                    | "findUnique"
                    | "fetchone"
            ) && object.is_some_and(|o| {
                let t = text(o, self.src).to_ascii_lowercase();
                t.contains("db")
                    || t.contains("pool")
                    || t.contains("client")
                    || t.contains("prisma")
                    || t.contains("knex")
                    || t.contains("conn")
                    || t.contains("model")
                    || t.contains("stmt")
            }) {
                return Info::default();
            }
            let obj_info = object.map(|o| self.info(o)).unwrap_or_default();
            if matches!(last, "join" | "concat") {
                return Info { built: true, constant: false, ..obj_info.join(args_info()) };
            }
            if obj_info.tainted()
                && !matches!(
                    last,
                    "includes" | "startsWith" | "endsWith" | "test" | "has" | "indexOf" | "length"
                )
            {
                return Info { built: false, ..obj_info };
            }
            if name.starts_with("path.") || last == "resolve" {
                let mut info = args_info();
                info.head = args
                    .iter()
                    .find(|a| !matches!(text(**a, self.src), "__dirname" | "process.cwd()"))
                    .is_some_and(|a| self.info(*a).head);
                return Info { built: false, ..info };
            }
            if name == "JSON.parse" || name == "JSON.stringify" {
                return args_info();
            }
            // `ALLOWED[x]` / `EXPORTERS.get(x)`: the constant table's value.
            if last == "get" && object.is_some_and(|o| is_constant_name(text(o, self.src))) {
                return Info::default();
            }
        }
        let info = Info { built: false, constant: false, ..args_info() };
        // Functions that hand their input back in another shape keep its taint; any other
        // function computes something from it (a lookup, a record): weaker evidence.
        if matches!(
            last,
            "String"
                | "decodeURIComponent"
                | "decodeURI"
                | "unescape"
                | "from"
                | "parse"
                | "format"
                | "URL"
                | "URLSearchParams"
        ) {
            info
        } else {
            info.derived()
        }
    }

    // --- sinks ------------------------------------------------------------------------------

    fn call(&mut self, call: Node<'_>) {
        let is_new = call.kind() == "new_expression";
        let Some(callee) = field(call, if is_new { "constructor" } else { "function" }) else { return };
        let name = self.resolve(callee).unwrap_or_default();
        let method = last_segment(&name).to_string();
        let args: Vec<Node<'_>> = field(call, "arguments")
            .map(|a| named_children(a).filter(|c| c.kind() != "comment").collect())
            .unwrap_or_default();
        let at = call.byte_range();
        let object_text = if callee.kind() == "member_expression" {
            field(callee, "object").map(|o| text(o, self.src)).unwrap_or("")
        } else {
            ""
        };

        // SQL.
        if !is_new
            && matches!(
                method.as_str(),
                "query"
                    | "execute"
                    | "raw"
                    | "whereRaw"
                    | "$queryRawUnsafe"
                    | "$executeRawUnsafe"
                    | "exec"
                    | "run"
                    | "all"
                    | "get"
                    | "prepare"
                    | "each"
            )
            && let Some(q) = args.first()
        {
            let info = self.info(*q).against(sink::SQL);
            let sqlish = looks_like_sql(&literal_parts(*q, self.src))
                || (q.kind() == "identifier"
                    && matches!(
                        method.as_str(),
                        "query" | "raw" | "$queryRawUnsafe" | "$executeRawUnsafe" | "whereRaw"
                    ));
            let db_object = matches!(
                method.as_str(),
                "query" | "raw" | "whereRaw" | "$queryRawUnsafe" | "$executeRawUnsafe"
            ) || {
                let o = object_text.to_ascii_lowercase();
                o.contains("db")
                    || o.contains("sql")
                    || o.contains("conn")
                    || o.contains("pool")
                    || o.contains("client")
                    || o.contains("knex")
            };
            if sqlish
                && db_object
                && !name.starts_with("child_process")
                && (info.is_strong() || (info.level == Level::Weak && info.built))
            {
                let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
                self.cx.report_with("sql-injection", None, severity, q.byte_range(), format!("The SQL text is built from {}: a quote in it rewrites the query. Keep the SQL constant and pass values as parameters (`db.query(\"… WHERE id = $1\", [id])`).", info.describe()));
            }
        }

        // Shell commands.
        let shell =
            matches!(
                name.as_str(),
                "child_process.exec"
                    | "child_process.execSync"
                    | "shelljs.exec"
                    | "execa.command"
                    | "execa.commandSync"
            ) || (matches!(
                name.as_str(),
                "child_process.spawn"
                    | "child_process.spawnSync"
                    | "child_process.execFile"
                    | "child_process.execFileSync"
            ) && args.iter().any(|a| text(*a, self.src).replace(' ', "").contains("shell:true")));
        if shell && let Some(cmd) = args.first() {
            let info = self.info(*cmd).against(sink::COMMAND);
            if info.is_strong() || (info.level == Level::Weak && info.built) {
                self.cx.report("command-injection", cmd.byte_range(), format!("The shell command is built from {}: `;`, `|` or `$(…)` in it run other commands. Use `execFile(program, [args])` without a shell.", info.describe()));
            }
        } else if matches!(
            name.as_str(),
            "child_process.spawn"
                | "child_process.spawnSync"
                | "child_process.execFile"
                | "child_process.execFileSync"
        ) && let Some(p) = args.first()
            && self.info(*p).against(sink::COMMAND).is_strong()
        {
            let info = self.info(*p).against(sink::COMMAND);
            self.cx.report("command-injection", p.byte_range(), format!("The program to run comes from {}: the caller chooses what runs. Pick it from a fixed list.", info.describe()));
        }

        // Code evaluation.
        let code_sink = (!is_new && name == "eval")
            || (name == "Function")
            || matches!(
                name.as_str(),
                "vm.runInNewContext"
                    | "vm.runInThisContext"
                    | "vm.runInContext"
                    | "vm.Script"
                    | "vm.compileFunction"
            );
        if code_sink {
            let code = if name == "Function" { args.last() } else { args.first() };
            if let Some(code) = code {
                let info = self.info(*code).against(sink::CODE);
                if !info.constant {
                    let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
                    let what = if name == "Function" { "`new Function`" } else { "This call" };
                    self.cx.report_with("code-injection", None, severity, at.clone(), format!("{what} runs its argument as JavaScript, and that is {}: whoever controls it runs anything. Parse data with `JSON.parse`, or map names to functions.", if info.tainted() { info.describe() } else { "a string built at run time".into() }));
                }
            }
        }
        if matches!(name.as_str(), "setTimeout" | "setInterval")
            && let Some(code) = args.first()
            && matches!(code.kind(), "string" | "template_string" | "binary_expression" | "identifier")
            && !self.info(*code).against(sink::CODE).constant
            && self.info(*code).against(sink::CODE).tainted()
        {
            let info = self.info(*code).against(sink::CODE);
            self.cx.report("code-injection", at.clone(), format!("`{name}` with a string evaluates it as code, here built from {}. Pass a function instead.", info.describe()));
        }
        if !is_new
            && matches!(name.as_str(), "require" | "import")
            && args.first().is_some_and(|a| self.info(*a).against(sink::CODE).is_strong())
        {
            let info = self.info(args[0]).against(sink::CODE);
            self.cx.report_with(
                "code-injection",
                Some(94),
                None,
                at.clone(),
                format!(
                    "The module to load comes from {}: loading runs its code. Load from a fixed allow-list.",
                    info.describe()
                ),
            );
        }

        // Files.
        let fs_sink = name.starts_with("fs.")
            && matches!(
                method.as_str(),
                "readFile"
                    | "readFileSync"
                    | "createReadStream"
                    | "createWriteStream"
                    | "writeFile"
                    | "writeFileSync"
                    | "appendFile"
                    | "appendFileSync"
                    | "unlink"
                    | "unlinkSync"
                    | "rm"
                    | "rmSync"
                    | "readdir"
                    | "readdirSync"
                    | "open"
                    | "openSync"
                    | "stat"
                    | "access"
            );
        let send_file = !is_new
            && matches!(method.as_str(), "sendFile" | "download" | "sendfile")
            && !args.iter().skip(1).any(|a| text(*a, self.src).contains("root"));
        if (fs_sink || send_file)
            && let Some(p) = args.first()
        {
            let info = self.info(*p).against(sink::PATH);
            if info.is_strong() {
                self.cx.report("path-traversal", p.byte_range(), format!("The file path is built from {}: `../` in it reaches any file the server can read or write. Reduce it to a name with `path.basename` and check the resolved path stays in the base folder.", info.describe()));
            }
        }

        // HTML.
        if (!is_new
            && matches!(method.as_str(), "send" | "write" | "end")
            && matches!(object_text, "res" | "response" | "reply" | "ctx")
            || (matches!(object_text, "res" | "response") && method == "send"))
            && let Some(body) = args.first()
        {
            let info = self.info(*body).against(sink::HTML);
            let html = info.markup || looks_like_html(&literal_parts(*body, self.src));
            if info.is_strong() && info.built && html {
                self.xss(body.byte_range(), &info);
            }
        }
        if (name.ends_with("document.write") || name.ends_with("document.writeln"))
            && let Some(body) = args.first()
        {
            let info = self.info(*body).against(sink::HTML);
            if !info.constant {
                self.html_sink(*body, &info, "document.write");
            }
        }
        if method == "insertAdjacentHTML"
            && let Some(body) = args.get(1)
        {
            let info = self.info(*body).against(sink::HTML);
            if !info.constant {
                self.html_sink(*body, &info, "insertAdjacentHTML");
            }
        }
        if matches!(method.as_str(), "html" | "append" | "prepend" | "after" | "before")
            && (object_text.starts_with('$') || object_text.starts_with("jQuery"))
            && let Some(body) = args.first()
        {
            let info = self.info(*body).against(sink::HTML);
            if info.is_strong() {
                self.xss(body.byte_range(), &info);
            }
        }

        // Redirects and outgoing requests.
        if !is_new && method == "redirect" && matches!(object_text, "res" | "response" | "reply" | "ctx") {
            let url = if args.len() >= 2 { args.get(1) } else { args.first() };
            if let Some(url) = url {
                let info = self.info(*url).against(sink::URL);
                if info.is_strong() && info.head {
                    self.cx.report("open-redirect", url.byte_range(), format!("The redirect target is {}: a link to this route can send users to any site. Redirect only to relative paths or an allow-list.", info.describe()));
                }
            }
        }
        if matches!(
            name.as_str(),
            "location.assign"
                | "location.replace"
                | "window.location.assign"
                | "window.location.replace"
                | "window.open"
                | "router.push"
                | "router.replace"
                | "navigate"
        ) && let Some(url) = args.first()
        {
            let info = self.info(*url).against(sink::URL);
            if info.is_strong() && info.head {
                self.cx.report("open-redirect", url.byte_range(), format!("The page navigates to {}: a crafted link sends users to any site or runs `javascript:` URLs. Allow only relative paths.", info.describe()));
            }
        }
        if !self.browser
            && (name == "fetch"
                || name.starts_with("axios")
                || matches!(
                    name.as_str(),
                    "got"
                        | "http.get"
                        | "https.get"
                        | "http.request"
                        | "https.request"
                        | "needle"
                        | "superagent.get"
                ))
            && let Some(url) = args.first()
        {
            let info = self.info(*url).against(sink::URL);
            if info.is_strong() && info.head {
                self.cx.report("ssrf", url.byte_range(), format!("The server fetches a URL taken from {}: callers make it reach internal services. Allow only known hosts.", info.describe()));
            }
        }

        // Deserialization.
        if matches!(
            name.as_str(),
            "node-serialize.unserialize"
                | "serialize-javascript.unserialize"
                | "funcster.deepDeserialize"
                | "v8.deserialize"
        ) || (method == "unserialize" && self.src.contains("node-serialize"))
        {
            let info = args.first().map(|a| self.info(*a)).unwrap_or_default();
            let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
            self.cx.report_with("unsafe-deserialization", None, severity, at.clone(), "`unserialize` revives functions from the data (IIFEs run at once): serialized input executes code on the server. Use `JSON.parse`.");
        }

        // Hashes and randomness.
        if name.ends_with("createHash") || name.ends_with("createHmac") {
            let algo = args
                .first()
                .and_then(|a| string_value(*a, self.src))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let chain = chain_text(call, self.src);
            let password = passwordish(chain) || self.functions.last().is_some_and(|f| passwordish(f));
            if name.ends_with("createHash") && password {
                self.cx.report("weak-password-hash", at.clone(), "A password is hashed with a fast hash: stolen hashes are cracked quickly. Use `argon2`, `bcrypt` or `crypto.scrypt` with a salt.");
            } else if matches!(algo.as_str(), "md5" | "sha1") {
                self.cx.report(
                    "weak-hash",
                    at.clone(),
                    format!(
                        "{} is broken for security uses (collisions are cheap). Use `sha256` or better.",
                        algo.to_ascii_uppercase()
                    ),
                );
                if let Some(a) = args.first() {
                    let quote = &text(*a, self.src)[..1];
                    let edit = self.cx.edit(a.byte_range(), format!("{quote}sha256{quote}"));
                    self.cx.set_fix("Use SHA-256", vec![edit]);
                }
            }
        }
        if name == "Math.random" {
            let context = [
                assigned_name(call, self.src).unwrap_or_default(),
                self.functions.last().cloned().unwrap_or_default(),
            ];
            // The OAuth `state` parameter is a CSRF token.
            let oauth = self.src.contains("oauth") || self.src.contains("authorize");
            if context.iter().any(|c| secretish(c) || (oauth && c.to_ascii_lowercase().contains("state"))) {
                self.cx.report("insecure-random", at.clone(), "`Math.random()` is predictable: this secret can be guessed from a few other outputs. Use `crypto.randomBytes()`/`crypto.randomUUID()` (or `crypto.getRandomValues` in browsers).");
            }
        }

        // JWT.
        if name.contains("jsonwebtoken") || object_text == "jwt" {
            let options = args
                .iter()
                .map(|a| text(*a, self.src))
                .collect::<Vec<_>>()
                .join(" ")
                .replace(' ', "")
                .to_ascii_lowercase();
            if method == "decode" && (self.src.contains("jsonwebtoken")) {
                self.cx.report("jwt-misuse", at.clone(), "`jwt.decode` reads the token without checking its signature: anyone can forge one. Use `jwt.verify(token, secret, { algorithms: ['HS256'] })`.");
            } else if matches!(method.as_str(), "verify" | "sign")
                && (options.contains("'none'") || options.contains("\"none\""))
            {
                self.cx.report("jwt-misuse", at.clone(), "The `none` algorithm is allowed: unsigned tokens pass. Pin a real algorithm (`algorithms: ['HS256']`).");
            } else if method == "verify" && options.contains("ignoreexpiration:true") {
                self.cx.report_with("jwt-misuse", None, Some(Severity::Warning), at.clone(), "Expired tokens are accepted (`ignoreExpiration: true`): a stolen token works forever. Remove the option.");
            }
        }

        // CORS.
        if last_segment(&name) == "cors" || name == "cors" {
            let options = args.first().map(|a| text(*a, self.src).replace(' ', "")).unwrap_or_default();
            let any = options.contains("origin:true")
                || options.contains("origin:'*'")
                || options.contains("origin:\"*\"")
                || options.contains("callback(null,true)")
                || options.contains("cb(null,true)");
            if any && options.contains("credentials:true") {
                self.cx.report("cors-credentials", at.clone(), "Every origin is allowed together with credentials: any website a signed-in user visits can call this API as them. List the allowed origins.");
            }
        }
        if matches!(method.as_str(), "setHeader" | "header" | "set")
            && args.first().is_some_and(|a| text(*a, self.src).contains("Access-Control-Allow-Origin"))
            && let Some(v) = args.get(1)
        {
            let info = self.info(*v);
            let t = text(*v, self.src);
            if (info.is_strong() || t.contains("origin") || t.contains("'*'")) && self.credentials_header {
                self.cx.report("cors-credentials", v.byte_range(), "The response allows any (or the requesting) origin while also allowing credentials: any website can act as the signed-in user. Check the Origin against an allow-list.");
            }
        }

        // Missing authentication on mutating routes.
        if !is_new
            && matches!(method.as_str(), "post" | "put" | "patch" | "delete")
            && self.uses_auth
            && callee.kind() == "member_expression"
        {
            let path = args.first().and_then(|a| string_value(*a, self.src));
            if let Some(path) = path {
                let middle: Vec<Node<'_>> =
                    args.iter().skip(1).take(args.len().saturating_sub(2)).copied().collect();
                let protected = middle.iter().any(|m| auth_name(text(*m, self.src)))
                    || self.auth_installed_before(call, object_text);
                if !protected && !public_route(&path) {
                    self.cx.report("missing-auth", at.start..field(call, "arguments").map_or(at.end, |a| a.start_byte() + 1), format!("{} {path} changes data but requires no authentication, while other routes here do: anyone can call it. Add the auth middleware (`{}.{method}('{path}', requireAuth, …)`).", method.to_ascii_uppercase(), object_text));
                }
            }
        }

        // XML, LDAP, XPath.
        if matches!(method.as_str(), "parseXml" | "parseXmlString" | "parseXmlAsync")
            && args.iter().any(|a| text(*a, self.src).replace(' ', "").contains("noent:true"))
        {
            self.cx.report("xxe", at.clone(), "`noent: true` substitutes external entities: a document can read local files from the server. Remove it.");
        }
        if method == "search" && self.src.contains("ldap") {
            for a in &args {
                // An options object, given inline or through a variable.
                let object = if a.kind() == "identifier" {
                    declared_value(*a, self.src).filter(|v| v.kind() == "object")
                } else {
                    Some(*a)
                };
                let filter = match object {
                    Some(o) if o.kind() == "object" => object_value(o, "filter", self.src),
                    _ => Some(*a),
                };
                if let Some(f) = filter {
                    let info = self.info(f).against(sink::LDAP);
                    if info.is_strong() && info.built {
                        self.cx.report("ldap-injection", a.byte_range(), format!("The LDAP filter is built from {}: `*`, `(` or `)` in it change the filter. Escape the value or build the filter with ldapjs filter objects.", info.describe()));
                        break;
                    }
                }
            }
        }
        if (matches!(
            name.as_str(),
            "xpath.select" | "xpath.select1" | "xpath.evaluate" | "document.evaluate"
        ) || (method == "select" && self.src.contains("xpath")))
            && let Some(expr) = args.first()
        {
            let info = self.info(*expr).against(sink::XPATH);
            if info.is_strong() && info.built {
                self.cx.report("xpath-injection", expr.byte_range(), format!("The XPath expression is built from {}: a quote in it changes the query. Use XPath variables or validate the value against an allow-list.", info.describe()));
            }
        }

        // Cookies.
        if !is_new
            && method == "cookie"
            && matches!(object_text, "res" | "response" | "ctx.cookies")
            && args.len() >= 2
        {
            self.cookie(call, args.get(2).copied());
        }
        if (matches!(last_segment(&name), "session" | "cookieSession" | "expressSession" | "express-session")
            || name == "express-session")
            && let Some(opts) = args.first()
        {
            let t = text(*opts, self.src).replace(' ', "");
            for (flag, cwe) in [("secure:false", 614), ("httpOnly:false", 1004)] {
                if t.contains(flag) {
                    self.cx.report_with("insecure-cookie", Some(cwe), None, opts.byte_range(), format!("The session cookie is configured with `{flag}`: it loses that protection. Set it to true in production."));
                }
            }
        }
    }

    /// A `router.use(requireAuth)` earlier in the file guards the routes after it.
    fn auth_installed_before(&self, call: Node<'_>, object: &str) -> bool {
        let Some(root) = ancestor(call, &["program"]) else { return false };
        descendants(root).into_iter().any(|n| {
            n.kind() == "call_expression"
                && n.start_byte() < call.start_byte()
                && field(n, "function").is_some_and(|f| {
                    let t = text(f, self.src);
                    t == format!("{object}.use") || t == "app.use"
                })
                && field(n, "arguments").is_some_and(|a| {
                    named_children(a).any(|x| x.kind() != "string" && auth_name(text(x, self.src)))
                })
        })
    }

    /// Request data into an HTML sink always; other data (props, function results) when it is
    /// the whole HTML, not a part of a template around it.
    fn html_sink(&mut self, value: Node<'_>, info: &Info, sink: &str) {
        if !(info.is_strong() || (info.tainted() && !info.built)) {
            return;
        }
        let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
        let source = if info.tainted() { info.describe() } else { "a string built at run time".to_string() };
        self.cx.report_with("xss", None, severity, value.byte_range(), format!("`{sink}` parses {source} as HTML: markup in it (`<img onerror=…>`) runs in the page. Set `textContent` instead, or sanitise with DOMPurify first."));
        if matches!(sink, "innerHTML" | "outerHTML")
            && sink == "innerHTML"
            && let Some(assign) = value.parent()
            && let Some(left) = field(assign, "left")
            && let Some(prop) = field(left, "property")
        {
            let edit = self.cx.edit(prop.byte_range(), "textContent");
            self.cx.set_fix("Set textContent instead of innerHTML", vec![edit]);
        }
    }

    fn xss(&mut self, at: std::ops::Range<usize>, info: &Info) {
        self.cx.report("xss", at, format!("HTML is built, without escaping, from {}: a value holding `<script>` runs in the visitor's browser. Render with an escaping template engine or escape the value first.", info.describe()));
    }

    fn jsx_attribute(&mut self, attr: Node<'_>) {
        let Some(name) = named_children(attr).next() else { return };
        let n = text(name, self.src);
        if n == "dangerouslySetInnerHTML" {
            let Some(value) = named_children(attr).nth(1) else { return };
            let html = descendants(value)
                .into_iter()
                .find(|p| {
                    p.kind() == "pair" && field(*p, "key").is_some_and(|k| text(k, self.src) == "__html")
                })
                .and_then(|p| field(p, "value"));
            let Some(html) = html else { return };
            let info = self.info(html).against(sink::HTML);
            // Request data always; other data when it is the whole HTML (a template around a
            // value is more often text than markup).
            if !(info.is_strong() || (info.tainted() && !info.built)) {
                return;
            }
            let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
            let source = if info.tainted() { info.describe() } else { "a value computed at run time".into() };
            self.cx.report_with("xss", None, severity, html.byte_range(), format!("`dangerouslySetInnerHTML` inserts {source} as raw HTML: markup in it runs in the page. Render it as text (`{{value}}`), or sanitise it with `DOMPurify.sanitize` first."));
            let in_children =
                attr.parent().and_then(|el| el.parent()).is_some_and(|p| p.kind() == "jsx_element");
            let starts_line = self.cx.lines.line_of(attr.start_byte())
                != self.cx.lines.line_of(attr.parent().map_or(0, |p| p.start_byte()));
            if in_children && !starts_line {
                self.cx.set_comment_style(CommentStyle::Jsx);
            }
        } else if n == "href" || n == "src" {
            let Some(value) = named_children(attr).nth(1) else { return };
            let expr = named_children(value).next().unwrap_or(value);
            let info = self.info(expr).against(sink::URL);
            // Links take user-supplied URLs (profiles, comments): `javascript:` runs script.
            let link = n == "href" && info.tainted();
            if info.head && (info.is_strong() || link) {
                self.cx.report_with("xss", None, Some(Severity::Warning), expr.byte_range(), format!("`{n}` takes {}: a `javascript:` URL in it runs script when clicked. Allow only `http(s):` or relative URLs (parse it with `new URL` and check `protocol`).", info.describe()));
            }
        }
    }

    /// Object pairs anywhere: TLS options.
    fn pair(&mut self, pair: Node<'_>) {
        let (Some(k), Some(v)) = (field(pair, "key"), field(pair, "value")) else { return };
        let key = text(k, self.src).trim_matches(['"', '\'']);
        let value = text(v, self.src);
        if matches!(key, "rejectUnauthorized" | "strictSSL") && value == "false" {
            self.cx.report("tls-verify-off", v.byte_range(), format!("`{key}: false` accepts any certificate: anyone on the network path can read and change this traffic. Remove it; pass the CA with the `ca` option for private certificates."));
            let edit = self.cx.edit(v.byte_range(), "true");
            self.cx.set_fix("Verify certificates", vec![edit]);
        }
    }

    fn cookie(&mut self, call: Node<'_>, options: Option<Node<'_>>) {
        let opts = options.map(|o| text(o, self.src).replace(' ', "")).unwrap_or_default();
        let secure = opts.contains("secure:true")
            || opts.contains("secure:process.env")
            || opts.contains("secure:isProd");
        let http_only = opts.contains("httpOnly:true");
        if secure && http_only {
            return;
        }
        if options.is_some_and(|o| o.kind() != "object") {
            // Options from a variable: not visible here.
            return;
        }
        let mut missing = Vec::new();
        if !secure {
            missing.push("secure");
        }
        if !http_only {
            missing.push("httpOnly");
        }
        let cwe = if !secure { 614 } else { 1004 };
        let at = field(call, "function")
            .and_then(|f| field(f, "property"))
            .map_or(call.byte_range(), |p| p.byte_range());
        self.cx.report_with("insecure-cookie", Some(cwe), None, at, format!("This cookie is set without `{}`: it can travel over plain HTTP or be read by page scripts (and so by any XSS). Pass `{{ secure: true, httpOnly: true, sameSite: 'lax' }}`.", missing.join("` and `")));
        let edits = match options {
            None => field(call, "arguments").map(|a| {
                let close = a.end_byte() - 1;
                vec![self.cx.edit(close..close, ", { secure: true, httpOnly: true, sameSite: 'lax' }")]
            }),
            Some(o) => {
                let mut parts = Vec::new();
                for (key, present) in [
                    ("secure", opts.contains("secure:")),
                    ("httpOnly", opts.contains("httpOnly:")),
                    ("sameSite", opts.contains("sameSite:")),
                ] {
                    if !present {
                        parts.push(if key == "sameSite" {
                            "sameSite: 'lax'".to_string()
                        } else {
                            format!("{key}: true")
                        });
                    }
                }
                let mut edits = Vec::new();
                for p in named_children(o).filter(|p| p.kind() == "pair") {
                    if let (Some(k), Some(v)) = (field(p, "key"), field(p, "value"))
                        && matches!(text(k, self.src), "secure" | "httpOnly")
                        && text(v, self.src) == "false"
                    {
                        edits.push(self.cx.edit(v.byte_range(), "true"));
                    }
                }
                if !parts.is_empty() {
                    let close = o.end_byte() - 1;
                    let inner = self.src[o.start_byte() + 1..close].trim();
                    let sep = if inner.is_empty() || inner.ends_with(',') { " " } else { ", " };
                    edits.push(self.cx.edit(close..close, format!("{sep}{} ", parts.join(", "))));
                }
                Some(edits)
            }
        };
        if let Some(edits) = edits {
            self.cx.set_fix("Set secure, httpOnly and sameSite", edits);
        }
    }
}

/// `require('mod')` → (`mod`, None); `require('mod').member` → (`mod`, Some(member)).
fn require_of(node: Node<'_>, src: &str) -> Option<(String, Option<String>)> {
    let node = unwrap_expr(node);
    match node.kind() {
        "call_expression" => {
            let f = field(node, "function")?;
            if text(f, src) != "require" {
                return None;
            }
            let arg = named_children(field(node, "arguments")?).next()?;
            Some((module_name(text(arg, src)), None))
        }
        "member_expression" => {
            let (module, member) = require_of(field(node, "object")?, src)?;
            if member.is_some() {
                return None;
            }
            Some((module, Some(text(field(node, "property")?, src).to_string())))
        }
        _ => None,
    }
}

fn unwrap_expr(node: Node<'_>) -> Node<'_> {
    match node.kind() {
        "parenthesized_expression" | "await_expression" | "as_expression" | "non_null_expression" => {
            named_children(node).next().map_or(node, unwrap_expr)
        }
        _ => node,
    }
}

/// The pattern a parameter binds (`x`, `{ a, b }`, `x = 1`, `x: T`).
fn pattern_of(p: Node<'_>) -> Option<Node<'_>> {
    match p.kind() {
        "identifier" | "object_pattern" | "array_pattern" => Some(p),
        "required_parameter" | "optional_parameter" => field(p, "pattern"),
        "assignment_pattern" => field(p, "left"),
        "rest_pattern" => named_children(p).next(),
        _ => None,
    }
}

fn param_name(p: Node<'_>, src: &str) -> String {
    match pattern_of(p) {
        Some(pat) if pat.kind() == "identifier" => text(pat, src).to_string(),
        Some(pat) => text(pat, src).to_string(),
        None => String::new(),
    }
}

fn param_type(p: Node<'_>, src: &str) -> String {
    field(p, "type").map(|t| text(t, src).trim_start_matches(':').trim().to_string()).unwrap_or_default()
}

/// The value of `key` in an object literal.
fn object_value<'t>(object: Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    named_children(object).find_map(|p| match p.kind() {
        "pair" if field(p, "key").is_some_and(|k| text(k, src).trim_matches(['"', '\'']) == key) => {
            field(p, "value")
        }
        // `{ filter }`: the variable of that name.
        "shorthand_property_identifier" if text(p, src) == key => Some(p),
        _ => None,
    })
}

/// The whole method chain a call sits in (`crypto.createHash('sha256').update(password).digest()`).
fn chain_text<'a>(call: Node<'_>, src: &'a str) -> &'a str {
    let mut top = call;
    while let Some(p) = top.parent() {
        if matches!(p.kind(), "member_expression" | "call_expression") {
            top = p;
        } else {
            break;
        }
    }
    text(top, src)
}

/// The variable or property a call's value lands in, or the function it is returned from.
fn assigned_name(call: Node<'_>, src: &str) -> Option<String> {
    let mut n = call.parent();
    while let Some(p) = n {
        match p.kind() {
            "variable_declarator" => return field(p, "name").map(|l| text(l, src).to_string()),
            "assignment_expression" => return field(p, "left").map(|l| text(l, src).to_string()),
            "pair" => return field(p, "key").map(|l| text(l, src).to_string()),
            "statement_block" | "program" => return None,
            _ => n = p.parent(),
        }
    }
    None
}

/// The value an identifier was declared with (`const opts = {…}`), in the enclosing function.
fn declared_value<'t>(ident: Node<'t>, src: &str) -> Option<Node<'t>> {
    let name = text(ident, src);
    let scope = ancestor(ident, &["statement_block", "program"])?;
    descendants(scope)
        .into_iter()
        .filter(|n| n.kind() == "variable_declarator" && n.end_byte() <= ident.start_byte())
        .rfind(|n| field(*n, "name").is_some_and(|l| text(l, src) == name))
        .and_then(|n| field(n, "value"))
}

/// `ALLOWED_ORIGINS`, `EXPORTERS`: a module-level constant.
fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && name.chars().any(|c| c.is_ascii_uppercase())
}

fn looks_like_sql(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE ", " FROM ", "DROP ", " VALUES", "ORDER BY",
        " LIKE ",
    ]
    .iter()
    .any(|k| u.contains(k))
}

fn looks_like_html(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
}
