using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using CompanyHub.Entities;
using CompanyHub.Security;
using CompanyHub.Integrations.Google;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CompanyHub.Functions.Live;

/// <summary>Settings of the dashboards' event streams (<c>LiveEvents:*</c>).</summary>
public sealed class LiveEventsOptions
{
    /// <summary>Gets or sets how long a stream may stay silent before it sends a heartbeat (<c>LiveEvents:HeartbeatSeconds</c>, default 15).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The dashboards' live updates as server-sent events (<c>text/event-stream</c>): a person's agent, and the whole hub for
/// the admin. Functions like the others (the host authorizes them by level and lists them); each returns ASP.NET Core's
/// <see cref="TypedResults.ServerSentEvents{T}(IAsyncEnumerable{SseItem{T}})"/>, which writes and flushes each event
/// as it comes. The function itself ends at once, so <c>functionTimeout</c> does not cut a stream short.
/// </summary>
public sealed class LiveEventFunctions(StoreChangeSignals signals, AdminFeed feed, IOptions<LiveEventsOptions> options, IHostApplicationLifetime lifetime, IOptions<GoogleOptions> google)
{
    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>
    /// The changes of one agent: messages, proposals, the agent's own status, its inbox. Event ids are the agent's change
    /// numbers; <c>Last-Event-ID</c> resumes after one. A person's stream ends when their token is replaced or revoked
    /// (rotation, offboarding) and the agent no longer takes it.
    /// </summary>
    [Function("AgentEvents")]
    public async Task<IResult> AgentEvents(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/events")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        var caller = Caller.From(user);
        long? resume = null;
        if (req.Headers[LastEventIdHeader].ToString() is { Length: > 0 } text)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            {
                return Problems.Invalid(new Dictionary<string, string[]> { [LastEventIdHeader] = ["Last-Event-ID must be the id of an event of this stream (a whole number)."] }, "The Last-Event-ID header is not an id of this stream.");
            }

            resume = after;
        }

        var tokenHash = caller.IsAdmin ? null : TokenAuthenticator.PresentedTokenHash(req);

        // Watching starts before the first read, so that a change between the two is not missed.
        var changes = signals.Watch(AgentEntity.Id(agentId).ToString());
        AgentState? agent;
        try
        {
            agent = await AgentAccess.LoadAsync(client, caller, agentId, cancellationToken);
        }
        catch
        {
            changes.Dispose();
            throw;
        }

        if (agent is null || !MayWatch(caller, tokenHash, agent))
        {
            changes.Dispose();
            return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId))
                : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "This link no longer reaches the agent.");
        }

        return TypedResults.ServerSentEvents(AgentStreamAsync(client, caller, tokenHash, agent, resume, changes, CancellationToken.None));
    }

    /// <summary>
    /// The admin's view of the whole hub: every instance's status, every agent's summary, every proposal's status. Event
    /// ids name the hub process's feed and a number; <c>Last-Event-ID</c> resumes on the same feed, else the stream
    /// starts with <c>reset</c>.
    /// </summary>
    [Function("AdminEvents")]
    public IResult AdminEvents(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/events")] HttpRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        feed.EnsureStarted();
        var last = req.Headers[LastEventIdHeader].ToString();
        return TypedResults.ServerSentEvents(AdminStreamAsync(last.Length > 0 ? last : null, CancellationToken.None));
    }

    /// <summary>Whether the stream's caller still reaches the agent: the admin always; a person while the agent is active and holds their token.</summary>
    private static bool MayWatch(Caller caller, string? tokenHash, AgentState agent) =>
        caller.IsAdmin || (agent.Status == AgentStatus.Active && tokenHash is not null && string.Equals(agent.TokenHash, tokenHash, StringComparison.Ordinal));

    private async IAsyncEnumerable<SseItem<string>> AgentStreamAsync(DurableTaskClient client, Caller caller, string? tokenHash, AgentState agent, long? resume, ChangeSubscription changes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var watching = changes;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var entityId = AgentEntity.Id(agent.AgentId);
        var cursor = resume ?? agent.Version;
        yield return LiveEvent.Create(LiveEventTypes.Ready, new { agentId = agent.AgentId, version = agent.Version }, cursor) with { ReconnectionInterval = LiveEvent.Reconnect };
        while (true)
        {
            foreach (var item in AgentEventStream.Since(agent, cursor, google.Value))
            {
                yield return item;
            }

            cursor = agent.Version;
            if (!MayWatch(caller, tokenHash, agent))
            {
                yield return LiveEvent.Create(LiveEventTypes.Closed, new { agentId = agent.AgentId, reason = agent.Status == AgentStatus.Active ? "the link was replaced" : "the agent was offboarded" }, cursor);
                yield break;
            }

            switch (await changes.WaitAsync(options.Value.Heartbeat, stop.Token))
            {
                case ChangeWait.Stopped:
                    yield break;
                case ChangeWait.Quiet:
                    yield return LiveEvent.Heartbeat();
                    continue;
                default:
                    changes.Take();
                    break;
            }

            if ((await client.Entities.GetEntityAsync<AgentState>(entityId, cancellationToken))?.State is not { } current)
            {
                yield break;
            }

            agent = current;
        }
    }

    private async IAsyncEnumerable<SseItem<string>> AdminStreamAsync(string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var start = lastEventId is not null && feed.TryParse(lastEventId, out _) ? lastEventId : feed.LatestId;
        yield return LiveEvent.Create(LiveEventTypes.Ready, new { feed = feed.Name }, start) with { ReconnectionInterval = LiveEvent.Reconnect };
        var (events, cursor) = feed.Since(lastEventId ?? start);
        while (true)
        {
            foreach (var item in events)
            {
                yield return item;
            }

            if (!await feed.WaitAsync(cursor, options.Value.Heartbeat, stop.Token))
            {
                if (stop.IsCancellationRequested)
                {
                    yield break;
                }

                yield return LiveEvent.Heartbeat();
                events = [];
                continue;
            }

            (events, cursor) = feed.Since(feed.IdOf(cursor));
        }
    }
}
