//! The offline architect: an idea becomes an `AppSpec` by rules (known domains, feature words,
//! and a noun-based fallback), never by a model.

use anyhow::{Context, bail};

use crate::spec::{AppSpec, Entity, Feature, Field, FieldType, Relation, SPEC_VERSION};

use super::{naming, plan};

// Field types, short.
const STRING: FieldType = FieldType::String;
const TEXT: FieldType = FieldType::Text;
const INTEGER: FieldType = FieldType::Integer;
const NUMBER: FieldType = FieldType::Number;
const BOOLEAN: FieldType = FieldType::Boolean;
const DATE: FieldType = FieldType::Date;
const DATETIME: FieldType = FieldType::Datetime;
const EMAIL: FieldType = FieldType::Email;
const URL: FieldType = FieldType::Url;

/// A field: name, type, required.
fn f(name: &str, kind: FieldType, required: bool) -> Field {
    Field { name: name.into(), kind, required, unique: false }
}

/// A unique field.
fn u(name: &str, kind: FieldType, required: bool) -> Field {
    Field { unique: true, ..f(name, kind, required) }
}

/// A relation to `target` through `<target>_id`.
fn rel(target: &str, required: bool) -> Relation {
    Relation { target: target.into(), field: format!("{}_id", naming::snake(target)), required }
}

fn entity(name: &str, fields: Vec<Field>, relations: Vec<Relation>) -> Entity {
    Entity { name: name.into(), plural: naming::snake_plural(name), fields, relations, requires_auth: false }
}

/// A domain the rules recognise.
struct Domain {
    slug: &'static str,
    /// Words (singular, lowercase) that name it.
    keywords: &'static [&'static str],
    entities: fn() -> Vec<Entity>,
    /// Entities anyone may create even when the app has accounts (public submissions).
    public: &'static [&'static str],
}

const DOMAINS: &[Domain] = &[
    Domain {
        slug: "shop",
        keywords: &[
            "shop",
            "store",
            "ecommerce",
            "commerce",
            "marketplace",
            "cart",
            "product",
            "merch",
            "boutique",
            "catalog",
            "catalogue",
        ],
        entities: || {
            vec![
                entity("Category", vec![u("name", STRING, true), f("description", TEXT, false)], vec![]),
                entity(
                    "Product",
                    vec![
                        f("name", STRING, true),
                        f("description", TEXT, false),
                        f("price", NUMBER, true),
                        f("stock", INTEGER, false),
                        f("image_url", URL, false),
                    ],
                    vec![rel("Category", false)],
                ),
                entity(
                    "Order",
                    vec![
                        f("customer_name", STRING, true),
                        f("customer_email", EMAIL, true),
                        f("status", STRING, false),
                        f("total", NUMBER, false),
                    ],
                    vec![],
                ),
                entity(
                    "OrderItem",
                    vec![f("quantity", INTEGER, true), f("unit_price", NUMBER, true)],
                    vec![rel("Order", true), rel("Product", true)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "blog",
        keywords: &["blog", "article", "blogging", "blogger"],
        entities: || {
            vec![
                entity(
                    "Post",
                    vec![
                        f("title", STRING, true),
                        f("body", TEXT, true),
                        f("published", BOOLEAN, false),
                        f("published_on", DATE, false),
                    ],
                    vec![],
                ),
                entity(
                    "Comment",
                    vec![f("author_name", STRING, true), f("body", TEXT, true)],
                    vec![rel("Post", true)],
                ),
            ]
        },
        public: &["Comment"],
    },
    Domain {
        slug: "task-tracker",
        keywords: &["todo", "task", "chore", "kanban", "checklist"],
        entities: || {
            vec![
                entity("Project", vec![u("name", STRING, true), f("description", TEXT, false)], vec![]),
                entity(
                    "Task",
                    vec![
                        f("title", STRING, true),
                        f("description", TEXT, false),
                        f("done", BOOLEAN, false),
                        f("due_date", DATE, false),
                        f("priority", INTEGER, false),
                    ],
                    vec![rel("Project", false)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "crm",
        keywords: &["crm", "lead", "deal", "pipeline", "prospect"],
        entities: || {
            vec![
                entity(
                    "Company",
                    vec![u("name", STRING, true), f("website", URL, false), f("industry", STRING, false)],
                    vec![],
                ),
                entity(
                    "Contact",
                    vec![
                        f("first_name", STRING, true),
                        f("last_name", STRING, true),
                        u("email", EMAIL, false),
                        f("phone", STRING, false),
                    ],
                    vec![rel("Company", false)],
                ),
                entity(
                    "Deal",
                    vec![
                        f("title", STRING, true),
                        f("amount", NUMBER, false),
                        f("stage", STRING, false),
                        f("close_date", DATE, false),
                    ],
                    vec![rel("Contact", false), rel("Company", false)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "bookings",
        keywords: &["booking", "appointment", "reservation", "salon", "barber", "spa", "clinic"],
        entities: || {
            vec![
                entity(
                    "Service",
                    vec![
                        u("name", STRING, true),
                        f("description", TEXT, false),
                        f("duration_minutes", INTEGER, true),
                        f("price", NUMBER, false),
                    ],
                    vec![],
                ),
                entity(
                    "Booking",
                    vec![
                        f("customer_name", STRING, true),
                        f("customer_email", EMAIL, true),
                        f("starts_at", DATETIME, true),
                        f("notes", TEXT, false),
                    ],
                    vec![rel("Service", true)],
                ),
            ]
        },
        public: &["Booking"],
    },
    Domain {
        slug: "inventory",
        keywords: &["inventory", "warehouse", "stock", "supplier", "sku"],
        entities: || {
            vec![
                entity(
                    "Supplier",
                    vec![u("name", STRING, true), f("email", EMAIL, false), f("phone", STRING, false)],
                    vec![],
                ),
                entity(
                    "Item",
                    vec![
                        f("name", STRING, true),
                        u("sku", STRING, true),
                        f("quantity", INTEGER, false),
                        f("location", STRING, false),
                    ],
                    vec![rel("Supplier", false)],
                ),
                entity(
                    "StockMovement",
                    vec![
                        f("quantity", INTEGER, true),
                        f("reason", STRING, false),
                        f("moved_at", DATETIME, false),
                    ],
                    vec![rel("Item", true)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "notes",
        keywords: &["note", "notebook", "notetaking", "memo"],
        entities: || {
            vec![
                entity("Notebook", vec![u("name", STRING, true)], vec![]),
                entity(
                    "Note",
                    vec![f("title", STRING, true), f("body", TEXT, false), f("pinned", BOOLEAN, false)],
                    vec![rel("Notebook", false)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "forum",
        keywords: &["forum", "thread", "discussion", "community", "messageboard"],
        entities: || {
            vec![
                entity("Thread", vec![f("title", STRING, true), f("body", TEXT, true)], vec![]),
                entity("Reply", vec![f("body", TEXT, true)], vec![rel("Thread", true)]),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "events",
        keywords: &["event", "conference", "meetup", "registration", "rsvp", "workshop", "webinar"],
        entities: || {
            vec![
                entity(
                    "Event",
                    vec![
                        f("name", STRING, true),
                        f("description", TEXT, false),
                        f("location", STRING, false),
                        f("starts_at", DATETIME, true),
                        f("capacity", INTEGER, false),
                    ],
                    vec![],
                ),
                entity(
                    "Registration",
                    vec![f("attendee_name", STRING, true), f("attendee_email", EMAIL, true)],
                    vec![rel("Event", true)],
                ),
            ]
        },
        public: &["Registration"],
    },
    Domain {
        slug: "recipes",
        keywords: &["recipe", "cookbook", "cooking", "meal"],
        entities: || {
            vec![
                entity(
                    "Recipe",
                    vec![
                        f("title", STRING, true),
                        f("instructions", TEXT, true),
                        f("prep_minutes", INTEGER, false),
                        f("servings", INTEGER, false),
                    ],
                    vec![],
                ),
                entity(
                    "Ingredient",
                    vec![f("name", STRING, true), f("quantity", STRING, false)],
                    vec![rel("Recipe", true)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "library",
        keywords: &["library", "book", "author", "bookshelf", "reading"],
        entities: || {
            vec![
                entity("Author", vec![u("name", STRING, true)], vec![]),
                entity(
                    "Book",
                    vec![
                        f("title", STRING, true),
                        u("isbn", STRING, false),
                        f("published_year", INTEGER, false),
                    ],
                    vec![rel("Author", false)],
                ),
                entity(
                    "Loan",
                    vec![
                        f("borrower_name", STRING, true),
                        f("due_date", DATE, true),
                        f("returned", BOOLEAN, false),
                    ],
                    vec![rel("Book", true)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "fitness",
        keywords: &["fitness", "workout", "gym", "exercise", "training"],
        entities: || {
            vec![
                entity(
                    "Workout",
                    vec![
                        f("name", STRING, true),
                        f("performed_on", DATE, true),
                        f("duration_minutes", INTEGER, false),
                        f("notes", TEXT, false),
                    ],
                    vec![],
                ),
                entity(
                    "Exercise",
                    vec![
                        f("name", STRING, true),
                        f("sets", INTEGER, false),
                        f("reps", INTEGER, false),
                        f("weight", NUMBER, false),
                    ],
                    vec![rel("Workout", true)],
                ),
            ]
        },
        public: &[],
    },
    Domain {
        slug: "expenses",
        keywords: &["expense", "budget", "spending", "finance"],
        entities: || {
            vec![
                entity("Category", vec![u("name", STRING, true)], vec![]),
                entity(
                    "Expense",
                    vec![
                        f("description", STRING, true),
                        f("amount", NUMBER, true),
                        f("spent_on", DATE, true),
                    ],
                    vec![rel("Category", false)],
                ),
            ]
        },
        public: &[],
    },
];

/// Words that turn a feature on (singular, lowercase).
const FEATURE_WORDS: &[(&str, Feature)] = &[
    ("login", Feature::Auth),
    ("logins", Feature::Auth),
    ("signin", Feature::Auth),
    ("signup", Feature::Auth),
    ("account", Feature::Auth),
    ("user", Feature::Auth),
    ("auth", Feature::Auth),
    ("authentication", Feature::Auth),
    ("password", Feature::Auth),
    ("member", Feature::Auth),
    ("membership", Feature::Auth),
    ("stripe", Feature::Payments),
    ("payment", Feature::Payments),
    ("checkout", Feature::Payments),
    ("pay", Feature::Payments),
    ("paid", Feature::Payments),
    ("subscription", Feature::Payments),
    ("billing", Feature::Payments),
    ("donation", Feature::Payments),
    ("search", Feature::Search),
    ("searchable", Feature::Search),
    ("upload", Feature::Uploads),
    ("image", Feature::Uploads),
    ("file", Feature::Uploads),
    ("attachment", Feature::Uploads),
    ("photo", Feature::Uploads),
    ("picture", Feature::Uploads),
    ("document", Feature::Uploads),
];

/// Words that never name an entity: articles, pronouns, common verbs and adjectives, and words
/// about apps themselves.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "with",
    "without",
    "from",
    "into",
    "about",
    "as",
    "is",
    "are",
    "be",
    "been",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "my",
    "our",
    "your",
    "their",
    "his",
    "her",
    "me",
    "we",
    "you",
    "they",
    "them",
    "i",
    "us",
    "he",
    "she",
    "who",
    "what",
    "when",
    "where",
    "which",
    "how",
    "why",
    "while",
    "so",
    "if",
    "then",
    "than",
    "also",
    "plus",
    "some",
    "any",
    "all",
    "each",
    "every",
    "other",
    "more",
    "most",
    "very",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "get",
    "got",
    "let",
    "lets",
    "allow",
    "allows",
    "want",
    "need",
    "needs",
    "like",
    "just",
    "only",
    "via",
    "using",
    "use",
    "app",
    "application",
    "website",
    "site",
    "web",
    "webapp",
    "page",
    "tool",
    "system",
    "platform",
    "dashboard",
    "service",
    "software",
    "program",
    "thing",
    "stuff",
    "way",
    "lot",
    "kind",
    "type",
    "sort",
    "simple",
    "small",
    "little",
    "big",
    "basic",
    "personal",
    "online",
    "new",
    "modern",
    "minimal",
    "tiny",
    "quick",
    "great",
    "nice",
    "beautiful",
    "full",
    "complete",
    "fast",
    "easy",
    "cool",
    "good",
    "best",
    "better",
    "own",
    "private",
    "public",
    "shared",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "favorite",
    "favourite",
    "local",
    "track",
    "tracking",
    "tracker",
    "manage",
    "managing",
    "manager",
    "management",
    "organize",
    "organise",
    "organizer",
    "keep",
    "keeping",
    "record",
    "log",
    "logging",
    "list",
    "share",
    "plan",
    "planner",
    "planning",
    "collect",
    "see",
    "view",
    "help",
    "helps",
    "build",
    "create",
    "make",
    "write",
    "add",
    "edit",
    "remove",
    "delete",
    "find",
    "browse",
    "sell",
    "selling",
    "buy",
    "buying",
    "order",
    "run",
    "running",
    "handle",
    "support",
    "store",
    "storing",
    "save",
    "people",
    "everyone",
    "someone",
    "anyone",
    "one",
    "two",
    "three",
    "many",
    "much",
    "lots",
    "time",
    "times",
    "often",
    "day",
    "week",
    "month",
    "year",
    "last",
    "next",
    "first",
    "there",
    "here",
    "now",
    "later",
    "up",
    "out",
    "down",
    "off",
    "over",
    "under",
    "after",
    "before",
    "between",
    "based",
    "called",
    "named",
    "where",
    "whose",
    "etc",
    "including",
    "stuff",
    "please",
    "want",
    "something",
    "anything",
    "everything",
    "nothing",
    "able",
];

/// Subject pronouns: the word after one is a verb ("when I water them" → Watering).
const SUBJECTS: &[&str] = &["i", "we", "you"];

/// Words after a subject that are not the activity ("when I then ...", "where we all ...").
const NOT_VERBS: &[&str] = &[
    "then", "all", "both", "each", "still", "really", "actually", "only", "already", "and", "or", "the", "a",
    "an", "my", "our", "your", "it", "them", "this", "that",
];

/// Auxiliary verbs that may follow a subject without naming an activity.
const AUXILIARIES: &[&str] = &[
    "am", "are", "can", "could", "will", "would", "should", "may", "might", "must", "do", "did", "does",
    "have", "has", "had", "want", "need", "like", "usually", "often", "also", "always", "never", "last",
    "just", "to",
];

/// Words in a lowercase idea, after joining common compounds ("e-commerce" → "ecommerce").
fn tokens(idea: &str) -> Vec<String> {
    let mut text: String = idea.to_lowercase().chars().map(fold_accent).collect();
    for (from, to) in [
        ("real estate", "property"),
        ("real-estate", "property"),
        ("e-commerce", "ecommerce"),
        ("e commerce", "ecommerce"),
        ("to-do", "todo"),
        ("to do list", "todo list"),
        ("sign-up", "signup"),
        ("sign up", "signup"),
        ("sign-in", "signin"),
        ("sign in", "signin"),
        ("log-in", "login"),
        ("log in", "login"),
        ("note-taking", "notetaking"),
        ("message board", "messageboard"),
    ] {
        text = text.replace(from, to);
    }
    text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The ASCII letter of a common accented Latin letter ("ü" → 'u'); other characters unchanged.
fn fold_accent(c: char) -> char {
    const FOLDS: &[(&str, char)] = &[
        ("àáâãäåā", 'a'),
        ("çćč", 'c'),
        ("èéêëēę", 'e'),
        ("ìíîïī", 'i'),
        ("ñń", 'n'),
        ("òóôõöøō", 'o'),
        ("ùúûüū", 'u'),
        ("ýÿ", 'y'),
        ("śš", 's'),
        ("źżž", 'z'),
        ("ł", 'l'),
        ("ß", 's'),
    ];
    FOLDS.iter().find(|(set, _)| set.contains(c)).map_or(c, |(_, ascii)| *ascii)
}

/// Turns an idea into a validated spec, by rules.
pub fn architect(idea: &str) -> anyhow::Result<AppSpec> {
    let toks = tokens(idea);
    if !toks.iter().any(|t| t.chars().any(|c| c.is_ascii_alphabetic())) {
        bail!(
            "the idea {idea:?} names nothing to build; describe the app in a sentence, e.g. \
             \"an e-commerce shop with Stripe payments\""
        );
    }

    // Features.
    let mut features = Vec::new();
    for t in &toks {
        let s = naming::singular(t);
        for (word, feature) in FEATURE_WORDS {
            if (*word == t.as_str() || *word == s) && !features.contains(feature) {
                features.push(*feature);
            }
        }
    }
    features.sort();

    // Domains, in the order the idea names them; a keyword right after "to" is a verb.
    let mut domains: Vec<(&Domain, Option<String>)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let s = naming::singular(t);
        if i > 0 && toks[i - 1] == "to" {
            continue;
        }
        if let Some(d) =
            DOMAINS.iter().find(|d| d.keywords.contains(&t.as_str()) || d.keywords.contains(&s.as_str()))
            && !domains.iter().any(|(seen, _)| std::ptr::eq(*seen, d))
        {
            let qualifier = i.checked_sub(1).map(|j| &toks[j]).filter(|w| is_qualifier(w));
            domains.push((d, qualifier.cloned()));
        }
    }

    let mut entities: Vec<Entity> = Vec::new();
    let mut public: Vec<&str> = Vec::new();
    let (slug, title) = if domains.is_empty() {
        let generic = generic_entities(&toks);
        if generic.is_empty() && features.is_empty() {
            bail!(
                "the idea {idea:?} does not say what the app is about; name what it should keep \
                 track of, e.g. \"an app to track my houseplants and when I water them\""
            );
        }
        entities = if generic.is_empty() {
            vec![entity("Item", vec![f("name", STRING, true), f("notes", TEXT, false)], vec![])]
        } else {
            generic
        };
        let first = naming::snake(&entities[0].name).replace('_', " ");
        let what = if toks.iter().any(|t| t.starts_with("track") || t == "log") {
            format!("{first} tracker")
        } else {
            format!("{first} app")
        };
        (naming::slug(&what), naming::title(&what))
    } else {
        let mut slugs = Vec::new();
        for (d, qualifier) in &domains {
            for e in (d.entities)() {
                if !entities.iter().any(|x| x.name == e.name) {
                    entities.push(e);
                }
            }
            public.extend(d.public);
            slugs.push(match qualifier {
                Some(q) => format!("{q}-{}", d.slug),
                None => d.slug.to_string(),
            });
        }
        let slug = naming::slug(&slugs.join(" "));
        let title = slugs.iter().map(|s| naming::title(s)).collect::<Vec<_>>().join(" & ");
        (slug, title.replace("Crm", "CRM"))
    };

    // Payments need something to sell or record: an Order-like entity.
    const ORDER_LIKE: &[&str] =
        &["Order", "Booking", "Registration", "Subscription", "Donation", "Payment", "Invoice"];
    if features.contains(&Feature::Payments)
        && !entities.iter().any(|e| ORDER_LIKE.contains(&e.name.as_str()))
    {
        entities.push(entity(
            "Order",
            vec![f("customer_email", EMAIL, true), f("total", NUMBER, false), f("status", STRING, false)],
            vec![],
        ));
    }

    if features.contains(&Feature::Auth) {
        for e in &mut entities {
            e.requires_auth = !public.contains(&e.name.as_str());
        }
    }

    let summary = summary(&entities, &features);
    let mut env = plan::env_vars(&entities, &features);
    let recurring = ["subscription", "subscriber", "recurring", "monthly", "membership"];
    if toks.iter().any(|t| recurring.contains(&naming::singular(t).as_str()))
        && let Some(mode) = env.iter_mut().find(|v| v.name == "STRIPE_MODE")
    {
        mode.example = "subscription".into();
    }
    let spec = AppSpec {
        version: SPEC_VERSION,
        name: slug,
        title,
        summary,
        idea: idea.to_string(),
        stack: plan::stack(),
        endpoints: plan::endpoints(&entities, &features),
        screens: plan::screens(&entities, &features),
        env,
        files: plan::files(&entities, &features),
        commands: plan::commands(),
        entities,
        features,
    };
    spec.validate().context("the offline architect produced an invalid spec (a bug in AUTOCREA)")?;
    Ok(spec)
}

/// A word before a domain keyword that names its kind ("pet" in "a pet shop").
fn is_qualifier(w: &str) -> bool {
    w.len() >= 3
        && w.chars().all(|c| c.is_ascii_lowercase())
        && !STOP_WORDS.contains(&w)
        && !FEATURE_WORDS.iter().any(|(k, _)| *k == w)
        && !DOMAINS
            .iter()
            .any(|d| d.keywords.contains(&w) || d.keywords.contains(&naming::singular(w).as_str()))
}

/// Entities named by the nouns of an idea no domain matched: each noun becomes a named record,
/// and a verb after "I"/"we" becomes a dated log of that activity, linked to the first noun.
fn generic_entities(toks: &[String]) -> Vec<Entity> {
    let mut nouns: Vec<String> = Vec::new();
    let mut activity: Option<String> = None;
    for (i, t) in toks.iter().enumerate() {
        let after_subject = i > 0 && SUBJECTS.contains(&toks[i - 1].as_str());
        if after_subject {
            if activity.is_none()
                && !AUXILIARIES.contains(&t.as_str())
                && !NOT_VERBS.contains(&t.as_str())
                && t.len() >= 2
                && t.chars().all(|c| c.is_ascii_lowercase())
            {
                activity = Some(naming::gerund(t));
            }
            continue;
        }
        if t.len() < 3
            || !t.chars().all(|c| c.is_ascii_lowercase())
            || STOP_WORDS.contains(&t.as_str())
            || t.ends_with("ly")
        {
            continue;
        }
        let s = naming::singular(t);
        // "ordering", "tracking": a verb of the stop list, unless the word is a common noun.
        let verb_ing = t.strip_suffix("ing").is_some_and(|stem| STOP_WORDS.contains(&stem))
            && !["listing", "building", "setting", "posting", "recording"].contains(&t.as_str());
        if verb_ing || STOP_WORDS.contains(&s.as_str()) || FEATURE_WORDS.iter().any(|(k, _)| *k == s) {
            continue;
        }
        if !nouns.contains(&s) {
            nouns.push(s);
        }
    }
    nouns.truncate(4);
    let mut out: Vec<Entity> = Vec::new();
    for n in &nouns {
        let mut e =
            entity(&naming::pascal(n), vec![f("name", STRING, true), f("notes", TEXT, false)], vec![]);
        if RESERVED_PLURALS.contains(&e.plural.as_str()) {
            e.plural = format!("my_{}", e.plural);
        }
        out.push(e);
    }
    if let Some(act) = activity {
        let name = naming::pascal(&act);
        if !out.iter().any(|e| e.name == name) {
            let relations = out.first().map(|e| rel(&e.name, true)).into_iter().collect();
            out.push(entity(&name, vec![f("done_on", DATE, true), f("notes", TEXT, false)], relations));
        }
    }
    out
}

/// Plurals the generated app uses for itself (tables and routes).
const RESERVED_PLURALS: &[&str] = &["users", "sessions", "uploads", "health", "auth", "search", "checkout"];

fn summary(entities: &[Entity], features: &[Feature]) -> String {
    let names: Vec<String> = entities.iter().map(|e| naming::sentence(&e.plural).to_lowercase()).collect();
    let mut s = format!("A web app to manage {}", join_and(&names));
    let extras: Vec<&str> = features
        .iter()
        .map(|f| match f {
            Feature::Auth => "sign-up and log-in",
            Feature::Payments => "Stripe Checkout payments",
            Feature::Search => "text search",
            Feature::Uploads => "file uploads",
        })
        .collect();
    if !extras.is_empty() {
        s.push_str(", with ");
        s.push_str(&join_and(&extras));
    }
    s.push('.');
    s
}

fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(", "),
            last.as_ref()
        ),
    }
}
