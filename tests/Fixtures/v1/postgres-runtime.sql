--
-- PostgreSQL database dump
--

\restrict lVxpDmfTh3Up4SnmlHdOlIXcEMUO4c9bAO6SMdz2Wgo9dRMWY3nQcqTUNlaMbfg

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: fixture_v1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA fixture_v1;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: dead_letters; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.dead_letters (
    id bigint NOT NULL,
    kind text NOT NULL,
    instance_id text NOT NULL,
    payload text NOT NULL,
    reason text NOT NULL,
    dequeue_count integer NOT NULL,
    dead_lettered_at timestamp with time zone NOT NULL
);


--
-- Name: dead_letters_id_seq; Type: SEQUENCE; Schema: fixture_v1; Owner: -
--

ALTER TABLE fixture_v1.dead_letters ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME fixture_v1.dead_letters_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: function_timer_schedules; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.function_timer_schedules (
    function_name text NOT NULL,
    last_utc bigint NOT NULL,
    next_utc bigint NOT NULL,
    last_updated_utc bigint NOT NULL,
    claimed_utc bigint DEFAULT 0 NOT NULL,
    claimed_at_utc bigint DEFAULT 0 NOT NULL
);


--
-- Name: history; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.history (
    instance_id text NOT NULL COLLATE pg_catalog."C",
    seq integer NOT NULL,
    event text NOT NULL
);


--
-- Name: instance_queue; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.instance_queue (
    instance_id text NOT NULL COLLATE pg_catalog."C",
    ready_at timestamp with time zone,
    locked_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    lock_token bigint,
    lock_owner bigint
);


--
-- Name: instances; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.instances (
    instance_id text NOT NULL COLLATE pg_catalog."C",
    execution_id text NOT NULL,
    name text NOT NULL,
    is_entity boolean DEFAULT false NOT NULL,
    runtime_status integer NOT NULL,
    input text,
    output text,
    custom_status text,
    failure text,
    entity_state text,
    created_at timestamp with time zone NOT NULL,
    last_updated_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    parent_instance_id text,
    parent_task_id integer DEFAULT '-1'::integer NOT NULL,
    history_count integer DEFAULT 0 NOT NULL
);


--
-- Name: lock_tokens; Type: SEQUENCE; Schema: fixture_v1; Owner: -
--

CREATE SEQUENCE fixture_v1.lock_tokens
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: messages; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.messages (
    id bigint NOT NULL,
    instance_id text NOT NULL COLLATE pg_catalog."C",
    visible_at timestamp with time zone NOT NULL,
    dequeue_count integer DEFAULT 0 NOT NULL,
    is_control boolean DEFAULT false NOT NULL,
    event text NOT NULL
);


--
-- Name: messages_id_seq; Type: SEQUENCE; Schema: fixture_v1; Owner: -
--

ALTER TABLE fixture_v1.messages ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME fixture_v1.messages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_versions; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.schema_versions (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone NOT NULL
);


--
-- Name: tasks; Type: TABLE; Schema: fixture_v1; Owner: -
--

CREATE TABLE fixture_v1.tasks (
    id bigint NOT NULL,
    instance_id text NOT NULL COLLATE pg_catalog."C",
    execution_id text NOT NULL,
    task_id integer NOT NULL,
    name text NOT NULL,
    input text,
    dequeue_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    ready_at timestamp with time zone NOT NULL,
    locked_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    lock_token bigint,
    lock_owner bigint
);


--
-- Name: tasks_id_seq; Type: SEQUENCE; Schema: fixture_v1; Owner: -
--

ALTER TABLE fixture_v1.tasks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME fixture_v1.tasks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Data for Name: dead_letters; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--



--
-- Data for Name: function_timer_schedules; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--



--
-- Data for Name: history; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--

INSERT INTO fixture_v1.history VALUES ('fx-event-timeout', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.3265116Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-event-timeout', 1, '{"t":"ExecutionStarted","name":"EventWithTimeout","input":"\u0022order-1\u0022","executionId":"8e70d4c591f04fea8ef52a0d82377262","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.0184265Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-event-timeout', 2, '{"t":"TimerCreated","fireAt":"2026-12-14T06:28:46.3265116Z","id":0,"ts":"2026-12-07T06:28:46.3265116Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-activity-event', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.4260239Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-activity-event', 1, '{"t":"ExecutionStarted","name":"ActivityThenEvent","input":"\u0022fixture\u0022","executionId":"381432f078f94e8a8f19b6f22a523ffd","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.4088819Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-activity-event', 2, '{"t":"TaskScheduled","name":"Greet","input":"\u0022fixture\u0022","id":0,"ts":"2026-12-07T06:28:46.4260239Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-activity-event', 3, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.4771626Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-activity-event', 4, '{"t":"TaskCompleted","taskScheduledId":0,"result":"\u0022Hello, fixture!\u0022","id":-1,"ts":"2026-12-07T06:28:46.4564918Z","x":"381432f078f94e8a8f19b6f22a523ffd"}');
INSERT INTO fixture_v1.history VALUES ('fx-parent', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.543155Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-parent', 1, '{"t":"ExecutionStarted","name":"ParentOrchestration","input":"\u0022p\u0022","executionId":"dfe9bab6715e44ffabae80e552dbbb6b","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.5327002Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-parent', 2, '{"t":"SubOrchestrationInstanceCreated","name":"ChildOrchestration","instanceId":"fx-parent:child","input":"\u0022p-child\u0022","id":0,"ts":"2026-12-07T06:28:46.543155Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-parent:child', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.5624849Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-parent:child', 1, '{"t":"ExecutionStarted","name":"ChildOrchestration","input":"\u0022p-child\u0022","executionId":"4843619717644ea3845eac9c651aa2c7","parentInstanceId":"fx-parent","parentName":"ParentOrchestration","parentTaskId":0,"parentExecutionId":"dfe9bab6715e44ffabae80e552dbbb6b","id":-1,"ts":"2026-12-07T06:28:46.543155Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-buffered', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.6164858Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-buffered', 1, '{"t":"ExecutionStarted","name":"TwoEvents","executionId":"2ef95667f34c4bf9873e42de00d4aac4","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.5907563Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-buffered', 2, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.6938852Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-buffered', 3, '{"t":"EventRaised","name":"Second","input":"\u0022two\u0022","id":-1,"ts":"2026-12-07T06:28:46.6796769Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.8166865Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 1, '{"t":"ExecutionStarted","name":"EntityCaller","executionId":"20a6a49b9ae54b42ac434cc2091610da","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.809753Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 2, '{"t":"EntityOperationSignaled","requestId":"e195f6e57cd353369217c4ad06e04ded","targetInstanceId":"@counter@fx","operation":"Add","input":"1","id":0,"ts":"2026-12-07T06:28:46.8166865Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 3, '{"t":"EntityOperationCalled","requestId":"1170f6c2a38a525a99ff6313e98e8610","targetInstanceId":"@counter@fx","operation":"AddAndGet","input":"2","id":1,"ts":"2026-12-07T06:28:46.8166865Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 4, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.849655Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-entity-caller', 5, '{"t":"EntityOperationCompleted","requestId":"1170f6c2a38a525a99ff6313e98e8610","result":"8","id":-1,"ts":"2026-12-07T06:28:46.8400995Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-continue-as-new', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.8901007Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-continue-as-new', 1, '{"t":"ExecutionStarted","name":"Looper","input":"2","executionId":"3b645a21095948b981e45ba4ef5e4eef","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.8901007Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-continue-as-new', 2, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.8986199Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-scheduled-start', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.9420088Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-scheduled-start', 1, '{"t":"EventRaised","name":"Early","input":"\u0022queued\u0022","id":-1,"ts":"2026-12-07T06:28:46.9353339Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-timer', 0, '{"t":"OrchestratorStarted","id":-1,"ts":"2026-12-07T06:28:46.9453923Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-timer', 1, '{"t":"ExecutionStarted","name":"TimerSoon","input":"3","executionId":"5b8aebe534f54466b074343f14b41c4c","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.9377981Z"}');
INSERT INTO fixture_v1.history VALUES ('fx-timer', 2, '{"t":"TimerCreated","fireAt":"2026-12-07T06:28:49.9453923Z","id":0,"ts":"2026-12-07T06:28:46.9453923Z"}');


--
-- Data for Name: instance_queue; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--

INSERT INTO fixture_v1.instance_queue VALUES ('fx-event-timeout', '2026-12-14 06:28:46.326512+00', '-infinity', NULL, NULL);
INSERT INTO fixture_v1.instance_queue VALUES ('fx-scheduled-start', '2026-12-07 06:28:50.929119+00', '-infinity', NULL, NULL);
INSERT INTO fixture_v1.instance_queue VALUES ('fx-timer', '2026-12-07 06:28:49.945393+00', '-infinity', NULL, NULL);


--
-- Data for Name: instances; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--

INSERT INTO fixture_v1.instances VALUES ('fx-event-timeout', '8e70d4c591f04fea8ef52a0d82377262', 'EventWithTimeout', false, 0, '"order-1"', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.020588+00', '2026-12-07 06:28:46.326511+00', NULL, NULL, -1, 3);
INSERT INTO fixture_v1.instances VALUES ('fx-activity-event', '381432f078f94e8a8f19b6f22a523ffd', 'ActivityThenEvent', false, 0, '"fixture"', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.408907+00', '2026-12-07 06:28:46.477162+00', NULL, NULL, -1, 5);
INSERT INTO fixture_v1.instances VALUES ('fx-parent', 'dfe9bab6715e44ffabae80e552dbbb6b', 'ParentOrchestration', false, 0, '"p"', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.532716+00', '2026-12-07 06:28:46.543155+00', NULL, NULL, -1, 3);
INSERT INTO fixture_v1.instances VALUES ('fx-parent:child', '4843619717644ea3845eac9c651aa2c7', 'ChildOrchestration', false, 0, '"p-child"', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.54802+00', '2026-12-07 06:28:46.562484+00', NULL, 'fx-parent', 0, 2);
INSERT INTO fixture_v1.instances VALUES ('fx-buffered', '2ef95667f34c4bf9873e42de00d4aac4', 'TwoEvents', false, 0, NULL, NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.590778+00', '2026-12-07 06:28:46.693885+00', NULL, NULL, -1, 4);
INSERT INTO fixture_v1.instances VALUES ('@counter@fx', '', 'counter', true, 0, NULL, NULL, NULL, NULL, '8', '2026-12-07 06:28:46.758927+00', '2026-12-07 06:28:46.840099+00', NULL, NULL, -1, 0);
INSERT INTO fixture_v1.instances VALUES ('fx-entity-caller', '20a6a49b9ae54b42ac434cc2091610da', 'EntityCaller', false, 0, NULL, NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.809772+00', '2026-12-07 06:28:46.849655+00', NULL, NULL, -1, 6);
INSERT INTO fixture_v1.instances VALUES ('fx-continue-as-new', '3b645a21095948b981e45ba4ef5e4eef', 'Looper', false, 0, '2', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.872235+00', '2026-12-07 06:28:46.898619+00', NULL, NULL, -1, 3);
INSERT INTO fixture_v1.instances VALUES ('fx-scheduled-start', '532d0ff07cc8494a86f6b91ed834cc5b', 'LateStarter', false, 6, '"late"', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.929224+00', '2026-12-07 06:28:46.942008+00', NULL, NULL, -1, 2);
INSERT INTO fixture_v1.instances VALUES ('fx-timer', '5b8aebe534f54466b074343f14b41c4c', 'TimerSoon', false, 0, '3', NULL, NULL, NULL, NULL, '2026-12-07 06:28:46.937815+00', '2026-12-07 06:28:46.945392+00', NULL, NULL, -1, 3);


--
-- Data for Name: messages; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--

INSERT INTO fixture_v1.messages OVERRIDING SYSTEM VALUE VALUES (2, 'fx-event-timeout', '2026-12-14 06:28:46.326512+00', 0, false, '{"t":"TimerFired","timerId":0,"fireAt":"2026-12-14T06:28:46.3265116Z","id":-1,"ts":"2026-12-14T06:28:46.3265116Z","x":"8e70d4c591f04fea8ef52a0d82377262"}');
INSERT INTO fixture_v1.messages OVERRIDING SYSTEM VALUE VALUES (20, 'fx-timer', '2026-12-07 06:28:49.945393+00', 0, false, '{"t":"TimerFired","timerId":0,"fireAt":"2026-12-07T06:28:49.9453923Z","id":-1,"ts":"2026-12-07T06:28:49.9453923Z","x":"5b8aebe534f54466b074343f14b41c4c"}');
INSERT INTO fixture_v1.messages OVERRIDING SYSTEM VALUE VALUES (17, 'fx-scheduled-start', '2026-12-07 06:28:50.929119+00', 0, false, '{"t":"ExecutionStarted","name":"LateStarter","input":"\u0022late\u0022","executionId":"532d0ff07cc8494a86f6b91ed834cc5b","parentTaskId":-1,"id":-1,"ts":"2026-12-07T06:28:46.9291931Z"}');


--
-- Data for Name: schema_versions; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--

INSERT INTO fixture_v1.schema_versions VALUES (1, '0001_initial', '2026-12-07 06:28:45.829769+00');
INSERT INTO fixture_v1.schema_versions VALUES (2, '0002_timer_claims', '2026-12-07 06:28:45.829769+00');


--
-- Data for Name: tasks; Type: TABLE DATA; Schema: fixture_v1; Owner: -
--



--
-- Name: dead_letters_id_seq; Type: SEQUENCE SET; Schema: fixture_v1; Owner: -
--

SELECT pg_catalog.setval('fixture_v1.dead_letters_id_seq', 1, false);


--
-- Name: lock_tokens; Type: SEQUENCE SET; Schema: fixture_v1; Owner: -
--

SELECT pg_catalog.setval('fixture_v1.lock_tokens', 17, true);


--
-- Name: messages_id_seq; Type: SEQUENCE SET; Schema: fixture_v1; Owner: -
--

SELECT pg_catalog.setval('fixture_v1.messages_id_seq', 20, true);


--
-- Name: tasks_id_seq; Type: SEQUENCE SET; Schema: fixture_v1; Owner: -
--

SELECT pg_catalog.setval('fixture_v1.tasks_id_seq', 1, true);


--
-- Name: dead_letters dead_letters_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.dead_letters
    ADD CONSTRAINT dead_letters_pkey PRIMARY KEY (id);


--
-- Name: function_timer_schedules function_timer_schedules_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.function_timer_schedules
    ADD CONSTRAINT function_timer_schedules_pkey PRIMARY KEY (function_name);


--
-- Name: history history_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.history
    ADD CONSTRAINT history_pkey PRIMARY KEY (instance_id, seq);


--
-- Name: instance_queue instance_queue_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.instance_queue
    ADD CONSTRAINT instance_queue_pkey PRIMARY KEY (instance_id);


--
-- Name: instances instances_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.instances
    ADD CONSTRAINT instances_pkey PRIMARY KEY (instance_id);


--
-- Name: messages messages_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);


--
-- Name: schema_versions schema_versions_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.schema_versions
    ADD CONSTRAINT schema_versions_pkey PRIMARY KEY (version);


--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: fixture_v1; Owner: -
--

ALTER TABLE ONLY fixture_v1.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);


--
-- Name: ix_instance_queue_leased; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_instance_queue_leased ON fixture_v1.instance_queue USING btree (locked_until) WHERE (lock_token IS NOT NULL);


--
-- Name: ix_instance_queue_ready; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_instance_queue_ready ON fixture_v1.instance_queue USING btree (ready_at) WHERE (ready_at IS NOT NULL);


--
-- Name: ix_instances_completed; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_instances_completed ON fixture_v1.instances USING btree (completed_at) WHERE (completed_at IS NOT NULL);


--
-- Name: ix_instances_created; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_instances_created ON fixture_v1.instances USING btree (is_entity, created_at, instance_id);


--
-- Name: ix_messages_instance; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_messages_instance ON fixture_v1.messages USING btree (instance_id, id);


--
-- Name: ix_tasks_instance; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_tasks_instance ON fixture_v1.tasks USING btree (instance_id);


--
-- Name: ix_tasks_leased; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_tasks_leased ON fixture_v1.tasks USING btree (locked_until) WHERE (lock_token IS NOT NULL);


--
-- Name: ix_tasks_ready; Type: INDEX; Schema: fixture_v1; Owner: -
--

CREATE INDEX ix_tasks_ready ON fixture_v1.tasks USING btree (ready_at, id);


--
-- PostgreSQL database dump complete
--

\unrestrict lVxpDmfTh3Up4SnmlHdOlIXcEMUO4c9bAO6SMdz2Wgo9dRMWY3nQcqTUNlaMbfg

