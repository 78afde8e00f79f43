"""Tables owned by the bot package (users, conversation state, unanswered questions, console outbox)."""

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE users (
            address TEXT PRIMARY KEY,
            lang TEXT NOT NULL DEFAULT 'sv',
            lang_explicit INTEGER NOT NULL DEFAULT 0,
            role TEXT NOT NULL DEFAULT 'founder',
            recent_topics TEXT NOT NULL DEFAULT '[]',
            undeliverable INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        CREATE TABLE sessions (
            address TEXT PRIMARY KEY REFERENCES users(address) ON DELETE CASCADE,
            flow TEXT,
            step TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        );
        -- Questions the bot could not answer: text and language only, never who asked.
        CREATE TABLE unanswered (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            text TEXT NOT NULL,
            lang TEXT NOT NULL,
            best_faq_id TEXT,
            best_score REAL,
            created_at TEXT NOT NULL,
            handled INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX unanswered_created ON unanswered(created_at);
        -- What the console channel could not show yet (`dukat-bord chat --as ADDRESS` shows it).
        CREATE TABLE console_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address TEXT NOT NULL,
            replies TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX console_outbox_address ON console_outbox(address);
        """,
    ),
    (
        2,
        """
        -- The options the last reply showed (read against a typed "2" or "ja") and the subject of the
        -- last answer (for a follow-up): bot/conversation.py.
        ALTER TABLE users ADD COLUMN pending TEXT;
        ALTER TABLE users ADD COLUMN context TEXT;
        """,
    ),
    (
        3,
        """
        -- Never anything but 'founder': roles live in bot/roles.py (user_roles) and in their providers.
        ALTER TABLE users DROP COLUMN role;
        """,
    ),
    (
        4,
        """
        -- The founder's own municipality (its kommunkod, knowledge/municipalities.py), shown in answers and offered
        -- when booking; and whether they chose not to say (then the bot does not ask again): bot/features/home.py.
        ALTER TABLE users ADD COLUMN municipality TEXT;
        ALTER TABLE users ADD COLUMN municipality_skipped INTEGER NOT NULL DEFAULT 0;
        """,
    ),
]
