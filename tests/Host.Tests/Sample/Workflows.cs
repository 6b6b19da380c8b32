using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>Orchestrations the management API tests drive: one that waits for an event, one that fails, one that echoes.</summary>
public static class Workflows
{
    [Function(nameof(WaitForApproval))]
    public static async Task<string> WaitForApproval([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        context.SetCustomStatus(new { step = "waiting" });
        var decision = await context.WaitForExternalEvent<string>("Approval");
        return $"decided: {decision}";
    }

    [Function(nameof(AlwaysFails))]
    public static Task<string> AlwaysFails([OrchestrationTrigger] TaskOrchestrationContext context) =>
        throw new InvalidOperationException("This orchestration always fails.");

    [Function(nameof(Echo))]
    public static async Task<EchoOutput> Echo([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<EchoInput>() ?? new EchoInput("nobody", 0);
        var upper = await context.CallActivityAsync<string>(nameof(ToUpper), input.Name);
        return new EchoOutput(upper, input.Count + 1);
    }

    [Function(nameof(EchoAndWait))]
    public static async Task<IResult> EchoAndWait(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "echo")] HttpRequest req,
        EchoInput input,
        [DurableClient] DurableTaskClient client)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Echo), input);
        return await client.WaitForCompletionOrCreateCheckStatusResponseAsync(req, id, TimeSpan.FromSeconds(10));
    }

    [Function(nameof(Counter))]
    public static Task Counter([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<CounterEntity>();
}

public sealed record EchoInput(string Name, int Count);

public sealed record EchoOutput(string Name, int Count);
