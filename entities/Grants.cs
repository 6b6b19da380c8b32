using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Entities;

/// <summary>
/// A person's standing approval for one class of actions of their own agent (kept in the agent entity's state): the
/// action type, bounds that fit it, a count per day and an expiry. See docs/approvals.md, "Standing grants".
/// </summary>
public sealed class StandingGrant
{
    public string GrantId { get; set; } = "";

    public string Type { get; set; } = "";

    /// <summary>Gets or sets the bounds by name (<see cref="GrantRules.BoundsOf"/>), each a list of allowed values.</summary>
    public Dictionary<string, List<string>> Bounds { get; set; } = new(StringComparer.Ordinal);

    public int MaxPerDay { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset? EditedAt { get; set; }

    public string? EditedBy { get; set; }

    public string? RevokedBy { get; set; }

    /// <summary>Gets or sets the UTC day <see cref="UsedToday"/> counts (yyyy-MM-dd).</summary>
    public string Day { get; set; } = "";

    public int UsedToday { get; set; }

    public int Uses { get; set; }

    /// <summary>Gets or sets the proposals claimed under this grant that wait out their undo window.</summary>
    public List<string> Held { get; set; } = [];

    public bool IsActive(DateTimeOffset at) => RevokedAt is null && ExpiresAt > at;
}

/// <summary>The admin's company-wide ceiling for grants of one type: none at all, or bounds and a count that no grant may exceed.</summary>
/// <param name="Type">The action type.</param>
/// <param name="Allowed">Whether grants of this type are allowed at all.</param>
/// <param name="Bounds">The widest bounds a grant may have (an absent bound does not restrict).</param>
/// <param name="MaxPerDay">The highest count per day a grant may have, or null.</param>
public sealed record GrantCeiling(string Type, bool Allowed, Dictionary<string, List<string>> Bounds, int? MaxPerDay);

/// <summary>The input of <see cref="AgentEntity.ClaimGrant"/>.</summary>
/// <param name="Hold">Whether the proposal waits out an undo window (then it is settled by <see cref="AgentEntity.SettleGrant"/>).</param>
public sealed record GrantClaim(string ProposalId, string Type, JsonObject Payload, DateTimeOffset At, GrantCeiling? Ceiling, bool Hold);

/// <summary>What <see cref="AgentEntity.ClaimGrant"/> found: the grant that covers the proposal (its count taken), or which bound it crossed.</summary>
public sealed record GrantClaimResult(string? GrantId, string? Crossed);

/// <summary>The input of <see cref="AgentEntity.SettleGrant"/>: the end of a held proposal's undo window (<paramref name="Run"/>) or its undo.</summary>
public sealed record GrantSettlement(string GrantId, string ProposalId, bool Run, DateTimeOffset At)
{
    /// <summary>Gets the proposal's type and payload, checked against the grant's bounds as they are now (an edit may have narrowed them); absent in older histories.</summary>
    public string? Type { get; init; }

    public System.Text.Json.Nodes.JsonObject? Payload { get; init; }
}

/// <summary>The input of <see cref="AgentEntity.EditGrant"/>: the grant's new bounds, count and expiry (its type never changes).</summary>
public sealed record GrantEdit(string GrantId, Dictionary<string, List<string>> Bounds, int MaxPerDay, DateTimeOffset ExpiresAt, string By, DateTimeOffset At);

/// <summary>What <see cref="AgentEntity.EditGrant"/> did: <c>Found</c> false for an unknown grant; <c>Active</c> false (nothing changed) for a revoked or expired one.</summary>
public sealed record GrantEditResult(bool Found, bool Active, StandingGrant? Grant, List<string> Held);

/// <summary>The input of <see cref="AgentEntity.RevokeGrant"/>.</summary>
public sealed record GrantRevocation(string GrantId, string By, DateTimeOffset At);

/// <summary>Which action types a grant can cover, the bounds of each, and whether a proposal stays inside them.</summary>
public static class GrantRules
{
    public const int DefaultDays = 7;
    public const int MaxDays = 90;
    public const int MaxPerDayLimit = 100;
    public const int MaxActiveGrants = 50;
    public const int MaxValuesPerBound = 50;

    /// <summary>
    /// The types a grant can cover. Never <c>reply_agent</c> (it shares what the person's agent found with another
    /// person), never the orchestrator's, never a <c>grant</c> proposal itself; not the changes of an existing calendar
    /// event (<c>update_calendar_event</c>, <c>cancel_calendar_event</c>, <c>respond_calendar_event</c>), whose guests —
    /// the people told — are not in the proposal, so no bound could be checked against them.
    /// </summary>
    public static IReadOnlyList<string> Types { get; } =
    [
        ProposalTypes.SendEmail, ProposalTypes.CreateCalendarEvent, ProposalTypes.CreateNotionPage, ProposalTypes.UpdateNotionPage,
        ProposalTypes.UpdateAttioRecord, ProposalTypes.CreateAttioNote, ProposalTypes.CreateAttioTask, ProposalTypes.MessageAgent,
        ProposalTypes.CreateAttioRecord, ProposalTypes.CompleteAttioTask, ProposalTypes.ArchiveNotionPage, ProposalTypes.AppendNotionBlocks,
        ProposalTypes.SendGmailDraft,
    ];

    /// <summary>The bounds a grant of <paramref name="type"/> may have; the first of <see cref="RequiredOneOf"/> must be set.</summary>
    public static IReadOnlyList<string> BoundsOf(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.CreateCalendarEvent or ProposalTypes.SendGmailDraft => ["recipients", "domains"],
        ProposalTypes.CreateNotionPage => ["parents"],
        ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks => ["pages"],
        ProposalTypes.UpdateAttioRecord or ProposalTypes.CreateAttioNote => ["objects", "records"],
        ProposalTypes.CreateAttioRecord => ["objects"],
        ProposalTypes.MessageAgent => ["agents"],
        _ => [],
    };

    /// <summary>The bounds of which a grant of <paramref name="type"/> needs at least one (empty: none needed).</summary>
    public static IReadOnlyList<string> RequiredOneOf(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft => ["recipients", "domains"],
        ProposalTypes.CreateNotionPage => ["parents"],
        ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks => ["pages"],
        ProposalTypes.UpdateAttioRecord or ProposalTypes.CreateAttioNote or ProposalTypes.CreateAttioRecord => ["objects"],
        ProposalTypes.MessageAgent => ["agents"],
        _ => [],
    };

    /// <summary>
    /// Whether a covered proposal of this type is held for an undo window before it runs: the actions that reach another
    /// person and cannot be taken back (an email, an invitation to an event, a message to another agent).
    /// </summary>
    public static bool HasUndoWindow(string type) => type is ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft or ProposalTypes.CreateCalendarEvent or ProposalTypes.MessageAgent;

    /// <summary>Validates a grant's type, bounds, count and expiry; errors name the field. Returns the normalised bounds.</summary>
    /// <remarks>For a ceiling (<paramref name="ceiling"/>) no bound and no count is required.</remarks>
    public static Dictionary<string, List<string>> Validate(string? type, JsonObject? bounds, int? maxPerDay, int? expiresInDays, Dictionary<string, string[]> errors, string prefix = "", bool ceiling = false)
    {
        void Add(string field, string message) => errors[prefix + field] = [.. errors.GetValueOrDefault(prefix + field, []), message];
        var normalised = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(type) || !Types.Contains(type))
        {
            Add("type", type == ProposalTypes.ReplyAgent
                ? "reply_agent cannot be granted: a reply shares what your agent found for you with another person, so each one waits for you."
                : $"type must be one of: {string.Join(", ", Types)}.");
            return normalised;
        }

        var allowed = BoundsOf(type);
        foreach (var (key, node) in bounds ?? [])
        {
            if (!allowed.Contains(key))
            {
                Add($"bounds.{key}", allowed.Count == 0
                    ? $"a {type} grant has no bounds other than maxPerDay and expiresInDays."
                    : $"a {type} grant has no bound '{key}'; it has {string.Join(", ", allowed)}.");
                continue;
            }

            var values = node switch
            {
                JsonArray a when a.All(x => x is JsonValue v && v.TryGetValue<string>(out _)) => a.Select(x => x!.GetValue<string>().Trim()).ToList(),
                JsonValue v when v.TryGetValue<string>(out var s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
                _ => null,
            };
            if (values is null || values.Count == 0 || values.Any(string.IsNullOrWhiteSpace))
            {
                Add($"bounds.{key}", $"{key} must be a non-empty array of strings.");
                continue;
            }

            if (values.Count > MaxValuesPerBound)
            {
                Add($"bounds.{key}", $"{key} has more than {MaxValuesPerBound} values.");
                continue;
            }

            foreach (var bad in values.Where(x => WhyNotValue(key, x) is not null))
            {
                Add($"bounds.{key}", WhyNotValue(key, bad)!);
            }

            normalised[key] = values.Select(x => Normalise(key, x)).Distinct(StringComparer.Ordinal).ToList();
        }

        if (!ceiling && RequiredOneOf(type) is { Count: > 0 } required && !required.Any(r => bounds?.ContainsKey(r) == true))
        {
            Add($"bounds.{required[0]}", $"a {type} grant needs bounds: {string.Join(" or ", required)} (which {Noun(type)} it covers).");
        }

        if ((maxPerDay is not { } max || max < 1 || max > MaxPerDayLimit) && !(ceiling && maxPerDay is null))
        {
            Add("maxPerDay", $"maxPerDay is required: how many actions a day the grant covers, 1 to {MaxPerDayLimit}.");
        }

        if (expiresInDays is { } days && (days < 1 || days > MaxDays))
        {
            Add("expiresInDays", $"expiresInDays must be 1 to {MaxDays} (default {DefaultDays}).");
        }

        return normalised;
    }

    /// <summary>Why a grant's bounds or count exceed the company's ceiling for its type, or null when they do not.</summary>
    public static string? WhyOverCeiling(GrantCeiling ceiling, IReadOnlyDictionary<string, List<string>> bounds, int maxPerDay)
    {
        if (!ceiling.Allowed)
        {
            return $"the company allows no grant for {ceiling.Type}.";
        }

        if (ceiling.MaxPerDay is { } cap && maxPerDay > cap)
        {
            return $"the company allows at most {cap} {ceiling.Type} actions a day under a grant.";
        }

        if (IsAddressType(ceiling.Type) && (ceiling.Bounds.ContainsKey("recipients") || ceiling.Bounds.ContainsKey("domains")))
        {
            foreach (var domain in bounds.GetValueOrDefault("domains") ?? [])
            {
                if (!(ceiling.Bounds.GetValueOrDefault("domains") ?? []).Contains(domain))
                {
                    return $"the company's ceiling for {ceiling.Type} does not include the domain {domain}.";
                }
            }

            foreach (var address in bounds.GetValueOrDefault("recipients") ?? [])
            {
                if (WhyAddressOutside(address, ceiling.Bounds) is { } why)
                {
                    return $"the company's ceiling for {ceiling.Type}: {why}";
                }
            }

            return null;
        }

        foreach (var (key, limit) in ceiling.Bounds)
        {
            if (!bounds.TryGetValue(key, out var values))
            {
                return $"the company's ceiling for {ceiling.Type} limits {key} to {string.Join(", ", limit)}: the grant must name them.";
            }

            if (values.FirstOrDefault(v => !limit.Contains(v)) is { } outside)
            {
                return $"the company's ceiling for {ceiling.Type} does not include {Singular(key)} {outside}.";
            }
        }

        return null;
    }

    /// <summary>
    /// Why the proposal's payload lies outside <paramref name="bounds"/>, or null when it is inside. For a ceiling
    /// (<paramref name="isCeiling"/>), an absent bound does not restrict; for a grant, a calendar event with guests
    /// needs recipients or domains that admit each of them.
    /// </summary>
    public static string? WhyOutside(string type, IReadOnlyDictionary<string, List<string>> bounds, JsonObject payload, bool isCeiling)
    {
        switch (type)
        {
            case ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft or ProposalTypes.CreateCalendarEvent:
                // A draft's recipients are those the hub read of it when it was proposed (Bcc included).
                var addresses = type != ProposalTypes.CreateCalendarEvent
                    ? [.. ProposalValidator.Emails(payload, "to"), .. ProposalValidator.Emails(payload, "cc"), .. ProposalValidator.Emails(payload, "bcc")]
                    : ProposalValidator.Emails(payload, "attendees");
                if (isCeiling && !bounds.ContainsKey("recipients") && !bounds.ContainsKey("domains"))
                {
                    return null;
                }

                return addresses.Select(a => WhyAddressOutside(a, bounds)).FirstOrDefault(w => w is not null);
            case ProposalTypes.CreateNotionPage:
                var parent = ProposalValidator.Text(payload, "parentPageId") ?? ProposalValidator.Text(payload, "parentDatabaseId") ?? ProposalValidator.Text(payload, "parentDataSourceId") ?? "";
                return Outside("parents", parent);
            case ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks:
                return Outside("pages", ProposalValidator.Text(payload, "pageId") ?? "");
            case ProposalTypes.CreateAttioRecord:
                return Outside("objects", ProposalValidator.Text(payload, "object") ?? "");
            case ProposalTypes.UpdateAttioRecord:
                return Outside("objects", ProposalValidator.Text(payload, "object") ?? "") ?? Outside("records", ProposalValidator.Text(payload, "recordId") ?? "", optional: true);
            case ProposalTypes.CreateAttioNote:
                return Outside("objects", ProposalValidator.Text(payload, "parentObject") ?? "") ?? Outside("records", ProposalValidator.Text(payload, "parentRecordId") ?? "", optional: true);
            case ProposalTypes.MessageAgent:
                return Outside("agents", ProposalValidator.Text(payload, "agentId") ?? "");
            default:
                return null;
        }

        string? Outside(string key, string value, bool optional = false)
        {
            if (!bounds.TryGetValue(key, out var allowed))
            {
                return isCeiling || optional ? null : $"the grant names no {key}.";
            }

            return allowed.Contains(Normalise(key, value)) ? null : $"{Singular(key)} {value} is outside the {key} {string.Join(", ", allowed)}.";
        }
    }

    /// <summary>The bounds a grant would need to cover this proposal exactly (what the agent suggests after repeated approvals), and a key for near-identical proposals.</summary>
    public static (string Key, Dictionary<string, List<string>> Bounds)? Suggest(string type, JsonObject payload)
    {
        Dictionary<string, List<string>> bounds;
        switch (type)
        {
            case ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft:
                bounds = new() { ["recipients"] = [.. ProposalValidator.Emails(payload, "to").Concat(ProposalValidator.Emails(payload, "cc")).Concat(ProposalValidator.Emails(payload, "bcc")).Select(a => Normalise("recipients", a)).Distinct().Order(StringComparer.Ordinal)] };
                break;
            case ProposalTypes.CreateCalendarEvent:
                var attendees = ProposalValidator.Emails(payload, "attendees").Select(a => Normalise("recipients", a)).Distinct().Order(StringComparer.Ordinal).ToList();
                bounds = attendees.Count == 0 ? [] : new() { ["recipients"] = attendees };
                break;
            case ProposalTypes.CreateNotionPage:
                bounds = new() { ["parents"] = [Normalise("parents", ProposalValidator.Text(payload, "parentPageId") ?? ProposalValidator.Text(payload, "parentDatabaseId") ?? ProposalValidator.Text(payload, "parentDataSourceId") ?? "")] };
                break;
            case ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks:
                bounds = new() { ["pages"] = [Normalise("pages", ProposalValidator.Text(payload, "pageId") ?? "")] };
                break;
            case ProposalTypes.CreateAttioRecord:
                bounds = new() { ["objects"] = [Normalise("objects", ProposalValidator.Text(payload, "object") ?? "")] };
                break;
            case ProposalTypes.UpdateAttioRecord:
                bounds = new() { ["objects"] = [Normalise("objects", ProposalValidator.Text(payload, "object") ?? "")], ["records"] = [ProposalValidator.Text(payload, "recordId") ?? ""] };
                break;
            case ProposalTypes.CreateAttioNote:
                bounds = new() { ["objects"] = [Normalise("objects", ProposalValidator.Text(payload, "parentObject") ?? "")], ["records"] = [ProposalValidator.Text(payload, "parentRecordId") ?? ""] };
                break;
            case ProposalTypes.CreateAttioTask or ProposalTypes.CompleteAttioTask:
                bounds = [];
                break;
            case ProposalTypes.MessageAgent:
                bounds = new() { ["agents"] = [ProposalValidator.Text(payload, "agentId") ?? ""] };
                break;
            default:
                return null;
        }

        return (type + "|" + string.Join(";", bounds.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={string.Join(",", b.Value)}")), bounds);
    }

    public static JsonObject ToJson(IReadOnlyDictionary<string, List<string>> bounds)
    {
        var o = new JsonObject();
        foreach (var (key, values) in bounds)
        {
            o[key] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
        }

        return o;
    }

    private static string? WhyAddressOutside(string address, IReadOnlyDictionary<string, List<string>> bounds)
    {
        var normal = Normalise("recipients", address);
        var domain = normal[(normal.LastIndexOf('@') + 1)..];
        return (bounds.GetValueOrDefault("recipients") ?? []).Contains(normal) || (bounds.GetValueOrDefault("domains") ?? []).Contains(domain)
            ? null
            : $"{address} is outside the recipients and domains allowed.";
    }

    private static bool IsAddressType(string type) => type is ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft or ProposalTypes.CreateCalendarEvent;

    private static string? WhyNotValue(string key, string value) => key switch
    {
        "recipients" when !ProposalValidator.IsEmail(value) => $"'{value}' is not a valid email address.",
        "domains" when value.Contains('@', StringComparison.Ordinal) || !value.Contains('.', StringComparison.Ordinal) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) => $"'{value}' is not a domain (such as company.com).",
        _ when value.Length > 200 || value.Any(char.IsControl) => $"'{value}' is not a valid {Singular(key)}.",
        _ => null,
    };

    /// <summary>Addresses, domains and objects compare without case; Notion ids with or without their dashes.</summary>
    private static string Normalise(string key, string value) => key switch
    {
        "recipients" or "domains" or "objects" => value.Trim().TrimStart('@').ToLowerInvariant(),
        "parents" or "pages" => value.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant(),
        _ => value.Trim(),
    };

    private static string Singular(string key) => key switch
    {
        "parents" => "parent",
        "pages" => "page",
        "objects" => "object",
        "records" => "record",
        "agents" => "agent",
        "recipients" => "recipient",
        "domains" => "domain",
        _ => key,
    };

    private static string Noun(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft => "addresses or domains",
        ProposalTypes.CreateNotionPage => "parent pages or databases",
        ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks => "pages",
        ProposalTypes.MessageAgent => "agents",
        _ => "objects",
    };
}
