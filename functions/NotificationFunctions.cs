using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Notifications;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>A person's notification settings: which channels tell them of waiting proposals, and whether they are reminded.</summary>
public sealed class NotificationFunctions(NotificationChannels channels, IAuditLog audit)
{
    public const string RemindersField = "reminders";

    [Function("GetAgentNotifications")]
    public async Task<IResult> GetAgentNotifications(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/notifications")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(await ViewAsync(agent, agent.Notifications, cancellationToken));
    }

    /// <summary>Body: any of the channel names and <c>reminders</c>, each true or false; what is not named stays as it was.</summary>
    [Function("SetAgentNotifications")]
    public async Task<IResult> SetAgentNotifications(
        [HttpTrigger(AuthorizationLevel.User, "put", Route = "agents/{agentId}/notifications")] HttpRequest req,
        string agentId, JsonObject body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        var settings = new NotificationSettings { Channels = new(agent.Notifications.Channels, StringComparer.Ordinal), Reminders = agent.Notifications.Reminders };
        var errors = new Dictionary<string, string[]>();
        var known = string.Join(", ", channels.All.Select(c => c.Name).Append(RemindersField));
        foreach (var (name, value) in body)
        {
            if (name != RemindersField && channels.Find(name) is null)
            {
                errors[name] = [$"'{name}' is not a notification setting here; the settings are: {known}."];
            }
            else if (value is not JsonValue v || v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                errors[name] = [$"{name} must be true or false."];
            }
            else if (name == RemindersField)
            {
                settings.Reminders = v.GetValue<bool>();
            }
            else
            {
                settings.Channels[name] = v.GetValue<bool>();
            }
        }

        if (errors.Count == 0 && body.Count == 0)
        {
            errors["body"] = [$"Name at least one setting ({known}), each true or false."];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        await EntityCalls.CallAsync(client, AgentEntity.Id(agentId), nameof(AgentEntity.SetNotifications), settings, cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "agent.notifications", agentId, agentId,
            Describe(settings), TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(await ViewAsync(agent, settings, cancellationToken));
    }

    /// <summary>
    /// <c>{ "&lt;channel&gt;": on, ..., "reminders": on, "channels": { "&lt;channel&gt;": { "on", "available", "status" } } }</c>:
    /// the person's choice per channel, and whether each channel can reach them now (and why not).
    /// </summary>
    private async Task<JsonObject> ViewAsync(AgentState agent, NotificationSettings settings, CancellationToken cancellationToken)
    {
        var view = new JsonObject();
        var status = new JsonObject();
        foreach (var plan in await channels.PlanAsync(agent, cancellationToken))
        {
            var on = settings.IsOn(plan.Name);
            view[plan.Name] = on;
            status[plan.Name] = new JsonObject { ["on"] = on, ["available"] = plan.WhyUnavailable is null, ["status"] = plan.WhyUnavailable };
        }

        view[RemindersField] = settings.Reminders;
        view["channels"] = status;
        return view;
    }

    private string Describe(NotificationSettings settings) =>
        string.Join(", ", channels.All.Select(c => $"{c.Name} {(settings.IsOn(c.Name) ? "on" : "off")}").Append($"reminders {(settings.Reminders ? "on" : "off")}"));
}
