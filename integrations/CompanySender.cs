using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Mail;
using CompanyHub.Orchestrations.Agents;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Integrations;

/// <summary>
/// The company's sender mailbox: the Google account the admin connected at <c>/oauth/google/connect-sender</c> (kept on the
/// orchestrator agent). Invites, dashboard links and notifications go out from it, each at most once per idempotency key.
/// </summary>
public sealed class CompanySender(GoogleCredentials google, IGmailClient gmail, IGoogleOAuthClient oauth, DurableTaskClient client)
{
    /// <summary>Says why the hub cannot send mail now (Google not configured, no sender connected), or null when it can.</summary>
    public async Task<string?> WhyUnavailableAsync(CancellationToken cancellationToken)
    {
        if (!oauth.IsConfigured)
        {
            return "Google is not configured (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET), so the hub sends no email.";
        }

        var sender = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(SystemPrompts.OrchestratorId), cancellationToken))?.State;
        return sender?.SealedGoogleRefreshToken is null ? "No sender mailbox is connected: the admin connects one at /oauth/google/connect-sender." : null;
    }

    /// <summary>
    /// Sends a plain-text email from the sender mailbox. A repeat with the same <paramref name="idempotencyKey"/> (after a
    /// crash or a retry) finds the earlier message by its Message-ID and sends nothing. Throws what <see cref="WhyNotSent"/> explains.
    /// </summary>
    public async Task SendAsync(string to, string subject, string body, string idempotencyKey, CancellationToken cancellationToken)
    {
        var (token, from) = await google.AccessTokenAsync(SystemPrompts.OrchestratorId, cancellationToken);
        await GmailSendOnce.SendAsync(gmail, token, new EmailMessage { From = from, To = [to], Subject = subject, Body = body }, idempotencyKey, cancellationToken);
    }

    /// <summary>Why a send failed, in words for the admin or the audit log, for the failures a send can meet; null for anything else (a bug).</summary>
    public static string? WhyNotSent(Exception exception) => exception switch
    {
        IntegrationException ex => ex.Message,
        Security.SecretBoxException ex => $"the sender's Google credential cannot be opened ({ex.Message}); connect the sender again",
        _ => null,
    };
}
