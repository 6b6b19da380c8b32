using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Management;

namespace Serverless.Functions;

/// <summary>
/// The HTTP helpers of Durable Functions on <see cref="DurableTaskClient"/>, for HTTP-triggered functions that take
/// ASP.NET Core's <see cref="HttpRequest"/> (Microsoft's <c>DurableTaskClientExtensions</c> take the worker's
/// <c>HttpRequestData</c>, which this host does not bind). Same names and answers as Microsoft's.
/// </summary>
public static class AspNetCoreDurableTaskClientExtensions
{
    /// <summary>
    /// Creates the async HTTP 202 response for an instance: <c>Location</c> points at the status URL and the body
    /// lists <c>statusQueryGetUri</c>, <c>sendEventPostUri</c>, <c>terminatePostUri</c>, <c>purgeHistoryDeleteUri</c>,
    /// <c>restartPostUri</c>, <c>suspendPostUri</c> and <c>resumePostUri</c>. The URLs carry the host key only if
    /// <paramref name="request"/> itself was authorized with it.
    /// </summary>
    public static CheckStatusResponse CreateCheckStatusResponse(this DurableTaskClient client, HttpRequest request, string instanceId, bool returnInternalServerErrorOnFailure = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return new CheckStatusResponse(client.CreateHttpManagementPayload(request, instanceId, returnInternalServerErrorOnFailure));
    }

    /// <summary>The same as <see cref="CreateCheckStatusResponse"/>, with the name the isolated worker SDK uses.</summary>
    public static Task<CheckStatusResponse> CreateCheckStatusResponseAsync(this DurableTaskClient client, HttpRequest request, string instanceId, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        return Task.FromResult(client.CreateCheckStatusResponse(request, instanceId));
    }

    /// <summary>Gets the management URLs of an instance.</summary>
    internal static InstanceManagementUrls CreateHttpManagementPayload(this DurableTaskClient client, HttpRequest request, string instanceId, bool returnInternalServerErrorOnFailure = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return request.HttpContext.RequestServices.GetRequiredService<ManagementUrls>().Create(request, instanceId, returnInternalServerErrorOnFailure);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> (default 10 seconds) for the instance to finish. Completed: 200 with the
    /// output. Failed or terminated: the status payload. Still running: the 202 check-status response.
    /// </summary>
    public static Task<IResult> WaitForCompletionOrCreateCheckStatusResponseAsync(this DurableTaskClient client, HttpRequest request, string instanceId, TimeSpan? timeout = null, bool returnInternalServerErrorOnFailure = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        IResult result = new WaitResult(instanceId, timeout ?? TimeSpan.FromSeconds(10), returnInternalServerErrorOnFailure);
        return Task.FromResult(result);
    }

    private sealed class WaitResult(string instanceId, TimeSpan timeout, bool returnInternalServerErrorOnFailure) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            httpContext.RequestServices.GetRequiredService<DurableManagementApi>()
                .WaitForCompletionOrCheckStatusAsync(httpContext, instanceId, timeout, returnInternalServerErrorOnFailure);
    }
}
