-- Version 2: history and messages hold Microsoft.DurableTask.Protobuf.HistoryEvent bytes (BLOB) instead of JSON.
-- The rows are converted by the C# step (Upgrade/SqliteHistoryUpgrade) between the two halves of this script, in the
-- same transaction. A message's target execution (was inside the JSON) is a column.
ALTER TABLE Instances ADD COLUMN entity_scheduler TEXT;

CREATE TABLE History_v2 (
    instance_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    event       BLOB    NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;

CREATE TABLE Messages_v2 (
    id               INTEGER NOT NULL PRIMARY KEY,
    instance_id      TEXT    NOT NULL,
    visible_at       INTEGER NOT NULL,
    dequeue_count    INTEGER NOT NULL DEFAULT 0,
    event            BLOB    NOT NULL,
    target_execution TEXT
);
-- @convert
DROP TABLE History;
ALTER TABLE History_v2 RENAME TO History;
DROP TABLE Messages;
ALTER TABLE Messages_v2 RENAME TO Messages;
CREATE INDEX ix_messages_instance ON Messages (instance_id, id);
-- Activity inputs are kept as the runner writes them: DTFx's parameter array, '[' input ']' (the worker unwraps it).
UPDATE Tasks SET input = '[' || input || ']' WHERE input IS NOT NULL;
