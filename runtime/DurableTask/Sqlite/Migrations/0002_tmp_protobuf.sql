ALTER TABLE Messages ADD COLUMN target_execution TEXT;
ALTER TABLE Instances ADD COLUMN entity_scheduler TEXT;
