using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Serverless.Runtime.Tests;

/// <summary>The entity the tests use: an integer counter, written as Microsoft's <see cref="TaskEntity{TState}"/>.</summary>
public sealed class Counter : TaskEntity<int>
{
    /// <summary>The orchestration <see cref="StartReport"/> starts; tests register it when they need it.</summary>
    public const string ReportOrchestrator = "CounterReport";

    public void Add(int amount) => State += amount;

    public int Get() => State;

    /// <summary>An asynchronous operation: its awaited result is the operation's result.</summary>
    public async Task<int> AddAndGetAsync(int amount)
    {
        await Task.Yield();
        State += amount;
        return State;
    }

    public void Reset() => State = 0;

    /// <summary>Changes the state and then throws: the change must not be kept.</summary>
    public void AddThenFail(int amount)
    {
        State += amount;
        throw new InvalidOperationException($"AddThenFail({amount}) is refused.");
    }

    /// <summary>Adds to itself and signals the same amount to another counter.</summary>
    public void Forward(CounterForward request)
    {
        ArgumentNullException.ThrowIfNull(request);
        State += request.Amount;
        Context.SignalEntity(new EntityInstanceId(nameof(Counter), request.TargetKey), "add", request.Amount);
    }

    /// <summary>Starts an orchestration with the current value as input.</summary>
    public string StartReport(string instanceId) =>
        Context.ScheduleNewOrchestration(ReportOrchestrator, State, new StartOrchestrationOptions(instanceId));
}
