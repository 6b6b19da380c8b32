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
    /// <summary>Creates the cancellation of one invocation: cancelled with <paramref name="outer"/> or when the function timeout passes.</summary>
    public InvocationCancellation CreateCancellation(CancellationToken outer) => new(outer, environment.FunctionTimeout);

    public async Task<object?> ExecuteAsync(FunctionDescriptor function, object? instance, object?[] arguments, string invocationId, string reason, InvocationCancellation cancellation)
    {
        var logger = loggerFactory.CreateLogger($"Function.{function.Name}");
        logger.FunctionExecuting(function.Name, reason, invocationId);
        var started = Stopwatch.GetTimestamp();
        var timeout = environment.FunctionTimeout;
        try
        {
            var invocation = function.InvokeAsync(instance, arguments);
            object? result;
            try
            {
                result = timeout is null ? await invocation : await invocation.WaitAsync(timeout.Value);
            }
            catch (TimeoutException)
            {
                // The wait and the invocation's own cancellation share the timeout: on a busy machine the invocation may
                // already have ended (cancelled) when this runs, and it is still the timeout that ended it. An invocation
                // still running ends when it observes its cancelled token; its outcome is no longer wanted.
                _ = invocation.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw new FunctionTimeoutException(function.Name, timeout!.Value);
            }
            catch (OperationCanceledException ex) when (cancellation.TimedOut)
            {
                throw new FunctionTimeoutException(function.Name, timeout!.Value, ex);
            }

            logger.FunctionExecuted(function.Name, "Succeeded", invocationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            logger.FunctionExecuted(function.Name, "Cancelled", invocationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
        catch (Exception ex) when (Serverless.DurableTask.StoreFaults.IsUnavailable(ex))
        {
            // Disk full, read-only, database unreachable: one clear line, not a stack trace per request.
            logger.FunctionStorageFault(function.Name, invocationId, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            logger.FunctionFailed(function.Name, invocationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex);
            throw;
        }
    }
}

/// <summary>The cancellation of one invocation: the caller's (request aborted, host stopping) or the function timeout.</summary>
internal sealed class InvocationCancellation : IDisposable
{
    private readonly CancellationToken _outer;
    private readonly CancellationTokenSource _source;

    public InvocationCancellation(CancellationToken outer, TimeSpan? timeout)
    {
        _outer = outer;
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        if (timeout is { } t)
        {
            _source.CancelAfter(t);
        }
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Gets whether the token was cancelled by the function timeout rather than by the caller.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

    public void Dispose() => _source.Dispose();
}
