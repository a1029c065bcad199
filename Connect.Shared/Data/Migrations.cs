namespace Connect.Shared.Data;

/// <summary>One forward-only schema step. Its SQL is written once for both dialects (see <see cref="ConnectDatabase.Sql"/>).</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The schema's history. Versions only ever grow: never edit or remove a released migration,
/// add the next one. A binary knows schema versions up to <see cref="Latest"/>.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial schema", """
            CREATE TABLE users (
                id {{ID}},
                username TEXT NOT NULL UNIQUE,
                email TEXT,
                first_name TEXT,
                last_name TEXT,
                role TEXT NOT NULL,
                password_hash TEXT,
                locked INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE api_keys (
                id {{ID}},
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT
            );

            CREATE TABLE content (
                id {{ID}},
                guid TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                title TEXT,
                description TEXT,
                owner_id BIGINT NOT NULL REFERENCES users (id),
                app_mode TEXT,
                active_bundle_id BIGINT,
                output_path TEXT,
                min_processes INTEGER,
                max_processes INTEGER,
                max_conns_per_process INTEGER,
                load_factor DOUBLE PRECISION,
                idle_timeout_ms BIGINT,
                init_timeout_ms BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (owner_id, name)
            );

            CREATE TABLE content_environment (
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (content_id, name)
            );

            CREATE TABLE bundles (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                path TEXT NOT NULL,
                size BIGINT NOT NULL,
                app_mode TEXT,
                primary_file TEXT,
                packages TEXT,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE tasks (
                id TEXT PRIMARY KEY,
                content_id BIGINT REFERENCES content (id) ON DELETE CASCADE,
                user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
                kind TEXT NOT NULL,
                node TEXT NOT NULL,
                finished INTEGER NOT NULL DEFAULT 0,
                code INTEGER,
                error TEXT,
                result TEXT,
                created_at BIGINT NOT NULL,
                finished_at BIGINT
            );

            CREATE TABLE task_output (
                task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                line_no INTEGER NOT NULL,
                line TEXT NOT NULL,
                PRIMARY KEY (task_id, line_no)
            );

            CREATE TABLE schedules (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                expression TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                enabled INTEGER NOT NULL DEFAULT 1,
                next_run_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE jobs (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                schedule_id BIGINT REFERENCES schedules (id) ON DELETE SET NULL,
                bundle_id BIGINT,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                due_at BIGINT NOT NULL,
                node TEXT,
                claim_token BIGINT NOT NULL DEFAULT 0,
                heartbeat_at BIGINT,
                started_at BIGINT,
                finished_at BIGINT,
                exit_code INTEGER,
                error TEXT,
                log_path TEXT,
                output_path TEXT,
                created_at BIGINT NOT NULL
            );

            CREATE INDEX jobs_due ON jobs (status, due_at);

            CREATE TABLE nodes (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                version TEXT NOT NULL,
                schema_version INTEGER NOT NULL,
                instance_id TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                heartbeat_at BIGINT NOT NULL,
                node_clock_at BIGINT NOT NULL,
                stopped_at BIGINT
            );
            """),
        new(2, "sign-in, access control, groups, key ring", """
            ALTER TABLE users ADD COLUMN guid TEXT;
            UPDATE users SET guid = {{UUID}};
            CREATE UNIQUE INDEX users_guid ON users (guid);

            ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT;

            ALTER TABLE content ADD COLUMN access_type TEXT NOT NULL DEFAULT 'acl';

            CREATE TABLE user_groups (
                id {{ID}},
                guid TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL UNIQUE,
                owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE group_members (
                group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                PRIMARY KEY (group_id, user_id)
            );

            CREATE TABLE content_permissions (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                principal_type TEXT NOT NULL,
                principal_id BIGINT NOT NULL,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (content_id, principal_type, principal_id)
            );

            CREATE TABLE data_protection_keys (
                id {{ID}},
                friendly_name TEXT NOT NULL,
                xml TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            """),
        new(3, "deploy tasks held with heartbeats, deploys ordered", """
            ALTER TABLE tasks ADD COLUMN instance_id TEXT;
            ALTER TABLE tasks ADD COLUMN heartbeat_at BIGINT;
            ALTER TABLE tasks ADD COLUMN seq BIGINT;
            ALTER TABLE content ADD COLUMN deploy_seq BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE content ADD COLUMN active_seq BIGINT NOT NULL DEFAULT 0;
            """),
        new(4, "node status published for the console, console commands to nodes", """
            CREATE TABLE node_status (
                node TEXT PRIMARY KEY,
                instance_id TEXT NOT NULL,
                settings TEXT NOT NULL,
                live TEXT NOT NULL,
                live_at BIGINT NOT NULL,
                history TEXT,
                history_at BIGINT
            );

            CREATE TABLE node_commands (
                id {{ID}},
                node TEXT NOT NULL,
                kind TEXT NOT NULL,
                target TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                done_at BIGINT,
                result TEXT
            );
            """),
        new(5, "maintenance pause for consistent backups", """
            CREATE TABLE maintenance (
                id INTEGER PRIMARY KEY,
                holder TEXT NOT NULL,
                reason TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                heartbeat_at BIGINT NOT NULL
            );
            """),
        new(6, "vanity paths and tags", """
            CREATE TABLE vanities (
                content_id BIGINT PRIMARY KEY REFERENCES content (id) ON DELETE CASCADE,
                path TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE tags (
                id {{ID}},
                name TEXT NOT NULL,
                parent_id BIGINT REFERENCES tags (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );

            CREATE UNIQUE INDEX tags_sibling_names ON tags (COALESCE(parent_id, 0), name);

            CREATE TABLE content_tags (
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
                PRIMARY KEY (content_id, tag_id)
            );
            """),
        new(7, "per-item memory limit and run-as user", """
            ALTER TABLE content ADD COLUMN memory_limit BIGINT;
            ALTER TABLE content ADD COLUMN run_as TEXT;
            """),
        // updated_at moves with every change (a title, an access type); clients show "last deployed" from this one.
        new(8, "when each item was last deployed", """
            ALTER TABLE content ADD COLUMN deployed_at BIGINT;
            UPDATE content SET deployed_at = updated_at WHERE active_bundle_id IS NOT NULL;
            """),
        // Old bundles are pruned only once they have been out of service long enough for sessions on them to end.
        new(9, "when each bundle stopped being live", """
            ALTER TABLE bundles ADD COLUMN retired_at BIGINT;
            """),
        // Usage as the product's instrumentation API reports it: each page view of an item, each Shiny session.
        new(10, "content visits and Shiny sessions", """
            CREATE TABLE content_visits (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
                bundle_id BIGINT,
                path TEXT NOT NULL,
                visited_at BIGINT NOT NULL
            );

            CREATE INDEX content_visits_visited ON content_visits (visited_at);
            CREATE INDEX content_visits_content ON content_visits (content_id, visited_at);

            CREATE TABLE shiny_sessions (
                id {{ID}},
                content_id BIGINT NOT NULL REFERENCES content (id) ON DELETE CASCADE,
                user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT NOT NULL
            );

            CREATE INDEX shiny_sessions_started ON shiny_sessions (started_at);
            CREATE INDEX shiny_sessions_content ON shiny_sessions (content_id, started_at);
            """),
        // Who changed what through the API, as the product's audit log lists it.
        new(11, "audit log", """
            CREATE TABLE audit_log (
                id {{ID}},
                user_id BIGINT,
                user_description TEXT NOT NULL,
                action TEXT NOT NULL,
                event_description TEXT NOT NULL,
                logged_at BIGINT NOT NULL
            );
            """),
        // Users and groups a sign-in provider vouches for: matched by the provider's stable id, never by name alone.
        new(12, "users and groups from sign-in providers", """
            ALTER TABLE users ADD COLUMN provider TEXT;
            ALTER TABLE users ADD COLUMN unique_id TEXT;
            ALTER TABLE users ADD COLUMN checked_at BIGINT;
            CREATE UNIQUE INDEX users_provider_id ON users (provider, unique_id);
            ALTER TABLE user_groups ADD COLUMN provider TEXT;
            """),
        // A burst of views of one page by one viewer within a second is one row that counts them.
        new(13, "page views tallied per second", """
            ALTER TABLE content_visits ADD COLUMN hits BIGINT NOT NULL DEFAULT 1;
            """),
    ];

    public static int Latest => All[^1].Version;
}
