using System.Text.Json.Nodes;

namespace CompanyHub.Orchestrations.Approvals;

/// <summary>
/// Reads a decision typed in chat, as the proposal card invites: "approved"/"yes" approves, "no" rejects, and
/// "edit: ..." edits — either <c>field=value</c> lines, or free text that replaces the proposal's main text.
/// </summary>
public static class DecisionParser
{
    private static readonly string[] ApproveWords = ["approved", "approve", "yes", "y", "ok", "send it", "go ahead", "lgtm"];
    private static readonly string[] RejectWords = ["no", "n", "reject", "rejected", "cancel", "don't", "do not send"];

    public static ApprovalDecision? Parse(string? text, string type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim().TrimEnd('.', '!');
        if (ApproveWords.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
        {
            return new ApprovalDecision(ApprovalDecision.Approve);
        }

        if (RejectWords.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
        {
            return new ApprovalDecision(ApprovalDecision.Reject);
        }

        if (!trimmed.StartsWith("edit:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var body = text.Trim()[5..].Trim();
        var changes = new JsonObject();
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length > 0 && lines.All(l => l.IndexOf('=', StringComparison.Ordinal) is > 0 and var i && !l[..i].Contains(' ', StringComparison.Ordinal)))
        {
            foreach (var line in lines)
            {
                var i = line.IndexOf('=', StringComparison.Ordinal);
                changes[line[..i].Trim()] = line[(i + 1)..].Trim();
            }
        }
        else if (body.Length > 0)
        {
            changes[MainTextField(type)] = body;
        }

        return changes.Count == 0 ? null : new ApprovalDecision(ApprovalDecision.Edit, changes);
    }

    public static string MainTextField(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft or ProposalTypes.CreateGoogleDoc => "body",
        ProposalTypes.MessageAgent or ProposalTypes.ReplyAgent or ProposalTypes.Broadcast => "text",
        ProposalTypes.CreateAttioNote => "content",
        ProposalTypes.CreateAttioTask => "content",
        ProposalTypes.CreateCalendarEvent => "description",
        ProposalTypes.CreateNotionPage => "content",
        ProposalTypes.UpdateNotionPage => "appendText",
        _ => "text",
    };
}
