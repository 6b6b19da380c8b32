-- Instances: one row per orchestration instance and per entity (instance id @name@key).
CREATE TABLE Instances (
    instance_id        TEXT    NOT NULL PRIMARY KEY,
    execution_id       TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    is_entity          INTEGER NOT NULL DEFAULT 0,
    runtime_status     INTEGER NOT NULL,
    input              TEXT,
    output             TEXT,
    custom_status      TEXT,
    failure            TEXT,
    entity_state       TEXT,
    created_at         INTEGER NOT NULL,
    last_updated_at    INTEGER NOT NULL,
    completed_at       INTEGER,
    parent_instance_id TEXT,
    parent_task_id     INTEGER NOT NULL DEFAULT -1,
    history_count      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_instances_created ON Instances (is_entity, created_at, instance_id);
CREATE INDEX ix_instances_completed ON Instances (completed_at) WHERE completed_at IS NOT NULL;

-- History: the events of each instance's current execution, in order.
CREATE TABLE History (
    instance_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;

-- Messages waiting for an instance: events, timer firings (visible_at in the future), entity operations.
CREATE TABLE Messages (
    id            INTEGER NOT NULL PRIMARY KEY,
    instance_id   TEXT    NOT NULL,
    visible_at    INTEGER NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    event         TEXT    NOT NULL
);
CREATE INDEX ix_messages_instance ON Messages (instance_id, id);

-- Activities waiting to run.
CREATE TABLE Tasks (
    id            INTEGER NOT NULL PRIMARY KEY,
    instance_id   TEXT    NOT NULL,
    execution_id  TEXT    NOT NULL,
    task_id       INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    input         TEXT,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ix_tasks_instance ON Tasks (instance_id);

-- Work that kept failing, kept for inspection.
CREATE TABLE DeadLetters (
    id               INTEGER NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    instance_id      TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    dequeue_count    INTEGER NOT NULL,
    dead_lettered_at INTEGER NOT NULL
);
