"""Tables owned by the booking package. Times are ISO 8601 in UTC; lists are JSON arrays."""

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE organisations (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            authority_id TEXT NOT NULL,          -- a knowledge authority id, e.g. "coompanion"
            place TEXT                           -- meeting place or video link; "{ref}" is filled in
        );
        CREATE TABLE officials (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            organisation_id TEXT NOT NULL REFERENCES organisations(id),
            topics TEXT NOT NULL DEFAULT '[]',
            municipalities TEXT NOT NULL DEFAULT '[]',   -- empty: serves every municipality
            address TEXT UNIQUE,                 -- channel address for notifications: tg:…, mx:…, console:…
            lang TEXT NOT NULL DEFAULT 'sv',
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE weekly_windows (
            official_id TEXT NOT NULL REFERENCES officials(id) ON DELETE CASCADE,
            weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
            start_local TEXT NOT NULL,           -- HH:MM, Europe/Stockholm wall-clock time
            end_local TEXT NOT NULL
        );
        CREATE INDEX weekly_windows_official ON weekly_windows(official_id);
        CREATE TABLE availability_exceptions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            official_id TEXT NOT NULL REFERENCES officials(id) ON DELETE CASCADE,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('absence', 'extra'))
        );
        CREATE TABLE meetings (
            id TEXT PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            founder_address TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            place TEXT,
            topics TEXT NOT NULL DEFAULT '[]',
            municipality TEXT,
            idea TEXT,
            lang TEXT NOT NULL DEFAULT 'sv',
            state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'cancelled')),
            sequence INTEGER NOT NULL DEFAULT 0,
            share_guide INTEGER NOT NULL DEFAULT 0,
            scheduled_at TEXT NOT NULL,          -- when the current start time was set (reminders owed after it)
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX meetings_start ON meetings(start_utc);
        CREATE INDEX meetings_founder ON meetings(founder_address);
        CREATE TABLE participants (
            meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            official_id TEXT NOT NULL REFERENCES officials(id),
            state TEXT NOT NULL CHECK (state IN ('invited', 'accepted', 'declined')),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, official_id)
        );
        CREATE INDEX participants_official ON participants(official_id);
        -- Each reminder or digest once: claimed ('sending') before it goes out, 'sent' after.
        CREATE TABLE reminders_sent (
            meeting_id TEXT NOT NULL,            -- '' for an official's daily digest
            recipient TEXT NOT NULL,
            kind TEXT NOT NULL,                  -- 'h24', 'h1', 'digest'
            due_utc TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'sending',
            sent_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, recipient, kind, due_utc)
        );
        -- One-time codes that link a chat account to an official; only a hash of the code is kept.
        CREATE TABLE invites (
            code_hash TEXT PRIMARY KEY,
            official_id TEXT NOT NULL REFERENCES officials(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        """,
    ),
    (
        2,
        """
        -- Each version of a meeting as its messages showed it: a button carries the version it was sent
        -- with, so a press on an older message can be told what changed instead of acting on the new one.
        CREATE TABLE meeting_versions (
            meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            sequence INTEGER NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            state TEXT NOT NULL,
            official_ids TEXT NOT NULL DEFAULT '[]',   -- attending officials (not those who declined)
            created_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, sequence)
        );
        INSERT INTO meeting_versions(meeting_id, sequence, start_utc, end_utc, state, official_ids, created_at)
        SELECT m.id, m.sequence, m.start_utc, m.end_utc, m.state,
               (SELECT json_group_array(official_id) FROM
                   (SELECT official_id FROM participants p WHERE p.meeting_id = m.id AND p.state != 'declined'
                    ORDER BY p.rowid)),
               m.updated_at
        FROM meetings m;
        """,
    ),
    (
        3,
        """
        -- Failed sends are retried (booking/reminders.py): how many sends were started and when the next one is due.
        -- state: 'sending', 'sent', 'failed' (retried at next_try_utc), 'given_up' (not delivered after the bound,
        -- counted in the coordinators' report), 'skipped' (no longer owed: cancelled, moved or superseded).
        ALTER TABLE reminders_sent ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE reminders_sent ADD COLUMN next_try_utc TEXT;
        UPDATE reminders_sent SET next_try_utc = sent_at WHERE state = 'failed';  -- failed before this release: retry
        CREATE INDEX reminders_sent_retry ON reminders_sent(state, next_try_utc);
        """,
    ),
    (
        4,
        """
        -- Officials reachable by e-mail: the address and how they want to be told (NULL: whichever address they
        -- have, both when both). One official per e-mail address, compared without regard to case.
        ALTER TABLE officials ADD COLUMN email TEXT;
        ALTER TABLE officials ADD COLUMN notify_via TEXT CHECK (notify_via IN ('chat', 'email', 'both'));
        CREATE UNIQUE INDEX officials_email ON officials(email COLLATE NOCASE);
        """,
    ),
    (
        5,
        """
        -- The secret of each official's calendar feed, <public address>/cal/<secret>.ics (bot/web_feed.py):
        -- made when first asked for, replaced by `dukat-bord officials feed-reset`.
        CREATE TABLE official_feeds (
            official_id TEXT PRIMARY KEY REFERENCES officials(id) ON DELETE CASCADE,
            secret TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        6,
        """
        -- Officials' own calendars (booking/busy_service.py): the last known busy intervals of each official whose
        -- calendar is named in the credentials file (its address and password are never stored here), and when it
        -- was last read and last failed. `revision` changes whenever the intervals do (the slot finder's cache).
        CREATE TABLE calendar_reads (
            official_id TEXT PRIMARY KEY REFERENCES officials(id) ON DELETE CASCADE,
            read_at TEXT,                        -- last successful read
            failed_at TEXT,                      -- last failed read
            failure TEXT,                        -- why it failed, in a word or two (never the address)
            revision INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE calendar_busy (
            official_id TEXT NOT NULL REFERENCES officials(id) ON DELETE CASCADE,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL
        );
        CREATE INDEX calendar_busy_official ON calendar_busy(official_id, start_utc);
        -- A booked meeting found busy in an attending official's calendar: asked once per meeting version.
        CREATE TABLE calendar_conflicts (
            meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            official_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            asked_at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, official_id, sequence)
        );
        """,
    ),
]
