using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CompanyHub.Entities;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Telegram;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>The Telegram channel: the bot's webhook, and a person's link to the company bot.</summary>
public sealed class TelegramFunctions(TelegramChannel channel, ITelegramBotClient bot, KeyRing keys, IAuditLog audit)
{
    /// <summary>The header Telegram sends the webhook's secret in.</summary>
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    /// <summary>
    /// Telegram posts each update here (<c>setWebhook</c> at start-up). Without the secret header derived from the master
    /// key, or with a wrong one: 401 and nothing is done. A handled update answers 200 (a replayed one too, doing nothing).
    /// </summary>
    [Function("TelegramWebhook")]
    public async Task<IResult> Webhook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "channels/telegram/webhook")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!IsFromTelegram(req.Headers[SecretHeader].ToString()))
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: $"The {SecretHeader} header is missing or wrong.");
        }

        if (!bot.IsConfigured)
        {
            return Problems.NotFound("Telegram is not configured on this hub (TELEGRAM_BOT_TOKEN).");
        }

        TelegramUpdate? update;
        try
        {
            using var body = await JsonDocument.ParseAsync(req.Body, cancellationToken: cancellationToken);
            update = TelegramBotClient.ParseUpdate(body.RootElement);
        }
        catch (JsonException)
        {
            update = null;
        }

        if (update is null)
        {
            return Problems.BadRequest("The body is not a Telegram update: a JSON object with a numeric update_id.");
        }

        await channel.HandleAsync(update, TokenAuthenticator.AddressOf(req.HttpContext), cancellationToken);
        return Results.Ok();
    }

    /// <summary>Whether a webhook call carries the secret (compared in constant time).</summary>
    private bool IsFromTelegram(string presented) =>
        presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(keys.TelegramWebhookSecret));

    /// <summary><c>{ configured, linked, username, linkedAt }</c>: whether the agent is linked to a Telegram account.</summary>
    [Function("GetTelegramLink")]
    public async Task<IResult> GetLink(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/channels/telegram")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        var link = await LinkOfAsync(client, agentId, cancellationToken);
        return Results.Ok(new { configured = bot.IsConfigured, linked = link is not null, username = link?.Username, linkedAt = link?.LinkedAt });
    }

    /// <summary>
    /// A one-time linking code (15 minutes) and the deep link <c>https://t.me/&lt;bot&gt;?start=&lt;code&gt;</c> that sends it
    /// to the bot; only its hash is kept, and a new code replaces the agent's older ones. 409 when the agent is already
    /// linked or the bot is not configured; 403 for the admin (linking is the person's act).
    /// </summary>
    [Function("CreateTelegramLinkCode")]
    public async Task<IResult> CreateLinkCode(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/channels/telegram")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        if (caller.IsAdmin)
        {
            // The code binds whoever sends it to the agent: only its person makes one.
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Linking Telegram is the person's own act: a code is made on their own dashboard.");
        }

        if (!bot.IsConfigured)
        {
            return Problems.Conflict("Telegram is not configured on this hub: the admin sets TELEGRAM_BOT_TOKEN (docs/channels.md).");
        }

        if (await LinkOfAsync(client, agentId, cancellationToken) is not null)
        {
            return Problems.Conflict("This agent is already linked to a Telegram account: unlink it first.");
        }

        TelegramBot me;
        try
        {
            me = await bot.GetMeAsync(cancellationToken);
        }
        catch (IntegrationException ex)
        {
            return Problems.Unavailable($"Telegram could not be reached to name the bot: {ex.Message}");
        }

        var code = Base64Url.Encode(RandomNumberGenerator.GetBytes(18));
        var expiresAt = DateTimeOffset.UtcNow + TelegramChannel.CodeLifetime;
        await EntityCalls.CallAsync(client, TelegramEntity.Id, nameof(TelegramEntity.AddCode), new TelegramCodeRequest(TelegramChannel.HashCode(code), agentId, expiresAt, DateTimeOffset.UtcNow), cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "telegram.code", agentId, agentId, "a Telegram linking code was made (valid 15 minutes, single use)", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(new { code, link = $"https://t.me/{me.Username}?start={code}", bot = me.Username, expiresAt });
    }

    /// <summary>Ends the agent's Telegram link: <c>{ linked: false, unlinked }</c> (<c>unlinked</c> false when there was none).</summary>
    [Function("DeleteTelegramLink")]
    public async Task<IResult> DeleteLink(
        [HttpTrigger(AuthorizationLevel.User, "delete", Route = "agents/{agentId}/channels/telegram")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        if (await AgentAccess.LoadAsync(client, caller, agentId, cancellationToken) is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        var removed = await EntityCalls.CallAsync<TelegramLink?>(client, TelegramEntity.Id, nameof(TelegramEntity.UnlinkAgent), agentId, cancellationToken);
        if (removed is not null)
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "telegram.unlinked", agentId, $"telegram:{removed.UserId}", "unlinked from the dashboard", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        }

        return Results.Ok(new { linked = false, unlinked = removed is not null });
    }

    private static async Task<TelegramLink?> LinkOfAsync(DurableTaskClient client, string agentId, CancellationToken cancellationToken) =>
        (await client.Entities.GetEntityAsync<TelegramState>(TelegramEntity.Id, cancellation: cancellationToken))?.State?.LinkOfAgent(agentId);
}
