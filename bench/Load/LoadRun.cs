using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CompanyHub.Load;

/// <summary>
/// Creates the agents (admin invite, then the development sign-in, as a person would), opens each agent's dashboard
/// stream (<c>GET /api/agents/{id}/events</c>) and more idle streams up to <c>--streams</c>, then runs virtual people
/// for a bounded time, each owning a few agents: they chat (a turn against the fake LLM, watching the stream for the
/// reply), propose and approve, and time each change from the request to its event on the stream (change → screen);
/// the admin dashboard follows <c>/api/admin/events</c>. Prints requests/s, p50/p99 per kind, errors and the hub's
/// resident memory before the streams, with them open, and over time.
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

        // One dashboard stream per agent (its person's page), then idle ones (more tabs) up to --streams. Streams need a
        // connection each: their own client, without a connection limit.
        using var streamHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = hub.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var closeStreams = new CancellationTokenSource();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var before = hub.ResidentBytes();
        var dashboards = new List<Dashboard>();
        foreach (var agent in agents)
        {
            dashboards.Add(await Dashboard.OpenAsync(streamHttp, agent, stats, closeStreams.Token));
        }

        for (var i = dashboards.Count; i < options.Streams; i++)
        {
            dashboards.Add(await Dashboard.OpenAsync(streamHttp, agents[i % agents.Count], stats, closeStreams.Token));
        }

        await Task.Delay(TimeSpan.FromSeconds(5));
        var open = dashboards.Count(d => d.IsOpen);
        Console.WriteLine($"# hub RSS before the streams {Mb(before)}; with {open} open streams {Mb(hub.ResidentBytes())} (5 s after the last opened)");

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
            .Select(u => new Person(http, hub, dashboards.Take(agents.Count).Where((_, i) => i % options.Users == u).ToList(), stats, u))
            .Where(p => p.Agents.Count > 0)
            .ToList();
        var admin = new AdminDashboard(http, streamHttp, hub.AdminToken, stats);
        await Task.WhenAll([.. people.Select(p => p.RunAsync(stop.Token)), admin.RunAsync(stop.Token)]);
        var elapsed = run.Elapsed;
        await sampler;
        var stillOpen = dashboards.Count(d => d.IsOpen);
        await closeStreams.CancelAsync();
        await Task.WhenAll(dashboards.Select(d => d.Reading));
        Console.WriteLine($"# streams open at the end of the run: {stillOpen} of {dashboards.Count}; events received: {dashboards.Sum(d => d.Events)} (heartbeats {dashboards.Sum(d => d.Heartbeats)})");

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
        public Queue<string> Pending { get; } = new();
    }

    /// <summary>One person: their dashboards follow their agents' streams; now and then they chat, propose or approve.</summary>
    private sealed class Person(HttpClient http, HubUnderLoad hub, List<Dashboard> agents, Stats stats, int seed)
    {
        private readonly Random _random = new(seed);
        private int _proposals;

        public List<Dashboard> Agents { get; } = agents;

        public List<(string ProposalId, string Token)> Approved { get; } = [];

        public async Task RunAsync(CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    // The same mix as when the pages polled, without the polls: the person reads what the stream shows.
                    var dashboard = Agents[_random.Next(Agents.Count)];
                    var roll = _random.NextDouble();
                    if (roll < 0.65)
                    {
                        // Reading the page: nothing to ask the hub.
                    }
                    else if (roll < 0.80)
                    {
                        await ChatAsync(dashboard);
                    }
                    else if (roll < 0.92)
                    {
                        await ProposeAsync(dashboard);
                    }
                    else if (dashboard.Agent.Pending.Count > 0)
                    {
                        await ApproveAsync(dashboard);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(100 + _random.Next(200)), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }
        }

        private async Task ChatAsync(Dashboard dashboard)
        {
            var agent = dashboard.Agent;
            var text = $"What is on my plate today? ({_random.Next()})";
            var shown = dashboard.Expect("message", d => d["role"]?.GetValue<string>() == "user" && d["text"]?.GetValue<string>() == text);
            var clock = Stopwatch.StartNew();
            var sent = await stats.SendAsync(http, "chat: send", () => Request(HttpMethod.Post, $"/api/agents/{agent.Id}/messages", agent.Token, new { text }));
            if (sent?["turnId"]?.GetValue<string>() is not { } turnId)
            {
                dashboard.Forget(shown);
                return;
            }

            // The person watches the chat until the agent answers (the stream brings the reply).
            var answered = dashboard.Expect("message", d => d["role"]?.GetValue<string>() == "assistant" && d["turnId"]?.GetValue<string>() == turnId);
            await stats.ScreenAsync("screen: chat message shown", shown, clock, TurnWait);
            await stats.ScreenAsync("chat: turn answered (end to end)", answered, clock, TurnWait);
        }

        private async Task ProposeAsync(Dashboard dashboard)
        {
            var agent = dashboard.Agent;
            var proposal = hub.Proposal(Interlocked.Increment(ref _proposals) + (seed * 100_000));
            var shown = dashboard.ExpectNewProposal();
            var clock = Stopwatch.StartNew();
            var created = await stats.SendAsync(http, "proposal: create", () => Request(HttpMethod.Post, $"/api/agents/{agent.Id}/proposals", agent.Token, proposal));
            if (created?["proposalId"]?.GetValue<string>() is { } id)
            {
                agent.Pending.Enqueue(id);
                await stats.ScreenAsync("screen: proposal created shown", shown, clock, TurnWait);
            }
            else
            {
                dashboard.Forget(shown);
            }
        }

        private async Task ApproveAsync(Dashboard dashboard)
        {
            // The person approves the card they were shown: a proposal composed through the API starts at revision 1 and nobody edits it here.
            var agent = dashboard.Agent;
            var id = agent.Pending.Dequeue();
            var shown = dashboard.Expect("proposal", d => d["proposalId"]?.GetValue<string>() == id && d["status"]?.GetValue<string>() != "pending");
            var clock = Stopwatch.StartNew();
            var decided = await stats.SendAsync(http, "proposal: approve", () => Request(HttpMethod.Post, $"/api/proposals/{id}/decision", agent.Token, new { decision = "approve", revision = 1 }));
            if (decided is not null)
            {
                Approved.Add((id, agent.Token));
                await stats.ScreenAsync("screen: decision shown", shown, clock, TurnWait);
            }
            else
            {
                dashboard.Forget(shown);
            }
        }
    }

    /// <summary>The admin's dashboard, open the whole time: the hub's event stream, re-reading the agents (at most once a second) when one changes, and the health page every 10 s.</summary>
    private sealed class AdminDashboard(HttpClient http, HttpClient streams, string token, Stats stats)
    {
        public async Task RunAsync(CancellationToken stop)
        {
            var changed = 0;
            using var request = Request(HttpMethod.Get, "/api/admin/events", token);
            using var response = await streams.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            stats.Record("admin: events stream opened", TimeSpan.Zero, response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
            var reading = Task.Run(async () =>
            {
                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync(stop);
                    await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(body).EnumerateAsync(stop))
                    {
                        if (item.EventType == "agent")
                        {
                            Interlocked.Exchange(ref changed, 1);
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
                {
                    // The run is over.
                }
            });
            try
            {
                var lastHealth = Stopwatch.StartNew();
                await stats.SendAsync(http, "admin: health", () => Request(HttpMethod.Get, "/api/admin/health", token));
                while (!stop.IsCancellationRequested)
                {
                    if (Interlocked.Exchange(ref changed, 0) == 1)
                    {
                        await stats.SendAsync(http, "admin: agents (on an event)", () => Request(HttpMethod.Get, "/api/agents", token));
                    }

                    if (lastHealth.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        lastHealth.Restart();
                        await stats.SendAsync(http, "admin: health", () => Request(HttpMethod.Get, "/api/admin/health", token));
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }

            await reading;
        }
    }

    /// <summary>
    /// One open dashboard: the agent's event stream, read in the background. A change the person makes is timed until
    /// the event that shows it arrives (<see cref="Expect"/>).
    /// </summary>
    internal sealed class Dashboard
    {
        private readonly Lock _gate = new();
        private readonly List<Expectation> _expected = [];
        private readonly HashSet<string> _proposals = new(StringComparer.Ordinal);
        private int _events;
        private int _heartbeats;

        private Dashboard(Agent agent)
        {
            Agent = agent;
        }

        public Agent Agent { get; }

        public bool IsOpen { get; private set; }

        public int Events => _events;

        public int Heartbeats => _heartbeats;

        public Task Reading { get; private set; } = Task.CompletedTask;

        public static async Task<Dashboard> OpenAsync(HttpClient http, Agent agent, Stats stats, CancellationToken close)
        {
            var dashboard = new Dashboard(agent);
            var request = Request(HttpMethod.Get, $"/api/agents/{agent.Id}/events", agent.Token);
            var clock = Stopwatch.StartNew();
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, close);
            stats.Record("stream: open", clock.Elapsed, response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
            dashboard.IsOpen = response.IsSuccessStatusCode;
            dashboard.Reading = Task.Run(() => dashboard.ReadAsync(request, response, close));
            return dashboard;
        }

        /// <summary>Starts waiting for an event of <paramref name="type"/> that matches; its task completes when it arrives.</summary>
        public Expectation Expect(string type, Func<JsonObject, bool> match)
        {
            var expectation = new Expectation(type, match);
            lock (_gate)
            {
                _expected.Add(expectation);
            }

            return expectation;
        }

        /// <summary>Waits for a proposal this dashboard has not shown yet (the person's own new one: nobody else proposes for this agent).</summary>
        public Expectation ExpectNewProposal() => Expect("proposal", d => !_proposals.Contains(d["proposalId"]!.GetValue<string>()));

        public void Forget(Expectation expectation)
        {
            lock (_gate)
            {
                _expected.Remove(expectation);
            }
        }

        private async Task ReadAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken close)
        {
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(close);
                await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(body).EnumerateAsync(close))
                {
                    Interlocked.Increment(ref _events);
                    if (item.EventType == "heartbeat")
                    {
                        Interlocked.Increment(ref _heartbeats);
                        continue;
                    }

                    if (item.Data.Length == 0 || JsonNode.Parse(item.Data) is not JsonObject data)
                    {
                        continue;
                    }

                    lock (_gate)
                    {
                        foreach (var expectation in _expected.Where(e => e.Type == item.EventType && e.Match(data)).ToList())
                        {
                            _expected.Remove(expectation);
                            expectation.Arrived.TrySetResult();
                        }

                        if (item.EventType == "proposal")
                        {
                            _proposals.Add(data["proposalId"]!.GetValue<string>());
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                // Closed at the end of the run (or dropped: IsOpen says so).
            }
            finally
            {
                IsOpen = false;
                response.Dispose();
                request.Dispose();
            }
        }
    }

    /// <summary>An event a dashboard waits for.</summary>
    internal sealed record Expectation(string Type, Func<JsonObject, bool> Match)
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>Records how long after <paramref name="clock"/> started the expected event arrived (an error when it did not within <paramref name="wait"/>).</summary>
    internal async Task ScreenAsync(string kind, LoadRun.Expectation expected, Stopwatch clock, TimeSpan wait)
    {
        try
        {
            await expected.Arrived.Task.WaitAsync(wait);
            Record(kind, clock.Elapsed, ok: true);
        }
        catch (TimeoutException)
        {
            Record(kind, clock.Elapsed, ok: false, $"no '{expected.Type}' event within {wait.TotalSeconds:0} s");
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
        var requests = _kinds.Where(k => !k.Key.StartsWith("setup", StringComparison.Ordinal) && !k.Key.StartsWith("screen", StringComparison.Ordinal) && !k.Key.Contains("end to end", StringComparison.Ordinal)).Sum(k => k.Value.Latencies.Count);
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
