using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/agents/{agentId}/messages</c>.</summary>
public sealed record ChatMessage(string? Text);

/// <summary>Chat with an agent.</summary>
public sealed class MessageFunctions(IConversationArchive archive, AgentChat chat)
{
    public const int MaxText = 20_000;

    [Function("SendMessage")]
    public async Task<IResult> SendMessage(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/messages")] HttpRequest req,
        string agentId, ChatMessage body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        if (!IsValidText(body.Text, out var invalid))
        {
            return invalid;
        }

        return (await chat.SendAsync(client, caller, agent, body.Text, req.HttpContext.Response, cancellationToken)).Result;
    }

    /// <summary>Whether a chat or broadcast text is fine; else <paramref name="problem"/> says why (missing, too long, control characters).</summary>
    public static bool IsValidText([NotNullWhen(true)] string? text, [NotNullWhen(false)] out IResult? problem)
    {
        problem = string.IsNullOrWhiteSpace(text) || text.Length > MaxText ? Problems.Invalid(new Dictionary<string, string[]> { ["text"] = [$"text is required, at most {MaxText} characters."] })
            : FreeText.HasControlCharacters(text) ? Problems.Invalid(new Dictionary<string, string[]> { ["text"] = ["text " + FreeText.ControlCharacters] })
            : null;
        return problem is null;
    }

    [Function("ReadMessages")]
    public async Task<IResult> ReadMessages(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/messages")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken, long after = 0, int top = 100)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        var messages = await archive.ReadAsync(agentId, after, Math.Clamp(top, 1, 500), cancellationToken);
        return Results.Ok(new { messages, working = agent.WorkingTurnId is not null, next = messages.Count > 0 ? messages[^1].Seq : after });
    }
}
