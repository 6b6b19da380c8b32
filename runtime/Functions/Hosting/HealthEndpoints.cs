using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Hosting;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the store answers with its schema current, and the host is not stopping.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Ok(new { status = "Healthy" }));
        endpoints.MapGet("/readyz", ReadyAsync);
    }

    private static async Task ReadyAsync(HttpContext http) => await (await ReadinessAsync(http)).ExecuteAsync(http);

    private static async Task<IResult> ReadinessAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var environment = services.GetRequiredService<FunctionsHostEnvironment>();
        if (services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: "The host is stopping.");
        }

        bool ready;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            ready = services.GetService<IDurableStoreDiagnostics>() is { } diagnostics && await diagnostics.IsReadyAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HealthEndpoints)).ReadinessFailed(ex);
            ready = false;
        }

        return ready
            ? TypedResults.Ok(new { status = "Ready", hub = environment.HubName, storage = environment.StorageProvider })
            : TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: "The store is not reachable or its schema is not current yet.");
    }
}
