using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>A person with an agent and a dashboard link.</summary>
public sealed record Person(string AgentId, string Email, string Name, string Token, string DashboardUrl);

/// <summary>
/// Test set-up through the hub's own HTTP APIs, with a bearer token (the browser under test uses the cookie). Nothing
/// here bypasses the hub: people are onboarded by the real OnboardingOrchestration, proposals are composed through
/// POST /api/agents/{id}/proposals.
/// </summary>
public sealed class HubApi(Uri baseUrl, string adminToken) : IDisposable
{
    private const string Management = "/runtime/webhooks/durabletask";
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    public string AdminToken => adminToken;

    /// <summary>
    /// Onboards a person without the browser: starts OnboardingOrchestration through the management API and raises the
    /// OAuthCompleted event that the development sign-in raises, then asks for the person's dashboard link (token
    /// rotation, as the admin's "New link" button does). Used to set up the scenarios that start after onboarding;
    /// the onboarding UI itself is covered by <c>OnboardingTests</c>.
    /// </summary>
    public async Task<Person> OnboardAsync(string email, string name)
    {
        var instanceId = $"onb-test-{Guid.NewGuid():N}";
        using (var start = await SendAsync(HttpMethod.Post, $"{Management}/orchestrators/OnboardingOrchestration/{instanceId}", adminToken,
            new { email, name, initiatedBy = "admin", requestedBy = "admin" }))
        {
            await EnsureAsync(start);
        }

        var invited = await WaitForInstanceAsync(instanceId, i => i["customStatus"]?["step"]?.GetValue<string>() is "InviteSent" or "AwaitingOAuth");
        var agentId = invited["customStatus"]!["agentId"]!.GetValue<string>();
        using (var raised = await SendAsync(HttpMethod.Post, $"{Management}/instances/{instanceId}/raiseEvent/OAuthCompleted", adminToken,
            new { email, emailVerified = true, sealedRefreshToken = (string?)null, displayName = name, devSignIn = true }))
        {
            await EnsureAsync(raised);
        }

        await WaitForInstanceAsync(instanceId, i => i["runtimeStatus"]?.GetValue<string>() == "Completed");
        var link = await RotateAsync(agentId, adminToken);
        return new Person(agentId, email, name, link.Token, link.DashboardUrl);
    }

    public async Task<(string Token, string DashboardUrl)> RotateAsync(string agentId, string token)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/agents/{agentId}/token/rotate", token);
        var body = await ReadAsync(response);
        return (body["token"]!.GetValue<string>(), body["dashboardUrl"]!.GetValue<string>());
    }

    /// <summary>Composes a proposal as the person (POST /api/agents/{id}/proposals); returns its id.</summary>
    public async Task<string> ProposeAsync(Person person, string type, object payload)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/agents/{person.AgentId}/proposals", person.Token, new { type, payload });
        return (await ReadAsync(response))["proposalId"]!.GetValue<string>();
    }

    /// <summary>Composes a proposal for an agent as the admin; returns its id.</summary>
    public async Task<string> ProposeAsAdminAsync(string agentId, string type, object payload)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/agents/{agentId}/proposals", adminToken, new { type, payload });
        return (await ReadAsync(response))["proposalId"]!.GetValue<string>();
    }

    public async Task DecideAsync(Person person, string proposalId, object decision)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/proposals/{proposalId}/decision", person.Token, decision);
        await EnsureAsync(response);
    }

    /// <summary>
    /// As the admin, waits for <paramref name="agentId"/>'s answer to another agent (a pending <c>reply_agent</c>
    /// proposal; the orchestrator's are the admin's to decide) and approves it; returns its id.
    /// </summary>
    public async Task<string> ApproveReplyAsAdminAsync(string agentId)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        while (true)
        {
            using var list = await SendAsync(HttpMethod.Get, $"/api/agents/{agentId}/proposals?status=pending", adminToken);
            var reply = (await ReadAsync(list)).AsArray().FirstOrDefault(p => p!["type"]!.GetValue<string>() == "reply_agent");
            if (reply is not null)
            {
                var id = reply["proposalId"]!.GetValue<string>();
                using var decided = await SendAsync(HttpMethod.Post, $"/api/proposals/{id}/decision", adminToken, new { decision = "approve", revision = 1 });
                await EnsureAsync(decided);
                return id;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{agentId} proposed no answer within {WaitTimeout.TotalSeconds} s.");
            }

            await Task.Delay(100);
        }
    }

    public async Task<JsonNode> AgentAsync(string agentId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/agents/{agentId}", adminToken);
        return await ReadAsync(response);
    }

    public async Task<JsonNode> NotificationsAsync(string agentId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/agents/{agentId}/notifications", adminToken);
        return await ReadAsync(response);
    }

    public async Task<JsonNode> ProposalAsync(string proposalId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/proposals/{proposalId}", adminToken);
        return await ReadAsync(response);
    }

    public async Task<JsonNode> InstanceAsync(string instanceId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{Management}/instances/{instanceId}", adminToken);
        return await ReadAsync(response);
    }

    /// <summary>Polls an instance until the condition holds (or fails after 30 s with the last status).</summary>
    public async Task<JsonNode> WaitForInstanceAsync(string instanceId, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await SendAsync(HttpMethod.Get, $"{Management}/instances/{instanceId}", adminToken);
            if (response.IsSuccessStatusCode)
            {
                last = await ReadAsync(response);
                if (condition(last))
                {
                    return last;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Instance {instanceId} did not reach the expected state within {WaitTimeout.TotalSeconds} s. Last status: {last?.ToJsonString() ?? "none"}");
    }

    public async Task<JsonNode> WaitForProposalAsync(string proposalId, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await ProposalAsync(proposalId);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Proposal {proposalId} did not reach the expected state within {WaitTimeout.TotalSeconds} s. Last: {last?.ToJsonString() ?? "none"}");
    }

    /// <summary>The status code the hub answers to a request with this token (no body checks).</summary>
    public async Task<HttpStatusCode> StatusAsync(HttpMethod method, string path, string? token)
    {
        using var response = await SendAsync(method, path, token);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }

        return await _http.SendAsync(request);
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        await EnsureAsync(response);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("Empty answer.");
    }
}
