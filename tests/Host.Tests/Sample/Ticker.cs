using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>A timer function whose schedule comes from the app setting TickSchedule.</summary>
public sealed class Ticker(TickLog log)
{
    [Function(nameof(Tick))]
    public void Tick([TimerTrigger("%TickSchedule%")] TimerInfo timer) => log.Add(timer);
}

/// <summary>Records the timer invocations of one test host.</summary>
public sealed class TickLog
{
    private readonly ConcurrentQueue<TimerInfo> _runs = new();
    private readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyList<TimerInfo> Runs => [.. _runs];

    public void Add(TimerInfo info)
    {
        _runs.Enqueue(info);
        _signal.Release();
    }

    public async Task WaitForRunsAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_runs.Count < count)
        {
            await _signal.WaitAsync(cts.Token);
        }
    }
}
