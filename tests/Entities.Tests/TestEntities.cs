using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Serverless.Entities.Tests;

/// <summary>A counter, as Microsoft's samples write it.</summary>
public sealed class Counter : TaskEntity<int>
{
    public int Add(int amount) => this.State += amount;

    public int Get() => this.State;

    public void Reset() => this.State = 0;
}

/// <summary>Signals another entity (now, or at a time).</summary>
public sealed class Relay : TaskEntity<int>
{
    public void Forward(RelayRequest request)
    {
        this.State++;
        this.Context.SignalEntity(
            new EntityInstanceId("counter", request.Key),
            "add",
            request.Amount,
            request.At is DateTimeOffset at ? new SignalEntityOptions { SignalTime = at } : null);
    }
}

public sealed record RelayRequest(string Key, int Amount, DateTimeOffset? At = null);

/// <summary>Starts an orchestration.</summary>
public sealed class Starter : TaskEntity<int>
{
    public string Start(string input)
    {
        this.State++;
        return this.Context.ScheduleNewOrchestration(new TaskName("EchoOrchestrator"), input, new StartOrchestrationOptions($"echo-{input}"));
    }
}

/// <summary>Throws on 'boom' (after changing its state, which the SDK rolls back).</summary>
public sealed class Thrower : TaskEntity<int>
{
    public int Bump() => ++this.State;

    public void Boom()
    {
        this.State = 1000;
        this.Context.SignalEntity(new EntityInstanceId("counter", "never"), "add", 1);
        throw new InvalidOperationException("boom went the entity");
    }
}

public sealed class EchoOrchestrator : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) => Task.FromResult("echo:" + input);
}

/// <summary>Calls a counter: add, then get.</summary>
public sealed class CallCounterOrchestrator : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int amount)
    {
        var id = new EntityInstanceId("counter", "a");
        await context.Entities.CallEntityAsync(id, "add", amount);
        return await context.Entities.CallEntityAsync<int>(id, "get");
    }
}

/// <summary>Calls an entity and reports how it failed.</summary>
public sealed class CallFailingOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string entityName)
    {
        try
        {
            await context.Entities.CallEntityAsync(new EntityInstanceId(entityName, "x"), "boom");
            return "no failure";
        }
        catch (EntityOperationFailedException e)
        {
            return $"{e.FailureDetails.ErrorType}|{e.FailureDetails.ErrorMessage}";
        }
    }
}

/// <summary>Locks two counters, reads both, adds 10 to both, reads them again, releases.</summary>
public sealed class TransferOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        var a = new EntityInstanceId("counter", "a");
        var b = new EntityInstanceId("counter", "b");
        int a0, b0, a1, b1;
        await using (await context.Entities.LockEntitiesAsync(a, b))
        {
            a0 = await context.Entities.CallEntityAsync<int>(a, "get");
            b0 = await context.Entities.CallEntityAsync<int>(b, "get");
            await context.Entities.CallEntityAsync(a, "add", 10);
            await context.Entities.CallEntityAsync(b, "add", 10);
            a1 = await context.Entities.CallEntityAsync<int>(a, "get");
            b1 = await context.Entities.CallEntityAsync<int>(b, "get");
        }

        return $"{a0},{b0},{a1},{b1}";
    }
}
