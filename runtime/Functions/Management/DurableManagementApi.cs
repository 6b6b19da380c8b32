using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.DurableTask;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Functions.Hosting;
using Serverless.Functions.Http;
using Serverless.Functions.Security;

namespace Serverless.Functions.Management;

/// <summary>
/// The Durable Functions HTTP management API under <c>/runtime/webhooks/durabletask</c>: the same routes, verbs,
/// status codes, JSON fields and <c>x-ms-continuation-token</c> paging as Durable Functions 2.x. Every route needs
/// the Admin level (the host key, or what a registered <see cref="IFunctionsAuthorizationHandler"/> accepts).
/// Where Durable Functions silently ignores a malformed query value, this API answers 400 instead.
/// </summary>
internal sealed class DurableManagementApi(
    DurableTaskClient client,
    IOptionsMonitor<DurableTaskRegistry> registries,
    ManagementUrls urls,
    FunctionsHostEnvironment environment,
    ILogger<DurableManagementApi> logger)
{
    public const string ContinuationHeader = "x-ms-continuation-token";

    private string HubName => environment.HubName;

    private DurableTaskRegistry Registry => registries.Get(Options.DefaultName);

    private ILogger Logger => logger;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(ManagementUrls.BasePath);
        group.MapMethods("/orchestrators/{functionName}/{instanceId?}", ["POST"], Handle((api, http) => api.StartAsync(http)));
        group.MapMethods("/instances", ["GET"], Handle((api, http) => api.ListAsync(http)));
        group.MapMethods("/instances", ["DELETE"], Handle((api, http) => api.PurgeManyAsync(http)));
        group.MapMethods("/instances/{instanceId}", ["GET"], Handle((api, http) => api.GetStatusAsync(http)));
        group.MapMethods("/instances/{instanceId}", ["DELETE"], Handle((api, http) => api.PurgeOneAsync(http)));
        group.MapMethods("/instances/{instanceId}/raiseEvent/{eventName}", ["POST"], Handle((api, http) => api.RaiseEventAsync(http)));
        group.MapMethods("/instances/{instanceId}/{operation}", ["POST"], Handle((api, http) => api.OperationAsync(http)));
        group.MapMethods("/entities/{entityName?}", ["GET"], Handle((api, http) => api.ListEntitiesAsync(http)));
        group.MapMethods("/entities/{entityName}/{entityKey}", ["GET"], Handle((api, http) => api.GetEntityAsync(http)));
        group.MapMethods("/entities/{entityName}/{entityKey}", ["POST", "DELETE"], Handle((api, http) => api.SignalEntityAsync(http)));
    }

    private static RequestDelegate Handle(Func<DurableManagementApi, HttpContext, Task> handler) => async http =>
    {
        var services = http.RequestServices;
        if (await services.GetRequiredService<FunctionsAuthorizer>().AuthorizeAsync(http, AuthorizationLevel.Admin, null) is { } denied)
        {
            await denied.ExecuteAsync(http);
            return;
        }

        var api = services.GetRequiredService<DurableManagementApi>();
        try
        {
            if (Query(http, "taskHub") is { Length: > 0 } hub && !string.Equals(hub, api.HubName, StringComparison.OrdinalIgnoreCase))
            {
                throw new BadRequestException($"This host serves task hub '{api.HubName}' only, not '{hub}'.");
            }

            await handler(api, http);
        }
        catch (BadRequestException ex) when (!http.Response.HasStarted)
        {
            await Problem(http, StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            // A body over the size limit (413), a body that ended early, ...: the request's fault, said as such.
            await Problem(http, ex.StatusCode, ex.Message);
        }
        catch (ArgumentException ex) when (!http.Response.HasStarted)
        {
            await Problem(http, StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (PayloadTooLargeException ex) when (!http.Response.HasStarted)
        {
            await Problem(http, StatusCodes.Status413PayloadTooLarge, ex.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away.
        }
        catch (Exception ex) when (!http.Response.HasStarted && StoreUnavailableAnswer.Matches(ex))
        {
            StoreUnavailableAnswer.AddRetryAfter(http.Response);
            await Problem(http, StatusCodes.Status503ServiceUnavailable, StoreUnavailableAnswer.DetailFor(ex));
        }
        catch (Exception ex) when (!http.Response.HasStarted)
        {
            api.Logger.ManagementApiFailed(http.Request.Method, http.Request.Path, ex);
            await Problem(http, StatusCodes.Status500InternalServerError, "Something went wrong while processing the request; see the host log.");
        }
    };

    // POST /orchestrators/{functionName}/{instanceId?}
    private async Task StartAsync(HttpContext http)
    {
        var name = Route(http, "functionName")!;
        if (!Registry.GetOrchestrators().Any(o => string.Equals(o.Key.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new BadRequestException($"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function.");
        }

        var body = await ReadBodyAsync(http);
        object? input = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            input = ParseJson(body) ?? throw new BadRequestException("Invalid JSON content.");
        }

        var instanceId = Route(http, "instanceId") is { Length: > 0 } id ? id : Guid.NewGuid().ToString("N");
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(instanceId), http.RequestAborted);
        }
        catch (Exception ex) when (ClientErrors.IsAlreadyExists(ex))
        {
            await Problem(http, StatusCodes.Status409Conflict, ex.Message);
            return;
        }

        await CheckStatusOrWaitAsync(http, instanceId);
    }

    // GET /instances/{instanceId}
    private async Task GetStatusAsync(HttpContext http)
    {
        var instanceId = Route(http, "instanceId")!;
        var returnInternalServerErrorOnFailure = Bool(http, "returnInternalServerErrorOnFailure") ?? false;
        await WriteStatusAsync(http, instanceId, returnInternalServerErrorOnFailure);
    }

    internal async Task WriteStatusAsync(HttpContext http, string instanceId, bool returnInternalServerErrorOnFailure)
    {
        var showHistory = Bool(http, "showHistory") ?? false;
        var showHistoryOutput = Bool(http, "showHistoryOutput") ?? false;
        var showInput = Bool(http, "showInput") ?? true;
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, http.RequestAborted);
        if (metadata is null)
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No orchestration instance with id '{instanceId}' exists.");
            return;
        }

        IList<global::DurableTask.Core.History.HistoryEvent>? history = null;
        if (showHistory && metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
        {
            history = await client.GetOrchestrationHistoryAsync(instanceId, http.RequestAborted);
        }

        var status = metadata.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended => StatusCodes.Status202Accepted,
            OrchestrationRuntimeStatus.Failed when returnInternalServerErrorOnFailure => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status200OK,
        };
        if (status == StatusCodes.Status202Accepted)
        {
            http.Response.Headers.Location = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}{http.Request.QueryString}";
            http.Response.Headers.RetryAfter = "5";
        }

        await JsonResponses.WriteAsync(http, status, w => JsonResponses.WriteStatus(w, metadata, showInput, history, showHistoryOutput));
    }

    // GET /instances
    private async Task ListAsync(HttpContext http)
    {
        var showInput = Bool(http, "showInput") ?? false;
        var top = Int(http, "top") ?? 100;
        var token = ContinuationToken(http);
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = Query(http, "instanceIdPrefix"),
            CreatedFrom = Time(http, "createdTimeFrom"),
            CreatedTo = Time(http, "createdTimeTo"),
            Statuses = Statuses(http),
            PageSize = top,
            FetchInputsAndOutputs = true,
            ContinuationToken = token,
        };
        var page = await FirstPageAsync(client.GetAllInstancesAsync(query), token, top, http.RequestAborted);
        if (page.ContinuationToken is { Length: > 0 } next)
        {
            http.Response.Headers[ContinuationHeader] = next;
        }

        await JsonResponses.WriteAsync(http, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray();
            foreach (var metadata in page.Values)
            {
                JsonResponses.WriteStatus(w, metadata, showInput, null, false);
            }

            w.WriteEndArray();
        });
    }

    // DELETE /instances/{instanceId}
    private async Task PurgeOneAsync(HttpContext http)
    {
        var instanceId = Route(http, "instanceId")!;
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: http.RequestAborted);
        if (metadata is null)
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No orchestration instance with id '{instanceId}' exists.");
            return;
        }

        if (!metadata.IsCompleted)
        {
            await Problem(http, StatusCodes.Status412PreconditionFailed, $"Only orchestrations in a terminal state can be purged, but the orchestration with instance ID {instanceId} has status {metadata.RuntimeStatus}.");
            return;
        }

        var result = await client.PurgeInstanceAsync(instanceId, http.RequestAborted);
        await WritePurgeResultAsync(http, result.PurgedInstanceCount);
    }

    // DELETE /instances?createdTimeFrom=...
    private async Task PurgeManyAsync(HttpContext http)
    {
        var from = Time(http, "createdTimeFrom") ?? throw new BadRequestException("Please provide value for 'createdTimeFrom' parameter.");
        var to = Time(http, "createdTimeTo") ?? DateTimeOffset.UtcNow;
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(from, to, Statuses(http)), cancellation: http.RequestAborted);
        if (result.PurgedInstanceCount == 0)
        {
            await Problem(http, StatusCodes.Status404NotFound, "No finished instance matched the filter.");
            return;
        }

        await WritePurgeResultAsync(http, result.PurgedInstanceCount);
    }

    private static Task WritePurgeResultAsync(HttpContext http, int count) =>
        JsonResponses.WriteAsync(http, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("instancesDeleted", count);
            w.WriteEndObject();
        });

    // POST /instances/{instanceId}/raiseEvent/{eventName}
    private async Task RaiseEventAsync(HttpContext http)
    {
        var instanceId = Route(http, "instanceId")!;
        var eventName = Route(http, "eventName")!;
        if (await RequireRunningAsync(http, instanceId) is false)
        {
            return;
        }

        if (!string.Equals(http.Request.GetTypedHeaders().ContentType?.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadRequestException("Only application/json request content is supported.");
        }

        var body = await ReadBodyAsync(http);
        object? payload = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            payload = ParseJson(body) ?? throw new BadRequestException("Invalid JSON content.");
        }

        await ControlAsync(http, instanceId, () => client.RaiseEventAsync(instanceId, eventName, payload, http.RequestAborted));
    }

    // POST /instances/{instanceId}/{terminate|suspend|resume|restart|rewind}
    private async Task OperationAsync(HttpContext http)
    {
        var instanceId = Route(http, "instanceId")!;
        var operation = Route(http, "operation")!.ToUpperInvariant();
        var reason = Query(http, "reason");
        switch (operation)
        {
            case "TERMINATE":
                if (await RequireRunningAsync(http, instanceId))
                {
                    await ControlAsync(http, instanceId, () => client.TerminateInstanceAsync(instanceId, reason, http.RequestAborted));
                }

                break;
            case "SUSPEND":
                if (await RequireRunningAsync(http, instanceId))
                {
                    await ControlAsync(http, instanceId, () => client.SuspendInstanceAsync(instanceId, reason, http.RequestAborted));
                }

                break;
            case "RESUME":
                if (await RequireRunningAsync(http, instanceId))
                {
                    await ControlAsync(http, instanceId, () => client.ResumeInstanceAsync(instanceId, reason, http.RequestAborted));
                }

                break;
            case "RESTART":
                await RestartAsync(http, instanceId);
                break;
            case "REWIND":
                await RewindAsync(http, instanceId);
                break;
            default:
                await Problem(http, StatusCodes.Status404NotFound, $"'{Route(http, "operation")}' is not an instance operation; use terminate, suspend, resume, restart or raiseEvent/{{eventName}}.");
                break;
        }
    }

    private async Task RestartAsync(HttpContext http, string instanceId)
    {
        string newId;
        try
        {
            newId = await client.RestartAsync(instanceId, Bool(http, "restartWithNewInstanceId") ?? true, http.RequestAborted);
        }
        catch (Exception ex) when (ClientErrors.IsNotFound(ex))
        {
            // Durable Functions answers 400 here, not 404.
            throw new BadRequestException("InstanceId does not match a valid orchestration instance.");
        }
        catch (Exception ex) when (ClientErrors.IsAlreadyExists(ex))
        {
            await Problem(http, StatusCodes.Status409Conflict, "A non-terminal instance with this instance ID already exists.");
            return;
        }

        await CheckStatusOrWaitAsync(http, newId);
    }

    private async Task RewindAsync(HttpContext http, string instanceId)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: http.RequestAborted);
        if (metadata is null)
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No orchestration with instance ID \"{instanceId}\" found.");
        }
        else if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
        {
            await Problem(http, StatusCodes.Status412PreconditionFailed, $"This orchestration has status {metadata.RuntimeStatus}, but only orchestrations in the \"Failed\" state can be rewound.");
        }
        else
        {
            await Problem(http, StatusCodes.Status501NotImplemented, "Rewind is not supported by this host's storage provider; restart the instance instead.");
        }
    }

    // GET /entities/{entityName?}
    private async Task ListEntitiesAsync(HttpContext http)
    {
        var name = Route(http, "entityName");
        var fetchState = Bool(http, "fetchState") ?? false;
        var from = Time(http, "lastOperationTimeFrom");
        var to = Time(http, "lastOperationTimeTo");
        var top = Int(http, "top") ?? 100;
        var token = ContinuationToken(http);
        var query = new EntityQuery
        {
            InstanceIdStartsWith = string.IsNullOrEmpty(name) ? "@" : $"@{name.ToLowerInvariant()}@",
            LastModifiedFrom = from,
            LastModifiedTo = to,
            IncludeState = fetchState,
            PageSize = top,
            ContinuationToken = token,
        };
        var page = await FirstPageAsync(client.Entities.GetAllEntitiesAsync(query), token, top, http.RequestAborted);
        if (page.ContinuationToken is { Length: > 0 } next)
        {
            http.Response.Headers[ContinuationHeader] = next;
        }

        // The window is in the query; it is applied again here in case the store filters by name only (then a page may hold fewer than top).
        var entities = page.Values.Where(e => (from is null || e.LastModifiedTime >= from) && (to is null || e.LastModifiedTime <= to)).ToList();
        await JsonResponses.WriteAsync(http, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray();
            foreach (var entity in entities)
            {
                JsonResponses.WriteEntity(w, entity, fetchState);
            }

            w.WriteEndArray();
        });
    }

    // GET /entities/{entityName}/{entityKey}
    private async Task GetEntityAsync(HttpContext http)
    {
        var id = EntityId(http);
        var entity = await client.Entities.GetEntityAsync(id, includeState: true, http.RequestAborted);
        if (entity is null)
        {
            await Problem(http, StatusCodes.Status404NotFound, $"Entity '{id}' does not exist.");
            return;
        }

        await JsonResponses.WriteAsync(http, StatusCodes.Status200OK, w => JsonResponses.WriteRaw(w, entity.State?.Value));
    }

    // POST|DELETE /entities/{entityName}/{entityKey}?op=...
    private async Task SignalEntityAsync(HttpContext http)
    {
        var id = EntityId(http);
        if (!Registry.GetEntities().Any(e => string.Equals(e.Key.Name, id.Name, StringComparison.OrdinalIgnoreCase)))
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No entity function named '{id.Name}' exists.");
            return;
        }

        var operation = HttpMethods.IsDelete(http.Request.Method) ? "delete" : Query(http, "op");
        if (string.IsNullOrEmpty(operation))
        {
            throw new BadRequestException("Name the operation in the 'op' query parameter.");
        }

        var body = await ReadBodyAsync(http);
        object? input = null;
        if (!string.IsNullOrEmpty(body))
        {
            if (string.Equals(http.Request.GetTypedHeaders().ContentType?.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
            {
                input = ParseJson(body) ?? throw new BadRequestException("Could not parse JSON content.");
            }
            else
            {
                input = body;
            }
        }

        await client.Entities.SignalEntityAsync(id, operation, input, options: null, cancellation: http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private async Task CheckStatusOrWaitAsync(HttpContext http, string instanceId)
    {
        var timeout = Seconds(http, "timeout");
        var polling = Seconds(http, "pollingInterval");
        if (timeout is null || polling is null)
        {
            await new CheckStatusResponse(urls.Create(http.Request, instanceId)).ExecuteAsync(http);
            return;
        }

        // The store signals changes, so the wait needs no polling: pollingInterval is accepted and ignored, as
        // Durable Functions does for providers with poll-free waits.
        await WaitForCompletionOrCheckStatusAsync(http, instanceId, timeout.Value, returnInternalServerErrorOnFailure: false);
    }

    internal async Task WaitForCompletionOrCheckStatusAsync(HttpContext http, string instanceId, TimeSpan timeout, bool returnInternalServerErrorOnFailure)
    {
        OrchestrationMetadata? metadata = null;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted))
        {
            wait.CancelAfter(timeout);
            try
            {
                metadata = await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, wait.Token);
            }
            catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
            {
                // Not finished within the timeout: answer with the status URLs.
            }
        }

        switch (metadata?.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed:
                await JsonResponses.WriteAsync(http, StatusCodes.Status200OK, w => JsonResponses.WriteRaw(w, metadata.SerializedOutput));
                break;
            case OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated:
                await WriteStatusAsync(http, instanceId, returnInternalServerErrorOnFailure);
                break;
            default:
                await new CheckStatusResponse(urls.Create(http.Request, instanceId, returnInternalServerErrorOnFailure)).ExecuteAsync(http);
                break;
        }
    }

    /// <summary>Answers 404 for an unknown instance and 410 for a finished one; true when the instance is running.</summary>
    private async Task<bool> RequireRunningAsync(HttpContext http, string instanceId)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: http.RequestAborted);
        if (metadata is null)
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No orchestration instance with id '{instanceId}' exists.");
            return false;
        }

        if (metadata.IsCompleted)
        {
            await Problem(http, StatusCodes.Status410Gone, $"Instance '{instanceId}' has already finished ({metadata.RuntimeStatus}).");
            return false;
        }

        return true;
    }

    /// <summary>Runs a control operation; a race with the instance finishing or being purged still gives 410 or 404.</summary>
    private static async Task ControlAsync(HttpContext http, string instanceId, Func<Task> operation)
    {
        try
        {
            await operation();
            http.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        catch (Exception ex) when (ClientErrors.IsNotFound(ex))
        {
            await Problem(http, StatusCodes.Status404NotFound, $"No orchestration instance with id '{instanceId}' exists.");
        }
        catch (Exception ex) when (ClientErrors.IsStateConflict(ex))
        {
            await Problem(http, StatusCodes.Status410Gone, ex.Message);
        }
    }

    /// <summary>Reads the first page of a query: the page the caller's continuation token points at, at most <paramref name="top"/> values.</summary>
    private static async Task<Page<T>> FirstPageAsync<T>(AsyncPageable<T> pageable, string? continuationToken, int top, CancellationToken cancellationToken)
        where T : notnull
    {
        await foreach (var page in pageable.AsPages(continuationToken, top).WithCancellation(cancellationToken))
        {
            return page;
        }

        return new Page<T>([], null);
    }

    private static EntityInstanceId EntityId(HttpContext http)
    {
        var key = Route(http, "entityKey")!;
        return new EntityInstanceId(Route(http, "entityName")!, key == "$" ? string.Empty : key);
    }

    private static Task Problem(HttpContext http, int status, string detail) =>
        TypedResults.Problem(statusCode: status, detail: detail).ExecuteAsync(http);

    /// <summary>
    /// A route value (function, instance, event, operation, entity name or key). Only plain names are taken: letters,
    /// digits and <c>- _ . : @ + = ~ , $ !</c>, at most 256 — no control or format characters (NUL, bidirectional
    /// overrides), slashes, quotes or spaces. What the app creates itself always fits; an id this API would store
    /// must not be one that misleads whoever reads it later.
    /// </summary>
    private static string? Route(HttpContext http, string name)
    {
        var value = http.GetRouteValue(name)?.ToString();
        if (value is not null && (value.Length > MaxIdLength || !value.All(IsIdCharacter)))
        {
            throw new BadRequestException($"The {name} is not valid: use at most {MaxIdLength} letters, digits and - _ . : @ + = ~ , $ ! characters.");
        }

        return value;
    }

    private static bool IsIdCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@' or '+' or '=' or '~' or ',' or '$' or '!';

    private static string? Query(HttpContext http, string name) => http.Request.Query.TryGetValue(name, out var v) ? v.FirstOrDefault() : null;

    private static string? ContinuationToken(HttpContext http) =>
        http.Request.Headers.TryGetValue(ContinuationHeader, out var v) && v.FirstOrDefault() is { Length: > 0 } token ? token : null;

    private static bool? Bool(HttpContext http, string name) => Query(http, name) switch
    {
        null or "" => null,
        var text when bool.TryParse(text, out var b) => b,
        var text => throw new BadRequestException($"The '{name}' parameter must be true or false, not '{text}'."),
    };

    private static int? Int(HttpContext http, string name) => Query(http, name) switch
    {
        null or "" => null,
        var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => n,
        var text => throw new BadRequestException($"The '{name}' parameter must be a positive whole number, not '{text}'."),
    };

    private static TimeSpan? Seconds(HttpContext http, string name) => Query(http, name) switch
    {
        null or "" => null,
        var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s <= 3600 => TimeSpan.FromSeconds(s),
        var text => throw new BadRequestException($"The '{name}' parameter must be a number of seconds from 0 to 3600, not '{text}'."),
    };

    private static DateTimeOffset? Time(HttpContext http, string name) => Query(http, name) switch
    {
        null or "" => null,
        var text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
        var text => throw new BadRequestException($"The '{name}' parameter must be an ISO 8601 time such as 2026-01-31T12:00:00Z, not '{text}'."),
    };

    private static List<OrchestrationRuntimeStatus>? Statuses(HttpContext http)
    {
        if (!http.Request.Query.TryGetValue("runtimeStatus", out var values))
        {
            return null;
        }

        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (var text in values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(text, ignoreCase: true, out var status) || int.TryParse(text, CultureInfo.InvariantCulture, out _))
            {
                throw new BadRequestException($"'{text}' is not a runtime status; use {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses.Add(status);
        }

        return statuses.Count == 0 ? null : statuses;
    }

    private static async Task<string> ReadBodyAsync(HttpContext http) =>
        await JsonText.ReadBodyAsync(http.Request, http.RequestAborted) ?? throw new BadRequestException(JsonText.NotUtf8);

    /// <summary>Parses JSON into a value the client serializes back to the same JSON; null when it is not JSON.</summary>
    private static object? ParseJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return JsonText.FindInvalidString(document.RootElement) is null ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private const int MaxIdLength = 256;

    private sealed class BadRequestException(string message) : Exception(message);
}
