using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace CompanyHub.Fakes;

/// <summary>One request a fake received, as it arrived.</summary>
/// <param name="Endpoint">The fake's name for the route (<c>gmail.users.messages.send</c>, <c>notion.pages.create</c>, ...); <c>unmatched</c> for none.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path.</param>
/// <param name="Query">The query string with its leading <c>?</c>, or empty.</param>
/// <param name="Headers">The headers (several values joined by <c>", "</c>).</param>
/// <param name="Body">The body as text.</param>
/// <param name="InjectedStatus">The status of an injected failure served instead of the real answer, if any.</param>
public sealed record RecordedRequest(
    string Endpoint,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    int? InjectedStatus)
{
    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The query parameters (the first value of each).</summary>
    public IReadOnlyDictionary<string, string> QueryParameters() =>
        QueryHelpers.ParseQuery(Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The body as form fields (for the OAuth token endpoint).</summary>
    public IReadOnlyDictionary<string, string> Form() =>
        QueryHelpers.ParseQuery(Body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The body as JSON, or null when it is empty.</summary>
    public JsonNode? Json() => string.IsNullOrWhiteSpace(Body) ? null : JsonNode.Parse(Body);
}
