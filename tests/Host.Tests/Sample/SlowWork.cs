using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>An orchestration whose activity runs until the host stops; used by the graceful-shutdown test only.</summary>
public static class SlowWork
{
    public static TaskCompletionSource ActivityStarted { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource ActivityCancelled { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static bool Block { get; set; } = true;

    public static void Reset()
    {
        ActivityStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ActivityCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Block = true;
    }

    [Function(nameof(SlowOrchestration))]
    public static Task<string> SlowOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>(nameof(SlowActivity), "job");

    [Function(nameof(SlowActivity))]
    public static async Task<string> SlowActivity([ActivityTrigger] string input, CancellationToken cancellationToken)
    {
        ActivityStarted.TrySetResult();
        if (Block)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                ActivityCancelled.TrySetResult();
                throw;
            }
        }

        return $"{input} done";
    }
}
