using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>The Durable Functions quick start: an HTTP starter, an orchestration that calls an activity three times.</summary>
public static class HelloSequence
{
    [Function(nameof(HelloSequence))]
    public static async Task<List<string>> RunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var logger = context.CreateReplaySafeLogger(nameof(HelloSequence));
        logger.LogInformation("Saying hello.");
        var outputs = new List<string>
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "Tokyo"),
            await context.CallActivityAsync<string>(nameof(SayHello), "Seattle"),
            await context.CallActivityAsync<string>(nameof(SayHello), "London"),
        };
        return outputs;
    }

    [Function(nameof(SayHello))]
    public static string SayHello([ActivityTrigger] string name, FunctionContext executionContext)
    {
        var logger = executionContext.GetLogger(nameof(SayHello));
        logger.LogInformation("Saying hello to {Name}.", name);
        return $"Hello {name}!";
    }

    [Function("HelloSequence_HttpStart")]
    public static async Task<CheckStatusResponse> HttpStart(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        FunctionContext executionContext)
    {
        var logger = executionContext.GetLogger("HelloSequence_HttpStart");
        var instanceId = await client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequence));
        logger.LogInformation("Started orchestration with ID = '{InstanceId}'.", instanceId);
        return await client.CreateCheckStatusResponseAsync(req, instanceId);
    }
}
