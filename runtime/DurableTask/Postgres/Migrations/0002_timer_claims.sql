-- Timer-trigger occurrences claimed by one host: replicas sharing the schema run each occurrence once between them.
ALTER TABLE function_timer_schedules
    ADD COLUMN claimed_utc    bigint NOT NULL DEFAULT 0,
    ADD COLUMN claimed_at_utc bigint NOT NULL DEFAULT 0;
