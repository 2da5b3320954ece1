//! Python: Flask, FastAPI, Django and plain Python.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::syntax::{
    descendants, dotted, field, last_segment, literal_parts, named_children, passwordish, secretish,
    string_value, text,
};
use super::taint::{Info, Level, Scopes, sanitizer, sink, validator};
use super::{Cx, Lang, Severity};

pub(crate) fn check(cx: &mut Cx<'_>) {
    let Some(tree) = Lang::Python.parse(cx.text) else { return };
    let root = tree.root_node();
    let mut py = Py::new(cx, root);
    py.walk(root);
    py.django_settings(root);
}

/// Jinja and Django templates: output marked safe, autoescaping turned off.
pub(crate) fn check_template(cx: &mut Cx<'_>) {
    static SAFE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\{\{[^}]*\|\s*safe\b[^}]*\}\}|\{%-?\s*autoescape\s+(false|off)\b").expect("valid")
    });
    let found: Vec<_> = SAFE.find_iter(cx.text).map(|m| (m.range(), m.as_str().to_string())).collect();
    for (range, what) in found {
        let message = if what.contains("autoescape") {
            "Autoescaping is turned off here, so every variable in this block is inserted as raw HTML: a value holding `<script>` runs in the visitor's browser. Remove the block or escape each value."
        } else {
            "The `safe` filter inserts this value as raw HTML, so any markup in it (from users, the database or a URL) runs in the visitor's browser. Drop `|safe`, or sanitise the value with a vetted library before marking it safe."
        };
        cx.report("xss", range, message);
    }
}

/// Types whose values cannot carry an injection (FastAPI and pydantic convert to them).
const SAFE_TYPES: &[&str] = &[
    "int",
    "float",
    "bool",
    "UUID",
    "uuid.UUID",
    "datetime",
    "date",
    "time",
    "Decimal",
    "PositiveInt",
    "NonNegativeInt",
    "conint",
    "Session",
    "AsyncSession",
    "Connection",
    "sqlite3.Connection",
    "Request",
    "Response",
    "BackgroundTasks",
    "HTTPConnection",
    "WebSocket",
    "HttpRequest",
    "EmailStr",
];

/// Functions whose result is their argument in another form.
const PASS_THROUGH: &[&str] = &[
    "str",
    "repr",
    "bytes",
    "bytearray",
    "dict",
    "list",
    "tuple",
    "set",
    "sorted",
    "reversed",
    "Path",
    "PurePath",
    "PurePosixPath",
    "fspath",
    "loads",
    "load",
    "unquote",
    "unquote_plus",
    "parse_qs",
    "parse_qsl",
    "urlparse",
    "urlsplit",
    "b64decode",
    "urlsafe_b64decode",
    "decode",
    "normpath",
    "realpath",
    "abspath",
    "expanduser",
    "join",
    "dumps",
    "format",
    "strip",
    "lower",
    "upper",
    "encode",
    "replace",
    "removeprefix",
    "removesuffix",
    "next",
    "getattr",
    "cast",
    "Markup",
    "escape_like",
];

/// Names of one-time codes: `code`, `invite_code`, `coupon`.
fn code_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "code"
        || n.ends_with("_code")
        || n.contains("invite")
        || n.contains("coupon")
        || n.contains("voucher")
}

/// The value last assigned to an identifier before it is used, in the same function.
fn assigned_value<'t>(ident: Node<'t>, src: &str) -> Option<Node<'t>> {
    let name = text(ident, src);
    let scope = super::syntax::ancestor(ident, &["function_definition", "module"])?;
    descendants(scope)
        .into_iter()
        .filter(|n| n.kind() == "assignment" && n.end_byte() <= ident.start_byte())
        .rfind(|n| field(*n, "left").is_some_and(|l| text(l, src) == name))
        .and_then(|n| field(n, "right"))
}

/// `ALLOWED_FORMATS`, `EXPORTERS`: a module-level constant.
fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && name.chars().any(|c| c.is_ascii_uppercase())
}

/// Attributes of a request object that hold what the client sent.
const REQUEST_DATA: &[&str] = &[
    "args",
    "form",
    "values",
    "json",
    "data",
    "files",
    "cookies",
    "headers",
    "view_args",
    "get_json",
    "get_data",
    "GET",
    "POST",
    "body",
    "FILES",
    "COOKIES",
    "META",
    "query_params",
    "path_params",
    "query_string",
    "full_path",
    "path",
    "url",
    "stream",
    "environ",
    "params",
    "query",
];

/// Decorators and dependency names that mean "the caller is authenticated".
fn auth_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "login_required",
        "auth",
        "user",
        "token",
        "jwt",
        "permission",
        "principal",
        "admin",
        "current_",
        "security",
        "bearer",
        "oauth",
        "api_key",
        "apikey",
        "account",
        "signed_in",
        "logged_in",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The function a `Depends(…)` / `Security(…)` names.
fn dependency_target(text: &str) -> Option<&str> {
    let at = text.find("Depends(").map(|i| i + 8).or_else(|| text.find("Security(").map(|i| i + 9))?;
    let rest = &text[at..];
    Some(rest[..rest.find([')', ',']).unwrap_or(rest.len())].trim())
}

/// Routes that must stay reachable without signing in.
fn public_route(path: &str, function: &str) -> bool {
    let s = format!("{path} {function}").to_ascii_lowercase();
    [
        "login",
        "logout",
        "register",
        "signup",
        "sign_up",
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
    .any(|w| s.contains(w))
}

struct Route<'t> {
    decorator: Node<'t>,
    methods: Vec<String>,
    path: String,
    protected: bool,
}

struct Py<'c, 'a> {
    cx: &'c mut Cx<'a>,
    src: &'a str,
    /// Local name → what it was imported as (`rd` → `flask.redirect`, `sp` → `subprocess`).
    aliases: HashMap<String, String>,
    scopes: Scopes,
    /// Names holding a request object in the current functions.
    requests: Vec<HashSet<String>>,
    /// The file uses authentication somewhere (so a mutating route without it stands out).
    uses_auth: bool,
    /// Every route of the file is protected at the router or blueprint level.
    all_protected: bool,
    /// Function names stack, for "is this a token generator" context.
    functions: Vec<String>,
    /// The current function is a web route handler (returned strings become responses).
    in_route: Vec<bool>,
    /// `Access-Control-Allow-Credentials: true` is set somewhere in the file.
    credentials_header: bool,
    /// Inside a class of an `http.server`-style request handler (`self.path` is input).
    in_handler_class: bool,
}

impl<'c, 'a> Py<'c, 'a> {
    fn new(cx: &'c mut Cx<'a>, root: Node<'_>) -> Py<'c, 'a> {
        let src = cx.text;
        let mut aliases = HashMap::new();
        let mut all_protected = false;
        // One pass over the tree: imports, and auth installed for a whole router or blueprint.
        for node in descendants(root) {
            match node.kind() {
                "import_statement" => {
                    for name in named_children(node) {
                        if name.kind() == "aliased_import"
                            && let (Some(n), Some(a)) = (field(name, "name"), field(name, "alias"))
                        {
                            aliases.insert(text(a, src).to_string(), text(n, src).to_string());
                        }
                    }
                }
                "import_from_statement" => {
                    let Some(module) = field(node, "module_name").map(|m| text(m, src).to_string()) else {
                        continue;
                    };
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let (n, a) = if name.kind() == "aliased_import" {
                            (field(name, "name"), field(name, "alias"))
                        } else {
                            (Some(name), Some(name))
                        };
                        if let (Some(n), Some(a)) = (n, a) {
                            aliases.insert(text(a, src).to_string(), format!("{module}.{}", text(n, src)));
                        }
                    }
                }
                "call" if !all_protected => {
                    all_protected = field(node, "function").is_some_and(|f| {
                        let f = text(f, src);
                        f.ends_with("APIRouter") || f.ends_with("Blueprint")
                    }) && field(node, "arguments").is_some_and(|a| {
                        named_children(a).any(|k| {
                            k.kind() == "keyword_argument"
                                && field(k, "name").is_some_and(|n| text(n, src) == "dependencies")
                                && auth_name(text(k, src))
                        })
                    });
                }
                // A Flask `before_request` hook that checks the session or token guards every route.
                "decorated_definition" if !all_protected => {
                    let t = text(node, src);
                    all_protected = t.contains("before_request")
                        && (t.contains("abort(401")
                            || t.contains("abort(403")
                            || t.contains("login")
                            || t.contains("is_authenticated"));
                }
                _ => {}
            }
        }
        let lower = src.to_ascii_lowercase();
        let uses_auth = [
            "login_required",
            "jwt_required",
            "loginrequiredmixin",
            "isauthenticated",
            "current_user",
            "require_auth",
            "requires_auth",
            "token_required",
            "auth_required",
            "security(",
            "httpbearer",
            "oauth2passwordbearer",
            "get_current_user",
            "authenticate",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let credentials_header = lower.contains("access-control-allow-credentials");
        Py {
            cx,
            src,
            aliases,
            scopes: Scopes::default(),
            requests: Vec::new(),
            uses_auth,
            all_protected,
            functions: Vec::new(),
            in_route: Vec::new(),
            credentials_header,
            in_handler_class: false,
        }
    }

    /// A dotted name with its first segment resolved through the imports.
    fn resolve(&self, node: Node<'_>) -> Option<String> {
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
        if node.kind() != "identifier" {
            return false;
        }
        let name = text(node, self.src);
        self.requests.iter().any(|r| r.contains(name))
            || self.aliases.get(name).is_some_and(|full| full.ends_with(".request"))
            || name == "request"
    }

    // --- the walk --------------------------------------------------------------------------

    fn walk(&mut self, node: Node<'_>) {
        match node.kind() {
            "decorated_definition" => {
                let decorators: Vec<Node<'_>> =
                    named_children(node).filter(|c| c.kind() == "decorator").collect();
                match field(node, "definition") {
                    Some(def) if def.kind() == "function_definition" => self.function(def, &decorators),
                    Some(def) => self.walk(def),
                    None => {}
                }
            }
            "function_definition" => self.function(node, &[]),
            "class_definition" => {
                let handler =
                    field(node, "superclasses").is_some_and(|b| text(b, self.src).contains("RequestHandler"));
                let outer = std::mem::replace(&mut self.in_handler_class, handler);
                self.walk_children(node);
                self.in_handler_class = outer;
            }
            "assignment" | "augmented_assignment" => {
                if let Some(right) = field(node, "right") {
                    self.walk(right);
                }
                self.assignment(node);
            }
            "if_statement" | "elif_clause" | "while_statement" => {
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
                // `if not allowed: target = "/"`: after a validation, a value the branch
                // replaced with a constant is safe either way.
                if let (Some(cond), Some(body)) = (cond, field(node, "consequence"))
                    && self.validation(cond)
                {
                    for stmt in named_children(body) {
                        let Some(assign) = named_children(stmt).next().filter(|a| a.kind() == "assignment")
                        else {
                            continue;
                        };
                        if let (Some(l), Some(r)) = (field(assign, "left"), field(assign, "right"))
                            && self.info(r).constant
                            && let Some(name) = dotted(l, self.src)
                        {
                            self.scopes.validate(&name);
                        }
                    }
                }
            }
            "for_statement" | "try_statement" | "except_clause" | "match_statement" => {
                if node.kind() == "for_statement"
                    && let (Some(left), Some(right)) = (field(node, "left"), field(node, "right"))
                {
                    self.walk(right);
                    let info = self.info(right);
                    self.scopes.enter_branch();
                    self.bind(left, info);
                    self.scopes.leave_branch();
                }
                self.scopes.enter_branch();
                for child in named_children(node) {
                    if node.kind() != "for_statement"
                        || (Some(child) != field(node, "left") && Some(child) != field(node, "right"))
                    {
                        self.walk(child);
                    }
                }
                self.scopes.leave_branch();
            }
            "with_item" => {
                self.walk_children(node);
                // `with open(p) as f`: f carries p's taint.
                if let Some(value) = field(node, "value")
                    && value.kind() == "as_pattern"
                    && let (Some(inner), Some(target)) = (named_children(value).next(), field(value, "alias"))
                {
                    let info = self.info(inner);
                    self.bind(target, info);
                }
            }
            "call" => {
                self.walk_children(node);
                self.call(node);
            }
            "return_statement" => {
                self.walk_children(node);
                if let Some(value) = named_children(node).next() {
                    self.returned(value);
                }
            }
            _ => self.walk_children(node),
        }
    }

    fn walk_children(&mut self, node: Node<'_>) {
        for child in named_children(node) {
            self.walk(child);
        }
    }

    fn function(&mut self, def: Node<'_>, decorators: &[Node<'_>]) {
        let name = field(def, "name").map(|n| text(n, self.src).to_string()).unwrap_or_default();
        let route = self.route(decorators, def, &name);
        self.scopes.push();
        let mut requests = HashSet::new();
        let params: Vec<Node<'_>> =
            field(def, "parameters").map(|p| named_children(p).collect()).unwrap_or_default();
        let in_class = super::syntax::ancestor(def, &["class_definition", "function_definition"])
            .is_some_and(|a| a.kind() == "class_definition");
        // Django views take the request first; the URL's parameters follow it.
        let mut after_request = false;
        let mut has_auth_param = false;
        for (i, p) in params.iter().enumerate() {
            let (pname, annotation, default) = param_parts(*p, self.src);
            let Some(pname) = pname else { continue };
            if in_class && i == 0 && (pname == "self" || pname == "cls") {
                continue;
            }
            let annotation = annotation.unwrap_or_default();
            let default = default.unwrap_or_default();
            let dependency = default.contains("Depends(")
                || default.contains("Security(")
                || annotation.contains("Depends(")
                || annotation.contains("Security(");
            let target = dependency_target(&default).or_else(|| dependency_target(&annotation)).unwrap_or("");
            if dependency && (auth_name(target) || target.starts_with("Security")) {
                has_auth_param = true;
            }
            if !dependency
                && (annotation.contains("User") || annotation.contains("Principal"))
                && auth_name(&pname)
            {
                has_auth_param = true;
            }
            let ty = base_type(&annotation);
            if pname == "request"
                || pname == "req"
                || matches!(ty, "Request" | "HttpRequest" | "WSGIRequest" | "ASGIRequest")
                || ty.ends_with(".Request")
            {
                requests.insert(pname.clone());
                after_request = true;
                continue;
            }
            if dependency || SAFE_TYPES.contains(&base_type(&annotation)) {
                self.scopes.bind(&pname, Info::default());
                continue;
            }
            let info =
                if route.is_some() || after_request { Info::strong(&pname) } else { Info::weak(&pname) };
            self.scopes.bind(&pname, info);
        }
        self.requests.push(requests);
        self.functions.push(name.clone());
        self.in_route.push(route.is_some());
        if let Some(body) = field(def, "body") {
            self.walk(body);
        }
        self.in_route.pop();
        self.functions.pop();
        self.requests.pop();
        self.scopes.pop();

        // A mutating route in a file that authenticates elsewhere, without authentication.
        if let Some(route) = route {
            let mutating =
                route.methods.iter().any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"));
            let protected =
                route.protected || has_auth_param || self.all_protected || body_checks_auth(def, self.src);
            if mutating && self.uses_auth && !protected && !public_route(&route.path, &name) {
                let methods = route.methods.join("/");
                let what = if route.path.is_empty() {
                    format!("`{name}`")
                } else {
                    format!("{methods} {}", route.path)
                };
                self.cx.report(
                    "missing-auth",
                    route.decorator.byte_range(),
                    format!(
                        "{what} changes data but requires no authentication, while other routes in this file do: anyone can call it. Add the app's auth dependency or decorator (e.g. `Depends(get_current_user)`, `@login_required`)."
                    ),
                );
            }
        }
    }

    /// The route a function serves, from its decorators (Flask, FastAPI) or its shape (Django).
    fn route<'t>(&self, decorators: &[Node<'t>], def: Node<'t>, name: &str) -> Option<Route<'t>> {
        let mut route: Option<Route<'t>> = None;
        let mut protected = false;
        for d in decorators {
            let Some(expr) = named_children(*d).next() else { continue };
            let (callee, args) = if expr.kind() == "call" {
                (field(expr, "function"), field(expr, "arguments"))
            } else {
                (Some(expr), None)
            };
            let Some(callee) = callee else { continue };
            let callee_text = text(callee, self.src);
            let method = last_segment(callee_text);
            if auth_name(method) || callee_text.contains("login_required") {
                protected = true;
            }
            if method == "require_POST" || method == "require_http_methods" {
                route = Some(Route {
                    decorator: *d,
                    methods: vec!["POST".into()],
                    path: String::new(),
                    protected: false,
                });
                continue;
            }
            let http = match method {
                "get" | "post" | "put" | "patch" | "delete" | "route" | "api_route" | "websocket" => method,
                _ => continue,
            };
            if !callee_text.contains('.') {
                continue;
            }
            let mut methods = match http {
                "route" | "api_route" => vec!["GET".to_string()],
                other => vec![other.to_ascii_uppercase()],
            };
            let mut path = String::new();
            if let Some(args) = args {
                for a in named_children(args) {
                    match a.kind() {
                        "string" if path.is_empty() => path = string_value(a, self.src).unwrap_or_default(),
                        "keyword_argument" => {
                            let key = field(a, "name").map(|n| text(n, self.src)).unwrap_or("");
                            let value = field(a, "value");
                            if key == "methods"
                                && let Some(v) = value
                            {
                                methods = named_children(v)
                                    .filter_map(|s| string_value(s, self.src))
                                    .map(|s| s.to_ascii_uppercase())
                                    .collect();
                            }
                            if key == "dependencies" && auth_name(text(a, self.src)) {
                                protected = true;
                            }
                        }
                        _ => {}
                    }
                }
            }
            route = Some(Route { decorator: *d, methods, path, protected: false });
        }
        if let Some(r) = route.as_mut() {
            r.protected |= protected;
            return route;
        }
        // Django: a view taking `request` that handles POST, or a class-based view's `post`.
        let params = field(def, "parameters").map(|p| text(p, self.src)).unwrap_or("");
        if !params.contains("request") {
            return None;
        }
        let body = field(def, "body").map(|b| text(b, self.src)).unwrap_or("");
        let handles_post = body.contains("request.method")
            && ["\"POST\"", "'POST'", "\"DELETE\"", "'DELETE'", "\"PUT\"", "'PUT'"]
                .iter()
                .any(|m| body.contains(m));
        let class_method = matches!(name, "post" | "put" | "patch" | "delete");
        if !(handles_post || class_method) {
            return None;
        }
        let class_protected = super::syntax::ancestor(def, &["class_definition"]).is_some_and(|c| {
            let t = text(c, self.src);
            t.contains("LoginRequiredMixin")
                || t.contains("PermissionRequiredMixin")
                || t.contains("IsAuthenticated")
                || t.contains("UserPassesTestMixin")
        });
        let anchor = decorators.first().copied().or_else(|| field(def, "name")).unwrap_or(def);
        Some(Route {
            decorator: anchor,
            methods: vec!["POST".into()],
            path: String::new(),
            protected: protected || class_protected,
        })
    }

    fn assignment(&mut self, node: Node<'_>) {
        let (Some(left), Some(right)) = (field(node, "left"), field(node, "right")) else { return };
        let mut info = self.info(right);
        if node.kind() == "augmented_assignment"
            && let Some(old) = dotted(left, self.src).and_then(|n| self.scopes.lookup(&n))
        {
            info = Info::concat(old, info);
        }
        self.settings_assignment(left, right);
        let flag = self.validation(right);
        self.bind(left, info);
        if flag && let Some(name) = dotted(left, self.src) {
            self.scopes.flag(&name);
        }
    }

    /// Whether an expression checks a value: a validator call (`startswith`, `is_safe_url`,
    /// `commonpath`), membership in a collection, a URL's parts compared, or a boolean that
    /// holds such a check.
    fn validation(&self, node: Node<'_>) -> bool {
        descendants(node).into_iter().any(|n| match n.kind() {
            "call" => field(n, "function")
                .map(|f| self.resolve(f).unwrap_or_else(|| text(f, self.src).to_string()))
                .is_some_and(|name| validator(&name)),
            "comparison_operator" => {
                let t = text(n, self.src);
                t.contains(" in ") || t.contains("netloc") || t.contains("scheme") || t.contains("hostname")
            }
            "identifier" => self.scopes.is_flag(text(n, self.src)),
            _ => false,
        })
    }

    fn bind(&mut self, target: Node<'_>, info: Info) {
        match target.kind() {
            "identifier" => self.scopes.bind(text(target, self.src), info),
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                for t in named_children(target) {
                    self.bind(t, info.clone());
                }
            }
            "attribute" => {
                if let Some(name) = dotted(target, self.src) {
                    self.scopes.bind(&name, info);
                }
            }
            _ => {}
        }
    }

    /// Values an `if` condition checks with a validator, or against an allow-list.
    fn guards(&mut self, cond: Node<'_>) {
        for n in descendants(cond) {
            match n.kind() {
                "call" => {
                    let Some(callee) = field(n, "function") else { continue };
                    let name = self.resolve(callee).unwrap_or_else(|| text(callee, self.src).to_string());
                    if !validator(&name) {
                        continue;
                    }
                    // `x.startswith(BASE)`: x; `is_safe_url(x, ...)`: the arguments.
                    if callee.kind() == "attribute"
                        && let Some(obj) = field(callee, "object")
                        && let Some(o) = dotted(obj, self.src)
                    {
                        self.scopes.validate(&o);
                    }
                    if let Some(args) = field(n, "arguments") {
                        for a in named_children(args) {
                            let a = if a.kind() == "keyword_argument" {
                                field(a, "value").unwrap_or(a)
                            } else {
                                a
                            };
                            // `commonpath([base, path])`: each item.
                            let items: Vec<Node<'_>> = if matches!(a.kind(), "list" | "tuple") {
                                named_children(a).collect()
                            } else {
                                vec![a]
                            };
                            for item in items {
                                if let Some(name) = dotted(item, self.src) {
                                    self.scopes.validate(&name);
                                }
                            }
                        }
                    }
                }
                "comparison_operator" => {
                    // `x in ALLOWED` / `x not in ALLOWED`.
                    let t = text(n, self.src);
                    if t.contains(" in ")
                        && let Some(first) = named_children(n).next()
                        && let Some(name) = dotted(first, self.src)
                    {
                        self.scopes.validate(&name);
                    }
                }
                _ => {}
            }
        }
    }

    // --- what a value is --------------------------------------------------------------------

    fn info(&self, node: Node<'_>) -> Info {
        match node.kind() {
            "identifier" => {
                if self.is_request(node) {
                    return Info::default();
                }
                self.scopes.lookup(text(node, self.src)).unwrap_or_default()
            }
            "string" => {
                let mut info = Info::constant();
                info.markup = looks_like_html(&literal_parts(node, self.src));
                let mut first = true;
                for child in named_children(node) {
                    match child.kind() {
                        "interpolation" => {
                            let inner = field(child, "expression").map(|e| self.info(e)).unwrap_or_default();
                            let head = first && inner.tainted();
                            info = Info::concat(info, inner);
                            info.head |= head;
                            first = false;
                        }
                        "string_content" => first = false,
                        _ => {}
                    }
                }
                info
            }
            "concatenated_string" => {
                named_children(node).map(|c| self.info(c)).reduce(Info::concat).unwrap_or_default()
            }
            "binary_operator" => {
                let (Some(l), Some(r)) = (field(node, "left"), field(node, "right")) else {
                    return Info::default();
                };
                let op = field(node, "operator").map(|o| text(o, self.src)).unwrap_or("");
                let (li, ri) = (self.info(l), self.info(r));
                match op {
                    "+" | "%" => Info::concat(li, ri),
                    _ => Info { built: false, head: false, ..li.join(ri) },
                }
            }
            "attribute" => {
                if let Some(obj) = field(node, "object")
                    && self.is_request(obj)
                    && let Some(attr) = field(node, "attribute")
                {
                    let a = text(attr, self.src);
                    return if REQUEST_DATA.contains(&a) {
                        Info::strong(text(node, self.src))
                    } else {
                        Info::default()
                    };
                }
                if let Some(name) = dotted(node, self.src)
                    && let Some(info) = self.scopes.lookup(&name)
                {
                    return info;
                }
                let t = text(node, self.src);
                if t == "sys.argv" {
                    return Info::strong("sys.argv");
                }
                // `http.server` handlers: the request line, headers and body.
                if self.in_handler_class
                    && matches!(t, "self.path" | "self.headers" | "self.rfile" | "self.requestline")
                {
                    return Info::strong(t);
                }
                field(node, "object").map(|o| self.info(o)).unwrap_or_default()
            }
            "subscript" => {
                let Some(value) = field(node, "value") else { return Info::default() };
                if is_constant_name(text(value, self.src)) {
                    return Info::default();
                }
                Info { built: false, constant: false, ..self.info(value) }
            }
            "conditional_expression" => {
                // `url if is_local else "/"`: a validated choice.
                let parts: Vec<Node<'_>> = named_children(node).collect();
                if parts.len() == 3 && self.validation(parts[1]) {
                    return Info::default();
                }
                parts
                    .iter()
                    .filter(|p| Some(**p) != parts.get(1).copied())
                    .map(|p| self.info(*p))
                    .reduce(Info::join)
                    .unwrap_or_default()
            }
            "call" => self.call_info(node),
            "comparison_operator"
            | "not_operator"
            | "lambda"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none" => Info::constant(),
            "keyword_argument" => field(node, "value").map(|v| self.info(v)).unwrap_or_default(),
            "parenthesized_expression"
            | "await"
            | "expression_statement"
            | "as_pattern"
            | "boolean_operator"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "pair"
            | "expression_list"
            | "list_comprehension"
            | "generator_expression"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "list_splat"
            | "dictionary_splat"
            | "argument_list" => {
                let items: Vec<Info> = named_children(node).map(|c| self.info(c)).collect();
                let collection = matches!(
                    node.kind(),
                    "list" | "tuple" | "set" | "dictionary" | "list_comprehension" | "expression_list"
                );
                let joined = items.into_iter().reduce(Info::join).unwrap_or_else(Info::constant);
                if collection { Info { built: false, head: false, ..joined } } else { joined }
            }
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
        if name == "input" {
            return Info::strong("input()");
        }
        if let Some(mask) = sanitizer(&name) {
            return args_info().cleaned(mask);
        }
        if callee.kind() == "attribute" {
            let method = field(callee, "attribute").map(|a| text(a, self.src)).unwrap_or("");
            let object = field(callee, "object");
            if let Some(obj) = object
                && self.is_request(obj)
            {
                return if REQUEST_DATA.contains(&method) || matches!(method, "json" | "form" | "body") {
                    Info::strong(text(call, self.src))
                } else {
                    Info::default()
                };
            }
            // Tornado-style handlers read arguments through `self`.
            if object.is_some_and(|o| text(o, self.src) == "self")
                && matches!(
                    method,
                    "get_argument"
                        | "get_query_argument"
                        | "get_body_argument"
                        | "get_arguments"
                        | "get_cookie"
                )
            {
                return Info::strong(text(call, self.src));
            }
            // Rows come from the database: stored data is not followed.
            if matches!(
                method,
                "execute"
                    | "executemany"
                    | "fetchone"
                    | "fetchall"
                    | "fetchmany"
                    | "query"
                    | "filter"
                    | "filter_by"
                    | "first"
                    | "all"
                    | "scalar"
                    | "scalars"
                    | "one"
                    | "get_or_404"
                    | "first_or_404"
            ) {
                return Info::default();
            }
            // A value looked up in a constant table is the table's, not the input's.
            if matches!(method, "get" | "__getitem__")
                && object.is_some_and(|o| is_constant_name(text(o, self.src)))
            {
                return Info::default();
            }
            let obj_info = object.map(|o| self.info(o)).unwrap_or_default();
            match method {
                "format" | "format_map" => {
                    let mut info = Info::concat(obj_info, args_info());
                    info.built = true;
                    return info;
                }
                "join" if object.is_some_and(|o| o.kind() == "string") => {
                    let mut info = args_info();
                    info.built = true;
                    info.constant = false;
                    return info;
                }
                _ => {}
            }
            if obj_info.tainted() {
                return Info { built: false, ..obj_info };
            }
            if name.starts_with("os.path.") || name.starts_with("posixpath.") || name.ends_with("urljoin") {
                // The first argument decides the head.
                let mut info = args_info();
                info.head = args.first().is_some_and(|a| self.info(*a).head);
                return info;
            }
        }
        let info = Info { built: false, constant: false, ..args_info() };
        // Functions that hand their input back in another shape keep its taint; any other
        // function computes something from it (a lookup, a record), which is weaker evidence.
        if PASS_THROUGH.contains(&last_segment(&name)) { info } else { info.derived() }
    }

    // --- sinks ------------------------------------------------------------------------------

    fn call(&mut self, call: Node<'_>) {
        let Some(callee) = field(call, "function") else { return };
        let name = self.resolve(callee).unwrap_or_default();
        let method = match callee.kind() {
            "attribute" => {
                field(callee, "attribute").map(|a| text(a, self.src).to_string()).unwrap_or_default()
            }
            _ => name.clone(),
        };
        let arglist = field(call, "arguments");
        let args: Vec<Node<'_>> = arglist
            .map(|a| {
                named_children(a)
                    .filter(|c| c.kind() != "keyword_argument" && c.kind() != "comment")
                    .collect()
            })
            .unwrap_or_default();
        let kwargs: Vec<(String, Node<'_>)> = arglist
            .map(|a| {
                named_children(a)
                    .filter(|c| c.kind() == "keyword_argument")
                    .filter_map(|k| Some((text(field(k, "name")?, self.src).to_string(), field(k, "value")?)))
                    .collect()
            })
            .unwrap_or_default();
        let kw = |key: &str| kwargs.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let arg = |i: usize, key: &str| args.get(i).copied().or_else(|| kw(key));
        let kw_is = |key: &str, value: &str| kw(key).is_some_and(|v| text(v, self.src) == value);
        let at = call.byte_range();
        let bare = callee.kind() == "identifier" && !self.aliases.contains_key(text(callee, self.src));

        // SQL.
        if (matches!(
            method.as_str(),
            "execute" | "executemany" | "executescript" | "raw" | "read_sql" | "read_sql_query"
        ) || name == "sqlalchemy.text"
            || name == "sqlalchemy.sql.text"
            || name.ends_with("RawSQL"))
            && let Some(q) = arg(0, "sql").or_else(|| kw("query")).or_else(|| kw("statement"))
        {
            let info = self.info(q).against(sink::SQL);
            let looks_sql = q.kind() != "string" || looks_like_sql(&literal_parts(q, self.src));
            if looks_sql && (info.is_strong() || (info.level == Level::Weak && info.built)) {
                let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
                self.cx.report_with(
                        "sql-injection",
                        None,
                        severity,
                        q.byte_range(),
                        format!(
                            "The SQL text is built from {}: a quote in it rewrites the query (read or delete any row). Keep the SQL constant and pass the value as a parameter: `execute(\"… WHERE name = ?\", (name,))`.",
                            info.describe()
                        ),
                    );
            }
        }

        // Shell commands.
        let shell_sink = matches!(
            name.as_str(),
            "os.system"
                | "os.popen"
                | "commands.getoutput"
                | "commands.getstatusoutput"
                | "subprocess.getoutput"
                | "subprocess.getstatusoutput"
                | "asyncio.create_subprocess_shell"
                | "pty.spawn"
        ) || (name.starts_with("subprocess.") && kw_is("shell", "True"));
        if shell_sink && let Some(cmd) = arg(0, "args").or_else(|| kw("cmd")) {
            let info = self.info(cmd).against(sink::COMMAND);
            if info.is_strong() || (info.level == Level::Weak && info.built) {
                self.cx.report(
                    "command-injection",
                    cmd.byte_range(),
                    format!(
                        "The shell command is built from {}: `;`, `|` or `$(…)` in it run other commands. Pass an argument list without a shell (`subprocess.run([\"prog\", value])`), or quote with `shlex.quote`.",
                        info.describe()
                    ),
                );
            }
        } else if (name.starts_with("subprocess.")
            || name.starts_with("os.exec")
            || name.starts_with("os.spawn"))
            && let Some(cmd) = arg(0, "args")
        {
            // Without a shell only the program matters: input must not choose it.
            // `cmd = ["convert", src, dst]; subprocess.run(cmd)`: the list the variable holds.
            let cmd =
                if cmd.kind() == "identifier" { assigned_value(cmd, self.src).unwrap_or(cmd) } else { cmd };
            let program =
                if matches!(cmd.kind(), "list" | "tuple") { named_children(cmd).next() } else { Some(cmd) };
            if let Some(p) = program {
                let info = self.info(p).against(sink::COMMAND);
                if info.is_strong() {
                    self.cx.report(
                        "command-injection",
                        p.byte_range(),
                        format!("The program to run comes from {}: the caller chooses what runs on the server. Pick the program from a fixed list.", info.describe()),
                    );
                }
            }
        }

        // Code evaluation.
        if bare
            && matches!(name.as_str(), "eval" | "exec")
            && let Some(code) = args.first()
        {
            let info = self.info(*code).against(sink::CODE);
            if !info.constant {
                let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
                self.cx.report_with(
                        "code-injection",
                        None,
                        severity,
                        at.clone(),
                        format!(
                            "`{name}` runs its argument as Python code, and that is {}: whoever controls it runs anything on the server. Parse data with `json.loads` or `ast.literal_eval`, or map names to functions with a dictionary.",
                            if info.tainted() { info.describe() } else { "a string built at run time".into() }
                        ),
                    );
            }
        }
        if matches!(name.as_str(), "importlib.import_module" | "__import__")
            && let Some(m) = args.first()
            && self.info(*m).against(sink::CODE).is_strong()
        {
            let info = self.info(*m).against(sink::CODE);
            self.cx.report_with("code-injection", Some(94), None, at.clone(), format!("The module to import comes from {}: importing runs the module's code. Import from a fixed allow-list.", info.describe()));
        }
        if (last_segment(&name) == "render_template_string"
            || (name.ends_with("Template") && name.contains("jinja2")))
            && let Some(t) = args.first()
        {
            let info = self.info(*t).against(sink::CODE);
            if info.is_strong() {
                self.cx.report_with(
                        "code-injection",
                        Some(94),
                        None,
                        t.byte_range(),
                        format!("The template source is built from {}: template syntax in it (`{{{{ … }}}}`) runs on the server (server-side template injection) and its HTML is not escaped. Keep the template constant and pass values as variables.", info.describe()),
                    );
            }
        }

        // Files.
        let file_sink = (bare && name == "open")
            || matches!(
                name.as_str(),
                "io.open"
                    | "os.open"
                    | "codecs.open"
                    | "os.remove"
                    | "os.unlink"
                    | "os.rmdir"
                    | "os.removedirs"
                    | "os.listdir"
                    | "os.scandir"
                    | "shutil.rmtree"
                    | "shutil.copy"
                    | "shutil.copyfile"
                    | "shutil.move"
                    | "os.rename"
            )
            || last_segment(&name) == "send_file"
            || last_segment(&name) == "FileResponse"
            || (callee.kind() == "attribute"
                && matches!(
                    method.as_str(),
                    "read_text" | "read_bytes" | "write_text" | "write_bytes" | "unlink" | "open"
                )
                && name != "open");
        if file_sink {
            let target = if callee.kind() == "attribute"
                && matches!(
                    method.as_str(),
                    "read_text" | "read_bytes" | "write_text" | "write_bytes" | "unlink" | "open"
                )
                && !name.starts_with("os.")
                && !name.starts_with("io.")
                && !name.starts_with("codecs.")
            {
                field(callee, "object")
            } else {
                arg(0, "path").or_else(|| kw("file")).or_else(|| kw("filename"))
            };
            if let Some(p) = target {
                let info = self.info(p).against(sink::PATH);
                if info.is_strong() {
                    self.cx.report(
                        "path-traversal",
                        p.byte_range(),
                        format!(
                            "The file path is built from {}: `../` in it reaches any file the server can read or write. Reduce it to a file name (`secure_filename`, `os.path.basename`) and check the resolved path stays inside the base folder.",
                            info.describe()
                        ),
                    );
                }
            }
        }

        // Archives extracted without checking member paths (zip slip).
        if matches!(method.as_str(), "extractall" | "extract")
            && self.src.contains("tarfile")
            && kw("filter").is_none()
        {
            self.cx.report("path-traversal", at.clone(), "The archive is extracted without checking its members: an entry named `../../x` (or a symlink) writes outside the folder. Pass `filter=\"data\"` (Python 3.12+, backported to 3.8+) or check each member's resolved path first.");
        }
        if method == "extractall" && self.src.contains("zipfile") && !self.src.contains("tarfile") {
            // zipfile sanitises member names itself; nothing to report.
        }
        // A template given literally, with markup marked safe.
        if last_segment(&name) == "render_template_string"
            && let Some(t) = args.first()
            && t.kind() == "string"
        {
            let lit = literal_parts(*t, self.src);
            if lit.contains("|safe") || lit.contains("| safe") {
                self.cx.report("xss", t.byte_range(), "The template marks a value `|safe`, so it is inserted as raw HTML: markup in it (from the request or the database) runs in the visitor's browser. Drop `|safe`, or sanitise the value first.");
            }
        }

        // HTML.
        let markup = matches!(last_segment(&name), "Markup" | "mark_safe" | "SafeString");
        let html_response =
            matches!(last_segment(&name), "HTMLResponse" | "HttpResponse" | "make_response" | "Response");
        if (markup || html_response)
            && let Some(body) = arg(0, "content")
        {
            let info = self.info(body).against(sink::HTML);
            let html = markup
                || info.markup
                || last_segment(&name) == "HTMLResponse"
                || looks_like_html(&literal_parts(body, self.src))
                || kw("mimetype")
                    .or_else(|| kw("media_type"))
                    .is_some_and(|m| text(m, self.src).contains("html"));
            if info.is_strong() && html {
                self.xss(body.byte_range(), &info);
            }
        }
        if name.contains("jinja2") && last_segment(&name) == "Environment" && kw_is("autoescape", "False") {
            let at = kw("autoescape").map(|k| k.byte_range()).unwrap_or(at.clone());
            let fix_at = at.clone();
            self.cx.report_with("xss", None, Some(Severity::Warning), at, "Autoescaping is off, so values rendered into HTML templates are not escaped: markup in them runs in the visitor's browser. Use `autoescape=select_autoescape()` or `True`.");
            let edit = self.cx.edit(fix_at, "True");
            self.cx.set_fix("Turn autoescaping on", vec![edit]);
        }

        // Redirects and outgoing requests.
        if matches!(
            last_segment(&name),
            "redirect" | "RedirectResponse" | "HttpResponseRedirect" | "HttpResponsePermanentRedirect"
        ) && let Some(url) = arg(0, "url").or_else(|| kw("location"))
        {
            let info = self.info(url).against(sink::URL);
            if info.is_strong() && info.head {
                self.cx.report(
                    "open-redirect",
                    url.byte_range(),
                    format!(
                        "The redirect target is {}: a link to this page can send users to any site (phishing with your domain in the link). Redirect only to relative paths or hosts on an allow-list (`url_has_allowed_host_and_scheme`).",
                        info.describe()
                    ),
                );
            }
        }
        if (name.starts_with("requests.")
            || name.starts_with("httpx.")
            || name == "urllib.request.urlopen"
            || name.ends_with("urlopen"))
            && matches!(
                last_segment(&name),
                "get" | "post" | "put" | "patch" | "delete" | "head" | "request" | "urlopen" | "stream"
            )
        {
            let url = if last_segment(&name) == "request" { arg(1, "url") } else { arg(0, "url") };
            if let Some(url) = url {
                let info = self.info(url).against(sink::URL);
                if info.is_strong() && info.head {
                    self.cx.report("ssrf", url.byte_range(), format!("The server fetches a URL taken from {}: callers can make it reach internal services (cloud metadata, databases, admin ports). Allow only known hosts.", info.describe()));
                }
            }
        }

        // Deserialization.
        let yaml_unsafe = matches!(name.as_str(), "yaml.load" | "yaml.load_all")
            && !kw("Loader").is_some_and(|l| text(l, self.src).contains("Safe"))
            && !args.get(1).is_some_and(|l| text(*l, self.src).contains("Safe"));
        let deser = yaml_unsafe
            || matches!(
                name.as_str(),
                "yaml.unsafe_load"
                    | "yaml.unsafe_load_all"
                    | "pickle.loads"
                    | "pickle.load"
                    | "cPickle.loads"
                    | "cPickle.load"
                    | "_pickle.loads"
                    | "dill.loads"
                    | "dill.load"
                    | "marshal.loads"
                    | "marshal.load"
                    | "shelve.open"
                    | "jsonpickle.decode"
                    | "pandas.read_pickle"
                    | "joblib.load"
            )
            || (name.ends_with("Unpickler") && name.contains("pickle"));
        if deser {
            let info = args.first().map(|a| self.info(*a)).unwrap_or_default();
            let severity = if info.is_strong() { None } else { Some(Severity::Warning) };
            let what = if info.tainted() { format!("data from {}", info.describe()) } else { "data".into() };
            let message = if yaml_unsafe {
                format!(
                    "`{name}` without a safe Loader builds any Python object the YAML names, so {what} can run code. Use `yaml.safe_load`."
                )
            } else {
                format!(
                    "`{name}` runs code embedded in the bytes it reads, so {what} that an attacker can touch executes on the server. Use a data-only format such as JSON."
                )
            };
            self.cx.report_with("unsafe-deserialization", None, severity, at.clone(), message);
            if yaml_unsafe && kw("Loader").is_none() && args.len() == 1 {
                let edit = self.cx.edit(
                    callee.byte_range(),
                    if name == "yaml.load" { "yaml.safe_load" } else { "yaml.safe_load_all" },
                );
                let title = if name == "yaml.load" { "Use yaml.safe_load" } else { "Use yaml.safe_load_all" };
                self.cx.set_fix(title, vec![edit]);
            }
        }

        // Hashes.
        let hash_algo = match name.as_str() {
            "hashlib.md5" | "Crypto.Hash.MD5.new" => Some("md5"),
            "hashlib.sha1" | "Crypto.Hash.SHA1.new" => Some("sha1"),
            "hashlib.new" => args
                .first()
                .and_then(|a| string_value(*a, self.src))
                .map(|s| s.to_ascii_lowercase())
                .and_then(|s| match s.as_str() {
                    "md5" => Some("md5"),
                    "sha1" => Some("sha1"),
                    _ => None,
                }),
            _ => None,
        };
        let data_text = args.iter().map(|a| text(*a, self.src)).collect::<Vec<_>>().join(" ");
        let assigned = assignment_target(call, self.src).unwrap_or_default();
        let for_password = passwordish(&data_text)
            || passwordish(&assigned)
            || self.functions.last().is_some_and(|f| passwordish(f));
        if let Some(algo) = hash_algo
            && !kw_is("usedforsecurity", "False")
        {
            if for_password {
                self.cx.report("weak-password-hash", at.clone(), format!("A password is hashed with {}: it is fast and unsalted, so stolen hashes are cracked in minutes. Use argon2id, scrypt or bcrypt (e.g. `argon2-cffi`, `passlib`).", algo.to_ascii_uppercase()));
            } else {
                self.cx.report("weak-hash", at.clone(), format!("{} is broken for security uses (collisions are cheap). Use SHA-256 or better, or pass `usedforsecurity=False` if this is only a checksum.", algo.to_ascii_uppercase()));
                if matches!(name.as_str(), "hashlib.md5" | "hashlib.sha1")
                    && callee.kind() == "attribute"
                    && let Some(attr) = field(callee, "attribute")
                {
                    let edit = self.cx.edit(attr.byte_range(), "sha256");
                    self.cx.set_fix("Use SHA-256", vec![edit]);
                }
            }
        } else if matches!(
            name.as_str(),
            "hashlib.sha256"
                | "hashlib.sha512"
                | "hashlib.sha224"
                | "hashlib.sha384"
                | "hashlib.blake2b"
                | "hashlib.sha3_256"
        ) && passwordish(&data_text)
        {
            self.cx.report("weak-password-hash", at.clone(), "A password is hashed with one fast SHA round: GPUs try billions of guesses a second against stolen hashes. Use argon2id, scrypt or bcrypt.");
        }

        // Randomness for secrets.
        if name.starts_with("random.")
            && !name.starts_with("random.SystemRandom")
            && matches!(
                last_segment(&name),
                "random"
                    | "randint"
                    | "choice"
                    | "choices"
                    | "randrange"
                    | "getrandbits"
                    | "sample"
                    | "uniform"
                    | "randbytes"
            )
        {
            let context = [assigned.as_str(), self.functions.last().map(String::as_str).unwrap_or("")];
            if context.iter().any(|c| secretish(c) || code_like(c)) {
                self.cx.report("insecure-random", at.clone(), format!("`{name}` is predictable (Mersenne Twister): a few outputs reveal the rest, so this secret can be guessed. Use the `secrets` module (`secrets.token_urlsafe()`, `secrets.choice`)."));
                if matches!(last_segment(&name), "choice" | "randbelow")
                    && callee.kind() == "attribute"
                    && let Some(obj) = field(callee, "object")
                {
                    let mut edits = vec![self.cx.edit(obj.byte_range(), "secrets")];
                    if !self.src.contains("import secrets") {
                        edits.push(self.cx.edit(0..0, "import secrets\n"));
                    }
                    self.cx.set_fix("Use secrets.choice", edits);
                }
            }
        }

        // TLS.
        if let Some(v) = kw("verify")
            && text(v, self.src) == "False"
            && !name.contains("jwt")
        {
            self.cx.report("tls-verify-off", v.byte_range(), "Certificate verification is off: anyone on the network path can read and change this traffic (including credentials). Remove `verify=False`; pass a CA bundle path for private certificates.");
            let edit = self.cx.edit(v.byte_range(), "True");
            self.cx.set_fix("Verify certificates", vec![edit]);
        }
        if name == "ssl._create_unverified_context" || name == "ssl._create_stdlib_context" {
            self.cx.report("tls-verify-off", at.clone(), "This SSL context does not verify certificates: anyone on the network path can impersonate the server. Use `ssl.create_default_context()`.");
        }

        // JWT.
        if name.contains("jwt") && last_segment(&name) == "get_unverified_claims" {
            self.cx.report("jwt-misuse", at.clone(), "`get_unverified_claims` reads the token without checking its signature: anyone can forge the claims this code trusts. Use `jwt.decode(token, key, algorithms=[\"HS256\"])`.");
        }
        if name.contains("jwt")
            && matches!(last_segment(&name), "decode" | "decode_complete")
            && let Some(algs) = kw("algorithms")
            && (algs.kind() != "list" || named_children(algs).any(|a| a.kind() != "string"))
            && !is_constant_name(text(algs, self.src))
        {
            self.cx.report("jwt-misuse", algs.byte_range(), "The accepted algorithms come from a variable (here, likely the token's own header): an attacker picks `none` or HS256 with the public key as secret. List the algorithm you issue: `algorithms=[\"RS256\"]`.");
        }
        if name.contains("jwt") && matches!(last_segment(&name), "decode" | "decode_complete") {
            let options = kw("options").map(|o| text(o, self.src).replace(' ', "")).unwrap_or_default();
            let no_verify = options.contains("\"verify_signature\":False")
                || options.contains("'verify_signature':False")
                || kw_is("verify", "False");
            let algs = kw("algorithms").map(|a| text(a, self.src).to_ascii_lowercase()).unwrap_or_default();
            if no_verify {
                self.cx.report("jwt-misuse", at.clone(), "The token is decoded without checking its signature: anyone can forge one with any user id or role. Verify it: `jwt.decode(token, key, algorithms=[\"HS256\"])`.");
            } else if algs.contains("none") {
                self.cx.report("jwt-misuse", at.clone(), "The `none` algorithm is accepted: a token with no signature passes. Pin the algorithms you issue, e.g. `algorithms=[\"HS256\"]`.");
            }
        }
        if name.contains("jwt")
            && last_segment(&name) == "encode"
            && kw("algorithm").is_some_and(|a| text(a, self.src).to_ascii_lowercase().contains("none"))
        {
            self.cx.report("jwt-misuse", at.clone(), "Tokens are issued unsigned (`algorithm=\"none\"`): anyone can mint them. Sign with HS256 or RS256.");
        }

        // CORS.
        if last_segment(&name) == "add_middleware"
            && args.first().is_some_and(|a| text(*a, self.src).ends_with("CORSMiddleware"))
            || last_segment(&name) == "CORSMiddleware"
        {
            let origins = kw("allow_origins").map(|o| text(o, self.src)).unwrap_or("");
            let any = origins.contains("\"*\"")
                || origins.contains("'*'")
                || kw("allow_origin_regex").is_some_and(|r| text(r, self.src).contains(".*"));
            if any && kw_is("allow_credentials", "True") {
                let at = kw("allow_origins")
                    .or_else(|| kw("allow_origin_regex"))
                    .map(|n| n.byte_range())
                    .unwrap_or(at.clone());
                self.cx.report("cors-credentials", at, "Every origin is allowed together with credentials: any website a signed-in user visits can call this API as them and read the answers. List the app's own origins in `allow_origins`.");
            }
        }
        if matches!(last_segment(&name), "CORS" | "cross_origin") && kw_is("supports_credentials", "True") {
            let origins =
                kw("origins").or_else(|| kw("resources")).map(|o| text(o, self.src)).unwrap_or("\"*\"");
            if origins.contains('*') {
                self.cx.report("cors-credentials", at.clone(), "Flask-CORS allows every origin together with credentials: any website a signed-in user visits can act as them. Pass the app's own origins in `origins=[…]`.");
            }
        }

        // Debug mode.
        if (method == "run" && kw_is("debug", "True"))
            || (matches!(last_segment(&name), "FastAPI" | "Starlette" | "Flask") && kw_is("debug", "True"))
            || (last_segment(&name) == "run_simple" && kw_is("use_debugger", "True"))
        {
            let v = kw("debug").or_else(|| kw("use_debugger")).expect("checked above");
            self.cx.report("debug-mode", v.byte_range(), "Debug mode is on: errors show stack traces and source to anyone, and Werkzeug's debugger runs Python sent from the browser. Turn it off (read it from an environment variable for development).");
            let edit = self.cx.edit(v.byte_range(), "False");
            self.cx.set_fix("Turn debug mode off", vec![edit]);
        }

        // XML.
        if last_segment(&name) == "XMLParser"
            && (kw_is("resolve_entities", "True")
                || kw_is("no_network", "False")
                || kw_is("load_dtd", "True"))
        {
            let v = kw("resolve_entities")
                .or_else(|| kw("no_network"))
                .or_else(|| kw("load_dtd"))
                .expect("checked above");
            self.cx.report("xxe", v.byte_range(), "This XML parser resolves external entities: a document can make the server read local files (`file:///etc/passwd`) or fetch internal URLs. Use `defusedxml`, or `resolve_entities=False, no_network=True`.");
        }
        if method == "setFeature"
            && args.first().is_some_and(|a| text(*a, self.src).contains("external"))
            && args.get(1).is_some_and(|a| text(*a, self.src) == "True")
        {
            self.cx.report("xxe", at.clone(), "External entities are turned on for this SAX parser: a document can read local files and reach internal URLs. Leave them off, or parse with `defusedxml`.");
        }
        let xml_parse = (name.starts_with("lxml.etree.")
            || name.starts_with("xml.")
            || name.starts_with("etree.")
            || name.starts_with("ET.")
            || name.starts_with("ElementTree."))
            && matches!(last_segment(&name), "fromstring" | "parse" | "XML" | "parseString" | "iterparse");
        if xml_parse
            && !name.starts_with("defusedxml")
            && let Some(doc) = args.first()
        {
            let info = self.info(*doc);
            let safe_parser = kw("parser")
                .or_else(|| args.get(1).copied())
                .is_some_and(|p| !text(p, self.src).contains("resolve_entities=True"));
            if info.is_strong()
                && !safe_parser
                && (name.contains("lxml") || self.aliases.values().any(|v| v.contains("lxml")))
            {
                self.cx.report("xxe", doc.byte_range(), format!("XML from {} is parsed with lxml's defaults, which load DTDs and may resolve entities: use `defusedxml.lxml` or a parser with `resolve_entities=False, no_network=True`.", info.describe()));
            }
        }

        // LDAP and XPath.
        if matches!(
            method.as_str(),
            "search" | "search_s" | "search_st" | "search_ext" | "search_ext_s" | "paged_search"
        ) && self.src.contains("ldap")
        {
            for a in args
                .iter()
                .copied()
                .chain(kwargs.iter().filter(|(k, _)| k.contains("filter")).map(|(_, v)| *v))
            {
                let info = self.info(a).against(sink::LDAP);
                if info.is_strong() && info.built {
                    self.cx.report("ldap-injection", a.byte_range(), format!("The LDAP filter is built from {}: `*`, `(` or `)` in it change the filter (log in as anyone, list the directory). Escape it with `escape_filter_chars`.", info.describe()));
                    break;
                }
            }
        }
        if matches!(
            method.as_str(),
            "xpath" | "XPath" | "find" | "findall" | "findtext" | "iterfind" | "evaluate"
        ) && let Some(expr) = args.first()
        {
            let info = self.info(*expr).against(sink::XPATH);
            let lit = literal_parts(*expr, self.src);
            let xpathy = method == "xpath"
                || method == "XPath"
                || lit.contains('[')
                || lit.contains('@')
                || lit.contains('/');
            if info.is_strong() && info.built && xpathy && (method != "find" || self.src.contains("xml")) {
                self.cx.report("xpath-injection", expr.byte_range(), format!("The XPath expression is built from {}: a quote in it changes the query (`' or '1'='1`). Keep the expression constant and pass values as XPath variables (`tree.xpath(\"//u[@name=$name]\", name=name)`).", info.describe()));
            }
        }

        // Cookies.
        if method == "set_cookie" {
            self.cookie(call, &kwargs);
        }
        if method == "update" && text(callee, self.src).contains("config") {
            for (k, v) in &kwargs {
                if matches!(
                    k.as_str(),
                    "SESSION_COOKIE_SECURE" | "SESSION_COOKIE_HTTPONLY" | "REMEMBER_COOKIE_SECURE"
                ) && text(*v, self.src) == "False"
                {
                    let r = v.byte_range();
                    self.cx.report_with(
                        "insecure-cookie",
                        (k.contains("HTTPONLY")).then_some(1004),
                        None,
                        r.clone(),
                        format!(
                            "`{k}=False` sends the session cookie without that protection. Set it to True."
                        ),
                    );
                    let edit = self.cx.edit(r, "True");
                    self.cx.set_fix(&format!("Set {k} to True"), vec![edit]);
                }
                if k == "DEBUG" && text(*v, self.src) == "True" {
                    self.cx.report(
                        "debug-mode",
                        v.byte_range(),
                        "Debug mode is on in the app's configuration. Turn it off outside development.",
                    );
                }
            }
        }
    }

    fn xss(&mut self, at: std::ops::Range<usize>, info: &Info) {
        self.cx.report(
            "xss",
            at,
            format!(
                "HTML is built, without escaping, from {}: a value holding `<script>` runs in the visitor's browser (stolen sessions, actions as the user). Render it through an escaping template, or escape it with `markupsafe.escape`/`html.escape`.",
                info.describe()
            ),
        );
    }

    /// A route returning an HTML string built from request data (Flask sends it as HTML).
    fn returned(&mut self, value: Node<'_>) {
        if !self.in_route.last().copied().unwrap_or(false) {
            return;
        }
        let info = self.info(value).against(sink::HTML);
        if info.is_strong() && info.built && info.markup {
            self.xss(value.byte_range(), &info);
        }
    }

    fn cookie(&mut self, call: Node<'_>, kwargs: &[(String, Node<'_>)]) {
        let get = |k: &str| kwargs.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        let secure = get("secure").map(|v| text(v, self.src));
        let httponly = get("httponly").map(|v| text(v, self.src));
        let mut missing = Vec::new();
        if secure != Some("True") {
            missing.push("Secure");
        }
        if httponly != Some("True") {
            missing.push("HttpOnly");
        }
        if missing.is_empty() {
            return;
        }
        let cwe = if missing.contains(&"Secure") { 614 } else { 1004 };
        let at = field(call, "function")
            .and_then(|f| field(f, "attribute"))
            .map(|a| a.byte_range())
            .unwrap_or(call.byte_range());
        self.cx.report_with(
            "insecure-cookie",
            Some(cwe),
            None,
            at,
            format!(
                "This cookie is set without {}: {}. Pass `secure=True, httponly=True, samesite=\"Lax\"`.",
                missing.join(" and "),
                match (missing.contains(&"Secure"), missing.contains(&"HttpOnly")) {
                    (true, true) => "it travels over plain HTTP and page scripts (and any XSS) can read it",
                    (true, false) => "it travels over plain HTTP where anyone on the network reads it",
                    _ => "page scripts, and so any XSS, can read it",
                }
            ),
        );
        // Fix: set the flags, replacing False values, appending missing ones.
        let mut edits = Vec::new();
        let mut append = Vec::new();
        for (key, current) in
            [("secure", get("secure")), ("httponly", get("httponly")), ("samesite", get("samesite"))]
        {
            match current {
                Some(v) if key != "samesite" && text(v, self.src) != "True" => {
                    edits.push(self.cx.edit(v.byte_range(), "True"))
                }
                Some(_) => {}
                None if key == "samesite" => append.push("samesite=\"Lax\"".to_string()),
                None => append.push(format!("{key}=True")),
            }
        }
        if let Some(args) = field(call, "arguments") {
            let close = args.end_byte() - 1;
            if !append.is_empty() {
                let before = self.src[..close].trim_end();
                let sep = if before.ends_with(',') || before.ends_with('(') { "" } else { ", " };
                edits.push(self.cx.edit(close..close, format!("{sep}{}", append.join(", "))));
            }
        }
        self.cx.set_fix("Set Secure, HttpOnly and SameSite", edits);
    }

    // --- settings ---------------------------------------------------------------------------

    /// Module-level settings and header assignments.
    fn settings_assignment(&mut self, left: Node<'_>, right: Node<'_>) {
        let target = text(left, self.src);
        let value = text(right, self.src);
        let key = target
            .rsplit(['[', '.'])
            .next()
            .unwrap_or(target)
            .trim_matches(|c| c == ']' || c == '"' || c == '\'');
        match (key, value) {
            ("DEBUG", "True") if !self.scopes.in_function() || target.contains("config") => {
                self.cx.report("debug-mode", right.byte_range(), "`DEBUG = True` shows stack traces, settings and SQL to anyone who triggers an error. Read it from the environment and keep it off in production.");
                let edit = self.cx.edit(right.byte_range(), "False");
                self.cx.set_fix("Turn debug mode off", vec![edit]);
            }
            ("debug", "True") if target.ends_with(".debug") => {
                self.cx.report("debug-mode", right.byte_range(), "Debug mode is on: errors show stack traces and source to anyone. Turn it off outside development.");
            }
            (
                "SESSION_COOKIE_SECURE"
                | "CSRF_COOKIE_SECURE"
                | "SESSION_COOKIE_HTTPONLY"
                | "REMEMBER_COOKIE_SECURE"
                | "REMEMBER_COOKIE_HTTPONLY",
                "False",
            ) => {
                let cwe = key.contains("HTTPONLY").then_some(1004);
                self.cx.report_with(
                    "insecure-cookie",
                    cwe,
                    None,
                    right.byte_range(),
                    format!("`{key} = False` sends this cookie without that protection. Set it to True."),
                );
                let edit = self.cx.edit(right.byte_range(), "True");
                self.cx.set_fix(&format!("Set {key} to True"), vec![edit]);
            }
            ("check_hostname", "False") => {
                self.cx.report("tls-verify-off", right.byte_range(), "Host name checking is off: a certificate for any site is accepted. Keep `check_hostname = True`.");
            }
            ("verify_mode", v) if v.ends_with("CERT_NONE") => {
                self.cx.report("tls-verify-off", right.byte_range(), "`CERT_NONE` accepts any certificate: anyone on the path can impersonate the server. Use `ssl.CERT_REQUIRED`.");
            }
            _ => {}
        }
        // A reflected Origin with credentials.
        if target.contains("headers") && target.contains("Access-Control-Allow-Origin") {
            let info = self.info(right);
            if (info.is_strong() || value.contains("'*'") || value.contains("\"*\""))
                && self.credentials_header
            {
                self.cx.report("cors-credentials", right.byte_range(), "The response allows any (or the requesting) origin while also allowing credentials: any website can act as the signed-in user. Compare the Origin against an allow-list first.");
            }
        }
    }

    /// Django settings: allow-all CORS with credentials.
    fn django_settings(&mut self, root: Node<'_>) {
        let mut allow_all = None;
        let mut credentials = false;
        for n in named_children(root) {
            let Some(assign) = named_children(n).next().filter(|a| a.kind() == "assignment") else {
                continue;
            };
            let (Some(l), Some(r)) = (field(assign, "left"), field(assign, "right")) else { continue };
            match (text(l, self.src), text(r, self.src)) {
                ("CORS_ALLOW_ALL_ORIGINS" | "CORS_ORIGIN_ALLOW_ALL", "True") => {
                    allow_all = Some(l.byte_range())
                }
                ("CORS_ALLOW_CREDENTIALS", "True") => credentials = true,
                _ => {}
            }
        }
        if let (Some(at), true) = (allow_all, credentials) {
            self.cx.report("cors-credentials", at, "Every origin is allowed while `CORS_ALLOW_CREDENTIALS = True`: any website a signed-in user visits can act as them. Use `CORS_ALLOWED_ORIGINS = [...]`.");
        }
    }
}

/// Parameter name, annotation text, default text.
fn param_parts(p: Node<'_>, src: &str) -> (Option<String>, Option<String>, Option<String>) {
    match p.kind() {
        "identifier" => (Some(text(p, src).to_string()), None, None),
        "typed_parameter" => (
            named_children(p).find(|c| c.kind() == "identifier").map(|n| text(n, src).to_string()),
            field(p, "type").map(|t| text(t, src).to_string()),
            None,
        ),
        "default_parameter" => (
            field(p, "name").map(|n| text(n, src).to_string()),
            None,
            field(p, "value").map(|v| text(v, src).to_string()),
        ),
        "typed_default_parameter" => (
            field(p, "name").map(|n| text(n, src).to_string()),
            field(p, "type").map(|t| text(t, src).to_string()),
            field(p, "value").map(|v| text(v, src).to_string()),
        ),
        _ => (None, None, None),
    }
}

/// `Annotated[int, Path(...)]` → `int`; `Optional[str]` → `str`; `str | None` → `str`.
fn base_type(annotation: &str) -> &str {
    let mut t = annotation.trim();
    for wrapper in ["Annotated[", "Optional["] {
        if let Some(inner) = t.strip_prefix(wrapper) {
            t = inner.split([',', ']']).next().unwrap_or(inner).trim();
        }
    }
    t.split('|').next().unwrap_or(t).trim()
}

fn looks_like_sql(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE ", " FROM ", "DROP ", "CREATE ", " VALUES",
        "ORDER BY", " LIKE ",
    ]
    .iter()
    .any(|k| u.contains(k))
        || u.trim_start().starts_with("SELECT")
}

fn looks_like_html(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// The name a call's value is assigned to (`token = random.choice(...)` → `token`), or the
/// dictionary key / keyword it fills.
fn assignment_target(call: Node<'_>, src: &str) -> Option<String> {
    let mut n = call.parent();
    while let Some(p) = n {
        match p.kind() {
            "assignment" | "augmented_assignment" => {
                return field(p, "left").map(|l| text(l, src).to_string());
            }
            "keyword_argument" => return field(p, "name").map(|l| text(l, src).to_string()),
            "pair" => return field(p, "key").map(|l| text(l, src).to_string()),
            "return_statement" => {
                return super::syntax::ancestor(p, &["function_definition"])
                    .and_then(|f| field(f, "name"))
                    .map(|n| text(n, src).to_string());
            }
            "block" | "module" | "function_definition" => return None,
            _ => n = p.parent(),
        }
    }
    None
}

/// A function that rejects unauthenticated callers itself (`if not current_user.is_authenticated`).
fn body_checks_auth(def: Node<'_>, src: &str) -> bool {
    let Some(body) = field(def, "body") else { return false };
    let t = text(body, src);
    t.contains("is_authenticated")
        || t.contains("verify_token(")
        || t.contains("require_user(")
        || t.contains("authenticate(")
}
