-- Version 3: history and messages hold Microsoft.DurableTask.Protobuf.HistoryEvent bytes (bytea) instead of JSON.
-- New bytea columns are filled by the C# step (Upgrade/PostgresHistoryUpgrade) between the two halves of this script,
-- in the migration's transaction (under its advisory lock); then the text columns are dropped.
ALTER TABLE instances ADD COLUMN entity_scheduler text;
ALTER TABLE history ADD COLUMN event_pb bytea;
ALTER TABLE messages ADD COLUMN event_pb bytea, ADD COLUMN target_execution text;
-- @convert
ALTER TABLE history DROP COLUMN event;
ALTER TABLE history RENAME COLUMN event_pb TO event;
ALTER TABLE history ALTER COLUMN event SET NOT NULL;
ALTER TABLE messages DROP COLUMN event;
ALTER TABLE messages RENAME COLUMN event_pb TO event;
ALTER TABLE messages ALTER COLUMN event SET NOT NULL;
-- Activity inputs are kept as the runner writes them: DTFx's parameter array, '[' input ']' (the worker unwraps it).
UPDATE tasks SET input = '[' || input || ']' WHERE input IS NOT NULL;
