using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>Functions that outlive a short functionTimeout; used by the timeout tests only.</summary>
public static class SlowHttp
{
    [Function(nameof(Slow))]
    public static async Task<string> Slow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "slow")] HttpRequest req, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
        return "too late";
    }

    [Function(nameof(Stubborn))]
    public static async Task<string> Stubborn([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stubborn")] HttpRequest req)
    {
        // Ignores cancellation: the host stops waiting for it anyway.
        await Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None);
        return "too late";
    }

    [Function(nameof(SlowActivityOrchestration))]
    public static Task<string> SlowActivityOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>(nameof(SlowStep), "x");

    [Function(nameof(SlowStep))]
    public static async Task<string> SlowStep([ActivityTrigger] string input, FunctionContext context)
    {
        await Task.Delay(TimeSpan.FromSeconds(30), context.CancellationToken);
        return input;
    }
}
