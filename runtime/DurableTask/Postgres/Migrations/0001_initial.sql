-- One task hub per schema; the store sets search_path to it, so names here are unqualified.
-- Times are timestamptz (microseconds). Instance ids compare byte-wise (COLLATE "C"), like the SQLite store.

-- Instances: one row per orchestration instance and per entity (instance id @name@key).
CREATE TABLE instances (
    instance_id        text COLLATE "C" NOT NULL PRIMARY KEY,
    execution_id       text        NOT NULL,
    name               text        NOT NULL,
    is_entity          boolean     NOT NULL DEFAULT false,
    runtime_status     integer     NOT NULL,
    input              text,
    output             text,
    custom_status      text,
    failure            text,
    entity_state       text,
    created_at         timestamptz NOT NULL,
    last_updated_at    timestamptz NOT NULL,
    completed_at       timestamptz,
    parent_instance_id text,
    parent_task_id     integer     NOT NULL DEFAULT -1,
    history_count      integer     NOT NULL DEFAULT 0
);
CREATE INDEX ix_instances_created ON instances (is_entity, created_at, instance_id);
CREATE INDEX ix_instances_completed ON instances (completed_at) WHERE completed_at IS NOT NULL;

-- History: the events of each instance's current execution, in order.
CREATE TABLE history (
    instance_id text COLLATE "C" NOT NULL,
    seq         integer NOT NULL,
    event       text    NOT NULL,
    PRIMARY KEY (instance_id, seq)
);

-- Messages waiting for an instance: events, timer firings (visible_at in the future), entity operations.
-- is_control: suspend/resume/terminate, delivered even while the instance is suspended.
CREATE TABLE messages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id   text COLLATE "C" NOT NULL,
    visible_at    timestamptz NOT NULL,
    dequeue_count integer     NOT NULL DEFAULT 0,
    is_control    boolean     NOT NULL DEFAULT false,
    event         text        NOT NULL
);
CREATE INDEX ix_messages_instance ON messages (instance_id, id);

-- The instance queue and its leases: one row per instance that has messages. ready_at is when its earliest
-- deliverable message is due (null: nothing deliverable); a worker leases the row (lock_token, locked_until)
-- with FOR UPDATE SKIP LOCKED. Every transaction that recomputes ready_at first locks the row, and senders
-- only ever lower it (LEAST), so a message committed concurrently is never left without a due time.
CREATE TABLE instance_queue (
    instance_id  text COLLATE "C" NOT NULL PRIMARY KEY,
    ready_at     timestamptz,
    locked_until timestamptz NOT NULL DEFAULT '-infinity',
    lock_token   bigint,
    lock_owner   bigint
);
CREATE INDEX ix_instance_queue_ready ON instance_queue (ready_at) WHERE ready_at IS NOT NULL;
CREATE INDEX ix_instance_queue_leased ON instance_queue (locked_until) WHERE lock_token IS NOT NULL;

-- Activities waiting to run, with their leases. ready_at delays a retry after an abandoned attempt.
CREATE TABLE tasks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id   text COLLATE "C" NOT NULL,
    execution_id  text        NOT NULL,
    task_id       integer     NOT NULL,
    name          text        NOT NULL,
    input         text,
    dequeue_count integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    ready_at      timestamptz NOT NULL,
    locked_until  timestamptz NOT NULL DEFAULT '-infinity',
    lock_token    bigint,
    lock_owner    bigint
);
CREATE INDEX ix_tasks_instance ON tasks (instance_id);
CREATE INDEX ix_tasks_ready ON tasks (ready_at, id);
CREATE INDEX ix_tasks_leased ON tasks (locked_until) WHERE lock_token IS NOT NULL;

-- Work that kept failing, kept for inspection.
CREATE TABLE dead_letters (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL,
    instance_id      text        NOT NULL,
    payload          text        NOT NULL,
    reason           text        NOT NULL,
    dequeue_count    integer     NOT NULL,
    dead_lettered_at timestamptz NOT NULL
);

-- Lock tokens: unique across all hosts of the hub, so a token identifies one lease.
CREATE SEQUENCE lock_tokens;

-- The functions host's timer trigger schedules (last and next occurrence, as .NET ticks), per function (lower case).
CREATE TABLE function_timer_schedules (
    function_name    text   NOT NULL PRIMARY KEY,
    last_utc         bigint NOT NULL,
    next_utc         bigint NOT NULL,
    last_updated_utc bigint NOT NULL
);
