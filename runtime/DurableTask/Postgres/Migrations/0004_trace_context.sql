-- An activity keeps the W3C trace context of the step that scheduled it (the SDK's parentTraceContext of
-- TaskScheduled), so that its span joins the instance's trace on whichever replica runs it. NULL: no trace.
ALTER TABLE tasks ADD COLUMN trace_parent text;
