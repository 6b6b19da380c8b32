using System.Text.Json.Nodes;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Integrations;

/// <summary>A proposal's payload as it will be shown and approved, or why it cannot be proposed.</summary>
/// <param name="Payload">The payload to propose (null when refused).</param>
/// <param name="Refused">Why nothing is proposed.</param>
/// <param name="InvalidInput">Whether the refusal is about the input (a draft that does not exist) rather than the service or the person's access.</param>
/// <param name="ServiceFailed">Whether the service failed (down, rate-limited, timed out): proposing again later may work.</param>
public sealed record PreparedProposal(JsonObject? Payload, string? Refused = null, bool InvalidInput = false, bool ServiceFailed = false);

/// <summary>
/// Reads what a proposal must show as it is when proposed: a <c>send_gmail_draft</c>'s draft (recipients, subject,
/// body, and the message id that tells, at approval, whether the draft changed). Other types go as they are.
/// </summary>
public sealed class ProposalPreparation(GoogleCredentials google, IGmailClient gmail)
{
    public async Task<PreparedProposal> PrepareAsync(string agentId, string type, JsonObject payload, CancellationToken cancellationToken)
    {
        if (type != ProposalTypes.SendGmailDraft)
        {
            return new PreparedProposal(payload);
        }

        var draftId = ProposalValidator.Text(payload, "draftId")!.Trim();
        GmailDraft draft;
        try
        {
            draft = await google.CallAsync(agentId, GoogleScopes.GmailCompose, (token, _) => gmail.GetDraftAsync(token, draftId, GmailMessageFormat.Full, cancellationToken), cancellationToken);
        }
        catch (ToolNotConfiguredException ex)
        {
            return new PreparedProposal(null, ex.Message);
        }
        catch (IntegrationException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return new PreparedProposal(null, $"There is no Gmail draft '{draftId}' (deleted, or already sent); use gmail_list_drafts.", InvalidInput: true);
        }
        catch (IntegrationException ex)
        {
            return new PreparedProposal(null, $"The draft could not be read: {ProposalActionRunner.Describe(ex)}", ServiceFailed: true);
        }

        var message = draft.Message;
        if (string.IsNullOrWhiteSpace(message.To) && string.IsNullOrWhiteSpace(message.Cc) && string.IsNullOrWhiteSpace(message.Bcc))
        {
            return new PreparedProposal(null, $"The Gmail draft '{draftId}' has no recipients yet; add them in Gmail first.", InvalidInput: true);
        }

        var prepared = new JsonObject { ["draftId"] = draft.Id, ["messageId"] = message.Id };
        if (message.MessageIdHeader is { } header)
        {
            prepared["messageIdHeader"] = header;
        }

        prepared["to"] = Addresses(message.To);
        foreach (var (field, copies) in new[] { ("cc", message.Cc), ("bcc", message.Bcc) })
        {
            if (!string.IsNullOrWhiteSpace(copies))
            {
                prepared[field] = Addresses(copies);
            }
        }

        prepared["subject"] = message.Subject ?? "";
        prepared["body"] = message.BodyTruncated ? message.Body + "\n…(the rest of the draft is not shown)" : message.Body ?? "";
        return new PreparedProposal(prepared);
    }

    /// <summary>
    /// The addresses of a To/Cc/Bcc header (<c>Sarah &lt;sarah@acme.com&gt;, bob@company.com</c> → <c>sarah@acme.com, bob@company.com</c>),
    /// as grants and the card compare them; a header that does not parse stays as it is (and then matches no grant's bounds).
    /// </summary>
    private static string Addresses(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return "";
        }

        try
        {
            var addresses = new System.Net.Mail.MailAddressCollection { header };
            return string.Join(", ", addresses.Select(a => a.Address));
        }
        catch (FormatException)
        {
            return header;
        }
    }
}
