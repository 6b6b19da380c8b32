using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Indexing;

/// <summary>
/// Runs one invocation of an HTTP, activity, entity or timer function: logs it as Azure Functions does
/// ("Executing"/"Executed" in category <c>Function.{Name}</c>) and enforces host.json's <c>functionTimeout</c>.
/// Orchestrators do not come through here: they replay, and their code must stay on the orchestration thread.
/// </summary>
internal sealed class FunctionExecutor(ILoggerFactory loggerFactory, FunctionsHostEnvironment environment)
{
    public TimeSpan? Timeout => environment.FunctionTimeout;

    /// <summary>Creates the token source an invocation's cancellation token comes from: cancelled with <paramref name="outer"/> or at the timeout.</summary>
    public CancellationTokenSource CreateCancellation(CancellationToken outer)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        if (environment.FunctionTimeout is { } timeout)
        {
            source.CancelAfter(timeout);
        }

        return source;
    }

    public async Task<object?> ExecuteAsync(FunctionDescriptor function, object? instance, object?[] arguments, string invocationId, string reason)
    {
        var logger = loggerFactory.CreateLogger($"Function.{function.Name}");
        logger.FunctionExecuting(function.Name, reason, invocationId);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var invocation = function.InvokeAsync(instance, arguments);
            object? result;
            if (environment.FunctionTimeout is not { } timeout)
            {
                result = await invocation;
            }
            else
            {
                try
                {
                    result = await invocation.WaitAsync(timeout);
                }
                catch (TimeoutException) when (!invocation.IsCompleted)
                {
                    // The invocation keeps running until it observes its cancelled token; its outcome is no longer wanted.
                    _ = invocation.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw new FunctionTimeoutException(function.Name, timeout);
                }
            }

            logger.FunctionExecuted(function.Name, "Succeeded", invocationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (Exception ex)
        {
            logger.FunctionFailed(function.Name, invocationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex);
            throw;
        }
    }
}
