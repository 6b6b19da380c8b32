using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Xunit.Abstractions;

namespace CompanyHub.Tests;

/// <summary>
/// Sends generated bad input to every HTTP route of a running hub — the routes are read from the hub's own endpoint
/// data sources (HTTP functions, pages, the management API, health) and its web root (static files), so a new route is
/// covered without touching this test — and checks that nothing breaks: never a 5xx, every refusal a problem+json (an
/// HTML page for the pages people open in a browser) with a useful message and no stack trace or secret, and the
/// store exactly as it was. Runs in the auth-limits collection because it lifts the failed-authentication limit.
/// </summary>
[Collection(AuthLimitsCollection.Name)]
public sealed partial class BadInputTests(ITestOutputHelper output)
{
    /// <summary>Route values that must never reach anything: traversal, SQL, odd Unicode, overlong. Already URL-encoded.</summary>
    private static readonly (string Name, string Encoded)[] BadIds =
    [
        ("path traversal", Uri.EscapeDataString("../../../etc/passwd")),
        ("encoded traversal", "..%252f..%252fetc%252fpasswd"),
        ("backslash traversal", Uri.EscapeDataString(@"..\..\windows\win.ini")),
        ("SQL quote", Uri.EscapeDataString("x' OR '1'='1")),
        ("SQL statement", Uri.EscapeDataString("x\"; DROP TABLE Instances; --")),
        ("NUL", "a%00b"),
        ("lone surrogate", "a%ED%A0%80b"),
        ("invalid UTF-8", "a%FF%FEb"),
        ("RTL override", Uri.EscapeDataString("alice\u202Emoc-ynapmoc")),
        ("zero-width and combining", Uri.EscapeDataString("a\u200B\u0301\uFEFFb")),
        ("very long", new string('a', 4000)),
        ("empty-looking", "%20"),
    ];

    /// <summary>Query values, URL-encoded, for every query name a route might read.</summary>
    private static readonly (string Name, string Encoded)[] BadQueryValues =
    [
        ("negative", "-1"),
        ("huge number", "99999999999999999999999"),
        ("not a number", "abc"),
        ("SQL", Uri.EscapeDataString("1; DROP TABLE Audit; --")),
        ("NUL", "%00"),
        ("lone surrogate", "%ED%A0%80"),
        ("RTL override", Uri.EscapeDataString("\u202Etxt.exe")),
        ("path traversal", Uri.EscapeDataString("../../etc/passwd")),
        ("long", new string('9', 250)),
        ("repeated", "1&top=2&top=x"),
    ];

    private static readonly string[] QueryNames =
    [
        "after", "top", "status", "from", "to", "agentId", "action", "invite", "state", "error", "nonce", "showHistory",
        "showHistoryOutput", "showInput", "createdTimeFrom", "createdTimeTo", "runtimeStatus", "op", "reason", "taskHub",
        "continuationToken", "instanceIdPrefix", "returnInternalServerErrorOnFailure", "fetchState", "timeout", "pollingInterval", "q",
    ];

    /// <summary>Odd strings as JSON string literals (a lone surrogate cannot be written by a validating JSON writer).</summary>
    private static readonly (string Name, string Literal)[] OddStrings =
    [
        ("NUL", "\"a\\u0000b\""),
        ("lone surrogate", "\"a\\uD800b\""),
        ("RTL override and NUL", "\"\u202Egnp.exe\\u0000\""),
        ("300,000 characters", "\"" + new string('x', 300_000) + "\""),
    ];

    [Fact]
    public async Task EveryRoute_BadInput_IsRefusedCleanly_AndChangesNothing()
    {
        // Every request comes from 127.0.0.1: with the limits on, the cases after the 20th bad token would all be 429.
        var (failures, requests) = (TokenAuthenticator.MaxFailures, OnboardingRequestLimiter.PermitLimit);
        (TokenAuthenticator.MaxFailures, OnboardingRequestLimiter.PermitLimit) = (1_000_000, 1_000_000);
        try
        {
            // Alice's cases of chat, proposals and decisions would otherwise soon meet her limits and be refused before
            // their input is looked at.
            await using var tools = await ToolHub.StartAsync(settings: ToolHub.PersonLimitsLifted);
            await RunAsync(tools);
        }
        finally
        {
            (TokenAuthenticator.MaxFailures, OnboardingRequestLimiter.PermitLimit) = (failures, requests);
        }
    }

    private async Task RunAsync(ToolHub tools)
    {
        var world = await World.CreateAsync(tools);
        var routes = Routes(tools.Hub);
        var cases = routes.SelectMany(r => CasesFor(r, world)).ToList();
        var perRoute = cases.GroupBy(c => c.Route.Key).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(routes, r => Assert.True(perRoute.GetValueOrDefault(r.Key) > 0, $"{r.Key} got no bad-input cases."));

        var before = await StoreDump.SettledAsync(tools.Hub, IgnoreAuditOfRefusals);
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = 8 })
        {
            BaseAddress = new Uri(tools.Hub.BaseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            var outcome = await SendAsync(http, c, world);
            lock (statuses)
            {
                if (outcome.Status is { } s)
                {
                    statuses[s] = statuses.GetValueOrDefault(s) + 1;
                }

                if (outcome.Failure is { } f)
                {
                    failures.Add($"{c.Route.Key} [{c.Name}]: {f}");
                }
            }
        });
        var elapsed = clock.Elapsed;
        var after = await StoreDump.SettledAsync(tools.Hub, IgnoreAuditOfRefusals);

        output.WriteLine($"bad inputs tried: {cases.Count} on {routes.Count} routes in {elapsed.TotalSeconds:0.0} s; answers: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        foreach (var r in routes)
        {
            output.WriteLine($"  {r.Key}: {perRoute[r.Key]}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} bad inputs were not refused cleanly:\n" + string.Join('\n', failures.Order(StringComparer.Ordinal).Take(400)));
        // Opening /oauth/google/connect-sender as the admin starts a sign-in attempt for the invite-sending account (it
        // answers 302 to Google whatever the query says, and the attempt expires unused): that is the route working.
        var changed = StoreDump.Difference(before, after).Where(l => !(l.Contains("@oauthstate@", StringComparison.Ordinal) && l.Contains("\"inviteHash\":\"sender\"", StringComparison.Ordinal))).ToList();
        Assert.True(changed.Count == 0, "Bad input changed the store:\n" + string.Join('\n', changed.Take(40)));
        Assert.DoesNotContain(statuses.Keys, s => s >= 500);
    }

    /// <summary>
    /// Refused attempts are written to the audit log on purpose (failed sign-ins, refused management calls): they are
    /// the record of the abuse, not a change the input made.
    /// </summary>
    private static bool IgnoreAuditOfRefusals(string table, string row) =>
        table == "Audit" && (row.Contains("| auth.login-failed |", StringComparison.Ordinal) || Regex.IsMatch(row, @"\| refused \d{3}$"));

    /// <summary>Every route of the hub: its endpoints (functions, pages, management API, health) and its static files.</summary>
    private static List<Route> Routes(HubServer hub)
    {
        var routes = new List<Route>();
        var sources = hub.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];
            foreach (var method in methods)
            {
                routes.Add(new Route(method, pattern, endpoint.DisplayName ?? pattern, IsStatic: false));
            }
        }

        var webRoot = hub.Services.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider;
        foreach (var file in Files(webRoot, ""))
        {
            routes.Add(new Route("GET", file, "static " + file, IsStatic: true));
        }

        Assert.Contains(routes, r => r.IsStatic);
        Assert.Contains(routes, r => r.Pattern.StartsWith("/runtime/webhooks/durabletask/", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Pattern.StartsWith("/invite/", StringComparison.Ordinal));
        return routes;
    }

    private static IEnumerable<string> Files(IFileProvider provider, string folder)
    {
        foreach (var item in provider.GetDirectoryContents(folder))
        {
            var path = folder + "/" + item.Name;
            if (item.IsDirectory)
            {
                foreach (var inner in Files(provider, path))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>The generated cases of one route.</summary>
    private static IEnumerable<Case> CasesFor(Route route, World world)
    {
        if (route.IsStatic)
        {
            foreach (var c in StaticCases(route))
            {
                yield return c;
            }

            yield break;
        }

        var changes = route.Method is not ("GET" or "HEAD");
        var body = BodySpec.For(route);
        var valid = world.Valid();

        // Credentials: none, garbled, unknown, revoked-looking, another agent's, a user's on an admin route, a cookie without same origin.
        if (!IsAnonymous(route))
        {
            yield return new Case(route, "no token", Fill(route, valid), Auth.None, body.Valid);
            yield return new Case(route, "garbled token", Fill(route, valid), Auth.Bearer("not a token; DROP TABLE Audit; --"), body.Valid);
            yield return new Case(route, "unknown well-formed token", Fill(route, valid), Auth.Bearer(new string('A', 32)), body.Valid);
            yield return new Case(route, "token in a wrong scheme", Fill(route, valid), Auth.Header("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + world.AdminToken))), body.Valid);
            yield return new Case(route, "another agent's token", Fill(route, valid), Auth.Bearer(world.BobToken), body.Valid);
            if (changes)
            {
                yield return new Case(route, "admin cookie from another site", Fill(route, valid), Auth.CrossSiteCookie(world.AdminToken), body.Valid);
            }
        }

        // Route values: each parameter bad in turn, the others valid.
        foreach (var parameter in Parameters(route.Pattern))
        {
            foreach (var (name, encoded) in BadIds)
            {
                var values = new Dictionary<string, string>(valid) { [parameter] = encoded };
                yield return new Case(route, $"{{{parameter}}} = {name}", Fill(route, values), world.Credentials(route), body.Valid);
            }
        }

        // Query strings: every known query name set to each bad value. A state-changing request gets ids that exist
        // nowhere, so that only the query is under test and nothing can be changed by an otherwise valid request.
        // A route without ids gets an empty JSON object instead of its valid body.
        var queryIds = changes ? Parameters(route.Pattern).ToDictionary(p => p, _ => "nonexistent-0000") : valid;
        var queryBody = changes && queryIds.Count == 0 ? body.Empty : body.Valid;
        foreach (var (name, encoded) in BadQueryValues)
        {
            var query = string.Join('&', QueryNames.Select(q => $"{q}={encoded}"));
            yield return new Case(route, $"query {name}", Fill(route, queryIds) + "?" + query, world.Credentials(route), queryBody);
        }

        yield return new Case(route, "query token link with a bad token", Fill(route, valid) + "?token=" + Uri.EscapeDataString("x' OR 1=1 --"), Auth.None, queryBody);
        // No body: the server refuses at the request line and closes; bytes of a body still arriving then reset the
        // connection before the client reads the 414 (the refusal does not depend on the body).
        yield return new Case(route, "query over the server's request-line limit", Fill(route, valid) + "?top=" + new string('9', 20_000), world.Credentials(route), null);
        yield return new Case(route, "query functions key with a bad key", Fill(route, valid) + "?code=%00" + new string('k', 100), Auth.None, queryBody);

        // A method the route does not take.
        yield return new Case(route, "wrong method", Fill(route, valid), world.Credentials(route), null, MethodOverride: route.Method == "PATCH" ? "PUT" : "PATCH");

        if (!changes)
        {
            yield break;
        }

        // Bodies: malformed, wrong kinds, wrong types, missing and extra fields, odd strings, huge, wrong content types.
        var path = Fill(route, valid);
        var credentials = world.Credentials(route);
        foreach (var (name, content) in body.BadBodies())
        {
            yield return new Case(route, "body " + name, path, credentials, content);
        }
    }

    private static IEnumerable<Case> StaticCases(Route route)
    {
        var file = route.Pattern;
        var folder = file[..(file.LastIndexOf('/') + 1)];
        yield return new Case(route, "encoded traversal", folder + "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", Auth.None, null);
        yield return new Case(route, "double-encoded traversal", folder + "%252e%252e%252fetc%252fpasswd", Auth.None, null);
        yield return new Case(route, "backslash traversal", folder + "..%5c..%5c..%5cetc%5cpasswd", Auth.None, null);
        yield return new Case(route, "NUL in the name", file + "%00.html", Auth.None, null);
        yield return new Case(route, "lone surrogate in the name", file + "%ED%A0%80", Auth.None, null);
        yield return new Case(route, "bad query", file + "?token=%00&v=" + new string('9', 3000), Auth.None, null);
        yield return new Case(route, "wrong method", file, Auth.None, () => new StringContent("{}", Encoding.UTF8, "application/json"), MethodOverride: "POST");
    }

    private static bool IsAnonymous(Route route) =>
        route.Pattern is "/healthz" or "/readyz" or "/api/onboarding/requests" or "/api/channels/telegram/webhook" || route.Pattern.StartsWith("/invite/", StringComparison.Ordinal)
        || route.Pattern is "/oauth/google/start" or "/oauth/google/callback";

    private static bool IsPage(Route route) =>
        route.Pattern.StartsWith("/invite/", StringComparison.Ordinal) || route.Pattern.StartsWith("/oauth/", StringComparison.Ordinal);

    private static IEnumerable<string> Parameters(string pattern) =>
        ParameterPattern().Matches(pattern).Select(m => m.Groups[1].Value);

    private static string Fill(Route route, IReadOnlyDictionary<string, string> values) =>
        ParameterPattern().Replace(route.Pattern, m => values.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new InvalidOperationException($"{route.Key}: no value for route parameter '{m.Groups[1].Value}'; add one to {nameof(World)}.{nameof(World.Valid)}."));

    private static async Task<string> FirstEventAsync(HttpResponseMessage response)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(body).EnumerateAsync())
        {
            return $"event: {item.EventType}\nid: {item.EventId}\ndata: {item.Data}";
        }

        return "";
    }

    private async Task<(int? Status, string? Failure)> SendAsync(HttpClient http, Case c, World world)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.MethodOverride ?? c.Route.Method), c.Path) { Content = c.Body?.Invoke() };
        c.Auth.Apply(request);

        // The server may refuse before reading the body (too large, rate-limited): let it say so before the upload.
        request.Headers.ExpectContinue = request.Content is not null;
        HttpResponseMessage response;
        try
        {
            // A request without a body may open an event stream, whose body never ends: read its headers first. One with a
            // body is read whole, as the server may refuse it early and close the connection.
            response = await http.SendAsync(request, request.Content is null ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        }
        catch (HttpRequestException ex)
        {
            return (null, $"the connection failed: {ex.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var media = response.Content.Headers.ContentType?.MediaType;

            // An event stream that opened never ends: its first event is what it answered.
            string text;
            try
            {
                text = response.IsSuccessStatusCode && media == "text/event-stream" ? await FirstEventAsync(response) : await response.Content.ReadAsStringAsync();
            }
            catch (HttpRequestException ex)
            {
                return (status, $"the connection failed while reading the answer: {ex.Message} {ex.InnerException?.Message}");
            }

            if (status >= 500)
            {
                return (status, $"{status} {Short(text)}");
            }

            if (world.Secrets.FirstOrDefault(s => text.Contains(s, StringComparison.Ordinal)) is { } secret)
            {
                return (status, $"the answer contains a secret ({secret[..4]}…)");
            }

            if (StackTrace().IsMatch(text))
            {
                return (status, $"the answer contains a stack trace: {Short(text)}");
            }

            if (text.Contains("root:x:0:0", StringComparison.Ordinal))
            {
                return (status, "the answer contains /etc/passwd");
            }

            var changes = (c.MethodOverride ?? c.Route.Method) is not ("GET" or "HEAD");
            if (status < 400)
            {
                // A read may ignore what it does not understand; a change must never be made from bad input.
                return changes && status != 405 ? (status, $"accepted with {status}: {Short(text)}") : (status, null);
            }

            if (status is 400 or 414 or 431 && text.Length == 0 && media is null)
            {
                // Kestrel's own refusal of a request it cannot parse (a NUL in the path, a request line over its limit):
                // it never reaches the app, so the app cannot shape it. Every answer the app writes has a body.
                return (status, null);
            }

            // Pages people open in a browser (and any address opened with a ?token= link) answer with an HTML page.
            if ((IsPage(c.Route) || c.Path.Contains("token=", StringComparison.Ordinal)) && media == "text/html")
            {
                return text.Length > 0 ? (status, null) : (status, "an empty error page");
            }

            if (media != "application/problem+json")
            {
                return (status, $"{status} answered as '{media ?? "no content type"}', not problem+json: {Short(text)}");
            }

            var problem = JsonNode.Parse(text)!.AsObject();
            var title = problem["title"]?.GetValue<string>();
            var detail = problem["detail"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(title) || (string.IsNullOrWhiteSpace(detail) && problem["errors"] is null))
            {
                return (status, $"a problem without a useful title/detail: {Short(text)}");
            }

            return (status, null);
        }
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] + "…" : text;

    [GeneratedRegex(@"\{\*?([A-Za-z]+)(?::[^}?]*)?\??\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"(\s+at [\w.`<>\[\]]+\(|\.cs:line \d+|System\.[A-Za-z.]+Exception:)")]
    private static partial Regex StackTrace();

    /// <summary>One route: a method and a pattern.</summary>
    private sealed record Route(string Method, string Pattern, string Name, bool IsStatic)
    {
        public string Key => $"{Method} {Pattern}";
    }

    /// <summary>One bad request.</summary>
    private sealed record Case(Route Route, string Name, string Path, Auth Auth, Func<HttpContent>? Body, string? MethodOverride = null);

    /// <summary>How a request presents (or fails to present) credentials.</summary>
    private sealed record Auth(string? HeaderName, string? HeaderValue, bool Cookie = false)
    {
        public static Auth None { get; } = new(null, null);

        public static Auth Bearer(string token) => new("Authorization", "Bearer " + token);

        public static Auth Header(string name, string value) => new(name, value);

        public static Auth CrossSiteCookie(string token) => new("Cookie", $"{TokenAuthenticator.CookieName}={token}", Cookie: true);

        public void Apply(HttpRequestMessage request)
        {
            if (HeaderName is not null)
            {
                request.Headers.TryAddWithoutValidation(HeaderName, HeaderValue);
            }

            if (Cookie)
            {
                request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
                request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
            }
        }
    }

    /// <summary>What exists on the hub under test, so that each case makes exactly one thing wrong.</summary>
    private sealed class World
    {
        public string AdminToken { get; private init; } = "";

        public string AliceToken { get; private init; } = "";

        public string BobToken { get; private init; } = "";

        public string Alice { get; private init; } = "";

        public string ProposalId { get; private init; } = "";

        public string OnboardingId { get; private init; } = "";

        public string GrantId { get; private init; } = "";

        public string InviteCode { get; private init; } = "";

        public string KnowledgePageId { get; private init; } = "";

        /// <summary>Values no answer may contain.</summary>
        public IReadOnlyList<string> Secrets { get; private init; } = [];

        public static async Task<World> CreateAsync(ToolHub tools)
        {
            var alice = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
            var bob = await tools.OnboardWithGoogleAsync("bob@company.com", "Bob Example");
            using var aliceHttp = tools.User(alice);
            var proposal = await ToolHub.ProposeAsync(aliceHttp, alice, ProposalTypes.CreateAttioTask, new JsonObject { ["content"] = "Send the offer" });
            await ToolHub.WaitForStatusAsync(aliceHttp, proposal, ProposalStatus.Pending);
            var grant = await GrantHttpTests.CreateGrantAsync(aliceHttp, alice, GrantHttpTests.Grant(ProposalTypes.CreateAttioNote, new JsonObject { ["objects"] = new JsonArray("deals") }, 1));
            using var admin = tools.Admin();
            var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email = "carol@company.com", name = "Carol Example" });
            Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
            var onboardingId = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
            var inviteUrl = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{onboardingId}/invite"))!["inviteUrl"]!.GetValue<string>();
            var page = await admin.PostAsJsonAsync("/api/admin/knowledge", new { title = "Parking", body = "Visitors park on level -2." });
            Assert.Equal(HttpStatusCode.Created, page.StatusCode);
            var secrets = new List<string> { tools.Hub.AdminToken, tools.Hub.MasterKey, tools.Token(alice), tools.Token(bob) };
            secrets.AddRange(tools.Google.ConfigurationValues().Concat(tools.Notion.ConfigurationValues()).Concat(tools.Attio.ConfigurationValues())
                .Where(kv => kv.Value is { Length: >= 8 } && Regex.IsMatch(kv.Key, "(?i)secret|key|token")).Select(kv => kv.Value!));
            return new World
            {
                AdminToken = tools.Hub.AdminToken,
                AliceToken = tools.Token(alice),
                BobToken = tools.Token(bob),
                Alice = alice,
                ProposalId = proposal,
                OnboardingId = onboardingId,
                GrantId = grant["grantId"]!.GetValue<string>(),
                InviteCode = inviteUrl[(inviteUrl.LastIndexOf('/') + 1)..],
                KnowledgePageId = (await page.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>(),
                Secrets = secrets,
            };
        }

        /// <summary>Valid values for every route parameter the hub uses (a new parameter name fails the test until added here).</summary>
        public IReadOnlyDictionary<string, string> Valid() => new Dictionary<string, string>
        {
            ["agentId"] = Alice,
            ["proposalId"] = ProposalId,
            ["id"] = OnboardingId,
            ["grantId"] = GrantId,
            ["type"] = ProposalTypes.CreateAttioTask,
            ["code"] = InviteCode,
            ["instanceId"] = ProposalId,
            ["functionName"] = nameof(ApprovalOrchestration),
            ["eventName"] = "ApprovalDecision",
            ["operation"] = "suspend",
            ["entityName"] = "agent",
            ["entityKey"] = Alice,
            ["key"] = "default",
            ["pageId"] = KnowledgePageId,
            ["factId"] = "m-0",
            ["databaseId"] = "0123abcd-0123-4567-89ab-0123456789ab",
        };

        /// <summary>The credentials a valid request of the route would use: Alice's token on her own routes, the admin's elsewhere.</summary>
        public Auth Credentials(Route route) =>
            route.Pattern.StartsWith("/api/agents/{agentId}", StringComparison.Ordinal) && route.Method != "DELETE"
            || route.Pattern.StartsWith("/api/proposals/", StringComparison.Ordinal) || route.Pattern == "/api/me"
                ? Auth.Bearer(AliceToken)
                : Auth.Bearer(AdminToken);
    }

    /// <summary>The body a state-changing route takes, and the bad bodies generated from it.</summary>
    private sealed class BodySpec
    {
        private static readonly Dictionary<string, JsonObject?> Samples = new(StringComparer.Ordinal)
        {
            ["POST /api/agents/{agentId}/messages"] = new JsonObject { ["text"] = "Hello" },
            ["POST /api/agents/{agentId}/proposals"] = new JsonObject { ["type"] = ProposalTypes.CreateAttioTask, ["payload"] = new JsonObject { ["content"] = "Call Sarah" } },
            ["POST /api/proposals/{proposalId}/decision"] = new JsonObject { ["decision"] = "edit", ["changes"] = new JsonObject { ["content"] = "Call Sarah today" }, ["revision"] = 1 },
            ["POST /api/onboarding/requests"] = new JsonObject { ["email"] = "dave@company.com", ["name"] = "Dave Example" },
            ["POST /api/admin/onboardings"] = new JsonObject { ["email"] = "erin@company.com", ["name"] = "Erin Example" },
            ["POST /api/admin/broadcast"] = new JsonObject { ["text"] = "All hands at 3" },
            ["POST /api/agents/{agentId}/token/rotate"] = null,
            ["POST /api/agents/{agentId}/google/reconnect"] = null,
            ["PUT /api/agents/{agentId}/sharing"] = new JsonObject { ["companyToolsForAgents"] = true },
            ["PUT /api/agents/{agentId}/notifications"] = new JsonObject { ["email"] = true },
            ["POST /api/agents/{agentId}/grants"] = new JsonObject { ["type"] = ProposalTypes.CreateAttioTask, ["maxPerDay"] = 2 },
            ["PATCH /api/agents/{agentId}/grants/{grantId}"] = new JsonObject { ["maxPerDay"] = 2 },
            ["DELETE /api/agents/{agentId}/grants/{grantId}"] = null,
            ["POST /api/proposals/{proposalId}/undo"] = null,
            ["POST /api/proposals/{proposalId}/inverse"] = null,
            ["PUT /api/admin/grant-ceilings/{type}"] = new JsonObject { ["allowed"] = true },
            ["DELETE /api/admin/grant-ceilings/{type}"] = null,
            ["DELETE /api/agents/{agentId}"] = null,
            ["POST /api/admin/onboardings/{id}/cancel"] = null,
            ["POST /api/admin/onboardings/{id}/resend"] = null,
            ["POST /api/admin/backups"] = null,
            ["POST /api/admin/backups/recovery-key"] = null,
            ["POST /runtime/webhooks/durabletask/orchestrators/{functionName}/{instanceId?}"] = [],
            ["DELETE /runtime/webhooks/durabletask/instances"] = null,
            ["DELETE /runtime/webhooks/durabletask/instances/{instanceId}"] = null,
            ["POST /runtime/webhooks/durabletask/instances/{instanceId}/raiseEvent/{eventName}"] = [],
            ["POST /runtime/webhooks/durabletask/instances/{instanceId}/{operation}"] = null,
            ["POST /runtime/webhooks/durabletask/entities/{entityName}/{entityKey}"] = [],
            ["DELETE /runtime/webhooks/durabletask/entities/{entityName}/{entityKey}"] = null,
            ["POST /invite/{code}/dev-sign-in"] = null,
            ["PUT /api/agents/{agentId}/persona"] = new JsonObject { ["tone"] = "Calm." },
            ["PUT /api/admin/personas/{key}"] = new JsonObject { ["instructions"] = "Be brief." },
            ["DELETE /api/agents/{agentId}/memory/{factId}"] = null,
            ["POST /api/admin/knowledge"] = new JsonObject { ["title"] = "Parking", ["body"] = "Level -2." },
            ["PUT /api/admin/knowledge/{pageId}"] = new JsonObject { ["title"] = "Parking", ["body"] = "Level -3." },
            ["DELETE /api/admin/knowledge/{pageId}"] = null,
            ["POST /api/admin/knowledge/sync"] = new JsonObject { ["databaseId"] = "handbook" },
            ["POST /api/agents/{agentId}/channels/telegram"] = null,
            ["DELETE /api/agents/{agentId}/channels/telegram"] = null,
            ["POST /api/channels/telegram/webhook"] = new JsonObject
            {
                ["update_id"] = 1,
                ["message"] = new JsonObject { ["message_id"] = 1, ["chat"] = new JsonObject { ["id"] = 42 }, ["from"] = new JsonObject { ["id"] = 42 }, ["text"] = "hello" },
            },
        };

        private const string OddPlaceholder = "@@odd@@";
        private readonly JsonObject? _sample;
        private readonly bool _form;

        private BodySpec(JsonObject? sample, bool form)
        {
            _sample = sample;
            _form = form;
        }

        /// <summary>A valid body, sent with cases that make something else wrong; null for routes without a body.</summary>
        public Func<HttpContent>? Valid => _form
            ? () => new FormUrlEncodedContent([new("email", "carol@company.com")])
            : _sample is { Count: > 0 } s ? () => JsonBody(s.ToJsonString()) : null;

        /// <summary>An empty JSON object (missing every field) for routes that take one; as <see cref="Valid"/> otherwise.</summary>
        public Func<HttpContent>? Empty => _sample is { Count: > 0 } ? () => JsonBody("{}") : Valid;

        public static BodySpec For(Route route)
        {
            if (route.Method is "GET" or "HEAD")
            {
                return new BodySpec(null, false);
            }

            Assert.True(Samples.TryGetValue(route.Key, out var sample), $"{route.Key} changes state but has no body sample in {nameof(BodySpec)}: add a valid body (or null when it takes none).");
            return new BodySpec(sample, route.Pattern.EndsWith("/dev-sign-in", StringComparison.Ordinal));
        }

        public IEnumerable<(string Name, Func<HttpContent> Content)> BadBodies()
        {
            if (_sample is null && !_form)
            {
                yield break; // takes no body: a body is ignored, as HTTP allows
            }

            yield return ("malformed: unclosed object", () => JsonBody("{\"text\": \"hi\""));
            yield return ("malformed: single quotes", () => JsonBody("{'text': 'hi'}"));
            yield return ("malformed: trailing garbage", () => JsonBody("{} x"));
            yield return ("malformed: NUL byte", () => JsonBody("\0"));
            yield return ("malformed: invalid UTF-8", () => new ByteArrayContent([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });
            yield return ("malformed: deep nesting", () => JsonBody(new string('[', 5000) + new string(']', 5000)));
            yield return ("huge: 2 MiB", () => JsonBody("{\"text\": \"" + new string('x', 2 * 1024 * 1024) + "\"}"));
            yield return ("wrong content type: XML", () => new StringContent("<text>hi</text>", Encoding.UTF8, "application/xml"));
            yield return ("wrong content type: form", () => new FormUrlEncodedContent([new("text", "hi"), new("email", "x@company.com\0")]));
            yield return ("wrong content type: multipart", () => new MultipartFormDataContent { { new StringContent("hi"), "text" } });
            if (_form)
            {
                yield return ("form: no email", () => new FormUrlEncodedContent([new("name", "x")]));
                yield return ("form: NUL in the email", () => new FormUrlEncodedContent([new("email", "carol@company.com\0")]));
                yield return ("form: JSON instead", () => JsonBody("{\"email\": \"carol@company.com\"}"));
                yield break;
            }

            if (_sample is not { Count: > 0 })
            {
                yield break; // takes any JSON (an orchestration input, an event payload, an operation input)
            }

            yield return ("wrong kind: array", () => JsonBody("[]"));
            yield return ("wrong kind: string", () => JsonBody("\"hello\""));
            yield return ("wrong kind: number", () => JsonBody("42"));
            yield return ("wrong kind: null", () => JsonBody("null"));
            yield return ("huge: many fields", () => JsonBody("{" + string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"f{i}\":{i}")) + "}"));

            yield return ("empty object", () => JsonBody("{}"));
            yield return ("only unknown fields", () => JsonBody("{\"unexpected\": 1, \"__proto__\": {\"admin\": true}}"));
            foreach (var (path, leaf) in Leaves(_sample, ""))
            {
                yield return ($"missing {path}, with an extra field", () => JsonBody(With(path, null, extra: true)));
                foreach (var (kind, value) in new (string, JsonNode?)[] { ("number", 12345), ("boolean", true), ("array", new JsonArray(1, 2)), ("object", new JsonObject { ["x"] = 1 }), ("null", null) })
                {
                    // The field's own kind is no bad input (a boolean setting takes true).
                    if (value is not null && leaf is not null && KindOf(value) == KindOf(leaf))
                    {
                        continue;
                    }

                    yield return ($"{path} as {kind}", () => JsonBody(With(path, value?.DeepClone(), explicitNull: value is null)));
                }

                foreach (var (label, literal) in OddStrings)
                {
                    yield return ($"{path} = {label}", () => JsonBody(With(path, OddPlaceholder).Replace($"\"{OddPlaceholder}\"", literal, StringComparison.Ordinal)));
                }
            }
        }

        private static string KindOf(JsonNode node) => node.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
            var kind => kind.ToString(),
        };

        private static IEnumerable<(string Path, JsonNode? Value)> Leaves(JsonObject node, string prefix)
        {
            foreach (var (name, value) in node)
            {
                var path = prefix + name;
                if (value is JsonObject inner)
                {
                    foreach (var leaf in Leaves(inner, path + "."))
                    {
                        yield return leaf;
                    }
                }
                else
                {
                    yield return (path, value);
                }
            }
        }

        /// <summary>The sample with the field at <paramref name="path"/> replaced (or removed when the value is null and not explicit).</summary>
        private string With(string path, JsonNode? value, bool explicitNull = false, bool extra = false)
        {
            var copy = _sample!.DeepClone().AsObject();
            var parts = path.Split('.');
            var parent = copy;
            foreach (var part in parts[..^1])
            {
                parent = parent[part]!.AsObject();
            }

            if (value is null && !explicitNull)
            {
                parent.Remove(parts[^1]);
            }
            else
            {
                parent[parts[^1]] = value;
            }

            if (extra)
            {
                parent["unexpectedField"] = "x";
            }

            return copy.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }

        private static ByteArrayContent JsonBody(string text) =>
            new(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
    }
}
