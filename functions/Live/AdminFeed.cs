using System.Net.ServerSentEvents;
using System.Text.Json;
using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Functions.Live;

/// <summary>
/// The admin's stream of changes across the hub: every instance's status, every agent's summary, every proposal's
/// status. While an admin stream is open, it reads each instance the store says changed (once, for all admin streams),
/// turns what differs from what it last saw into events, numbers them and keeps the latest <see cref="Capacity"/>.
/// Event ids are <c>&lt;feed&gt;-&lt;number&gt;</c>: a client that reconnects to the same feed resumes after its
/// number; on another replica or after a restart (another feed), or when the number is no longer kept, it gets a
/// <c>reset</c> and reads the state again.
/// </summary>
public sealed class AdminFeed : IDisposable
{
    public const int Capacity = 1000;

    /// <summary>Beyond this many remembered instances, the feed forgets them all (then reports each as new once).</summary>
    private const int MaxRemembered = 20_000;

    private readonly StoreChangeSignals _signals;
    private readonly DurableTaskClient _client;
    private readonly ILogger _log;
    private readonly GoogleOptions _google;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Number, SseItem<string> Item)> _events = new();
    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _running;
    private long _next;

    public AdminFeed(StoreChangeSignals signals, DurableTaskClient client, IHostApplicationLifetime lifetime, ILogger<AdminFeed> log, IOptions<GoogleOptions> google)
    {
        _google = google.Value;
        ArgumentNullException.ThrowIfNull(lifetime);
        _signals = signals;
        _client = client;
        _log = log;
        lifetime.ApplicationStopping.Register(_stop.Cancel);
    }

    /// <summary>Gets this feed's name: random per process, so that an id from another replica or an earlier run is told apart.</summary>
    public string Name { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>Gets the id of the newest event (the one a new stream starts after).</summary>
    public string LatestId
    {
        get
        {
            lock (_gate)
            {
                return IdOf(_next);
            }
        }
    }

    /// <summary>Starts reading changes, once, at the first admin stream.</summary>
    public void EnsureStarted()
    {
        lock (_gate)
        {
            _running ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>
    /// The events after <paramref name="lastEventId"/> (one of this feed's ids), and the number they end at; a
    /// <c>reset</c> when the id is not this feed's or its events are no longer kept.
    /// </summary>
    public (IReadOnlyList<SseItem<string>> Events, long Through) Since(string lastEventId)
    {
        lock (_gate)
        {
            var oldest = _events.First?.Value.Number ?? _next + 1;
            if (!TryParse(lastEventId, out var after) || after > _next || after < oldest - 1)
            {
                return ([LiveEvent.Create(LiveEventTypes.Reset, new { reason = "the stream cannot tell what changed since the event id" }, IdOf(_next))], _next);
            }

            return ([.. _events.Where(e => e.Number > after).Select(e => e.Item)], _next);
        }
    }

    /// <summary>Waits until an event after <paramref name="after"/> is published, the timeout passes (false) or the token is cancelled (false).</summary>
    public async Task<bool> WaitAsync(long after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task published;
        lock (_gate)
        {
            if (_next > after)
            {
                return true;
            }

            published = _published.Task;
        }

        try
        {
            await published.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Parses one of this feed's ids into its number.</summary>
    public bool TryParse(string? id, out long number)
    {
        number = 0;
        return id is not null && id.StartsWith(Name + "-", StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(Name.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    /// <summary>This feed's id of event <paramref name="number"/>.</summary>
    public string IdOf(long number) => $"{Name}-{number}";

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var changes = _signals.Watch(null);
        while (await changes.WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false) == ChangeWait.Changed)
        {
            if (changes.Take() is not { } ids)
            {
                Publish(LiveEventTypes.Reset, new { reason = "the hub lost sight of changes for a moment" });
                continue;
            }

            foreach (var id in ids)
            {
                try
                {
                    await ReadAsync(id, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // The store failing for a moment loses no change for good: a reconnecting page reads everything again.
                    _log.LogWarning(ex, "The admin feed could not read instance {InstanceId}", id);
                }
            }
        }
    }

    private async Task ReadAsync(string instanceId, CancellationToken cancellationToken)
    {
        var agentPrefix = "@" + AgentEntity.Name + "@";
        if (instanceId.StartsWith(agentPrefix, StringComparison.Ordinal))
        {
            var agent = (await _client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(instanceId[agentPrefix.Length..]), cancellationToken).ConfigureAwait(false))?.State;
            if (agent is not null)
            {
                var view = AgentFunctions.View(agent, _google);
                PublishIfChanged(instanceId, LiveEventTypes.Agent, view, JsonSerializer.Serialize(view));
                if (agent.Grants.Count > 0)
                {
                    // The admin's grants page: one event with all of the agent's grants, when any of them changed.
                    var now = DateTimeOffset.UtcNow;
                    var grants = new { agentId = agent.AgentId, grants = agent.Grants.Select(g => GrantFunctions.View(g, now)).ToList() };
                    PublishIfChanged("grants:" + instanceId, LiveEventTypes.Grant, grants, JsonSerializer.Serialize(grants));
                }
            }

            return;
        }

        if (instanceId.StartsWith('@'))
        {
            return;
        }

        var instance = await _client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return;
        }

        PublishIfChanged(instanceId, LiveEventTypes.Instance, new
        {
            instanceId,
            name = instance.Name,
            runtimeStatus = instance.RuntimeStatus.ToString(),
            createdTime = instance.CreatedAt,
            lastUpdatedTime = instance.LastUpdatedAt,
        }, $"{instance.RuntimeStatus}|{instance.LastUpdatedAt:O}");
        if (instance.Name == nameof(ApprovalOrchestration) && await ProposalFunctions.LoadAsync(_client, Caller.Admin, instanceId, cancellationToken).ConfigureAwait(false) is { } proposal)
        {
            PublishIfChanged("proposal:" + instanceId, LiveEventTypes.Proposal, new
            {
                proposal.AgentId,
                proposal.ProposalId,
                proposal.Type,
                proposal.Status,
                proposal.Revision,
                proposal.Title,
                proposal.CreatedAt,
                proposal.DecidedAt,
                Outcome = proposal.Result ?? proposal.Error,
            }, $"{proposal.Status}/{proposal.Revision}");
        }
    }

    /// <summary>Publishes an event when what it shows (<paramref name="key"/>) differs from what was last published for <paramref name="what"/>.</summary>
    private void PublishIfChanged(string what, string type, object data, string key)
    {
        lock (_gate)
        {
            if (_seen.TryGetValue(what, out var previous) && previous == key)
            {
                return;
            }

            if (_seen.Count >= MaxRemembered)
            {
                _seen.Clear();
            }

            _seen[what] = key;
        }

        Publish(type, data);
    }

    private void Publish(string type, object data)
    {
        TaskCompletionSource published;
        lock (_gate)
        {
            _next++;
            _events.AddLast((_next, LiveEvent.Create(type, data, IdOf(_next))));
            if (_events.Count > Capacity)
            {
                _events.RemoveFirst();
            }

            published = _published;
            _published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        published.TrySetResult();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
