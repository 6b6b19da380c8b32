using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace CompanyHub.Tests;

/// <summary>
/// Metrics and traces: <c>/metrics</c> is the admin's alone; a scrape before and after an approval shows the counts move;
/// with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> an onboarding reaches a (fake) collector as one connected trace, and without
/// it nothing is traced. Meters and activity sources are process-wide, so these tests run alone: no other test's hub
/// adds to the counts or listens for spans meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task Metrics_AreTheAdminsAlone()
    {
        await using var hub = await HubServer.StartAsync();
        var (_, userToken) = await HubFlows.OnboardWithDevSignInAsync(hub, Alice, "Alice");
        var hostKey = (await File.ReadAllTextAsync(Path.Combine(hub.Directory, "host-admin.key"))).Trim();

        using var anonymous = hub.Http();
        await HubFlows.AssertProblemAsync(await anonymous.GetAsync("/metrics"), HttpStatusCode.Unauthorized);
        using var wrong = hub.Http("not-a-token-of-this-hub");
        await HubFlows.AssertProblemAsync(await wrong.GetAsync("/metrics"), HttpStatusCode.Unauthorized);

        // A person's token never reaches an admin route: it is not found, as every admin route answers it.
        using var user = hub.Http(userToken);
        await HubFlows.AssertProblemAsync(await user.GetAsync("/metrics"), HttpStatusCode.NotFound);

        // The admin token, and the host key in its header or ?code=, as on the management API.
        using var admin = hub.Http(hub.AdminToken);
        using var byToken = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, byToken.StatusCode);
        Assert.StartsWith("text/plain", byToken.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("durabletask_orchestration_step_duration_seconds_count", await byToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var byKey = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        byKey.Headers.Add("x-functions-key", hostKey);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(byKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/metrics?code={Uri.EscapeDataString(hostKey)}")).StatusCode);

        // A read only.
        await HubFlows.AssertProblemAsync(await admin.PostAsync("/metrics", null), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Scrape_AfterAnApproval_TheCountsMove()
    {
        await using var t = await ToolHub.StartAsync(Tools.Google);
        var agentId = await t.OnboardWithGoogleAsync(Alice, "Alice");
        using var alice = t.User(agentId);
        using var admin = t.Admin();
        var proposalId = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Contract", ["body"] = "Signed copy attached." });
        await ToolHub.WaitForStatusAsync(alice, proposalId, ProposalStatus.Pending);

        var before = await ScrapeAsync(admin);
        await ToolHub.DecideOkAsync(alice, proposalId, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, proposalId);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());

        // The proposal shows its outcome a step before its orchestration ends (the audit entry is written in between).
        await HubFlows.WaitUntilAsync(async () => (await t.Hub.Client.GetInstanceAsync(proposalId))?.RuntimeStatus == Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed, () => "the approval's orchestration to complete");
        var after = await ScrapeAsync(admin);

        var sendEmail = ("companyhub_proposal_type", ProposalTypes.SendEmail);
        Assert.Equal(1, before.Value("companyhub_approvals_pending", sendEmail));
        Assert.Equal(0, after.Value("companyhub_approvals_pending", sendEmail));
        Assert.Equal(1, after.Value("companyhub_approvals_created_total", sendEmail));
        Assert.Equal(1, Moved("companyhub_approvals_decided_total", sendEmail, ("companyhub_decision", "approved")));
        Assert.Equal(1, Moved("companyhub_proposals_executed_total", sendEmail, ("companyhub_outcome", "succeeded")));
        Assert.Equal(1, Moved("durabletask_orchestration_ended_total", ("durabletask_task_name", nameof(ApprovalOrchestration)), ("durabletask_runtime_status", "Completed")));
        Assert.True(Moved("durabletask_activity_duration_seconds_count", ("durabletask_task_name", "ExecuteProposalAction"), ("durabletask_outcome", "completed")) >= 1);
        Assert.True(Moved("durabletask_orchestration_step_duration_seconds_count", ("durabletask_task_name", nameof(ApprovalOrchestration))) >= 1);
        Assert.True(Moved("durabletask_entity_operations_total", ("durabletask_task_name", "agent")) >= 1);
        Assert.True(Moved("durabletask_store_commit_duration_seconds_count", ("durabletask_store", "sqlite")) >= 1);
        Assert.True(Moved("durabletask_store_commit_batch_size_count", ("durabletask_store", "sqlite")) >= 1);
        Assert.Equal(1, Moved("companyhub_service_call_duration_seconds_count", ("companyhub_service", "Gmail"), ("companyhub_operation", "gmail.users.messages.send"), ("http_response_status_code", "200")));
        Assert.True(Moved("http_server_request_duration_seconds_count", ("http_route", "/api/proposals/{proposalId}/decision"), ("http_response_status_code", "202")) >= 1);
        Assert.True(Moved("http_client_request_duration_seconds_count", ("http_request_method", "POST")) >= 1);

        // The queue gauges read the store; the process and runtime report themselves.
        Assert.True(after.Has("durabletask_work_items_waiting", ("durabletask_work_item_kind", "activity")));
        Assert.True(after.Has("durabletask_timers_pending"));
        Assert.True(after.Has("durabletask_work_items_oldest_age_seconds"));
        Assert.Equal(0, after.Value("durabletask_dead_letters"));
        Assert.Contains(after.Names, n => n.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(after.Names, n => n.StartsWith("dotnet_process_", StringComparison.Ordinal) || n.StartsWith("process_", StringComparison.Ordinal));

        double Moved(string name, params (string Label, string Value)[] labels) => after.Value(name, labels) - before.Value(name, labels);
    }

    [Fact]
    public async Task Onboarding_ReachesTheCollector_AsOneConnectedTrace()
    {
        await using var collector = await FakeCollector.StartAsync();
        var g = await GoogleHub.StartAsync(collector.Settings(), Alice);
        await using var _ = g;
        await g.ConnectSenderAsync();
        var onboardingId = await g.InviteAsync(Alice, "Alice");
        await HubFlows.WaitForStepAsync(g.Hub, onboardingId, "InviteSent");
        var (status, html) = await g.SignInAsync(g.InviteCodeFromEmail(Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        JsonObject instance = [];
        await HubFlows.WaitUntilAsync(
            async () => (instance = (await admin.GetFromJsonAsync<JsonObject>($"/runtime/webhooks/durabletask/instances/{onboardingId}?showHistory=true"))!)["runtimeStatus"]!.GetValue<string>() == "Completed",
            () => $"the onboarding to complete: {instance}");
        Assert.Equal(2, g.Google.SentEmails.Count(m => m.To.Contains(Alice)));

        // The instance page shows the trace id; the collector has that trace.
        var traceId = instance["traceId"]?.GetValue<string>();
        Assert.Matches("^[0-9a-f]{32}$", traceId ?? string.Empty);
        await collector.FlushAsync(g.Hub, spans => spans.Any(s => s.TraceId == traceId && s.Name == "activity:SendReadyEmail"));
        var trace = collector.Spans.Where(s => s.TraceId == traceId).ToList();
        var shown = string.Join(Environment.NewLine, trace);

        // Its steps and activities, the creation under the admin's request, and the Gmail calls of its activities.
        var steps = trace.Where(s => s.Name == "orchestration:OnboardingOrchestration").ToList();
        Assert.True(steps.Count >= 3, shown);
        Assert.All(steps, s => Assert.Equal(onboardingId, s.Attribute("durabletask.task.instance_id")));
        var created = Assert.Single(trace, s => s.Name == "create_orchestration:OnboardingOrchestration");
        var request = Assert.Single(trace, s => s.Scope == "Microsoft.AspNetCore" && s.Attribute("http.route") == "/api/admin/onboardings");
        Assert.Equal(request.SpanId, created.ParentSpanId);
        Assert.All(steps, s => Assert.Equal(created.SpanId, s.ParentSpanId));
        var stepIds = steps.Select(s => s.SpanId).ToHashSet();
        foreach (var activity in new[] { "PlanOnboarding", "CreateInvite", "SendInviteEmail", "MintUserToken", "SendReadyEmail" })
        {
            Assert.Contains(trace, s => s.Name == $"activity:{activity}" && stepIds.Contains(s.ParentSpanId));
        }

        var mails = trace.Where(s => s.Name.StartsWith("activity:Send", StringComparison.Ordinal)).Select(s => s.SpanId).ToHashSet();
        var outgoing = trace.Where(s => s.Scope == "System.Net.Http" && mails.Contains(s.ParentSpanId)).ToList();
        Assert.Contains(outgoing, s => s.Attribute("url.full") is { } url && url.StartsWith(g.Google.Url, StringComparison.Ordinal) && url.Contains("/messages/send", StringComparison.Ordinal));

        // One tree: every span's parent is in the trace, except one root's.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.True(trace.Count(s => !ids.Contains(s.ParentSpanId)) == 1, shown);
    }

    [Fact]
    public async Task WithoutAnEndpoint_NothingIsTraced()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var hub = await HubServer.StartAsync();
        Assert.Null(hub.Services.GetService<TracerProvider>());
        var (agentId, _) = await HubFlows.OnboardWithDevSignInAsync(hub, Alice, "Alice");
        using var admin = hub.Http(hub.AdminToken);
        var onboardings = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!;
        var id = onboardings.Select(o => o!["onboardingId"]!.GetValue<string>()).Single();
        var instance = (await admin.GetFromJsonAsync<JsonObject>($"/runtime/webhooks/durabletask/instances/{id}?showHistory=true"))!;
        Assert.Equal("alice-company-com", agentId);
        Assert.False(instance.ContainsKey("traceId"), instance.ToJsonString());
        Assert.Equal(0, collector.TotalCalls);
    }

    /// <summary>GET /metrics as the admin, parsed.</summary>
    public static async Task<Scrape> ScrapeAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return new Scrape(text);
    }

    /// <summary>A scrape in the Prometheus text format: samples by name and labels.</summary>
    public sealed class Scrape
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

        public Scrape(string text)
        {
            Text = text;
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (line.StartsWith('#'))
                {
                    continue;
                }

                var open = line.IndexOf('{', StringComparison.Ordinal);
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var name = line[..(open >= 0 && open < space ? open : space)];
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                var rest = line[name.Length..];
                if (rest.StartsWith('{'))
                {
                    var close = rest.LastIndexOf('}');
                    foreach (var pair in SplitLabels(rest[1..close]))
                    {
                        var eq = pair.IndexOf('=', StringComparison.Ordinal);
                        labels[pair[..eq]] = pair[(eq + 2)..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                    }

                    rest = rest[(close + 1)..];
                }

                var value = rest.Trim().Split(' ')[0];
                _samples.Add((name, labels, value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    _ => double.Parse(value, CultureInfo.InvariantCulture),
                }));
            }
        }

        public string Text { get; }

        public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

        public bool Has(string name, params (string Label, string Value)[] labels) => Matching(name, labels).Any();

        /// <summary>The sum of the samples of <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when there is none.</summary>
        public double Value(string name, params (string Label, string Value)[] labels) => Matching(name, labels).Sum(s => s.Value);

        private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, (string Label, string Value)[] labels) =>
            _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));

        private static IEnumerable<string> SplitLabels(string labels)
        {
            var start = 0;
            var quoted = false;
            for (var i = 0; i < labels.Length; i++)
            {
                if (labels[i] == '"' && (i == 0 || labels[i - 1] != '\\'))
                {
                    quoted = !quoted;
                }
                else if (labels[i] == ',' && !quoted)
                {
                    yield return labels[start..i];
                    start = i + 1;
                }
            }

            if (start < labels.Length)
            {
                yield return labels[start..];
            }
        }
    }
}
