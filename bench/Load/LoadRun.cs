using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CompanyHub.Load;

/// <summary>
/// Creates the agents (admin invite, then the development sign-in, as a person would), then runs virtual people for a
/// bounded time, each owning a few agents: their dashboards poll (agent, messages, proposals), they chat (a turn against
/// the fake LLM, waiting for the reply), propose and approve; an admin dashboard polls too. Prints requests/s, p50/p99
/// per kind, errors and the hub's resident memory over time.
/// </summary>
public static partial class LoadRun
{
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(LoadOptions options)
    {
        Console.WriteLine($"# load: {options.Agents} agents, {options.Users} people at once, {options.Duration.TotalSeconds:0} s, fake LLM answers after {options.LlmDelay.TotalMilliseconds:0} ms");
        Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
        await using var hub = await HubUnderLoad.StartAsync(options);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = 256 }) { BaseAddress = hub.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var stats = new Stats();

        var clock = Stopwatch.StartNew();
        var agents = await CreateAgentsAsync(http, hub, options.Agents, stats);
        Console.WriteLine($"# created {agents.Count} agents in {clock.Elapsed.TotalSeconds:0.0} s; hub RSS {Mb(hub.ResidentBytes())}");

        var memory = new List<(double Seconds, long Bytes)>();
        using var stop = new CancellationTokenSource(options.Duration);
        var run = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (hub.ResidentBytes() is { } rss)
                {
                    lock (memory)
                    {
                        memory.Add((run.Elapsed.TotalSeconds, rss));
                    }
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var people = Enumerable.Range(0, options.Users)
            .Select(u => new Person(http, hub, agents.Where((_, i) => i % options.Users == u).ToList(), stats, u))
            .Where(p => p.Agents.Count > 0)
            .ToList();
        var admin = new AdminDashboard(http, hub.AdminToken, stats);
        await Task.WhenAll([.. people.Select(p => p.RunAsync(stop.Token)), admin.RunAsync(stop.Token)]);
        var elapsed = run.Elapsed;
        await sampler;

        // What was approved during the run finishes against the fakes: count how it ended.
        var outcomes = await OutcomesAsync(http, people.SelectMany(p => p.Approved).ToList());
        stats.Print(elapsed);
        Console.WriteLine();
        Console.WriteLine($"approved proposals: {outcomes.Sum(o => o.Value)} ({string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))})");
        PrintMemory(memory, hub.ResidentBytes());
        return stats.Errors == 0 && outcomes.Keys.All(k => k == "succeeded") ? 0 : 1;
    }

    private static async Task<List<Agent>> CreateAgentsAsync(HttpClient http, HubUnderLoad hub, int count, Stats stats)
    {
        var agents = new ConcurrentBag<Agent>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var email = $"person{i:D3}@company.com";
            using var invite = Request(HttpMethod.Post, "/api/admin/onboardings", hub.AdminToken, new { email, name = $"Person {i:D3}" });
            var invited = await stats.TimeAsync("setup: invite", () => http.SendAsync(invite, ct));
            var onboardingId = (await invited.Content.ReadFromJsonAsync<JsonObject>(ct))!["onboardingId"]!.GetValue<string>();
            using var get = Request(HttpMethod.Get, $"/api/admin/onboardings/{onboardingId}/invite", hub.AdminToken);
            var link = (await (await http.SendAsync(get, ct)).Content.ReadFromJsonAsync<JsonObject>(ct))!["inviteUrl"]!.GetValue<string>();
            var code = link[(link.LastIndexOf('/') + 1)..];
            var page = await stats.TimeAsync("setup: sign-in", () => http.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", email)]), ct));
            var token = TokenInLink().Match(await page.Content.ReadAsStringAsync(ct)).Groups[1].Value;
            using var me = Request(HttpMethod.Get, "/api/me", token);
            var agentId = (await (await http.SendAsync(me, ct)).Content.ReadFromJsonAsync<JsonObject>(ct))!["agentId"]!.GetValue<string>();
            agents.Add(new Agent(agentId, token));
        });
        return [.. agents.OrderBy(a => a.Id, StringComparer.Ordinal)];
    }

    private static async Task<SortedDictionary<string, int>> OutcomesAsync(HttpClient http, List<(string ProposalId, string Token)> approved)
    {
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var (id, token) in approved)
        {
            string status;
            do
            {
                using var get = Request(HttpMethod.Get, $"/api/proposals/{id}", token);
                status = (await (await http.SendAsync(get)).Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>();
                if (status is "approved" or "executing" or "pending")
                {
                    await Task.Delay(200);
                }
            }
            while (status is "approved" or "executing" or "pending" && DateTime.UtcNow < deadline);

            outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
        }

        return outcomes;
    }

    private static void PrintMemory(List<(double Seconds, long Bytes)> memory, long? end)
    {
        if (memory.Count == 0)
        {
            Console.WriteLine("hub RSS: not known (give --pid for a hub started elsewhere)");
            return;
        }

        var peak = memory.MaxBy(m => m.Bytes);
        var last = end ?? memory[^1].Bytes;
        Console.WriteLine($"hub RSS: start {Mb(memory[0].Bytes)}, peak {Mb(peak.Bytes)} at {peak.Seconds:0} s, end {Mb(last)} ({memory.Count} samples)");
        var step = Math.Max(1, memory.Count / 12);
        Console.WriteLine("hub RSS over time: " + string.Join(", ", memory.Where((_, i) => i % step == 0).Select(m => $"{m.Seconds:0}s {Mb(m.Bytes)}")));
    }

    private static string Mb(long? bytes) => bytes is { } b ? $"{b / 1048576.0:0.0} MB" : "n/a";

    internal static HttpRequestMessage Request(HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    [GeneratedRegex("token=([A-Za-z0-9_-]{32})")]
    private static partial Regex TokenInLink();

    internal sealed record Agent(string Id, string Token)
    {
        public long LastSeq { get; set; }

        public Queue<string> Pending { get; } = new();
    }

    /// <summary>One person: their dashboard polls; now and then they chat, propose or approve.</summary>
    private sealed class Person(HttpClient http, HubUnderLoad hub, List<Agent> agents, Stats stats, int seed)
    {
        private readonly Random _random = new(seed);
        private int _proposals;

        public List<Agent> Agents { get; } = agents;

        public List<(string ProposalId, string Token)> Approved { get; } = [];

        public async Task RunAsync(CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var agent = Agents[_random.Next(Agents.Count)];
                    var roll = _random.NextDouble();
                    if (roll < 0.65)
                    {
                        await PollAsync(agent);
                    }
                    else if (roll < 0.80)
                    {
                        await ChatAsync(agent, stop);
                    }
                    else if (roll < 0.92)
                    {
                        await ProposeAsync(agent);
                    }
                    else if (agent.Pending.Count > 0)
                    {
                        await ApproveAsync(agent);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(100 + _random.Next(200)), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }
        }

        private async Task PollAsync(Agent agent)
        {
            await stats.SendAsync(http, "poll: agent", () => Request(HttpMethod.Get, $"/api/agents/{agent.Id}", agent.Token));
            await ReadMessagesAsync(agent);
            await stats.SendAsync(http, "poll: proposals", () => Request(HttpMethod.Get, $"/api/agents/{agent.Id}/proposals", agent.Token));
        }

        private async Task<JsonArray> ReadMessagesAsync(Agent agent)
        {
            var answer = await stats.SendAsync(http, "poll: messages", () => Request(HttpMethod.Get, $"/api/agents/{agent.Id}/messages?after={agent.LastSeq}", agent.Token));
            var messages = answer?["messages"]?.AsArray() ?? [];
            if (messages.Count > 0)
            {
                agent.LastSeq = messages[^1]!["seq"]!.GetValue<long>();
            }

            return messages;
        }

        private async Task ChatAsync(Agent agent, CancellationToken stop)
        {
            var clock = Stopwatch.StartNew();
            var sent = await stats.SendAsync(http, "chat: send", () => Request(HttpMethod.Post, $"/api/agents/{agent.Id}/messages", agent.Token, new { text = $"What is on my plate today? ({_random.Next()})" }));
            if (sent?["turnId"]?.GetValue<string>() is not { } turnId)
            {
                return;
            }

            // The person watches the chat until the agent answers (the dashboard polls the messages).
            while (clock.Elapsed < TurnWait)
            {
                var messages = await ReadMessagesAsync(agent);
                if (messages.Any(m => m!["role"]!.GetValue<string>() == "assistant" && m["turnId"]?.GetValue<string>() == turnId))
                {
                    stats.Record("chat: turn answered (end to end)", clock.Elapsed, ok: true);
                    return;
                }

                await Task.Delay(250, CancellationToken.None);
            }

            stats.Record("chat: turn answered (end to end)", clock.Elapsed, ok: false, $"no answer to {turnId} within {TurnWait.TotalSeconds:0} s");
        }

        private async Task ProposeAsync(Agent agent)
        {
            var proposal = hub.Proposal(Interlocked.Increment(ref _proposals) + (seed * 100_000));
            var created = await stats.SendAsync(http, "proposal: create", () => Request(HttpMethod.Post, $"/api/agents/{agent.Id}/proposals", agent.Token, proposal));
            if (created?["proposalId"]?.GetValue<string>() is { } id)
            {
                agent.Pending.Enqueue(id);
            }
        }

        private async Task ApproveAsync(Agent agent)
        {
            // The person approves the card they were shown: a proposal composed through the API starts at revision 1 and nobody edits it here.
            var id = agent.Pending.Dequeue();
            var decided = await stats.SendAsync(http, "proposal: approve", () => Request(HttpMethod.Post, $"/api/proposals/{id}/decision", agent.Token, new { decision = "approve", revision = 1 }));
            if (decided is not null)
            {
                Approved.Add((id, agent.Token));
            }
        }
    }

    /// <summary>The admin's dashboard, open the whole time: agents, health, the audit log.</summary>
    private sealed class AdminDashboard(HttpClient http, string token, Stats stats)
    {
        public async Task RunAsync(CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await stats.SendAsync(http, "admin: agents", () => Request(HttpMethod.Get, "/api/agents", token));
                    await stats.SendAsync(http, "admin: health", () => Request(HttpMethod.Get, "/api/admin/health", token));
                    await stats.SendAsync(http, "admin: audit", () => Request(HttpMethod.Get, "/api/admin/audit?top=50", token));
                    await Task.Delay(TimeSpan.FromSeconds(2), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }
        }
    }
}

/// <summary>Latencies and errors per kind of request.</summary>
public sealed class Stats
{
    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    public int Errors => _kinds.Where(k => !k.Key.StartsWith("setup", StringComparison.Ordinal)).Sum(k => k.Value.Errors);

    /// <summary>Sends a request, records its latency and outcome, and returns its JSON answer (null on failure).</summary>
    public async Task<JsonObject?> SendAsync(HttpClient http, string kind, Func<HttpRequestMessage> create)
    {
        using var request = create();
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Record(kind, clock.Elapsed, response.IsSuccessStatusCode, response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            return response.IsSuccessStatusCode && text.StartsWith('{') ? JsonNode.Parse(text) as JsonObject : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Record(kind, clock.Elapsed, ok: false, ex.Message);
            return null;
        }
    }

    public async Task<HttpResponseMessage> TimeAsync(string kind, Func<Task<HttpResponseMessage>> send)
    {
        var clock = Stopwatch.StartNew();
        var response = await send();
        Record(kind, clock.Elapsed, response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Accepted);
        return response;
    }

    public void Record(string kind, TimeSpan latency, bool ok, string? error = null)
    {
        var k = _kinds.GetOrAdd(kind, _ => new Kind());
        lock (k)
        {
            k.Latencies.Add(latency.TotalMilliseconds);
            if (!ok)
            {
                k.Errors++;
                k.FirstError ??= error;
            }
        }
    }

    public void Print(TimeSpan elapsed)
    {
        var requests = _kinds.Where(k => !k.Key.StartsWith("setup", StringComparison.Ordinal) && !k.Key.Contains("end to end", StringComparison.Ordinal)).Sum(k => k.Value.Latencies.Count);
        Console.WriteLine();
        Console.WriteLine($"requests: {requests} in {elapsed.TotalSeconds:0.0} s = {requests / elapsed.TotalSeconds:0.0} requests/s; errors: {Errors}");
        Console.WriteLine();
        Console.WriteLine("| kind | count | per s | p50 ms | p99 ms | max ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, k) in _kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            var sorted = k.Latencies.Order().ToArray();
            var perSecond = name.StartsWith("setup", StringComparison.Ordinal) ? "" : $"{sorted.Length / elapsed.TotalSeconds:0.0}";
            Console.WriteLine($"| {name} | {sorted.Length} | {perSecond} | {Percentile(sorted, 0.50):0.0} | {Percentile(sorted, 0.99):0.0} | {sorted.LastOrDefault():0.0} | {k.Errors} |");
        }

        foreach (var (name, k) in _kinds.Where(k => k.Value.FirstError is not null))
        {
            Console.WriteLine($"first error of {name}: {k.FirstError}");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed class Kind
    {
        public List<double> Latencies { get; } = [];

        public int Errors { get; set; }

        public string? FirstError { get; set; }
    }
}
