//! Vocabulary the generated events draw from. None of it contains the placeholder characters
//! (`~`, `^`, backtick) that mark the fields patched per event.

pub const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Edsger",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Shafi",
];

pub const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Wilson",
    "van Rossum",
    "Borg",
    "Stroustrup",
    "Goldwasser",
];

pub const PLANS: &[&str] = &["free", "starter", "pro", "business", "enterprise"];

pub const COMPANIES: &[(&str, &str, &str)] = &[
    ("Acme Corporation", "acme.example.com", "Manufacturing"),
    ("Globex", "globex.example.com", "Energy"),
    ("Initech", "initech.example.com", "Software"),
    ("Umbrella Health", "umbrella.example.org", "Healthcare"),
    ("Stark Industries", "stark.example.net", "Aerospace"),
    ("Wayne Enterprises", "wayne.example.com", "Conglomerate"),
    ("Hooli", "hooli.example.com", "Internet"),
    ("Vandelay Imports", "vandelay.example.com", "Logistics"),
    ("Soylent Foods", "soylent.example.org", "Food & Beverage"),
    ("Cyberdyne Systems", "cyberdyne.example.net", "Robotics"),
];

pub const TRACK_EVENTS: &[&str] = &[
    "Order Completed",
    "Product Viewed",
    "Signed Up",
    "Subscription Upgraded",
    "Report Exported",
    "Invite Sent",
    "Feature Used",
    "Trial Started",
];

pub const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CAD"];

pub const LOCALES: &[&str] = &["en-US", "en-GB", "fr-FR", "de-DE", "ja-JP", "pt-BR"];

pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
];

pub const LIBRARY_VERSIONS: &[&str] = &["2.1.2", "2.1.3", "2.2.0"];

pub const NODE_VERSIONS: &[&str] = &["18.20.2", "20.12.2", "22.1.0"];
