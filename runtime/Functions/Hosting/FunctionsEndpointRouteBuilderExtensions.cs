using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Http;
using Serverless.Functions.Indexing;
using Serverless.Functions.Management;

namespace Serverless.Functions.Hosting;

/// <summary>Maps the host's endpoints: <c>app.MapFunctions()</c>.</summary>
public static class FunctionsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every HTTP function under the route prefix, the Durable Functions management API under
    /// <c>/runtime/webhooks/durabletask</c>, and <c>/healthz</c> and <c>/readyz</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapFunctions(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var catalog = endpoints.ServiceProvider.GetService<FunctionCatalog>()
            ?? throw new InvalidOperationException("Call builder.AddFunctionsHost(...) before app.MapFunctions().");
        foreach (var function in catalog.Of(FunctionTriggerType.Http))
        {
            var handler = new HttpFunctionHandler(function);
            var pattern = "/" + function.RouteTemplate;
            var endpoint = function.HttpMethods.Count == 0
                ? endpoints.Map(pattern, handler.InvokeAsync)
                : endpoints.MapMethods(pattern, function.HttpMethods, handler.InvokeAsync);
            endpoint.WithDisplayName($"Functions.{function.Name}").WithMetadata(function.Definition);
        }

        DurableManagementApi.Map(endpoints);
        HealthEndpoints.Map(endpoints);
        return endpoints;
    }
}
