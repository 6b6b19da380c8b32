-- Version 3: an activity keeps the W3C trace context of the step that scheduled it (the SDK's parentTraceContext of
-- TaskScheduled), so that its span joins the instance's trace wherever it runs. NULL: no trace (tracing off).
ALTER TABLE Tasks ADD COLUMN trace_parent TEXT;
