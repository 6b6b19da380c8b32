using Microsoft.AspNetCore.Http;
using Serverless.DurableTask;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Functions.Hosting;
using Serverless.Functions.Indexing;
using Serverless.Functions.Invocation;
using Serverless.Functions.Security;

namespace Serverless.Functions.Http;

/// <summary>The ASP.NET Core endpoint of one HTTP function: authorize, bind, invoke, write the result.</summary>
internal sealed class HttpFunctionHandler(FunctionDescriptor function)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var services = http.RequestServices;
        if (await services.GetRequiredService<FunctionsAuthorizer>().AuthorizeAsync(http, function.Http!.AuthLevel, function.Definition) is { } denied)
        {
            await denied.ExecuteAsync(http);
            return;
        }

        var executor = services.GetRequiredService<FunctionExecutor>();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        using var cancellation = executor.CreateCancellation(http.RequestAborted);
        var invocationId = http.TraceIdentifier;
        var context = new HostFunctionContext(function.Definition, invocationId, services, cancellation.Token, http);
        var invoked = false;
        try
        {
            var binding = await HttpArgumentBinder.BindAsync(function, http, context, json);
            if (binding.Problem is { } problem)
            {
                await problem.ExecuteAsync(http);
                return;
            }

            var instance = function.CreateInstance(services);
            invoked = true;
            var result = await executor.ExecuteAsync(function, instance, binding.Arguments, invocationId, $"HTTP {http.Request.Method} {http.Request.Path}", cancellation);
            await HttpResultWriter.WriteAsync(http, result, json);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; there is no one to answer.
        }
        catch (Exception ex) when (!http.Response.HasStarted)
        {
            if (!invoked)
            {
                // The executor logs failures of the function itself; failures before it (binding, construction) are logged here.
                services.GetRequiredService<ILoggerFactory>().CreateLogger($"Function.{function.Name}").FunctionFailed(function.Name, invocationId, 0, ex);
            }

            var status = ex switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                FunctionTimeoutException => StatusCodes.Status503ServiceUnavailable,
                PayloadTooLargeException => StatusCodes.Status413PayloadTooLarge,
                _ when StoreUnavailableAnswer.Matches(ex) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            };
            var development = services.GetRequiredService<IHostEnvironment>().IsDevelopment();
            var detail = ex switch
            {
                // The log names the file or the database and the cause; the caller learns only that it can try again later.
                _ when StoreUnavailableAnswer.Matches(ex) => StoreUnavailableAnswer.DetailFor(ex),
                BadHttpRequestException or FunctionTimeoutException or PayloadTooLargeException => ex.Message,
                _ when development => ex.Message,
                _ => $"The function failed; see the host log for invocation {invocationId}.",
            };
            http.Response.Clear();
            if (StoreUnavailableAnswer.Matches(ex))
            {
                StoreUnavailableAnswer.AddRetryAfter(http.Response);
            }

            await TypedResults.Problem(statusCode: status, title: $"Function '{function.Name}' failed", detail: detail).ExecuteAsync(http);
        }
    }
}
