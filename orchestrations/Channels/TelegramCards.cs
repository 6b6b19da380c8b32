using System.Text;
using CompanyHub.Integrations.Telegram;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Orchestrations.Channels;

/// <summary>
/// A proposal on Telegram: the dashboard's card as plain text, and buttons whose <c>callback_data</c> carries the
/// decision, the revision shown and the proposal id (<c>a:2:p-…</c>; at most 64 bytes, as the Bot API allows).
/// </summary>
public static class TelegramCards
{
    /// <summary>The most bytes a button's <c>callback_data</c> may hold.</summary>
    public const int MaxCallbackData = 64;

    private static readonly Dictionary<char, string> Actions = new()
    {
        ['a'] = ApprovalDecision.Approve,
        ['e'] = ApprovalDecision.Edit,
        ['r'] = ApprovalDecision.Reject,
    };

    /// <summary>The card's text (its Markdown emphasis dropped: Telegram shows it as plain text).</summary>
    public static string Text(ProposalView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return view.Card.Replace("**", "", StringComparison.Ordinal) + $"\n\n(proposal {view.ProposalId}, revision {view.Revision})";
    }

    /// <summary>Approve / Edit / Reject for this revision; none when the id would not fit in <c>callback_data</c> (the dashboard still decides).</summary>
    public static IReadOnlyList<TelegramButton>? Buttons(string proposalId, int revision)
    {
        var buttons = new List<TelegramButton>
        {
            new("✅ Approve", Data('a', revision, proposalId)),
            new("✏️ Edit", Data('e', revision, proposalId)),
            new("❌ Reject", Data('r', revision, proposalId)),
        };
        return buttons.All(b => Encoding.UTF8.GetByteCount(b.CallbackData) <= MaxCallbackData) ? buttons : null;
    }

    /// <summary>Reads a button's <c>callback_data</c>: the decision, the revision it was shown for, the proposal; null when it is not one of ours.</summary>
    public static (string Decision, int Revision, string ProposalId)? Parse(string? data)
    {
        var parts = data?.Split(':', 3);
        return parts is { Length: 3 } && parts[0].Length == 1 && Actions.TryGetValue(parts[0][0], out var decision)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision) && revision > 0
            && parts[2].StartsWith("p-", StringComparison.Ordinal)
            ? (decision, revision, parts[2])
            : null;
    }

    /// <summary>The instance id of the delivery of a revision's card: one message per revision.</summary>
    public static string DeliveryId(string proposalId, int revision) => $"{proposalId}-telegram-r{revision}";

    private static string Data(char action, int revision, string proposalId) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{action}:{revision}:{proposalId}");
}
